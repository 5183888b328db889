package planner

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// Correlated scalar subqueries as joins and aggregates.
//
// A scalar subquery whose plan is
//
//	Project(e over the aggregates) ← Aggregate(no GROUP BY) ← Filter(X, conds)
//
// where the enclosing row is read only by conditions of its WHERE (the
// correlation; X itself and the aggregate arguments read no outer value)
// yields, for an outer row o, e over the aggregates of the X rows
// matching the correlation for o. When the outer rows are distinct (a key
// of base-table primary keys, see distinctRows), that is
//
//	Project(e) ← Aggregate(GROUP BY all outer columns;
//	                       aggs FILTER (WHERE matched)) ←
//	    LEFT JOIN(outer, Project(X', matched = true), correlation)
//
// The LEFT JOIN keeps outer rows without matches (their group has only a
// null-extended row, which FILTER (WHERE matched) discards, so count gives
// 0 and the other aggregates NULL, as over an empty input), and grouping
// by all outer columns yields one row per outer row because they are
// distinct. Batch queries run one join instead of one subquery per row,
// and materialized views maintain the join and aggregate incrementally.

// scalarDecorr is the analysed form of one rewritable subquery.
type scalarDecorr struct {
	sq    *scalar.Subquery
	info  *subInfo
	top   exec.Expr // over agg's output (its aggregates), may read outer values
	typ   types.T
	agg   *Aggregate
	right Node        // X with the uncorrelated conditions
	corr  []exec.Expr // the correlation, over X's columns and OuterRefs
}

// decorrelateScalars rewrites the correlated scalar subqueries of exprs
// (expressions over in's columns, whose subqueries' outer values are
// expressions over in's columns too) that it can into joins and
// aggregates. It returns the new input — in's columns followed by extra
// ones — and exprs over it; in and exprs themselves when nothing applies.
func (b *Binder) decorrelateScalars(in Node, exprs []exec.Expr) (Node, []exec.Expr) {
	if len(b.subs) == 0 {
		return in, exprs
	}
	var found []*scalarDecorr
	seen := map[*scalar.Subquery]bool{}
	for _, e := range exprs {
		scalar.Walk(e, func(x exec.Expr) bool {
			sq, ok := x.(*scalar.Subquery)
			if !ok || seen[sq] {
				return true
			}
			seen[sq] = true
			if d := b.analyseScalar(sq); d != nil {
				found = append(found, d)
			}
			return true
		})
	}
	if len(found) == 0 || !distinctRows(in) {
		return in, exprs
	}
	node := in
	nin := len(in.Schema())
	repl := map[exec.Expr]exec.Expr{}
	for _, d := range found {
		var col exec.Expr
		node, col = joinScalar(node, nin, d)
		repl[d.sq] = col
	}
	out := make([]exec.Expr, len(exprs))
	for i, e := range exprs {
		out[i] = scalar.Rewrite(e, func(x exec.Expr) exec.Expr {
			if r, ok := repl[x]; ok {
				return r
			}
			return x
		})
	}
	return node, out
}

