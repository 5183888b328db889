package session

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// operatorKeys sums SHOW STATE's key counts of view's operator state
// tables (not its rows).
func operatorKeys(t *testing.T, c *pgx.Conn, view string) int64 {
	t.Helper()
	var keys int64
	for _, r := range rowsOf(t, c, "SHOW STATE") {
		f := strings.Split(r, "|")
		if f[0] == view && f[1] == "operator" {
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				t.Fatalf("SHOW STATE row %q", r)
			}
			keys += n
		}
	}
	return keys
}

// checkViewEqualsQuery fails unless the view holds what its query returns
// in batch.
func checkViewEqualsQuery(t *testing.T, c *pgx.Conn, view, query string) {
	t.Helper()
	got := rowsOf(t, c, "SELECT * FROM "+view)
	want := rowsOf(t, c, query)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("view %s (%d rows) differs from its query (%d rows):\nview:  %v\nbatch: %v", view, len(got), len(want), got, want)
	}
}

// TestIntervalJoinCleansState streams rows into two tables with watermarks
// joined on a time interval: the inner join's state stays bounded as the
// watermarks advance while the view keeps equalling the batch query, and
// the same join as a LEFT join (which cannot clean) keeps every row.
func TestIntervalJoinCleansState(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE a (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)")
	mustExec(t, c, "CREATE TABLE b (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)")
	const inner = `SELECT a.id, a.ts, b.ts AS bts FROM a JOIN b ON a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '10' SECOND AND b.ts`
	const left = `SELECT a.id, a.ts, b.ts AS bts FROM a LEFT JOIN b ON a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '10' SECOND AND b.ts`
	// The mirrored spelling, with strict bounds, over the WHERE clause.
	const mirrored = `SELECT a.id, a.ts, b.ts AS bts FROM a, b WHERE a.id = b.id AND b.ts + INTERVAL '3' SECOND > a.ts AND b.ts - INTERVAL '4' SECOND < a.ts`
	mustExec(t, c, "CREATE MATERIALIZED VIEW ij AS "+inner)
	mustExec(t, c, "CREATE MATERIALIZED VIEW lj AS "+left)
	mustExec(t, c, "CREATE MATERIALIZED VIEW mj AS "+mirrored)

	plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+inner), "\n")
	if !strings.Contains(plan, "state cleaned by watermark: interval join a.ts in [b.ts - 10s, b.ts]") {
		t.Fatalf("EXPLAIN does not show the interval join's cleanup:\n%s", plan)
	}
	plan = strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+left), "\n")
	if strings.Contains(plan, "state cleaned by watermark") {
		t.Fatalf("a LEFT join claims to clean its state:\n%s", plan)
	}

	const n = 120
	var maxInner, maxMirrored int64
	for i := 0; i < n; i++ {
		// a's rows at second i, b's at second i+2: every a row matches the
		// b rows of the next 8 seconds with its id.
		mustExec(t, c, fmt.Sprintf("INSERT INTO a VALUES (%d, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d seconds')", i%3, i))
		mustExec(t, c, fmt.Sprintf("INSERT INTO b VALUES (%d, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d seconds')", i%3, i+2))
		if i > 40 {
			maxInner = max(maxInner, operatorKeys(t, c, "ij"))
			maxMirrored = max(maxMirrored, operatorKeys(t, c, "mj"))
		}
		if i == 60 {
			// A retraction above the watermarks is applied exactly.
			mustExec(t, c, "DELETE FROM a WHERE ts = TIMESTAMP '2024-01-01 00:01:00'")
			mustExec(t, c, "DELETE FROM b WHERE ts = TIMESTAMP '2024-01-01 00:01:02'")
		}
	}
	checkViewEqualsQuery(t, c, "ij", inner)
	checkViewEqualsQuery(t, c, "lj", left)
	checkViewEqualsQuery(t, c, "mj", mirrored)
	if got := rowsOf(t, c, "SELECT count(*) FROM ij"); got[0] == "0" {
		t.Fatal("the interval join produced no rows")
	}
	// Live state: about 10 s of a and b rows, plus the amortisation slack.
	t.Logf("inner %d mirrored %d", maxInner, maxMirrored)
	if maxInner == 0 || maxInner > 60 {
		t.Fatalf("interval join keeps up to %d state keys for %d rows per side, want at most 60", maxInner, n)
	}
	if maxMirrored == 0 || maxMirrored > 60 {
		t.Fatalf("mirrored interval join keeps up to %d state keys for %d rows per side, want at most 60", maxMirrored, n)
	}
	if k := operatorKeys(t, c, "lj"); k < 2*n-2 {
		t.Fatalf("LEFT interval join keeps %d state keys, want every row (%d)", k, 2*n-2)
	}
}

