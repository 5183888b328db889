package scalar

import (
	"math"
	"math/rand/v2"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// f1 builds a float8 → float8 kernel; check validates the input.
func f1(f func(x float64) (float64, error)) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, o := args[0].Float, out.Float
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			v, err := f(a[r])
			if err != nil {
				return err
			}
			o[r] = v
		}
		return nil
	}
}

func d1(f func(d, x *apd.Decimal) error) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, o := args[0].Dec, out.Dec
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			if err := f(&o[r], &a[r]); err != nil {
				return err
			}
		}
		return nil
	}
}

func pure(f func(float64) float64) func(float64) (float64, error) {
	return func(x float64) (float64, error) { return f(x), nil }
}

func errLogZero() error {
	return types.Errorf("2201E", "cannot take logarithm of zero")
}

func errLogNeg() error {
	return types.Errorf("2201E", "cannot take logarithm of a negative number")
}

// decRound rounds x to scale s half away from zero (PostgreSQL round).
func decRound(d, x *apd.Decimal, s int64, mode apd.Rounder) error {
	if x.Form != apd.Finite {
		d.Set(x)
		return nil
	}
	if s > 1000 {
		s = 1000
	}
	if s < -1000 {
		s = -1000
	}
	ctx := apd.BaseContext.WithPrecision(uint32(max(int64(x.NumDigits())+int64(x.Exponent)+s+2, 1)))
	ctx.Rounding = mode
	if s < 0 {
		// round to a power of ten left of the point, then show scale 0
		var t apd.Decimal
		if _, err := ctx.Quantize(&t, x, int32(-s)); err != nil {
			return decErr(err)
		}
		_, err := apd.BaseContext.WithPrecision(uint32(max(t.NumDigits()+int64(-s)+1, 1))).Quantize(d, &t, 0)
		return decErr2(err)
	}
	_, err := ctx.Quantize(d, x, int32(-s))
	return decErr2(err)
}

func decErr2(err error) error {
	if err != nil {
		return decErr(err)
	}
	return nil
}