// decorrelateWhere applies decorrelateScalars to the WHERE conjuncts
// conds over in: the conjuncts without rewritten subqueries filter in
// first; the plan returned has in's columns.
func (b *Binder) decorrelateWhere(in Node, conds []exec.Expr) Node {
	var plain, withSub []exec.Expr
	for _, c := range conds {
		hasSub := false
		scalar.Walk(c, func(x exec.Expr) bool {
			if sq, ok := x.(*scalar.Subquery); ok && b.analyseScalar(sq) != nil {
				hasSub = true
			}
			return !hasSub
		})
		if hasSub {
			withSub = append(withSub, c)
		} else {
			plain = append(plain, c)
		}
	}
	if len(withSub) == 0 {
		return withFilter(in, conds)
	}
	below := withFilter(in, plain)
	node, rw := b.decorrelateScalars(below, withSub)
	if node == below {
		return withFilter(in, conds)
	}
	cols := in.Schema()
	keep := make([]exec.Expr, len(cols))
	for i, c := range cols {
		keep[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
	}
	return &Project{In: &Filter{In: node, Conds: rw}, Exprs: keep, Cols: cols}
}

// analyseScalar returns how to rewrite sq, or nil when it does not have
// the supported shape.
func (b *Binder) analyseScalar(sq *scalar.Subquery) *scalarDecorr {
	if sq.Kind == scalar.SubExists {
		return b.analyseExists(sq)
	}
	if sq.Kind != scalar.SubScalar || len(sq.Outer) == 0 {
		return nil
	}
	info := b.subs[sq]
	if info == nil || info.kind != subScalar || len(info.outer) != len(sq.Outer) {
		return nil
	}
	top, ok := info.root.(*Project)
	if !ok || len(top.Exprs) != 1 {
		return nil
	}
	typ := top.Cols[0].Type
	if typ.Family == types.Unknown || top.Exprs[0].Type() != typ || sq.Typ != typ {
		return nil
	}
	agg, ok := top.In.(*Aggregate)
	if !ok || len(agg.Groups) != 0 || len(agg.Aggs) == 0 {
		return nil
	}
	for _, a := range agg.Aggs {
		if !orderFreeAgg[a.Name] || exprsHaveOuter(a.Args) || !safeExprs(a.Args) {
			return nil
		}
		if a.Filter != nil && (exprHasOuter(a.Filter) || !safeExpr(a.Filter)) {
			return nil
		}
	}
	if !safeExpr(top.Exprs[0]) {
		return nil
	}
	below := agg.In
	var corr, keep []exec.Expr
	if f, ok := below.(*Filter); ok {
		for _, c := range f.Conds {
			if exprHasOuter(c) {
				corr = append(corr, c)
			} else {
				keep = append(keep, c)
			}
		}
		below = f.In
	}
	if len(corr) == 0 || planHasOuter(below) || !safeExprs(corr) || !safeExprs(keep) || !safeInput(below) {
		return nil
	}
	return &scalarDecorr{sq: sq, info: info, top: top.Exprs[0], typ: typ, agg: agg, right: withFilter(below, keep), corr: corr}
}

// analyseExists handles a correlated [NOT] EXISTS that WHERE did not turn
// into a semi or anti join (one under OR, CASE or in the select list) as
// the scalar subquery (SELECT count(*) ... ) > 0 (= 0 for NOT EXISTS).
func (b *Binder) analyseExists(sq *scalar.Subquery) *scalarDecorr {
	if len(sq.Outer) == 0 || sq.Test != nil {
		return nil
	}
	info := b.subs[sq]
	if info == nil || info.kind != subExists || len(info.outer) != len(sq.Outer) || info.negate != sq.Negate {
		return nil
	}
	top, ok := info.root.(*Project)
	if !ok {
		return nil
	}
	f, ok := top.In.(*Filter)
	if !ok {
		return nil
	}
	var corr, keep []exec.Expr
	for _, c := range f.Conds {
		if exprHasOuter(c) {
			corr = append(corr, c)
		} else {
			keep = append(keep, c)
		}
	}
	if len(corr) == 0 || planHasOuter(f.In) || !safeExprs(corr) || !safeExprs(keep) || !safeInput(f.In) {
		return nil
	}
	agg := &Aggregate{
		Aggs: []AggCall{{Name: "count", Ret: types.TInt8}},
		Cols: []Column{{Name: "count", Type: types.TInt8}},
	}
	op := ">"
	if sq.Negate {
		op = "="
	}
	cmp, err := resolveAndCall(op, &exec.ColRef{Idx: 0, Typ: types.TInt8, Name: "count"}, &exec.Const{Val: types.NewInt(0), Typ: types.TInt8})
	if err != nil || cmp.Type() != types.TBool || sq.Typ != types.TBool {
		return nil
	}
	return &scalarDecorr{sq: sq, info: info, top: cmp, typ: types.TBool, agg: agg, right: withFilter(f.In, keep), corr: corr}
}

// joinScalar joins node (whose first nin columns are the outer row the
// subquery's outer values refer to; its rows are distinct) with d's
// subquery and returns the plan — node's columns plus the subquery's
// value — and a reference to that value.
func joinScalar(node Node, nin int, d *scalarDecorr) (Node, exec.Expr) {
	lcols := node.Schema()
	nl := len(lcols)
	rcols := d.right.Schema()
	nr := len(rcols)
	// The right side with a never-null "matched" marker.
	rexprs := make([]exec.Expr, 0, nr+1)
	for i, c := range rcols {
		rexprs = append(rexprs, &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name})
	}
	rexprs = append(rexprs, &exec.Const{Val: types.NewBool(true), Typ: types.TBool})
	rc := append(append([]Column(nil), rcols...), Column{Name: "?matched?", Type: types.TBool})
	right := &Project{In: d.right, Exprs: rexprs, Cols: rc}
	outerVal := func(k int) exec.Expr { return d.info.outer[k] }
	var conds []exec.Expr
	for _, c := range d.corr {
		conds = append(conds, scalar.Rewrite(c, func(x exec.Expr) exec.Expr {
			switch y := x.(type) {
			case *exec.ColRef:
				return &exec.ColRef{Idx: y.Idx + nl, Typ: y.Typ, Name: y.Name}
			case *scalar.OuterRef:
				return outerVal(y.Idx)
			}
			return x
		}))
	}
	join := &Join{Kind: JoinLeft, L: node, R: right, Conds: conds}
	matched := &exec.ColRef{Idx: nl + nr, Typ: types.TBool, Name: "?matched?"}

	groups := make([]exec.Expr, nl)
	acols := make([]Column, 0, nl+len(d.agg.Aggs))
	for i, c := range lcols {
		groups[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
		acols = append(acols, c)
	}
	aggs := make([]AggCall, len(d.agg.Aggs))
	for i, a := range d.agg.Aggs {
		args := make([]exec.Expr, len(a.Args))
		for j, x := range a.Args {
			args[j] = shift(x, func(k int) int { return k + nl })
		}
		filter := exec.Expr(matched)
		if a.Filter != nil {
			filter = mkAnd([]exec.Expr{matched, shift(a.Filter, func(k int) int { return k + nl })})
		}
		aggs[i] = AggCall{Name: a.Name, Args: args, Distinct: a.Distinct, Filter: filter, Ret: a.Ret}
		acols = append(acols, d.agg.Cols[i])
	}
	ag := &Aggregate{In: join, Groups: groups, Aggs: aggs, Cols: acols}

	val := scalar.Rewrite(d.top, func(x exec.Expr) exec.Expr {
		switch y := x.(type) {
		case *exec.ColRef:
			return &exec.ColRef{Idx: y.Idx + nl, Typ: y.Typ, Name: y.Name}
		case *scalar.OuterRef:
			return outerVal(y.Idx)
		}
		return x
	})
	pexprs := make([]exec.Expr, 0, nl+1)
	for i := range lcols {
		pexprs = append(pexprs, groups[i])
	}
	pexprs = append(pexprs, val)
	pcols := append(append([]Column(nil), lcols...), Column{Name: "?subquery?", Type: d.typ})
	return &Project{In: ag, Exprs: pexprs, Cols: pcols}, &exec.ColRef{Idx: nl, Typ: d.typ, Name: "subquery"}
}

// orderFreeAgg lists the aggregates whose result does not depend on the
// order of their input (the join does not keep the subquery's order).
var orderFreeAgg = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true,
}

