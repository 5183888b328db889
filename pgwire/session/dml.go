package session

import (
	"context"
	"fmt"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// targetTable resolves the table a DML statement writes.
func (s *session) targetTable(refs *ast.TableRefsClause, verb string) (*catalog.Relation, string, error) {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return nil, "", types.Errorf(types.CodeFeatureNotSupported, "%s on more than one table is not supported", verb)
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, "", types.Errorf(types.CodeFeatureNotSupported, "unsupported %s target", verb)
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, "", types.Errorf(types.CodeFeatureNotSupported, "unsupported %s target", verb)
	}
	rel := s.e.cat.Get(tn.Name.O)
	if rel == nil {
		return nil, "", types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", tn.Name.O)
	}
	if rel.Kind != catalog.KindTable {
		return nil, "", types.Errorf(types.CodeWrongObjectType, "cannot %s %s %q", verbPhrase(verb), rel.Kind, rel.Name)
	}
	if rel.AppendOnly && verb != "INSERT" {
		return nil, "", types.Errorf(types.CodeFeatureNotSupported, "table %q is append-only: %s is not allowed", rel.Name, verb)
	}
	alias := ts.AsName.O
	if alias == "" {
		alias = rel.Name
	}
	return rel, alias, nil
}

func verbPhrase(verb string) string {
	switch verb {
	case "INSERT":
		return "insert into"
	case "UPDATE":
		return "update"
	}
	return "delete from"
}

func tableColumns(rel *catalog.Relation, alias string) []planner.Column {
	cols := make([]planner.Column, len(rel.Columns))
	for i, c := range rel.Columns {
		cols[i] = planner.Column{Name: c.Name, Table: alias, Type: c.Type, Hidden: c.Hidden, RelID: rel.ID, ColNum: int16(i + 1)}
	}
	return cols
}

// defaultExpr binds column i's DEFAULT (NULL when it has none).
func (s *session) defaultExpr(b *planner.Binder, rel *catalog.Relation, i int) (exec.Expr, error) {
	c := rel.Columns[i]
	if c.Proctime {
		c.Default = "proctime()"
	}
	if c.Default == "" {
		return &exec.Const{Val: types.Null, Typ: c.Type}, nil
	}
	e, err := sql.ParseExpr(c.Default)
	if err != nil {
		return nil, err
	}
	be, err := b.BindExpr(e, nil)
	if err != nil {
		return nil, err
	}
	return planner.AssignCast(be, c.Type)
}

