package sqllogictest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pgURL returns the PostgreSQL server the end-to-end tests use, or skips.
func pgURL(t *testing.T) string {
	u := os.Getenv("STREAMSQL_SLT_PG_URL")
	if u == "" {
		t.Skip("STREAMSQL_SLT_PG_URL not set")
	}
	return u
}

const e2eFile = `# end-to-end file exercising every record kind
statement ok
CREATE TABLE e2e_t1(a INTEGER, b TEXT, c REAL)

statement count 3
INSERT INTO e2e_t1 VALUES (1, 'x', 1.5), (2, '', 2.25), (3, NULL, NULL)

hash-threshold 4

query ITR rowsort
SELECT a, b, c FROM e2e_t1
----
9 values hashing to HASH

query ITR nosort
SELECT a, b, c FROM e2e_t1 ORDER BY a
----
1 x 1.500
2 (empty) 2.250
3 NULL NULL

query I valuesort lbl-1
SELECT a FROM e2e_t1
----
1
2
3

query I valuesort lbl-1
SELECT 4 - a FROM e2e_t1
----
3
2
1

query I
SELECT 9 / 2
----
4

query R
SELECT 7::numeric / 2
----
3.500

control sortmode rowsort

query II
SELECT a, a * 10 FROM e2e_t1 WHERE a < 3
----
2
20
1
10

statement error does not exist
SELECT nope FROM e2e_t1

query error division by zero
SELECT 1 / 0

skipif postgresql
statement ok
THIS IS NOT SQL

onlyif mysql
statement ok
THIS IS NOT SQL EITHER

onlyif postgresql
query I
SELECT 1
----
1

statement ok
BEGIN

statement ok
INSERT INTO e2e_t1 VALUES (4, 'uncommitted', 0)

connection other
query I
SELECT count(*) FROM e2e_t1
----
3

query I
SELECT count(*) FROM e2e_t1
----
4

statement ok
COMMIT

sleep 1ms

query I retry 2 backoff 1ms
SELECT count(*) FROM e2e_t1
----
4

halt

statement ok
THIS WOULD FAIL
`

