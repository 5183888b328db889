package planner

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// Storage gives the physical builder access to stored rows. The session
// implements it over a snapshot of the state store.
type Storage interface {
	// Scan returns an operator producing every column of rel (hidden ones
	// included) for the rows selected by path (nil = all rows).
	Scan(rel *catalog.Relation, path *AccessPath) (exec.Operator, error)
	// RowCount estimates the number of rows in rel.
	RowCount(rel *catalog.Relation) int64
}

// Bound is one end of a key range.
type Bound struct {
	Val       types.Datum
	Inclusive bool
}

// AccessPath selects rows of a table through its primary key or an index.
type AccessPath struct {
	// PKPoints lists full primary-key values to look up.
	PKPoints [][]types.Datum
	// Index, when set, is scanned for IndexEq on its leading columns and
	// then the optional range Lo..Hi on the next column.
	Index   *catalog.Index
	IndexEq []types.Datum
	// Lo and Hi bound the next index column, or, without Index, the first
	// primary-key column (a key range, read in every vnode).
	Lo, Hi *Bound
	// Empty means the predicates cannot match (for example, a NULL key).
	Empty bool
}

// PhysBuilder turns logical plans into exec operators. Store and EC are set
// for each execution of a prepared statement.
type PhysBuilder struct {
	Store Storage
	EC    *exec.EvalCtx
}

// Build returns the operator tree for n.
func (p *PhysBuilder) Build(n Node) (exec.Operator, error) {
	switch x := n.(type) {
	case *Scan:
		return p.buildScan(x)
	case *Values:
		rows := make([][]types.Datum, len(x.Rows))
		for i, r := range x.Rows {
			row := make([]types.Datum, len(r))
			for j, e := range r {
				d, err := scalar.EvalConst(p.EC, e)
				if err != nil {
					return nil, err
				}
				row[j] = d
			}
			rows[i] = row
		}
		return batch.NewValues(colTypes(x.Cols), rows), nil
	case *TableFunc:
		var vals []int64
		for _, a := range x.Args {
			d, err := scalar.EvalConst(p.EC, a)
			if err != nil {
				return nil, err
			}
			if d.Null {
				return batch.NewValues(colTypes(x.Cols), nil), nil
			}
			vals = append(vals, d.I)
		}
		step := int64(1)
		if len(vals) == 3 {
			step = vals[2]
		}
		return batch.NewGenerateSeries(x.Cols[0].Type, vals[0], vals[1], step), nil
	case *Project:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewProject(in, x.Exprs, p.EC), nil
	case *Filter:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewFilter(in, mkAnd(x.Conds), p.EC), nil
	case *Join:
		return p.buildJoin(x)
	case *Aggregate:
		return p.buildAgg(x)
	case *HopWindow:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewHop(in, x.TimeCol, x.Slide, x.Size, x.Offset), nil
	case *SessionWindow:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewSession(in, x.TimeCol, x.Keys, x.Gap), nil
	case *Window:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		fs := make([]batch.WindowFunc, len(x.Calls))
		// The batch window operator takes one partitioning and ordering;
		// calls with different specs are chained.
		var op exec.Operator = in
		for i, c := range x.Calls {
			fs[i] = batch.WindowFunc{Name: c.Name, Args: c.Args, ArgTypes: c.ArgTypes, Ret: c.Ret, Frame: toFrame(c.Frame)}
			op = batch.NewWindow(op, c.PartitionBy, toSortKeys(c.OrderBy), fs[i:i+1])
		}
		return op, nil
	case *Sort:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewSort(in, toSortKeys(x.Keys)), nil
	case *Limit:
		count, offset := int64(-1), int64(0)
		if x.Count != nil {
			d, err := scalar.EvalConst(p.EC, x.Count)
			if err != nil {
				return nil, err
			}
			if !d.Null {
				count = d.I
				if count < 0 {
					return nil, types.Errorf("2201W", "LIMIT must not be negative")
				}
			}
		}
		if x.Offset != nil {
			d, err := scalar.EvalConst(p.EC, x.Offset)
			if err != nil {
				return nil, err
			}
			if !d.Null {
				offset = d.I
				if offset < 0 {
					return nil, types.Errorf("2201X", "OFFSET must not be negative")
				}
			}
		}
		if s, ok := x.In.(*Sort); ok && count >= 0 {
			in, err := p.Build(s.In)
			if err != nil {
				return nil, err
			}
			top := batch.NewTopN(in, toSortKeys(s.Keys), count+offset)
			return batch.NewLimit(top, count, offset), nil
		}
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		return batch.NewLimit(in, count, offset), nil
	case *Distinct:
		in, err := p.Build(x.In)
		if err != nil {
			return nil, err
		}
		if x.On != nil {
			return batch.NewDistinctOn(in, x.On), nil
		}
		return batch.NewDistinct(in, nil), nil
	case *SetOp:
		l, err := p.Build(x.L)
		if err != nil {
			return nil, err
		}
		r, err := p.Build(x.R)
		if err != nil {
			return nil, err
		}
		kind := batch.Union
		switch x.Kind {
		case SetIntersect:
			kind = batch.Intersect
		case SetExcept:
			kind = batch.Except
		}
		return batch.NewSetOp(kind, x.All, l, r), nil
	}
	return nil, types.Errorf(types.CodeInternal, "cannot build plan node %T", n)
}

