package planner

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// aggregateNames are the functions that aggregate; TiDB parses only some of
// them as AggregateFuncExpr, the rest arrive as plain calls.
var aggregateNames = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"string_agg": true, "bool_and": true, "bool_or": true, "every": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "variance": true,
	"var_samp": true, "var_pop": true, "array_agg": true,
}

func (b *Binder) bindFuncCall(x *ast.FuncCallExpr, sc *scope, ctx *exprCtx) (exec.Expr, error) {
	if arg, t, ok := sql.AsCast(x); ok {
		v, err := b.bindExpr(arg, sc, ctx)
		if err != nil {
			return nil, err
		}
		return explicitCast(v, t)
	}
	if n, ok := sql.AsParam(x); ok {
		return b.param(n)
	}
	if op, l, r, ok := sql.AsOperator(x); ok {
		if op == "[]" {
			if e, ok, err := b.bindArraySubscript(l, r, sc, ctx); ok || err != nil {
				return e, err
			}
		}
		lv, err := b.bindExpr(l, sc, ctx)
		if err != nil {
			return nil, err
		}
		rv, err := b.bindExpr(r, sc, ctx)
		if err != nil {
			return nil, err
		}
		return b.binaryOp(op, lv, rv)
	}
	name := x.FnName.L
	if aggregateNames[name] {
		return nil, types.Errorf(types.CodeGroupingError, "aggregate function calls cannot be nested or used here")
	}
	args := make([]exec.Expr, len(x.Args))
	lazyFrom := b.lazy
	defer func() { b.lazy = lazyFrom }()
	for i, a := range x.Args {
		if name == "coalesce" && i > 0 {
			// Arguments after a non-null constant are never evaluated.
			if c, ok := args[i-1].(*exec.Const); ok && !c.Val.Null && b.lazy == lazyFrom {
				b.lazy++
			}
		}
		if te, ok := a.(*ast.TimeUnitExpr); ok {
			args[i] = &exec.Const{Val: types.NewString(strings.ToLower(te.Unit.String())), Typ: types.TText}
			continue
		}
		if td, ok := a.(*ast.TrimDirectionExpr); ok {
			args[i] = &exec.Const{Val: types.NewString(strings.ToLower(td.Direction.String())), Typ: types.TText}
			continue
		}
		v, err := b.bindExpr(a, sc, ctx)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	switch name {
	case "regexp_match", "regexp_matches", "regexp_split_to_array", "string_to_array":
		e := types.Errorf(types.CodeFeatureNotSupported, "arrays are not supported: %s() returns an array", name)
		if _, ok := scalar.SubscriptedArrayFuncs[name]; ok {
			e.Hint = fmt.Sprintf("Subscript the result to get one element, as in (%s(...))[1].", name)
		}
		return nil, e
	case "pg_typeof":
		// PostgreSQL returns regtype; its text form is the type's name.
		if len(args) == 1 {
			return &exec.Const{Val: types.NewString(regtypeName(args[0].Type())), Typ: types.TText}, nil
		}
	case sql.MarkerConcat:
		name = "concat"
	case "concat":
		// a || b || c, as TiDB's PIPES_AS_CONCAT parses it.
		if len(args) < 2 {
			return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near \"||\"")
		}
		acc := args[0]
		for _, a := range args[1:] {
			v, err := b.binaryOp("||", acc, a)
			if err != nil {
				return nil, err
			}
			acc = v
		}
		return acc, nil
	case "__pg_is_distinct", "__pg_is_not_distinct":
		return b.distinctOp(args[0], args[1], name == "__pg_is_distinct")
	case "coalesce", "greatest", "least", "ifnull":
		if len(args) == 0 {
			return nil, types.Errorf(types.CodeSyntaxError, "syntax error: %s needs arguments", name)
		}
		t, err := commonTypeOf(args, strings.ToUpper(name))
		if err != nil {
			return nil, err
		}
		for i := range args {
			if args[i], err = coerce(args[i], t); err != nil {
				return nil, err
			}
		}
		switch name {
		case "coalesce", "ifnull":
			return mkCoalesce(args, t), nil
		case "greatest":
			return b.mkGreatestLeast(args, t, true)
		default:
			return b.mkGreatestLeast(args, t, false)
		}
	case "nullif":
		if len(args) != 2 {
			return nil, types.Errorf(types.CodeUndefinedFunction, "function nullif requires 2 arguments")
		}
		t, err := commonTypeOf(args, "NULLIF")
		if err != nil {
			return nil, err
		}
		eq, err := b.binaryOp("=", args[0], args[1])
		if err != nil {
			return nil, err
		}
		a0, err := coerce(args[0], t)
		if err != nil {
			return nil, err
		}
		return mkCase([]exec.Expr{eq}, []exec.Expr{&exec.Const{Val: types.Null, Typ: t}}, a0, t), nil
	case "if":
		return nil, types.Errorf(types.CodeUndefinedFunction, "function if does not exist")
	case "trim":
		// TiDB: TRIM([dir] [remstr FROM] str) → trim(str[, remstr, dir]).
		fn := "btrim"
		if len(args) == 3 {
			if c, ok := args[2].(*exec.Const); ok {
				switch string(c.Val.S) {
				case "leading":
					fn = "ltrim"
				case "trailing":
					fn = "rtrim"
				}
			}
			args = args[:2]
		}
		return b.callFunc(fn, args)
	case "substring", "substr", "mid":
		return b.callFunc("substr", args)
	case "position":
		if len(args) == 2 { // POSITION(a IN b)
			return b.callFunc("strpos", []exec.Expr{args[1], args[0]})
		}
	case "locate":
		if len(args) == 2 { // POSITION(a IN b) arrives as locate(a, b)
			return b.callFunc("strpos", []exec.Expr{args[1], args[0]})
		}
	case "current_timestamp", "localtimestamp", "current_date", "now", "current_time":
		if name == "current_timestamp" {
			name = "now"
		}
	case "__pg_extract":
		// EXTRACT(f FROM x): PostgreSQL 15 returns numeric here, unlike
		// date_part's double precision.
		name = "extract"
	case "pow":
		name = "power"
	case "ceiling":
		name = "ceil"
	case "char_length", "character_length":
		name = "length"
	}
	return b.callFunc(name, args)
}

