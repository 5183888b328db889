package session

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

func wantRows(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func setupWindowTable(t *testing.T, ts *testServer) {
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMP, v INT)")
	mustExec(t, c, `INSERT INTO t VALUES
		(1, '2024-01-01 00:00:00', 1),
		(2, '2024-01-01 00:00:59.999999', 2),
		(3, '2024-01-01 00:01:00', 3),
		(4, '1969-12-31 23:59:30', 4),
		(5, NULL, 5),
		(6, '1900-01-01 12:34:56', 6)`)
}

func TestWindowTVFTumble(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	setupWindowTable(t, ts)
	c := ts.connect(t)
	base := []string{
		"1|2024-01-01 00:00:00|2024-01-01 00:01:00",
		"2|2024-01-01 00:00:00|2024-01-01 00:01:00",
		"3|2024-01-01 00:01:00|2024-01-01 00:02:00",
		"4|1969-12-31 23:59:00|1970-01-01 00:00:00",
		"6|1900-01-01 12:34:00|1900-01-01 12:35:00",
	}
	for _, q := range []string{
		"SELECT id, window_start::text, window_end::text FROM TUMBLE(t, ts, INTERVAL '1' MINUTE)",
		"SELECT id, window_start::text, window_end::text FROM TUMBLE(t, ts, INTERVAL '1 minute') AS w",
		"SELECT w.id, w.window_start::text, w.window_end::text FROM TUMBLE(t, ts, INTERVAL '60 seconds') w",
		// Unaliased, the relation keeps the input's name (RisingWave).
		"SELECT t.id, t.window_start::text, t.window_end::text FROM TUMBLE(t, ts, INTERVAL '1 minute')",
		// The Flink spelling.
		"SELECT id, window_start::text, window_end::text FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
		// A subquery and a view as input.
		"SELECT id, window_start::text, window_end::text FROM TUMBLE((SELECT * FROM t WHERE v < 100), ts, INTERVAL '1 minute')",
		"SELECT id, window_start::text, window_end::text FROM TUMBLE(tv, ts, INTERVAL '1 minute')",
		// A string literal size is read as an interval.
		"SELECT id, window_start::text, window_end::text FROM TUMBLE(t, ts, '1 minute')",
	} {
		if strings.Contains(q, "tv,") {
			mustExec(t, c, "CREATE VIEW tv AS SELECT id, ts FROM t")
		}
		t.Run(q, func(t *testing.T) { wantRows(t, rowsOf(t, c, q), base...) })
	}
	t.Run("offset", func(t *testing.T) {
		wantRows(t, rowsOf(t, c, "SELECT id, window_start::text, window_end::text FROM TUMBLE(t, ts, INTERVAL '1 minute', INTERVAL '10 seconds')"),
			"1|2023-12-31 23:59:10|2024-01-01 00:00:10",
			"2|2024-01-01 00:00:10|2024-01-01 00:01:10",
			"3|2024-01-01 00:00:10|2024-01-01 00:01:10",
			"4|1969-12-31 23:59:10|1970-01-01 00:00:10",
			"6|1900-01-01 12:34:10|1900-01-01 12:35:10")
		// A negative offset, and one larger than the size (both taken
		// modulo the size).
		for _, off := range []string{"-10 seconds", "50 seconds", "110 seconds"} {
			wantRows(t, rowsOf(t, c, "SELECT id, window_start::text, window_end::text FROM TUMBLE(t, ts, INTERVAL '1 minute', INTERVAL '"+off+"') WHERE id IN (1, 4)"),
				"1|2023-12-31 23:59:50|2024-01-01 00:00:50",
				"4|1969-12-31 23:58:50|1969-12-31 23:59:50")
		}
	})
	t.Run("day", func(t *testing.T) {
		wantRows(t, rowsOf(t, c, "SELECT id, window_start::text FROM TUMBLE(t, ts, INTERVAL '1 day') WHERE id IN (3, 4)"),
			"3|2024-01-01 00:00:00", "4|1969-12-31 00:00:00")
		// A week counts from the epoch, a Thursday.
		wantRows(t, rowsOf(t, c, "SELECT id, window_start::text FROM TUMBLE(t, ts, INTERVAL '7 days') WHERE id = 3"),
			"3|2023-12-28 00:00:00")
	})
	t.Run("aggregate", func(t *testing.T) {
		wantRows(t, rowsOf(t, c, "SELECT window_start::text, count(*), sum(v) FROM TUMBLE(t, ts, INTERVAL '1 minute') GROUP BY window_start"),
			"1900-01-01 12:34:00|1|6", "1969-12-31 23:59:00|1|4", "2024-01-01 00:00:00|2|3", "2024-01-01 00:01:00|1|3")
	})
	t.Run("star", func(t *testing.T) {
		wantRows(t, rowsOf(t, c, "SELECT * FROM TUMBLE(t, ts, INTERVAL '1 minute') WHERE id = 3"),
			"3|2024-01-01 00:01:00 +0000 UTC|3|2024-01-01 00:01:00 +0000 UTC|2024-01-01 00:02:00 +0000 UTC")
	})
	t.Run("timestamptz", func(t *testing.T) {
		mustExec(t, c, "CREATE TABLE tz (id INT, ts TIMESTAMPTZ)")
		mustExec(t, c, "INSERT INTO tz VALUES (1, '2024-01-01 05:00:00+00'), (2, '2023-12-31 23:59:59+00')")
		wantRows(t, rowsOf(t, c, "SELECT id, window_start = '2024-01-01 00:00:00+00'::timestamptz, window_end = '2024-01-02 00:00:00+00'::timestamptz, pg_typeof(window_start)::text FROM TUMBLE(tz, ts, INTERVAL '1 day')"),
			"1|true|true|timestamp with time zone", "2|false|false|timestamp with time zone")
	})
	t.Run("join", func(t *testing.T) {
		wantRows(t, rowsOf(t, c, "SELECT a.id, b.id FROM TUMBLE(t, ts, INTERVAL '1 minute') a JOIN TUMBLE(t, ts, INTERVAL '1 minute') b ON a.window_start = b.window_start AND a.id < b.id"),
			"1|2")
	})
}