// distinctRows reports whether n's rows are pairwise distinct (NULLs
// equal), so that grouping by all its columns gives one group per row:
// n reads base tables through their primary keys (or hidden row ids).
func distinctRows(n Node) bool {
	return keyCols(n) != nil
}

// keyCols returns columns of n that identify its rows, or nil when there
// are none it can tell (an empty non-nil slice: at most one row).
func keyCols(n Node) []int {
	switch x := n.(type) {
	case *Scan:
		if x.Rel == nil || x.Rel.Kind != catalog.KindTable || len(x.Rel.PK) == 0 || len(x.Cols) != len(x.Rel.Columns) {
			return nil
		}
		return append([]int{}, x.Rel.PK...)
	case *Filter:
		return keyCols(x.In)
	case *Sort:
		return keyCols(x.In)
	case *Limit:
		return keyCols(x.In)
	case *Distinct:
		if x.On != nil {
			return keyCols(x.In)
		}
		out := make([]int, len(x.Schema()))
		for i := range out {
			out[i] = i
		}
		return out
	case *Join:
		l := keyCols(x.L)
		if l == nil {
			return nil
		}
		if x.Kind == JoinSemi || x.Kind == JoinAnti || x.Kind == JoinAntiNullAware {
			return l
		}
		r := keyCols(x.R)
		if r == nil {
			return nil
		}
		nl := len(x.L.Schema())
		for _, k := range r {
			l = append(l, k+nl)
		}
		return l
	case *Aggregate:
		out := make([]int, len(x.Groups))
		for i := range out {
			out[i] = i
		}
		return out
	case *Project:
		in := keyCols(x.In)
		if in == nil {
			return nil
		}
		out := []int{}
		for _, k := range in {
			pos := -1
			for j, e := range x.Exprs {
				if c, ok := e.(*exec.ColRef); ok && c.Idx == k {
					pos = j
					break
				}
			}
			if pos < 0 {
				return nil
			}
			out = append(out, pos)
		}
		return out
	case *Values:
		if len(x.Rows) <= 1 {
			return []int{}
		}
	}
	return nil
}