func writeE2E(t *testing.T, dir string) string {
	t.Helper()
	vals := []string{"1", "x", "1.500", "2", "(empty)", "2.250", "3", "NULL", "NULL"}
	text := strings.Replace(e2eFile, "HASH", HashValues(vals), 1)
	p := filepath.Join(dir, "e2e.slt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPostgresEndToEnd(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	p := writeE2E(t, dir)
	for _, mode := range []string{"batch", "view"} {
		t.Run(mode, func(t *testing.T) {
			var out bytes.Buffer
			jsonPath := filepath.Join(dir, mode+".json")
			sum, err := Run(context.Background(), []string{dir}, Options{Addr: url, Mode: mode, Out: &out, JSONPath: jsonPath, SkipListPath: "none"})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Failed != 0 || sum.Passed != 18 || sum.Skipped != 2 {
				t.Fatalf("got %d passed %d failed %d skipped\n%s", sum.Passed, sum.Failed, sum.Skipped, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if last := lines[len(lines)-1]; last != "18 passed, 0 failed, 2 skipped" {
				t.Errorf("last line %q", last)
			}
			if !strings.HasPrefix(out.String(), p+": 18 passed, 0 failed, 2 skipped") {
				t.Errorf("file line missing:\n%s", out.String())
			}
			var doc struct {
				Files []struct {
					Path   string
					Passed int
				}
				Passed int
			}
			b, err := os.ReadFile(jsonPath)
			if err != nil || json.Unmarshal(b, &doc) != nil || doc.Passed != 18 || len(doc.Files) != 1 || doc.Files[0].Path != p {
				t.Errorf("json: %v %s", err, b)
			}
		})
	}
}

func TestPostgresFailuresAndOptions(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "f.test")
	os.WriteFile(p, []byte(`statement ok
CREATE TABLE e2e_f(a INT)

statement ok
INSERT INTO e2e_f VALUES (1)

statement ok
SELECT nope

query I
SELECT a FROM e2e_f
----
2

query I lab
SELECT 1
----
1

query I lab
SELECT 2
----
2

statement error some other message
SELECT 1/0

query II
SELECT 1
----
1

statement count 5
INSERT INTO e2e_f VALUES (2)

query I
SELECT a FROM e2e_f WHERE a = 1
----
1
`), 0o644)
	skip := filepath.Join(dir, "skip.txt")
	os.WriteFile(skip, []byte("f.test:33 # the skip list hides the count mismatch\n"), 0o644)

	var out bytes.Buffer
	sum, err := Run(context.Background(), []string{p}, Options{Addr: url, Out: &out, SkipListPath: skip, MaxFailuresShown: 10})
	if err != nil {
		t.Fatal(err)
	}
	// failures: SELECT nope, wrong value, label disagreement, error pattern, column count
	if sum.Failed != 5 || sum.Passed != 4 || sum.Skipped != 1 || sum.SkippedByList != 1 {
		t.Fatalf("got %+v\n%s", sum, out.String())
	}
	for _, want := range []string{"statement failed", "query result differs", "labelled lab", "does not match", `types "II" say 2`, "skipped by the skip list: 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	sum, err = Run(context.Background(), []string{p}, Options{Addr: url, AnyError: true, SkipListPath: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 5 { // error pattern now passes; the count mismatch now fails
		t.Errorf("--any-error: %+v", sum)
	}
	if code := Main([]string{"--addr", url, "--skiplist", "none", p}, nil); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if code := Main([]string{p, "--addr", url, "--no-fail", "--max-failures", "0"}, nil); code != 0 {
		t.Errorf("--no-fail exit code %d", code)
	}
	if code := Main(nil, nil); code != 2 {
		t.Errorf("usage exit code %d", code)
	}
}

// TestPostgresIncremental runs incremental mode where PostgreSQL (which
// does not maintain materialized views) can still pass: every table is
// filled in the statement that creates it.
func TestPostgresIncremental(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "inc.test")
	os.WriteFile(p, []byte(`query I
SELECT 1
----
1

statement ok
CREATE TABLE e2e_i AS SELECT generate_series(1, 3) AS a

query I rowsort
SELECT a * 2 FROM e2e_i
----
2
4
6

query I
SELECT sum(a) FROM e2e_i
----
6
`), 0o644)
	var out bytes.Buffer
	sum, err := Run(context.Background(), []string{p}, Options{Addr: url, Mode: "incremental", Out: &out, Isolation: "database"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 0 || sum.Passed != 4 {
		t.Fatalf("%+v\n%s", sum, out.String())
	}
}

// TestInProcessServer checks the per-file server path with StartServer
// pointing at the PostgreSQL server.
func TestInProcessServer(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	writeE2E(t, dir)
	starts := 0
	var out bytes.Buffer
	sum, err := Run(context.Background(), []string{dir}, Options{
		StartServer: func(dataDir string) (string, func() error, error) {
			starts++
			if st, err := os.Stat(dataDir); err != nil || !st.IsDir() {
				t.Errorf("data dir %q: %v", dataDir, err)
			}
			return url, func() error { return nil }, nil
		},
		Out: &out,
	})
	if err != nil || sum.Failed != 0 || starts != 1 {
		t.Fatalf("%v %+v starts=%d\n%s", err, sum, starts, out.String())
	}
}

// TestIncrementalFailureDropsView: a query record that fails before its
// view is read drops the view, so a later DROP TABLE of the relation it
// reads does not fail too.
func TestIncrementalFailureDropsView(t *testing.T) {
	url := pgURL(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "inc_fail.test")
	os.WriteFile(p, []byte(`statement ok
CREATE TABLE e2e_f AS SELECT 1 AS a

query I
SELECT a FROM e2e_f
----
2

statement ok
DROP TABLE e2e_f
`), 0o644)
	var out bytes.Buffer
	sum, err := Run(context.Background(), []string{p}, Options{Addr: url, Mode: "incremental", Out: &out, Isolation: "database"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || sum.Passed != 2 {
		t.Fatalf("%+v\n%s", sum, out.String())
	}
}
