package session

import (
	"context"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// perRow turns every subquery of q into one the planner keeps as a
// per-row subquery: LIMIT 1 changes no result of a subquery yielding one
// row, but the rewrite of correlated scalar subqueries into joins does
// not apply to it.
func perRow(q string) string {
	re := regexp.MustCompile(`\(SELECT ([^()]|\([^()]*\))*\)`)
	return re.ReplaceAllStringFunc(q, func(s string) string {
		return s[:len(s)-1] + " LIMIT 1)"
	})
}

var scalarShapes = []string{
	// single table with a primary key
	"SELECT a.id, (SELECT count(*) FROM b AS x WHERE x.k < a.k) FROM a",
	"SELECT a.id, (SELECT count(x.w) FROM b AS x WHERE x.k = a.k) FROM a",
	"SELECT a.id, (SELECT sum(x.w) FROM b AS x WHERE x.k = a.k AND x.w > 2) FROM a",
	"SELECT a.id, (SELECT avg(x.w) FROM b AS x WHERE x.k <= a.k) AS s1, (SELECT max(x.w) FROM b AS x WHERE x.w < a.v) AS s2 FROM a",
	"SELECT a.id, (SELECT min(x.v) FROM a AS x WHERE x.v > a.v) FROM a",
	"SELECT a.id, (SELECT count(DISTINCT x.k) FROM b AS x WHERE x.w >= a.v) FROM a",
	"SELECT a.id, (SELECT count(*) FILTER (WHERE x.w > 3) FROM b AS x WHERE x.k = a.k) FROM a",
	"SELECT a.id, (SELECT bool_or(x.w > 4) FROM b AS x WHERE x.k IS NOT DISTINCT FROM a.k) FROM a",
	// a table without a key: duplicate rows, grouped by the hidden row id
	"SELECT d.k, d.v, (SELECT count(*) FROM d AS x WHERE x.v < d.v) FROM d",
	"SELECT d.k, (SELECT sum(x.v) FROM d AS x WHERE x.k = d.k) AS s FROM d",
	// WHERE, CASE, ORDER BY
	"SELECT a.id FROM a WHERE (SELECT count(*) FROM b AS x WHERE x.k = a.k) > 1",
	"SELECT a.id FROM a WHERE a.v > 2 AND (SELECT avg(x.w) FROM b AS x WHERE x.k = a.k) < a.v",
	"SELECT d.k FROM d WHERE (SELECT count(*) FROM d AS x WHERE x.v > d.v) = 0 OR d.k IS NULL",
	"SELECT a.id, CASE WHEN a.v > 3 THEN (SELECT count(*) FROM b AS x WHERE x.k = a.k) ELSE (SELECT max(x.w) FROM b AS x WHERE x.k <> a.k) END FROM a",
	"SELECT a.id FROM a ORDER BY (SELECT count(*) FROM b AS x WHERE x.w < a.v), a.id",
	// joins of base tables as the outer input
	"SELECT a.id, b.id AS bid, (SELECT count(*) FROM d AS x WHERE x.k = a.k AND x.v < b.w) FROM a JOIN b ON a.k = b.k",
	"SELECT a.id, b.id AS bid, (SELECT sum(x.v) FROM d AS x WHERE x.k = b.k) FROM a LEFT JOIN b ON a.k = b.k AND b.w > a.v",
	"SELECT a.id, d.v, (SELECT count(*) FROM b AS x WHERE x.k = d.k) FROM a, d WHERE a.k = d.k",
	// [NOT] EXISTS where it cannot become a semi or anti join
	"SELECT a.id FROM a WHERE EXISTS (SELECT 1 FROM b AS x WHERE x.k = a.k AND x.w > 2) OR a.v IS NULL",
	"SELECT d.k, d.v FROM d WHERE NOT EXISTS (SELECT 1 FROM d AS x WHERE x.v > d.v) OR d.k = 1",
	"SELECT a.id, EXISTS (SELECT 1 FROM b AS x WHERE x.w < a.v) AS e, NOT EXISTS (SELECT 1 FROM d AS x WHERE x.k = a.k) AS ne FROM a",
	"SELECT a.id, CASE WHEN EXISTS (SELECT 1 FROM b AS x WHERE x.k = a.k) THEN 1 ELSE 0 END AS c FROM a",
	// nested: the inner subquery is rewritten inside the outer one (which
	// stays per row when the inner one reads the outermost row)
	"SELECT a.id, (SELECT count(*) FROM b AS x WHERE x.k < a.k AND (SELECT count(*) FROM d AS y WHERE y.v > x.w AND y.k <> a.k) > 0) AS n FROM a",
	"SELECT a.id, (SELECT max((SELECT count(*) FROM d AS y WHERE y.v < x.w)) FROM b AS x WHERE x.k = a.k) AS n FROM a",
	// DISTINCT and an EXISTS beside
	"SELECT DISTINCT (SELECT count(*) FROM b AS x WHERE x.k = a.k) FROM a",
	"SELECT a.id, (SELECT count(*) FROM b AS x WHERE x.k = a.k) FROM a WHERE EXISTS (SELECT 1 FROM d WHERE d.k = a.k)",
}

// TestScalarSubqueryDecorrelation compares correlated scalar subqueries
// rewritten into joins and aggregates, in queries and in materialized
// views, with their per-row evaluation on random data with duplicates and
// NULLs, as the data changes.
func TestScalarSubqueryDecorrelation(t *testing.T) {
	seed := int64(7)
	rng := rand.New(rand.NewSource(seed))
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE a (id INT PRIMARY KEY, k INT, v INT)")
	mustExec(t, c, "CREATE TABLE b (id INT PRIMARY KEY, k INT, w INT)")
	mustExec(t, c, "CREATE TABLE d (k INT, v INT)")
	randVal := func(n int) string {
		if rng.Intn(6) == 0 {
			return "NULL"
		}
		return fmt.Sprint(rng.Intn(n))
	}
	var views []string
	for i, q := range scalarShapes {
		if perRow(q) == q {
			t.Fatalf("shape %d has no subquery to compare: %s", i, q)
		}
		name := fmt.Sprintf("sv%d", i)
		if _, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW "+name+" AS "+q); err != nil {
			if sqlstate(err) == "0A000" && strings.Contains(q, "FROM d AS y") {
				views = append(views, "")
				continue
			}
			t.Fatalf("view over %s: %v", q, err)
		}
		views = append(views, name)
	}
	nextID := 0
	for step := 0; step < 60; step++ {
		tbl := []string{"a", "b", "d"}[rng.Intn(3)]
		switch op := rng.Intn(10); {
		case op < 6:
			var vals []string
			for j := 0; j < 1+rng.Intn(4); j++ {
				nextID++
				if tbl == "d" {
					v := fmt.Sprintf("(%s, %s)", randVal(4), randVal(6))
					vals = append(vals, v)
					if rng.Intn(3) == 0 {
						vals = append(vals, v) // a duplicate row
					}
				} else {
					vals = append(vals, fmt.Sprintf("(%d, %s, %s)", nextID, randVal(4), randVal(6)))
				}
			}
			mustExec(t, c, fmt.Sprintf("INSERT INTO %s VALUES %s", tbl, strings.Join(vals, ", ")))
		case op < 8:
			col := map[string]string{"a": "v", "b": "w", "d": "v"}[tbl]
			mustExec(t, c, fmt.Sprintf("UPDATE %s SET %s = %s WHERE k = %d", tbl, col, randVal(6), rng.Intn(4)))
		default:
			col := map[string]string{"a": "v", "b": "w", "d": "v"}[tbl]
			mustExec(t, c, fmt.Sprintf("DELETE FROM %s WHERE %s = %d OR k = %d", tbl, col, rng.Intn(6), rng.Intn(8)))
		}
		for i, q := range scalarShapes {
			want := rowsOf(t, c, perRow(q))
			got := rowsOf(t, c, q)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("seed %d step %d: %s\nrewritten: %v\nper row:   %v", seed, step, q, got, want)
			}
			if views[i] == "" {
				continue
			}
			got = rowsOf(t, c, "SELECT * FROM "+views[i])
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("seed %d step %d: view %s (%s)\nview:    %v\nper row: %v", seed, step, views[i], q, got, want)
			}
		}
	}
}
