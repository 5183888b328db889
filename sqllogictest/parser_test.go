package sqllogictest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text string) []Record {
	t.Helper()
	recs, err := Parse(strings.NewReader(text), "t.test")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return recs
}

func TestParseRecordKinds(t *testing.T) {
	cases := []struct {
		name string
		text string
		want Record
	}{
		{"statement ok", "statement ok\nCREATE TABLE t(a INT)\n",
			Record{Kind: KindStatement, Line: 1, SQL: "CREATE TABLE t(a INT)", ExpectCount: -1}},
		{"statement ok multi-line CRLF", "statement ok\r\nINSERT INTO t\r\nVALUES (1)\r\n\r\n",
			Record{Kind: KindStatement, Line: 1, SQL: "INSERT INTO t\nVALUES (1)", ExpectCount: -1}},
		{"statement error", "statement error\nSELECT x\n",
			Record{Kind: KindStatement, Line: 1, SQL: "SELECT x", ExpectError: true, ExpectCount: -1}},
		{"statement error pattern", "statement error column .* does not # exist\nSELECT x\n",
			Record{Kind: KindStatement, Line: 1, SQL: "SELECT x", ExpectError: true, ErrorPattern: "column .* does not # exist", ExpectCount: -1}},
		{"statement error multi-line message", "statement error\nSELECT x\n----\ndb error: boom\n",
			Record{Kind: KindStatement, Line: 1, SQL: "SELECT x", ExpectError: true, ErrorPattern: "db error: boom", ExpectCount: -1}},
		{"statement count", "statement count 3\nDELETE FROM t\n",
			Record{Kind: KindStatement, Line: 1, SQL: "DELETE FROM t", ExpectCount: 3}},
		{"statement retry", "statement ok retry 3 backoff 5ms\nSELECT 1\n",
			Record{Kind: KindStatement, Line: 1, SQL: "SELECT 1", ExpectCount: -1, Retry: 3, Backoff: 5 * time.Millisecond}},
		{"query", "query IT rowsort\nSELECT 1, 'a'\n----\n1\na\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1, 'a'", ExpectCount: -1, Types: "IT", Sort: RowSort, HasResults: true, Expected: []string{"1", "a"}}},
		{"query label", "query I nosort label-7\nSELECT 1\n----\n1\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1", ExpectCount: -1, Types: "I", Sort: NoSort, Label: "label-7", HasResults: true, Expected: []string{"1"}}},
		{"query label without sort", "query I lbl\nSELECT 1\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1", ExpectCount: -1, Types: "I", Label: "lbl"}},
		{"query hashed", "query I valuesort\nSELECT 1\n----\n3 values hashing to 0123456789abcdef0123456789abcdef\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1", ExpectCount: -1, Types: "I", Sort: ValueSort, HasResults: true, Expected: []string{"3 values hashing to 0123456789abcdef0123456789abcdef"}}},
		{"query retry", "query I retry 2 backoff 1s\nSELECT 1\n----\n1\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1", ExpectCount: -1, Types: "I", HasResults: true, Expected: []string{"1"}, Retry: 2, Backoff: time.Second}},
		{"query error", "query error division by zero\nSELECT 1/0\n",
			Record{Kind: KindQuery, Line: 1, SQL: "SELECT 1/0", ExpectCount: -1, ExpectError: true, ErrorPattern: "division by zero"}},
		{"hash-threshold", "hash-threshold 8\n", Record{Kind: KindHashThreshold, Line: 1, ExpectCount: -1, Threshold: 8}},
		{"halt", "halt\n", Record{Kind: KindHalt, Line: 1, ExpectCount: -1}},
		{"control sortmode", "control sortmode rowsort\n", Record{Kind: KindSortMode, Line: 1, ExpectCount: -1, Sort: RowSort}},
		{"sleep", "sleep 10ms\n", Record{Kind: KindSleep, Line: 1, ExpectCount: -1, Duration: 10 * time.Millisecond}},
		{"conditions and comments", "# a comment\n\nskipif mysql # not compatible\nonlyif postgresql\nstatement ok\nSELECT 1\n",
			Record{Kind: KindStatement, Line: 5, SQL: "SELECT 1", ExpectCount: -1,
				Conditions: []Condition{{Engine: "mysql"}, {OnlyIf: true, Engine: "postgresql"}}}},
		{"connection", "connection other\nstatement ok\nSELECT 1\n",
			Record{Kind: KindStatement, Line: 2, SQL: "SELECT 1", ExpectCount: -1, Connection: "other"}},
		{"standalone retry", "retry 4 backoff 2ms\nquery I\nSELECT 1\n",
			Record{Kind: KindQuery, Line: 2, SQL: "SELECT 1", ExpectCount: -1, Types: "I", Retry: 4, Backoff: 2 * time.Millisecond}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := mustParse(t, c.text)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1: %+v", len(recs), recs)
			}
			got := recs[0]
			got.File, got.Text = "", ""
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseSequenceAndConnectionScope(t *testing.T) {
	recs := mustParse(t, `connection a
statement ok
SELECT 1

statement ok
SELECT 2

skipif postgresql
query I
SELECT 3
----
3

frobnicate something
more

query T
SELECT ''
----
(empty)
`)
	if len(recs) != 5 {
		t.Fatalf("got %d records", len(recs))
	}
	if recs[0].Connection != "a" || recs[1].Connection != "" {
		t.Errorf("connection must apply to the next record only: %q %q", recs[0].Connection, recs[1].Connection)
	}
	if len(recs[2].Conditions) != 1 || len(recs[1].Conditions) != 0 {
		t.Errorf("conditions attached wrongly")
	}
	if recs[3].Kind != KindUnknown || recs[3].Line != 14 {
		t.Errorf("unknown record: %+v", recs[3])
	}
	if recs[4].Kind != KindQuery || recs[4].Expected[0] != "(empty)" {
		t.Errorf("last record: %+v", recs[4])
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{
		"statement frob\nSELECT 1\n",
		"statement count x\nSELECT 1\n",
		"hash-threshold x\n",
		"control sortmode sideways\n",
		"sleep forever\n",
		"skipif\n",
	} {
		if _, err := Parse(strings.NewReader(text), "t.test"); err == nil {
			t.Errorf("%q: expected a parse error", text)
		}
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("inc_b.part", "statement ok\nSELECT 'b'\n")
	write("inc_a.part", "statement ok\nSELECT 'a'\n")
	write("main.test", "statement ok\nSELECT 0\n\ninclude inc_*.part\n\nstatement ok\nSELECT 9\n")
	recs, err := ParseFile(filepath.Join(dir, "main.test"))
	if err != nil {
		t.Fatal(err)
	}
	var sqls []string
	for _, r := range recs {
		sqls = append(sqls, r.SQL)
	}
	if want := []string{"SELECT 0", "SELECT 'a'", "SELECT 'b'", "SELECT 9"}; !reflect.DeepEqual(sqls, want) {
		t.Fatalf("got %q want %q", sqls, want)
	}
	if filepath.Base(recs[1].File) != "inc_a.part" || recs[1].Line != 1 {
		t.Errorf("included record should carry its own file and line: %s:%d", recs[1].File, recs[1].Line)
	}
	write("bad.test", "include nothing_*.x\n")
	if _, err := ParseFile(filepath.Join(dir, "bad.test")); err == nil {
		t.Error("include of nothing must fail")
	}
}
