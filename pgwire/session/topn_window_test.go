package session

import (
	"fmt"
	"strings"
	"testing"
)

// TestTopNPerWindowCleansState streams bids into a table with a watermark
// under top-N-per-window and dedup-per-window views: once the watermark
// closes a window its top-N state is deleted, so the state stays bounded,
// while the views keep equalling their batch queries; a late row of a
// closed window changes nothing.
func TestTopNPerWindowCleansState(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE bid (auction INT, price INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) APPEND ONLY")
	const top = `SELECT * FROM (SELECT window_start, window_end, auction, price,
		row_number() OVER (PARTITION BY window_start, window_end ORDER BY price DESC, auction) AS rn
		FROM TUMBLE(bid, ts, INTERVAL '10' SECOND)) x WHERE rn <= 2`
	const dedup = `SELECT window_start, auction, price FROM (SELECT window_start, auction, price,
		row_number() OVER (PARTITION BY window_start, auction ORDER BY ts, price) AS rn
		FROM HOP(bid, ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)) x WHERE rn = 1`
	mustExec(t, c, "CREATE MATERIALIZED VIEW top2 AS "+top)
	mustExec(t, c, "CREATE MATERIALIZED VIEW first_bid AS "+dedup)
	for _, q := range []string{top, dedup} {
		plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+q), "\n")
		if !strings.Contains(plan, "closed windows' state cleaned by watermark") {
			t.Fatalf("EXPLAIN does not show the window cleanup:\n%s", plan)
		}
	}
	var peakTop, peakDedup int64
	const seconds = 100
	for s := 0; s < seconds; s++ {
		var vals []string
		for k := 0; k < 3; k++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d milliseconds')", (s+k)%4, (s*7+k*13)%50, s*1000+k*300))
		}
		mustExec(t, c, "INSERT INTO bid VALUES "+strings.Join(vals, ", "))
		if s > 30 {
			peakTop = max(peakTop, operatorKeys(t, c, "top2"))
			peakDedup = max(peakDedup, operatorKeys(t, c, "first_bid"))
		}
	}
	checkViewEqualsQuery(t, c, "top2", top)
	checkViewEqualsQuery(t, c, "first_bid", dedup)
	// A late bid for a closed window is dropped.
	before := rowsOf(t, c, "SELECT * FROM top2")
	mustExec(t, c, "INSERT INTO bid VALUES (9, 1000, TIMESTAMP '2024-01-01 00:00:05')")
	if after := rowsOf(t, c, "SELECT * FROM top2"); strings.Join(after, ";") != strings.Join(before, ";") {
		t.Fatal("a late bid changed a closed window's top 2")
	}
	t.Logf("peak state keys: top2 %d, first_bid %d", peakTop, peakDedup)
	// 3 bids a second: a window's 30 bids plus its 2 emitted rows, for
	// at most two open windows; the dedup view has two windows per bid
	// (HOP) and up to 4 auctions each.
	if peakTop == 0 || peakTop > 80 {
		t.Fatalf("top-2 per window keeps up to %d state keys after %d bids, want at most 80", peakTop, 3*seconds)
	}
	if peakDedup == 0 || peakDedup > 160 {
		t.Fatalf("dedup per window keeps up to %d state keys after %d bids, want at most 160", peakDedup, 3*seconds)
	}
}