func (b *Binder) mkGreatestLeast(args []exec.Expr, t types.T, greatest bool) (exec.Expr, error) {
	cmp := "<"
	if greatest {
		cmp = ">"
	}
	o, _, err := resolveOp(cmp, []exec.Expr{typedPlaceholder(t), typedPlaceholder(t)})
	if err != nil {
		return nil, err
	}
	return mkGreatest(o, args, t, greatest), nil
}

func (b *Binder) param(n int) (exec.Expr, error) {
	if n < 1 || n > 65535 {
		return nil, types.Errorf(types.CodeUndefinedParameter, "there is no parameter $%d", n)
	}
	for len(b.ParamTypes) < n {
		b.ParamTypes = append(b.ParamTypes, types.TUnknown)
	}
	t := b.ParamTypes[n-1]
	if t.Family == types.Unknown {
		// A parameter has one type: an earlier use that fixed it (say
		// $1::text) fixes it here too, as in PostgreSQL.
		for _, p := range b.params {
			if p.Idx == n-1 && p.Typ.Family != types.Unknown {
				t = p.Typ
				break
			}
		}
	}
	return newParam(n-1, t, b), nil
}

// ---- subqueries ----

type subKind uint8

const (
	subScalar subKind = iota
	subExists
	subIn
	subAny
	subAll
)

func (b *Binder) bindSubquery(sq *ast.SubqueryExpr, kind subKind, left exec.Expr, op string, negate bool, sc *scope) (exec.Expr, error) {
	inner := &scope{parent: sc}
	// The subquery's own FROM scope is built inside bindQueryIn; we pass a
	// scope whose only role is to collect outer references.
	q, err := b.bindQueryIn(sq.Query, inner)
	if err != nil {
		return nil, err
	}
	outer := inner.outer
	if kind != subExists && len(q.Cols) != 1 {
		return nil, types.Errorf(types.CodeSyntaxError, "subquery must return only one column")
	}
	root := q.Root
	phys := b.Phys
	var optimized Node
	build := func() (exec.Operator, error) {
		if optimized == nil {
			optimized = Optimize(root, b.Rows)
		}
		return phys.Build(optimized)
	}
	var typ types.T
	var cmp exec.Expr
	switch kind {
	case subScalar:
		typ = q.Cols[0].Type
		if typ.Family == types.Unknown {
			typ = types.TText
		}
	case subExists:
		typ = types.TBool
	default:
		typ = types.TBool
		t, err := commonType(left.Type(), q.Cols[0].Type, "IN")
		if err != nil {
			return nil, err
		}
		if t.Family == types.Unknown {
			t = types.TText
		}
		if left, err = coerce(left, t); err != nil {
			return nil, err
		}
		if q.Cols[0].Type.Family != t.Family {
			root = castProject(root, []Column{{Name: q.Cols[0].Name, Type: t}})
		}
		o, _, err := resolveOp(op, []exec.Expr{typedPlaceholder(t), typedPlaceholder(t)})
		if err != nil {
			return nil, err
		}
		cmp = mkCmpHolder(o)
	}
	e := mkSubquery(kind, build, outer, left, cmp, negate, typ)
	if b.subs == nil {
		b.subs = map[exec.Expr]*subInfo{}
	}
	b.subs[e] = &subInfo{root: root, outer: outer, kind: kind, left: left, negate: negate}
	return e, nil
}

// ---- aggregation ----

