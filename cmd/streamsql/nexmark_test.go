package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestNexmarkViewsEqualBatch ingests a fixed number of nexmark events into
// tables while the Nexmark queries run as materialized views over them,
// then checks that every view holds exactly what the same query returns in
// batch over the same events.
func TestNexmarkViewsEqualBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests nexmark events")
	}
	srv, err := Start(t.TempDir(), "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, "postgres://u@"+srv.Addr().String()+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// q13's side input exists before the events and never changes, so its
	// temporal join equals the plain join.
	for _, q := range sideInputSetup() {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tbl := range []string{"person", "auction", "bid"} {
		q := fmt.Sprintf(`CREATE TABLE %s WITH (connector = 'nexmark', nexmark.table.type = '%s',
			nexmark.event.num = '30000') FORMAT PLAIN ENCODE JSON`, tbl, tbl)
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var views []string
	for _, q := range []string{"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q11", "q13", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"} {
		if _, err := c.Exec(ctx, nexmarkQueries[q]); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		views = append(views, q)
	}
	if err := srv.engine.WaitSources(ctx); err != nil {
		t.Fatal(err)
	}
	rows := func(sql string) []string {
		t.Helper()
		rs, err := c.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			vals, err := rs.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return out
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bid").Scan(&n); err != nil || n == 0 {
		t.Fatalf("no bids ingested: %d %v", n, err)
	}
	for _, q := range views {
		def := nexmarkQueries[q]
		body := def[strings.Index(strings.ToUpper(def), " AS\n")+4:]
		got, want := rows("SELECT * FROM nexmark_"+q), rows(strings.TrimRight(strings.TrimSpace(body), ";"))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the view (%d rows) differs from the batch query (%d rows)", q, len(got), len(want))
		}
		t.Logf("%s: %d rows", q, len(got))
	}
}
