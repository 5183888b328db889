package scalar

import (
	"math"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

type arithOp uint8

const (
	aAdd arithOp = iota
	aSub
	aMul
	aDiv
	aMod
)

var arithNames = [...]string{"+", "-", "*", "/", "%"}

// intArith is the vectorized kernel of an integer operator whose result
// family is rt (range-checked against rt; int8 overflow detected exactly).
func intArith(op arithOp, rt types.T) KernelFn {
	lo, hi := intBounds(rt.Family)
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, b, o := args[0].Int, args[1].Int, out.Int
		bad := false
		switch op {
		case aAdd:
			if c.Sel == nil {
				n := c.N
				a, b, o = a[:n], b[:n], o[:n]
				for i := range o {
					r := a[i] + b[i]
					bad = bad || ((a[i]^r)&(b[i]^r)) < 0 || r < lo || r > hi
					o[i] = r
				}
			} else {
				for _, i := range c.Sel {
					r := a[i] + b[i]
					bad = bad || ((a[i]^r)&(b[i]^r)) < 0 || r < lo || r > hi
					o[i] = r
				}
			}
		case aSub:
			if c.Sel == nil {
				n := c.N
				a, b, o = a[:n], b[:n], o[:n]
				for i := range o {
					r := a[i] - b[i]
					bad = bad || ((a[i]^b[i])&(a[i]^r)) < 0 || r < lo || r > hi
					o[i] = r
				}
			} else {
				for _, i := range c.Sel {
					r := a[i] - b[i]
					bad = bad || ((a[i]^b[i])&(a[i]^r)) < 0 || r < lo || r > hi
					o[i] = r
				}
			}
		case aMul:
			for k, n := 0, c.Len(); k < n; k++ {
				i := k
				if c.Sel != nil {
					i = c.Sel[k]
				}
				x, y := a[i], b[i]
				r := x * y
				if x > math.MaxInt32 || x < math.MinInt32 || y > math.MaxInt32 || y < math.MinInt32 {
					if x != 0 && (r/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64)) {
						bad = true
					}
				}
				bad = bad || r < lo || r > hi
				o[i] = r
			}
		case aDiv, aMod:
			for k, n := 0, c.Len(); k < n; k++ {
				i := k
				if c.Sel != nil {
					i = c.Sel[k]
				}
				x, y := a[i], b[i]
				if y == 0 {
					return errDivByZero()
				}
				if y == -1 {
					// avoid the MinInt64 / -1 trap
					if op == aMod {
						o[i] = 0
						continue
					}
					if x == math.MinInt64 || -x > hi {
						return errOutOfRange(rt)
					}
					o[i] = -x
					continue
				}
				if op == aDiv {
					o[i] = x / y
				} else {
					o[i] = x % y
				}
			}
		}
		if bad {
			return errOutOfRange(rt)
		}
		return nil
	}
}

func errFloatOverflow() error {
	return types.Errorf(types.CodeNumericOutOfRange, "value out of range: overflow")
}

func errFloatUnderflow() error {
	return types.Errorf(types.CodeNumericOutOfRange, "value out of range: underflow")
}

// floatArith is the kernel of a float operator; f32 rounds results to real.
func floatArith(op arithOp, f32 bool) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, b, o := args[0].Float, args[1].Float, out.Float
		for k, n := 0, c.Len(); k < n; k++ {
			i := k
			if c.Sel != nil {
				i = c.Sel[k]
			}
			x, y := a[i], b[i]
			var r float64
			switch op {
			case aAdd:
				r = x + y
			case aSub:
				r = x - y
			case aMul:
				r = x * y
			case aDiv:
				if y == 0 && x == x {
					return errDivByZero()
				}
				r = x / y
			}
			if f32 {
				r = float64(float32(r))
			}
			if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
				return errFloatOverflow()
			}
			if r == 0 && ((op == aMul && x != 0 && y != 0) || (op == aDiv && x != 0 && !math.IsInf(y, 0))) {
				return errFloatUnderflow()
			}
			o[i] = r
		}
		return nil
	}
}

func intNeg(rt types.T) KernelFn {
	lo, hi := intBounds(rt.Family)
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, o := args[0].Int, out.Int
		for k, n := 0, c.Len(); k < n; k++ {
			i := c.Row(k)
			x := a[i]
			if x == math.MinInt64 || -x < lo || -x > hi {
				return errOutOfRange(rt)
			}
			o[i] = -x
		}
		return nil
	}
}

func identity(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
	for k, n := 0, c.Len(); k < n; k++ {
		i := c.Row(k)
		out.CopyRow(i, args[0], i)
	}
	return nil
}

type bitOp uint8

const (
	bAnd bitOp = iota
	bOr
	bXor
	bShl
	bShr
)

func intBits(op bitOp, rt types.T) KernelFn {
	bitsW := uint(intWidth(rt.Family) * 8)
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, b, o := args[0].Int, args[1].Int, out.Int
		for k, n := 0, c.Len(); k < n; k++ {
			i := c.Row(k)
			x, y := a[i], b[i]
			switch op {
			case bAnd:
				o[i] = x & y
			case bOr:
				o[i] = x | y
			case bXor:
				o[i] = x ^ y
			case bShl, bShr:
				// PostgreSQL shifts by the count modulo the width (C
				// semantics on x86) and truncates to the type's width.
				s := uint(y) % bitsW
				var r int64
				if op == bShl {
					r = x << s
				} else {
					r = x >> s
				}
				switch rt.Family {
				case types.Int16:
					r = int64(int16(r))
				case types.Int32:
					r = int64(int32(r))
				}
				o[i] = r
			}
		}
		return nil
	}
}

func init() {
	ints := []types.T{types.TInt2, types.TInt4, types.TInt8}
	for _, t := range ints {
		for op := aAdd; op <= aMod; op++ {
			reg(arithNames[op], []types.T{t, t}, t, intArith(op, t))
		}
		reg("u-", []types.T{t}, t, intNeg(t))
		reg("u+", []types.T{t}, t, identity)
		reg("&", []types.T{t, t}, t, intBits(bAnd, t))
		reg("|", []types.T{t, t}, t, intBits(bOr, t))
		reg("#", []types.T{t, t}, t, intBits(bXor, t))
		reg("<<", []types.T{t, types.TInt4}, t, intBits(bShl, t))
		reg(">>", []types.T{t, types.TInt4}, t, intBits(bShr, t))
		reg("~", []types.T{t}, t, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			for k, n := 0, c.Len(); k < n; k++ {
				i := c.Row(k)
				out.Int[i] = ^args[0].Int[i]
			}
			return nil
		})
		reg("mod", []types.T{t, t}, t, intArith(aMod, t))
	}
	for op := aAdd; op <= aDiv; op++ {
		reg(arithNames[op], []types.T{types.TFloat4, types.TFloat4}, types.TFloat4, floatArith(op, true))
		reg(arithNames[op], []types.T{types.TFloat8, types.TFloat8}, types.TFloat8, floatArith(op, false))
		reg(arithNames[op], []types.T{types.TFloat4, types.TFloat8}, types.TFloat8, floatArith(op, false))
		reg(arithNames[op], []types.T{types.TFloat8, types.TFloat4}, types.TFloat8, floatArith(op, false))
	}
	for _, t := range []types.T{types.TFloat4, types.TFloat8} {
		reg("u-", []types.T{t}, t, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			for k, n := 0, c.Len(); k < n; k++ {
				i := c.Row(k)
				out.Float[i] = -args[0].Float[i]
			}
			return nil
		})
		reg("u+", []types.T{t}, t, identity)
	}
}
