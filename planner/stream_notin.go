package planner

import (
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// buildNotIn compiles the null-aware anti join of x NOT IN (subquery)
// (decorrelate puts the comparison x = y last in Conds, after any
// correlation conditions C) as two ordinary anti joins:
//
//	Anti( Anti(L, R, x = y AND C),
//	      Distinct(Project(R, [y IS NULL, columns of R in C])),
//	      C' AND (ind.y_is_null OR x IS NULL) )
//
// The first join drops the rows of L that equal a value of the subquery.
// SQL's three-valued NOT IN is then not true in two more cases, which the
// second join removes: the subquery has a NULL (whatever x is), or x is
// NULL and the subquery is not empty. The indicator relation holds at most
// one row per (y IS NULL, correlation values), so it changes only when the
// subquery goes from empty to non-empty or a NULL appears in it or leaves
// it: only then does the second join revisit the rows of L, and a delete
// of the subquery's last NULL brings every row back. L is built once; R
// twice (its operators' state is kept twice).
func (sb *streamBuilder) buildNotIn(j *Join, parent *StreamNode, port int) error {
	nl, nr := len(j.L.Schema()), len(j.R.Schema())
	if len(j.Conds) == 0 {
		return notIncremental("NOT IN over a subquery without its comparison")
	}
	jconds := nameRefs(j.Conds, append(append([]Column(nil), j.L.Schema()...), j.R.Schema()...))
	eq := jconds[len(jconds)-1]
	corr := jconds[:len(jconds)-1]
	name, args, ok := callParts(eq)
	if !ok || name != "=" || len(args) != 2 || !allIn(colsOf(args[0]), 0, nl) || !allIn(colsOf(args[1]), nl, nl+nr) {
		return notIncremental("this form of NOT IN over a subquery")
	}
	x := args[0]
	y := shift(args[1], func(i int) int { return i - nl })

	// The indicator: y IS NULL, then the subquery's columns C reads.
	var rcols []int
	seen := map[int]bool{}
	for _, c := range corr {
		for _, i := range colsOf(c) {
			if i >= nl && !seen[i] {
				seen[i] = true
				rcols = append(rcols, i)
			}
		}
	}
	sort.Ints(rcols)
	rs := j.R.Schema()
	exprs := []exec.Expr{mkIsNull(y, false)}
	cols := []Column{{Name: "subquery_is_null", Type: types.TBool}}
	pos := map[int]int{}
	for k, i := range rcols {
		c := rs[i-nl]
		exprs = append(exprs, &exec.ColRef{Idx: i - nl, Typ: c.Type, Name: c.Name})
		cols = append(cols, c)
		pos[i] = nl + 1 + k
	}
	ind := &Distinct{In: &Project{In: j.R, Exprs: exprs, Cols: cols}}
	var conds []exec.Expr
	for _, c := range corr {
		conds = append(conds, shift(c, func(i int) int {
			if i >= nl {
				return pos[i]
			}
			return i
		}))
	}
	conds = append(conds, mkOr([]exec.Expr{
		&exec.ColRef{Idx: nl, Typ: types.TBool, Name: "subquery_is_null"},
		mkIsNull(x, false),
	}))
	matched := &Join{Kind: JoinAnti, L: j.L, R: j.R, Conds: jconds}
	return sb.buildJoin(&Join{Kind: JoinAnti, L: matched, R: ind, Conds: conds}, parent, port)
}

// nameRefs names the unnamed column references of es (decorrelate's
// reference to the subquery's column has none) after cols, for EXPLAIN.
func nameRefs(es []exec.Expr, cols []Column) []exec.Expr {
	out := make([]exec.Expr, len(es))
	for i, e := range es {
		out[i] = scalar.Rewrite(e, func(x exec.Expr) exec.Expr {
			if c, ok := x.(*exec.ColRef); ok && c.Name == "" && c.Idx < len(cols) {
				return &exec.ColRef{Idx: c.Idx, Typ: c.Typ, Name: qualName(cols[c.Idx].Table, cols[c.Idx].Name)}
			}
			return x
		})
	}
	return out
}

// notInConjunct returns the subquery and its negation if c is
// x NOT IN (subquery) (or NOT (x IN (subquery))) that the binder left in
// a WHERE clause because it is correlated.
func (sb *streamBuilder) notInConjunct(c exec.Expr) (*scalar.Subquery, *subInfo, bool) {
	outerNot := false
	if n, ok := c.(*scalar.Not); ok {
		c, outerNot = n.Arg, true
	}
	sq, ok := c.(*scalar.Subquery)
	if !ok || sq.Kind != scalar.SubIn || sq.Negate == outerNot || len(sq.Outer) == 0 {
		return nil, nil, false
	}
	info := sb.subs[c]
	if info == nil || info.kind != subIn {
		return nil, nil, false
	}
	return sq, info, outerNot
}

// hasNotIn reports whether conds hold a conjunct notInConjunct accepts.
func (sb *streamBuilder) hasNotIn(conds []exec.Expr) bool {
	for _, c := range conds {
		if sq, _, _ := sb.notInConjunct(c); sq != nil {
			return true
		}
	}
	return false
}

// decorrelateNotIn turns the correlated NOT IN conjuncts of conds (over
// in's columns) into null-aware anti joins of in, which buildNotIn
// compiles with the exact NULL semantics, and returns the new input and
// the other conjuncts. The subquery's outer values and tested operand are
// taken from the expression itself: the optimizer may have remapped them
// since binding.
func (sb *streamBuilder) decorrelateNotIn(in Node, conds []exec.Expr) (Node, []exec.Expr) {
	var rest []exec.Expr
	for _, c := range conds {
		sq, info, outerNot := sb.notInConjunct(c)
		if sq != nil {
			if j := decorrelateSub(in, info, sq.Outer, sq.Test, outerNot, true); j != nil {
				in = j
				continue
			}
		}
		rest = append(rest, c)
	}
	return in, rest
}
