package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// ColRef reads column Idx of the input chunk.
type ColRef struct {
	Idx  int
	Typ  types.T
	Name string // for EXPLAIN only
}

func (e *ColRef) Type() types.T { return e.Typ }

func (e *ColRef) Eval(_ *EvalCtx, c *Chunk) (*Vec, error) { return c.Cols[e.Idx], nil }

func (e *ColRef) String() string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprintf("#%d", e.Idx)
}

// Const is a constant value.
type Const struct {
	Val types.Datum
	Typ types.T
	vec *Vec
}

func (e *Const) Type() types.T { return e.Typ }

// Eval returns a vector holding the constant in every row. The vector is
// cached and grown as needed; it is never modified otherwise.
func (e *Const) Eval(_ *EvalCtx, c *Chunk) (*Vec, error) {
	if e.vec == nil || e.vec.Len() < c.N {
		v := NewVec(e.Typ, c.N)
		for i := 0; i < c.N; i++ {
			v.Set(i, e.Val)
		}
		e.vec = v
	}
	if e.vec.Len() == c.N {
		return e.vec, nil
	}
	// A shorter view of the cached vector: same backing arrays, length c.N.
	return e.vec.Slice(c.N), nil
}

func (e *Const) String() string {
	if e.Val.Null {
		return "NULL"
	}
	return string(types.AppendText(nil, e.Typ, e.Val))
}
