package planner

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// BindExpr binds a standalone scalar expression over the given columns
// (nil for none): DEFAULT values, UPDATE assignments and DML predicates.
func (b *Binder) BindExpr(e ast.ExprNode, cols []Column) (exec.Expr, error) {
	if containsAgg(e) {
		return nil, types.Errorf(types.CodeGroupingError, "aggregate functions are not allowed here")
	}
	return b.bindExpr(e, &scope{cols: cols}, nil)
}

// AssignCast converts e for storing into a column of type t (assignment
// cast: varchar length and numeric precision are enforced).
func AssignCast(e exec.Expr, t types.T) (exec.Expr, error) {
	from := e.Type()
	if from == t {
		return e, nil
	}
	switch x := e.(type) {
	case *exec.Const:
		if x.Val.Null {
			return &exec.Const{Val: types.Null, Typ: t}, nil
		}
		d, err := types.CastAssign(x.Val, from, t)
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: t}, nil
	case *scalar.Param:
		if from.Family == types.Unknown {
			x.Typ = t
			return x, nil
		}
	}
	if from.Family != types.Unknown && !assignable(from, t) {
		e := types.Errorf(types.CodeDatatypeMismatch, "column is of type %s but expression is of type %s", t, from)
		e.Hint = "You will need to rewrite or cast the expression."
		return nil, e
	}
	return scalar.NewAssignCast(e, t), nil
}

// assignable follows PostgreSQL's assignment casts: numbers convert among
// themselves, anything converts to text, date/time types convert among
// themselves.
func assignable(from, to types.T) bool {
	if from.Family == to.Family {
		return true
	}
	cf, ct := typeCategory(from), typeCategory(to)
	switch {
	case cf == 'N' && ct == 'N':
		return true
	case ct == 'S':
		return true
	case cf == 'D' && ct == 'D':
		return true
	}
	return types.ImplicitCastOK(from, to)
}

// CheckParamTypes fails if the uses of one parameter were given different
// types (SQLSTATE 42P08, as in PostgreSQL).
func (b *Binder) CheckParamTypes() error {
	seen := map[int]types.T{}
	for _, p := range b.params {
		if p.Typ.Family == types.Unknown {
			continue
		}
		if t, ok := seen[p.Idx]; ok && t.Family != p.Typ.Family {
			e := types.Errorf(types.CodeAmbiguousParameter, "inconsistent types deduced for parameter $%d", p.Idx+1)
			e.Detail = fmt.Sprintf("%s versus %s", t, p.Typ)
			return e
		}
		seen[p.Idx] = p.Typ
	}
	return nil
}

// FinalParamTypes returns the parameter types after inference; parameters
// whose type nothing determined are text, as PostgreSQL's unknown is.
func (b *Binder) FinalParamTypes() []types.T {
	out := append([]types.T(nil), b.ParamTypes...)
	for _, p := range b.params {
		if p.Typ.Family != types.Unknown && out[p.Idx].Family == types.Unknown {
			out[p.Idx] = p.Typ
		}
	}
	for i := range out {
		if out[i].Family == types.Unknown {
			out[i] = types.TText
		}
	}
	for _, p := range b.params {
		if p.Typ.Family == types.Unknown {
			p.Typ = out[p.Idx]
		}
	}
	b.ParamTypes = out
	return out
}

// VirtualTable is a system view computed from the catalog.
type VirtualTable struct {
	Cols []Column
	Rows [][]exec.Expr
}

func textConst(s string) exec.Expr { return &exec.Const{Val: types.NewString(s), Typ: types.TText} }

func intConst(n int64) exec.Expr { return &exec.Const{Val: types.NewInt(n), Typ: types.TInt4} }

