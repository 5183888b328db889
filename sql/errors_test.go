package sql

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code string
		msg  string
		pos  int
	}{
		{"SELECT * FORM t", types.CodeSyntaxError, `syntax error at or near "FORM"`, 10},
		{"SELECT a, FROM t", types.CodeSyntaxError, `syntax error at or near "FROM"`, 11},
		{"SELECT a::int FROM WHERE", types.CodeSyntaxError, `syntax error at or near "WHERE"`, 20},
		{"SELECT (1", types.CodeSyntaxError, "syntax error at end of input", 10},
		{"SELECT 1 +", types.CodeSyntaxError, "syntax error at end of input", 11},
		{"SELECT 'abc", types.CodeSyntaxError, `unterminated quoted string at or near "'abc"`, 8},
		{"SELECT é, * FORM t", types.CodeSyntaxError, `syntax error at or near "FORM"`, 13},
		{"SELECT 1)", types.CodeSyntaxError, `syntax error at or near ")"`, 9},
		{"CREATE TABLE t (a int,)", types.CodeSyntaxError, `syntax error at or near ")"`, 23},
		{"CREATE TABLE t (a int", types.CodeSyntaxError, "syntax error at end of input", 22},
		{"CREATE FOO x", types.CodeSyntaxError, `syntax error at or near "FOO"`, 8},
		{"DROP TABLE", types.CodeSyntaxError, "syntax error at end of input", 11},
		{"SELECT 1; SELEC 2", types.CodeSyntaxError, `syntax error at or near "SELEC"`, 11},
		{"SELECT 123abc", types.CodeSyntaxError, `trailing junk after numeric literal at or near "123abc"`, 8},
		{"SELECT a::nosuch", types.CodeUndefinedObject, `type "nosuch" does not exist`, 11},
		{"SELECT * FROM a FULL JOIN b NATURAL", types.CodeFeatureNotSupported, "FULL JOIN is only supported with an ON or USING condition", 17},
		{"SELECT a[1:2] FROM t", types.CodeFeatureNotSupported, "arrays are not supported", 9},
		{"INSERT INTO t VALUES (1) RETURNING *", types.CodeFeatureNotSupported, "RETURNING is not supported", 26},
		{"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", types.CodeFeatureNotSupported, "ON CONFLICT is not supported", 26},
		{"CREATE VIEW v AS SELECT * FORM t", types.CodeSyntaxError, `syntax error at or near "FORM"`, 27},
		{"CREATE TABLE t (a int DEFAULT 1 +)", types.CodeSyntaxError, `syntax error at or near ")"`, 34},
	} {
		_, err := Parse(tc.in)
		e, ok := err.(*types.Error)
		if !ok {
			t.Errorf("%s: error %v (%T)", tc.in, err, err)
			continue
		}
		if e.Code != tc.code || e.Message != tc.msg || e.Position != tc.pos {
			t.Errorf("%s: got %s %q at %d; want %s %q at %d", tc.in, e.Code, e.Message, e.Position, tc.code, tc.msg, tc.pos)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ; ;", nil},
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';'; SELECT \"a;b\" ;", []string{"SELECT ';'", `SELECT "a;b"`}},
		{"SELECT $$a;b$$; SELECT $t$;$t$", []string{"SELECT $$a;b$$", "SELECT $t$;$t$"}},
		{"SELECT E'\\';'; SELECT 2", []string{"SELECT E'\\';'", "SELECT 2"}},
		{"SELECT 1 -- c;\n; /* ; /* ; */ */ SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 'a\\'; SELECT 2", []string{"SELECT 'a\\'", "SELECT 2"}},
	} {
		got, err := Split(tc.in)
		if err != nil {
			t.Errorf("Split(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := Split("SELECT 'x"); err == nil {
		t.Error("unterminated string split")
	}
	stmts, err := Parse("SELECT 1;; CREATE TABLE t (a int); SHOW ALL;")
	if err != nil || len(stmts) != 3 {
		t.Errorf("Parse multi: %d %v", len(stmts), err)
	}
}

// FuzzParse checks that Parse never panics. Run with
// go test ./sql/ -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT a::int FROM t WHERE b IS DISTINCT FROM $1 ORDER BY c NULLS FIRST LIMIT ALL",
		"SELECT * FROM a FULL JOIN b ON a.x = b.x",
		"VALUES (1, 'a'), (2, 'b')",
		"SELECT DISTINCT ON (a) a, count(*) FILTER (WHERE b) FROM TUMBLE(t, ts, INTERVAL '5' MINUTE) GROUP BY a",
		"CREATE SOURCE s (a int, WATERMARK FOR a AS a - 1) WITH (connector = 'x') FORMAT PLAIN ENCODE JSON",
		"CREATE MATERIALIZED VIEW v AS SELECT 2^3 EMIT ON WINDOW CLOSE",
		"SELECT E'\\x41', $$x$$, U&'\\0041'; SET x TO 1; SHOW ALL",
		"SELECT * FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))",
		"SELECT CAST(a AS timestamp with time zone), EXTRACT(epoch FROM ts) OFFSET 3 ROWS FETCH FIRST 1 ROW ONLY",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Detect hangs: report the input if Parse takes far too long.
		timer := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("Parse hangs on %q", s)) })
		defer timer.Stop()
		stmts, err := Parse(s)
		if err != nil {
			if _, ok := err.(*types.Error); !ok {
				t.Fatalf("non-*types.Error %T: %v", err, err)
			}
			return
		}
		_ = stmts
		_, _ = Split(s)
	})
}
