package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/streamsql/streamsql/types"
)

// Marker function names written by the rewriter.
const (
	MarkerCast          = "__pg_cast"
	MarkerParam         = "__pg_param"
	MarkerFullJoin      = "__pg_full_join"
	MarkerNullsFirst    = "__pg_nulls_first"
	MarkerNullsLast     = "__pg_nulls_last"
	MarkerIsDistinct    = "__pg_is_distinct"
	MarkerIsNotDistinct = "__pg_is_not_distinct"
	MarkerDistinctOn    = "__pg_distinct_on"
	MarkerFilter        = "__pg_filter"
	MarkerWindow        = "__pg_window"
	MarkerTableFunc     = "__pg_table_func"
	MarkerColAliases    = "__pg_col_aliases"
	MarkerAggOrder      = "__pg_agg_order"
	MarkerDesc          = "__pg_desc"
	MarkerOp            = "__pg_op"
	MarkerConcat        = "__pg_concat"
	MarkerUsing         = "__pg_using"
	MarkerWindowAgg     = "__pg_wagg"
	MarkerSymmetric     = "__pg_symmetric"
	MarkerDistinctArg   = "__pg_distinct"
	MarkerPartitionBy   = "__pg_partition_by"
	markerPrefix        = "__pg_"
)

// IsMarker reports whether a function name is one of this package's
// markers (the binder should never resolve such a name as a function).
func IsMarker(name string) bool { return strings.HasPrefix(strings.ToLower(name), markerPrefix) }

func markerCall(e ast.ExprNode, name string) (*ast.FuncCallExpr, bool) {
	f, ok := e.(*ast.FuncCallExpr)
	if !ok || f.FnName.L != name || f.Schema.L != "" {
		return nil, false
	}
	return f, true
}

func stringValue(e ast.ExprNode) (string, bool) {
	v, ok := e.(ast.ValueExpr)
	if !ok {
		return "", false
	}
	s, ok := v.GetValue().(string)
	return s, ok
}

// AsCast decodes __pg_cast(arg, 'type'), written for expr::type,
// CAST(expr AS type) and typed literals such as DATE '2020-01-01' or
// INTERVAL '5' MINUTE (whose argument is the string literal '5 minute').
func AsCast(e ast.ExprNode) (arg ast.ExprNode, t types.T, ok bool) {
	f, ok := markerCall(e, MarkerCast)
	if !ok || len(f.Args) != 2 {
		return nil, types.T{}, false
	}
	name, ok := stringValue(f.Args[1])
	if !ok {
		return nil, types.T{}, false
	}
	t, err := ParseTypeName(name)
	if err != nil {
		return nil, types.T{}, false
	}
	return f.Args[0], t, true
}

// AsParam decodes __pg_param(n), written for $n (n is 1-based). In LIMIT
// and OFFSET, where TiDB only accepts '?', $n is a ParamMarkerExpr whose
// Order is n; AsParam decodes that too.
func AsParam(e ast.ExprNode) (n int, ok bool) {
	if p, ok := e.(*test_driver.ParamMarkerExpr); ok {
		return p.Order, p.Order > 0
	}
	f, ok := markerCall(e, MarkerParam)
	if !ok || len(f.Args) != 1 {
		return 0, false
	}
	v, ok := f.Args[0].(ast.ValueExpr)
	if !ok {
		return 0, false
	}
	switch x := v.GetValue().(type) {
	case int64:
		return int(x), x > 0
	case uint64:
		return int(x), x > 0
	}
	return 0, false
}

// IsFullJoin reports whether j was written as FULL [OUTER] JOIN ... ON cond.
// Such joins are emitted as LEFT JOIN with the condition wrapped in
// __pg_full_join(cond); cond is the unwrapped condition.
func IsFullJoin(j *ast.Join) (cond ast.ExprNode, ok bool) {
	if j == nil || j.On == nil {
		return nil, false
	}
	f, ok := markerCall(j.On.Expr, MarkerFullJoin)
	if !ok || len(f.Args) != 1 {
		return nil, false
	}
	return f.Args[0], true
}

