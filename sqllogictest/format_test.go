package sqllogictest

import (
	"crypto/md5"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func TestFormatValue(t *testing.T) {
	cases := []struct {
		typ  byte
		oid  uint32
		v    string
		null bool
		want string
	}{
		{'I', oidInt4, "42", false, "42"},
		{'I', oidInt8, "-9000000000", false, "-9000000000"},
		{'I', oidNumeric, "4.5", false, "4"},
		{'I', oidNumeric, "-4.5", false, "-4"},
		{'I', oidNumeric, "-0.5", false, "0"},
		{'I', oidNumeric, "12345678901234567.9", false, "12345678901234567"},
		{'I', oidFloat8, "1e+06", false, "1000000"},
		{'I', oidFloat8, "-2.9", false, "-2"},
		{'I', 25, "abc", false, "0"},
		{'I', 25, "12abc", false, "12"},
		{'I', 25, "", false, "0"},
		{'I', oidBool, "t", false, "1"},
		{'I', oidBool, "f", false, "0"},
		{'I', oidInt4, "", true, "NULL"},
		{'R', oidInt4, "3", false, "3.000"},
		{'R', oidNumeric, "2.71828", false, "2.718"},
		{'R', oidFloat8, "-0.0001", false, "-0.000"},
		{'R', 25, "x", false, "0.000"},
		{'R', oidFloat8, "", true, "NULL"},
		{'T', 25, "hello world", false, "hello world"},
		{'T', 25, "", false, "(empty)"},
		{'T', 25, "", true, "NULL"},
		{'T', 25, "a\tb\nc", false, "a@b@c"},
		{'T', 25, "caf\xc3\xa9", false, "caf@@"},
		{'T', oidInt4, "7", false, "7"},
		{'X', 25, "", false, "(empty)"},
	}
	for _, c := range cases {
		var v []byte
		if !c.null {
			v = []byte(c.v)
		}
		if got := FormatValue(c.typ, c.oid, v, c.null); got != c.want {
			t.Errorf("FormatValue(%c, %d, %q, null=%v) = %q, want %q", c.typ, c.oid, c.v, c.null, got, c.want)
		}
	}
}

func TestHashValues(t *testing.T) {
	// md5("1\n2\n")
	if HashValues([]string{"1", "2"}) != md5hex("1\n2\n") {
		t.Fatal("hash must be md5 over each value followed by a newline")
	}
	n, h, ok := ParseHashLine("30 values hashing to 3C13DC3FF2E3B7D9D5E2E8E0E3E0D6F2")
	if !ok || n != 30 || h != "3c13dc3ff2e3b7d9d5e2e8e0e3e0d6f2" {
		t.Fatalf("ParseHashLine: %d %s %v", n, h, ok)
	}
	if _, _, ok := ParseHashLine("30 values"); ok {
		t.Fatal("not a hash line")
	}
}

func TestSortValues(t *testing.T) {
	v := []string{"2", "b", "10", "a", "1", "c"}
	SortValues(RowSort, v, 2)
	if want := []string{"1", "c", "10", "a", "2", "b"}; !reflect.DeepEqual(v, want) {
		t.Errorf("rowsort: %q want %q", v, want)
	}
	v = []string{"2", "b", "10", "a"}
	SortValues(ValueSort, v, 2)
	if want := []string{"10", "2", "a", "b"}; !reflect.DeepEqual(v, want) {
		t.Errorf("valuesort: %q want %q", v, want)
	}
	v = []string{"2", "1"}
	SortValues(NoSort, v, 1)
	if want := []string{"2", "1"}; !reflect.DeepEqual(v, want) {
		t.Errorf("nosort: %q", v)
	}
	// rows compare value by value, not as joined strings
	v = []string{"1 x", "b", "1", "z"}
	SortValues(RowSort, v, 2)
	if want := []string{"1", "z", "1 x", "b"}; !reflect.DeepEqual(v, want) {
		t.Errorf("rowsort by values: %q", v)
	}
}

func TestCompareResult(t *testing.T) {
	actual := []string{"1", "a", "2", "b"} // already row-sorted, 2 columns
	cases := []struct {
		name     string
		mode     SortMode
		expected []string
		want     bool
	}{
		{"value per line", RowSort, []string{"1", "a", "2", "b"}, true},
		{"value per line unsorted expected", RowSort, []string{"2", "b", "1", "a"}, true},
		{"row per line", RowSort, []string{"1 a", "2 b"}, true},
		{"row per line unsorted", RowSort, []string{"2 b", "1 a"}, true},
		{"row per line nosort", NoSort, []string{"1 a", "2 b"}, true},
		{"row per line nosort wrong order", NoSort, []string{"2 b", "1 a"}, false},
		{"nosort wrong order", NoSort, []string{"2", "b", "1", "a"}, false},
		{"wrong value", RowSort, []string{"1", "a", "2", "c"}, false},
		{"too few", RowSort, []string{"1", "a"}, false},
		{"hash", RowSort, []string{"4 values hashing to " + HashValues(actual)}, true},
		{"hash wrong count", RowSort, []string{"3 values hashing to " + HashValues(actual)}, false},
		{"hash wrong", RowSort, []string{"4 values hashing to " + HashValues([]string{"x"})}, false},
	}
	for _, c := range cases {
		if got := CompareResult(c.mode, c.expected, actual, 2); got != c.want {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
	vs := []string{"1", "2", "a", "b"}
	if !CompareResult(ValueSort, []string{"b 2", "a 1"}, vs, 2) {
		t.Error("valuesort row per line")
	}
	if !CompareResult(NoSort, nil, nil, 3) {
		t.Error("empty result")
	}
}

func TestSkipList(t *testing.T) {
	sl, err := ParseSkipList(strings.NewReader(`# header comment

sqlite/select1.test:12 # PG integer division differs
evidence/in1.test:40
`), "skip.txt")
	if err != nil {
		t.Fatal(err)
	}
	if sl.Len() != 2 {
		t.Fatalf("len %d", sl.Len())
	}
	if r, ok := sl.Match("/x/sqlite/select1.test", 12); !ok || r != "PG integer division differs" {
		t.Errorf("match: %q %v", r, ok)
	}
	if _, ok := sl.Match("/x/sqlite/select1.test", 13); ok {
		t.Error("wrong line matched")
	}
	if _, ok := sl.Match("/x/mysqlite/select1.test", 12); ok {
		t.Error("suffix must match whole path components")
	}
	if _, ok := sl.Match("evidence/in1.test", 40); !ok {
		t.Error("exact path")
	}
	if _, err := ParseSkipList(strings.NewReader("nolinenumber # x\n"), "s"); err == nil {
		t.Error("bad line accepted")
	}
	def, err := LoadSkipList("")
	if err != nil || def == nil {
		t.Fatalf("built-in skip list: %v", err)
	}
}

func TestPlanIncremental(t *testing.T) {
	recs := mustParse(t, `query I
SELECT 1
----
1

statement ok
CREATE TABLE t1(a INT)

statement ok
CREATE TABLE t2(b INT)

statement ok
INSERT INTO t1 VALUES (1)

query I
SELECT a FROM t1
----
1

query I
SELECT count(*) FROM t1, "t2"
----
0

skipif postgresql
query I
SELECT a FROM t1
----
1

query error
SELECT nope FROM t1

statement ok
DROP TABLE t2

statement ok
CREATE TABLE t2(b INT)

query I
SELECT b FROM t2 WHERE 't1' <> ''
----

halt

query I
SELECT a FROM t1
----
1
`)
	fr := &fileRunner{}
	atStart, after := planIncremental(recs, fr.active)
	if !reflect.DeepEqual(atStart, []int{0}) {
		t.Errorf("atStart %v", atStart)
	}
	want := map[int][]int{1: {4}, 2: {5}, 9: {10}}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("after %v, want %v", after, want)
	}
}

func TestRelationScan(t *testing.T) {
	r, ok := createdRelation("CREATE TABLE IF NOT EXISTS Foo(a int)")
	if !ok || r != (relation{"table", "foo"}) {
		t.Errorf("%+v", r)
	}
	r, ok = createdRelation("create materialized  view \"MV\" as select 1")
	if !ok || r != (relation{"materialized view", "MV"}) {
		t.Errorf("%+v", r)
	}
	if _, ok := createdRelation("CREATE INDEX i ON t(a)"); ok {
		t.Error("index is not a relation to track")
	}
	if got := droppedRelations("DROP TABLE IF EXISTS a, s.b CASCADE;"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("%q", got)
	}
	if got := identifiers(`SELECT x.a FROM T1 AS x, "T2" WHERE s = 'tab''le'`); !reflect.DeepEqual(got, []string{"select", "x", "a", "from", "t1", "as", "T2", "where", "s"}) {
		t.Errorf("%q", got)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestViewable(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT 1":                             true,
		"  (SELECT 1) UNION SELECT 2":          true,
		"with c AS (SELECT 1) SELECT * FROM c": true,
		"VALUES (1)":                           true,
		"SHOW rw_implicit_flush":               false,
		"EXPLAIN SELECT 1":                     false,
		"selectivity":                          false,
	} {
		if got := viewable(sql); got != want {
			t.Errorf("viewable(%q) = %v, want %v", sql, got, want)
		}
	}
}