// TestNexmarkQ7StateBounded runs Nexmark q7 (bids joined with the
// maximum bid of their 10-second window, on an interval of the window's
// end) over a bid table with a watermark: the join's and the window
// aggregation's state stay bounded while the view equals the batch query.
func TestNexmarkQ7StateBounded(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP, extra VARCHAR,
		WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) APPEND ONLY`)
	const q7 = `SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid B
JOIN (
    SELECT max(price) AS maxprice, window_end AS date_time
    FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
    GROUP BY window_start, window_end
) B1 ON B.price = B1.maxprice
WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time`
	mustExec(t, c, "CREATE MATERIALIZED VIEW q7 AS "+q7)
	plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+q7), "\n")
	if !strings.Contains(plan, "state cleaned by watermark: interval join b.date_time in [date_time - 10s, date_time]") {
		t.Fatalf("EXPLAIN does not show q7's interval join cleanup:\n%s", plan)
	}
	var peak int64
	const seconds = 150
	for s := 0; s < seconds; s++ {
		var vals []string
		for k := 0; k < 3; k++ {
			price := (s*7+k*13)%50 + 1
			vals = append(vals, fmt.Sprintf("(%d, %d, %d, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d milliseconds', 'x')", s%5, k, price, s*1000+k*300))
		}
		mustExec(t, c, "INSERT INTO bid VALUES "+strings.Join(vals, ", "))
		if s == 40 {
			peak = 0
		}
		peak = max(peak, operatorKeys(t, c, "q7"))
	}
	checkViewEqualsQuery(t, c, "q7", q7)
	if got := rowsOf(t, c, "SELECT count(*) FROM q7"); got[0] == "0" {
		t.Fatal("q7 produced no rows")
	}
	// 3 bids a second; the join keeps about 14 s of bids (window plus
	// watermark delay) and a few window maxima, the aggregation the open
	// windows: far below the 450 bids streamed.
	t.Logf("q7 peak %d", peak)
	if peak == 0 || peak > 120 {
		t.Fatalf("q7 keeps up to %d operator state keys after %d bids, want at most 120", peak, 3*seconds)
	}
}

// TestIntervalJoinWatermarkFeedsWindow checks that an interval join passes
// watermarks on its time columns: an EMIT ON WINDOW CLOSE aggregation over
// its output emits each window once the watermarks pass it.
func TestIntervalJoinWatermarkFeedsWindow(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE a (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) APPEND ONLY")
	mustExec(t, c, "CREATE TABLE b (id INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) APPEND ONLY")
	mustExec(t, c, `CREATE MATERIALIZED VIEW w AS
		WITH j AS (SELECT a.id, a.ts FROM a JOIN b ON a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '10' SECOND AND b.ts)
		SELECT window_start, count(*) AS n FROM TUMBLE(j, ts, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE`)
	view := func() string { return strings.Join(rowsOf(t, c, "SELECT n FROM w"), ";") }
	mustExec(t, c, "INSERT INTO a VALUES (1, '2024-01-01 00:00:01'), (1, '2024-01-01 00:00:05')")
	mustExec(t, c, "INSERT INTO b VALUES (1, '2024-01-01 00:00:06')")
	if got := view(); got != "" {
		t.Fatalf("window emitted before it closed: %q", got)
	}
	mustExec(t, c, "INSERT INTO a VALUES (1, '2024-01-01 00:00:30')")
	mustExec(t, c, "INSERT INTO b VALUES (1, '2024-01-01 00:00:31')")
	if got := view(); got != "2" {
		t.Fatalf("after the watermarks passed the first window: %q, want 2", got)
	}
}
