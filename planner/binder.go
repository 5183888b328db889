// Package planner turns parsed statements into plans: the binder resolves
// names, types and functions against the catalog into a logical plan of
// typed exec expressions; rewrite rules push filters down and order joins;
// the physical builder turns the result into vectorized exec operators.
package planner

import (
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// Binder binds one statement. It is not safe for concurrent use.
type Binder struct {
	Cat *catalog.Catalog
	// ParamTypes are the types of $1..$n: given by the client, or inferred
	// from how the statement uses them. Grows as parameters are seen.
	ParamTypes []types.T
	ctes       []map[string]*cteDef
	// Subqueries need the physical builder at execution time.
	Phys *PhysBuilder
	// Deps collects the ids of the relations the statement reads.
	Deps map[uint32]bool
	// params are the parameter nodes created, for type inference.
	params []*scalar.Param
	// Rows estimates table sizes for optimising subqueries (nil: fixed).
	Rows func(*Scan) int64
	// subs remembers how each subquery expression was built, so WHERE
	// can turn EXISTS and IN into joins.
	subs map[exec.Expr]*subInfo
	// lazy > 0 while binding expressions PostgreSQL's constant folding
	// never reaches (COALESCE arguments after a non-null constant, CASE
	// branches after a constant-true WHEN): errors from folding them are
	// left to run time, where they are never evaluated.
	lazy int
	// setLeaf is set while binding a SELECT that is an operand of a set
	// operation: its untyped NULL outputs stay unknown for the set
	// operation to resolve, as in PostgreSQL.
	setLeaf bool
	// sessionGroupBy is the GROUP BY of the SELECT whose FROM is being
	// bound: it keys a SESSION window without PARTITION BY.
	sessionGroupBy *ast.GroupByClause
	// temporalOK is set while binding the right side of a join written
	// FOR SYSTEM_TIME AS OF PROCTIME() (see temporalRight).
	temporalOK bool
}

type cteDef struct {
	query   ast.ResultSetNode
	colName []string
	binding bool
}

// Query is a bound query: a plan and the visible output columns.
type Query struct {
	Root Node
	Cols []Column
}

// BindQuery binds a SELECT, set operation or VALUES.
func (b *Binder) BindQuery(n ast.Node) (*Query, error) {
	return b.bindQueryIn(n, nil)
}

func (b *Binder) bindQueryIn(n ast.Node, parent *scope) (*Query, error) {
	switch n := n.(type) {
	case *ast.SelectStmt:
		return b.bindSelect(n, parent)
	case *ast.SetOprStmt:
		return b.bindSetOpr(n, parent)
	case *ast.SubqueryExpr:
		return b.bindQueryIn(n.Query, parent)
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "unsupported query form %T", n)
}

func (b *Binder) pushCTEs(w *ast.WithClause) error {
	m := map[string]*cteDef{}
	b.ctes = append(b.ctes, m)
	if w == nil {
		return nil
	}
	if w.IsRecursive {
		return types.Errorf(types.CodeFeatureNotSupported, "WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		d := &cteDef{query: c.Query.Query}
		for _, cn := range c.ColNameList {
			d.colName = append(d.colName, cn.O)
		}
		m[c.Name.O] = d
	}
	return nil
}

func (b *Binder) popCTEs() { b.ctes = b.ctes[:len(b.ctes)-1] }

func (b *Binder) findCTE(name string) *cteDef {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if d, ok := b.ctes[i][name]; ok {
			return d
		}
	}
	return nil
}

// ---- set operations ----

func (b *Binder) bindSetOpr(n *ast.SetOprStmt, parent *scope) (*Query, error) {
	if err := b.pushCTEs(n.With); err != nil {
		return nil, err
	}
	defer b.popCTEs()
	q, err := b.bindSetOprList(n.SelectList, parent)
	if err != nil {
		return nil, err
	}
	return b.finishSetOrder(q, n.OrderBy, n.Limit)
}

func (b *Binder) bindSetOprList(l *ast.SetOprSelectList, parent *scope) (*Query, error) {
	if err := b.pushCTEs(l.With); err != nil {
		return nil, err
	}
	defer b.popCTEs()
	// Bind every operand, then combine them with INTERSECT binding tighter
	// than UNION and EXCEPT (TiDB's list is flat, left to right).
	var qs []*Query
	var ops []ast.SetOprType
	for i, s := range l.Selects {
		var q *Query
		var err error
		var op *ast.SetOprType
		switch s := s.(type) {
		case *ast.SelectStmt:
			op = s.AfterSetOperator
			b.setLeaf = len(l.Selects) > 1
			q, err = b.bindSelect(s, parent)
			b.setLeaf = false
		case *ast.SetOprSelectList:
			op = s.AfterSetOperator
			q, err = b.bindSetOprList(s, parent)
		default:
			err = types.Errorf(types.CodeFeatureNotSupported, "unsupported set operand %T", s)
		}
		if err != nil {
			return nil, err
		}
		if i > 0 {
			if op == nil {
				return nil, types.Errorf(types.CodeSyntaxError, "missing set operator")
			}
			ops = append(ops, *op)
		}
		qs = append(qs, q)
	}
	var terms []*Query
	var termOps []ast.SetOprType
	cur := qs[0]
	for i, op := range ops {
		if op == ast.Intersect || op == ast.IntersectAll {
			var err error
			if cur, err = b.combine(op, cur, qs[i+1]); err != nil {
				return nil, err
			}
			continue
		}
		terms = append(terms, cur)
		termOps = append(termOps, op)
		cur = qs[i+1]
	}
	terms = append(terms, cur)
	acc := terms[0]
	for i, op := range termOps {
		var err error
		if acc, err = b.combine(op, acc, terms[i+1]); err != nil {
			return nil, err
		}
	}
	// Columns that stayed unknown (NULL in every operand) become text.
	unknown := false
	outCols := make([]Column, len(acc.Cols))
	for i, c := range acc.Cols {
		outCols[i] = c
		if c.Type.Family == types.Unknown {
			outCols[i].Type, unknown = types.TText, true
		}
	}
	if unknown {
		acc = &Query{Root: castProject(acc.Root, outCols), Cols: outCols}
	}
	return b.finishSetOrder(acc, l.OrderBy, l.Limit)
}

func (b *Binder) combine(op ast.SetOprType, l, r *Query) (*Query, error) {
	if len(l.Cols) != len(r.Cols) {
		return nil, types.Errorf(types.CodeSyntaxError, "each %s query must have the same number of columns", setOpName(op))
	}
	lt, rt := colTypes(l.Cols), colTypes(r.Cols)
	cols := make([]Column, len(l.Cols))
	needL, needR := false, false
	for i := range lt {
		t, err := commonType(lt[i], rt[i], setOpName(op))
		if err != nil {
			return nil, err
		}
		cols[i] = Column{Name: l.Cols[i].Name, Type: t}
		needL = needL || lt[i] != t
		needR = needR || rt[i] != t
	}
	ln, rn := l.Root, r.Root
	if needL {
		ln = castProject(ln, cols)
	}
	if needR {
		rn = castProject(rn, cols)
	}
	so := &SetOp{L: ln, R: rn, Cols: cols}
	switch op {
	case ast.Union:
		so.Kind = SetUnion
	case ast.UnionAll:
		so.Kind, so.All = SetUnion, true
	case ast.Intersect:
		so.Kind = SetIntersect
	case ast.IntersectAll:
		so.Kind, so.All = SetIntersect, true
	case ast.Except:
		so.Kind = SetExcept
	case ast.ExceptAll:
		so.Kind, so.All = SetExcept, true
	}
	return &Query{Root: so, Cols: cols}, nil
}

func setOpName(op ast.SetOprType) string {
	switch op {
	case ast.Intersect, ast.IntersectAll:
		return "INTERSECT"
	case ast.Except, ast.ExceptAll:
		return "EXCEPT"
	}
	return "UNION"
}

// castProject casts every column of n to the types of cols.
func castProject(n Node, cols []Column) Node {
	in := n.Schema()
	exprs := make([]exec.Expr, len(in))
	out := make([]Column, len(in))
	for i, c := range in {
		var e exec.Expr = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
		if c.Type.Family != cols[i].Type.Family {
			e = mkCast(e, cols[i].Type)
		}
		exprs[i] = e
		out[i] = Column{Name: c.Name, Type: cols[i].Type}
	}
	return &Project{In: n, Exprs: exprs, Cols: out}
}

// finishSetOrder applies ORDER BY / LIMIT of a set operation, which refer to
// output columns by name or position.
func (b *Binder) finishSetOrder(q *Query, ob *ast.OrderByClause, lim *ast.Limit) (*Query, error) {
	if ob != nil {
		sc := &scope{cols: q.Cols}
		var keys []SortKey
		for _, it := range ob.Items {
			e, nullsFirst, hasNulls := it.Expr, false, false
			if inner, nf, ok := sql.AsNullsOrder(e); ok {
				e, nullsFirst, hasNulls = inner, nf, true
			}
			idx := -1
			switch x := e.(type) {
			case *ast.PositionExpr:
				if x.N < 1 || x.N > len(q.Cols) {
					return nil, types.Errorf(types.CodeInvalidColumnRef, "ORDER BY position %d is not in select list", x.N)
				}
				idx = x.N - 1
			case *ast.ColumnNameExpr:
				i, err := sc.lookup("", x.Name.Name.O)
				if err != nil {
					return nil, err
				}
				idx = i
			}
			if idx < 0 {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause")
			}
			if !hasNulls {
				nullsFirst = it.Desc
			}
			keys = append(keys, SortKey{Col: idx, Desc: it.Desc, NullsFirst: nullsFirst})
		}
		q = &Query{Root: &Sort{In: q.Root, Keys: keys}, Cols: q.Cols}
	}
	return b.applyLimit(q, lim)
}

func (b *Binder) applyLimit(q *Query, lim *ast.Limit) (*Query, error) {
	if lim == nil {
		return q, nil
	}
	l := &Limit{In: q.Root}
	var err error
	if lim.Count != nil {
		if l.Count, err = b.limitExpr(lim.Count, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if lim.Offset != nil {
		if l.Offset, err = b.limitExpr(lim.Offset, "OFFSET"); err != nil {
			return nil, err
		}
	}
	return &Query{Root: l, Cols: q.Cols}, nil
}

// limitExpr binds a LIMIT/OFFSET argument: a constant or parameter,
// evaluated when the statement runs.
func (b *Binder) limitExpr(e ast.ExprNode, what string) (exec.Expr, error) {
	if v, ok := e.(*driver.ValueExpr); ok {
		if x, ok := v.GetValue().(uint64); ok && x > 1<<63-1 {
			return nil, nil // LIMIT ALL, spelled as the largest unsigned value
		}
	}
	ex, err := b.bindExpr(e, &scope{}, nil)
	if err != nil {
		return nil, err
	}
	if !isConstExpr(ex) {
		return nil, types.Errorf(types.CodeSyntaxError, "argument of %s must not contain variables", what)
	}
	return coerce(ex, types.TInt8)
}

// ---- SELECT ----

func (b *Binder) bindSelect(s *ast.SelectStmt, parent *scope) (*Query, error) {
	if s.Kind == ast.SelectStmtKindValues {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "VALUES ROW is not supported")
	}
	keepNullUnknown := b.setLeaf
	b.setLeaf = false
	if err := b.pushCTEs(s.With); err != nil {
		return nil, err
	}
	defer b.popCTEs()

	// FROM
	var node Node
	sc := &scope{parent: parent}
	if s.From != nil && s.From.TableRefs != nil {
		outerGroupBy := b.sessionGroupBy
		b.sessionGroupBy = s.GroupBy
		n, cols, hidden, err := b.bindFrom(s.From.TableRefs, parent)
		b.sessionGroupBy = outerGroupBy
		if err != nil {
			return nil, err
		}
		node = n
		sc.cols = cols
		sc.usingHidden = hidden
	} else {
		node = &Values{Rows: [][]exec.Expr{{}}}
	}

	// WHERE
	if s.Where != nil {
		if containsAgg(s.Where) {
			return nil, types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed in WHERE")
		}
		if containsWindow(s.Where) {
			return nil, types.Errorf(types.CodeWindowingError, "window functions are not allowed in WHERE")
		}
		w, err := b.bindExpr(s.Where, sc, nil)
		if err != nil {
			return nil, err
		}
		if w, err = coerceBool(w, "WHERE"); err != nil {
			return nil, err
		}
		var rest []exec.Expr
		for _, c := range splitAnd(w) {
			if j := b.decorrelate(node, c); j != nil {
				node = j
				continue
			}
			rest = append(rest, c)
		}
		if len(rest) > 0 {
			node = b.decorrelateWhere(node, rest)
		}
	}

	distinctOn, hasDistinctOn := sql.AsDistinctOn(s)
	fields := s.Fields.Fields

	// Aggregation.
	var agg *aggScope
	needAgg := s.GroupBy != nil || s.Having != nil
	for _, f := range fields {
		if f.Expr != nil && containsAgg(f.Expr) {
			needAgg = true
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			if containsAgg(it.Expr) {
				needAgg = true
			}
		}
	}
	if needAgg {
		var err error
		agg, node, err = b.bindAggregation(s, sc, node)
		if err != nil {
			return nil, err
		}
	}

	// Window functions.
	var win *winScope
	if hasWindow(s) {
		var err error
		if agg != nil {
			if err = agg.preRegister(b, s); err != nil {
				return nil, err
			}
		}
		win, node, err = b.bindWindows(s, sc, agg, node)
		if err != nil {
			return nil, err
		}
	}
	ctx := &exprCtx{agg: agg, win: win}

	// Select list.
	var exprs []exec.Expr
	var cols []Column
	for _, f := range fields {
		if f.WildCard != nil {
			tbl := f.WildCard.Table.O
			if tbl != "" && !sc.hasTable(tbl) {
				return nil, types.Errorf(types.CodeUndefinedTable, "missing FROM-clause entry for table %q", tbl)
			}
			for i, c := range sc.cols {
				if c.Hidden || (tbl == "" && sc.usingHidden[i]) || (tbl != "" && c.Table != tbl) {
					continue
				}
				if agg != nil {
					// Each column must be grouped, as if written out.
					ce := &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(c.Table), Name: ast.NewCIStr(c.Name)}}
					e, err := b.bindExpr(ce, sc, ctx)
					if err != nil {
						return nil, err
					}
					exprs = append(exprs, e)
					cols = append(cols, Column{Name: c.Name, Type: e.Type()})
					continue
				}
				exprs = append(exprs, b.liftCol(ctx, i, c))
				cols = append(cols, c)
			}
			if tbl == "" && len(sc.cols) == 0 {
				return nil, types.Errorf(types.CodeSyntaxError, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		e, err := b.bindExpr(f.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		name := f.AsName.O
		if name == "" {
			name = outputName(f.Expr)
		}
		if e.Type().Family == types.Unknown {
			if c, ok := e.(*exec.Const); !ok || !c.Val.Null || !keepNullUnknown {
				e, _ = coerce(e, types.TText)
			}
		}
		col := Column{Name: name, Type: e.Type()}
		if cr, ok := e.(*exec.ColRef); ok && agg == nil && win == nil {
			src := sc.cols[cr.Idx]
			col.RelID, col.ColNum = src.RelID, src.ColNum
		}
		exprs = append(exprs, e)
		cols = append(cols, col)
	}
	nVisible := len(exprs)

	// ORDER BY: output names/positions, else expressions over the input,
	// appended as hidden columns and trimmed after the sort.
	var keys []SortKey
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			e, nullsFirst, hasNulls := it.Expr, false, false
			if inner, nf, ok := sql.AsNullsOrder(e); ok {
				e, nullsFirst, hasNulls = inner, nf, true
			}
			if !hasNulls {
				nullsFirst = it.Desc
			}
			idx, err := b.orderTarget(e, cols[:nVisible], exprs, sc, ctx)
			if err != nil {
				return nil, err
			}
			if idx < 0 {
				if s.Distinct {
					return nil, types.Errorf(types.CodeInvalidColumnRef, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
				}
				be, err := b.bindExpr(e, sc, ctx)
				if err != nil {
					return nil, err
				}
				idx = len(exprs)
				exprs = append(exprs, be)
				cols = append(cols, Column{Name: "?order?", Type: be.Type()})
			}
			keys = append(keys, SortKey{Col: idx, Desc: it.Desc, NullsFirst: nullsFirst})
		}
	}
	// DISTINCT ON keys.
	var onCols []int
	if hasDistinctOn {
		for _, de := range distinctOn {
			idx, err := b.orderTarget(de, cols[:nVisible], exprs, sc, ctx)
			if err != nil {
				return nil, err
			}
			if idx < 0 {
				be, err := b.bindExpr(de, sc, ctx)
				if err != nil {
					return nil, err
				}
				idx = len(exprs)
				exprs = append(exprs, be)
				cols = append(cols, Column{Name: "?distinct?", Type: be.Type()})
			}
			onCols = append(onCols, idx)
		}
	}
	if agg == nil && win == nil {
		// Correlated scalar subqueries over the FROM row as joins.
		node, exprs = b.decorrelateScalars(node, exprs)
	}
	node = &Project{In: node, Exprs: exprs, Cols: cols}

	if hasDistinctOn && len(keys) > 0 {
		left := map[int]bool{}
		for _, c := range onCols {
			left[c] = true
		}
		for _, k := range keys {
			if len(left) == 0 {
				break
			}
			if !left[k.Col] {
				return nil, types.Errorf(types.CodeInvalidColumnRef, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
			}
			delete(left, k.Col)
		}
	}
	if hasDistinctOn {
		// Sort by the ON keys first (then the ORDER BY), keep the first row.
		var dk []SortKey
		for _, c := range onCols {
			dk = append(dk, SortKey{Col: c})
		}
		for i, k := range keys {
			if i < len(onCols) {
				continue
			}
			dk = append(dk, k)
		}
		node = &Sort{In: node, Keys: mergeOnKeys(onCols, keys)}
		node = &Distinct{In: node, On: onCols}
		keys = nil
		_ = dk
	} else if s.Distinct {
		if len(exprs) > nVisible {
			return nil, types.Errorf(types.CodeInvalidColumnRef, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		node = &Distinct{In: node}
	}
	if len(keys) > 0 {
		node = &Sort{In: node, Keys: keys}
	}
	q := &Query{Root: node, Cols: cols[:nVisible]}
	var err error
	if q, err = b.applyLimit(q, s.Limit); err != nil {
		return nil, err
	}
	if len(cols) > nVisible {
		q.Root = trimProject(q.Root, nVisible)
	}
	return q, nil
}

// mergeOnKeys orders DISTINCT ON input: ORDER BY keys must start with the ON
// expressions (as in PostgreSQL); the ON columns come first either way.
func mergeOnKeys(on []int, keys []SortKey) []SortKey {
	out := make([]SortKey, 0, len(on)+len(keys))
	used := map[int]bool{}
	for i, c := range on {
		k := SortKey{Col: c}
		if i < len(keys) && keys[i].Col == c {
			k = keys[i]
		}
		used[c] = true
		out = append(out, k)
	}
	for _, k := range keys {
		if !used[k.Col] {
			out = append(out, k)
		}
	}
	return out
}

func trimProject(n Node, keep int) Node {
	cols := n.Schema()[:keep]
	exprs := make([]exec.Expr, keep)
	for i, c := range cols {
		exprs[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
	}
	return &Project{In: n, Exprs: exprs, Cols: cols}
}

// orderTarget resolves an ORDER BY item that names an output column (by
// alias or position) or repeats a select-list expression; -1 otherwise.
func (b *Binder) orderTarget(e ast.ExprNode, out []Column, exprs []exec.Expr, sc *scope, ctx *exprCtx) (int, error) {
	switch x := e.(type) {
	case *ast.PositionExpr:
		if x.N < 1 || x.N > len(out) {
			return 0, types.Errorf(types.CodeInvalidColumnRef, "ORDER BY position %d is not in select list", x.N)
		}
		return x.N - 1, nil
	case *driver.ValueExpr:
		if n, ok := x.GetValue().(int64); ok {
			if n < 1 || int(n) > len(out) {
				return 0, types.Errorf(types.CodeInvalidColumnRef, "ORDER BY position %d is not in select list", n)
			}
			return int(n) - 1, nil
		}
	case *ast.ColumnNameExpr:
		if x.Name.Table.O == "" {
			match := -1
			for i, c := range out {
				if c.Name == x.Name.Name.O {
					if match >= 0 {
						// PostgreSQL: ambiguous only if the two differ.
						if exprs[match].String() != exprs[i].String() {
							return 0, types.Errorf(types.CodeAmbiguousColumn, "ORDER BY %q is ambiguous", c.Name)
						}
						continue
					}
					match = i
				}
			}
			if match >= 0 {
				return match, nil
			}
		}
	}
	be, err := b.bindExpr(e, sc, ctx)
	if err != nil {
		return 0, err
	}
	key := be.String()
	for i := range out {
		if exprs[i].String() == key {
			return i, nil
		}
	}
	return -1, nil
}

// liftCol returns the expression for FROM column i at the select list
// (through the window node when there is one, which keeps input columns).
func (b *Binder) liftCol(ctx *exprCtx, i int, c Column) exec.Expr {
	return &exec.ColRef{Idx: i, Typ: c.Type, Name: qualName(c.Table, c.Name)}
}

func outputName(e ast.ExprNode) string {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		return x.Name.Name.O
	case *ast.AggregateFuncExpr:
		return lower(x.F)
	case *ast.WindowFuncExpr:
		return lower(x.Name)
	case *ast.FuncCallExpr:
		if arg, t, ok := sql.AsCast(x); ok {
			if n := outputName(arg); n != "?column?" {
				return n
			}
			return pgTypeName(t)
		}
		if _, ok := sql.AsParam(x); ok {
			return "?column?"
		}
		return x.FnName.L
	case *ast.CaseExpr:
		return "case"
	case *ast.ParenthesesExpr:
		return outputName(x.Expr)
	case *ast.ExistsSubqueryExpr:
		return "exists"
	case *ast.SubqueryExpr:
		if sel, ok := x.Query.(*ast.SelectStmt); ok && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].Expr != nil {
			if sel.Fields.Fields[0].AsName.O != "" {
				return sel.Fields.Fields[0].AsName.O
			}
			return outputName(sel.Fields.Fields[0].Expr)
		}
	case *driver.ValueExpr:
		if x.Type.GetFlag()&mysql.IsBooleanFlag != 0 {
			return "bool"
		}
	}
	return "?column?"
}

// pgTypeName is the internal name PostgreSQL uses for a cast's column.
func pgTypeName(t types.T) string {
	switch t.Family {
	case types.Bool:
		return "bool"
	case types.Int16:
		return "int2"
	case types.Int32:
		return "int4"
	case types.Int64:
		return "int8"
	case types.Float32:
		return "float4"
	case types.Float64:
		return "float8"
	case types.Numeric:
		return "numeric"
	case types.Text:
		if t.Width > 0 {
			return "varchar"
		}
		return "text"
	case types.Timestamptz:
		return "timestamptz"
	case types.Timestamp:
		return "timestamp"
	}
	return t.String()
}

// ---- FROM ----

func (b *Binder) bindFrom(j *ast.Join, parent *scope) (Node, []Column, map[int]bool, error) {
	if j.Right == nil {
		n, cols, err := b.bindTableSource(j.Left, parent)
		return n, cols, nil, err
	}
	ln, lcols, lh, err := b.bindFromNode(j.Left, parent)
	if err != nil {
		return nil, nil, nil, err
	}
	temporal, err := b.temporalRight(j)
	if err != nil {
		return nil, nil, nil, err
	}
	rn, rcols, rh, err := b.bindFromNode(j.Right, parent)
	b.temporalOK = false
	if err != nil {
		return nil, nil, nil, err
	}
	ltabs := map[string]bool{}
	for _, c := range lcols {
		if c.Table != "" {
			ltabs[c.Table] = true
		}
	}
	for _, c := range rcols {
		if c.Table != "" && ltabs[c.Table] {
			return nil, nil, nil, types.Errorf("42712", "table name %q specified more than once", c.Table)
		}
	}
	cols := append(append([]Column(nil), lcols...), rcols...)
	hidden := map[int]bool{}
	for k := range lh {
		hidden[k] = true
	}
	for k := range rh {
		hidden[k+len(lcols)] = true
	}
	kind := JoinInner
	switch j.Tp {
	case ast.LeftJoin:
		kind = JoinLeft
	case ast.RightJoin:
		kind = JoinRight
	}
	var onExpr ast.ExprNode
	if j.On != nil {
		onExpr = j.On.Expr
		if cond, ok := sql.IsFullJoin(j); ok {
			kind = JoinFull
			onExpr = cond
			if names, ok := sql.AsUsing(cond); ok {
				onExpr = nil
				j.Using = names
			}
		}
	}
	sc := &scope{cols: cols, parent: parent, usingHidden: hidden}
	var conds []exec.Expr
	if onExpr != nil {
		e, err := b.bindExpr(onExpr, sc, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		if e, err = coerceBool(e, "JOIN/ON"); err != nil {
			return nil, nil, nil, err
		}
		conds = splitAnd(e)
	}
	using := j.Using
	if j.NaturalJoin {
		for i, lc := range lcols {
			if lc.Hidden || lh[i] {
				continue
			}
			for k, rc := range rcols {
				if rc.Name == lc.Name && !rc.Hidden && !rh[k] {
					using = append(using, &ast.ColumnName{Name: ast.NewCIStr(lc.Name)})
				}
			}
		}
	}
	var merged []exec.Expr
	var mcols []Column
	if len(using) > 0 {
		lsc := &scope{cols: lcols, usingHidden: lh}
		rsc := &scope{cols: rcols, usingHidden: rh}
		for _, u := range using {
			li, err := lsc.lookup("", u.Name.O)
			if err != nil {
				return nil, nil, nil, err
			}
			ri, err := rsc.lookup("", u.Name.O)
			if err != nil {
				return nil, nil, nil, err
			}
			if li < 0 || ri < 0 {
				return nil, nil, nil, types.Errorf(types.CodeUndefinedColumn, "column %q specified in USING clause does not exist in %s table", u.Name.O, map[bool]string{true: "left", false: "right"}[li < 0])
			}
			l := &exec.ColRef{Idx: li, Typ: lcols[li].Type, Name: u.Name.O}
			r := &exec.ColRef{Idx: len(lcols) + ri, Typ: rcols[ri].Type, Name: u.Name.O}
			eq, err := b.binaryOp("=", l, r)
			if err != nil {
				return nil, nil, nil, err
			}
			conds = append(conds, eq)
			// The merged column: the left value (right for RIGHT JOIN,
			// COALESCE of both for FULL JOIN), in the common type.
			t, err := commonType(l.Type(), r.Type(), "JOIN/USING")
			if err != nil {
				return nil, nil, nil, err
			}
			if t.Family == types.Unknown {
				t = types.TText
			}
			lm, err := coerce(&exec.ColRef{Idx: li, Typ: lcols[li].Type, Name: u.Name.O}, t)
			if err != nil {
				return nil, nil, nil, err
			}
			rm, err := coerce(&exec.ColRef{Idx: len(lcols) + ri, Typ: rcols[ri].Type, Name: u.Name.O}, t)
			if err != nil {
				return nil, nil, nil, err
			}
			m := lm
			switch kind {
			case JoinRight:
				m = rm
			case JoinFull:
				m = mkCoalesce([]exec.Expr{lm, rm}, t)
			}
			merged = append(merged, m)
			mcols = append(mcols, Column{Name: u.Name.O, Type: t})
			hidden[li] = true
			hidden[len(lcols)+ri] = true
		}
	}
	var node Node = &Join{Kind: kind, L: ln, R: rn, Conds: conds, Temporal: temporal}
	if len(merged) > 0 {
		// PostgreSQL lists the merged USING columns first.
		exprs := merged
		for i, c := range cols {
			exprs = append(exprs, &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name})
		}
		outCols := append(mcols, cols...)
		shifted := map[int]bool{}
		for k := range hidden {
			shifted[k+len(merged)] = true
		}
		node = &Project{In: node, Exprs: exprs, Cols: outCols}
		cols, hidden = outCols, shifted
	}
	return node, cols, hidden, nil
}

func (b *Binder) bindFromNode(n ast.ResultSetNode, parent *scope) (Node, []Column, map[int]bool, error) {
	if j, ok := n.(*ast.Join); ok {
		return b.bindFrom(j, parent)
	}
	nd, cols, err := b.bindTableSource(n, parent)
	return nd, cols, nil, err
}

func (b *Binder) bindTableSource(n ast.ResultSetNode, parent *scope) (Node, []Column, error) {
	if tf, ok := sql.AsTableFunc(n); ok {
		return b.bindTableFunc(tf, parent)
	}
	if w, ok := sql.AsWindowTVF(n); ok {
		return b.bindWindowTVF(w, parent)
	}
	switch x := n.(type) {
	case *ast.TableSource:
		alias := x.AsName.O
		var nd Node
		var cols []Column
		var err error
		switch src := x.Source.(type) {
		case *ast.TableName:
			nd, cols, err = b.bindTableName(src, alias)
		case *ast.SelectStmt, *ast.SetOprStmt:
			if alias == "" {
				return nil, nil, types.Errorf(types.CodeSyntaxError, "subquery in FROM must have an alias")
			}
			var q *Query
			q, err = b.bindQueryIn(src, nil)
			if err == nil {
				nd = q.Root
				cols = make([]Column, len(q.Cols))
				for i, c := range q.Cols {
					cols[i] = Column{Name: c.Name, Table: alias, Type: c.Type}
				}
			}
		default:
			return b.bindTableSource(src, parent)
		}
		if err != nil {
			return nil, nil, err
		}
		if len(x.ColumnNames) > 0 {
			vis := 0
			for i := range cols {
				if cols[i].Hidden {
					continue
				}
				if vis < len(x.ColumnNames) {
					cols[i].Name = x.ColumnNames[vis].O
				}
				vis++
			}
		}
		return nd, cols, nil
	case *ast.TableName:
		return b.bindTableName(x, "")
	case *ast.Join:
		nd, cols, hidden, err := b.bindFrom(x, parent)
		if len(hidden) > 0 {
			for k := range hidden {
				cols[k].Hidden = true
			}
		}
		return nd, cols, err
	}
	return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "unsupported FROM item %T", n)
}

func (b *Binder) bindTableName(t *ast.TableName, alias string) (Node, []Column, error) {
	if err := b.checkAsOf(t); err != nil {
		return nil, nil, err
	}
	name := t.Name.O
	if alias == "" {
		alias = name
	}
	if t.Schema.O == "" || t.Schema.O == "public" {
		if d := b.findCTE(name); d != nil {
			if d.binding {
				return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "recursive reference to query %q is not supported", name)
			}
			d.binding = true
			q, err := b.bindQueryIn(d.query, nil)
			d.binding = false
			if err != nil {
				return nil, nil, err
			}
			cols := make([]Column, len(q.Cols))
			for i, c := range q.Cols {
				cols[i] = Column{Name: c.Name, Table: alias, Type: c.Type}
				if i < len(d.colName) {
					cols[i].Name = d.colName[i]
				}
			}
			return q.Root, cols, nil
		}
	}
	if v := b.virtualTable(t.Schema.O, name); v != nil {
		cols := make([]Column, len(v.Cols))
		for i, c := range v.Cols {
			cols[i] = Column{Name: c.Name, Table: alias, Type: c.Type}
		}
		return &Values{Cols: cols, Rows: v.Rows}, cols, nil
	}
	rel := b.Cat.Get(name)
	if rel == nil {
		return nil, nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	if b.Deps == nil {
		b.Deps = map[uint32]bool{}
	}
	b.Deps[rel.ID] = true
	switch rel.Kind {
	case catalog.KindView:
		stmts, err := sql.Parse(rel.SQL)
		if err != nil {
			return nil, nil, err
		}
		qs, ok := stmts[0].(*sql.Query)
		if !ok || len(stmts) != 1 {
			return nil, nil, types.Errorf(types.CodeInternal, "view %q has an invalid definition", name)
		}
		sub := &Binder{Cat: b.Cat, Phys: b.Phys, Deps: b.Deps}
		q, err := sub.BindQuery(qs.Node)
		if err != nil {
			return nil, nil, err
		}
		// The view's subqueries are part of this statement's plan: keep
		// how they were built, so that a materialized view over the view
		// can lift them into joins as it does its own.
		for e, info := range sub.subs {
			if b.subs == nil {
				b.subs = map[exec.Expr]*subInfo{}
			}
			b.subs[e] = info
		}
		cols := make([]Column, len(q.Cols))
		for i, c := range q.Cols {
			cols[i] = Column{Name: c.Name, Table: alias, Type: c.Type}
			if i < len(rel.Columns) {
				cols[i].Name = rel.Columns[i].Name
			}
		}
		return q.Root, cols, nil
	case catalog.KindSink:
		return nil, nil, types.Errorf(types.CodeWrongObjectType, "%q is a sink and cannot be queried", name)
	case catalog.KindSource:
		return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "querying source %q directly is not supported; create a materialized view over it", name)
	}
	cols := make([]Column, len(rel.Columns))
	for i, c := range rel.Columns {
		cols[i] = Column{Name: c.Name, Table: alias, Type: c.Type, Hidden: c.Hidden, RelID: rel.ID, ColNum: int16(i + 1)}
	}
	return &Scan{Rel: rel, Alias: alias, Cols: cols}, cols, nil
}

// ---- expressions ----

// exprCtx says how to bind expressions above an aggregation or window.
type exprCtx struct {
	agg *aggScope
	win *winScope
}

func (b *Binder) bindExpr(e ast.ExprNode, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	if ctx != nil {
		if ctx.win != nil {
			if w, ok := e.(*ast.WindowFuncExpr); ok {
				return ctx.win.ref(w)
			}
		}
		if ctx.agg != nil {
			r, err := ctx.agg.match(b, e, sc)
			if err != nil || r != nil {
				return r, err
			}
		}
	}
	switch x := e.(type) {
	case *driver.ValueExpr:
		return literal(x)
	case *ast.ParenthesesExpr:
		return b.bindExpr(x.Expr, sc, ctx)
	case *ast.ColumnNameExpr:
		r, err := sc.resolve(x.Name.Table.O, x.Name.Name.O)
		if err != nil {
			return nil, err
		}
		if r == nil {
			if x.Name.Table.O != "" && !scopeHasTable(sc, x.Name.Table.O) {
				return nil, types.Errorf(types.CodeUndefinedTable, "missing FROM-clause entry for table %q", x.Name.Table.O)
			}
			return nil, types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", qualName(x.Name.Table.O, x.Name.Name.O))
		}
		if ctx != nil && ctx.agg != nil {
			if _, isOuter := r.(*exec.ColRef); isOuter {
				return nil, types.Errorf(types.CodeGroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", qualName(x.Name.Table.O, x.Name.Name.O))
			}
		}
		if ctx != nil && ctx.win != nil {
			return ctx.win.liftInput(r), nil
		}
		return r, nil
	case *ast.BinaryOperationExpr:
		return b.bindBinary(x, sc, ctx)
	case *ast.UnaryOperationExpr:
		v, err := b.bindExpr(x.V, sc, ctx)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case opcode.Minus:
			if c, ok := v.(*exec.Const); ok && !c.Val.Null && c.Typ.IsInteger() {
				// Fold -literal so that -2147483648 stays an integer.
				return negateConst(c)
			}
			return b.callFunc("u-", []exec.Expr{v})
		case opcode.Plus:
			return b.callFunc("u+", []exec.Expr{v})
		case opcode.Not, opcode.Not2:
			v, err = coerceBool(v, "NOT")
			if err != nil {
				return nil, err
			}
			return mkNot(v), nil
		case opcode.BitNeg:
			return b.callFunc("~", []exec.Expr{v})
		}
		return nil, types.Errorf(types.CodeFeatureNotSupported, "unsupported unary operator %s", x.Op)
	case *ast.IsNullExpr:
		if row, ok := x.Expr.(*ast.RowExpr); ok {
			// ROW(...) IS [NOT] NULL: every field is [not] null.
			var cs []exec.Expr
			for _, f := range row.Values {
				v, err := b.bindExpr(f, sc, ctx)
				if err != nil {
					return nil, err
				}
				cs = append(cs, mkIsNull(v, x.Not))
			}
			return mkAnd(cs), nil
		}
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		return mkIsNull(v, x.Not), nil
	case *ast.IsTruthExpr:
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		if v, err = coerceBool(v, "IS TRUE"); err != nil {
			return nil, err
		}
		return mkIsBool(v, x.True != 0, x.Not), nil
	case *ast.BetweenExpr:
		if lo, ok := sql.AsSymmetric(x.Left); ok {
			// BETWEEN SYMMETRIC: (x BETWEEN lo AND hi) OR (x BETWEEN hi AND lo).
			var ors []exec.Expr
			for _, lh := range [][2]ast.ExprNode{{lo, x.Right}, {x.Right, lo}} {
				e, err := b.bindExpr(&ast.BetweenExpr{Expr: x.Expr, Left: lh[0], Right: lh[1]}, sc, ctx)
				if err != nil {
					return nil, err
				}
				ors = append(ors, e)
			}
			e := mkOr(ors)
			if x.Not {
				return mkNot(e), nil
			}
			return e, nil
		}
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		lo, err := b.bindExpr(x.Left, sc, ctx)
		if err != nil {
			return nil, err
		}
		hi, err := b.bindExpr(x.Right, sc, ctx)
		if err != nil {
			return nil, err
		}
		ge, err := b.binaryOp(">=", v, lo)
		if err != nil {
			return nil, err
		}
		le, err := b.binaryOp("<=", v, hi)
		if err != nil {
			return nil, err
		}
		and := mkAnd([]exec.Expr{ge, le})
		if x.Not {
			return mkNot(and), nil
		}
		return and, nil
	case *ast.PatternLikeOrIlikeExpr:
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(x.Pattern, sc, ctx)
		if err != nil {
			return nil, err
		}
		name := "like"
		if !x.IsLike {
			name = "ilike"
		}
		if x.Not {
			name = "not " + name
		}
		args := []exec.Expr{v, p}
		if x.EscapeExplicit || (x.Escape != '\\' && x.Escape != 0) {
			args = append(args, &exec.Const{Val: types.NewString(string([]byte{x.Escape})), Typ: types.TText})
		}
		return b.callFunc(name, args)
	case *ast.PatternRegexpExpr:
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(x.Pattern, sc, ctx)
		if err != nil {
			return nil, err
		}
		name := "~"
		if x.Not {
			name = "!~"
		}
		return b.callFunc(name, []exec.Expr{v, p})
	case *ast.PatternInExpr:
		return b.bindIn(x, sc, ctx)
	case *ast.CaseExpr:
		return b.bindCase(x, sc, ctx)
	case *ast.FuncCallExpr:
		return b.bindFuncCall(x, sc, ctx)
	case *ast.AggregateFuncExpr:
		return nil, types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed here")
	case *ast.WindowFuncExpr:
		return nil, types.Errorf(types.CodeWindowingError, "window functions are not allowed here")
	case *ast.SubqueryExpr:
		return b.bindSubquery(x, subScalar, nil, "", false, sc)
	case *ast.ExistsSubqueryExpr:
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, types.Errorf(types.CodeSyntaxError, "EXISTS needs a subquery")
		}
		return b.bindSubquery(sq, subExists, nil, "", x.Not, sc)
	case *ast.CompareSubqueryExpr:
		l, err := b.bindExpr(x.L, sc, ctx)
		if err != nil {
			return nil, err
		}
		sq, ok := x.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "ANY/ALL needs a subquery")
		}
		kind := subAny
		if x.All {
			kind = subAll
		}
		return b.bindSubquery(sq, kind, l, opName(x.Op), false, sc)
	case *ast.RowExpr:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "row constructors are not supported")
	case *ast.DefaultExpr:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "DEFAULT is not allowed in this context")
	case *ast.VariableExpr:
		return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near \"@\"")
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "unsupported expression %T", e)
}

