package scalar

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

var cmpOpNames = [...]string{"=", "<>", "<", "<=", ">", ">="}

func cmpHolds(op cmpOp, c int) bool {
	switch op {
	case opEQ:
		return c == 0
	case opNE:
		return c != 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	}
	return c >= 0
}

// floatCmp orders floats as PostgreSQL does: NaN equals NaN and is greater
// than every other value.
func floatCmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

// decCmp orders decimals with NaN equal to itself and above every number.
func decCmp(a, b *apd.Decimal) int {
	an, bn := a.Form == apd.NaN || a.Form == apd.NaNSignaling, b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// compareRows orders row i of a and row j of b, both non-NULL and of the
// same physical layout.
func compareRows(a *exec.Vec, i int, b *exec.Vec, j int) int {
	switch a.Typ.Family.Physical() {
	case types.PhysBool:
		return boolCmp(a.Bool[i], b.Bool[j])
	case types.PhysInt:
		x, y := a.Int[i], b.Int[j]
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case types.PhysFloat:
		return floatCmp(a.Float[i], b.Float[j])
	case types.PhysDecimal:
		return decCmp(&a.Dec[i], &b.Dec[j])
	case types.PhysBytes:
		return bytes.Compare(a.Bytes[i], b.Bytes[j])
	case types.PhysInterval:
		return types.CompareInterval(a.Iv[i], b.Iv[j])
	}
	return 0
}

// compareDatums orders two non-NULL datums of physical layout p.
func compareDatums(p types.Physical, a, b *types.Datum) int {
	switch p {
	case types.PhysBool:
		return boolCmp(a.B, b.B)
	case types.PhysInt:
		switch {
		case a.I < b.I:
			return -1
		case a.I > b.I:
			return 1
		}
		return 0
	case types.PhysFloat:
		return floatCmp(a.F, b.F)
	case types.PhysDecimal:
		return decCmp(&a.D, &b.D)
	case types.PhysBytes:
		return bytes.Compare(a.S, b.S)
	case types.PhysInterval:
		return types.CompareInterval(a.Iv, b.Iv)
	}
	return 0
}

// appendKey appends a byte key of row i of v such that two rows have equal
// keys exactly when they compare equal (for hash sets).
func appendKey(buf []byte, v *exec.Vec, i int) []byte {
	return appendDatumKey(buf, v.Typ.Family.Physical(), v.Get(i))
}

func appendDatumKey(buf []byte, p types.Physical, d types.Datum) []byte {
	switch p {
	case types.PhysBool:
		if d.B {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.PhysInt:
		return binary.LittleEndian.AppendUint64(buf, uint64(d.I))
	case types.PhysFloat:
		f := d.F
		if f == 0 {
			f = 0
		}
		if f != f {
			f = math.NaN()
		}
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
	case types.PhysDecimal:
		if d.D.Form == apd.NaN || d.D.Form == apd.NaNSignaling {
			return append(buf, "NaN"...)
		}
		var r apd.Decimal
		r.Reduce(&d.D)
		if r.IsZero() {
			return append(buf, '0')
		}
		return append(buf, r.String()...)
	case types.PhysBytes:
		return append(buf, d.S...)
	case types.PhysInterval:
		iv := d.Iv
		days := int64(iv.Months)*30 + int64(iv.Days)
		us := iv.Micros
		days += floorDivI(us, types.MicrosPerDay)
		us -= floorDivI(us, types.MicrosPerDay) * types.MicrosPerDay
		buf = binary.LittleEndian.AppendUint64(buf, uint64(days))
		return binary.LittleEndian.AppendUint64(buf, uint64(us))
	}
	return buf
}

func floorDivI(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// cmpInt64 is the vectorized comparison of two int64 slices over the
// visible rows of c.
func cmpInt64(op cmpOp, a, b []int64, out []bool, c *exec.Chunk) {
	if c.Sel == nil {
		n := c.N
		a, b, out = a[:n], b[:n], out[:n]
		switch op {
		case opEQ:
			for i := range out {
				out[i] = a[i] == b[i]
			}
		case opNE:
			for i := range out {
				out[i] = a[i] != b[i]
			}
		case opLT:
			for i := range out {
				out[i] = a[i] < b[i]
			}
		case opLE:
			for i := range out {
				out[i] = a[i] <= b[i]
			}
		case opGT:
			for i := range out {
				out[i] = a[i] > b[i]
			}
		case opGE:
			for i := range out {
				out[i] = a[i] >= b[i]
			}
		}
		return
	}
	switch op {
	case opEQ:
		for _, i := range c.Sel {
			out[i] = a[i] == b[i]
		}
	case opNE:
		for _, i := range c.Sel {
			out[i] = a[i] != b[i]
		}
	case opLT:
		for _, i := range c.Sel {
			out[i] = a[i] < b[i]
		}
	case opLE:
		for _, i := range c.Sel {
			out[i] = a[i] <= b[i]
		}
	case opGT:
		for _, i := range c.Sel {
			out[i] = a[i] > b[i]
		}
	case opGE:
		for _, i := range c.Sel {
			out[i] = a[i] >= b[i]
		}
	}
}

// cmpFloat64 compares floats with PostgreSQL's NaN ordering; the common
// NaN-free case stays a tight loop.
func cmpFloat64(op cmpOp, a, b []float64, out []bool, c *exec.Chunk) {
	n := c.Len()
	for k := 0; k < n; k++ {
		i := k
		if c.Sel != nil {
			i = c.Sel[k]
		}
		x, y := a[i], b[i]
		if x == x && y == y {
			switch op {
			case opEQ:
				out[i] = x == y
			case opNE:
				out[i] = x != y
			case opLT:
				out[i] = x < y
			case opLE:
				out[i] = x <= y
			case opGT:
				out[i] = x > y
			case opGE:
				out[i] = x >= y
			}
			continue
		}
		out[i] = cmpHolds(op, floatCmp(x, y))
	}
}

func cmpGeneric[T any](op cmpOp, a, b []T, out []bool, c *exec.Chunk, f func(x, y *T) int) {
	n := c.Len()
	for k := 0; k < n; k++ {
		i := k
		if c.Sel != nil {
			i = c.Sel[k]
		}
		out[i] = cmpHolds(op, f(&a[i], &b[i]))
	}
}

func cmpKernel(op cmpOp, p types.Physical) KernelFn {
	switch p {
	case types.PhysInt:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpInt64(op, args[0].Int, args[1].Int, out.Bool, c)
			return nil
		}
	case types.PhysFloat:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpFloat64(op, args[0].Float, args[1].Float, out.Bool, c)
			return nil
		}
	case types.PhysBool:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpGeneric(op, args[0].Bool, args[1].Bool, out.Bool, c, func(x, y *bool) int { return boolCmp(*x, *y) })
			return nil
		}
	case types.PhysDecimal:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpGeneric(op, args[0].Dec, args[1].Dec, out.Bool, c, decCmp)
			return nil
		}
	case types.PhysBytes:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpGeneric(op, args[0].Bytes, args[1].Bytes, out.Bool, c, func(x, y *[]byte) int { return bytes.Compare(*x, *y) })
			return nil
		}
	case types.PhysInterval:
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			cmpGeneric(op, args[0].Iv, args[1].Iv, out.Bool, c, func(x, y *types.IntervalValue) int { return types.CompareInterval(*x, *y) })
			return nil
		}
	}
	panic("scalar: no comparison kernel")
}

