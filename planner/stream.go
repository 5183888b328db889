package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/types"
)

// StreamNode is one operator of a materialized view's dataflow. Its output
// goes to input port Port of Parent; the root's output is the view's own
// change stream.
type StreamNode struct {
	Op     stream.Operator
	Parent *StreamNode
	Port   int
	// Desc is the operator's description for EXPLAIN.
	Desc string
	// StateID is the state table the operator keeps, 0 if stateless.
	StateID  uint32
	children []*StreamNode
}

// StreamLeaf is where the changes of one upstream relation enter.
type StreamLeaf struct {
	RelID uint32
	Node  *StreamNode // the first operator fed (a pass-through filter)
	Port  int
	// WatermarkCol is the column the relation's watermark is on, -1 if
	// it has none; Node is then the late-row filter.
	WatermarkCol int
}

// ConstLeaf feeds constant rows (VALUES) into the dataflow once, when the
// view is created.
type ConstLeaf struct {
	Rows  [][]types.Datum
	Types []types.T
	Node  *StreamNode
	Port  int
}

// StreamGraph is a compiled materialized view.
type StreamGraph struct {
	Root   *StreamNode
	Leaves []StreamLeaf
	Consts []ConstLeaf
	// Initial lists operators that produce output before any input (a
	// global aggregate's row over an empty input).
	Initial []*StreamNode
	// StateIDs are the state tables used, in allocation order.
	StateIDs []uint32
}

// IDAlloc supplies state table ids while compiling a view: fresh ones at
// CREATE time, the recorded ones (in the same order) when a view is rebuilt
// at startup.
type IDAlloc func() (uint32, error)

// notIncremental is the error for query shapes views cannot maintain.
func notIncremental(what string) error {
	e := types.Errorf(types.CodeFeatureNotSupported, "%s is not supported in a materialized view", what)
	e.Hint = "Incremental maintenance supports projections, filters, joins, uncorrelated [NOT] IN and [NOT] EXISTS subqueries anywhere (correlated ones in WHERE), GROUP BY aggregates, DISTINCT, UNION/INTERSECT/EXCEPT [ALL], window functions and ORDER BY ... LIMIT."
	return e
}

// BuildStream compiles a view's plan into a dataflow ending in a
// Materialize operator whose state table is viewID. b is the binder that
// bound the plan (it knows how its subqueries were built).
func BuildStream(n Node, viewID uint32, alloc IDAlloc, b *Binder, emitOnWindowClose bool) (*StreamGraph, error) {
	g := &StreamGraph{}
	sb := &streamBuilder{g: g, subs: b.subs, eowc: emitOnWindowClose, alloc: func() (uint32, error) {
		id, err := alloc()
		if err == nil {
			g.StateIDs = append(g.StateIDs, id)
		}
		return id, err
	}}
	mat := stream.NewMaterialize(viewID, colTypes(n.Schema()))
	desc := fmt.Sprintf("Materialize (state %d, distribution: whole row, multiset)", viewID)
	if appendOnly(n) {
		mat.SetAppendOnly()
		desc = fmt.Sprintf("Materialize (state %d, distribution: whole row, append-only)", viewID)
	}
	root := &StreamNode{Op: mat, Desc: desc, StateID: viewID}
	if err := sb.build(n, root, 0); err != nil {
		return nil, err
	}
	if sb.eowc && !sb.eowcDone {
		return nil, notIncremental("EMIT ON WINDOW CLOSE without a GROUP BY on window_start or window_end")
	}
	g.Root = root
	return g, nil
}

type streamBuilder struct {
	g     *StreamGraph
	alloc IDAlloc
	subs  map[exec.Expr]*subInfo
	// eowc asks the window aggregation to emit only closed windows;
	// eowcDone records that one took it.
	eowc, eowcDone bool
}