// AsNullsOrder decodes an ORDER BY item written with NULLS FIRST or NULLS
// LAST: __pg_nulls_first(x) / __pg_nulls_last(x). ASC/DESC stay on the
// ast.ByItem.
func AsNullsOrder(e ast.ExprNode) (inner ast.ExprNode, nullsFirst bool, ok bool) {
	if f, ok := markerCall(e, MarkerNullsFirst); ok && len(f.Args) == 1 {
		return f.Args[0], true, true
	}
	if f, ok := markerCall(e, MarkerNullsLast); ok && len(f.Args) == 1 {
		return f.Args[0], false, true
	}
	return nil, false, false
}

// AsIsDistinct decodes a IS [NOT] DISTINCT FROM b, which is written as
// __pg_is_distinct(a, b) or __pg_is_not_distinct(a, b). not is true for
// IS NOT DISTINCT FROM (null-safe equality).
func AsIsDistinct(e ast.ExprNode) (a, b ast.ExprNode, not bool, ok bool) {
	if f, ok := markerCall(e, MarkerIsDistinct); ok && len(f.Args) == 2 {
		return f.Args[0], f.Args[1], false, true
	}
	if f, ok := markerCall(e, MarkerIsNotDistinct); ok && len(f.Args) == 2 {
		return f.Args[0], f.Args[1], true, true
	}
	return nil, nil, false, false
}

// AsDistinctOn decodes SELECT DISTINCT ON (e1, ...), written as a first
// select field __pg_distinct_on(e1, ...). It strips that field from
// sel.Fields, so call it once per SELECT, before binding the fields.
func AsDistinctOn(sel *ast.SelectStmt) (exprs []ast.ExprNode, ok bool) {
	if sel == nil || sel.Fields == nil || len(sel.Fields.Fields) == 0 {
		return nil, false
	}
	f, ok := markerCall(sel.Fields.Fields[0].Expr, MarkerDistinctOn)
	if !ok {
		return nil, false
	}
	sel.Fields.Fields = sel.Fields.Fields[1:]
	return f.Args, true
}

// AsFilter decodes agg(args) FILTER (WHERE cond). The first argument is
// written as __pg_filter(cond, arg1) (count(*) as count(__pg_filter(cond))).
// AsFilter restores the call's arguments in place (count(*) as TiDB
// represents it) and returns cond. e may be an *ast.AggregateFuncExpr,
// *ast.WindowFuncExpr or *ast.FuncCallExpr.
func AsFilter(e ast.ExprNode) (cond ast.ExprNode, ok bool) {
	var args []ast.ExprNode
	switch f := e.(type) {
	case *ast.AggregateFuncExpr:
		args = f.Args
	case *ast.WindowFuncExpr:
		args = f.Args
	case *ast.FuncCallExpr:
		args = f.Args
	default:
		return nil, false
	}
	if len(args) == 0 {
		return nil, false
	}
	m, ok := markerCall(args[0], MarkerFilter)
	if !ok || len(m.Args) < 1 || len(m.Args) > 2 {
		return nil, false
	}
	if len(m.Args) == 2 {
		args[0] = m.Args[1]
	} else {
		args[0] = ast.NewValueExpr(int64(1), "", "")
	}
	return m.Args[0], true
}

// WindowTVF is a window table function in FROM: TUMBLE(rel, col, size
// [, offset]), HOP(rel, col, slide, size [, offset]) or SESSION(rel, col,
// gap), also written in the Flink form TABLE(TUMBLE(TABLE rel,
// DESCRIPTOR(col), size)).
type WindowTVF struct {
	// Kind is "tumble", "hop" or "session".
	Kind string
	// Input is the relation: an *ast.TableName or a subquery
	// (*ast.SelectStmt / *ast.SetOprStmt).
	Input ast.ResultSetNode
	// TimeCol is the time column's name.
	TimeCol string
	// Args are the remaining arguments (sizes, offsets) in order.
	Args []ast.ExprNode
	// Alias is the alias of the window relation (default: the kind).
	Alias string
	// PartitionBy are the partition keys of SESSION(rel PARTITION BY k1,
	// k2, col, gap), nil without PARTITION BY.
	PartitionBy []ast.ExprNode
}