func scopeHasTable(s *scope, t string) bool {
	for ; s != nil; s = s.parent {
		if s.hasTable(t) {
			return true
		}
	}
	return false
}

func opName(op opcode.Op) string {
	switch op {
	case opcode.EQ:
		return "="
	case opcode.NE:
		return "<>"
	case opcode.LT:
		return "<"
	case opcode.LE:
		return "<="
	case opcode.GT:
		return ">"
	case opcode.GE:
		return ">="
	case opcode.Plus:
		return "+"
	case opcode.Minus:
		return "-"
	case opcode.Mul:
		return "*"
	case opcode.Div:
		return "/"
	case opcode.Mod:
		return "%"
	case opcode.IntDiv:
		return "div"
	case opcode.And:
		return "&"
	case opcode.Or:
		return "|"
	case opcode.Xor:
		return "#"
	case opcode.LeftShift:
		return "<<"
	case opcode.RightShift:
		return ">>"
	}
	return op.String()
}

func (b *Binder) bindBinary(x *ast.BinaryOperationExpr, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	switch x.Op {
	case opcode.LogicAnd, opcode.LogicOr:
		l, err := b.bindExpr(x.L, sc, ctx)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(x.R, sc, ctx)
		if err != nil {
			return nil, err
		}
		what := "AND"
		if x.Op == opcode.LogicOr {
			what = "OR"
		}
		if l, err = coerceBool(l, what); err != nil {
			return nil, err
		}
		if r, err = coerceBool(r, what); err != nil {
			return nil, err
		}
		if x.Op == opcode.LogicAnd {
			return mkAnd(append(splitAnd(l), splitAnd(r)...)), nil
		}
		return mkOr([]exec.Expr{l, r}), nil
	case opcode.LogicXor:
		return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near \"XOR\"")
	}
	if lr, ok := x.L.(*ast.RowExpr); ok {
		if rr, ok := x.R.(*ast.RowExpr); ok {
			return b.rowCompare(x.Op, lr.Values, rr.Values, sc, ctx)
		}
	}
	l, err := b.bindExpr(x.L, sc, ctx)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(x.R, sc, ctx)
	if err != nil {
		return nil, err
	}
	if x.Op == opcode.NullEQ {
		return b.distinctOp(l, r, false)
	}
	if x.Op == opcode.IntDiv {
		return b.callFunc("div", []exec.Expr{l, r})
	}
	return b.binaryOp(opName(x.Op), l, r)
}