type aggScope struct {
	node      *Aggregate
	groupKeys []string
	aggKeys   []string
	from      *scope
	post      *scope
	orderKey  string // the ORDER BY of ordered aggregates, "" if none
	byNode    map[ast.ExprNode]int
}

// preRegister binds every aggregate call of the select list and ORDER BY
// now, so that the aggregation's output columns are fixed before window
// functions are planned over it.
func (a *aggScope) preRegister(b *Binder, s *ast.SelectStmt) error {
	var err error
	visit := func(root ast.Node) {
		// f returns whether to descend into n's children.
		walkAST(root, func(n ast.Node) bool {
			if err != nil {
				return false
			}
			if _, isSub := n.(*ast.SubqueryExpr); isSub {
				return false
			}
			if e, ok := n.(ast.ExprNode); ok {
				if name, args, distinct, ok := isAggCall(e); ok {
					_, err = a.aggRef(b, e, name, args, distinct)
					return false
				}
			}
			return true
		})
	}
	for _, f := range s.Fields.Fields {
		if f.Expr != nil {
			visit(f.Expr)
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			visit(it.Expr)
		}
	}
	return err
}

// isAggCall reports whether e is an aggregate call (not a window call).
func isAggCall(e ast.Node) (name string, args []ast.ExprNode, distinct bool, ok bool) {
	switch x := e.(type) {
	case *ast.AggregateFuncExpr:
		n := strings.ToLower(x.F)
		if n == "group_concat" {
			n = "string_agg"
		}
		return n, x.Args, x.Distinct, true
	case *ast.FuncCallExpr:
		if aggregateNames[x.FnName.L] {
			args, distinct := sql.AsDistinctArg(x.Args)
			return x.FnName.L, args, distinct, true
		}
	}
	return "", nil, false, false
}