// AsWindowTVF decodes a window table function. The rewriter emits
//
//	(SELECT * FROM rel WHERE __pg_window('kind', col, args...)) AS alias
//
// with a last argument __pg_partition_by(k1, ...) for SESSION(rel
// PARTITION BY k1, ..., col, gap).
//
// tbl may be the *ast.TableSource holding that derived table, or the
// *ast.SelectStmt itself (then Alias is empty).
func AsWindowTVF(tbl ast.ResultSetNode) (*WindowTVF, bool) {
	alias := ""
	if ts, ok := tbl.(*ast.TableSource); ok {
		alias = ts.AsName.O
		tbl = ts.Source
	}
	sel, ok := tbl.(*ast.SelectStmt)
	if !ok || sel.Where == nil || sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil, false
	}
	f, ok := markerCall(sel.Where, MarkerWindow)
	if !ok || len(f.Args) < 2 {
		return nil, false
	}
	kind, ok := stringValue(f.Args[0])
	if !ok {
		return nil, false
	}
	col, ok := f.Args[1].(*ast.ColumnNameExpr)
	if !ok {
		return nil, false
	}
	w := &WindowTVF{Kind: kind, TimeCol: col.Name.Name.O, Args: f.Args[2:], Alias: alias}
	if n := len(w.Args); n > 0 {
		if p, ok := markerCall(w.Args[n-1], MarkerPartitionBy); ok {
			w.PartitionBy = p.Args
			w.Args = w.Args[:n-1]
		}
	}
	in := sel.From.TableRefs.Left
	if ts, ok := in.(*ast.TableSource); ok {
		in = ts.Source
	}
	w.Input = in
	return w, true
}

// TableFunc is a set-returning function called in FROM, such as
// generate_series(1, 10) AS g(n).
type TableFunc struct {
	// Name is the function name (lower case unless quoted).
	Name string
	Args []ast.ExprNode
	// Alias is the relation alias (default: the function name).
	Alias string
	// Column is the column alias of g(n), empty if none.
	Column string
}

// AsTableFunc decodes a function in FROM, which the rewriter emits as
//
//	(SELECT __pg_table_func('name', args...) [AS col]) AS alias
//
// tbl may be the *ast.TableSource or the *ast.SelectStmt.
func AsTableFunc(tbl ast.ResultSetNode) (*TableFunc, bool) {
	alias := ""
	if ts, ok := tbl.(*ast.TableSource); ok {
		alias = ts.AsName.O
		tbl = ts.Source
	}
	sel, ok := tbl.(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, false
	}
	fld := sel.Fields.Fields[0]
	f, ok := markerCall(fld.Expr, MarkerTableFunc)
	if !ok || len(f.Args) < 1 {
		return nil, false
	}
	name, ok := stringValue(f.Args[0])
	if !ok {
		return nil, false
	}
	return &TableFunc{Name: name, Args: f.Args[1:], Alias: alias, Column: fld.AsName.O}, true
}

// AsColumnAliases decodes a relation with a column alias list in FROM,
// rel [AS] alias (c1, c2, ...), which the rewriter emits as
//
//	(SELECT * FROM rel AS alias WHERE __pg_col_aliases('c1', 'c2', ...)) AS alias
//
// tbl may be the *ast.TableSource or the *ast.SelectStmt. It returns the
// inner relation (an *ast.TableName, or a subquery's statement) and the
// column names, which rename the relation's first len(cols) columns.
func AsColumnAliases(tbl ast.ResultSetNode) (inner ast.ResultSetNode, alias string, cols []string, ok bool) {
	if ts, ok := tbl.(*ast.TableSource); ok {
		alias = ts.AsName.O
		tbl = ts.Source
	}
	sel, ok := tbl.(*ast.SelectStmt)
	if !ok || sel.Where == nil || sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil, "", nil, false
	}
	f, ok := markerCall(sel.Where, MarkerColAliases)
	if !ok {
		return nil, "", nil, false
	}
	for _, a := range f.Args {
		c, ok := stringValue(a)
		if !ok {
			return nil, "", nil, false
		}
		cols = append(cols, c)
	}
	in := sel.From.TableRefs.Left
	if ts, ok := in.(*ast.TableSource); ok {
		in = ts.Source
	}
	return in, alias, cols, true
}

// AggOrderItem is one ORDER BY item inside an aggregate call.
type AggOrderItem struct {
	Expr ast.ExprNode
	Desc bool
	// NullsFirst is set when NULLS FIRST/LAST was written (true for FIRST).
	NullsFirst *bool
}