// rowCompare compares two row constructors field by field, as PostgreSQL
// does: = and <> pairwise, ordering operators lexicographically.
func (b *Binder) rowCompare(op opcode.Op, l, r []ast.ExprNode, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	if len(l) != len(r) {
		return nil, types.Errorf(types.CodeSyntaxError, "unequal number of entries in row expressions")
	}
	name := opName(op)
	ls := make([]exec.Expr, len(l))
	rs := make([]exec.Expr, len(r))
	for i := range l {
		var err error
		if ls[i], err = b.bindExpr(l[i], sc, ctx); err != nil {
			return nil, err
		}
		if rs[i], err = b.bindExpr(r[i], sc, ctx); err != nil {
			return nil, err
		}
	}
	pair := func(i int, o string) (exec.Expr, error) {
		// Bind afresh: an expression node may appear only once in a tree.
		lv, err := b.bindExpr(l[i], sc, ctx)
		if err != nil {
			return nil, err
		}
		rv, err := b.bindExpr(r[i], sc, ctx)
		if err != nil {
			return nil, err
		}
		return b.binaryOp(o, lv, rv)
	}
	switch name {
	case "=", "<>":
		cs := make([]exec.Expr, len(l))
		for i := range l {
			c, err := b.binaryOp(name, ls[i], rs[i])
			if err != nil {
				return nil, err
			}
			cs[i] = c
		}
		if name == "=" {
			return mkAnd(cs), nil
		}
		return mkOr(cs), nil
	case "<", "<=", ">", ">=":
		strict := name[:1]
		// a1 op' b1 OR (a1 = b1 AND (rest))
		var acc exec.Expr
		for i := len(l) - 1; i >= 0; i-- {
			o := strict
			if i == len(l)-1 {
				o = name
			}
			c, err := pair(i, o)
			if err != nil {
				return nil, err
			}
			if acc == nil {
				acc = c
				continue
			}
			eq, err := pair(i, "=")
			if err != nil {
				return nil, err
			}
			acc = mkOr([]exec.Expr{c, mkAnd([]exec.Expr{eq, acc})})
		}
		return acc, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "operator %s is not supported for row expressions", name)
}