// match binds e above the aggregation when e is an aggregate call or
// matches a GROUP BY expression; nil, nil lets the caller bind e's parts.
func (a *aggScope) match(b *Binder, e ast.ExprNode, sc *scope) (exec.Expr, error) {
	if name, args, distinct, ok := isAggCall(e); ok {
		return a.aggRef(b, e, name, args, distinct)
	}
	if containsAgg(e) || containsSubquery(e) || containsWindow(e) {
		return nil, nil
	}
	if _, ok := e.(*driver.ValueExpr); ok {
		return nil, nil
	}
	be, err := b.bindExpr(e, a.from, nil)
	if err != nil {
		return nil, err
	}
	key := be.String()
	for i, k := range a.groupKeys {
		if k == key {
			return &exec.ColRef{Idx: i, Typ: a.node.Cols[i].Type, Name: a.node.Cols[i].Name}, nil
		}
	}
	if cn, ok := e.(*ast.ColumnNameExpr); ok {
		if cr, isCol := be.(*exec.ColRef); isCol {
			tbl := cn.Name.Table.O
			if cr.Idx < len(a.from.cols) && a.from.cols[cr.Idx].Table != "" {
				tbl = a.from.cols[cr.Idx].Table // PostgreSQL names the range variable
			}
			return nil, types.Errorf(types.CodeGroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", qualName(tbl, cn.Name.Name.O))
		}
		return be, nil // an outer reference: constant for this query
	}
	return nil, nil
}

func (a *aggScope) aggRef(b *Binder, e ast.ExprNode, name string, args []ast.ExprNode, distinct bool) (exec.Expr, error) {
	if i, ok := a.byNode[e]; ok { // bound before (decoding markers changed its text)
		idx := len(a.groupKeys) + i
		return &exec.ColRef{Idx: idx, Typ: a.node.Cols[idx].Type, Name: a.node.Cols[idx].Name}, nil
	}
	key := astKey(e)
	for i, k := range a.aggKeys {
		if k == key {
			idx := len(a.groupKeys) + i
			return &exec.ColRef{Idx: idx, Typ: a.node.Cols[idx].Type, Name: a.node.Cols[idx].Name}, nil
		}
	}
	var filter exec.Expr
	if cond, ok := sql.AsFilter(e); ok {
		if containsAgg(cond) {
			return nil, types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed in FILTER")
		}
		f, err := b.bindExpr(cond, a.from, nil)
		if err != nil {
			return nil, err
		}
		if filter, err = coerceBool(f, "FILTER"); err != nil {
			return nil, err
		}
	}
	if items, ok := sql.AsAggOrder(e); ok {
		args = args[:len(args)-1]
		if err := a.orderInput(b, items); err != nil {
			return nil, err
		}
	}
	var bargs []exec.Expr
	isCountStar := name == "count" && len(args) == 1 && isCountStarArg(e)
	if !isCountStar {
		for _, arg := range args {
			if containsAgg(arg) {
				return nil, types.Errorf(types.CodeGroupingError, "aggregate function calls cannot be nested")
			}
			v, err := b.bindExpr(arg, a.from, nil)
			if err != nil {
				return nil, err
			}
			bargs = append(bargs, v)
		}
	}
	argTypes := make([]types.T, len(bargs))
	for i, v := range bargs {
		argTypes[i] = v.Type()
		if argTypes[i].Family == types.Unknown {
			argTypes[i] = types.TText
		}
	}
	ret, casts, err := batch.ResolveAggregate(name, argTypes, distinct)
	if err != nil {
		return nil, err
	}
	for i := range bargs {
		if i < len(casts) {
			if bargs[i], err = coerce(bargs[i], casts[i]); err != nil {
				return nil, err
			}
		}
	}
	if a.byNode == nil {
		a.byNode = map[ast.ExprNode]int{}
	}
	a.byNode[e] = len(a.aggKeys)
	a.aggKeys = append(a.aggKeys, key)
	a.node.Aggs = append(a.node.Aggs, AggCall{Name: name, Args: bargs, Distinct: distinct, Filter: filter, Ret: ret})
	a.node.Cols = append(a.node.Cols, Column{Name: name, Type: ret})
	a.post.cols = append(a.post.cols, Column{Name: "?" + name + "?", Type: ret})
	idx := len(a.node.Cols) - 1
	return &exec.ColRef{Idx: idx, Typ: ret, Name: key}, nil
}

// orderInput implements agg(... ORDER BY ...): the aggregate's input is
// sorted by the items (the hash aggregate accumulates each group in input
// order). Every ordered aggregate of one query must use the same ORDER BY.
func (a *aggScope) orderInput(b *Binder, items []sql.AggOrderItem) error {
	var exprs []exec.Expr
	key := ""
	for _, it := range items {
		if containsAgg(it.Expr) {
			return types.Errorf(types.CodeGroupingError, "aggregate function calls cannot be nested")
		}
		v, err := b.bindExpr(it.Expr, a.from, nil)
		if err != nil {
			return err
		}
		if v.Type().Family == types.Unknown {
			v, _ = coerce(v, types.TText)
		}
		exprs = append(exprs, v)
		nf := it.Desc
		if it.NullsFirst != nil {
			nf = *it.NullsFirst
		}
		key += fmt.Sprintf("%s/%v/%v;", v, it.Desc, nf)
	}
	if a.orderKey != "" {
		if a.orderKey != key {
			return types.Errorf(types.CodeFeatureNotSupported, "aggregates with different ORDER BY clauses in one query are not supported")
		}
		return nil
	}
	a.orderKey = key
	in := a.node.In
	cols := in.Schema()
	pe := make([]exec.Expr, 0, len(cols)+len(exprs))
	pc := make([]Column, 0, len(cols)+len(exprs))
	back := make([]exec.Expr, len(cols))
	for i, c := range cols {
		pe = append(pe, &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name})
		back[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
		pc = append(pc, c)
	}
	keys := make([]SortKey, len(items))
	for i, v := range exprs {
		keys[i] = SortKey{Col: len(pe), Desc: items[i].Desc, NullsFirst: items[i].Desc}
		if items[i].NullsFirst != nil {
			keys[i].NullsFirst = *items[i].NullsFirst
		}
		pe = append(pe, v)
		pc = append(pc, Column{Name: "?order?", Type: v.Type()})
	}
	a.node.In = &Project{In: &Sort{In: &Project{In: in, Exprs: pe, Cols: pc}, Keys: keys}, Exprs: back, Cols: append([]Column(nil), cols...)}
	return nil
}

// isCountStarArg: TiDB turns count(*) into count(1).
func isCountStarArg(e ast.ExprNode) bool {
	x, ok := e.(*ast.AggregateFuncExpr)
	if !ok || len(x.Args) != 1 {
		return false
	}
	v, ok := x.Args[0].(*driver.ValueExpr)
	if !ok {
		return false
	}
	return strings.Contains(astKey(e), "(1)") && v.GetValue() == int64(1)
}

func (b *Binder) bindAggregation(s *ast.SelectStmt, from *scope, in Node) (*aggScope, Node, error) {
	a := &aggScope{from: from, node: &Aggregate{In: in}, post: &scope{parent: from.parent}}
	if s.GroupBy != nil {
		for _, it := range s.GroupBy.Items {
			ge := it.Expr
			switch x := ge.(type) {
			case *ast.PositionExpr:
				if x.N < 1 || x.N > len(s.Fields.Fields) || s.Fields.Fields[x.N-1].Expr == nil {
					return nil, nil, types.Errorf(types.CodeInvalidColumnRef, "GROUP BY position %d is not in select list", x.N)
				}
				ge = s.Fields.Fields[x.N-1].Expr
			case *ast.ColumnNameExpr:
				if x.Name.Table.O == "" {
					if i, _ := from.lookup("", x.Name.Name.O); i < 0 {
						for _, f := range s.Fields.Fields {
							if f.AsName.O == x.Name.Name.O && f.Expr != nil {
								ge = f.Expr
								break
							}
						}
					}
				}
			}
			if containsAgg(ge) {
				return nil, nil, types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed in GROUP BY")
			}
			v, err := b.bindExpr(ge, from, nil)
			if err != nil {
				return nil, nil, err
			}
			if v.Type().Family == types.Unknown {
				v, _ = coerce(v, types.TText)
			}
			key := v.String()
			dup := false
			for _, k := range a.groupKeys {
				if k == key {
					dup = true
				}
			}
			if dup {
				continue
			}
			a.groupKeys = append(a.groupKeys, key)
			a.node.Groups = append(a.node.Groups, v)
			col := Column{Name: "?group?", Type: v.Type()}
			if cr, ok := v.(*exec.ColRef); ok {
				col.Name, col.Table = from.cols[cr.Idx].Name, from.cols[cr.Idx].Table
			}
			a.node.Cols = append(a.node.Cols, col)
			a.post.cols = append(a.post.cols, col)
		}
	}
	var node Node = a.node
	if s.Having != nil {
		h, err := b.bindExpr(s.Having.Expr, from, &exprCtx{agg: a})
		if err != nil {
			return nil, nil, err
		}
		if h, err = coerceBool(h, "HAVING"); err != nil {
			return nil, nil, err
		}
		node = &Filter{In: node, Conds: splitAnd(h)}
	}
	return a, node, nil
}

// ---- windows ----

type winScope struct {
	keys  []string
	types []types.T
	first int // index of the first window result column
}

func (w *winScope) ref(e *ast.WindowFuncExpr) (exec.Expr, error) {
	key := astKey(e)
	for i, k := range w.keys {
		if k == key {
			return &exec.ColRef{Idx: w.first + i, Typ: w.types[i], Name: key}, nil
		}
	}
	return nil, types.Errorf(types.CodeWindowingError, "window function calls cannot be nested")
}

func (w *winScope) liftInput(e exec.Expr) exec.Expr { return e }

func hasWindow(s *ast.SelectStmt) bool {
	for _, f := range s.Fields.Fields {
		if f.Expr != nil && containsWindow(f.Expr) {
			return true
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			if containsWindow(it.Expr) {
				return true
			}
		}
	}
	return false
}

func (b *Binder) bindWindows(s *ast.SelectStmt, from *scope, agg *aggScope, in Node) (*winScope, Node, error) {
	var calls []*ast.WindowFuncExpr
	seen := map[string]bool{}
	collect := func(e ast.Node) {
		walkAST(e, func(n ast.Node) bool {
			if w, ok := n.(*ast.WindowFuncExpr); ok {
				k := astKey(w)
				if !seen[k] {
					seen[k] = true
					calls = append(calls, w)
				}
				return false
			}
			_, isSub := n.(*ast.SubqueryExpr)
			return !isSub
		})
	}
	for _, f := range s.Fields.Fields {
		if f.Expr != nil {
			collect(f.Expr)
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			collect(it.Expr)
		}
	}
	inCols := in.Schema()
	exprs := make([]exec.Expr, len(inCols))
	cols := append([]Column(nil), inCols...)
	for i, c := range inCols {
		exprs[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
	}
	ctx := &exprCtx{agg: agg}
	addCol := func(e exec.Expr) int {
		key := e.String()
		for i := len(inCols); i < len(exprs); i++ {
			if exprs[i].String() == key {
				return i
			}
		}
		if cr, ok := e.(*exec.ColRef); ok {
			return cr.Idx
		}
		exprs = append(exprs, e)
		cols = append(cols, Column{Name: "?win?", Type: e.Type()})
		return len(exprs) - 1
	}
	w := &winScope{}
	var wcalls []WindowCall
	for _, c := range calls {
		spec, err := resolveWindowSpec(c.Spec, s.WindowSpecs, 0)
		if err != nil {
			return nil, nil, err
		}
		orig := c
		fname, fargs := c.Name, c.Args
		if n, a, ok := sql.AsWindowAgg(fname, fargs); ok {
			fname, fargs = n, a
		}
		c := &ast.WindowFuncExpr{Name: fname, Args: fargs, Distinct: c.Distinct, IgnoreNull: c.IgnoreNull, FromLast: c.FromLast, Spec: spec}
		name := strings.ToLower(c.Name)
		if c.Distinct {
			return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "DISTINCT is not implemented for window functions")
		}
		wc := WindowCall{Name: name}
		for _, a := range c.Args {
			if name == "count" && len(c.Args) == 1 && isStarArg(a) {
				break
			}
			v, err := b.bindExpr(a, from, ctx)
			if err != nil {
				return nil, nil, err
			}
			if v.Type().Family == types.Unknown {
				v, _ = coerce(v, types.TText)
			}
			wc.ArgTypes = append(wc.ArgTypes, v.Type())
			wc.Args = append(wc.Args, addCol(v))
		}
		ret, casts, err := batch.ResolveWindowFunc(name, wc.ArgTypes)
		if err != nil {
			return nil, nil, err
		}
		for i := range wc.Args {
			if i < len(casts) && casts[i].Family != wc.ArgTypes[i].Family {
				v, err := coerce(exprs[wc.Args[i]], casts[i])
				if err != nil {
					return nil, nil, err
				}
				wc.Args[i] = addCol(v)
				wc.ArgTypes[i] = casts[i]
			}
		}
		wc.Ret = ret
		if c.Spec.PartitionBy != nil {
			for _, it := range c.Spec.PartitionBy.Items {
				v, err := b.bindExpr(it.Expr, from, ctx)
				if err != nil {
					return nil, nil, err
				}
				wc.PartitionBy = append(wc.PartitionBy, addCol(v))
			}
		}
		if c.Spec.OrderBy != nil {
			for _, it := range c.Spec.OrderBy.Items {
				e, nf, has := it.Expr, it.Desc, false
				if inner, f, ok := sql.AsNullsOrder(e); ok {
					e, nf, has = inner, f, true
				}
				_ = has
				v, err := b.bindExpr(e, from, ctx)
				if err != nil {
					return nil, nil, err
				}
				wc.OrderBy = append(wc.OrderBy, SortKey{Col: addCol(v), Desc: it.Desc, NullsFirst: nf})
			}
		}
		if c.Spec.Frame != nil {
			f, err := bindFrame(c.Spec.Frame)
			if err != nil {
				return nil, nil, err
			}
			wc.Frame = f
			if !f.Rows && ((!f.StartUnbounded && !f.StartCurrent) || (!f.EndUnbounded && !f.EndCurrent)) {
				if len(wc.OrderBy) != 1 {
					return nil, nil, types.Errorf(types.CodeWindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
				}
				switch cols[wc.OrderBy[0].Col].Type.Family {
				case types.Int16, types.Int32, types.Int64, types.Float32, types.Float64:
				default:
					return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is supported only for integer and floating-point ORDER BY columns")
				}
			}
		}
		wcalls = append(wcalls, wc)
		w.keys = append(w.keys, astKey(orig))
		w.types = append(w.types, wc.Ret)
	}
	pre := &Project{In: in, Exprs: exprs, Cols: cols}
	w.first = len(cols)
	outCols := append([]Column(nil), cols...)
	for _, wc := range wcalls {
		outCols = append(outCols, Column{Name: wc.Name, Type: wc.Ret})
	}
	return w, &Window{In: pre, Calls: wcalls, Cols: outCols}, nil
}

// resolveWindowSpec expands references to named windows (WINDOW w AS
// (...)): OVER w, and OVER (w ORDER BY ...), as PostgreSQL does.
func resolveWindowSpec(spec ast.WindowSpec, defs []ast.WindowSpec, depth int) (ast.WindowSpec, error) {
	ref := spec.Ref.O
	if spec.OnlyAlias || (ref == "" && spec.Name.O != "" && spec.PartitionBy == nil && spec.OrderBy == nil && spec.Frame == nil && depth == 0) {
		ref = spec.Name.O
	}
	if ref == "" {
		return spec, nil
	}
	if depth > len(defs) {
		return spec, types.Errorf(types.CodeSyntaxError, "window %q is defined circularly", ref)
	}
	var def *ast.WindowSpec
	for i := range defs {
		if defs[i].Name.L == strings.ToLower(ref) {
			def = &defs[i]
			break
		}
	}
	if def == nil {
		return spec, types.Errorf(types.CodeUndefinedObject, "window %q does not exist", ref)
	}
	base := *def
	base.Name = ast.CIStr{}
	base.OnlyAlias = false
	if def.Ref.O != "" {
		d := *def
		d.Name = ast.CIStr{}
		r, err := resolveWindowSpec(d, defs, depth+1)
		if err != nil {
			return spec, err
		}
		base = r
	}
	if spec.OnlyAlias || spec.Ref.O == "" {
		return base, nil
	}
	if spec.PartitionBy != nil {
		return spec, types.Errorf(types.CodeWindowingError, "cannot override PARTITION BY clause of window %q", ref)
	}
	if spec.OrderBy != nil {
		if base.OrderBy != nil {
			return spec, types.Errorf(types.CodeWindowingError, "cannot override ORDER BY clause of window %q", ref)
		}
		base.OrderBy = spec.OrderBy
	}
	if base.Frame != nil {
		return spec, types.Errorf(types.CodeWindowingError, "cannot copy window %q because it has a frame clause", ref)
	}
	base.Frame = spec.Frame
	return base, nil
}

func isStarArg(a ast.ExprNode) bool {
	v, ok := a.(*driver.ValueExpr)
	return ok && v.GetValue() == int64(1)
}

func bindFrame(f *ast.FrameClause) (*WindowFrame, error) {
	wf := &WindowFrame{Rows: f.Type == ast.Rows}
	if f.Type == ast.Groups {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "GROUPS frames are not supported")
	}
	bound := func(fb ast.FrameBound, start bool) error {
		switch fb.Type {
		case ast.CurrentRow:
			if start {
				wf.StartCurrent = true
			} else {
				wf.EndCurrent = true
			}
			return nil
		case ast.Preceding, ast.Following:
			if fb.UnBounded {
				if start {
					wf.StartUnbounded = true
				} else {
					wf.EndUnbounded = true
				}
				return nil
			}
			v, ok := fb.Expr.(*driver.ValueExpr)
			n, ok2 := int64(0), false
			if ok {
				n, ok2 = v.GetValue().(int64)
			}
			if !ok2 {
				return types.Errorf(types.CodeFeatureNotSupported, "only constant integer frame offsets are supported")
			}
			if n < 0 {
				return types.Errorf("22013", "frame starting offset must not be negative")
			}
			if fb.Type == ast.Preceding {
				n = -n
			}
			if start {
				wf.StartOffset = n
			} else {
				wf.EndOffset = n
			}
		}
		return nil
	}
	if err := bound(f.Extent.Start, true); err != nil {
		return nil, err
	}
	if err := bound(f.Extent.End, false); err != nil {
		return nil, err
	}
	return wf, nil
}

// ---- AST helpers ----

func astKey(n ast.Node) string {
	var sb strings.Builder
	_ = n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb))
	return sb.String()
}