// liftSubqueries replaces uncorrelated subqueries in exprs by columns of
// joins of in with the subqueries' plans, so that a view maintains them
// like any join, the subquery's rows changing as its tables change:
//
//   - a scalar subquery over a global aggregate (exactly one row, always)
//     becomes the column of an inner join with that row;
//   - EXISTS (S) becomes count(*) > 0 over S, joined the same way;
//   - x IN (S) becomes a CASE over a left join of in with the distinct
//     non-null values of S on x = value (the match), joined with the
//     count(*) and count(value) of S (emptiness and NULLs in S): true on a
//     match; otherwise false when S is empty, NULL when x is NULL or S
//     holds a NULL, false else — the three-valued IN of PostgreSQL.
//
// x = ANY (S) is x IN (S). NOT EXISTS and NOT IN negate the result. The subqueries may sit
// anywhere in the expressions (under OR, CASE, in the select list).
func (sb *streamBuilder) liftSubqueries(in Node, exprs []exec.Expr) (Node, []exec.Expr) {
	var found []*scalar.Subquery
	for _, e := range exprs {
		scalar.Walk(e, func(x exec.Expr) bool {
			sq, ok := x.(*scalar.Subquery)
			if !ok || len(sq.Outer) > 0 {
				return true
			}
			info := sb.subs[x]
			if info == nil {
				return true
			}
			switch sq.Kind {
			case scalar.SubScalar:
				if !singleRow(info.root) {
					return true
				}
			case scalar.SubExists:
				if planHasOuter(info.root) {
					return true
				}
			case scalar.SubIn, scalar.SubAny:
				// x = ANY (S) is x IN (S)
				if planHasOuter(info.root) || sq.Test == nil || exprHasOuter(sq.Test) ||
					(sq.Cmp != nil && sq.Cmp.Name != "=") || (sq.Cmp == nil && sq.Kind == scalar.SubAny) ||
					len(info.root.Schema()) != 1 {
					return true
				}
			default:
				return true
			}
			for _, f := range found {
				if f == sq {
					return true
				}
			}
			found = append(found, sq)
			return true
		})
	}
	if len(found) == 0 {
		return in, exprs
	}
	node := in
	repl := map[exec.Expr]exec.Expr{}
	for _, sq := range found {
		width := len(node.Schema())
		sub := sb.subs[sq].root
		switch sq.Kind {
		case scalar.SubScalar:
			node = &Join{Kind: JoinInner, L: node, R: sub}
			repl[sq] = &exec.ColRef{Idx: width, Typ: sub.Schema()[0].Type, Name: "subquery"}
		case scalar.SubExists:
			node = &Join{Kind: JoinInner, L: node, R: countRows(sub, nil)}
			n := &exec.ColRef{Idx: width, Typ: types.TInt8, Name: "count"}
			e, err := resolveAndCall(">", n, int8Const(0))
			if err != nil {
				return in, exprs
			}
			if sq.Negate {
				e = scalar.NewNot(e)
			}
			repl[sq] = e
		case scalar.SubIn, scalar.SubAny:
			e, n2, ok := liftIn(node, sq.Test, sq.Negate, sub)
			if !ok {
				return in, exprs
			}
			node = n2
			repl[sq] = e
		}
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

func int8Const(v int64) exec.Expr {
	return &exec.Const{Val: types.NewInt(v), Typ: types.TInt8}
}

// countRows is a global aggregate over sub: count(*) and, when val is not
// nil, count(val).
func countRows(sub Node, val exec.Expr) Node {
	agg := &Aggregate{
		In:   sub,
		Aggs: []AggCall{{Name: "count", Ret: types.TInt8}},
		Cols: []Column{{Name: "count", Type: types.TInt8}},
	}
	if val != nil {
		agg.Aggs = append(agg.Aggs, AggCall{Name: "count", Args: []exec.Expr{val}, Ret: types.TInt8})
		agg.Cols = append(agg.Cols, Column{Name: "count", Type: types.TInt8})
	}
	return agg
}

// liftIn joins node with what test [NOT] IN (sub) needs (see
// liftSubqueries; test is over node's columns, sub has one column) and
// returns the expression standing for the subquery over the new plan.
func liftIn(node Node, test exec.Expr, negate bool, sub Node) (exec.Expr, Node, bool) {
	width := len(node.Schema())
	vc := sub.Schema()[0]
	val := &exec.ColRef{Idx: 0, Typ: vc.Type, Name: vc.Name}
	// [count(*), count(val)] at width, width+1
	node = &Join{Kind: JoinInner, L: node, R: countRows(sub, val)}
	// the distinct non-null values, at width+2
	vals := &Distinct{In: &Project{
		In:    &Filter{In: sub, Conds: []exec.Expr{&scalar.IsNull{Arg: val, Negate: true}}},
		Exprs: []exec.Expr{val},
		Cols:  []Column{vc},
	}}
	eq, err := resolveAndCall("=", test, &exec.ColRef{Idx: width + 2, Typ: vc.Type, Name: vc.Name})
	if err != nil || eq.Type() != types.TBool {
		return nil, nil, false
	}
	node = &Join{Kind: JoinLeft, L: node, R: vals, Conds: []exec.Expr{eq}}
	n := &exec.ColRef{Idx: width, Typ: types.TInt8, Name: "count"}
	nn := &exec.ColRef{Idx: width + 1, Typ: types.TInt8, Name: "count"}
	match := &exec.ColRef{Idx: width + 2, Typ: vc.Type, Name: vc.Name}
	empty, err := resolveAndCall("=", n, int8Const(0))
	if err != nil {
		return nil, nil, false
	}
	nulls, err := resolveAndCall("<", nn, n)
	if err != nil {
		return nil, nil, false
	}
	t := &exec.Const{Val: types.NewBool(true), Typ: types.TBool}
	f := &exec.Const{Val: types.NewBool(false), Typ: types.TBool}
	e := scalar.NewCase(nil, []scalar.When{
		{Cond: &scalar.IsNull{Arg: match, Negate: true}, Then: t},
		{Cond: empty, Then: f},
		{Cond: scalar.NewOr(&scalar.IsNull{Arg: test}, nulls), Then: &exec.Const{Val: types.Null, Typ: types.TBool}},
	}, f)
	if negate {
		e = scalar.NewNot(e)
	}
	return e, node, true
}

// singleRow reports whether a plan always yields exactly one row: a
// global aggregate, possibly under projections.
func singleRow(n Node) bool {
	switch x := n.(type) {
	case *Project:
		return singleRow(x.In)
	case *Aggregate:
		return len(x.Groups) == 0
	}
	return false
}

func (sb *streamBuilder) attach(op stream.Operator, desc string, stateID uint32, parent *StreamNode, port int) *StreamNode {
	nd := &StreamNode{Op: op, Parent: parent, Port: port, Desc: desc, StateID: stateID}
	parent.children = append(parent.children, nd)
	return nd
}

func checkExprs(es ...exec.Expr) error {
	for _, e := range es {
		if e == nil {
			continue
		}
		var bad error
		scalar.Walk(e, func(x exec.Expr) bool {
			switch y := x.(type) {
			case *scalar.Subquery:
				bad = notIncremental("a subquery in an expression")
			case *scalar.Param:
				bad = notIncremental("a parameter")
			case *scalar.Func:
				if y.O.Volatile {
					bad = notIncremental(fmt.Sprintf("the volatile function %s()", y.O.Name))
					if y.O.Name == "now" {
						bad.(*types.Error).Hint = "A view may use now() only in a temporal filter: a conjunct col > now() - INTERVAL '...' (or >=) of a WHERE clause."
					}
				}
			}
			return bad == nil
		})
		if bad != nil {
			return bad
		}
	}
	return nil
}

// build compiles n so that its output feeds port of parent.
func (sb *streamBuilder) build(n Node, parent *StreamNode, port int) error {
	switch x := n.(type) {
	case *Scan:
		if len(x.Filters) > 0 && (sb.hasLiftable(x.Filters) || hasTemporal(x.Filters) || sb.hasNotIn(x.Filters)) {
			s := *x
			s.Filters = nil
			return sb.build(&Filter{In: &s, Conds: x.Filters}, parent, port)
		}
		if x.Rel.Kind != catalog.KindTable && x.Rel.Kind != catalog.KindMaterializedView {
			return notIncremental("reading a " + string(x.Rel.Kind))
		}
		if err := checkExprs(x.Filters...); err != nil {
			return err
		}
		var pred exec.Expr = &exec.Const{Val: types.NewBool(true), Typ: types.TBool}
		if len(x.Filters) > 0 {
			pred = mkAnd(x.Filters)
		}
		nd := sb.attach(stream.NewFilter(pred).SetTypes(colTypes(x.Cols)), "Filter "+pred.String(), 0, parent, port)
		leaf := StreamLeaf{RelID: x.Rel.ID, Node: nd, Port: 0, WatermarkCol: -1}
		if wm := x.Rel.Watermark; wm != nil {
			if c := x.Rel.ColumnIndex(wm.Column); c >= 0 {
				late := sb.attach(stream.NewLateFilter(c, colTypes(x.Cols)), fmt.Sprintf("LateFilter %s (watermark %s)", wm.Column, wm.Expr), 0, nd, 0)
				leaf.Node, leaf.WatermarkCol = late, c
			}
		}
		sb.g.Leaves = append(sb.g.Leaves, leaf)
		nd.Desc = fmt.Sprintf("Source %s (%s)", x.Rel.Name, map[bool]string{true: "append-only", false: "retract"}[x.Rel.AppendOnly])
		if len(x.Filters) > 0 {
			nd.Desc += " filter " + pred.String()
		}
		return nil
	case *Values:
		rows := make([][]types.Datum, len(x.Rows))
		for i, r := range x.Rows {
			row := make([]types.Datum, len(r))
			for j, e := range r {
				d, err := scalar.EvalConst(&exec.EvalCtx{}, e)
				if err != nil {
					return err
				}
				row[j] = d
			}
			rows[i] = row
		}
		pass := &exec.Const{Val: types.NewBool(true), Typ: types.TBool}
		nd := sb.attach(stream.NewFilter(pass), fmt.Sprintf("Values (%d rows)", len(rows)), 0, parent, port)
		sb.g.Consts = append(sb.g.Consts, ConstLeaf{Rows: rows, Types: colTypes(x.Cols), Node: nd})
		return nil
	case *Project:
		in, exprs := narrowSession(sb.liftSubqueries(x.In, x.Exprs))
		if err := checkProjectExprs(in, exprs); err != nil {
			return err
		}
		sp := stream.NewProject(exprs)
		if d := watermarkDerivations(exprs); len(d) > 0 {
			sp.SetWatermarkDerivations(d)
		}
		nd := sb.attach(sp, "Project "+exprList(exprs), 0, parent, port)
		return sb.build(in, nd, 0)
	case *Filter:
		if sb.hasNotIn(x.Conds) {
			if in, rest := sb.decorrelateNotIn(x.In, x.Conds); in != x.In {
				return sb.build(withFilter(in, rest), parent, port)
			}
		}
		if ok, err := sb.buildTemporal(x, parent, port); ok || err != nil {
			return err
		}
		in, conds := sb.liftSubqueries(x.In, x.Conds)
		if in != x.In {
			// The lifted join appended columns: filter, then drop them.
			if err := checkExprs(conds...); err != nil {
				return err
			}
			w := len(x.In.Schema())
			exprs := make([]exec.Expr, w)
			for i, c := range x.In.Schema() {
				exprs[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
			}
			pred := mkAnd(conds)
			proj := sb.attach(stream.NewProject(exprs), "Project "+exprList(exprs), 0, parent, port)
			nd := sb.attach(stream.NewFilter(pred), "Filter "+pred.String(), 0, proj, 0)
			return sb.build(in, nd, 0)
		}
		if err := checkExprs(x.Conds...); err != nil {
			return err
		}
		if ok, err := sb.buildTopNRank(x, parent, port); ok || err != nil {
			return err
		}
		pred := mkAnd(x.Conds)
		nd := sb.attach(stream.NewFilter(pred), "Filter "+pred.String(), 0, parent, port)
		return sb.build(x.In, nd, 0)
	case *Join:
		return sb.buildJoin(x, parent, port)
	case *Aggregate:
		return sb.buildAgg(x, parent, port)
	case *Distinct:
		if x.On != nil {
			// DISTINCT ON (k) ... ORDER BY: the first row per k is a
			// top-1 per group.
			s, ok := x.In.(*Sort)
			if !ok {
				return notIncremental("DISTINCT ON without ORDER BY")
			}
			id, err := sb.alloc()
			if err != nil {
				return err
			}
			op := stream.NewTopN(id, colTypes(s.Schema()), x.On, toSortKeys(s.Keys), 0, 1)
			nd := sb.attach(op, fmt.Sprintf("GroupTopN limit 1 group by %v (state %d)", x.On, id), id, parent, port)
			return sb.build(s.In, nd, 0)
		}
		id, err := sb.alloc()
		if err != nil {
			return err
		}
		nd := sb.attach(stream.NewDistinct(id, colTypes(x.Schema())), fmt.Sprintf("Distinct (state %d)", id), id, parent, port)
		return sb.build(x.In, nd, 0)
	case *SetOp:
		if x.Kind != SetUnion {
			return sb.buildSetOp(x, parent, port)
		}
		target, tport := parent, port
		if !x.All {
			id, err := sb.alloc()
			if err != nil {
				return err
			}
			target = sb.attach(stream.NewDistinct(id, colTypes(x.Cols)), fmt.Sprintf("Distinct (state %d)", id), id, parent, port)
			tport = 0
		}
		u := sb.attach(stream.NewUnionAll(colTypes(x.Cols)), "UnionAll", 0, target, tport)
		if err := sb.build(x.L, u, 0); err != nil {
			return err
		}
		return sb.build(x.R, u, 1)
	case *Sort:
		// A view has no order; ORDER BY without LIMIT does not change its
		// contents.
		return sb.build(x.In, parent, port)
	case *Limit:
		s, ok := x.In.(*Sort)
		if !ok {
			return notIncremental("LIMIT without ORDER BY")
		}
		count, offset := int64(-1), int64(0)
		if x.Count != nil {
			d, err := scalar.EvalConst(&exec.EvalCtx{}, x.Count)
			if err != nil {
				return err
			}
			if !d.Null {
				count = d.I
			}
		}
		if x.Offset != nil {
			d, err := scalar.EvalConst(&exec.EvalCtx{}, x.Offset)
			if err != nil {
				return err
			}
			if !d.Null {
				offset = d.I
			}
		}
		if count < 0 && offset <= 0 {
			return sb.build(s.In, parent, port)
		}
		// OFFSET without LIMIT still drops the first rows: a TopN
		// without a limit (count -1) keeps the rest.
		id, err := sb.alloc()
		if err != nil {
			return err
		}
		op := stream.NewTopN(id, colTypes(s.Schema()), nil, toSortKeys(s.Keys), offset, count)
		nd := sb.attach(op, fmt.Sprintf("TopN limit %d offset %d (state %d)", count, offset, id), id, parent, port)
		return sb.build(s.In, nd, 0)
	case *HopWindow:
		op := stream.NewHop(colTypes(x.In.Schema()), x.TimeCol, x.Slide, x.Size, x.Offset)
		nd := sb.attach(op, fmt.Sprintf("HopWindow time col %d slide %dus size %dus offset %dus", x.TimeCol, x.Slide, x.Size, x.Offset), 0, parent, port)
		return sb.build(x.In, nd, 0)
	case *SessionWindow:
		return sb.buildSession(x, parent, port)
	case *Window:
		return sb.buildOverWindow(x, parent, port)
	}
	return notIncremental(fmt.Sprintf("plan node %T", n))
}

// orderedAggInput handles agg(... ORDER BY ...): the binder sorts the
// aggregate's input (Project(identity) ← Sort ← Project(input ++ order
// values)), which a view cannot keep (its input has no order). The
// aggregate reads the inner projection instead, whose first columns are
// in's, and each aggregate gets the order values as extra input columns
// in its spec's Order, to keep its values in that order itself.
func orderedAggInput(in Node, exprs []exec.Expr, specs []batch.AggSpec) (Node, []exec.Expr, []batch.AggSpec) {
	p, ok := in.(*Project)
	if !ok {
		return in, exprs, specs
	}
	srt, ok := p.In.(*Sort)
	if !ok {
		return in, exprs, specs
	}
	inner := srt.In.Schema()
	for i, e := range p.Exprs {
		c, ok := e.(*exec.ColRef)
		if !ok || c.Idx != i || i >= len(inner) {
			return in, exprs, specs
		}
	}
	exprs = append([]exec.Expr(nil), exprs...)
	var order []batch.SortKey
	for _, k := range srt.Keys {
		order = append(order, batch.SortKey{Col: len(exprs), Desc: k.Desc, NullsFirst: k.NullsFirst})
		exprs = append(exprs, &exec.ColRef{Idx: k.Col, Typ: inner[k.Col].Type, Name: inner[k.Col].Name})
	}
	specs = append([]batch.AggSpec(nil), specs...)
	for i := range specs {
		specs[i].Order = order
	}
	return srt.In, exprs, specs
}

func (sb *streamBuilder) buildAgg(x *Aggregate, parent *StreamNode, port int) error {
	exprs, groupCols, specs := aggInput(x)
	in, exprs, specs := orderedAggInput(x.In, exprs, specs)
	in, exprs = narrowSession(in, exprs)
	if err := checkExprs(exprs...); err != nil {
		return err
	}
	id, err := sb.alloc()
	if err != nil {
		return err
	}
	inTypes := make([]types.T, len(exprs))
	for i, e := range exprs {
		inTypes[i] = e.Type()
	}
	var names []string
	for _, a := range x.Aggs {
		names = append(names, a.Name)
	}
	op, err := stream.NewHashAgg(id, inTypes, groupCols, specs)
	if err != nil {
		return err
	}
	if appendOnly(in) {
		// min and max need no sorted multiset of their values.
		op.SetAppendOnlyInput()
	}
	emit := "retract"
	if sb.eowc && !sb.eowcDone {
		if g := eowcGroup(x); g >= 0 {
			op.SetEmitOnWindowClose(g) // group expressions come first in the input
			sb.eowcDone = true
			emit = "append-only, emit on window close"
		}
	}
	nd := sb.attach(op, fmt.Sprintf("HashAgg group by [%s] aggs [%s] (state %d, distribution: group key, output: %s)", exprList(x.Groups), strings.Join(names, ", "), id, emit), id, parent, port)
	if len(groupCols) == 0 {
		sb.g.Initial = append(sb.g.Initial, nd)
	}
	proj := sb.attach(stream.NewProject(exprs), "Project "+exprList(exprs), 0, nd, 0)
	return sb.build(in, proj, 0)
}

func (sb *streamBuilder) buildJoin(j *Join, parent *StreamNode, port int) error {
	if j.Temporal {
		return sb.buildLookupJoin(j, parent, port)
	}
	if err := checkExprs(j.Conds...); err != nil {
		return err
	}
	nl := len(j.L.Schema())
	nr := len(j.R.Schema())
	var lkeys, rkeys, residual []exec.Expr
	for _, c := range j.Conds {
		if lk, rk, ok := equiParts(c, nl, nr); ok {
			lkeys = append(lkeys, lk)
			rkeys = append(rkeys, rk)
			continue
		}
		residual = append(residual, c)
	}
	var kind stream.JoinKind
	switch j.Kind {
	case JoinInner:
		kind = stream.Inner
	case JoinLeft:
		kind = stream.Left
	case JoinRight:
		kind = stream.Right
	case JoinFull:
		kind = stream.Full
	case JoinSemi:
		kind = stream.Semi
	case JoinAnti:
		kind = stream.Anti
	case JoinAntiNullAware:
		return sb.buildNotIn(j, parent, port)
	default:
		return notIncremental(fmt.Sprintf("join kind %d", j.Kind))
	}
	lcols, rcols := j.L.Schema(), j.R.Schema()
	lIdx, lExtra := streamKeyCols(lcols, lkeys)
	rIdx, rExtra := streamKeyCols(rcols, rkeys)
	lt, rt := colTypes(lcols), colTypes(rcols)
	for _, e := range lExtra {
		lt = append(lt, e.Type())
	}
	for _, e := range rExtra {
		rt = append(rt, e.Type())
	}
	var res exec.Expr
	if len(residual) > 0 {
		res = shiftResidual(mkAnd(residual), nl, len(lt))
	}
	id, err := sb.alloc()
	if err != nil {
		return err
	}
	op := stream.NewHashJoin(id, lt, rt, lIdx, rIdx, kind, res)
	target, tport := parent, port
	// Drop the computed key columns after the join.
	if len(lExtra) > 0 || len(rExtra) > 0 {
		var exprs []exec.Expr
		for i := 0; i < nl; i++ {
			exprs = append(exprs, &exec.ColRef{Idx: i, Typ: lt[i]})
		}
		if kind != stream.Semi && kind != stream.Anti {
			for i := 0; i < nr; i++ {
				exprs = append(exprs, &exec.ColRef{Idx: len(lt) + i, Typ: rt[i]})
			}
		}
		target = sb.attach(stream.NewProject(exprs), "Project "+exprList(exprs), 0, parent, port)
		tport = 0
	}
	desc := fmt.Sprintf("HashJoin %s on %s (state %d, distribution: join key, output: retract)", [...]string{"inner", "left", "right", "full", "semi", "anti", "anti"}[j.Kind], exprList(j.Conds), id)
	if ib, ok := intervalBounds(residual, nl); ok && kind == stream.Inner {
		op.SetIntervalBounds(ib)
		desc += " (" + intervalDesc(ib, lcols, rcols) + ")"
	}
	nd := sb.attach(op, desc, id, target, tport)
	lIn, rIn := nd, nd
	lPort, rPort := 0, 1
	if len(lExtra) > 0 {
		lIn = sb.attach(stream.NewProject(withExtra(lcols, lExtra)), "Project keys", 0, nd, 0)
		lPort = 0
	}
	if len(rExtra) > 0 {
		rIn = sb.attach(stream.NewProject(withExtra(rcols, rExtra)), "Project keys", 0, nd, 1)
		rPort = 0
	}
	if err := sb.build(j.L, lIn, lPort); err != nil {
		return err
	}
	return sb.build(j.R, rIn, rPort)
}

// streamKeyCols returns the column index of each join key, numbering the
// keys that are not plain columns after the input's columns; extra are
// those computed keys, to append with withExtra. Batch and stream joins
// share it.
func streamKeyCols(cols []Column, keys []exec.Expr) ([]int, []exec.Expr) {
	idx := make([]int, len(keys))
	var extra []exec.Expr
	for i, k := range keys {
		if c, ok := k.(*exec.ColRef); ok {
			idx[i] = c.Idx
			continue
		}
		idx[i] = len(cols) + len(extra)
		extra = append(extra, k)
	}
	return idx, extra
}

func withExtra(cols []Column, extra []exec.Expr) []exec.Expr {
	out := make([]exec.Expr, 0, len(cols)+len(extra))
	for i, c := range cols {
		out = append(out, &exec.ColRef{Idx: i, Typ: c.Type})
	}
	return append(out, extra...)
}

// ExplainStream renders a view's dataflow, root first.
func ExplainStream(g *StreamGraph) string {
	var sb strings.Builder
	var walk func(n *StreamNode, depth int)
	walk = func(n *StreamNode, depth int) {
		ind := ""
		if depth > 0 {
			ind = strings.Repeat("  ", depth-1) + "->  "
		}
		sb.WriteString(ind + "Stream" + n.Desc + "\n")
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(g.Root, 0)
	return sb.String()
}

// hasLiftable reports whether es hold subqueries liftSubqueries would lift.
func (sb *streamBuilder) hasLiftable(es []exec.Expr) bool {
	in := &Values{}
	out, _ := sb.liftSubqueries(in, es)
	return out != Node(in)
}

// watermarkDerivations finds TUMBLE's window bounds among a projection's
// expressions: a watermark on the time column becomes one on them.
func watermarkDerivations(exprs []exec.Expr) []stream.WatermarkDerivation {
	var out []stream.WatermarkDerivation
	for i, e := range exprs {
		f, ok := e.(*scalar.Func)
		if !ok || len(f.Args) != 1 {
			continue
		}
		v, ok := tumbleSpecs.Load(f.O)
		if !ok {
			continue
		}
		c, ok := f.Args[0].(*exec.ColRef)
		if !ok {
			continue
		}
		sp := v.(tumbleSpec)
		fn := stream.WindowStartWatermark(sp.size, sp.size, sp.offset)
		if sp.end {
			fn = stream.WindowEndWatermark(sp.size, sp.size, sp.offset)
		}
		out = append(out, stream.WatermarkDerivation{OutCol: i, InCol: c.Idx, F: fn})
	}
	return out
}

// windowGroup returns the index of the first group expression that is a
// window bound (window_start or window_end), or -1.
func windowGroup(groups []exec.Expr) int {
	for i, g := range groups {
		if c, ok := g.(*exec.ColRef); ok && (strings.HasSuffix(c.Name, "window_start") || strings.HasSuffix(c.Name, "window_end")) {
			return i
		}
	}
	return -1
}

// appendOnly reports whether a plan's output only ever inserts: sources and
// APPEND ONLY tables through operators that never retract.
func appendOnly(n Node) bool {
	switch x := n.(type) {
	case *Scan:
		return (x.Rel.Kind == catalog.KindSource || x.Rel.AppendOnly) && !hasTemporal(x.Filters)
	case *Values, *TableFunc:
		return true
	case *Filter:
		return appendOnly(x.In) && !hasTemporal(x.Conds)
	case *Project:
		return appendOnly(x.In) && !hasSubqueryExprs(x.Exprs)
	case *HopWindow:
		return appendOnly(x.In)
	case *Join:
		return x.Temporal && appendOnly(x.L)
	case *SetOp:
		return x.Kind == SetUnion && x.All && appendOnly(x.L) && appendOnly(x.R)
	}
	return false
}

func hasSubqueryExprs(es []exec.Expr) bool {
	for _, e := range es {
		if hasSubquery(e) {
			return true
		}
	}
	return false
}

// FlowNodes lists g's operators root first (depth-first, in build order,
// so that every compilation of one view lists them alike) as the nodes
// of a stream.Dataflow copy, with each node's index.
func (g *StreamGraph) FlowNodes() ([]stream.FlowNode, map[*StreamNode]int) {
	var nodes []stream.FlowNode
	index := map[*StreamNode]int{}
	var walk func(n *StreamNode)
	walk = func(n *StreamNode) {
		parent := -1
		if n.Parent != nil {
			parent = index[n.Parent]
		}
		index[n] = len(nodes)
		nodes = append(nodes, stream.FlowNode{Op: n.Op, Parent: parent, Port: n.Port})
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(g.Root)
	return nodes, index
}
