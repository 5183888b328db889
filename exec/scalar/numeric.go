package scalar

import (
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// exactCtx performs exact addition, subtraction and multiplication (no
// rounding), as PostgreSQL's numeric does.
var exactCtx = &apd.Context{Precision: 0, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

func isNaNDec(d *apd.Decimal) bool { return d.Form == apd.NaN || d.Form == apd.NaNSignaling }

// dscale is PostgreSQL's display scale of a decimal.
func dscale(d *apd.Decimal) int32 {
	if d.Form != apd.Finite || d.Exponent >= 0 {
		return 0
	}
	return -d.Exponent
}

// nbaseWeight returns PostgreSQL's base-10000 weight and first base-10000
// digit of a non-zero finite decimal.
func nbaseWeight(d *apd.Decimal) (int64, int64) {
	if d.IsZero() {
		return 0, 1
	}
	digits := d.Coeff.String()
	e := int64(len(digits)) + int64(d.Exponent) - 1 // decimal exponent of the leading digit
	w := floorDivI(e, 4)
	k := int(e - 4*w + 1) // number of leading decimal digits in the first NBASE digit
	var first int64
	for i := 0; i < k; i++ {
		first *= 10
		if i < len(digits) {
			first += int64(digits[i] - '0')
		}
	}
	return w, first
}

// divScale is PostgreSQL's select_div_scale.
func divScale(x, y *apd.Decimal) int32 {
	w1, f1 := nbaseWeight(x)
	w2, f2 := nbaseWeight(y)
	q := w1 - w2
	if f1 <= f2 {
		q--
	}
	r := int64(16) - q*4
	r = max(r, int64(dscale(x)), int64(dscale(y)), 0)
	return int32(min(r, 1000))
}

// decDiv computes x / y rounded half away from zero to PostgreSQL's scale.
func decDiv(d, x, y *apd.Decimal) error {
	if y.IsZero() && !isNaNDec(x) {
		return errDivByZero()
	}
	if x.Form != apd.Finite || y.Form != apd.Finite {
		_, err := apd.BaseContext.WithPrecision(20).Quo(d, x, y)
		return err
	}
	rs := divScale(x, y)
	// digits before the point of the quotient, plus the scale, plus guard
	intDigits := int64(x.NumDigits()) + int64(x.Exponent) - (int64(y.NumDigits()) + int64(y.Exponent)) + 2
	prec := max(intDigits, 1) + int64(rs) + 3
	ctx := apd.BaseContext.WithPrecision(uint32(prec))
	ctx.Rounding = apd.RoundDown
	var q apd.Decimal
	if _, err := ctx.Quo(&q, x, y); err != nil {
		return err
	}
	return quantizeHalfUp(d, &q, rs)
}

func quantizeHalfUp(d, x *apd.Decimal, scale int32) error {
	ctx := apd.BaseContext.WithPrecision(uint32(max(int64(x.NumDigits())+int64(x.Exponent)+int64(scale)+2, 1)))
	ctx.Rounding = apd.RoundHalfUp
	_, err := ctx.Quantize(d, x, -scale)
	return err
}

func decArith(op arithOp) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, b, o := args[0].Dec, args[1].Dec, out.Dec
		for k, n := 0, c.Len(); k < n; k++ {
			i := c.Row(k)
			var err error
			switch op {
			case aAdd:
				_, err = exactCtx.Add(&o[i], &a[i], &b[i])
			case aSub:
				_, err = exactCtx.Sub(&o[i], &a[i], &b[i])
			case aMul:
				_, err = exactCtx.Mul(&o[i], &a[i], &b[i])
			case aDiv:
				err = decDiv(&o[i], &a[i], &b[i])
			case aMod:
				if b[i].IsZero() && !isNaNDec(&a[i]) {
					return errDivByZero()
				}
				ctx := apd.BaseContext.WithPrecision(uint32(max(a[i].NumDigits(), b[i].NumDigits()) + 5))
				_, err = ctx.Rem(&o[i], &a[i], &b[i])
			}
			if err != nil {
				return decErr(err)
			}
		}
		return nil
	}
}

func decErr(err error) error {
	if _, ok := err.(*types.Error); ok {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "division by zero") {
		return errDivByZero()
	}
	return types.Errorf(types.CodeNumericOutOfRange, "value overflows numeric format")
}

// decPower computes x ^ y with PostgreSQL's result scale.
func decPower(d, x, y *apd.Decimal) error {
	if x.IsZero() && y.Sign() < 0 {
		return types.Errorf("2201F", "zero raised to a negative power is undefined")
	}
	if x.Sign() < 0 {
		var fr apd.Decimal
		if _, err := exactCtx.Sub(&fr, y, new(apd.Decimal).SetInt64(0)); err == nil {
			var ip apd.Decimal
			y.Modf(&ip, &fr)
			if !fr.IsZero() {
				return types.Errorf("2201F", "a negative number raised to a non-integer power yields a complex result")
			}
		}
	}
	xf, _ := x.Float64()
	yf, _ := y.Float64()
	val := 0.0
	if xf != 0 {
		val = yf * math.Log10(math.Abs(xf))
	}
	if val > 1e6 {
		return types.Errorf(types.CodeNumericOutOfRange, "value overflows numeric format")
	}
	rs := max(int64(16)-int64(val), int64(dscale(x)), int64(dscale(y)), 0)
	rs = min(rs, 1000)
	prec := max(int64(val), 0) + rs + 10
	ctx := apd.BaseContext.WithPrecision(uint32(prec))
	var r apd.Decimal
	if _, err := ctx.Pow(&r, x, y); err != nil {
		return decErr(err)
	}
	return quantizeHalfUp(d, &r, int32(rs))
}

func init() {
	n := types.TNumeric
	for op := aAdd; op <= aMod; op++ {
		reg(arithNames[op], []types.T{n, n}, n, decArith(op))
	}
	reg("mod", []types.T{n, n}, n, decArith(aMod))
	reg("u-", []types.T{n}, n, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, cnt := 0, c.Len(); k < cnt; k++ {
			i := c.Row(k)
			out.Dec[i].Neg(&args[0].Dec[i])
			if out.Dec[i].IsZero() {
				out.Dec[i].Negative = false
			}
		}
		return nil
	})
	reg("u+", []types.T{n}, n, identity)
	powDec := func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, cnt := 0, c.Len(); k < cnt; k++ {
			i := c.Row(k)
			if err := decPower(&out.Dec[i], &args[0].Dec[i], &args[1].Dec[i]); err != nil {
				return err
			}
		}
		return nil
	}
	powFloat := func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, cnt := 0, c.Len(); k < cnt; k++ {
			i := c.Row(k)
			x, y := args[0].Float[i], args[1].Float[i]
			if x == 0 && y < 0 {
				return types.Errorf("2201F", "zero raised to a negative power is undefined")
			}
			if x < 0 && math.Floor(y) != y {
				return types.Errorf("2201F", "a negative number raised to a non-integer power yields a complex result")
			}
			r := math.Pow(x, y)
			if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
				return errFloatOverflow()
			}
			if r == 0 && x != 0 && !math.IsInf(y, 0) {
				return errFloatUnderflow()
			}
			out.Float[i] = r
		}
		return nil
	}
	for _, name := range []string{"^", "power"} {
		reg(name, []types.T{types.TFloat8, types.TFloat8}, types.TFloat8, powFloat)
		reg(name, []types.T{n, n}, n, powDec)
	}
}