func init() {
	ints := []types.T{types.TInt2, types.TInt4, types.TInt8}
	for _, t := range ints {
		rt := t
		reg("abs", sig(t), t, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				x := args[0].Int[r]
				if x < 0 {
					lo, _ := intBounds(rt.Family)
					if x == lo {
						return errOutOfRange(rt)
					}
					x = -x
				}
				out.Int[r] = x
			}
			return nil
		})
	}
	reg("abs", sig(types.TFloat4), types.TFloat4, f1(pure(math.Abs)))
	reg("abs", sig(tF8), tF8, f1(pure(math.Abs)))
	reg("abs", sig(tNum), tNum, d1(func(d, x *apd.Decimal) error { d.Abs(x); return nil }))
	for _, name := range []string{"ceil", "floor", "trunc", "round", "sign"} {
		name := name
		var ff func(float64) float64
		var mode apd.Rounder
		switch name {
		case "ceil":
			ff, mode = math.Ceil, apd.RoundCeiling
		case "floor":
			ff, mode = math.Floor, apd.RoundFloor
		case "trunc":
			ff, mode = math.Trunc, apd.RoundDown
		case "round":
			ff, mode = math.RoundToEven, apd.RoundHalfUp
		case "sign":
			ff = func(x float64) float64 {
				switch {
				case x > 0:
					return 1
				case x < 0:
					return -1
				}
				return x
			}
		}
		ff2 := ff
		reg(name, sig(tF8), tF8, f1(pure(func(x float64) float64 {
			r := ff2(x)
			if r == 0 {
				r = math.Copysign(0, x) // keep -0 like PostgreSQL's rint/ceil
				if name == "sign" {
					r = 0
				}
			}
			return r
		})))
		if name == "sign" {
			reg(name, sig(tNum), tNum, d1(func(d, x *apd.Decimal) error {
				if x.Form == apd.NaN {
					d.Set(x)
					return nil
				}
				d.SetInt64(int64(x.Sign()))
				return nil
			}))
			continue
		}
		mode2 := mode
		reg(name, sig(tNum), tNum, d1(func(d, x *apd.Decimal) error { return decRound(d, x, 0, mode2) }))
		if name == "round" || name == "trunc" {
			reg(name, sig(tNum, tI4), tNum, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
				for k, n := 0, c.Len(); k < n; k++ {
					r := c.Row(k)
					if err := decRound(&out.Dec[r], &args[0].Dec[r], args[1].Int[r], mode2); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	reg("sqrt", sig(tF8), tF8, f1(func(x float64) (float64, error) {
		if x < 0 {
			return 0, types.Errorf("2201F", "cannot take square root of a negative number")
		}
		return math.Sqrt(x), nil
	}))
	reg("sqrt", sig(tNum), tNum, d1(func(d, x *apd.Decimal) error {
		if x.Sign() < 0 {
			return types.Errorf("2201F", "cannot take square root of a negative number")
		}
		// PostgreSQL: sweight = (weight+1)*DEC_DIGITS/2 - 1 (NBASE weight),
		// result scale max(16 - sweight, dscale)
		w, _ := nbaseWeight(x)
		sweight := (w+1)*4/2 - 1
		rs := max(int64(16)-sweight, int64(dscale(x)), 0)
		ctx := apd.BaseContext.WithPrecision(uint32(max(sweight+2, 1) + rs + 5))
		var r apd.Decimal
		if _, err := ctx.Sqrt(&r, x); err != nil {
			return decErr(err)
		}
		return quantizeHalfUp(d, &r, int32(rs))
	}))
	reg("cbrt", sig(tF8), tF8, f1(pure(math.Cbrt)))
	reg("exp", sig(tF8), tF8, f1(func(x float64) (float64, error) {
		r := math.Exp(x)
		if math.IsInf(r, 0) && !math.IsInf(x, 0) {
			return 0, errFloatOverflow()
		}
		if r == 0 && !math.IsInf(x, 0) {
			return 0, errFloatUnderflow()
		}
		return r, nil
	}))
	reg("exp", sig(tNum), tNum, d1(func(d, x *apd.Decimal) error {
		ctx := apd.BaseContext.WithPrecision(34)
		var r apd.Decimal
		if _, err := ctx.Exp(&r, x); err != nil {
			return decErr(err)
		}
		xf, _ := x.Float64()
		w := int64(xf * 0.434294481903252) // PostgreSQL's estimate of the result's decimal weight
		return quantizeHalfUp(d, &r, int32(max(16-w, int64(dscale(x)), 0)))
	}))
	logf := func(f func(float64) float64) KernelFn {
		return f1(func(x float64) (float64, error) {
			if x == 0 {
				return 0, errLogZero()
			}
			if x < 0 {
				return 0, errLogNeg()
			}
			return f(x), nil
		})
	}
	reg("ln", sig(tF8), tF8, logf(math.Log))
	reg("log", sig(tF8), tF8, logf(math.Log10))
	reg("log10", sig(tF8), tF8, logf(math.Log10))
	logd := func(ten bool) KernelFn {
		return d1(func(d, x *apd.Decimal) error {
			if x.IsZero() {
				return errLogZero()
			}
			if x.Sign() < 0 {
				return errLogNeg()
			}
			ctx := apd.BaseContext.WithPrecision(34)
			var r apd.Decimal
			var err error
			if ten {
				_, err = ctx.Log10(&r, x)
			} else {
				_, err = ctx.Ln(&r, x)
			}
			if err != nil {
				return decErr(err)
			}
			rf, _ := r.Float64()
			w := int64(0)
			if rf != 0 {
				w = int64(math.Floor(math.Log10(math.Abs(rf))))
			}
			return quantizeHalfUp(d, &r, int32(max(16-w, int64(dscale(x)), 0)))
		})
	}
	reg("ln", sig(tNum), tNum, logd(false))
	reg("log", sig(tNum), tNum, logd(true))
	reg("log10", sig(tNum), tNum, logd(true))
	reg("log", sig(tNum, tNum), tNum, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			b, x := &args[0].Dec[r], &args[1].Dec[r]
			if b.IsZero() || x.IsZero() {
				return errLogZero()
			}
			if b.Sign() < 0 || x.Sign() < 0 {
				return errLogNeg()
			}
			ctx := apd.BaseContext.WithPrecision(34)
			var lb, lx, q apd.Decimal
			ctx.Ln(&lb, b)
			ctx.Ln(&lx, x)
			if lb.IsZero() {
				return errDivByZero()
			}
			ctx.Quo(&q, &lx, &lb)
			qf, _ := q.Float64()
			w := int64(0)
			if qf != 0 {
				w = int64(math.Floor(math.Log10(math.Abs(qf))))
			}
			if err := quantizeHalfUp(&out.Dec[r], &q, int32(max(16-w, int64(dscale(b)), int64(dscale(x)), 0))); err != nil {
				return err
			}
		}
		return nil
	})
	reg("div", sig(tNum, tNum), tNum, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			x, y := &args[0].Dec[r], &args[1].Dec[r]
			if y.IsZero() {
				return errDivByZero()
			}
			ctx := apd.BaseContext.WithPrecision(uint32(max(x.NumDigits()+int64(x.Exponent)-int64(y.Exponent), 1) + 2))
			if _, err := ctx.QuoInteger(&out.Dec[r], x, y); err != nil {
				return decErr(err)
			}
			// integral result with scale 0
			out.Dec[r].Reduce(&out.Dec[r])
			if out.Dec[r].Exponent > 0 {
				ctx.Quantize(&out.Dec[r], &out.Dec[r], 0)
			}
		}
		return nil
	})
	Register(&Overload{Name: "pi", Ret: tF8, Fn: nowFn(func(*exec.EvalCtx) types.Datum { return types.NewFloat(math.Pi) })})
	Register(&Overload{Name: "random", Ret: tF8, Volatile: true, Fn: func(_ *exec.EvalCtx, _ []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, n := 0, c.Len(); k < n; k++ {
			out.Float[c.Row(k)] = rand.Float64()
		}
		return nil
	}})
	Register(&Overload{Name: "gen_random_uuid", Ret: tT, Volatile: true, Fn: rowFn(func(_ []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		var u [16]byte
		for i := 0; i < 16; i += 8 {
			v := rand.Uint64()
			for j := 0; j < 8; j++ {
				u[i+j] = byte(v >> (8 * j))
			}
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		const hexd = "0123456789abcdef"
		var b []byte
		for i, x := range u {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				b = append(b, '-')
			}
			b = append(b, hexd[x>>4], hexd[x&15])
		}
		return retBytes(arena, b), nil
	})})
}

