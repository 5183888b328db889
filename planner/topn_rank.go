package planner

import (
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/types"
)

// buildTopNRank compiles the top-N-per-group pattern
//
//	SELECT ... FROM (SELECT ..., row_number() OVER (PARTITION BY g ORDER BY o) AS rn
//	                 FROM t) s WHERE rn <= N        (or rn < N, rn = k, k <= rn AND rn <= N)
//
// which after optimisation is a Filter whose conjuncts bound the row number
// column, directly above a Window with a single row_number() call. It becomes
// a TopN per partition (offset = lower bound - 1, limit from the upper
// bound) that also outputs the row number, followed by a filter of any
// other conjuncts. ok is false when x does not have that shape (the
// caller then compiles it normally, and the Window is rejected).
//
// Only row_number() is handled: rank() and dense_rank() give ties the same
// number, which TopN does not model. Rows that tie on the ORDER BY keys get
// numbers in the deterministic tie order TopN shares with the batch window
// operator (batch.TieKey).
func (sb *streamBuilder) buildTopNRank(x *Filter, parent *StreamNode, port int) (bool, error) {
	w, ok := x.In.(*Window)
	if !ok || len(w.Calls) != 1 || w.Calls[0].Name != "row_number" || len(w.Calls[0].OrderBy) == 0 {
		return false, nil
	}
	call := w.Calls[0]
	rnCol := len(w.In.Schema())
	lo, hi := int64(1), int64(-1) // inclusive bounds; hi < 0: none
	var rest []exec.Expr
	for _, c := range x.Conds {
		op, k, ok := rnBound(c, rnCol)
		if !ok {
			rest = append(rest, c)
			continue
		}
		switch op {
		case "<=":
		case "<":
			k--
		case "=":
			lo = max(lo, k)
		case ">=":
			lo = max(lo, k)
			continue
		case ">":
			lo = max(lo, k+1)
			continue
		}
		if hi < 0 || k < hi {
			hi = k
		}
	}
	if hi < 0 {
		return false, nil
	}
	if err := checkExprs(rest...); err != nil {
		return true, err
	}
	offset := lo - 1
	limit := max(hi-offset, 0)
	target, tport := parent, port
	if len(rest) > 0 {
		pred := mkAnd(rest)
		target = sb.attach(stream.NewFilter(pred), "Filter "+pred.String(), 0, parent, port)
		tport = 0
	}
	id, err := sb.alloc()
	if err != nil {
		return true, err
	}
	op := stream.NewTopNRank(id, colTypes(w.In.Schema()), call.PartitionBy, toSortKeys(call.OrderBy), offset, limit)
	desc := fmt.Sprintf("GroupTopN row_number offset %d limit %d group by %v (state %d)", offset, limit, call.PartitionBy, id)
	desc += windowCleanupDesc(w.In.Schema(), call.PartitionBy)
	nd := sb.attach(op, desc, id, target, tport)
	return true, sb.build(w.In, nd, 0)
}

// rnBound recognises col OP k and k OP col for an integer constant k,
// returning OP as seen from the column's side.
func rnBound(c exec.Expr, col int) (string, int64, bool) {
	name, args, ok := callParts(c)
	if !ok || len(args) != 2 {
		return "", 0, false
	}
	flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
	if _, ok := flip[name]; !ok {
		return "", 0, false
	}
	a, b := args[0], args[1]
	if !isRnCol(a, col) {
		if !isRnCol(b, col) {
			return "", 0, false
		}
		a, b = b, a
		name = flip[name]
	}
	if !isConstExpr(b) || !b.Type().IsInteger() {
		return "", 0, false
	}
	d, err := scalar.EvalConst(&exec.EvalCtx{}, b)
	if err != nil || d.Null {
		return "", 0, false
	}
	return name, d.I, true
}

func isRnCol(e exec.Expr, col int) bool {
	if c, ok := e.(*scalar.Cast); ok && c.To.IsInteger() {
		e = c.Arg
	}
	r, ok := e.(*exec.ColRef)
	return ok && r.Idx == col && r.Typ.Family == types.Int64
}