func TestWindowTVFHop(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	setupWindowTable(t, ts)
	c := ts.connect(t)
	wantRows(t, rowsOf(t, c, "SELECT id, window_start::text, window_end::text FROM HOP(t, ts, INTERVAL '20 seconds', INTERVAL '1 minute') WHERE id IN (3, 4)"),
		"3|2024-01-01 00:00:20|2024-01-01 00:01:20",
		"3|2024-01-01 00:00:40|2024-01-01 00:01:40",
		"3|2024-01-01 00:01:00|2024-01-01 00:02:00",
		"4|1969-12-31 23:58:40|1969-12-31 23:59:40",
		"4|1969-12-31 23:59:00|1970-01-01 00:00:00",
		"4|1969-12-31 23:59:20|1970-01-01 00:00:20")
	wantRows(t, rowsOf(t, c, "SELECT h.id, h.window_start::text, h.window_end::text FROM HOP(t, ts, INTERVAL '20 seconds', INTERVAL '1 minute', INTERVAL '5 seconds') AS h WHERE h.id = 3"),
		"3|2024-01-01 00:00:05|2024-01-01 00:01:05",
		"3|2024-01-01 00:00:25|2024-01-01 00:01:25",
		"3|2024-01-01 00:00:45|2024-01-01 00:01:45")
	// Flink form; NULL times are dropped; every row is in size/slide windows.
	wantRows(t, rowsOf(t, c, "SELECT count(*), count(DISTINCT id) FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '1' HOUR))"),
		"18000|5")
	// slide = size is a tumble.
	wantRows(t, rowsOf(t, c, "SELECT id, window_start::text FROM HOP(t, ts, INTERVAL '1 minute', INTERVAL '1 minute') WHERE id IN (2, 4)"),
		"2|2024-01-01 00:00:00", "4|1969-12-31 23:59:00")
	wantRows(t, rowsOf(t, c, "SELECT window_start::text, count(*) FROM HOP(t, ts, INTERVAL '30 seconds', INTERVAL '1 minute') WHERE ts >= '2024-01-01' GROUP BY 1"),
		"2023-12-31 23:59:30|1", "2024-01-01 00:00:00|2", "2024-01-01 00:00:30|2", "2024-01-01 00:01:00|1")
}