// distinctOp builds IS [NOT] DISTINCT FROM (negate=false: NOT DISTINCT).
func (b *Binder) distinctOp(l, r exec.Expr, distinct bool) (exec.Expr, error) {
	o, casts, err := resolveOp("=", []exec.Expr{l, r})
	if err != nil {
		return nil, err
	}
	args, err := castArgs([]exec.Expr{l, r}, casts)
	if err != nil {
		return nil, err
	}
	return mkIsDistinct(o, args[0], args[1], distinct), nil
}

func (b *Binder) binaryOp(name string, l, r exec.Expr) (exec.Expr, error) {
	return b.callFunc(name, []exec.Expr{l, r})
}

func (b *Binder) callFunc(name string, args []exec.Expr) (exec.Expr, error) {
	o, casts, err := resolveOp(name, args)
	if err != nil {
		return nil, err
	}
	cargs, err := castArgs(args, casts)
	if err != nil {
		return nil, err
	}
	// A strict function with a NULL constant argument is NULL, whatever
	// its other arguments (PostgreSQL simplifies it so at plan time).
	if !o.NullCall && !o.Volatile {
		for _, a := range cargs {
			if c, ok := a.(*exec.Const); ok && c.Val.Null {
				return &exec.Const{Val: types.Null, Typ: o.Ret}, nil
			}
		}
	}
	f := mkFunc(o, cargs)
	// Fold constant calls now so literal errors surface at bind time and
	// every row does not recompute them.
	folded, err := foldConst(f)
	if err != nil && b.lazy > 0 {
		return f, nil
	}
	return folded, err
}

