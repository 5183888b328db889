package planner

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// SESSION window table function:
//
//	SESSION(rel, time_col, gap)
//	SESSION(rel PARTITION BY k1 [, k2 ...], time_col, gap)
//	TABLE(SESSION(TABLE rel PARTITION BY k, DESCRIPTOR(time_col), gap))
//
// outputs every column of rel followed by window_start and window_end.
// Rows are partitioned by the keys (without PARTITION BY: the enclosing
// SELECT's GROUP BY items that are plain columns of rel; with none, the
// whole relation is one partition) and sorted by time; rows t1 <= t2 are
// in one session when t2 - t1 < gap, so rows exactly gap apart start a
// new session. window_start is the session's first time, window_end its
// last time plus gap. Rows whose time is NULL are dropped; gap is a
// positive interval constant without months.
//
// Batch: batch.NewSession. Views: stream.Session, which keeps its input
// in a state table and re-annotates the rows of the sessions a change
// touches; with a watermark on the time column it emits one on window_end
// and deletes the state of closed sessions. Views project the columns not
// used above the window away below it (narrowSession), and EMIT ON WINDOW
// CLOSE over sessions closes on window_end (eowcGroup).

// SessionWindow annotates each row of In with its session's bounds.
type SessionWindow struct {
	In      Node
	TimeCol int
	Keys    []int // partition columns of In
	Gap     int64 // µs
	Cols    []Column
}

func (n *SessionWindow) Schema() []Column { return n.Cols }

func (b *Binder) bindSessionWindow(w *sql.WindowTVF, in Node, inCols []Column, tc int, alias string,
	groupBy *ast.GroupByClause, parent *scope) (Node, []Column, error) {
	if len(w.Args) != 1 {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction, "SESSION takes a relation, a time column and a gap")
	}
	gap, err := b.windowInterval(w.Args[0], "SESSION", "gap", parent)
	if err != nil {
		return nil, nil, err
	}
	if gap <= 0 {
		return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "session gap of SESSION must be positive")
	}
	cols := make([]Column, 0, len(inCols)+2)
	for _, c := range inCols {
		c.Table = alias
		cols = append(cols, c)
	}
	sc := &scope{cols: cols, parent: parent}
	var keys []int
	addKey := func(i int) {
		for _, k := range keys {
			if k == i {
				return
			}
		}
		keys = append(keys, i)
	}
	if w.PartitionBy != nil {
		for _, k := range w.PartitionBy {
			e, err := b.bindExpr(k, sc, nil)
			if err != nil {
				return nil, nil, err
			}
			cr, ok := e.(*exec.ColRef)
			if !ok {
				return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "PARTITION BY of SESSION must name columns of its relation, not %s", e)
			}
			addKey(cr.Idx)
		}
	} else if groupBy != nil {
		for _, it := range groupBy.Items {
			cn, ok := it.Expr.(*ast.ColumnNameExpr)
			if !ok {
				continue
			}
			table := cn.Name.Table.O
			if table != "" && table != alias {
				continue
			}
			i, err := (&scope{cols: cols}).lookup("", cn.Name.Name.O)
			if err != nil || i < 0 || cols[i].Hidden {
				continue
			}
			addKey(i)
		}
	}
	tt := inCols[tc].Type
	cols = append(cols,
		Column{Name: "window_start", Table: alias, Type: tt},
		Column{Name: "window_end", Table: alias, Type: tt})
	return &SessionWindow{In: in, TimeCol: tc, Keys: keys, Gap: gap, Cols: cols}, cols, nil
}

func (n *SessionWindow) describe() string {
	var ks []string
	for _, k := range n.Keys {
		ks = append(ks, fmt.Sprintf("#%d", k))
	}
	return fmt.Sprintf("SessionWindow time #%d gap %s partition by [%s]", n.TimeCol, fmtMicros(n.Gap), strings.Join(ks, ", "))
}

// buildSession compiles a SessionWindow into a view's dataflow.
func (sb *streamBuilder) buildSession(x *SessionWindow, parent *StreamNode, port int) error {
	id, err := sb.alloc()
	if err != nil {
		return err
	}
	op := stream.NewSession(id, colTypes(x.In.Schema()), x.TimeCol, x.Keys, x.Gap)
	nd := sb.attach(op, fmt.Sprintf("%s (state %d, distribution: partition key, output: retract)", x.describe(), id), id, parent, port)
	return sb.build(x.In, nd, 0)
}

