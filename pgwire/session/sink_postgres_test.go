package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamsql/streamsql/connectors/postgres/pgtest"
)

// pgRows returns the rows of q on the PostgreSQL server at url, values
// separated by spaces.
func pgRows(t *testing.T, url, q string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	return queryRowsText(t, c, q)
}

func pgExec(t *testing.T, url string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func wantPG(t *testing.T, url, q string, want ...string) {
	t.Helper()
	if got := pgRows(t, url, q); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", q, got, want)
	}
}

func TestPostgresSinkUpsertDeleteRestartAndOutage(t *testing.T) {
	pg := pgtest.Start(t)
	pgExec(t, pg.URL,
		`CREATE TABLE tgt (k int PRIMARY KEY, v text, n numeric, at timestamp)`,
		`CREATE TABLE log (id int, v text)`)
	data := t.TempDir()
	ts := startTestServer(t, data)
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE t (k INT PRIMARY KEY, v TEXT, n NUMERIC, at TIMESTAMP)`)
	mustExec(t, c, `INSERT INTO t VALUES (1, 'a', 1.5, '2026-01-02 03:04:05'), (2, 'b', NULL, NULL)`)
	// RisingWave's JDBC spelling; the key defaults to t's primary key.
	mustExec(t, c, fmt.Sprintf(`CREATE SINK pgs FROM t WITH (connector = 'jdbc',
		jdbc.url = 'jdbc:postgresql://127.0.0.1:%d/postgres?user=postgres', table.name = 'tgt', type = 'upsert')`, pg.Port()))
	// The plain spelling, append-only over a query (force_append_only:
	// updates arrive as inserts of the new rows, deletes are dropped).
	mustExec(t, c, `CREATE SINK pga AS SELECT k AS id, v FROM t WITH (connector = 'postgres', url = '`+pg.URL+`', table = 'log',
		type = 'append-only', force_append_only = 'true')`)
	mustExec(t, c, `UPDATE t SET v = 'a2', n = n * 2 WHERE k = 1`)
	mustExec(t, c, `DELETE FROM t WHERE k = 2`)
	mustExec(t, c, `INSERT INTO t VALUES (3, 'it''s', 3, '2026-05-06 07:08:09.5')`)
	waitSinks(t, ts)
	wantPG(t, pg.URL, `SELECT k, v, n::text, at::text FROM tgt ORDER BY k`,
		"1 a2 3.0 2026-01-02 03:04:05", "3 it's 3 2026-05-06 07:08:09.5")
	wantPG(t, pg.URL, `SELECT id, v FROM log ORDER BY id, v`, "1 a", "1 a2", "2 b", "3 it's")
	ts.stop()

	// Restart, with a crash injected between the PostgreSQL commit and the
	// deletion of the shipped entries: the progress row keeps the entries
	// from being written twice (log has no key: a double would show).
	var fails atomic.Int32
	hook := func(name string) error {
		if name == "pga" && fails.Load() == 0 {
			fails.Add(1)
			return errors.New("injected crash before trim")
		}
		return nil
	}
	testSinkBeforeTrim.Store(&hook)
	defer testSinkBeforeTrim.Store(nil)
	ts = startTestServer(t, data)
	defer ts.stop()
	c = ts.connect(t)
	mustExec(t, c, `INSERT INTO t VALUES (4, 'd', 4, NULL)`)
	waitSinks(t, ts)
	if fails.Load() != 1 {
		t.Fatalf("injected %d failures", fails.Load())
	}
	wantPG(t, pg.URL, `SELECT id, v FROM log ORDER BY id, v`, "1 a", "1 a2", "2 b", "3 it's", "4 d")
	wantPG(t, pg.URL, `SELECT k, v FROM tgt ORDER BY k`, "1 a2", "3 it's", "4 d")
	wantPG(t, pg.URL, `SELECT count(*) FROM _streamsql_sink_progress WHERE sink LIKE 'pg%'`, "2")

	// An outage of PostgreSQL: writers go on, the sinks report the error
	// and catch up when it is back.
	pg.Pause(t)
	mustExec(t, c, `INSERT INTO t VALUES (5, 'e', 5, NULL)`)
	mustExec(t, c, `DELETE FROM t WHERE k = 1`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows := queryRowsText(t, c, `SHOW SINKS`)
		if len(rows) == 2 && !strings.HasSuffix(rows[0], "<nil>") && !strings.HasSuffix(rows[1], "<nil>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SHOW SINKS does not report the outage: %q", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pg.Resume(t)
	waitSinks(t, ts)
	wantPG(t, pg.URL, `SELECT k, v FROM tgt ORDER BY k`, "3 it's", "4 d", "5 e")
	wantPG(t, pg.URL, `SELECT id, v FROM log ORDER BY id, v`, "1 a", "1 a2", "2 b", "3 it's", "4 d", "5 e")
	for _, r := range queryRowsText(t, c, `SHOW SINKS`) {
		if !strings.HasSuffix(r, " 0 <nil>") {
			t.Fatalf("SHOW SINKS after recovery: %q", r)
		}
	}

	// Errors found at CREATE: a missing table, a missing column.
	wantErrCode(t, c, `CREATE SINK bad FROM t WITH (connector = 'postgres', url = '`+pg.URL+`', table = 'nosuch', type = 'upsert')`, "42P01", "nosuch")
	pgExec(t, pg.URL, `CREATE TABLE narrow (k int PRIMARY KEY)`)
	wantErrCode(t, c, `CREATE SINK bad FROM t WITH (connector = 'postgres', url = '`+pg.URL+`', table = 'narrow', type = 'upsert')`, "42703", `column "v"`)
	// An unreachable server.
	wantErrCode(t, c, `CREATE SINK bad FROM t WITH (connector = 'postgres', url = 'postgres://postgres@127.0.0.1:1/postgres', table = 'tgt', type = 'upsert')`, "08001", "connect")
}