// rowInSubquery binds (a, b) [NOT] IN (SELECT x, y ...). PostgreSQL's
// result is true when a row matches on every field, NULL when none does
// but some row matches with NULL comparisons (no field comparison false),
// else false; it is built as CASE WHEN EXISTS (match) THEN true WHEN
// EXISTS (match or unknown) THEN NULL ELSE false END.
func (b *Binder) rowInSubquery(row *ast.RowExpr, sq *ast.SubqueryExpr, not bool, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	exists := func(orNull bool) (exec.Expr, error) {
		names := make([]ast.CIStr, len(row.Values))
		var where ast.ExprNode
		for i, v := range row.Values {
			names[i] = ast.NewCIStr("?in" + strconv.Itoa(i+1) + "?")
			var c ast.ExprNode = &ast.BinaryOperationExpr{Op: opcode.EQ,
				L: &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr("?in?"), Name: names[i]}}, R: v}
			if orNull {
				c = &ast.IsTruthExpr{Expr: c, Not: true, True: 0} // IS NOT FALSE
			}
			if where == nil {
				where = c
			} else {
				where = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: where, R: c}
			}
		}
		sel := &ast.SelectStmt{
			Kind:   ast.SelectStmtKindSelect,
			Fields: &ast.FieldList{Fields: []*ast.SelectField{{Expr: ast.NewValueExpr(int64(1), "", "")}}},
			From:   &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: sq.Query, AsName: ast.NewCIStr("?in?"), ColumnNames: names}}},
			Where:  where,
		}
		return b.bindExpr(&ast.ExistsSubqueryExpr{Sel: &ast.SubqueryExpr{Query: sel}}, sc, ctx)
	}
	match, err := exists(false)
	if err != nil {
		return nil, err
	}
	maybe, err := exists(true)
	if err != nil {
		return nil, err
	}
	e := mkCase([]exec.Expr{match, maybe},
		[]exec.Expr{&exec.Const{Val: types.NewBool(true), Typ: types.TBool}, &exec.Const{Val: types.Null, Typ: types.TBool}},
		&exec.Const{Val: types.NewBool(false), Typ: types.TBool}, types.TBool)
	if not {
		e = mkNot(e)
	}
	return e, nil
}

