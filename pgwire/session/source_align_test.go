package session

import (
	"testing"
	"time"
)

// TestNexmarkSourcesAligned checks that the person and auction sources of
// one Nexmark stream, read by a view joining them, stay within the
// alignment drift of each other in the combined stream, and that the
// view's result is unaffected.
func TestNexmarkSourcesAligned(t *testing.T) {
	if testing.Short() {
		t.Skip("generates nexmark events")
	}
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	const events = 1_500_000
	for _, tbl := range []string{"person", "auction"} {
		mustExec(t, c, `CREATE SOURCE `+tbl+` WITH (connector = 'nexmark', nexmark.table.type = '`+tbl+`',
			nexmark.event.num = '1500000') FORMAT PLAIN ENCODE JSON`)
	}
	mustExec(t, c, `CREATE MATERIALIZED VIEW sellers AS
		SELECT count(*) AS n FROM auction A JOIN person P ON A.seller = P.id`)
	// A Next call emits up to a chunk of rows: for persons (1 in 50 events)
	// that spans about 51,200 events past the position last checked.
	const slack = alignMaxDrift + 60_000
	var worst uint64
	samples, converged := 0, false
	done := make(chan struct{})
	go func() { defer close(done); waitSources(t, ts) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(2 * time.Millisecond):
		}
		ts.eng.align.mu.Lock()
		groups := make([]*alignGroup, 0, len(ts.eng.align.groups))
		for _, g := range ts.eng.align.groups {
			groups = append(groups, g)
		}
		ts.eng.align.mu.Unlock()
		for _, g := range groups {
			g.mu.Lock()
			var lo, hi uint64 = 1 << 63, 0
			for _, p := range g.readers {
				lo, hi = min(lo, p), max(hi, p)
			}
			// The reader that wakes first (idle readers poll every 100ms)
			// may run ahead before the other joins the group; from the
			// moment they are within reach, they must stay so.
			if len(g.readers) == 2 && (converged || hi-lo <= slack) {
				converged = true
				samples++
				worst = max(worst, hi-lo)
			}
			g.mu.Unlock()
		}
	}
	if samples == 0 {
		t.Fatal("never saw both readers in the alignment group")
	}
	if worst > slack {
		t.Fatalf("readers drifted %d events apart, want at most %d", worst, slack)
	}
	// Every auction's seller is a person generated earlier in the stream.
	got := queryInts(t, c, "SELECT n FROM sellers")
	if got[0] != events/50*3 {
		t.Fatalf("joined auctions: %d, want %d", got[0], events/50*3)
	}
}