func init() {
	gcd := func(a, b int64) int64 {
		for b != 0 {
			a, b = b, a%b
		}
		if a < 0 {
			a = -a
		}
		return a
	}
	for _, t := range []types.T{tI4, tI8} {
		t := t
		limit := int64(math.MaxInt64)
		if t.Family == types.Int32 {
			limit = math.MaxInt32
		}
		reg("gcd", sig(t, t), t, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			x, y := a[0].I, a[1].I
			if (x == math.MinInt64 || y == math.MinInt64) || (t.Family == types.Int32 && (x == math.MinInt32 || y == math.MinInt32)) {
				if gcd(x, y) > limit || x == -limit-1 && (y == 0 || y == x) {
					return types.Null, types.Errorf(types.CodeNumericOutOfRange, "%s out of range", t)
				}
			}
			return types.NewInt(gcd(x, y)), nil
		}))
		reg("lcm", sig(t, t), t, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			x, y := a[0].I, a[1].I
			if x == 0 || y == 0 {
				return types.NewInt(0), nil
			}
			g := gcd(x, y)
			q := x / g
			r := q * y
			if r/y != q || r > limit || r < -limit {
				return types.Null, types.Errorf(types.CodeNumericOutOfRange, "%s out of range", t)
			}
			if r < 0 {
				r = -r
			}
			return types.NewInt(r), nil
		}))
	}
	reg("factorial", sig(tI8), tNum, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		n := a[0].I
		if n < 0 {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "factorial of a negative number is undefined")
		}
		if n > 1000 {
			return types.Null, types.Errorf(types.CodeNumericOutOfRange, "value overflows numeric format")
		}
		var r apd.Decimal
		r.SetInt64(1)
		ctx := apd.BaseContext.WithPrecision(10000)
		for i := int64(2); i <= n; i++ {
			var m apd.Decimal
			m.SetInt64(i)
			if _, err := ctx.Mul(&r, &r, &m); err != nil {
				return types.Null, err
			}
		}
		return types.NewDecimal(&r), nil
	}))
}