type astWalker struct{ f func(ast.Node) bool }

func (w *astWalker) Enter(n ast.Node) (ast.Node, bool) { return n, !w.f(n) }
func (w *astWalker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func walkAST(n ast.Node, f func(ast.Node) bool) { n.Accept(&astWalker{f: f}) }

// containsAgg reports whether e has an aggregate call outside subqueries
// and window specifications.
func containsAgg(e ast.Node) bool {
	found := false
	walkAST(e, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n.(type) {
		case *ast.SubqueryExpr, *ast.WindowFuncExpr:
			return false
		}
		if _, _, _, ok := isAggCall(n); ok {
			found = true
			return false
		}
		return true
	})
	return found
}

func containsWindow(e ast.Node) bool {
	found := false
	walkAST(e, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.SubqueryExpr:
			return false
		case *ast.WindowFuncExpr:
			found = true
			return false
		}
		return !found
	})
	return found
}

func containsSubquery(e ast.Node) bool {
	found := false
	walkAST(e, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
			found = true
			return false
		}
		if in, ok := n.(*ast.PatternInExpr); ok && in.Sel != nil {
			found = true
			return false
		}
		return !found
	})
	return found
}

// regtypeName is a type's name as regtype prints it (no type modifier).
func regtypeName(t types.T) string {
	n := t.String()
	if i := strings.IndexByte(n, '('); i > 0 {
		n = n[:i]
	}
	return n
}

