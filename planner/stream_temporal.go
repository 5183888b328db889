package planner

import (
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/types"
)

// temporalCond recognises a temporal filter conjunct: a timestamp column
// compared with now() or now() plus or minus a constant interval, the
// column on the greater side:
//
//	ts > now() - INTERVAL '1 hour'      ts >= now() - ...
//	now() - INTERVAL '1 hour' < ts      now() - ... <= ts
//
// It returns the column, whether the comparison is strict and the bound
// expression.
func temporalCond(c exec.Expr) (col int, strict bool, bound exec.Expr, ok bool) {
	name, args, isCall := callParts(c)
	if !isCall || len(args) != 2 {
		return 0, false, nil, false
	}
	colSide, boundSide := args[0], args[1]
	switch name {
	case ">", ">=":
	case "<", "<=":
		colSide, boundSide = boundSide, colSide
	default:
		return 0, false, nil, false
	}
	cr := timestampCol(colSide)
	if cr == nil || !nowBound(boundSide) {
		return 0, false, nil, false
	}
	return cr.Idx, name == ">" || name == "<", boundSide, true
}

// timestampCol returns the column e reads if it is a timestamp or
// timestamptz column, possibly cast between the two (which keeps its
// value).
func timestampCol(e exec.Expr) *exec.ColRef {
	isTS := func(t types.T) bool { return t.Family == types.Timestamp || t.Family == types.Timestamptz }
	if cast, ok := e.(*scalar.Cast); ok && isTS(cast.To) {
		e = cast.Arg
	}
	c, ok := e.(*exec.ColRef)
	if !ok || !isTS(c.Typ) {
		return nil
	}
	return c
}

// nowBound reports whether e is now(), or now() plus or minus a constant
// interval (a non-decreasing function of the current time).
func nowBound(e exec.Expr) bool {
	name, args, ok := callParts(e)
	if !ok {
		return false
	}
	if name == "now" && len(args) == 0 {
		return true
	}
	if (name != "+" && name != "-") || len(args) != 2 {
		return false
	}
	a, k := args[0], args[1]
	if name == "+" && !nowBound(a) {
		a, k = k, a
	}
	return nowBound(a) && isConstExpr(k) && k.Type().Family == types.Interval
}

// hasTemporal reports whether some conjunct is a temporal filter.
func hasTemporal(conds []exec.Expr) bool {
	for _, c := range conds {
		if _, _, _, ok := temporalCond(c); ok {
			return true
		}
	}
	return false
}

// buildTemporal compiles a Filter with temporal conjuncts (temporalCond):
// each becomes a TemporalFilter, which the engine ticks to expire rows,
// above a filter of the other conjuncts. now() anywhere else stays
// refused. ok is false when x has no temporal conjunct.
func (sb *streamBuilder) buildTemporal(x *Filter, parent *StreamNode, port int) (bool, error) {
	if !hasTemporal(x.Conds) {
		return false, nil
	}
	var rest []exec.Expr
	target, tport := parent, port
	ts := colTypes(x.In.Schema())
	for _, c := range x.Conds {
		col, strict, bound, ok := temporalCond(c)
		if !ok {
			rest = append(rest, c)
			continue
		}
		id, err := sb.alloc()
		if err != nil {
			return true, err
		}
		op := stream.NewTemporalFilter(id, ts, col, strict, bound)
		target = sb.attach(op, fmt.Sprintf("TemporalFilter %s (state %d, rows expire as now() advances, output: retract)", c.String(), id), id, target, tport)
		tport = 0
	}
	if len(rest) == 0 {
		return true, sb.build(x.In, target, tport)
	}
	return true, sb.build(&Filter{In: x.In, Conds: rest}, target, tport)
}