// safeInput reports whether evaluating the subquery's FROM for all outer
// rows at once raises no error the per-row evaluation would not: base
// tables, joins and filters whose conditions cannot fail.
func safeInput(n Node) bool {
	switch x := n.(type) {
	case *Scan:
		return x.Rel != nil && (x.Rel.Kind == catalog.KindTable || x.Rel.Kind == catalog.KindMaterializedView) && safeExprs(x.Filters)
	case *Filter:
		return safeExprs(x.Conds) && safeInput(x.In)
	case *Join:
		return safeExprs(x.Conds) && safeInput(x.L) && safeInput(x.R)
	}
	return false
}

func safeExprs(es []exec.Expr) bool {
	for _, e := range es {
		if !safeExpr(e) {
			return false
		}
	}
	return true
}

// safeExpr reports whether e cannot raise an error at run time (so that
// evaluating it for rows the per-row subquery would not reach — a CASE
// branch not taken — changes nothing): columns, outer values, constants,
// comparisons, boolean logic, null tests and widening numeric casts.
func safeExpr(e exec.Expr) bool {
	ok := true
	scalar.Walk(e, func(x exec.Expr) bool {
		switch y := x.(type) {
		case *exec.ColRef, *scalar.OuterRef, *exec.Const:
		case *scalar.And, *scalar.Or, *scalar.Not, *scalar.IsNull, *scalar.IsBool, *scalar.Coalesce:
		case *scalar.IsDistinct:
		case *scalar.Func:
			switch y.O.Name {
			case "=", "<>", "<", "<=", ">", ">=":
			default:
				ok = false
			}
		case *scalar.Cast:
			from, to := y.Arg.Type().Family, y.To.Family
			isInt := from == types.Int16 || from == types.Int32 || from == types.Int64
			widen := (y.Arg.Type() == y.To) ||
				(isInt && (to == types.Float64 || (to == types.Numeric && y.To.Precision == 0))) ||
				(from == types.Float32 && to == types.Float64) ||
				(from == types.Int16 && (to == types.Int32 || to == types.Int64)) ||
				(from == types.Int32 && to == types.Int64)
			if !widen {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}