// bindTableFunc binds a function in FROM. generate_series over integers is
// the one supported; its arguments must be constant for the statement.
// jsonTableFunc binds the jsonb set-returning functions (jsonb_each,
// jsonb_each_text, jsonb_array_elements[_text], jsonb_object_keys) over a
// constant argument: the rows are computed now, as a VALUES list.
func (b *Binder) jsonTableFunc(tf *sql.TableFunc, parent *scope) (Node, []Column, error) {
	if len(tf.Args) != 1 {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction, "function %s needs 1 argument", tf.Name)
	}
	argScope := parent
	if argScope == nil {
		argScope = &scope{}
	}
	v, err := b.bindExpr(tf.Args[0], argScope, nil)
	if err != nil {
		return nil, nil, err
	}
	if v, err = coerce(v, types.TJsonb); err != nil {
		return nil, nil, err
	}
	if !isConstExpr(v) {
		return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "%s is supported only over a constant argument", tf.Name)
	}
	d, err := scalar.EvalConst(&exec.EvalCtx{}, v)
	if err != nil {
		return nil, nil, err
	}
	alias := tf.Alias
	if alias == "" {
		alias = tf.Name
	}
	asText := strings.HasSuffix(tf.Name, "_text")
	valType := types.TJsonb
	if asText {
		valType = types.TText
	}
	var cols []Column
	switch tf.Name {
	case "jsonb_each", "jsonb_each_text":
		cols = []Column{{Name: "key", Table: alias, Type: types.TText}, {Name: "value", Table: alias, Type: valType}}
	case "jsonb_object_keys":
		// no OUT parameter name: the column takes the relation alias
		cols = []Column{{Name: alias, Table: alias, Type: types.TText}}
	default:
		cols = []Column{{Name: "value", Table: alias, Type: valType}}
	}
	if tf.Column != "" {
		cols[0].Name = tf.Column
	}
	node := &Values{Cols: cols}
	if d.Null {
		return node, cols, nil
	}
	j, err := types.ParseJSON(d.S)
	if err != nil {
		return nil, nil, err
	}
	val := func(e *types.JSONValue) exec.Expr {
		if asText {
			switch e.Kind {
			case types.JSONNull:
				return &exec.Const{Val: types.Null, Typ: types.TText}
			case types.JSONString:
				return &exec.Const{Val: types.NewString(e.Str), Typ: types.TText}
			}
			return &exec.Const{Val: types.NewBytes(types.AppendJSON(nil, e)), Typ: types.TText}
		}
		return &exec.Const{Val: types.NewBytes(types.AppendJSON(nil, e)), Typ: types.TJsonb}
	}
	switch tf.Name {
	case "jsonb_each", "jsonb_each_text", "jsonb_object_keys":
		if j.Kind != types.JSONObject {
			what := "call jsonb_each on a non-object"
			if tf.Name == "jsonb_object_keys" {
				what = "call jsonb_object_keys on a " + map[bool]string{true: "scalar", false: "array"}[j.Kind != types.JSONArray]
			}
			return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "cannot %s", what)
		}
		for i, k := range j.Keys {
			row := []exec.Expr{&exec.Const{Val: types.NewString(k), Typ: types.TText}}
			if tf.Name != "jsonb_object_keys" {
				row = append(row, val(&j.Elems[i]))
			}
			node.Rows = append(node.Rows, row)
		}
	default:
		if j.Kind != types.JSONArray {
			return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "cannot extract elements from %s", map[bool]string{true: "an object", false: "a scalar"}[j.Kind == types.JSONObject])
		}
		for i := range j.Elems {
			node.Rows = append(node.Rows, []exec.Expr{val(&j.Elems[i])})
		}
	}
	return node, cols, nil
}

