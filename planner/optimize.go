package planner

import (
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
)

// Optimize applies the rewrite rules: filters are pushed down to the scans
// and joins they constrain, and trees of inner joins are reordered greedily
// so that every join has an equality condition where one exists and the
// smallest relations are joined first.
func Optimize(n Node, rows func(*Scan) int64) Node {
	o := &optimizer{rows: rows}
	return o.push(n, nil)
}

type optimizer struct {
	rows func(*Scan) int64
}

// colsOf returns the input column indexes e reads (ColRefs only; outer
// references are constants here).
func colsOf(e exec.Expr) []int {
	var out []int
	scalar.Walk(e, func(x exec.Expr) bool {
		if c, ok := x.(*exec.ColRef); ok {
			out = append(out, c.Idx)
		}
		return true
	})
	return out
}

func allIn(cols []int, lo, hi int) bool {
	for _, c := range cols {
		if c < lo || c >= hi {
			return false
		}
	}
	return true
}

// shift remaps ColRef indexes through f.
func shift(e exec.Expr, f func(int) int) exec.Expr {
	return scalar.Rewrite(e, func(x exec.Expr) exec.Expr {
		if c, ok := x.(*exec.ColRef); ok {
			return &exec.ColRef{Idx: f(c.Idx), Typ: c.Typ, Name: c.Name}
		}
		return x
	})
}

func withFilter(n Node, conds []exec.Expr) Node {
	if len(conds) == 0 {
		return n
	}
	return &Filter{In: n, Conds: conds}
}

// push pushes conds (over n's output) as far down into n as they can go.
func (o *optimizer) push(n Node, conds []exec.Expr) Node {
	switch x := n.(type) {
	case *Filter:
		return o.push(x.In, append(append([]exec.Expr(nil), conds...), x.Conds...))
	case *Scan:
		s := *x
		s.Filters = append(append([]exec.Expr(nil), x.Filters...), conds...)
		return &s
	case *Join:
		if x.Temporal {
			return o.pushTemporal(x, conds)
		}
		return o.pushJoin(x, conds)
	case *Project:
		var down, keep []exec.Expr
		for _, c := range conds {
			if sub, ok := substitute(c, x.Exprs); ok {
				down = append(down, sub)
			} else {
				keep = append(keep, c)
			}
		}
		p := *x
		p.In = o.push(x.In, down)
		return withFilter(&p, keep)
	case *Aggregate:
		var down, keep []exec.Expr
		for _, c := range conds {
			if sub, ok := substitute(c, x.Groups); ok && len(x.Groups) > 0 {
				down = append(down, sub)
			} else {
				keep = append(keep, c)
			}
		}
		a := *x
		a.In = o.push(x.In, down)
		return withFilter(&a, keep)
	case *Sort:
		s := *x
		s.In = o.push(x.In, conds)
		return &s
	case *Distinct:
		if x.On != nil {
			d := *x
			d.In = o.push(x.In, nil)
			return withFilter(&d, conds)
		}
		d := *x
		d.In = o.push(x.In, conds)
		return &d
	case *Limit:
		l := *x
		l.In = o.push(x.In, nil)
		return withFilter(&l, conds)
	case *Window:
		w := *x
		w.In = o.push(x.In, nil)
		return withFilter(&w, conds)
	case *SessionWindow:
		return o.pushSession(x, conds)
	case *HopWindow:
		// Conditions on the input's columns hold before the expansion too.
		nIn := len(x.In.Schema())
		var down, keep []exec.Expr
		for _, c := range conds {
			if allIn(colsOf(c), 0, nIn) {
				down = append(down, c)
			} else {
				keep = append(keep, c)
			}
		}
		h := *x
		h.In = o.push(x.In, down)
		return withFilter(&h, keep)
	case *SetOp:
		s := *x
		s.L = o.push(x.L, nil)
		s.R = o.push(x.R, nil)
		return withFilter(&s, conds)
	}
	return withFilter(n, conds)
}

// substitute rewrites c (over a projection's output) in terms of the
// projection's input when every column it reads is a plain column there.
func substitute(c exec.Expr, exprs []exec.Expr) (exec.Expr, bool) {
	ok := true
	out := scalar.Rewrite(c, func(x exec.Expr) exec.Expr {
		cr, isCol := x.(*exec.ColRef)
		if !isCol {
			return x
		}
		if cr.Idx >= len(exprs) { // an aggregate's result, not a group key
			ok = false
			return x
		}
		src, isSrc := exprs[cr.Idx].(*exec.ColRef)
		if !isSrc {
			ok = false
			return x
		}
		return &exec.ColRef{Idx: src.Idx, Typ: src.Typ, Name: src.Name}
	})
	return out, ok
}

