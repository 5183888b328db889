package session

import (
	"context"
	"fmt"
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

// TestLateRowsDeadLetters checks that rows dropped for being behind the
// watermark are written to dead_letters with reason 'late' in the batch of
// the statement (or the source commit) that carried them, once however
// many views dropped them.
func TestLateRowsDeadLetters(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY")
	mustExec(t, c, `CREATE MATERIALIZED VIEW w1 AS SELECT window_start, count(*) AS n FROM TUMBLE(ev, ts, INTERVAL '10' SECOND) GROUP BY window_start`)
	dead := func() string {
		return strings.Join(rowsOf(t, c, `SELECT source, coalesce(split, '-'), coalesce("offset", -1), reason, payload FROM dead_letters ORDER BY payload`), ";")
	}
	mustExec(t, c, "INSERT INTO ev VALUES (1, '2024-01-01 00:00:10')") // watermark 00:00:05
	if got := dead(); got != "" {
		t.Fatalf("dead letters before any late row: %s", got)
	}
	mustExec(t, c, `CREATE MATERIALIZED VIEW w2 AS SELECT count(*) AS n FROM ev`)
	// One late row and one on time in the same statement.
	mustExec(t, c, "INSERT INTO ev VALUES (2, '2024-01-01 00:00:01'), (3, '2024-01-01 00:00:12')")
	want := `ev|-|-1|late|{"id":2,"ts":"2024-01-01 00:00:01"}`
	if got := dead(); got != want {
		t.Fatalf("dead letters: %q, want %q", got, want)
	}
	if got := strings.Join(rowsOf(t, c, "SELECT n FROM w1 ORDER BY window_start"), ";"); got != "2" {
		t.Fatalf("w1 counted the late row: %s", got)
	}
	// Both views now drop rows behind 00:00:07: each late row is recorded
	// once.
	mustExec(t, c, "INSERT INTO ev VALUES (4, '2024-01-01 00:00:03')")
	if got := rowsOf(t, c, "SELECT count(*) FROM dead_letters WHERE reason = 'late'"); got[0] != "2" {
		t.Fatalf("late rows recorded: %v, want 2", got)
	}
	// The table keeps every row; the late ones are missing from the views.
	if got := rowsOf(t, c, "SELECT count(*) FROM ev"); got[0] != "4" {
		t.Fatalf("table rows: %v", got)
	}
	// w2, created after the watermark was set, got it when it was created:
	// it dropped rows 2 and 4 too.
	if got := rowsOf(t, c, "SELECT n FROM w2"); got[0] != "2" {
		t.Fatalf("w2: %v", got)
	}

	// A connector source: the late line is a dead letter of the source's
	// commit. (Within one chunk the watermark does not move: the late line
	// comes after the first one was committed.)
	dir := t.TempDir()
	writeFile(t, dir+"/e.json", `{"id": 1, "ts": "2024-01-01 00:01:00"}`+"\n")
	mustExec(t, c, "CREATE SOURCE fe (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts) "+fileWith(dir)+" FORMAT PLAIN ENCODE JSON")
	mustExec(t, c, "CREATE MATERIALIZED VIEW fev AS SELECT count(*) AS n, sum(id) AS s FROM fe")
	waitRows(t, c, "SELECT n, s FROM fev", "1 1")
	appendFile(t, dir+"/e.json", `{"id": 2, "ts": "2024-01-01 00:00:30"}`+"\n"+`{"id": 3, "ts": "2024-01-01 00:01:01"}`+"\n")
	waitRows(t, c, "SELECT n, s FROM fev", "2 4")
	waitRows(t, c, "SELECT source, payload FROM dead_letters WHERE source = 'fe'", `fe {"id":2,"ts":"2024-01-01 00:00:30"}`)
}

// TestWatermarkSurvivesRestart checks that views keep the watermark of
// their inputs across a restart: a late row is still dropped (not added
// to a window that was already emitted and cleaned), and a view created
// afterwards starts at the current watermark instead of none.
func TestWatermarkSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY")
	mustExec(t, c, `CREATE MATERIALIZED VIEW closed AS
		SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
		GROUP BY window_start EMIT ON WINDOW CLOSE`)
	mustExec(t, c, "INSERT INTO ev VALUES (1, '2024-01-01 00:00:01', 1), (2, '2024-01-01 00:00:07', 2)")
	mustExec(t, c, "INSERT INTO ev VALUES (3, '2024-01-01 00:00:21', 4)") // watermark 00:00:16
	if got := strings.Join(rowsOf(t, c, "SELECT n, s FROM closed"), ";"); got != "2|3" {
		t.Fatalf("closed windows before the restart: %s", got)
	}
	ts.stop()

	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	// Late: behind the watermark 00:00:16 restored from before the restart.
	mustExec(t, c, "INSERT INTO ev VALUES (4, '2024-01-01 00:00:03', 100)")
	// Still open: [00:00:20, 00:00:30) closes only when the watermark passes 00:00:30.
	mustExec(t, c, "INSERT INTO ev VALUES (5, '2024-01-01 00:00:36', 8)")
	// (rowsOf sorts the rows.)
	if got := strings.Join(rowsOf(t, c, "SELECT n, s FROM closed"), ";"); got != "1|4;2|3" {
		t.Fatalf("closed windows after the restart: %s, want 1|4;2|3 (the late row dropped)", got)
	}
	// A view created now gets the current watermark (00:00:31) at once: the
	// window [00:00:20, 00:00:30) is closed for it too.
	mustExec(t, c, `CREATE MATERIALIZED VIEW closed2 AS
		SELECT window_start, count(*) AS n FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
		GROUP BY window_start EMIT ON WINDOW CLOSE`)
	if got := strings.Join(rowsOf(t, c, "SELECT n FROM closed2 WHERE window_start >= '2024-01-01 00:00:20'"), ";"); got != "1" {
		t.Fatalf("new view's closed windows from 00:00:20: %s, want 1 (only [00:00:20, 00:00:30))", got)
	}
}

// TestConcurrentDMLGroupCommit runs INSERTs and UPDATEs from several
// connections at once (their commits share WAL syncs once each releases
// the write lock) and checks every acknowledged change is in the table and
// in a view over it, also after a restart.
func TestConcurrentDMLGroupCommit(t *testing.T) {
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE acc (id INT PRIMARY KEY, bal INT)")
	mustExec(t, c, "CREATE MATERIALIZED VIEW tot AS SELECT count(*) AS n, sum(bal) AS s FROM acc")
	const workers, each = 6, 40
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			cw := ts.connect(t)
			defer cw.Close(context.Background())
			for i := 0; i < each; i++ {
				id := w*each + i
				if _, err := cw.Exec(context.Background(), "INSERT INTO acc VALUES ($1, 1)", id); err != nil {
					errs <- err
					return
				}
				if _, err := cw.Exec(context.Background(), "UPDATE acc SET bal = bal + 1 WHERE id = $1", id); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := fmt.Sprintf("%d|%d", workers*each, 2*workers*each)
	if got := strings.Join(rowsOf(t, c, "SELECT n, s FROM tot"), ";"); got != want {
		t.Fatalf("view: %s, want %s", got, want)
	}
	ts.stop()
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	if got := strings.Join(rowsOf(t, c, "SELECT count(*), sum(bal) FROM acc"), ";"); got != want {
		t.Fatalf("table after restart: %s, want %s", got, want)
	}
}
