package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestSessionWindowEmitOnWindowClose runs SESSION windows over a table with
// a watermark: an EMIT ON WINDOW CLOSE view shows a session only once the
// watermark reaches its window_end (sessions can still grow before), with
// its final values; late rows are dropped; and the session operator and
// the aggregation delete the state of closed sessions.
func TestSessionWindowEmitOnWindowClose(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, k TEXT, ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY")
	const q = `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
		FROM SESSION(ev PARTITION BY k, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end`
	mustExec(t, c, "CREATE MATERIALIZED VIEW closed AS "+q+" EMIT ON WINDOW CLOSE")
	mustExec(t, c, "CREATE MATERIALIZED VIEW live AS "+q)
	mustExec(t, c, "CREATE MATERIALIZED VIEW sess_rows AS SELECT id, window_start, window_end FROM SESSION(ev PARTITION BY k, ts, INTERVAL '10' SECOND)")
	// rowsOf sorts the rows as strings.
	rows := func(sql string) string { return strings.Join(rowsOf(t, c, sql), ";") }
	const closedQ = "SELECT k, to_char(window_start, 'MI:SS'), to_char(window_end, 'MI:SS'), n, s FROM closed ORDER BY k, window_start"

	// Watermark 00:00:03; a's session [00:00, 00:18) is open.
	mustExec(t, c, "INSERT INTO ev VALUES (1, 'a', '2024-01-01 00:00:00', 1), (2, 'a', '2024-01-01 00:00:08', 2)")
	if got := rows(closedQ); got != "" {
		t.Fatalf("session emitted before it closed: %s", got)
	}
	if got := rows("SELECT n, s FROM live"); got != "2|3" {
		t.Fatalf("live view: %s", got)
	}
	// Watermark 00:00:15: a's session still open.
	mustExec(t, c, "INSERT INTO ev VALUES (3, 'b', '2024-01-01 00:00:20', 4)")
	if got := rows(closedQ); got != "" {
		t.Fatalf("session emitted before the watermark reached its end: %s", got)
	}
	// A row above the watermark extends a's open session to 00:26.
	mustExec(t, c, "INSERT INTO ev VALUES (4, 'a', '2024-01-01 00:00:16', 8)")
	if got := rows(closedQ); got != "" {
		t.Fatalf("session emitted before it closed: %s", got)
	}
	// Watermark 00:00:35 closes a [00:00, 00:26) and b [00:20, 00:30).
	mustExec(t, c, "INSERT INTO ev VALUES (5, 'b', '2024-01-01 00:00:40', 16)")
	want := "a|00:00|00:26|3|11;b|00:20|00:30|1|4"
	if got := rows(closedQ); got != want {
		t.Fatalf("closed sessions: %s, want %s", got, want)
	}
	// A late row would have merged into a's closed session: dropped, in
	// both views.
	mustExec(t, c, "INSERT INTO ev VALUES (6, 'a', '2024-01-01 00:00:30', 32)")
	if got := rows(closedQ); got != want {
		t.Fatalf("late row changed the closed sessions: %s", got)
	}
	if got := rows("SELECT k, to_char(window_start, 'MI:SS'), n, s FROM live"); got != "a|00:00|3|11;b|00:20|1|4;b|00:40|1|16" {
		t.Fatalf("live view after a late row: %s", got)
	}
	// A session ending exactly at the watermark is final: c [00:36,
	// 00:46) closes at watermark 00:46, b [00:40, 00:50) does not.
	mustExec(t, c, "INSERT INTO ev VALUES (7, 'c', '2024-01-01 00:00:36', 1)")
	mustExec(t, c, "INSERT INTO ev VALUES (8, 'd', '2024-01-01 00:00:51', 1)")
	want += ";c|00:36|00:46|1|1"
	if got := rows(closedQ); got != want {
		t.Fatalf("closed sessions at watermark 00:46: %s, want %s", got, want)
	}
	// Every view equals the batch query over the rows kept (the late row
	// was dropped).
	batch := "SELECT k, window_start, window_end, count(*), sum(v) FROM SESSION((SELECT * FROM ev WHERE id <> 6) PARTITION BY k, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end ORDER BY 1, 2"
	if got, want := rows("SELECT * FROM live ORDER BY 1, 2"), rows(batch); got != want {
		t.Fatalf("live view %s, batch %s", got, want)
	}

	// Closed sessions leave no state behind: after 50 more partitions'
	// sessions have closed, the session operators and the aggregations
	// keep only the open ones.
	for i := 0; i < 50; i++ {
		mustExec(t, c, "INSERT INTO ev VALUES ($1, $2, TIMESTAMP '2024-01-01 00:01:00' + $3 * INTERVAL '20 seconds', 1)", 100+i, fmt.Sprintf("p%d", i), i)
	}
	keys := map[string]int64{}
	for _, r := range rowsOf(t, c, "SHOW STATE") {
		f := strings.Split(r, "|")
		if f[1] == "operator" {
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				t.Fatalf("SHOW STATE row %q", r)
			}
			keys[f[0]] += n
		}
	}
	// Open: the last partition's session (its row in the session state
	// and its aggregation group).
	if n := keys["sess_rows"]; n == 0 || n > 2 {
		t.Fatalf("the session operator keeps %d state keys after 50 closed sessions, want 1-2", n)
	}
	for _, v := range []string{"closed", "live"} {
		if n := keys[v]; n == 0 || n > 4 {
			t.Fatalf("view %s keeps %d operator state keys after 50 closed sessions, want 1-4", v, n)
		}
	}
	if got := rows("SELECT count(*) FROM closed"); got != "54" {
		t.Fatalf("closed view has %s sessions, want 54", got)
	}
	if got := rows("SELECT count(*) FROM sess_rows"); got != "57" {
		t.Fatalf("sess_rows has %s rows, want 57", got)
	}

	plan := rows("EXPLAIN CREATE MATERIALIZED VIEW x AS " + q + " EMIT ON WINDOW CLOSE")
	if !strings.Contains(plan, "SessionWindow") || !strings.Contains(plan, "emit on window close") || !strings.Contains(plan, "LateFilter") {
		t.Fatalf("EXPLAIN does not show the session window, the late filter and the window-close emission:\n%s", plan)
	}
	// Over sessions, EMIT ON WINDOW CLOSE closes on window_end: grouping
	// by window_start alone has no window to close.
	_, err := c.Exec(context.Background(), `CREATE MATERIALIZED VIEW bad AS SELECT k, window_start, count(*)
		FROM SESSION(ev PARTITION BY k, ts, INTERVAL '10' SECOND) GROUP BY k, window_start EMIT ON WINDOW CLOSE`)
	if sqlstate(err) != "0A000" {
		t.Fatalf("EOWC over sessions without window_end: %v", err)
	}
}