func (o *optimizer) pushJoin(j *Join, conds []exec.Expr) Node {
	if j.Kind == JoinInner {
		return o.pushInnerRegion(j, conds)
	}
	nl := len(j.L.Schema())
	nr := len(j.R.Schema())
	var toL, toR, here, above []exec.Expr
	classify := func(c exec.Expr, fromOn bool) {
		cols := colsOf(c)
		switch {
		case allIn(cols, 0, nl) && ((!fromOn && (j.Kind == JoinLeft || j.Kind == JoinSemi || j.Kind == JoinAnti || j.Kind == JoinAntiNullAware)) || (fromOn && j.Kind == JoinRight)):
			toL = append(toL, c)
		case allIn(cols, nl, nl+nr) && ((fromOn && (j.Kind == JoinLeft || j.Kind == JoinSemi || j.Kind == JoinAnti)) || (!fromOn && j.Kind == JoinRight)):
			toR = append(toR, shift(c, func(i int) int { return i - nl }))
		case fromOn:
			here = append(here, c)
		default:
			above = append(above, c)
		}
	}
	for _, c := range j.Conds {
		classify(c, true)
	}
	for _, c := range conds {
		classify(c, false)
	}
	nj := &Join{Kind: j.Kind, L: o.push(j.L, toL), R: o.push(j.R, toR), Conds: here}
	return withFilter(nj, above)
}

// pushInnerRegion optimises a maximal tree of inner joins as one unit: it
// flattens the tree into its inputs and conditions, pushes every
// condition that reads a single input into that input, and rebuilds the
// joins in a greedy order (see reorder).
func (o *optimizer) pushInnerRegion(j *Join, conds []exec.Expr) Node {
	var leaves []Node
	var all []exec.Expr
	var flatten func(n Node, base int)
	flatten = func(n Node, base int) {
		if x, ok := n.(*Join); ok && x.Kind == JoinInner && !x.Temporal {
			nl := len(x.L.Schema())
			flatten(x.L, base)
			flatten(x.R, base+nl)
			for _, c := range x.Conds {
				all = append(all, shift(c, func(i int) int { return i + base }))
			}
			return
		}
		if f, ok := n.(*Filter); ok {
			if x, ok := f.In.(*Join); ok && x.Kind == JoinInner && !x.Temporal {
				for _, c := range f.Conds {
					all = append(all, shift(c, func(i int) int { return i + base }))
				}
				flatten(x, base)
				return
			}
		}
		leaves = append(leaves, n)
	}
	flatten(j, 0)
	all = append(all, conds...)
	offs := make([]int, len(leaves))
	total := 0
	for i, l := range leaves {
		offs[i] = total
		total += len(l.Schema())
	}
	leafOf := func(col int) int {
		return sort.Search(len(offs), func(i int) bool { return offs[i] > col }) - 1
	}
	leafConds := make([][]exec.Expr, len(leaves))
	var multi, constant []exec.Expr
	for _, c := range all {
		cols := colsOf(c)
		if len(cols) == 0 {
			constant = append(constant, c)
			continue
		}
		l := leafOf(cols[0])
		single := true
		for _, col := range cols[1:] {
			if leafOf(col) != l {
				single = false
				break
			}
		}
		if single {
			base := offs[l]
			leafConds[l] = append(leafConds[l], shift(c, func(i int) int { return i - base }))
		} else {
			multi = append(multi, c)
		}
	}
	for i := range leaves {
		leaves[i] = o.push(leaves[i], leafConds[i])
	}
	if len(leaves) == 1 {
		return withFilter(leaves[0], append(multi, constant...))
	}
	return withFilter(o.reorder(leaves, multi), constant)
}