func (b *Binder) bindIn(x *ast.PatternInExpr, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	if row, ok := x.Expr.(*ast.RowExpr); ok && x.Sel != nil {
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "IN needs a subquery or a list")
		}
		return b.rowInSubquery(row, sq, x.Not, sc, ctx)
	}
	if row, ok := x.Expr.(*ast.RowExpr); ok && x.Sel == nil {
		// (a, b) IN ((1, 2), ...): an OR of row comparisons.
		var ors []exec.Expr
		for _, le := range x.List {
			r, ok := le.(*ast.RowExpr)
			if !ok {
				return nil, types.Errorf(types.CodeFeatureNotSupported, "IN with a row on the left needs rows in the list")
			}
			c, err := b.rowCompare(opcode.EQ, row.Values, r.Values, sc, ctx)
			if err != nil {
				return nil, err
			}
			ors = append(ors, c)
		}
		var e exec.Expr = ors[0]
		if len(ors) > 1 {
			e = mkOr(ors)
		}
		if x.Not {
			e = mkNot(e)
		}
		return e, nil
	}
	if x.Sel == nil && len(x.List) == 1 {
		// PostgreSQL turns x IN (y) into x = y (x NOT IN (y) into x <> y).
		v, err := b.bindExpr(x.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		y, err := b.bindExpr(x.List[0], sc, ctx)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return b.binaryOp("<>", v, y)
		}
		return b.binaryOp("=", v, y)
	}
	v, err := b.bindExpr(x.Expr, sc, ctx)
	if err != nil {
		return nil, err
	}
	if x.Sel != nil {
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, types.Errorf(types.CodeFeatureNotSupported, "IN needs a subquery or a list")
		}
		return b.bindSubquery(sq, subIn, v, "=", x.Not, sc)
	}
	list := make([]exec.Expr, len(x.List))
	all := append([]exec.Expr{v}, list...)
	for i, le := range x.List {
		if list[i], err = b.bindExpr(le, sc, ctx); err != nil {
			return nil, err
		}
		all[i+1] = list[i]
	}
	// PostgreSQL resolves the list like a CASE: one common type.
	t := v.Type()
	for _, le := range list {
		if t, err = commonType(t, le.Type(), "IN"); err != nil {
			return nil, err
		}
	}
	if t.Family == types.Unknown {
		t = types.TText
	}
	o, casts, err := resolveOp("=", []exec.Expr{typedPlaceholder(t), typedPlaceholder(t)})
	if err != nil {
		return nil, err
	}
	if v, err = coerce(v, casts[0]); err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = coerce(list[i], casts[1]); err != nil {
			return nil, err
		}
	}
	return mkInList(o, v, list, x.Not), nil
}

