package session

import (
	"context"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/exec"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// createTableAs runs CREATE TABLE name AS query: the table takes the
// query's column names and types (unknown becomes text), then the query's
// rows are inserted. It returns the command tag, SELECT n.
func (s *session) createTableAs(ctx context.Context, x *sql.CreateTable) (string, error) {
	b := &planner.Binder{Cat: s.e.cat, Phys: &planner.PhysBuilder{}}
	q, err := b.BindQuery(x.AsQuery.Node)
	if err != nil {
		return "", err
	}
	ct := *x
	ct.AsQuery = nil
	ct.Columns = nil
	for i, c := range q.Cols {
		t := c.Type
		if t.Family == types.Unknown {
			t = types.TText
		}
		name := c.Name
		if i < len(x.Columns) {
			name = x.Columns[i].Name
		}
		ct.Columns = append(ct.Columns, sql.ColumnDef{Name: name, Type: t})
	}
	exists := s.e.cat.Get(x.Name) != nil
	if err := func() error {
		s.e.writeMu.Lock()
		defer s.e.writeMu.Unlock()
		return s.createTable(&ct)
	}(); err != nil {
		return "", err
	}
	if exists { // IF NOT EXISTS on an existing relation: nothing inserted
		return "CREATE TABLE AS", nil
	}
	stmts, err := sql.Parse("INSERT INTO " + quoteIdent(x.Name) + " " + x.AsQuery.Text)
	if err != nil {
		return "", err
	}
	ins, ok := stmts[0].(*sql.Query)
	if !ok || len(stmts) != 1 {
		return "", types.Errorf(types.CodeInternal, "CREATE TABLE AS: cannot build the INSERT")
	}
	n, ok := ins.Node.(*ast.InsertStmt)
	if !ok {
		return "", types.Errorf(types.CodeInternal, "CREATE TABLE AS: cannot build the INSERT")
	}
	run, err := s.prepareInsert(&planner.Binder{Cat: s.e.cat, Phys: &planner.PhysBuilder{}}, n)
	if err != nil {
		return "", err
	}
	tag, err := run(ctx, &exec.EvalCtx{Ctx: ctx, Now: s.e.now()})
	if err != nil {
		return "", err
	}
	return "SELECT " + strings.TrimPrefix(tag, "INSERT 0 "), nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (s *session) createTable(x *sql.CreateTable) error {
	if x.AsQuery != nil {
		return types.Errorf(types.CodeFeatureNotSupported, "CREATE TABLE AS is not supported")
	}
	if _, ok := x.With["connector"]; ok {
		if err := s.prepareConnectorTableProctime(x); err != nil {
			return err
		}
	}
	if existing := s.e.cat.Get(x.Name); existing != nil {
		if x.IfNotExists {
			return nil
		}
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", x.Name)
	}
	rel := &catalog.Relation{Name: x.Name, Kind: catalog.KindTable, AppendOnly: x.AppendOnly, With: x.With}
	seen := map[string]bool{}
	var pk []string
	var uniques [][]string
	for _, c := range x.Columns {
		if seen[c.Name] {
			return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		col := catalog.Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull || c.PrimaryKey, Default: c.DefaultText, Proctime: c.Proctime}
		if c.Default != nil {
			// Validate the default now: it must bind and convert to the
			// column's type.
			b := &planner.Binder{Cat: s.e.cat, Phys: &planner.PhysBuilder{}}
			be, err := b.BindExpr(c.Default, nil)
			if err != nil {
				return err
			}
			if _, err := planner.AssignCast(be, c.Type); err != nil {
				return err
			}
		}
		rel.Columns = append(rel.Columns, col)
		if c.PrimaryKey {
			pk = append(pk, c.Name)
		}
		if c.Unique {
			uniques = append(uniques, []string{c.Name})
		}
	}
	if len(x.PrimaryKey) > 0 {
		if len(pk) > 0 && strings.Join(pk, ",") != strings.Join(x.PrimaryKey, ",") {
			return types.Errorf(types.CodeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", x.Name)
		}
		pk = x.PrimaryKey
	}
	for _, name := range pk {
		i := rel.ColumnIndex(name)
		if i < 0 {
			return types.Errorf(types.CodeUndefinedColumn, "column %q named in key does not exist", name)
		}
		for _, p := range rel.PK {
			if p == i {
				return types.Errorf(types.CodeDuplicateColumn, "column %q appears twice in primary key constraint", name)
			}
		}
		switch rel.Columns[i].Type.Family {
		case types.Jsonb:
			return types.Errorf(types.CodeUndefinedObject, "data type jsonb has no default operator class for access method \"btree\"")
		}
		rel.Columns[i].NotNull = true
		rel.PK = append(rel.PK, i)
	}
	if len(rel.PK) > 0 {
		rel.DeclaredPK = true
	} else {
		rel.Columns = append(rel.Columns, catalog.Column{Name: "_row_id", Type: types.TInt8, Hidden: true, NotNull: true})
		rel.PK = []int{len(rel.Columns) - 1}
	}
	if x.Watermark != nil {
		wm, err := s.e.checkWatermark(rel, x.Watermark)
		if err != nil {
			return err
		}
		rel.Watermark = wm
		// Rows behind the watermark land in the dead-letter table.
		if x.Name != deadLetterTable {
			if err := s.ensureDeadLetters(); err != nil {
				return err
			}
		}
	}
	id, err := s.e.cat.AllocID()
	if err != nil {
		return err
	}
	rel.ID = id
	for i, u := range append(uniques, x.Unique...) {
		ixID, err := s.e.cat.AllocID()
		if err != nil {
			return err
		}
		ix := &catalog.Index{ID: ixID, Name: uniqueName(x.Name, u, i), Unique: true}
		for _, name := range u {
			ci := rel.ColumnIndex(name)
			if ci < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q named in key does not exist", name)
			}
			ix.Columns = append(ix.Columns, ci)
			ix.Desc = append(ix.Desc, false)
		}
		rel.Indexes = append(rel.Indexes, ix)
	}
	if err := s.e.cat.Create(rel); err != nil {
		return err
	}
	return s.e.startSource(rel)
}

func uniqueName(table string, cols []string, _ int) string {
	return table + "_" + strings.Join(cols, "_") + "_key"
}

func (s *session) createView(x *sql.CreateView) error {
	if x.Materialized {
		return s.createMaterializedView(x)
	}
	if existing := s.e.cat.Get(x.Name); existing != nil {
		if x.IfNotExists {
			return nil
		}
		if !x.OrReplace || existing.Kind != catalog.KindView {
			return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", x.Name)
		}
	}
	b := &planner.Binder{Cat: s.e.cat, Phys: &planner.PhysBuilder{}}
	q, err := b.BindQuery(x.Query.Node)
	if err != nil {
		return err
	}
	if len(b.ParamTypes) > 0 {
		return types.Errorf(types.CodeFeatureNotSupported, "views cannot have parameters")
	}
	if len(x.Columns) > len(q.Cols) {
		return types.Errorf(types.CodeSyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	rel := &catalog.Relation{Name: x.Name, Kind: catalog.KindView, SQL: x.Query.Text}
	seen := map[string]bool{}
	for i, c := range q.Cols {
		name := c.Name
		if i < len(x.Columns) {
			name = x.Columns[i]
		}
		if seen[name] {
			return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		rel.Columns = append(rel.Columns, catalog.Column{Name: name, Type: c.Type})
	}
	for id := range b.Deps {
		rel.DependsOn = append(rel.DependsOn, id)
	}
	if existing := s.e.cat.Get(x.Name); existing != nil {
		rel.ID = existing.ID
		return s.e.cat.Update(rel)
	}
	id, err := s.e.cat.AllocID()
	if err != nil {
		return err
	}
	rel.ID = id
	return s.e.cat.Create(rel)
}

func (s *session) createIndex(x *sql.CreateIndex) error {
	rel := s.e.cat.Get(x.Table)
	if rel == nil {
		return types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", x.Table)
	}
	if rel.Kind != catalog.KindTable {
		return types.Errorf(types.CodeWrongObjectType, "cannot create index on %s %q", rel.Kind, rel.Name)
	}
	name := x.Name
	if name == "" {
		var cols []string
		for _, c := range x.Columns {
			cols = append(cols, c.Name)
		}
		name = x.Table + "_" + strings.Join(cols, "_") + "_idx"
	}
	if r, _ := s.e.cat.FindIndex(name); r != nil || s.e.cat.Get(name) != nil {
		if x.IfNotExists {
			return nil
		}
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
	}
	if len(x.Include) > 0 {
		return types.Errorf(types.CodeFeatureNotSupported, "INCLUDE columns are not supported")
	}
	ix := &catalog.Index{Name: name, Unique: x.Unique}
	for _, c := range x.Columns {
		i := rel.ColumnIndex(c.Name)
		if i < 0 || rel.Columns[i].Hidden {
			return types.Errorf(types.CodeUndefinedColumn, "column %q does not exist", c.Name)
		}
		if rel.Columns[i].Type.Family == types.Jsonb {
			return types.Errorf(types.CodeUndefinedObject, "data type jsonb has no default operator class for access method \"btree\"")
		}
		ix.Columns = append(ix.Columns, i)
		ix.Desc = append(ix.Desc, c.Desc)
	}
	id, err := s.e.cat.AllocID()
	if err != nil {
		return err
	}
	ix.ID = id
	// Fill the index from the table's rows, then publish it.
	if err := s.e.backfillIndex(rel, ix); err != nil {
		return err
	}
	_, err = s.e.cat.AddIndex(rel.Name, ix)
	return err
}

func (s *session) drop(x *sql.Drop) error {
	for _, name := range x.Names {
		if x.Kind == "INDEX" {
			rel, ix := s.e.cat.FindIndex(name)
			if ix == nil {
				if x.IfExists {
					continue
				}
				return types.Errorf(types.CodeUndefinedObject, "index %q does not exist", name)
			}
			if _, _, err := s.e.cat.DropIndex(name); err != nil {
				return err
			}
			if err := s.e.tables.DropIndex(s.e.tableDesc(rel), ix.ID); err != nil {
				return err
			}
			continue
		}
		rel := s.e.cat.Get(name)
		want := map[string]catalog.Kind{
			"TABLE": catalog.KindTable, "VIEW": catalog.KindView, "MATERIALIZED VIEW": catalog.KindMaterializedView,
			"SOURCE": catalog.KindSource, "SINK": catalog.KindSink,
		}[x.Kind]
		if rel == nil {
			if x.IfExists {
				continue
			}
			if want == catalog.KindTable || want == catalog.KindView || want == catalog.KindMaterializedView {
				return types.Errorf(types.CodeUndefinedTable, "%s %q does not exist", strings.ToLower(x.Kind), name)
			}
			return types.Errorf(types.CodeUndefinedObject, "%s %q does not exist", strings.ToLower(x.Kind), name)
		}
		if rel.Kind != want {
			e := types.Errorf(types.CodeWrongObjectType, "%q is not a %s", name, strings.ToLower(x.Kind))
			e.Hint = "Use DROP " + strings.ToUpper(string(rel.Kind)) + " to remove a " + string(rel.Kind) + "."
			return e
		}
		dropped, err := s.e.cat.Drop(name, x.Cascade)
		if err != nil {
			return err
		}
		for _, d := range dropped {
			if isConnectorRel(d) {
				if err := s.e.dropSource(d); err != nil {
					return err
				}
			}
			if d.Kind == catalog.KindSink {
				if err := s.e.dropSink(d); err != nil {
					return err
				}
			}
			if d.Kind == catalog.KindMaterializedView {
				s.e.views.remove(d.ID)
				if err := s.e.dropState(d); err != nil {
					return err
				}
			}
			if d.Kind == catalog.KindTable {
				if err := s.e.tables.DropTable(s.e.tableDesc(d)); err != nil {
					return err
				}
				s.e.rowCount.Delete(d.ID)
			}
		}
	}
	return nil
}
