package session

import (
	"context"
	"strings"
	"testing"
)

// TestLookupJoinView covers what the .slt cannot: EXPLAIN shows the lookup
// join (stateless over an append-only input, with state otherwise), a
// source is refused as the right side with 0A000, a missing key equality
// is 42P10, and the view survives a restart (its lookups keep working and
// its retractions find their state).
func TestLookupJoinView(t *testing.T) {
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE side (key BIGINT PRIMARY KEY, value VARCHAR)")
	mustExec(t, c, "INSERT INTO side VALUES (0, 'zero'), (1, 'one'), (2, 'two')")
	mustExec(t, c, "CREATE TABLE bids (auction BIGINT, price INT) APPEND ONLY")
	mustExec(t, c, "CREATE TABLE bids2 (auction BIGINT, price INT)")
	const q = "SELECT B.auction, B.price, S.value FROM TBL B JOIN side FOR SYSTEM_TIME AS OF PROCTIME() AS S ON B.auction % 3 = S.key"
	fix := func(tbl string) string { return strings.Replace(q, "TBL", tbl, 1) }
	plan := strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+fix("bids")), "\n")
	for _, want := range []string{"LookupJoin inner side AS s key (", "(stateless, output: append-only)", "append-only)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	plan = strings.Join(rowsOf(t, c, "EXPLAIN CREATE MATERIALIZED VIEW x AS "+fix("bids2")), "\n")
	if !strings.Contains(plan, "output: retract)") || !strings.Contains(plan, "LookupJoin inner side") {
		t.Errorf("plan:\n%s", plan)
	}
	mustExec(t, c, "CREATE MATERIALIZED VIEW v1 AS "+fix("bids"))
	mustExec(t, c, "CREATE MATERIALIZED VIEW v2 AS "+fix("bids2"))
	mustExec(t, c, "INSERT INTO bids VALUES (3, 1), (4, 2), (5, 3)")
	mustExec(t, c, "INSERT INTO bids2 VALUES (3, 1), (4, 2), (5, 3)")
	mustExec(t, c, "UPDATE side SET value = 'ONE' WHERE key = 1")

	ts.stop()
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	mustExec(t, c, "INSERT INTO bids VALUES (7, 4)")
	mustExec(t, c, "INSERT INTO bids2 VALUES (7, 4)")
	mustExec(t, c, "DELETE FROM bids2 WHERE auction = 4")
	if got, want := strings.Join(rowsOf(t, c, "SELECT * FROM v1"), ";"), "3|1|zero;4|2|one;5|3|two;7|4|ONE"; got != want {
		t.Errorf("v1 = %s, want %s", got, want)
	}
	if got, want := strings.Join(rowsOf(t, c, "SELECT * FROM v2"), ";"), "3|1|zero;5|3|two;7|4|ONE"; got != want {
		t.Errorf("v2 = %s, want %s", got, want)
	}

	mustExec(t, c, `CREATE SOURCE src (key BIGINT, value VARCHAR) WITH (connector = 'datagen', datagen.rows.per.second = '1') FORMAT PLAIN ENCODE JSON`)
	_, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS SELECT * FROM bids B JOIN src FOR SYSTEM_TIME AS OF PROCTIME() AS S ON B.auction = S.key")
	if sqlstate(err) != "0A000" || !strings.Contains(err.Error(), "is a source") {
		t.Errorf("source on the right: %v", err)
	}
	_, err = c.Exec(context.Background(), "CREATE MATERIALIZED VIEW bad AS SELECT * FROM bids B JOIN side FOR SYSTEM_TIME AS OF PROCTIME() AS S ON B.price = S.value::int")
	if sqlstate(err) != "42P10" {
		t.Errorf("no key equality: %v", err)
	}
}
