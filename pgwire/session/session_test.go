package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestDDLAndDMLTags(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	for _, tc := range []struct{ sql, tag string }{
		{"CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION DEFAULT 1.5)", "CREATE TABLE"},
		{"INSERT INTO t VALUES (1, 'a', 2.0), (2, 'b', 3.0), (3, 'c', NULL)", "INSERT 0 3"},
		{"INSERT INTO t (id, name) VALUES (4, 'd')", "INSERT 0 1"},
		{"UPDATE t SET score = score * 2 WHERE id <= 2", "UPDATE 2"},
		{"DELETE FROM t WHERE id = 3", "DELETE 1"},
		{"CREATE VIEW v AS SELECT id, score FROM t WHERE score > 2", "CREATE VIEW"},
		{"CREATE INDEX t_name ON t (name)", "CREATE INDEX"},
		{"INSERT INTO t SELECT id + 10, name || 'x', score FROM t", "INSERT 0 3"},
	} {
		if got := mustExec(t, c, tc.sql); got != tc.tag {
			t.Errorf("%s: tag %q, want %q", tc.sql, got, tc.tag)
		}
	}
	var n int64
	var sum float64
	if err := c.QueryRow(context.Background(), "SELECT count(*), sum(score) FROM v").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 4 || sum != 4+6+4+6 {
		t.Errorf("view: count %d sum %v, want 4 and 20", n, sum)
	}
	var def float64
	if err := c.QueryRow(context.Background(), "SELECT score FROM t WHERE id = 4").Scan(&def); err != nil || def != 1.5 {
		t.Errorf("default: %v %v", def, err)
	}
	var name string
	if err := c.QueryRow(context.Background(), "SELECT name FROM t WHERE name = 'bx'").Scan(&name); err != nil || name != "bx" {
		t.Errorf("index lookup: %q %v", name, err)
	}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestErrorsKeepSessionUsable(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE t (a INT PRIMARY KEY, b INT NOT NULL, s SMALLINT)")
	mustExec(t, c, "INSERT INTO t VALUES (1, 1, 1)")
	for _, tc := range []struct{ sql, code string }{
		{"SELEC 1", "42601"},
		{"SELECT * FROM nope", "42P01"},
		{"SELECT nope FROM t", "42703"},
		{"SELECT 1/0", "22012"},
		{"SELECT a/0 FROM t", "22012"},
		{"INSERT INTO t VALUES (1, 2, 3)", "23505"},
		{"INSERT INTO t (a) VALUES (5)", "23502"},
		{"INSERT INTO t VALUES (6, 6, 40000)", "22003"},
		{"SELECT 2147483647 + a FROM t", "22003"},
		{"SELECT 'abc'::int", "22P02"},
		{"CREATE TABLE t (x INT)", "42P07"},
		{"SELECT a, count(*) FROM t", "42803"},
	} {
		_, err := c.Exec(context.Background(), tc.sql)
		if got := sqlstate(err); got != tc.code {
			t.Errorf("%s: SQLSTATE %q (%v), want %s", tc.sql, got, err, tc.code)
		}
		var one int
		if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("session unusable after %q: %v", tc.sql, err)
		}
	}
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Errorf("failed statements changed data: %d %v", n, err)
	}
}

func TestExtendedProtocolParams(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE kv (k BIGINT PRIMARY KEY, v TEXT, n NUMERIC(10,2), ts TIMESTAMP)")
	for i := int64(0); i < 50; i++ {
		mustExec(t, c, "INSERT INTO kv VALUES ($1, $2, $3, '2024-01-02 03:04:05')", i, "v"+string(rune('a'+i%26)), float64(i)/4)
	}
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec} {
		var v string
		var k int64
		if err := c.QueryRow(ctx, "SELECT k, v FROM kv WHERE k = $1", mode, int64(7)).Scan(&k, &v); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if k != 7 || v != "vh" {
			t.Errorf("mode %v: got %d %q", mode, k, v)
		}
		rows, err := c.Query(ctx, "SELECT k FROM kv WHERE k >= $1 AND v LIKE $2 ORDER BY k", mode, int64(10), "v%")
		if err != nil {
			t.Fatal(err)
		}
		ks, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) != 40 || ks[0] != 10 || ks[39] != 49 {
			t.Errorf("mode %v: range result %v", mode, ks)
		}
	}
}

// TestParamHasOneType: once a use fixes a parameter's type ($1::text),
// later uses have that type, as in PostgreSQL: text * interval is an
// error, not a silent zero.
func TestParamHasOneType(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ti (a TEXT, b INTERVAL)")
	_, err := c.Exec(context.Background(), "INSERT INTO ti VALUES ($1::text, $1 * INTERVAL '20 seconds')", "3")
	if sqlstate(err) != "42883" {
		t.Fatalf("text * interval through a parameter: %v, want SQLSTATE 42883", err)
	}
	// Typed by its first use, the parameter carries its value to the others.
	mustExec(t, c, "INSERT INTO ti VALUES ($1::int::text, $1 * INTERVAL '20 seconds')", 3)
	if got := rowsOf(t, c, "SELECT a, b::text FROM ti"); strings.Join(got, ",") != "3|00:01:00" {
		t.Fatalf("rows %v, want 3|00:01:00", got)
	}
}