func toSortKeys(ks []SortKey) []batch.SortKey {
	out := make([]batch.SortKey, len(ks))
	for i, k := range ks {
		out[i] = batch.SortKey{Col: k.Col, Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return out
}

func toFrame(f *WindowFrame) *batch.Frame {
	if f == nil {
		return nil
	}
	return &batch.Frame{
		Rows: f.Rows, StartUnbounded: f.StartUnbounded, EndUnbounded: f.EndUnbounded,
		StartCurrent: f.StartCurrent, EndCurrent: f.EndCurrent,
		StartOffset: f.StartOffset, EndOffset: f.EndOffset,
	}
}

func (p *PhysBuilder) buildAgg(x *Aggregate) (exec.Operator, error) {
	in, err := p.Build(x.In)
	if err != nil {
		return nil, err
	}
	exprs, groupCols, specs := aggInput(x)
	return batch.NewHashAggregate(batch.NewProject(in, exprs, p.EC), groupCols, specs), nil
}

func (p *PhysBuilder) buildJoin(j *Join) (exec.Operator, error) {
	l, err := p.Build(j.L)
	if err != nil {
		return nil, err
	}
	r, err := p.Build(j.R)
	if err != nil {
		return nil, err
	}
	nl := len(j.L.Schema())
	nr := len(j.R.Schema())
	kind := map[JoinKind]batch.JoinType{
		JoinInner: batch.InnerJoin, JoinLeft: batch.LeftJoin, JoinRight: batch.RightJoin,
		JoinFull: batch.FullJoin, JoinSemi: batch.SemiJoin, JoinAnti: batch.AntiJoin,
		JoinAntiNullAware: batch.NullAwareAntiJoin,
	}[j.Kind]
	var lkeys, rkeys []exec.Expr
	var residual []exec.Expr
	for _, c := range j.Conds {
		if lk, rk, ok := equiParts(c, nl, nr); ok {
			lkeys = append(lkeys, lk)
			rkeys = append(rkeys, rk)
			continue
		}
		residual = append(residual, c)
	}
	var res exec.Expr
	if len(residual) > 0 {
		res = mkAnd(residual)
	}
	if len(lkeys) == 0 {
		return batch.NewNestedLoopJoin(l, r, kind, res, p.EC), nil
	}
	lIdx, l2 := keyColumns(l, j.L.Schema(), lkeys, p.EC)
	rIdx, r2 := keyColumns(r, j.R.Schema(), rkeys, p.EC)
	var op exec.Operator = batch.NewHashJoin(l2, r2, lIdx, rIdx, kind, shiftResidual(res, nl, len(l2.Types())), p.EC)
	// Drop the computed key columns again.
	if len(l2.Types()) != nl || len(r2.Types()) != nr {
		outL := nl
		extraL := len(l2.Types()) - nl
		var exprs []exec.Expr
		lt, rt := l2.Types(), r2.Types()
		for i := 0; i < outL; i++ {
			exprs = append(exprs, &exec.ColRef{Idx: i, Typ: lt[i]})
		}
		if kind != batch.SemiJoin && kind != batch.AntiJoin && kind != batch.NullAwareAntiJoin {
			for i := 0; i < nr; i++ {
				exprs = append(exprs, &exec.ColRef{Idx: nl + extraL + i, Typ: rt[i]})
			}
		}
		op = batch.NewProject(op, exprs, p.EC)
	}
	return op, nil
}

// shiftResidual moves right-side column references past the extra key
// columns appended to the left input.
func shiftResidual(e exec.Expr, nl, newNL int) exec.Expr {
	if e == nil || nl == newNL {
		return e
	}
	return shift(e, func(i int) int {
		if i >= nl {
			return i + newNL - nl
		}
		return i
	})
}

// keyColumns returns the key column indexes, appending computed key
// expressions as extra columns when they are not plain columns.
func keyColumns(in exec.Operator, cols []Column, keys []exec.Expr, ec *exec.EvalCtx) ([]int, exec.Operator) {
	idx, extra := streamKeyCols(cols, keys)
	if len(extra) == 0 {
		return idx, in
	}
	return idx, batch.NewProject(in, withExtra(cols, extra), ec)
}

// equiParts splits l = r where l reads only left columns and r only right
// ones (or the reverse) into the two key expressions.
func equiParts(c exec.Expr, nl, nr int) (exec.Expr, exec.Expr, bool) {
	name, args, ok := callParts(c)
	if !ok || name != "=" || len(args) != 2 {
		return nil, nil, false
	}
	a, b := args[0], args[1]
	if hasSubquery(a) || hasSubquery(b) {
		return nil, nil, false
	}
	ac, bc := colsOf(a), colsOf(b)
	if len(ac) == 0 || len(bc) == 0 {
		return nil, nil, false
	}
	if a.Type().Family != b.Type().Family {
		return nil, nil, false
	}
	if allIn(ac, 0, nl) && allIn(bc, nl, nl+nr) {
		return a, shift(b, func(i int) int { return i - nl }), true
	}
	if allIn(bc, 0, nl) && allIn(ac, nl, nl+nr) {
		return b, shift(a, func(i int) int { return i - nl }), true
	}
	return nil, nil, false
}

func hasSubquery(e exec.Expr) bool {
	found := false
	scalar.Walk(e, func(x exec.Expr) bool {
		if _, ok := x.(*scalar.Subquery); ok {
			found = true
		}
		return !found
	})
	return found
}

// aggInput lays out an aggregation's input for the batch and stream hash
// aggregates alike: the group expressions first (columns 0..g-1), then
// each aggregate's arguments and FILTER condition, with the specs pointing
// at those columns.
func aggInput(x *Aggregate) (exprs []exec.Expr, groupCols []int, specs []batch.AggSpec) {
	exprs = append([]exec.Expr(nil), x.Groups...)
	groupCols = make([]int, len(x.Groups))
	for i := range groupCols {
		groupCols[i] = i
	}
	specs = make([]batch.AggSpec, len(x.Aggs))
	for i, a := range x.Aggs {
		s := batch.AggSpec{Name: a.Name, Distinct: a.Distinct, Ret: a.Ret, FilterCol: -1}
		for _, arg := range a.Args {
			s.Args = append(s.Args, len(exprs))
			s.ArgTypes = append(s.ArgTypes, arg.Type())
			exprs = append(exprs, arg)
		}
		if a.Filter != nil {
			s.FilterCol = len(exprs)
			exprs = append(exprs, a.Filter)
		}
		specs[i] = s
	}
	return exprs, groupCols, specs
}