func TestWindowTVFErrors(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	setupWindowTable(t, ts)
	c := ts.connect(t)
	for _, tc := range []struct{ q, code, msg string }{
		{"SELECT * FROM TUMBLE(t, v, INTERVAL '1 minute')", "42804", "must be of type timestamp"},
		{"SELECT * FROM TUMBLE(t, nosuch, INTERVAL '1 minute')", "42703", "nosuch"},
		{"SELECT * FROM TUMBLE(t, ts, INTERVAL '0 seconds')", "22023", "must be positive"},
		{"SELECT * FROM TUMBLE(t, ts, INTERVAL '-1 minute')", "22023", "must be positive"},
		{"SELECT * FROM TUMBLE(t, ts, 5)", "42804", "must be an interval"},
		{"SELECT * FROM TUMBLE(t, ts, INTERVAL '1 month')", "0A000", "months"},
		{"SELECT * FROM HOP(t, ts, INTERVAL '7 seconds', INTERVAL '1 minute')", "22023", "not a multiple"},
		{"SELECT * FROM HOP(t, ts, INTERVAL '0 seconds', INTERVAL '1 minute')", "22023", "must be positive"},
		{"SELECT * FROM HOP(t, ts, INTERVAL '2 minutes', INTERVAL '1 minute')", "22023", "not a multiple"},
		{"SELECT * FROM SESSION(t, ts, INTERVAL '0 minutes')", "22023", "gap of SESSION must be positive"},
		{"SELECT * FROM TUMBLE(nosuch, ts, INTERVAL '1 minute')", "42P01", "nosuch"},
		{"SELECT * FROM TUMBLE((SELECT ts AS window_start FROM t), window_start, INTERVAL '1 minute')", "42701", "window_start"},
	} {
		_, err := c.Exec(context.Background(), tc.q)
		if sqlstate(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %s containing %q", tc.q, err, tc.code, tc.msg)
		}
	}
	// Views are rejected the same way at CREATE.
	if _, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS SELECT * FROM HOP(t, ts, INTERVAL '7 seconds', INTERVAL '1 minute')"); sqlstate(err) != "22023" {
		t.Errorf("view with bad hop: %v", err)
	}
	// An infinite timestamp has no window.
	mustExec(t, c, "INSERT INTO t VALUES (7, 'infinity', 7)")
	if _, err := c.Exec(context.Background(), "SELECT * FROM TUMBLE(t, ts, INTERVAL '1 minute')"); sqlstate(err) != "22008" {
		t.Errorf("infinity: %v", err)
	}
}