func (b *Binder) bindTableFunc(tf *sql.TableFunc, parent *scope) (Node, []Column, error) {
	switch tf.Name {
	case "jsonb_each", "jsonb_each_text", "jsonb_array_elements", "jsonb_array_elements_text", "jsonb_object_keys":
		return b.jsonTableFunc(tf, parent)
	}
	if tf.Name != "generate_series" {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction, "function %s does not exist as a table function", tf.Name)
	}
	if len(tf.Args) < 2 || len(tf.Args) > 3 {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction, "function generate_series needs 2 or 3 arguments")
	}
	args := make([]exec.Expr, len(tf.Args))
	t := types.TInt4
	argScope := parent
	if argScope == nil {
		argScope = &scope{}
	}
	for i, a := range tf.Args {
		v, err := b.bindExpr(a, argScope, nil)
		if err != nil {
			return nil, nil, err
		}
		if !v.Type().IsInteger() && v.Type().Family != types.Unknown {
			return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "generate_series over %s is not supported", v.Type())
		}
		if v.Type().Family == types.Int64 {
			t = types.TInt8
		}
		if !runtimeConst(v) {
			return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "generate_series arguments cannot refer to other FROM items (LATERAL is not supported)")
		}
		args[i] = v
	}
	for i := range args {
		var err error
		if args[i], err = coerce(args[i], t); err != nil {
			return nil, nil, err
		}
	}
	alias := tf.Alias
	if alias == "" {
		alias = "generate_series"
	}
	col := tf.Column
	if col == "" {
		col = alias
	}
	cols := []Column{{Name: col, Table: alias, Type: t}}
	return &TableFunc{Name: tf.Name, Args: args, Cols: cols}, cols, nil
}