// reorder builds a left-deep join of leaves: start from the smallest input,
// then repeatedly add the smallest input connected to the joined set by a
// condition (or the smallest overall when none is). The hash join builds
// on its right input, so the newly added (small) input sits there.
func (o *optimizer) reorder(leaves []Node, conds []exec.Expr) Node {
	if len(leaves) == 2 {
		if o.size(leaves[0]) < o.size(leaves[1]) {
			return o.assemble(leaves, []int{1, 0}, conds)
		}
		return o.assemble(leaves, []int{0, 1}, conds)
	}
	var offs []int
	total := 0
	for _, l := range leaves {
		offs = append(offs, total)
		total += len(l.Schema())
	}
	leafOf := func(col int) int {
		return sort.Search(len(offs), func(i int) bool { return offs[i] > col }) - 1
	}
	condLeaves := make([]map[int]bool, len(conds))
	for i, c := range conds {
		m := map[int]bool{}
		for _, col := range colsOf(c) {
			m[leafOf(col)] = true
		}
		condLeaves[i] = m
	}
	sizes := make([]int64, len(leaves))
	for i, l := range leaves {
		sizes[i] = o.size(l)
	}
	used := make([]bool, len(leaves))
	var order []int
	best := 0
	for i := range leaves {
		if sizes[i] < sizes[best] {
			best = i
		}
	}
	order = append(order, best)
	used[best] = true
	for len(order) < len(leaves) {
		cand := -1
		for i := range leaves {
			if used[i] {
				continue
			}
			connected := false
			for _, m := range condLeaves {
				if !m[i] {
					continue
				}
				ok := true
				for l := range m {
					if l != i && !used[l] {
						ok = false
						break
					}
				}
				if ok {
					connected = true
					break
				}
			}
			if connected && (cand < 0 || sizes[i] < sizes[cand]) {
				cand = i
			}
		}
		if cand < 0 {
			for i := range leaves {
				if !used[i] && (cand < 0 || sizes[i] < sizes[cand]) {
					cand = i
				}
			}
		}
		order = append(order, cand)
		used[cand] = true
	}
	return o.assemble(leaves, order, conds)
}

// assemble joins leaves in the given order, attaching each condition at the
// first join where all its columns are available, and projects the result
// back to the original column order.
func (o *optimizer) assemble(leaves []Node, order []int, conds []exec.Expr) Node {
	var offs []int
	total := 0
	for _, l := range leaves {
		offs = append(offs, total)
		total += len(l.Schema())
	}
	newPos := make([]int, total) // original column -> position in new layout
	pos := 0
	placed := map[int]bool{}
	var cur Node
	pending := append([]exec.Expr(nil), conds...)
	for step, li := range order {
		w := len(leaves[li].Schema())
		for c := 0; c < w; c++ {
			newPos[offs[li]+c] = pos + c
		}
		pos += w
		placed[li] = true
		if step == 0 {
			cur = leaves[li]
			continue
		}
		var here, rest []exec.Expr
		for _, c := range pending {
			ok := true
			for _, col := range colsOf(c) {
				lf := 0
				for k := range offs {
					if offs[k] <= col {
						lf = k
					}
				}
				if !placed[lf] {
					ok = false
					break
				}
			}
			if ok {
				here = append(here, shift(c, func(i int) int { return newPos[i] }))
			} else {
				rest = append(rest, c)
			}
		}
		pending = rest
		cur = &Join{Kind: JoinInner, L: cur, R: leaves[li], Conds: here}
	}
	cur = withFilter(cur, nil)
	// Restore the original order.
	origCols := make([]Column, 0, total)
	for _, l := range leaves {
		origCols = append(origCols, l.Schema()...)
	}
	exprs := make([]exec.Expr, total)
	for i, c := range origCols {
		exprs[i] = &exec.ColRef{Idx: newPos[i], Typ: c.Type, Name: c.Name}
	}
	return &Project{In: cur, Exprs: exprs, Cols: origCols}
}

// size estimates a node's row count.
func (o *optimizer) size(n Node) int64 {
	switch x := n.(type) {
	case *Scan:
		r := int64(1000)
		if o.rows != nil {
			r = o.rows(x)
		}
		if len(x.Filters) > 0 {
			r = r/10 + 1
		}
		return r
	case *Filter:
		return o.size(x.In)/3 + 1
	case *Project:
		return o.size(x.In)
	case *Join:
		return o.size(x.L) * o.size(x.R)
	case *Values:
		return int64(len(x.Rows))
	case *Aggregate:
		return o.size(x.In)/2 + 1
	case *Limit, *Sort, *Distinct, *Window, *SetOp:
		return 1000
	}
	return 1000
}