// pushSession pushes the conditions on the partition columns below a
// session window (they keep or drop whole partitions); the others, which
// would change the sessions, stay above it.
func (o *optimizer) pushSession(x *SessionWindow, conds []exec.Expr) Node {
	var down, keep []exec.Expr
	for _, c := range conds {
		ok := true
		for _, col := range colsOf(c) {
			isKey := false
			for _, k := range x.Keys {
				isKey = isKey || k == col
			}
			ok = ok && isKey
		}
		if ok && len(colsOf(c)) > 0 {
			down = append(down, c)
		} else {
			keep = append(keep, c)
		}
	}
	s := *x
	s.In = o.push(x.In, down)
	return withFilter(&s, keep)
}

// eowcGroup returns the group expression EMIT ON WINDOW CLOSE closes on:
// window_end over a session window, else the first window bound; -1 if
// there is none.
func eowcGroup(x *Aggregate) int {
	if overSession(x.In) {
		return sessionWindowEnd(x)
	}
	return windowGroup(x.Groups)
}

// sessionWindowEnd returns the index of the window_end group expression
// when the aggregation's input is a session window: its watermark is on
// window_end (a merge can move a session's start earlier), so EMIT ON
// WINDOW CLOSE closes on window_end. -1 otherwise.
func sessionWindowEnd(x *Aggregate) int {
	if !overSession(x.In) {
		return -1
	}
	for i, g := range x.Groups {
		if c, ok := g.(*exec.ColRef); ok && strings.HasSuffix(c.Name, "window_end") {
			return i
		}
	}
	return -1
}

func overSession(n Node) bool {
	switch x := n.(type) {
	case *SessionWindow:
		return true
	case *Project:
		return overSession(x.In)
	case *Filter:
		return overSession(x.In)
	}
	return false
}

// narrowSession drops the input columns of a session window that exprs
// (evaluated over its output) do not read, by projecting them away below
// it: the window re-emits every row of a session that grows, so narrow
// rows are much cheaper. It returns the node to build and exprs over it;
// anything but a SessionWindow is returned as is.
func narrowSession(n Node, exprs []exec.Expr) (Node, []exec.Expr) {
	sw, ok := n.(*SessionWindow)
	if !ok {
		return n, exprs
	}
	inCols := sw.In.Schema()
	nin := len(inCols)
	used := make([]bool, nin)
	used[sw.TimeCol] = true
	for _, k := range sw.Keys {
		used[k] = true
	}
	for _, e := range exprs {
		for _, c := range colsOf(e) {
			if c < nin {
				used[c] = true
			}
		}
	}
	newIdx := make([]int, nin+2)
	var pexprs []exec.Expr
	var pcols []Column
	for i, u := range used {
		if !u {
			newIdx[i] = -1
			continue
		}
		newIdx[i] = len(pexprs)
		pexprs = append(pexprs, &exec.ColRef{Idx: i, Typ: inCols[i].Type, Name: inCols[i].Name})
		pcols = append(pcols, inCols[i])
	}
	if len(pexprs) == nin {
		return n, exprs
	}
	newIdx[nin], newIdx[nin+1] = len(pexprs), len(pexprs)+1
	keys := make([]int, len(sw.Keys))
	for i, k := range sw.Keys {
		keys[i] = newIdx[k]
	}
	cols := make([]Column, 0, len(pcols)+2)
	for _, c := range pcols {
		c.Table = sw.Cols[nin].Table
		cols = append(cols, c)
	}
	cols = append(cols, sw.Cols[nin], sw.Cols[nin+1])
	nsw := &SessionWindow{In: &Project{In: sw.In, Exprs: pexprs, Cols: pcols}, TimeCol: newIdx[sw.TimeCol], Keys: keys, Gap: sw.Gap, Cols: cols}
	out := make([]exec.Expr, len(exprs))
	for i, e := range exprs {
		out[i] = scalar.Rewrite(e, func(x exec.Expr) exec.Expr {
			if c, ok := x.(*exec.ColRef); ok {
				cc := *c
				cc.Idx = newIdx[c.Idx]
				return &cc
			}
			return x
		})
	}
	return nsw, out
}
