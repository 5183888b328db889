package session

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProctimeColumns: a column AS PROCTIME() is filled with the engine's
// clock at INSERT and cannot be given a value; q12's processing-time
// tumbling window over it updates at once; proctime() in a view's SELECT
// list is the time each row passes (append-only inputs only).
func TestProctimeColumns(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 3, 0, time.UTC)}
	ts := startTestServerWith(t, t.TempDir(), Options{Now: clock.Now, TickInterval: time.Hour})
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "SET TIME ZONE 'UTC'")
	mustExec(t, c, "CREATE TABLE bids (bidder BIGINT, p_time TIMESTAMPTZ AS PROCTIME(), price INT) APPEND ONLY")
	mustExec(t, c, "CREATE TABLE kv (k INT PRIMARY KEY, p TIMESTAMPTZ AS PROCTIME())")
	mustExec(t, c, `CREATE MATERIALIZED VIEW q12 AS SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
		FROM TUMBLE(bids, p_time, INTERVAL '10' SECOND) GROUP BY bidder, window_start, window_end`)
	mustExec(t, c, "CREATE MATERIALIZED VIEW seen AS SELECT bidder, proctime() AS at FROM bids")
	view := func(q string) string { return strings.Join(rowsOf(t, c, q), ";") }

	mustExec(t, c, "INSERT INTO bids VALUES (1, 10), (2, 20), (1, 30)")
	mustExec(t, c, "INSERT INTO bids (price, bidder) VALUES (40, 1)")
	clock.Add(8 * time.Second)
	mustExec(t, c, "INSERT INTO bids (bidder, p_time, price) VALUES (2, DEFAULT, 50)")
	mustExec(t, c, "INSERT INTO kv VALUES (1), (2)")
	if got, want := view("SELECT bidder, price, p_time FROM bids"),
		"1|10|2025-03-01 12:00:03 +0000 UTC;1|30|2025-03-01 12:00:03 +0000 UTC;1|40|2025-03-01 12:00:03 +0000 UTC;2|20|2025-03-01 12:00:03 +0000 UTC;2|50|2025-03-01 12:00:11 +0000 UTC"; got != want {
		t.Errorf("bids:\n got %s\nwant %s", got, want)
	}
	if got, want := view("SELECT * FROM q12"),
		"1|3|2025-03-01 12:00:00 +0000 UTC|2025-03-01 12:00:10 +0000 UTC;2|1|2025-03-01 12:00:00 +0000 UTC|2025-03-01 12:00:10 +0000 UTC;2|1|2025-03-01 12:00:10 +0000 UTC|2025-03-01 12:00:20 +0000 UTC"; got != want {
		t.Errorf("q12:\n got %s\nwant %s", got, want)
	}
	if got, want := view("SELECT bidder, at FROM seen WHERE bidder = 2"), "2|2025-03-01 12:00:03 +0000 UTC;2|2025-03-01 12:00:11 +0000 UTC"; got != want {
		t.Errorf("seen: got %s want %s", got, want)
	}
	if got, want := view("SELECT k, p FROM kv"), "1|2025-03-01 12:00:11 +0000 UTC;2|2025-03-01 12:00:11 +0000 UTC"; got != want {
		t.Errorf("kv: got %s want %s", got, want)
	}
	// An update keeps the ingestion time unless set to DEFAULT.
	clock.Add(time.Second)
	mustExec(t, c, "UPDATE kv SET p = DEFAULT WHERE k = 2")
	if got, want := view("SELECT k, p FROM kv"), "1|2025-03-01 12:00:11 +0000 UTC;2|2025-03-01 12:00:12 +0000 UTC"; got != want {
		t.Errorf("kv: got %s want %s", got, want)
	}

	for q, code := range map[string]string{
		"INSERT INTO bids (bidder, p_time) VALUES (1, now())":                               "428C9",
		"INSERT INTO bids (bidder, p_time) SELECT 1, now()":                                 "428C9",
		"UPDATE kv SET p = now()":                                                           "428C9",
		"CREATE TABLE bad (p TIMESTAMP AS PROCTIME())":                                      "42804",
		"CREATE MATERIALIZED VIEW bad AS SELECT k, proctime() FROM kv":                      "0A000",
		"CREATE MATERIALIZED VIEW bad AS SELECT bidder FROM bids WHERE proctime() > p_time": "0A000",
	} {
		if _, err := c.Exec(context.Background(), q); sqlstate(err) != code {
			t.Errorf("%s: %v, want %s", q, err, code)
		}
	}
}

// TestProctimeNexmark runs q12 over a nexmark source and a connector table
// with a p_time column while the clock moves: every bid is counted once,
// in a 10-second window aligned on 10 seconds, and over the table (whose
// p_time is stored) the view equals the batch query.
func TestProctimeNexmark(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	ts := startTestServerWith(t, t.TempDir(), Options{Now: clock.Now, TickInterval: time.Hour})
	defer ts.stop()
	c := ts.connect(t)
	const cols = `auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR, p_time TIMESTAMPTZ AS PROCTIME()`
	const opts = `connector = 'nexmark', nexmark.table.type = 'Bid', nexmark.event.num = '40000', nexmark.split.num = '2'`
	const q12 = `SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
		FROM TUMBLE(%s, p_time, INTERVAL '10' SECOND) GROUP BY bidder, window_start, window_end`
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				clock.Add(3 * time.Second)
			}
		}
	}()
	mustExec(t, c, `CREATE SOURCE bid (`+cols+`, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (`+opts+`)`)
	mustExec(t, c, `CREATE TABLE bid_t (`+cols+`) WITH (`+opts+`)`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW q12 AS `+strings.Replace(q12, "%s", "bid", 1))
	mustExec(t, c, `CREATE MATERIALIZED VIEW q12t AS `+strings.Replace(q12, "%s", "bid_t", 1))
	waitSources(t, ts)
	mustExec(t, c, "FLUSH")
	close(stop)
	wg.Wait()
	total := queryInts(t, c, "SELECT count(*) FROM bid_t")[0]
	if total == 0 {
		t.Fatal("no bids")
	}
	for _, v := range []string{"q12", "q12t"} {
		if got := queryInts(t, c, "SELECT sum(bid_count)::bigint FROM "+v)[0]; got != total {
			t.Errorf("%s counts %d bids, want %d", v, got, total)
		}
		if bad := queryInts(t, c, "SELECT count(*) FROM "+v+" WHERE endtime - starttime <> INTERVAL '10 seconds' OR extract(epoch FROM starttime)::bigint % 10 <> 0")[0]; bad != 0 {
			t.Errorf("%s: %d windows not 10 s wide and aligned", v, bad)
		}
	}
	if n := queryInts(t, c, "SELECT count(*) FROM bid_t WHERE p_time IS NULL OR p_time < '2025-03-01 12:00:00+00'")[0]; n != 0 {
		t.Errorf("%d rows without a processing time", n)
	}
	checkViewEqualsQuery(t, c, "q12t", strings.Replace(q12, "%s", "bid_t", 1))

	// With only the processing-time column given, nexmark's columns come
	// first.
	mustExec(t, c, `CREATE SOURCE bid3 (p_time TIMESTAMPTZ AS PROCTIME()) WITH (`+opts+`)`)
	if got, want := strings.Join(queryText(t, c, "SELECT column_name FROM information_schema.columns WHERE table_name = 'bid3' ORDER BY ordinal_position"), ","),
		"auction,bidder,price,channel,url,date_time,extra,p_time"; got != want {
		t.Errorf("bid3 columns %s, want %s", got, want)
	}
}
