package session

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// overWindowShapes are views over window functions that the incremental
// over-window operator maintains (with the top-N-per-group pattern under
// some of them).
var overWindowShapes = []string{
	"SELECT id, k, v, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM a",
	"SELECT id, rank() OVER (PARTITION BY k ORDER BY v) AS r, dense_rank() OVER (PARTITION BY k ORDER BY v) AS dr, percent_rank() OVER (PARTITION BY k ORDER BY v) AS pr, cume_dist() OVER (PARTITION BY k ORDER BY v) AS cd FROM a",
	"SELECT id, lag(v) OVER (PARTITION BY k ORDER BY v, id) AS l1, lead(v, 2, -1) OVER (PARTITION BY k ORDER BY v, id) AS l2, ntile(3) OVER (PARTITION BY k ORDER BY id) AS nt FROM a",
	"SELECT id, first_value(v) OVER w AS fv, last_value(v) OVER w AS lv, nth_value(s, 2) OVER w AS nv FROM a WINDOW w AS (PARTITION BY k ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)",
	"SELECT id, k, sum(v) OVER w AS sv, avg(v) OVER w AS av, min(v) OVER w AS mn, max(v) OVER w AS mx, count(v) OVER w AS cv, count(*) OVER w AS c FROM a WINDOW w AS (PARTITION BY k ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)",
	"SELECT k, avg(v) OVER (PARTITION BY k ORDER BY v ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS av FROM a",
	"SELECT id, sum(v) OVER (PARTITION BY k ORDER BY v RANGE BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS sv FROM a",
	"SELECT id, sum(v) OVER (PARTITION BY k ORDER BY v) AS running, count(*) OVER (PARTITION BY k) AS n, max(v) OVER () AS top FROM a",
	"SELECT s, string_agg(s, ',') OVER (PARTITION BY k ORDER BY id) AS sa FROM a",
	"SELECT a.id, b.w, sum(b.w) OVER (PARTITION BY a.k ORDER BY a.id, b.id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s FROM a JOIN b ON a.k = b.k",
	"SELECT k, count(*) AS n, sum(count(*)) OVER (ORDER BY k) AS cum FROM a GROUP BY k",
	// q6's shape: a rolling average over a top-1 per group, which retracts.
	"SELECT k, avg(v) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS av FROM (SELECT a.k, a.id, b.w AS v, row_number() OVER (PARTITION BY a.id, a.k ORDER BY b.w DESC) AS rn FROM a JOIN b ON a.k = b.k) q WHERE q.rn <= 1",
	"SELECT * FROM (SELECT id, rank() OVER (PARTITION BY k ORDER BY v) AS rn FROM a) s WHERE rn <= 2",
	"SELECT * FROM (SELECT id, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM a) s WHERE rn >= 2",
	"SELECT id, k, v, rn FROM (SELECT id, k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM a) s WHERE rn <= 2",
}

// TestOverWindowViewsDifferential drives random DML into two tables and
// checks after every step that each view over window functions equals its
// query run in batch (ties in the ORDER BY keys included: both order them
// the same way).
func TestOverWindowViewsDifferential(t *testing.T) {
	seed := int64(7)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE a (id INT PRIMARY KEY, k INT, v INT, s TEXT)")
	mustExec(t, c, "CREATE TABLE b (id INT PRIMARY KEY, k INT, w INT)")
	for i, q := range overWindowShapes {
		mustExec(t, c, fmt.Sprintf("CREATE MATERIALIZED VIEW ow%d AS %s", i, q))
	}
	check := func(step string) {
		t.Helper()
		for i, q := range overWindowShapes {
			got := rowsOf(t, c, fmt.Sprintf("SELECT * FROM ow%d", i))
			want := rowsOf(t, c, q)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("seed %d %s: view ow%d (%s) differs\nview:  %v\nquery: %v", seed, step, i, q, got, want)
			}
		}
	}
	nextID := 0
	live := map[string][]int{"a": nil, "b": nil}
	randVal := func(n int) string {
		if rng.Intn(10) == 0 {
			return "NULL"
		}
		return fmt.Sprint(rng.Intn(n))
	}
	for step := 0; step < 80; step++ {
		tbl := []string{"a", "a", "b"}[rng.Intn(3)]
		switch op := rng.Intn(10); {
		case op < 5 || len(live[tbl]) < 3:
			var vals []string
			for j := 0; j < 1+rng.Intn(5); j++ {
				nextID++
				live[tbl] = append(live[tbl], nextID)
				if tbl == "a" {
					vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s)", nextID, randVal(4), randVal(8), fmt.Sprintf("'s%d'", rng.Intn(5))))
				} else {
					vals = append(vals, fmt.Sprintf("(%d, %s, %s)", nextID, randVal(4), randVal(10)))
				}
			}
			mustExec(t, c, fmt.Sprintf("INSERT INTO %s VALUES %s", tbl, strings.Join(vals, ", ")))
		case op < 8:
			col := map[string]string{"a": "v", "b": "w"}[tbl]
			mustExec(t, c, fmt.Sprintf("UPDATE %s SET %s = %s WHERE id %% 5 = %d", tbl, col, randVal(8), rng.Intn(5)))
			if rng.Intn(3) == 0 {
				mustExec(t, c, fmt.Sprintf("UPDATE %s SET k = %s WHERE id %% 7 = %d", tbl, randVal(4), rng.Intn(7)))
			}
		default:
			ids := live[tbl]
			i := rng.Intn(len(ids))
			mustExec(t, c, fmt.Sprintf("DELETE FROM %s WHERE id = %d", tbl, ids[i]))
			live[tbl] = append(ids[:i], ids[i+1:]...)
		}
		check(fmt.Sprintf("step %d", step))
	}
	// The views survive a restart and keep following DML.
	ts.stop()
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	check("after restart")
	mustExec(t, c, "DELETE FROM a WHERE id % 3 = 0")
	check("bulk delete after restart")
	mustExec(t, c, "UPDATE b SET w = w + 1")
	check("bulk update after restart")
}

// TestOverWindowExplainAndErrors: EXPLAIN shows the operator, and what the
// batch window operator refuses is refused at CREATE too.
func TestOverWindowExplainAndErrors(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, k INT, s TEXT)")
	var plan []string
	rows, err := c.Query(context.Background(), "EXPLAIN CREATE MATERIALIZED VIEW x AS SELECT k, avg(id) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, l)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "OverWindow [avg ROWS BETWEEN 10 PRECEDING AND CURRENT ROW] partition by [1]") {
		t.Fatalf("EXPLAIN: %s", p)
	}
	_, err = c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS SELECT sum(id) OVER (ORDER BY s RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t")
	if sqlstate(err) != "0A000" {
		t.Fatalf("RANGE offset over text: %v", err)
	}
}
