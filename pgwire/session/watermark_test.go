package session

import (
	"context"
	"strings"
	"testing"
)

// TestEmitOnWindowClose inserts rows into a table with a watermark and
// checks that the view shows a window only once the watermark passes its
// end, with its final values, that late rows are dropped, and that the
// view without EMIT ON WINDOW CLOSE updates at once.
func TestEmitOnWindowClose(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY")
	mustExec(t, c, `CREATE MATERIALIZED VIEW closed AS
		SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
		GROUP BY window_start EMIT ON WINDOW CLOSE`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW live AS
		SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
		GROUP BY window_start`)
	rows := func(view string) string {
		return strings.Join(rowsOf(t, c, "SELECT * FROM "+view), ";")
	}
	mustExec(t, c, "INSERT INTO ev VALUES (1, '2024-01-01 00:00:01', 1), (2, '2024-01-01 00:00:07', 2)")
	if got := rows("closed"); got != "" {
		t.Fatalf("window emitted before it closed: %s", got)
	}
	if got := rows("live"); !strings.Contains(got, "|2|3") {
		t.Fatalf("live view: %s", got)
	}
	// Watermark 00:00:09: window [00:00:00, 00:00:10) still open.
	mustExec(t, c, "INSERT INTO ev VALUES (3, '2024-01-01 00:00:14', 4)")
	if got := rows("closed"); got != "" {
		t.Fatalf("window emitted before the watermark passed its end: %s", got)
	}
	// A row in the open window at or above the watermark still counts.
	mustExec(t, c, "INSERT INTO ev VALUES (4, '2024-01-01 00:00:09.5', 8)")
	// Watermark 00:00:16 closes [00:00:00, 00:00:10).
	mustExec(t, c, "INSERT INTO ev VALUES (5, '2024-01-01 00:00:21', 16)")
	got := rowsOf(t, c, "SELECT n, s FROM closed")
	if strings.Join(got, ";") != "3|11" {
		t.Fatalf("closed window: %v, want 3|11", got)
	}
	// A late row (behind the watermark) is dropped: the closed window's
	// row does not change, in either view.
	mustExec(t, c, "INSERT INTO ev VALUES (6, '2024-01-01 00:00:02', 32)")
	if got := rowsOf(t, c, "SELECT n, s FROM closed"); strings.Join(got, ";") != "3|11" {
		t.Fatalf("late row changed the closed window: %v", got)
	}
	live := rowsOf(t, c, "SELECT n, s FROM live ORDER BY window_start")
	if strings.Join(live, ";") != "1|16;1|4;3|11" {
		t.Fatalf("live view after a late row: %v", live)
	}
	// Closed windows leave no state behind: after the watermark has passed
	// every window but the last, the aggregation keeps one group.
	for i := 0; i < 50; i++ {
		mustExec(t, c, "INSERT INTO ev VALUES ($1, TIMESTAMP '2024-01-01 00:01:00' + $1 * INTERVAL '10 seconds', 1)", i)
	}
	var keys int64
	for _, r := range rowsOf(t, c, "SHOW STATE") {
		f := strings.Split(r, "|")
		if f[0] == "closed" && f[1] == "operator" {
			var n int64
			for _, ch := range f[3] {
				n = n*10 + int64(ch-'0')
			}
			keys += n
		}
	}
	if keys == 0 || keys > 3 {
		t.Fatalf("EMIT ON WINDOW CLOSE aggregation keeps %d state keys after 50 closed windows, want 1-3", keys)
	}
	plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS SELECT window_start, count(*) FROM TUMBLE(ev, ts, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE"), "\n")
	if !strings.Contains(plan, "emit on window close") || !strings.Contains(plan, "LateFilter") {
		t.Fatalf("EXPLAIN does not show the late filter and the window-close emission:\n%s", plan)
	}
	// EMIT ON WINDOW CLOSE needs a window to close.
	if _, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS SELECT id, count(*) FROM ev GROUP BY id EMIT ON WINDOW CLOSE"); sqlstate(err) != "0A000" {
		t.Fatalf("EOWC without a window: %v", err)
	}
	// The watermark's type must match its column.
	if _, err := c.Exec(context.Background(), "CREATE TABLE bad (ts TIMESTAMP, WATERMARK FOR ts AS 5)"); sqlstate(err) != "42804" {
		t.Fatalf("watermark of the wrong type: %v", err)
	}
}
