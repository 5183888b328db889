package session

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestTemporalFilter drives a view WHERE ts > now() - INTERVAL '1 hour'
// with a fake clock: rows enter only while recent, expire exactly once when
// the clock passes them (also after a restart), deletes of rows held or
// expired are applied, the state shrinks, and now() elsewhere stays
// refused.
func TestTemporalFilter(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	// The ticker is driven by hand (TickTemporal), so it must not run.
	opts := Options{Now: clock.Now, TickInterval: time.Hour}
	ts := startTestServerWith(t, dir, opts)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMPTZ)")
	mustExec(t, c, "CREATE TABLE ev2 (id INT, ts TIMESTAMP)")
	mustExec(t, c, "CREATE MATERIALIZED VIEW recent AS SELECT id, ts FROM ev WHERE ts > now() - INTERVAL '1 hour'")
	mustExec(t, c, "CREATE MATERIALIZED VIEW recent2 AS SELECT id FROM ev2 WHERE now() - INTERVAL '1 hour' <= ts AND id > 0")
	// A view on the view sees each expiry once: a second delete of a row
	// would fail its aggregation.
	mustExec(t, c, "CREATE MATERIALIZED VIEW cnt AS SELECT count(*) AS n, sum(id) AS s FROM recent")
	view := func(q string) string { return strings.Join(rowsOf(t, c, q), ";") }
	tick := func() {
		t.Helper()
		if err := ts.eng.TickTemporal(); err != nil {
			t.Fatal(err)
		}
	}

	mustExec(t, c, "INSERT INTO ev VALUES (1, now() - INTERVAL '59 minutes'), (2, now() - INTERVAL '2 hours'), (3, NULL)")
	mustExec(t, c, "INSERT INTO ev2 VALUES (1, now() - INTERVAL '59 minutes'), (2, now() - INTERVAL '2 hours'), (-1, now())")
	if got := view("SELECT id FROM recent"); got != "1" {
		t.Fatalf("recent: %q, want only the row of 59 minutes ago", got)
	}
	if got := view("SELECT id FROM recent2"); got != "1" {
		t.Fatalf("recent2: %q", got)
	}
	if got := view("SELECT n, s FROM cnt"); got != "1|1" {
		t.Fatalf("cnt: %q", got)
	}
	if k := operatorKeys(t, c, "recent"); k != 1 {
		t.Fatalf("temporal filter keeps %d keys, want 1", k)
	}
	tick() // nothing to expire yet
	if got := view("SELECT id FROM recent"); got != "1" {
		t.Fatalf("recent after an early tick: %q", got)
	}

	clock.Add(2 * time.Minute)
	// Until the tick the view still shows the row, but new rows are judged
	// by the clock.
	mustExec(t, c, "INSERT INTO ev VALUES (4, now() - INTERVAL '30 minutes'), (5, now() - INTERVAL '61 minutes')")
	if got := view("SELECT id FROM recent"); got != "1;4" {
		t.Fatalf("recent before the tick: %q", got)
	}
	tick()
	if got := view("SELECT id FROM recent"); got != "4" {
		t.Fatalf("recent after the tick: %q, want 4", got)
	}
	if got := view("SELECT id FROM recent2"); got != "" {
		t.Fatalf("recent2 after the tick: %q, want empty", got)
	}
	if got := view("SELECT n, s FROM cnt"); got != "1|4" {
		t.Fatalf("cnt after the tick: %q", got)
	}
	if k := operatorKeys(t, c, "recent"); k != 1 {
		t.Fatalf("temporal filter keeps %d keys after the expiry, want 1", k)
	}
	// Deleting an expired row (and a row never shown) changes nothing.
	mustExec(t, c, "DELETE FROM ev WHERE id IN (1, 2, 5)")
	if got := view("SELECT id FROM recent"); got != "4" {
		t.Fatalf("recent after deleting expired rows: %q", got)
	}
	// A held row that is deleted leaves the view and never expires.
	mustExec(t, c, "INSERT INTO ev VALUES (6, now() - INTERVAL '10 minutes')")
	mustExec(t, c, "DELETE FROM ev WHERE id = 6")
	if got := view("SELECT id FROM recent"); got != "4" {
		t.Fatalf("recent after a delete: %q", got)
	}

	// Expiry survives a restart: the held row expires once, after it.
	ts.stop()
	ts = startTestServerWith(t, dir, opts)
	c = ts.connect(t)
	if got := view("SELECT id FROM recent"); got != "4" {
		t.Fatalf("recent after a restart: %q", got)
	}
	clock.Add(31 * time.Minute)
	tick()
	tick()
	if got := view("SELECT id FROM recent"); got != "" {
		t.Fatalf("recent after the clock passed every row: %q", got)
	}
	if got := view("SELECT n, s FROM cnt"); got != "0|<nil>" {
		t.Fatalf("cnt after every row expired: %q", got)
	}
	if k := operatorKeys(t, c, "recent"); k != 0 {
		t.Fatalf("temporal filter keeps %d keys with every row expired, want 0", k)
	}

	plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS SELECT id FROM ev WHERE ts >= now() - INTERVAL '5 minutes'"), "\n")
	if !strings.Contains(plan, "TemporalFilter") {
		t.Fatalf("EXPLAIN does not show the temporal filter:\n%s", plan)
	}
	// now() anywhere else in a view is still refused.
	for _, q := range []string{
		"SELECT id, now() FROM ev",
		"SELECT id FROM ev WHERE ts < now() - INTERVAL '1 hour'",
		"SELECT id FROM ev WHERE ts > now() - INTERVAL '1 hour' OR id = 1",
		"SELECT id FROM ev WHERE id > extract(epoch FROM now())",
	} {
		_, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS "+q)
		if sqlstate(err) != "0A000" {
			t.Fatalf("%s: %v, want SQLSTATE 0A000", q, err)
		}
		if pe, ok := err.(*pgconn.PgError); !ok || !strings.Contains(pe.Hint, "temporal filter") {
			t.Fatalf("%s: the error does not hint at temporal filters: %#v", q, err)
		}
	}
	ts.stop()
}

// TestTemporalFilterTicker checks that the engine's own ticker expires
// rows without any statement.
func TestTemporalFilterTicker(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	ts := startTestServerWith(t, t.TempDir(), Options{Now: clock.Now, TickInterval: 10 * time.Millisecond})
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMPTZ)")
	mustExec(t, c, "CREATE MATERIALIZED VIEW recent AS SELECT id FROM ev WHERE ts > now() - INTERVAL '1 minute'")
	mustExec(t, c, "INSERT INTO ev VALUES (1, now())")
	if got := strings.Join(rowsOf(t, c, "SELECT id FROM recent"), ";"); got != "1" {
		t.Fatalf("recent: %q", got)
	}
	clock.Add(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := rowsOf(t, c, "SELECT id FROM recent"); len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ticker did not expire the row")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
