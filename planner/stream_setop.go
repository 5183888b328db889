package planner

import (
	"fmt"

	"github.com/streamsql/streamsql/exec/stream"
)

// buildSetOp compiles INTERSECT [ALL] and EXCEPT [ALL] into one SetOp
// operator that counts each distinct row on both sides: the output
// multiplicity is a function of the two counts (see stream.SetOp), so a
// delete on either side retracts exactly what it must. The binder has
// already cast both sides to the set operation's column types.
func (sb *streamBuilder) buildSetOp(x *SetOp, parent *StreamNode, port int) error {
	kind := stream.Intersect
	if x.Kind == SetExcept {
		kind = stream.Except
	}
	id, err := sb.alloc()
	if err != nil {
		return err
	}
	name := kind.String()
	if x.All {
		name += " ALL"
	}
	op := stream.NewSetOp(id, colTypes(x.Cols), kind, x.All)
	nd := sb.attach(op, fmt.Sprintf("SetOp %s (state %d, distribution: whole row, output: retract)", name, id), id, parent, port)
	if err := sb.build(x.L, nd, 0); err != nil {
		return err
	}
	return sb.build(x.R, nd, 1)
}
