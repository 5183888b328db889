package scalar

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// prepOut readies a node-owned output vector of type t for a chunk of n rows:
// the vector is allocated on first use, resized and its NULL bits cleared.
func prepOut(v **exec.Vec, t types.T, n int) *exec.Vec {
	o := *v
	if o == nil || o.Typ.Family.Physical() != t.Family.Physical() {
		o = exec.NewVec(t, n)
		*v = o
		return o
	}
	o.Typ = t
	o.Nulls.Reset()
	o.Resize(n)
	return o
}

// withSel returns a chunk sharing c's columns whose visible rows are sel
// (nil sel means every row). The returned chunk is scratch owned by *buf.
func withSel(buf **exec.Chunk, c *exec.Chunk, sel []int) *exec.Chunk {
	s := *buf
	if s == nil {
		s = &exec.Chunk{}
		*buf = s
	}
	s.Cols = c.Cols
	s.N = c.N
	s.Sel = sel
	s.Ops = c.Ops
	return s
}

// visible returns the visible rows of c as a slice (allocating into buf when
// the chunk has no selection).
func visible(c *exec.Chunk, buf []int) []int {
	if c.Sel != nil {
		return c.Sel
	}
	buf = buf[:0]
	for i := 0; i < c.N; i++ {
		buf = append(buf, i)
	}
	return buf
}

func errDivByZero() error { return types.Errorf(types.CodeDivisionByZero, "division by zero") }

func errOutOfRange(t types.T) error {
	switch t.Family {
	case types.Int16:
		return types.Errorf(types.CodeNumericOutOfRange, "smallint out of range")
	case types.Int32:
		return types.Errorf(types.CodeNumericOutOfRange, "integer out of range")
	case types.Int64:
		return types.Errorf(types.CodeNumericOutOfRange, "bigint out of range")
	}
	return types.Errorf(types.CodeNumericOutOfRange, "value out of range: overflow")
}

func intBounds(f types.Family) (int64, int64) {
	switch f {
	case types.Int16:
		return -1 << 15, 1<<15 - 1
	case types.Int32:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// anyNulls reports whether any vector may hold NULLs.
func anyNulls(vs []*exec.Vec) bool {
	for _, v := range vs {
		if v.Nulls.MaybeNulls {
			return true
		}
	}
	return false
}
