package batch

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// AggSpec describes one aggregate call of a HashAggregate (or a window
// aggregate). Args are input column indices (none for count(*)); ArgTypes
// their types (after the casts ResolveAggregate asked for); Ret the result
// type from ResolveAggregate. Distinct aggregates each group's distinct
// argument values only (count(DISTINCT x)). FilterCol is -1, or a bool
// column: rows where it is not TRUE are skipped (FILTER (WHERE ...)).
// Strict aggregates skip rows with a NULL argument; string_agg skips NULL
// values and treats a NULL separator as empty.
type AggSpec struct {
	Name      string
	Args      []int
	ArgTypes  []types.T
	Distinct  bool
	Ret       types.T
	FilterCol int
	// Order is the ORDER BY of an ordered aggregate (string_agg(x, ','
	// ORDER BY y)), over input columns. The batch aggregate gets its
	// input sorted instead and ignores it; the stream aggregate, whose
	// input has no order, keeps string_agg's values in this order.
	Order []SortKey
}

func undefinedAgg(name string, args []types.T) error {
	ns := make([]string, len(args))
	for i, a := range args {
		ns[i] = a.String()
	}
	return types.Errorf(types.CodeUndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ns, ", "))
}

func bare(t types.T) types.T { return types.T{Family: t.Family} }

// ResolveAggregate returns the result type of aggregate name applied to
// arguments of types args, as PostgreSQL 15 does, and the types the
// arguments must be cast to first. count with no arguments is count(*).
// Unknown aggregates or argument types fail with SQLSTATE 42883.
func ResolveAggregate(name string, args []types.T, distinct bool) (ret types.T, castArgs []types.T, err error) {
	castArgs = make([]types.T, len(args))
	copy(castArgs, args)
	fail := func() (types.T, []types.T, error) { return types.T{}, nil, undefinedAgg(name, args) }
	one := len(args) == 1
	var f types.Family
	if len(args) > 0 {
		f = args[0].Family
	}
	switch name {
	case "count":
		if len(args) > 1 {
			return fail()
		}
		return types.TInt8, castArgs, nil
	case "sum", "avg":
		if !one {
			return fail()
		}
		switch f {
		case types.Int16, types.Int32:
			if name == "avg" {
				return types.TNumeric, castArgs, nil
			}
			return types.TInt8, castArgs, nil
		case types.Int64, types.Numeric:
			castArgs[0] = bare(args[0])
			return types.TNumeric, castArgs, nil
		case types.Float32:
			if name == "avg" {
				return types.TFloat8, castArgs, nil
			}
			return types.TFloat4, castArgs, nil
		case types.Float64:
			return types.TFloat8, castArgs, nil
		case types.Interval:
			return types.TInterval, castArgs, nil
		}
		return fail()
	case "min", "max":
		if !one {
			return fail()
		}
		switch f {
		case types.Bool, types.Jsonb:
			return fail()
		case types.Unknown:
			castArgs[0] = types.TText
			return types.TText, castArgs, nil
		}
		castArgs[0] = bare(args[0])
		return bare(args[0]), castArgs, nil
	case "string_agg":
		if len(args) != 2 {
			return fail()
		}
		t := types.TText
		if f == types.Bytea {
			t = types.TBytea
		}
		for i, a := range args {
			if a.Family == types.Unknown {
				castArgs[i] = t
			} else if a.Family != t.Family {
				return fail()
			}
		}
		return t, castArgs, nil
	case "bool_and", "bool_or", "every":
		if !one || (f != types.Bool && f != types.Unknown) {
			return fail()
		}
		castArgs[0] = types.TBool
		return types.TBool, castArgs, nil
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if !one {
			return fail()
		}
		switch f {
		case types.Float32, types.Float64:
			castArgs[0] = types.TFloat8
			return types.TFloat8, castArgs, nil
		case types.Int16, types.Int32, types.Int64, types.Numeric:
			castArgs[0] = bare(args[0])
			return types.TNumeric, castArgs, nil
		}
		return fail()
	}
	return fail()
}