func (s *session) prepareInsert(b *planner.Binder, n *ast.InsertStmt) (func(context.Context, *exec.EvalCtx) (string, error), error) {
	if n.IsReplace || len(n.OnDuplicate) > 0 || n.IgnoreErr {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "INSERT ... ON CONFLICT / REPLACE is not supported")
	}
	if n.Setlist {
		return nil, types.Errorf(types.CodeSyntaxError, "syntax error at or near \"SET\"")
	}
	rel, _, err := s.targetTable(n.Table, "INSERT")
	if err != nil {
		return nil, err
	}
	// Target columns.
	var target []int
	defaultValues := n.Select == nil && len(n.Columns) == 0 && len(n.Lists) == 1 && len(n.Lists[0]) == 0
	if defaultValues {
		// DEFAULT VALUES (written VALUES ()): every column takes its default.
	} else if len(n.Columns) == 0 {
		target = insertableColumns(rel)
	} else {
		seen := map[int]bool{}
		for _, cn := range n.Columns {
			i := rel.ColumnIndex(cn.Name.O)
			if i < 0 || rel.Columns[i].Hidden {
				return nil, types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", cn.Name.O, rel.Name)
			}
			if seen[i] {
				return nil, types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", cn.Name.O)
			}
			seen[i] = true
			target = append(target, i)
			if rel.Columns[i].Proctime && n.Select != nil {
				return nil, generatedInsertErr(rel.Columns[i].Name)
			}
		}
	}
	// Source rows, as a plan producing len(target) columns.
	var src planner.Node
	if n.Select != nil {
		q, err := b.BindQuery(n.Select)
		if err != nil {
			return nil, err
		}
		if len(q.Cols) > len(target) {
			return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		if len(q.Cols) < len(target) {
			return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more target columns than expressions")
		}
		exprs := make([]exec.Expr, len(q.Cols))
		cols := make([]planner.Column, len(q.Cols))
		for i, c := range q.Cols {
			var e exec.Expr = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
			if e, err = planner.AssignCast(e, rel.Columns[target[i]].Type); err != nil {
				return nil, err
			}
			exprs[i] = e
			cols[i] = planner.Column{Name: rel.Columns[target[i]].Name, Type: rel.Columns[target[i]].Type}
		}
		src = &planner.Project{In: q.Root, Exprs: exprs, Cols: cols}
	} else {
		v := &planner.Values{}
		for _, t := range target {
			v.Cols = append(v.Cols, planner.Column{Name: rel.Columns[t].Name, Type: rel.Columns[t].Type})
		}
		for _, row := range n.Lists {
			if len(row) > len(target) {
				return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more expressions than target columns")
			}
			if len(row) < len(target) {
				return nil, types.Errorf(types.CodeSyntaxError, "INSERT has more target columns than expressions")
			}
			out := make([]exec.Expr, len(row))
			for i, e := range row {
				var be exec.Expr
				if _, isDef := e.(*ast.DefaultExpr); isDef {
					be, err = s.defaultExpr(b, rel, target[i])
				} else if rel.Columns[target[i]].Proctime {
					err = generatedInsertErr(rel.Columns[target[i]].Name)
				} else {
					be, err = b.BindExpr(e, nil)
					if err == nil {
						be, err = planner.AssignCast(be, rel.Columns[target[i]].Type)
					}
				}
				if err != nil {
					return nil, err
				}
				out[i] = be
			}
			v.Rows = append(v.Rows, out)
		}
		src = v
	}
	src = planner.Optimize(src, s.e.rowEstimate)
	// Columns not listed take their defaults.
	isTarget := map[int]int{}
	for k, t := range target {
		isTarget[t] = k
	}
	defaults := make([]exec.Expr, len(rel.Columns))
	for i, c := range rel.Columns {
		if _, ok := isTarget[i]; ok || c.Hidden {
			continue
		}
		if defaults[i], err = s.defaultExpr(b, rel, i); err != nil {
			return nil, err
		}
	}
	phys := b.Phys
	return func(ctx context.Context, ec *exec.EvalCtx) (string, error) {
		s.e.writeMu.Lock()
		defer s.e.writeMu.Unlock()
		view := s.e.newReadView()
		defer view.Close()
		phys.Store, phys.EC = view, ec
		op, err := phys.Build(src)
		if err != nil {
			return "", err
		}
		defer op.Close()
		if err := op.Init(ctx); err != nil {
			return "", err
		}
		desc := s.e.tableDesc(rel)
		w := s.e.writerFor(rel)
		defer w.Close()
		// Defaults are evaluated once per statement (they are constants or
		// stable functions such as now()).
		defVals := make([]types.Datum, len(rel.Columns))
		for i, d := range defaults {
			if d != nil {
				v, err := scalar.EvalConst(ec, d)
				if err != nil {
					return "", err
				}
				defVals[i] = v
			}
		}
		var count int64
		row := make([]types.Datum, len(rel.Columns))
		changes := s.e.newChangeBuffer(rel, w, ec)
		for {
			c, err := op.Next()
			if err != nil {
				return "", err
			}
			if c == nil {
				break
			}
			for r := 0; r < c.Len(); r++ {
				if err := ctx.Err(); err != nil {
					return "", types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
				}
				pr := c.Row(r)
				for i := range row {
					row[i] = defVals[i]
				}
				for k, t := range target {
					row[t] = c.Cols[k].Get(pr)
				}
				if rel.Columns[rel.PK[0]].Hidden {
					id, err := s.e.nextRowID(rel)
					if err != nil {
						return "", err
					}
					row[rel.PK[0]] = types.NewInt(id)
				}
				if err := checkNotNull(rel, row); err != nil {
					return "", err
				}
				if err := w.Insert(desc, row); err != nil {
					return "", err
				}
				if err := changes.add(exec.OpInsert, row); err != nil {
					return "", err
				}
				count++
			}
		}
		if err := changes.flush(); err != nil {
			return "", err
		}
		afterLate, err := changes.flushLate(w)
		if err != nil {
			return "", err
		}
		wait, err := w.CommitNoSyncWait()
		if err != nil {
			return "", err
		}
		s.syncWait = wait
		afterLate()
		s.e.addRows(rel, count)
		if s.tx == 'T' && count > 0 {
			s.wroteInTx = true
		}
		return fmt.Sprintf("INSERT 0 %d", count), nil
	}, nil
}

