package scalar

import (
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Param reads statement parameter Idx (0-based; $1 is Idx 0) from
// ec.Params. The datum must already have type Typ's layout.
type Param struct {
	Idx int
	Typ types.T
	out *exec.Vec
}

// Type returns the parameter type.
func (e *Param) Type() types.T { return e.Typ }

// Eval fills the visible rows with the parameter value.
func (e *Param) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if ec == nil || e.Idx >= len(ec.Params) {
		return nil, types.Errorf(types.CodeUndefinedParameter, "there is no parameter $%d", e.Idx+1)
	}
	return fillConst(&e.out, e.Typ, ec.Params[e.Idx], c), nil
}

// String renders $n.
func (e *Param) String() string { return fmt.Sprintf("$%d", e.Idx+1) }

// OuterRef reads column Idx of the enclosing query's current row (ec.Outer)
// inside a correlated subquery.
type OuterRef struct {
	Idx int
	Typ types.T
	out *exec.Vec
}

// Type returns the column type.
func (e *OuterRef) Type() types.T { return e.Typ }

// Eval fills the visible rows with the outer value.
func (e *OuterRef) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if ec == nil || e.Idx >= len(ec.Outer) {
		return nil, types.Errorf(types.CodeInternal, "outer reference %d is not bound", e.Idx)
	}
	return fillConst(&e.out, e.Typ, ec.Outer[e.Idx], c), nil
}

// String renders outer#n.
func (e *OuterRef) String() string { return fmt.Sprintf("outer#%d", e.Idx) }

func fillConst(outp **exec.Vec, t types.T, d types.Datum, c *exec.Chunk) *exec.Vec {
	out := prepOut(outp, t, c.N)
	if d.Null || t.Family.Physical() == types.PhysNone {
		for k, n := 0, c.Len(); k < n; k++ {
			out.Nulls.SetNull(c.Row(k))
		}
		return out
	}
	for k, n := 0, c.Len(); k < n; k++ {
		out.Set(c.Row(k), d)
	}
	return out
}