// aggFunc is the vectorized state of one aggregate over many groups.
type aggFunc interface {
	// grow makes room for n groups (new groups start empty).
	grow(n int)
	// update folds rows (physical indices of c) into groups gids.
	update(c *exec.Chunk, rows []int, gids []int32) error
	// result writes group g's final value into row j of out.
	result(out *exec.Vec, g int, j int) error
	// reset empties group g.
	reset(g int)
}

func newAggFunc(s AggSpec) (aggFunc, error) {
	var at types.T
	arg := -1
	if len(s.Args) > 0 {
		arg = s.Args[0]
		at = s.ArgTypes[0]
	}
	switch s.Name {
	case "count":
		return &countAgg{arg: arg}, nil
	case "sum", "avg":
		avg := s.Name == "avg"
		switch at.Family {
		case types.Int16, types.Int32, types.Int64:
			return &intSumAgg{arg: arg, avg: avg, toNumeric: avg || at.Family == types.Int64}, nil
		case types.Numeric:
			return &decSumAgg{arg: arg, avg: avg}, nil
		case types.Float32, types.Float64:
			return &floatSumAgg{arg: arg, avg: avg, f4: !avg && at.Family == types.Float32}, nil
		case types.Interval:
			return &ivSumAgg{arg: arg, avg: avg}, nil
		}
	case "min", "max":
		return &minMaxAgg{arg: arg, max: s.Name == "max", vals: exec.NewVec(s.Ret, 0)}, nil
	case "bool_and", "every", "bool_or":
		return &boolAgg{arg: arg, or: s.Name == "bool_or"}, nil
	case "string_agg":
		return &stringAgg{arg: arg, sep: s.Args[1]}, nil
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		samp := !strings.HasSuffix(s.Name, "_pop")
		sqrt := strings.HasPrefix(s.Name, "stddev")
		if at.Family == types.Float64 || at.Family == types.Float32 {
			return &floatVarAgg{arg: arg, samp: samp, sqrt: sqrt}, nil
		}
		return &decVarAgg{arg: arg, samp: samp, sqrt: sqrt}, nil
	}
	return nil, undefinedAgg(s.Name, s.ArgTypes)
}

func growSlice[E any](s []E, n int) []E {
	for len(s) < n {
		var z E
		s = append(s, z)
	}
	return s
}

func isNull(v *exec.Vec, r int) bool { return v.Nulls.MaybeNulls && v.Nulls.IsNull(r) }

// ---- count ----

type countAgg struct {
	arg int
	n   []int64
}

func (a *countAgg) grow(n int)  { a.n = growSlice(a.n, n) }
func (a *countAgg) reset(g int) { a.n[g] = 0 }
func (a *countAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	if a.arg < 0 || !c.Cols[a.arg].Nulls.MaybeNulls {
		for _, g := range gids {
			a.n[g]++
		}
		return nil
	}
	v := c.Cols[a.arg]
	for k, r := range rows {
		if !v.Nulls.IsNull(r) {
			a.n[gids[k]]++
		}
	}
	return nil
}
func (a *countAgg) result(out *exec.Vec, g, j int) error {
	out.Nulls.UnsetNull(j)
	out.Int[j] = a.n[g]
	return nil
}

// ---- sum/avg of integers ----

var exactCtx = func() *apd.Context {
	c := apd.BaseContext
	c.Precision = 0
	c.MaxExponent = apd.MaxExponent
	c.MinExponent = apd.MinExponent
	return &c
}()

type intSumAgg struct {
	arg       int
	avg       bool
	toNumeric bool // result is numeric (sum(int8), avg): overflow spills to over
	sum       []int64
	cnt       []int64
	over      []*apd.Decimal
}