func checkNotNull(rel *catalog.Relation, row []types.Datum) error {
	for i, c := range rel.Columns {
		if row[i].Null && (c.NotNull || isPK(rel, i)) {
			e := types.Errorf(types.CodeNotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, rel.Name)
			return e
		}
	}
	return nil
}

func isPK(rel *catalog.Relation, i int) bool {
	for _, k := range rel.PK {
		if k == i {
			return true
		}
	}
	return false
}

// scanPlan is the plan of the rows an UPDATE or DELETE touches: the table
// filtered by WHERE, then the given projection.
func (s *session) scanPlan(b *planner.Binder, rel *catalog.Relation, alias string, where ast.ExprNode, extra func(cols []planner.Column) ([]exec.Expr, error)) (planner.Node, error) {
	cols := tableColumns(rel, alias)
	var node planner.Node = &planner.Scan{Rel: rel, Alias: alias, Cols: cols}
	if where != nil {
		w, err := b.BindExpr(where, cols)
		if err != nil {
			return nil, err
		}
		if w.Type().Family != types.Bool {
			return nil, types.Errorf(types.CodeDatatypeMismatch, "argument of WHERE must be type boolean, not type %s", w.Type())
		}
		node = &planner.Filter{In: node, Conds: scalar.SplitAnd(w)}
	}
	exprs := make([]exec.Expr, len(cols))
	outCols := append([]planner.Column(nil), cols...)
	for i, c := range cols {
		exprs[i] = &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name}
	}
	if extra != nil {
		more, err := extra(cols)
		if err != nil {
			return nil, err
		}
		for _, e := range more {
			exprs = append(exprs, e)
			outCols = append(outCols, planner.Column{Name: "?new?", Type: e.Type()})
		}
	}
	node = &planner.Project{In: node, Exprs: exprs, Cols: outCols}
	return planner.Optimize(node, s.e.rowEstimate), nil
}