func (b *Binder) bindCase(x *ast.CaseExpr, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	var operand exec.Expr
	var err error
	if x.Value != nil {
		if operand, err = b.bindExpr(x.Value, sc, ctx); err != nil {
			return nil, err
		}
	}
	conds := make([]exec.Expr, len(x.WhenClauses))
	results := make([]exec.Expr, len(x.WhenClauses))
	lazyFrom := b.lazy
	defer func() { b.lazy = lazyFrom }()
	for i, w := range x.WhenClauses {
		c, err := b.bindExpr(w.Expr, sc, ctx)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if c, err = b.binaryOp("=", operand, c); err != nil {
				return nil, err
			}
		} else if c, err = coerceBool(c, "CASE/WHEN"); err != nil {
			return nil, err
		}
		conds[i] = c
		var k exec.Const
		isConst := false
		if scalar.IsConst(c) {
			if d, err := scalar.EvalConst(&exec.EvalCtx{}, c); err == nil {
				k, isConst = exec.Const{Val: d}, true
			}
		}
		never := isConst && (k.Val.Null || !k.Val.B)
		if never {
			b.lazy++
		}
		if results[i], err = b.bindExpr(w.Result, sc, ctx); err != nil {
			return nil, err
		}
		if never {
			b.lazy--
		}
		if isConst && !k.Val.Null && k.Val.B {
			b.lazy++ // later branches are unreachable
		}
	}
	var els exec.Expr
	if x.ElseClause != nil {
		if els, err = b.bindExpr(x.ElseClause, sc, ctx); err != nil {
			return nil, err
		}
	}
	// PostgreSQL resolves the ELSE result first, then the THEN results.
	var all []exec.Expr
	if els != nil {
		all = append(all, els)
	}
	all = append(all, results...)
	t, err := commonTypeOf(all, "CASE")
	if err != nil {
		return nil, err
	}
	for i := range results {
		if results[i], err = coerce(results[i], t); err != nil {
			return nil, err
		}
	}
	if els != nil {
		if els, err = coerce(els, t); err != nil {
			return nil, err
		}
	}
	return mkCase(conds, results, els, t), nil
}

