package sql

import (
	"reflect"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/types"
)

func parseOne(t *testing.T, text string) Statement {
	t.Helper()
	st, err := ParseOne(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return st
}

func TestCreateTable(t *testing.T) {
	ct := parseOne(t, `CREATE TABLE IF NOT EXISTS public."Orders" (
		id BIGINT PRIMARY KEY,
		"Name" varchar(20) NOT NULL,
		price numeric(10,2) DEFAULT 0.5 * 2,
		ts timestamp with time zone,
		flag boolean DEFAULT true NOT NULL,
		d double precision UNIQUE
	) APPEND ONLY`).(*CreateTable)
	if ct.Name != "Orders" || ct.Schema != "public" || !ct.IfNotExists || !ct.AppendOnly {
		t.Errorf("%+v", ct)
	}
	want := []types.T{types.TInt8, {Family: types.Text, Width: 20}, {Family: types.Numeric, Precision: 10, Scale: 2}, types.TTimestamptz, types.TBool, types.TFloat8}
	if len(ct.Columns) != len(want) {
		t.Fatalf("columns: %+v", ct.Columns)
	}
	for i, w := range want {
		if ct.Columns[i].Type != w {
			t.Errorf("col %d type %v want %v", i, ct.Columns[i].Type, w)
		}
	}
	if !reflect.DeepEqual(ct.PrimaryKey, []string{"id"}) || !ct.Columns[0].PrimaryKey || ct.Columns[1].Name != "Name" || !ct.Columns[1].NotNull {
		t.Errorf("pk/notnull: %+v", ct)
	}
	if ct.Columns[2].DefaultText != "0.5 * 2" || restore(t, ct.Columns[2].Default) != "0.5*2" {
		t.Errorf("default: %q", ct.Columns[2].DefaultText)
	}
	if !ct.Columns[4].NotNull || ct.Columns[4].DefaultText != "true" || !ct.Columns[5].Unique {
		t.Errorf("flags: %+v", ct.Columns[4:])
	}

	ct = parseOne(t, `CREATE TABLE t (a int, b text, c int, PRIMARY KEY (a, b), UNIQUE (c))`).(*CreateTable)
	if !reflect.DeepEqual(ct.PrimaryKey, []string{"a", "b"}) || !ct.Columns[1].PrimaryKey || !reflect.DeepEqual(ct.Unique, [][]string{{"c"}}) {
		t.Errorf("%+v", ct)
	}

	ct = parseOne(t, `CREATE TABLE t2 AS SELECT * FROM t`).(*CreateTable)
	if ct.AsQuery == nil || ct.AsQuery.Text != "SELECT * FROM t" {
		t.Errorf("%+v", ct)
	}
	if _, err := Parse(`CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))`); err == nil {
		t.Error("two primary keys accepted")
	}
	if _, err := Parse(`CREATE TABLE t (a nosuchtype)`); err == nil || err.(*types.Error).Code != types.CodeUndefinedObject {
		t.Errorf("unknown type: %v", err)
	}
}

func TestCreateSource(t *testing.T) {
	cs := parseOne(t, `CREATE SOURCE IF NOT EXISTS bids (
		auction BIGINT, price BIGINT, date_time TIMESTAMP,
		WATERMARK FOR date_time AS date_time - INTERVAL '5' SECOND
	) INCLUDE key AS k INCLUDE partition WITH (
		connector = 'kafka', topic = 'bids', properties.bootstrap.server = 'localhost:9092', scan.startup.mode = earliest, n = -3
	) FORMAT PLAIN ENCODE JSON (schema.registry = 'http://x')`).(*CreateSource)
	if cs.Name != "bids" || !cs.IfNotExists || len(cs.Columns) != 3 {
		t.Fatalf("%+v", cs)
	}
	if cs.Watermark == nil || cs.Watermark.Column != "date_time" || cs.Watermark.Text != "date_time - INTERVAL '5' SECOND" {
		t.Fatalf("watermark %+v", cs.Watermark)
	}
	if got := restore(t, cs.Watermark.Expr); got != "`date_time`-__pg_cast(_utf8mb4'5 second', _utf8mb4'interval')" {
		t.Errorf("watermark expr %s", got)
	}
	wantWith := map[string]string{"connector": "kafka", "topic": "bids", "properties.bootstrap.server": "localhost:9092", "scan.startup.mode": "earliest", "n": "-3"}
	if !reflect.DeepEqual(cs.With, wantWith) {
		t.Errorf("with %v", cs.With)
	}
	if cs.Format != "PLAIN" || cs.Encode != "JSON" || cs.FormatOptions["schema.registry"] != "http://x" {
		t.Errorf("format %q %q %v", cs.Format, cs.Encode, cs.FormatOptions)
	}
	if !reflect.DeepEqual(cs.Include, []IncludeDef{{Kind: "key", Alias: "k"}, {Kind: "partition"}}) {
		t.Errorf("include %+v", cs.Include)
	}
	ct := parseOne(t, `CREATE TABLE t (id int PRIMARY KEY, v text) WITH (connector = 'datagen') FORMAT UPSERT ENCODE JSON`).(*CreateTable)
	if ct.With["connector"] != "datagen" || ct.Format != "UPSERT" {
		t.Errorf("%+v", ct)
	}
}

func TestCreateView(t *testing.T) {
	v := parseOne(t, `CREATE MATERIALIZED VIEW IF NOT EXISTS mv (a, "B") AS
		SELECT window_start, count(*) FROM TUMBLE(bids, date_time, INTERVAL '5' MINUTE) GROUP BY window_start
		EMIT ON WINDOW CLOSE`).(*CreateView)
	if v.Name != "mv" || !v.Materialized || !v.IfNotExists || !v.EmitOnWindowClose || !reflect.DeepEqual(v.Columns, []string{"a", "B"}) {
		t.Errorf("%+v", v)
	}
	if _, ok := v.Query.Node.(*ast.SelectStmt); !ok || v.Query.Text[:6] != "SELECT" {
		t.Errorf("query %q", v.Query.Text)
	}
	v = parseOne(t, `CREATE OR REPLACE VIEW v AS VALUES (1)`).(*CreateView)
	if v.Materialized || !v.OrReplace || v.Query == nil {
		t.Errorf("%+v", v)
	}
}

func TestOtherStatements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Statement
	}{
		{"CREATE UNIQUE INDEX IF NOT EXISTS ix ON s.t (a DESC, b ASC) INCLUDE (c)", &CreateIndex{Name: "ix", Table: "t", Unique: true, IfNotExists: true, Columns: []IndexColumn{{"a", true}, {"b", false}}, Include: []string{"c"}}},
		{"CREATE INDEX ON t (a)", &CreateIndex{Table: "t", Columns: []IndexColumn{{"a", false}}}},
		{"CREATE SINK s FROM mv WITH (connector = 'blackhole')", &CreateSink{Name: "s", From: "mv", With: map[string]string{"connector": "blackhole"}}},
		{"DROP MATERIALIZED VIEW IF EXISTS a, public.B CASCADE", &Drop{Kind: "MATERIALIZED VIEW", Names: []string{"a", "b"}, IfExists: true, Cascade: true}},
		{"DROP TABLE t", &Drop{Kind: "TABLE", Names: []string{"t"}}},
		{"DROP SOURCE s RESTRICT", &Drop{Kind: "SOURCE", Names: []string{"s"}}},
		{"DROP SINK s", &Drop{Kind: "SINK", Names: []string{"s"}}},
		{"DROP INDEX i", &Drop{Kind: "INDEX", Names: []string{"i"}}},
		{"DROP VIEW v", &Drop{Kind: "VIEW", Names: []string{"v"}}},
		{"SET search_path = public, \"$user\"", &Set{Name: "search_path", Value: "public, $user"}},
		{"SET SESSION extra_float_digits TO 3", &Set{Name: "extra_float_digits", Value: "3"}},
		{"SET LOCAL statement_timeout = '5s'", &Set{Name: "statement_timeout", Value: "5s", Local: true}},
		{"SET TIME ZONE 'UTC'", &Set{Name: "timezone", Value: "UTC"}},
		{"SET application_name = DEFAULT", &Set{Name: "application_name", Value: "DEFAULT"}},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED", &Set{Name: "transaction_isolation", Value: "read committed"}},
		{"SET TRANSACTION READ ONLY", &Set{Name: "transaction_read_only", Value: "on"}},
		{"RESET ALL", &Set{Name: "all", Reset: true}},
		{"RESET DateStyle", &Set{Name: "datestyle", Reset: true}},
		{"SHOW ALL", &Show{Name: "all"}},
		{"SHOW TABLES", &Show{Name: "tables"}},
		{"SHOW MATERIALIZED VIEWS", &Show{Name: "materialized views"}},
		{"SHOW SOURCES", &Show{Name: "sources"}},
		{"SHOW SINKS", &Show{Name: "sinks"}},
		{"SHOW VIEWS", &Show{Name: "views"}},
		{"SHOW INDEXES FROM t", &Show{Name: "indexes", Target: "t"}},
		{"SHOW TRANSACTION ISOLATION LEVEL", &Show{Name: "transaction_isolation"}},
		{"SHOW TIME ZONE", &Show{Name: "timezone"}},
		{"SHOW server_version", &Show{Name: "server_version"}},
		{"DESCRIBE public.T", &Describe{Name: "t"}},
		{"FLUSH", &Flush{}},
		{"BEGIN", &Begin{}},
		{"BEGIN ISOLATION LEVEL READ COMMITTED", &Begin{}},
		{"START TRANSACTION", &Begin{}},
		{"COMMIT", &Commit{}},
		{"END", &Commit{}},
		{"ROLLBACK", &Rollback{}},
		{"ABORT", &Rollback{}},
		{"DISCARD ALL", &Discard{}},
		{"DEALLOCATE PREPARE s1", &Deallocate{Name: "s1"}},
		{"DEALLOCATE ALL", &Deallocate{All: true}},
	} {
		got := parseOne(t, tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
	s := parseOne(t, "CREATE SINK IF NOT EXISTS s AS SELECT a FROM t WITH (connector = 'kafka') FORMAT PLAIN ENCODE JSON").(*CreateSink)
	if s.Query == nil || s.Query.Text != "SELECT a FROM t" || s.With["connector"] != "kafka" || s.Encode != "JSON" || !s.IfNotExists {
		t.Errorf("%+v", s)
	}
	s = parseOne(t, "CREATE SINK s AS SELECT a, count(*) FROM t GROUP BY a EMIT ON WINDOW CLOSE WITH (connector = 'blackhole')").(*CreateSink)
	if s.Query == nil || s.Query.Text != "SELECT a, count(*) FROM t GROUP BY a" || !s.EmitOnWindowClose || s.With["connector"] != "blackhole" {
		t.Errorf("%+v", s)
	}
	ex := parseOne(t, "EXPLAIN ANALYZE SELECT 1").(*Explain)
	if !ex.Analyze {
		t.Error("analyze")
	}
	if _, ok := ex.Stmt.(*Query); !ok {
		t.Errorf("%T", ex.Stmt)
	}
	ex = parseOne(t, "EXPLAIN CREATE MATERIALIZED VIEW m AS SELECT 1").(*Explain)
	if _, ok := ex.Stmt.(*CreateView); !ok || ex.Analyze {
		t.Errorf("%T", ex.Stmt)
	}
}

func TestParseTypeName(t *testing.T) {
	for in, want := range map[string]types.T{
		"int": types.TInt4, "integer": types.TInt4, "int4": types.TInt4, "bigint": types.TInt8, "int8": types.TInt8,
		"smallint": types.TInt2, "int2": types.TInt2, "varchar(20)": {Family: types.Text, Width: 20},
		"character varying": types.TText, "character varying(5)": {Family: types.Text, Width: 5},
		"double precision": types.TFloat8, "float": types.TFloat8, "float4": types.TFloat4, "real": types.TFloat4,
		"numeric(10,2)": {Family: types.Numeric, Precision: 10, Scale: 2}, "decimal": types.TNumeric,
		"text": types.TText, "bytea": types.TBytea, "boolean": types.TBool, "bool": types.TBool, "date": types.TDate,
		"time": types.TTime, "timestamp": types.TTimestamp, "timestamp without time zone": types.TTimestamp,
		"timestamptz": types.TTimestamptz, "timestamp with time zone": types.TTimestamptz, "interval": types.TInterval,
		"jsonb": types.TJsonb, "char(3)": {Family: types.Text, Width: 3}, "string": types.TText, "INTEGER": types.TInt4,
		"pg_catalog.int4": types.TInt4,
	} {
		got, err := ParseTypeName(in)
		if err != nil || got != want {
			t.Errorf("ParseTypeName(%q) = %v, %v; want %v", in, got, err, want)
		}
		// The canonical name round-trips.
		if back, err := ParseTypeName(typeCanon(got)); err != nil || back != got {
			t.Errorf("canon %q: %v %v", typeCanon(got), back, err)
		}
	}
	_, err := ParseTypeName("foo")
	if e, ok := err.(*types.Error); !ok || e.Code != types.CodeUndefinedObject || e.Message != `type "foo" does not exist` {
		t.Errorf("unknown type: %v", err)
	}
}