// bindArraySubscript binds (f(args))[n] where f is an array-returning
// function listed in scalar.SubscriptedArrayFuncs: there are no array
// values, so the call and its subscript become one scalar function
// returning the element. ok is false for other subscripted expressions.
func (b *Binder) bindArraySubscript(l, r ast.ExprNode, sc *scope, ctx *exprCtx) (exec.Expr, bool, error) {
	for {
		p, ok := l.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		l = p.Expr
	}
	f, ok := l.(*ast.FuncCallExpr)
	if !ok || (f.Schema.L != "" && f.Schema.L != "pg_catalog") {
		return nil, false, nil
	}
	internal, ok := scalar.SubscriptedArrayFuncs[f.FnName.L]
	if !ok {
		return nil, false, nil
	}
	args := make([]exec.Expr, 0, len(f.Args)+1)
	for _, a := range append(append([]ast.ExprNode(nil), f.Args...), r) {
		v, err := b.bindExpr(a, sc, ctx)
		if err != nil {
			return nil, true, err
		}
		args = append(args, v)
	}
	if len(scalar.Overloads(internal)) > 0 {
		if _, _, err := resolveOp(internal, args); err != nil {
			ts := make([]string, len(args)-1)
			for i, a := range args[:len(args)-1] {
				ts[i] = regtypeName(a.Type())
			}
			return nil, true, types.Errorf(types.CodeUndefinedFunction, "function %s(%s) does not exist", f.FnName.L, strings.Join(ts, ", "))
		}
	}
	e, err := b.callFunc(internal, args)
	return e, true, err
}
