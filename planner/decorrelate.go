package planner

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
)

// subInfo is how a subquery expression was bound.
type subInfo struct {
	root   Node
	outer  []exec.Expr // values of the enclosing row the subquery reads (OuterRef k = outer[k])
	kind   subKind
	left   exec.Expr // the tested value of IN
	negate bool
}

// decorrelate turns a WHERE conjunct [NOT] EXISTS (subquery) or
// x [NOT] IN (subquery) into a semi or anti join of left with the
// subquery, when the subquery reads the outer row only through
// conditions of its own WHERE. The join replaces a per-row execution of
// the subquery with one hash join, and materialized views can maintain it.
// It returns nil when c is not such a conjunct.
func (b *Binder) decorrelate(left Node, c exec.Expr) Node {
	outerNot := false
	if n, ok := c.(*scalar.Not); ok {
		c, outerNot = n.Arg, true
	}
	info := b.subs[c]
	if info == nil {
		return nil
	}
	return decorrelateSub(left, info, info.outer, info.left, outerNot, false)
}

// decorrelateSub is decorrelate for the subquery info, with outer the
// values of the enclosing row it reads and test the left operand of IN,
// both over left's columns. outerNot negates the conjunct.
//
// A correlated NOT IN becomes a JoinAntiNullAware only when
// correlatedNotIn is set: its Conds are then the correlation followed by
// the NOT IN comparison, and only that last condition has NOT IN's NULL
// semantics. The batch engine's null-aware join treats every key as the
// NOT IN comparison, so the binder keeps the per-row subquery there; the
// stream builder, which compiles the comparison apart (buildNotIn), asks
// for the join.
func decorrelateSub(left Node, info *subInfo, outer []exec.Expr, test exec.Expr, outerNot, correlatedNotIn bool) Node {
	if info.kind != subExists && info.kind != subIn {
		return nil
	}
	negate := info.negate != outerNot
	nl := len(left.Schema())

	var right Node
	var corr []exec.Expr
	var key exec.Expr
	if !planHasOuter(info.root) {
		right = info.root
		if info.kind == subIn {
			key = &exec.ColRef{Idx: 0, Typ: info.root.Schema()[0].Type}
		}
	} else {
		if negate && info.kind == subIn && !correlatedNotIn {
			// Correlated NOT IN mixes the correlation with NULL handling of
			// the tested value; keep the per-row subquery.
			return nil
		}
		top, ok := info.root.(*Project)
		if !ok {
			return nil
		}
		below := top.In
		var keep []exec.Expr
		if f, ok := below.(*Filter); ok {
			for _, fc := range f.Conds {
				if exprHasOuter(fc) {
					corr = append(corr, fc)
				} else {
					keep = append(keep, fc)
				}
			}
			below = f.In
		}
		if planHasOuter(below) || exprsHaveOuter(keep) {
			return nil
		}
		if info.kind == subIn {
			if exprHasOuter(top.Exprs[0]) {
				return nil
			}
			key = top.Exprs[0]
		}
		right = withFilter(below, keep)
	}
	// Rewrite the correlation into join conditions over left ++ right:
	// inner columns move past the left ones; outer references become the
	// left expressions they stand for.
	var conds []exec.Expr
	for _, cc := range corr {
		conds = append(conds, scalar.Rewrite(cc, func(x exec.Expr) exec.Expr {
			switch y := x.(type) {
			case *exec.ColRef:
				return &exec.ColRef{Idx: y.Idx + nl, Typ: y.Typ, Name: y.Name}
			case *scalar.OuterRef:
				return outer[y.Idx]
			}
			return x
		}))
	}
	if info.kind == subIn {
		rk := shift(key, func(i int) int { return i + nl })
		eq, err := resolveAndCall("=", test, rk)
		if err != nil {
			return nil
		}
		conds = append(conds, eq)
	}
	kind := JoinSemi
	switch {
	case negate && info.kind == subIn:
		kind = JoinAntiNullAware
	case negate:
		kind = JoinAnti
	}
	return &Join{Kind: kind, L: left, R: right, Conds: conds}
}

// resolveAndCall builds l op r for operands of one type.
func resolveAndCall(op string, l, r exec.Expr) (exec.Expr, error) {
	o, casts, err := resolveOp(op, []exec.Expr{l, r})
	if err != nil {
		return nil, err
	}
	args, err := castArgs([]exec.Expr{l, r}, casts)
	if err != nil {
		return nil, err
	}
	return mkFunc(o, args), nil
}

func exprHasOuter(e exec.Expr) bool {
	found := false
	scalar.Walk(e, func(x exec.Expr) bool {
		if _, ok := x.(*scalar.OuterRef); ok {
			found = true
		}
		return !found
	})
	return found
}

func exprsHaveOuter(es []exec.Expr) bool {
	for _, e := range es {
		if e != nil && exprHasOuter(e) {
			return true
		}
	}
	return false
}

// planHasOuter reports whether any expression in the plan reads the
// enclosing query's row.
func planHasOuter(n Node) bool {
	switch x := n.(type) {
	case *Scan:
		return exprsHaveOuter(x.Filters)
	case *Values:
		for _, r := range x.Rows {
			if exprsHaveOuter(r) {
				return true
			}
		}
		return false
	case *TableFunc:
		return exprsHaveOuter(x.Args)
	case *Project:
		return exprsHaveOuter(x.Exprs) || planHasOuter(x.In)
	case *Filter:
		return exprsHaveOuter(x.Conds) || planHasOuter(x.In)
	case *Join:
		return exprsHaveOuter(x.Conds) || planHasOuter(x.L) || planHasOuter(x.R)
	case *Aggregate:
		if exprsHaveOuter(x.Groups) {
			return true
		}
		for _, a := range x.Aggs {
			if exprsHaveOuter(a.Args) || (a.Filter != nil && exprHasOuter(a.Filter)) {
				return true
			}
		}
		return planHasOuter(x.In)
	case *Window:
		return planHasOuter(x.In)
	case *Sort:
		return planHasOuter(x.In)
	case *Limit:
		return exprsHaveOuter([]exec.Expr{x.Count, x.Offset}) || planHasOuter(x.In)
	case *Distinct:
		return planHasOuter(x.In)
	case *SetOp:
		return planHasOuter(x.L) || planHasOuter(x.R)
	case *HopWindow:
		return planHasOuter(x.In)
	case *SessionWindow:
		return planHasOuter(x.In)
	}
	return true
}
