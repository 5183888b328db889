package stream

// Numeric helpers copied from exec/batch (unexported there) so that
// incremental aggregates finalise exactly like the batch ones.

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// exactCtx does exact (unrounded) decimal arithmetic.
var exactCtx = func() *apd.Context {
	c := apd.BaseContext
	c.Precision = 0
	c.MaxExponent = apd.MaxExponent
	c.MinExponent = apd.MinExponent
	return &c
}()

// dscale is PostgreSQL's display scale of a numeric: its fractional digits.
func dscale(d *apd.Decimal) int {
	if d.Exponent < 0 {
		return int(-d.Exponent)
	}
	return 0
}

// weightDigit returns the base-10000 weight and first base-10000 digit of
// d, as PostgreSQL's numeric stores them.
func weightDigit(d *apd.Decimal) (int, int) {
	if d.IsZero() {
		return 0, 0
	}
	s := d.Coeff.String()
	s = strings.TrimLeft(s, "-")
	p := int(d.Exponent) + len(s) - 1 // power of ten of the leading digit
	w := p / 4
	if p < 0 && p%4 != 0 {
		w--
	}
	cnt := p - 4*w + 1
	var fd int
	if cnt <= len(s) {
		fd, _ = strconv.Atoi(s[:cnt])
	} else {
		fd, _ = strconv.Atoi(s)
		for i := len(s); i < cnt; i++ {
			fd *= 10
		}
	}
	return w, fd
}

// selectDivScale is PostgreSQL's select_div_scale: the result scale of
// numeric division.
func selectDivScale(a, b *apd.Decimal) int {
	w1, f1 := weightDigit(a)
	w2, f2 := weightDigit(b)
	q := w1 - w2
	if f1 <= f2 {
		q--
	}
	rs := 16 - q*4
	rs = max(rs, dscale(a), dscale(b), 0)
	return min(rs, 1000)
}

// numericDiv sets d = a / b rounded (half away from zero) to
// selectDivScale(a, b) fractional digits, as PostgreSQL's numeric_div.
func numericDiv(d, a, b *apd.Decimal) {
	divScale(d, a, b, selectDivScale(a, b))
}

func divScale(d, a, b *apd.Decimal, rs int) {
	intDigits := int64(a.NumDigits()) + int64(a.Exponent) - int64(b.NumDigits()) - int64(b.Exponent) + 2
	prec := max(intDigits, 1) + int64(rs) + 3
	ctx := apd.BaseContext
	ctx.Precision = uint32(prec)
	ctx.Rounding = apd.RoundDown
	var q apd.Decimal
	ctx.Quo(&q, a, b)
	ctx.Rounding = apd.RoundHalfUp
	ctx.Precision = uint32(prec + 2)
	ctx.Quantize(d, &q, int32(-rs))
}

// intervalDiv is PostgreSQL 15's interval_div.
func intervalDiv(s types.IntervalValue, f float64) types.IntervalValue {
	tsround := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	var r types.IntervalValue
	r.Months = int32(float64(s.Months) / f)
	r.Days = int32(float64(s.Days) / f)
	monthRemDays := (float64(s.Months)/f - float64(r.Months)) * 30
	monthRemDays = tsround(monthRemDays)
	secRem := (float64(s.Days)/f - float64(r.Days) + monthRemDays - float64(int64(monthRemDays))) * 86400
	secRem = tsround(secRem)
	if math.Abs(secRem) >= 86400 {
		r.Days += int32(secRem / 86400)
		secRem -= float64(int64(secRem/86400)) * 86400
	}
	r.Days += int32(monthRemDays)
	r.Micros = int64(math.RoundToEven(float64(s.Micros)/f + secRem*1e6))
	return r
}