func (a *intSumAgg) grow(n int) {
	a.sum = growSlice(a.sum, n)
	a.cnt = growSlice(a.cnt, n)
	if a.toNumeric {
		a.over = growSlice(a.over, n)
	}
}
func (a *intSumAgg) reset(g int) {
	a.sum[g], a.cnt[g] = 0, 0
	if a.over != nil {
		a.over[g] = nil
	}
}
func (a *intSumAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	s := v.Int
	nulls := v.Nulls.MaybeNulls
	for k, r := range rows {
		if nulls && v.Nulls.IsNull(r) {
			continue
		}
		g := gids[k]
		x := s[r]
		if addOverflows(a.sum[g], x) {
			if !a.toNumeric {
				return types.Errorf(types.CodeNumericOutOfRange, "bigint out of range")
			}
			if a.over[g] == nil {
				a.over[g] = new(apd.Decimal)
			}
			var d apd.Decimal
			d.SetInt64(a.sum[g])
			exactCtx.Add(a.over[g], a.over[g], &d)
			a.sum[g] = 0
		}
		a.sum[g] += x
		a.cnt[g]++
	}
	return nil
}
func (a *intSumAgg) result(out *exec.Vec, g, j int) error {
	if a.cnt[g] == 0 {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	if !a.toNumeric {
		out.Int[j] = a.sum[g]
		return nil
	}
	var d apd.Decimal
	d.SetInt64(a.sum[g])
	if a.over != nil && a.over[g] != nil {
		exactCtx.Add(&d, &d, a.over[g])
	}
	if a.avg {
		var n apd.Decimal
		n.SetInt64(a.cnt[g])
		numericDiv(&out.Dec[j], &d, &n)
		return nil
	}
	out.Dec[j].Set(&d)
	return nil
}

// ---- sum/avg of numerics ----

type decSumAgg struct {
	arg int
	avg bool
	sum []apd.Decimal
	cnt []int64
}

func (a *decSumAgg) grow(n int) {
	a.sum = growSlice(a.sum, n)
	a.cnt = growSlice(a.cnt, n)
}
func (a *decSumAgg) reset(g int) { a.sum[g].SetInt64(0); a.cnt[g] = 0 }
func (a *decSumAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		if a.cnt[g] == 0 {
			a.sum[g].Set(&v.Dec[r])
		} else {
			exactCtx.Add(&a.sum[g], &a.sum[g], &v.Dec[r])
		}
		a.cnt[g]++
	}
	return nil
}
func (a *decSumAgg) result(out *exec.Vec, g, j int) error {
	if a.cnt[g] == 0 {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	if a.avg {
		var n apd.Decimal
		n.SetInt64(a.cnt[g])
		numericDiv(&out.Dec[j], &a.sum[g], &n)
		return nil
	}
	out.Dec[j].Set(&a.sum[g])
	return nil
}

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

// ---- sum/avg of floats ----

type floatSumAgg struct {
	arg int
	avg bool
	f4  bool // sum(real): accumulate in float4
	sum []float64
	cnt []int64
}

func (a *floatSumAgg) grow(n int) {
	a.sum = growSlice(a.sum, n)
	a.cnt = growSlice(a.cnt, n)
}
func (a *floatSumAgg) reset(g int) { a.sum[g], a.cnt[g] = 0, 0 }
func (a *floatSumAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	s := v.Float
	nulls := v.Nulls.MaybeNulls
	for k, r := range rows {
		if nulls && v.Nulls.IsNull(r) {
			continue
		}
		g := gids[k]
		if a.f4 {
			a.sum[g] = float64(float32(a.sum[g]) + float32(s[r]))
		} else {
			a.sum[g] += s[r]
		}
		a.cnt[g]++
	}
	return nil
}
func (a *floatSumAgg) result(out *exec.Vec, g, j int) error {
	if a.cnt[g] == 0 {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	if a.avg {
		out.Float[j] = a.sum[g] / float64(a.cnt[g])
	} else {
		out.Float[j] = a.sum[g]
	}
	return nil
}

// ---- sum/avg of intervals ----

type ivSumAgg struct {
	arg int
	avg bool
	sum []types.IntervalValue
	cnt []int64
}

func (a *ivSumAgg) grow(n int) {
	a.sum = growSlice(a.sum, n)
	a.cnt = growSlice(a.cnt, n)
}
func (a *ivSumAgg) reset(g int) { a.sum[g], a.cnt[g] = types.IntervalValue{}, 0 }
func (a *ivSumAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		x := v.Iv[r]
		s := &a.sum[g]
		m, d := int64(s.Months)+int64(x.Months), int64(s.Days)+int64(x.Days)
		if m != int64(int32(m)) || d != int64(int32(d)) || addOverflows(s.Micros, x.Micros) {
			return types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
		}
		s.Months, s.Days, s.Micros = int32(m), int32(d), s.Micros+x.Micros
		a.cnt[g]++
	}
	return nil
}
func (a *ivSumAgg) result(out *exec.Vec, g, j int) error {
	if a.cnt[g] == 0 {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	if a.avg {
		out.Iv[j] = intervalDiv(a.sum[g], float64(a.cnt[g]))
	} else {
		out.Iv[j] = a.sum[g]
	}
	return nil
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

// ---- min/max ----

type minMaxAgg struct {
	arg  int
	max  bool
	vals *exec.Vec // NULL = no value yet
}

func (a *minMaxAgg) grow(n int) {
	old := a.vals.Len()
	if n <= old {
		return
	}
	a.vals.Resize(n)
	setNulls(a.vals, old, n)
}
func (a *minMaxAgg) reset(g int) { a.vals.Nulls.SetNull(g) }
func (a *minMaxAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	st := a.vals
	want := -1
	if a.max {
		want = 1
	}
	nulls := v.Nulls.MaybeNulls
	switch v.Typ.Family.Physical() {
	case types.PhysInt:
		s, d := v.Int, st.Int
		for k, r := range rows {
			if nulls && v.Nulls.IsNull(r) {
				continue
			}
			g := int(gids[k])
			x := s[r]
			if st.Nulls.IsNull(g) {
				st.Nulls.UnsetNull(g)
				d[g] = x
			} else if (x < d[g]) == !a.max && x != d[g] {
				d[g] = x
			}
		}
	case types.PhysBytes:
		s := v.Bytes
		for k, r := range rows {
			if nulls && v.Nulls.IsNull(r) {
				continue
			}
			g := int(gids[k])
			if st.Nulls.IsNull(g) || bytes.Compare(s[r], st.Bytes[g])*want > 0 {
				st.Nulls.UnsetNull(g)
				st.Bytes[g] = append(st.Bytes[g][:0:0], s[r]...)
			}
		}
	default:
		for k, r := range rows {
			if nulls && v.Nulls.IsNull(r) {
				continue
			}
			g := int(gids[k])
			if st.Nulls.IsNull(g) || cmpVals(v, r, st, g)*want > 0 {
				st.CopyRow(g, v, r)
			}
		}
	}
	return nil
}
func (a *minMaxAgg) result(out *exec.Vec, g, j int) error {
	out.CopyRow(j, a.vals, g)
	return nil
}

// ---- bool_and / bool_or ----

type boolAgg struct {
	arg  int
	or   bool
	val  []bool
	seen []bool
}

func (a *boolAgg) grow(n int) {
	a.val = growSlice(a.val, n)
	a.seen = growSlice(a.seen, n)
}
func (a *boolAgg) reset(g int) { a.seen[g] = false }
func (a *boolAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	if v.Typ.Family.Physical() != types.PhysBool {
		return nil // all NULL
	}
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		x := v.Bool[r]
		if !a.seen[g] {
			a.seen[g], a.val[g] = true, x
		} else if a.or {
			a.val[g] = a.val[g] || x
		} else {
			a.val[g] = a.val[g] && x
		}
	}
	return nil
}
func (a *boolAgg) result(out *exec.Vec, g, j int) error {
	if !a.seen[g] {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	out.Bool[j] = a.val[g]
	return nil
}

// ---- string_agg ----

type stringAgg struct {
	arg, sep int
	buf      [][]byte
	seen     []bool
}

func (a *stringAgg) grow(n int) {
	a.buf = growSlice(a.buf, n)
	a.seen = growSlice(a.seen, n)
}
func (a *stringAgg) reset(g int) { a.seen[g] = false; a.buf[g] = nil }
func (a *stringAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v, sv := c.Cols[a.arg], c.Cols[a.sep]
	if v.Typ.Family.Physical() != types.PhysBytes {
		return nil
	}
	sepOK := sv.Typ.Family.Physical() == types.PhysBytes
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		if a.seen[g] && sepOK && !isNull(sv, r) {
			a.buf[g] = append(a.buf[g], sv.Bytes[r]...)
		}
		a.seen[g] = true
		a.buf[g] = append(a.buf[g], v.Bytes[r]...)
	}
	return nil
}
func (a *stringAgg) result(out *exec.Vec, g, j int) error {
	if !a.seen[g] {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	out.Bytes[j] = append([]byte{}, a.buf[g]...)
	return nil
}

// ---- variance / stddev of floats (PostgreSQL's Youngs-Cramer) ----

type floatVarAgg struct {
	arg        int
	samp, sqrt bool
	n, sx, sxx []float64
}

func (a *floatVarAgg) grow(n int) {
	a.n = growSlice(a.n, n)
	a.sx = growSlice(a.sx, n)
	a.sxx = growSlice(a.sxx, n)
}
func (a *floatVarAgg) reset(g int) { a.n[g], a.sx[g], a.sxx[g] = 0, 0, 0 }
func (a *floatVarAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		x := v.Float[r]
		n0 := a.n[g]
		n := n0 + 1
		sx := a.sx[g] + x
		if n0 > 0 {
			tmp := x*n - sx
			a.sxx[g] += tmp * tmp / (n * n0)
		} else if math.IsInf(x, 0) || math.IsNaN(x) {
			a.sxx[g] = math.NaN()
		}
		a.n[g], a.sx[g] = n, sx
	}
	return nil
}
func (a *floatVarAgg) result(out *exec.Vec, g, j int) error {
	n := a.n[g]
	if n == 0 || (a.samp && n == 1) {
		out.Nulls.SetNull(j)
		return nil
	}
	d := n
	if a.samp {
		d = n - 1
	}
	r := a.sxx[g] / d
	if a.sqrt {
		r = math.Sqrt(r)
	}
	out.Nulls.UnsetNull(j)
	out.Float[j] = r
	return nil
}

// ---- variance / stddev of integers and numerics ----

type decVarAgg struct {
	arg        int
	samp, sqrt bool
	n          []int64
	sx, sxx    []apd.Decimal
}

func (a *decVarAgg) grow(n int) {
	a.n = growSlice(a.n, n)
	a.sx = growSlice(a.sx, n)
	a.sxx = growSlice(a.sxx, n)
}
func (a *decVarAgg) reset(g int) { a.n[g] = 0; a.sx[g].SetInt64(0); a.sxx[g].SetInt64(0) }
func (a *decVarAgg) update(c *exec.Chunk, rows []int, gids []int32) error {
	v := c.Cols[a.arg]
	isDec := v.Typ.Family.Physical() == types.PhysDecimal
	var x, x2 apd.Decimal
	for k, r := range rows {
		if isNull(v, r) {
			continue
		}
		g := gids[k]
		if isDec {
			x.Set(&v.Dec[r])
		} else {
			x.SetInt64(v.Int[r])
		}
		exactCtx.Mul(&x2, &x, &x)
		exactCtx.Add(&a.sx[g], &a.sx[g], &x)
		exactCtx.Add(&a.sxx[g], &a.sxx[g], &x2)
		a.n[g]++
	}
	return nil
}
func (a *decVarAgg) result(out *exec.Vec, g, j int) error {
	n := a.n[g]
	if n == 0 || (a.samp && n == 1) {
		out.Nulls.SetNull(j)
		return nil
	}
	out.Nulls.UnsetNull(j)
	var vn, num, t, den apd.Decimal
	vn.SetInt64(n)
	exactCtx.Mul(&t, &a.sx[g], &a.sx[g])
	exactCtx.Mul(&num, &vn, &a.sxx[g])
	exactCtx.Sub(&num, &num, &t)
	if num.Sign() <= 0 {
		out.Dec[j].SetInt64(0)
		return nil
	}
	if a.samp {
		den.SetInt64(n * (n - 1))
	} else {
		den.SetInt64(n * n)
	}
	rs := selectDivScale(&num, &den)
	var q apd.Decimal
	divScale(&q, &num, &den, rs)
	if a.sqrt {
		ctx := apd.BaseContext
		ctx.Precision = uint32(int64(q.NumDigits()) + int64(rs) + 10)
		ctx.Sqrt(&q, &q)
		ctx.Rounding = apd.RoundHalfUp
		ctx.Quantize(&q, &q, int32(-rs))
	}
	out.Dec[j].Set(&q)
	return nil
}