func init() {
	fams := []types.T{types.TBool, types.TInt2, types.TInt4, types.TInt8, types.TFloat4, types.TFloat8,
		types.TNumeric, types.TText, types.TBytea, types.TDate, types.TTime, types.TTimestamp,
		types.TTimestamptz, types.TInterval, types.TJsonb}
	for op := opEQ; op <= opGE; op++ {
		for _, t := range fams {
			reg(cmpOpNames[op], []types.T{t, t}, types.TBool, cmpKernel(op, t.Family.Physical()))
		}
		// Cross-type float comparisons, as PostgreSQL's float48/float84.
		reg(cmpOpNames[op], []types.T{types.TFloat4, types.TFloat8}, types.TBool, cmpKernel(op, types.PhysFloat))
		reg(cmpOpNames[op], []types.T{types.TFloat8, types.TFloat4}, types.TBool, cmpKernel(op, types.PhysFloat))
	}
}

// MakeCompare builds `l op r` for a comparison operator name ("=", "<>",
// "<", "<=", ">", ">="), resolving the operator and inserting casts.
func MakeCompare(op string, l, r exec.Expr) (exec.Expr, error) {
	return MakeCall(op, l, r)
}

// MakeCall resolves name for the argument types and returns the call with
// the casts Resolve asks for.
func MakeCall(name string, args ...exec.Expr) (exec.Expr, error) {
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	o, castTo, err := Resolve(name, ts)
	if err != nil {
		return nil, err
	}
	cargs := make([]exec.Expr, len(args))
	for i, a := range args {
		if castTo[i].Family != ts[i].Family {
			cargs[i] = NewCast(a, castTo[i])
		} else {
			cargs[i] = a
		}
	}
	return NewFunc(o, cargs), nil
}