func literal(v *driver.ValueExpr) (exec.Expr, error) {
	if v.Type.GetFlag()&mysql.IsBooleanFlag != 0 {
		n, _ := v.GetValue().(int64)
		return &exec.Const{Val: types.NewBool(n != 0), Typ: types.TBool}, nil
	}
	switch x := v.GetValue().(type) {
	case nil:
		return &exec.Const{Val: types.Null, Typ: types.TUnknown}, nil
	case int64:
		if x >= -1<<31 && x < 1<<31 {
			return &exec.Const{Val: types.NewInt(x), Typ: types.TInt4}, nil
		}
		return &exec.Const{Val: types.NewInt(x), Typ: types.TInt8}, nil
	case uint64:
		d, err := types.ParseText(types.TNumeric, strconv.FormatUint(x, 10))
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: types.TNumeric}, nil
	case float64:
		d, err := types.ParseText(types.TNumeric, strconv.FormatFloat(x, 'g', -1, 64))
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: types.TNumeric}, nil
	case *driver.MyDecimal:
		d, err := types.ParseText(types.TNumeric, x.String())
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: types.TNumeric}, nil
	case string:
		return &exec.Const{Val: types.NewString(x), Typ: types.TUnknown}, nil
	case []byte:
		return &exec.Const{Val: types.NewBytes(x), Typ: types.TUnknown}, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "unsupported literal %v", v.GetValue())
}

func negateConst(c *exec.Const) (exec.Expr, error) {
	v := c.Val.I
	if v == -1<<63 {
		return nil, types.Errorf(types.CodeNumericOutOfRange, "bigint out of range")
	}
	n := -v
	t := c.Typ
	if t.Family == types.Int32 && (n < -1<<31 || n >= 1<<31) {
		t = types.TInt8
	}
	if t.Family == types.Int64 && n == -1<<31 {
		t = types.TInt4
	}
	return &exec.Const{Val: types.NewInt(n), Typ: t}, nil
}