// TestWindowViewsDifferential keeps materialized views over TUMBLE/HOP and
// top-N-per-group queries equal to their batch queries under random DML.
func TestWindowViewsDifferential(t *testing.T) {
	seed := int64(7)
	rng := rand.New(rand.NewSource(seed))
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE e (id INT PRIMARY KEY, ts TIMESTAMP, k INT, v INT)")
	shapes := []string{
		"SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(e, ts, INTERVAL '1 minute') GROUP BY window_start",
		"SELECT window_start, window_end, k, count(*) AS n, max(v) AS mx FROM TUMBLE(e, ts, INTERVAL '1 minute', INTERVAL '15 seconds') GROUP BY window_start, window_end, k",
		"SELECT id, window_start FROM TUMBLE(e, ts, INTERVAL '30 seconds') WHERE v > 2",
		"SELECT window_start, window_end, count(*) AS n, sum(v) AS s FROM HOP(e, ts, INTERVAL '20 seconds', INTERVAL '1 minute') GROUP BY window_start, window_end",
		"SELECT id, k, window_start, window_end FROM TABLE(HOP(TABLE e, DESCRIPTOR(ts), INTERVAL '30' SECOND, INTERVAL '90' SECOND, INTERVAL '5' SECOND))",
		"SELECT h.k, count(*) AS n FROM HOP((SELECT * FROM e WHERE v IS NOT NULL), ts, INTERVAL '1 minute', INTERVAL '2 minutes') h GROUP BY h.k",
		// Top-N per group.
		"SELECT id, k, v, rn FROM (SELECT id, k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM e) s WHERE rn <= 2",
		"SELECT id, k, v FROM (SELECT id, k, v, row_number() OVER (PARTITION BY k ORDER BY v, id) AS rn FROM e) s WHERE rn < 3",
		"SELECT id, k FROM (SELECT id, k, row_number() OVER (PARTITION BY k ORDER BY ts DESC NULLS LAST, id) AS rn FROM e) s WHERE rn = 1",
		"SELECT * FROM (SELECT id, row_number() OVER (ORDER BY v, id) AS rn FROM e) s WHERE rn <= 3 AND id > 2",
		"SELECT id, rn FROM (SELECT id, k, row_number() OVER (PARTITION BY k ORDER BY id) AS rn FROM e) s WHERE rn >= 2 AND rn <= 3",
		"SELECT window_start, id, v, rn FROM (SELECT window_start, id, v, row_number() OVER (PARTITION BY window_start ORDER BY v DESC NULLS LAST, id) AS rn FROM TUMBLE(e, ts, INTERVAL '1 minute')) x WHERE rn <= 2",
	}
	for i, q := range shapes {
		if _, err := c.Exec(context.Background(), fmt.Sprintf("CREATE MATERIALIZED VIEW v%d AS %s", i, q)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	randTS := func() string {
		if rng.Intn(10) == 0 {
			return "NULL"
		}
		// Around the epoch, so that negative timestamps are covered.
		return fmt.Sprintf("'1970-01-01 00:00:00'::timestamp + INTERVAL '%d seconds'", rng.Intn(600)-300)
	}
	randVal := func(n int) string {
		if rng.Intn(8) == 0 {
			return "NULL"
		}
		return fmt.Sprint(rng.Intn(n))
	}
	nextID := 0
	var live []int
	for step := 0; step < 100; step++ {
		switch op := rng.Intn(10); {
		case op < 5 || len(live) < 3:
			var vals []string
			for j := 0; j < 1+rng.Intn(4); j++ {
				nextID++
				live = append(live, nextID)
				vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s)", nextID, randTS(), randVal(4), randVal(10)))
			}
			mustExec(t, c, "INSERT INTO e VALUES "+strings.Join(vals, ", "))
		case op < 8:
			mustExec(t, c, fmt.Sprintf("UPDATE e SET v = %s, k = %s, ts = %s WHERE id %% 5 = %d", randVal(10), randVal(4), randTS(), rng.Intn(5)))
		default:
			i := rng.Intn(len(live))
			mustExec(t, c, fmt.Sprintf("DELETE FROM e WHERE id = %d", live[i]))
			live = append(live[:i], live[i+1:]...)
		}
		for i, q := range shapes {
			got := rowsOf(t, c, fmt.Sprintf("SELECT * FROM v%d", i))
			want := rowsOf(t, c, q)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("seed %d step %d: view v%d (%s) differs\nview:  %v\nquery: %v", seed, step, i, q, got, want)
			}
		}
	}
}

// TestWindowViewsRestart: views over TUMBLE, HOP and a top-N are rebuilt
// at startup and keep following DML.
func TestWindowViewsRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	setupWindowTable(t, ts)
	c := ts.connect(t)
	qs := []string{
		"SELECT window_start, count(*) AS n FROM TUMBLE(t, ts, INTERVAL '1 minute') GROUP BY window_start",
		"SELECT id, window_start, window_end FROM HOP(t, ts, INTERVAL '20 seconds', INTERVAL '1 minute')",
		"SELECT id, v, rn FROM (SELECT id, v, row_number() OVER (ORDER BY v DESC) AS rn FROM t) s WHERE rn <= 2",
	}
	for i, q := range qs {
		mustExec(t, c, fmt.Sprintf("CREATE MATERIALIZED VIEW w%d AS %s", i, q))
	}
	check := func(step string) {
		t.Helper()
		for i, q := range qs {
			got := rowsOf(t, c, fmt.Sprintf("SELECT * FROM w%d", i))
			want := rowsOf(t, c, q)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%s: w%d\nview  %v\nquery %v", step, i, got, want)
			}
		}
	}
	check("backfill")
	ts.stop()
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	check("after restart")
	mustExec(t, c, "INSERT INTO t VALUES (10, '2024-01-01 00:01:30', 10), (11, NULL, 11)")
	mustExec(t, c, "UPDATE t SET ts = ts + INTERVAL '30 seconds', v = v + 100 WHERE id = 1")
	mustExec(t, c, "DELETE FROM t WHERE id = 3")
	check("DML after restart")
	if got := rowsOf(t, c, "SELECT id, rn FROM w2"); strings.Join(got, ",") != "11|2,1|1" {
		t.Fatalf("top-2: %v", got)
	}
}