// AsAggOrder decodes f(args ORDER BY x [DESC] [NULLS FIRST|LAST], ...)
// (string_agg, array_agg, ...), written with an extra last argument
// __pg_agg_order(x', ...) where x' is x, __pg_desc(x) for DESC, and that
// wrapped in __pg_nulls_first/__pg_nulls_last. It strips the argument
// from the call and returns the items.
func AsAggOrder(e ast.ExprNode) ([]AggOrderItem, bool) {
	f, ok := e.(*ast.FuncCallExpr)
	if !ok || len(f.Args) == 0 {
		return nil, false
	}
	m, ok := markerCall(f.Args[len(f.Args)-1], MarkerAggOrder)
	if !ok {
		return nil, false
	}
	var out []AggOrderItem
	for _, a := range m.Args {
		var it AggOrderItem
		if in, first, ok := AsNullsOrder(a); ok {
			it.NullsFirst = &first
			a = in
		}
		if d, ok := markerCall(a, MarkerDesc); ok && len(d.Args) == 1 {
			it.Desc = true
			a = d.Args[0]
		}
		it.Expr = a
		out = append(out, it)
	}
	f.Args = f.Args[:len(f.Args)-1]
	return out, true
}

// AsOperator decodes __pg_op('op', l, r), written for PostgreSQL binary
// operators TiDB cannot parse (the jsonb operators -> ->> #> #>> @> <@ ? ?| ?&).
func AsOperator(e ast.ExprNode) (op string, l, r ast.ExprNode, ok bool) {
	f, ok := markerCall(e, MarkerOp)
	if !ok || len(f.Args) != 3 {
		return "", nil, nil, false
	}
	op, ok = stringValue(f.Args[0])
	if !ok {
		return "", nil, nil, false
	}
	return op, f.Args[1], f.Args[2], true
}

// AsUsing decodes __pg_using(a, b, ...), the condition of FULL JOIN r
// USING (a, b, ...) (see IsFullJoin); it returns the column names.
func AsUsing(e ast.ExprNode) ([]*ast.ColumnName, bool) {
	f, ok := markerCall(e, MarkerUsing)
	if !ok || len(f.Args) == 0 {
		return nil, false
	}
	out := make([]*ast.ColumnName, len(f.Args))
	for i, a := range f.Args {
		c, ok := a.(*ast.ColumnNameExpr)
		if !ok || c.Name.Table.O != "" {
			return nil, false
		}
		out[i] = c.Name
	}
	return out, true
}

// AsWindowAgg decodes max(__pg_wagg('f', args...)) OVER ..., written for
// aggregates TiDB cannot parse before OVER (string_agg, bool_and, ...):
// it returns f and its arguments.
func AsWindowAgg(name string, args []ast.ExprNode) (string, []ast.ExprNode, bool) {
	if !strings.EqualFold(name, "max") || len(args) != 1 {
		return "", nil, false
	}
	f, ok := markerCall(args[0], MarkerWindowAgg)
	if !ok || len(f.Args) == 0 {
		return "", nil, false
	}
	fn, ok := stringValue(f.Args[0])
	if !ok {
		return "", nil, false
	}
	return fn, f.Args[1:], true
}

// AsSymmetric decodes the low bound of x BETWEEN SYMMETRIC lo AND hi,
// written x BETWEEN __pg_symmetric(lo) AND hi.
func AsSymmetric(e ast.ExprNode) (ast.ExprNode, bool) {
	f, ok := markerCall(e, MarkerSymmetric)
	if !ok || len(f.Args) != 1 {
		return nil, false
	}
	return f.Args[0], true
}

// AsDistinctArg decodes f(__pg_distinct(a), b, ...), written for
// f(DISTINCT a, b, ...) where TiDB parses f as a plain call (string_agg,
// array_agg, bool_and, bool_or, every). It returns the arguments with a
// restored.
func AsDistinctArg(args []ast.ExprNode) ([]ast.ExprNode, bool) {
	if len(args) == 0 {
		return args, false
	}
	f, ok := markerCall(args[0], MarkerDistinctArg)
	if !ok || len(f.Args) != 1 {
		return args, false
	}
	out := append([]ast.ExprNode{f.Args[0]}, args[1:]...)
	return out, true
}