func (s *session) prepareUpdate(b *planner.Binder, n *ast.UpdateStmt) (func(context.Context, *exec.EvalCtx) (string, error), error) {
	if n.MultipleTable || n.Order != nil || n.Limit != nil {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "UPDATE with FROM, ORDER BY or LIMIT is not supported")
	}
	rel, alias, err := s.targetTable(n.TableRefs, "UPDATE")
	if err != nil {
		return nil, err
	}
	var setCols []int
	plan, err := s.scanPlan(b, rel, alias, n.Where, func(cols []planner.Column) ([]exec.Expr, error) {
		var out []exec.Expr
		seen := map[int]bool{}
		for _, a := range n.List {
			i := rel.ColumnIndex(a.Column.Name.O)
			if i < 0 || rel.Columns[i].Hidden {
				return nil, types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", a.Column.Name.O, rel.Name)
			}
			if seen[i] {
				return nil, types.Errorf(types.CodeSyntaxError, "multiple assignments to same column %q", a.Column.Name.O)
			}
			seen[i] = true
			var e exec.Expr
			var err error
			if _, isDef := a.Expr.(*ast.DefaultExpr); isDef {
				e, err = s.defaultExpr(b, rel, i)
			} else if rel.Columns[i].Proctime {
				err = generatedUpdateErr(rel.Columns[i].Name)
			} else {
				e, err = b.BindExpr(a.Expr, cols)
				if err == nil {
					e, err = planner.AssignCast(e, rel.Columns[i].Type)
				}
			}
			if err != nil {
				return nil, err
			}
			setCols = append(setCols, i)
			out = append(out, e)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	phys := b.Phys
	return func(ctx context.Context, ec *exec.EvalCtx) (string, error) {
		s.e.writeMu.Lock()
		defer s.e.writeMu.Unlock()
		olds, news, err := s.collect(ctx, phys, ec, plan, len(rel.Columns), setCols)
		if err != nil {
			return "", err
		}
		if err := s.replaceRows(ec, rel, olds, news); err != nil {
			return "", err
		}
		return fmt.Sprintf("UPDATE %d", len(olds)), nil
	}, nil
}

// collect runs plan and returns the old rows and, when setCols is given,
// the new rows (old rows with the assigned columns replaced). Values are
// copied: they outlive the operator's chunks.
func (s *session) collect(ctx context.Context, phys *planner.PhysBuilder, ec *exec.EvalCtx, plan planner.Node, ncols int, setCols []int) ([][]types.Datum, [][]types.Datum, error) {
	view := s.e.newReadView()
	defer view.Close()
	phys.Store, phys.EC = view, ec
	op, err := phys.Build(plan)
	if err != nil {
		return nil, nil, err
	}
	defer op.Close()
	if err := op.Init(ctx); err != nil {
		return nil, nil, err
	}
	var olds, news [][]types.Datum
	for {
		c, err := op.Next()
		if err != nil {
			return nil, nil, err
		}
		if c == nil {
			break
		}
		for r := 0; r < c.Len(); r++ {
			pr := c.Row(r)
			old := make([]types.Datum, ncols)
			for i := 0; i < ncols; i++ {
				old[i] = c.Cols[i].Get(pr).Copy()
			}
			olds = append(olds, old)
			if setCols != nil {
				nr := append([]types.Datum(nil), old...)
				for k, col := range setCols {
					nr[col] = c.Cols[ncols+k].Get(pr).Copy()
				}
				news = append(news, nr)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
	}
	return olds, news, nil
}

func (s *session) prepareDelete(b *planner.Binder, n *ast.DeleteStmt) (func(context.Context, *exec.EvalCtx) (string, error), error) {
	if n.IsMultiTable || n.Order != nil || n.Limit != nil {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "DELETE with USING, ORDER BY or LIMIT is not supported")
	}
	rel, alias, err := s.targetTable(n.TableRefs, "DELETE")
	if err != nil {
		return nil, err
	}
	plan, err := s.scanPlan(b, rel, alias, n.Where, nil)
	if err != nil {
		return nil, err
	}
	phys := b.Phys
	return func(ctx context.Context, ec *exec.EvalCtx) (string, error) {
		s.e.writeMu.Lock()
		defer s.e.writeMu.Unlock()
		olds, _, err := s.collect(ctx, phys, ec, plan, len(rel.Columns), nil)
		if err != nil {
			return "", err
		}
		if err := s.replaceRows(ec, rel, olds, nil); err != nil {
			return "", err
		}
		return fmt.Sprintf("DELETE %d", len(olds)), nil
	}, nil
}

// replaceRows deletes olds and inserts news in one batch, together with the
// changes they make to dependent views, and commits. Every old row goes
// first, so that keys moving between rows in one UPDATE do not collide with
// rows about to move away. Called with writeMu held.
func (s *session) replaceRows(ec *exec.EvalCtx, rel *catalog.Relation, olds, news [][]types.Datum) error {
	desc := s.e.tableDesc(rel)
	w := s.e.writerFor(rel)
	defer w.Close()
	changes := s.e.newChangeBuffer(rel, w, ec)
	for _, old := range olds {
		if err := w.Delete(desc, old); err != nil {
			return err
		}
		if err := changes.add(exec.OpDelete, old); err != nil {
			return err
		}
	}
	for _, nr := range news {
		if err := checkNotNull(rel, nr); err != nil {
			return err
		}
		if err := w.Insert(desc, nr); err != nil {
			return err
		}
		if err := changes.add(exec.OpInsert, nr); err != nil {
			return err
		}
	}
	if err := changes.flush(); err != nil {
		return err
	}
	afterLate, err := changes.flushLate(w)
	if err != nil {
		return err
	}
	wait, err := w.CommitNoSyncWait()
	if err != nil {
		return err
	}
	s.syncWait = wait
	afterLate()
	s.e.addRows(rel, int64(len(news)-len(olds)))
	if s.tx == 'T' && len(olds) > 0 {
		s.wroteInTx = true
	}
	return nil
}