// virtualTable returns information_schema and pg_catalog views, or nil.
func (b *Binder) virtualTable(schema, name string) *VirtualTable {
	if v := b.pgCatalogTable(schema, name); v != nil {
		return v
	}
	tc := func(names ...string) []Column {
		cols := make([]Column, len(names))
		for i, n := range names {
			cols[i] = Column{Name: n, Type: types.TText}
		}
		return cols
	}
	switch {
	case schema == "information_schema" && name == "tables":
		v := &VirtualTable{Cols: tc("table_catalog", "table_schema", "table_name", "table_type")}
		for _, r := range b.Cat.List() {
			tt := "BASE TABLE"
			switch r.Kind {
			case catalog.KindView:
				tt = "VIEW"
			case catalog.KindMaterializedView:
				tt = "MATERIALIZED VIEW"
			case catalog.KindSource:
				tt = "SOURCE"
			case catalog.KindSink:
				continue
			}
			v.Rows = append(v.Rows, []exec.Expr{textConst("streamsql"), textConst("public"), textConst(r.Name), textConst(tt)})
		}
		return v
	case schema == "information_schema" && name == "columns":
		v := &VirtualTable{Cols: append(tc("table_catalog", "table_schema", "table_name", "column_name"),
			Column{Name: "ordinal_position", Type: types.TInt4},
			Column{Name: "is_nullable", Type: types.TText}, Column{Name: "data_type", Type: types.TText},
			Column{Name: "column_default", Type: types.TText})}
		for _, r := range b.Cat.List() {
			pos := int64(0)
			for _, c := range r.Columns {
				if c.Hidden {
					continue
				}
				pos++
				nullable := "YES"
				if c.NotNull {
					nullable = "NO"
				}
				var def exec.Expr = &exec.Const{Val: types.Null, Typ: types.TText}
				if c.Default != "" {
					def = textConst(c.Default)
				}
				v.Rows = append(v.Rows, []exec.Expr{textConst("streamsql"), textConst("public"), textConst(r.Name), textConst(c.Name), intConst(pos), textConst(nullable), textConst(c.Type.String()), def})
			}
		}
		return v
	case (schema == "pg_catalog" || schema == "") && (name == "pg_tables" || name == "pg_views" || name == "pg_matviews"):
		kind := map[string]catalog.Kind{"pg_tables": catalog.KindTable, "pg_views": catalog.KindView, "pg_matviews": catalog.KindMaterializedView}[name]
		col := map[string]string{"pg_tables": "tablename", "pg_views": "viewname", "pg_matviews": "matviewname"}[name]
		v := &VirtualTable{Cols: tc("schemaname", col)}
		for _, r := range b.Cat.List() {
			if r.Kind == kind {
				v.Rows = append(v.Rows, []exec.Expr{textConst("public"), textConst(r.Name)})
			}
		}
		return v
	}
	return nil
}

// Explain renders a plan as an indented tree.
func Explain(n Node) string {
	var sb strings.Builder
	explain(&sb, n, 0)
	return sb.String()
}

func exprList(es []exec.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func explain(sb *strings.Builder, n Node, depth int) {
	ind := strings.Repeat("  ", depth)
	if depth > 0 {
		ind = strings.Repeat("  ", depth-1) + "->  "
	}
	switch x := n.(type) {
	case *Scan:
		fmt.Fprintf(sb, "%sScan %s", ind, x.Rel.Name)
		if x.Alias != x.Rel.Name {
			fmt.Fprintf(sb, " AS %s", x.Alias)
		}
		if len(x.Filters) > 0 {
			fmt.Fprintf(sb, " (filter: %s)", exprList(x.Filters))
		}
		sb.WriteString("\n")
	case *Values:
		fmt.Fprintf(sb, "%sValues (%d rows)\n", ind, len(x.Rows))
	case *Project:
		fmt.Fprintf(sb, "%sProject %s\n", ind, exprList(x.Exprs))
		explain(sb, x.In, depth+1)
	case *Filter:
		fmt.Fprintf(sb, "%sFilter %s\n", ind, exprList(x.Conds))
		explain(sb, x.In, depth+1)
	case *Join:
		kind := [...]string{"Inner", "Left", "Right", "Full", "Semi", "Anti", "Anti (null-aware)"}[x.Kind]
		fmt.Fprintf(sb, "%s%s Join", ind, kind)
		if x.Temporal {
			sb.WriteString(" (FOR SYSTEM_TIME AS OF PROCTIME())")
		}
		if len(x.Conds) > 0 {
			fmt.Fprintf(sb, " on %s", exprList(x.Conds))
		}
		sb.WriteString("\n")
		explain(sb, x.L, depth+1)
		explain(sb, x.R, depth+1)
	case *Aggregate:
		var aggs []string
		for _, a := range x.Aggs {
			aggs = append(aggs, fmt.Sprintf("%s(%s)", a.Name, exprList(a.Args)))
		}
		fmt.Fprintf(sb, "%sHashAggregate group by [%s] aggs [%s]\n", ind, exprList(x.Groups), strings.Join(aggs, ", "))
		explain(sb, x.In, depth+1)
	case *Window:
		var calls []string
		for _, c := range x.Calls {
			calls = append(calls, c.Name)
		}
		fmt.Fprintf(sb, "%sWindow [%s]\n", ind, strings.Join(calls, ", "))
		explain(sb, x.In, depth+1)
	case *Sort:
		fmt.Fprintf(sb, "%sSort %v\n", ind, x.Keys)
		explain(sb, x.In, depth+1)
	case *Limit:
		fmt.Fprintf(sb, "%sLimit\n", ind)
		explain(sb, x.In, depth+1)
	case *Distinct:
		fmt.Fprintf(sb, "%sDistinct\n", ind)
		explain(sb, x.In, depth+1)
	case *HopWindow:
		fmt.Fprintf(sb, "%sHop slide %dus size %dus offset %dus on #%d\n", ind, x.Slide, x.Size, x.Offset, x.TimeCol)
		explain(sb, x.In, depth+1)
	case *SessionWindow:
		fmt.Fprintf(sb, "%s%s\n", ind, x.describe())
		explain(sb, x.In, depth+1)
	case *SetOp:
		fmt.Fprintf(sb, "%sSetOp %d all=%v\n", ind, x.Kind, x.All)
		explain(sb, x.L, depth+1)
		explain(sb, x.R, depth+1)
	default:
		fmt.Fprintf(sb, "%s%T\n", ind, n)
	}
}
