package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startInProcess starts a server on a fresh data directory and connects to
// it; everything is closed when the test ends, and ctx expires after timeout.
func startInProcess(t *testing.T, timeout time.Duration) (*Server, *pgx.Conn, context.Context) {
	t.Helper()
	srv, err := Start(t.TempDir(), "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	c, err := pgx.Connect(ctx, "postgres://u@"+srv.Addr().String()+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return srv, c, ctx
}

// TestNexmarkViewsEqualBatch ingests a fixed number of nexmark events into
// tables while the Nexmark queries run as materialized views over them,
// then checks that every view holds exactly what the same query returns in
// batch over the same events.
func TestNexmarkViewsEqualBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests nexmark events")
	}
	srv, c, ctx := startInProcess(t, 3*time.Minute)
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

// TestNexmarkQ10FileSink runs q10 (a file sink partitioned by day and
// minute) over nexmark bids and checks that the files hold every bid once,
// each under the directory of its own dt and hm.
func TestNexmarkQ10FileSink(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests nexmark events")
	}
	srv, c, ctx := startInProcess(t, 2*time.Minute)
	// The sink reads the (append-only) source; the same deterministic
	// events also fill a table to check against.
	for _, kind := range []string{"SOURCE bid", "TABLE bid_t"} {
		if _, err := c.Exec(ctx, `CREATE `+kind+` WITH (connector = 'nexmark', nexmark.table.type = 'bid',
			nexmark.event.num = '20000') FORMAT PLAIN ENCODE JSON`); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	q := sinkPath.ReplaceAllString(nexmarkQueries["q10"], "path = '"+out+"'")
	if _, err := c.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := srv.engine.WaitSources(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.engine.WaitSinks(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	rs, err := c.Query(ctx, `SELECT auction, bidder, price, to_char(date_time, 'YYYY-MM-DD'), to_char(date_time, 'HH24:MI') FROM bid_t`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var a, b, p int64
		var dt, hm string
		if err := rs.Scan(&a, &b, &p, &dt, &hm); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("dt=%s/hm=%s %d,%d,%d", dt, url.PathEscape(hm), a, b, p))
	}
	if err := rs.Err(); err != nil || len(want) == 0 {
		t.Fatalf("bids: %d, %v", len(want), err)
	}
	var got []string
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, filepath.Dir(p))
		for _, r := range recs {
			if len(r) != 7 || "dt="+r[5]+"/hm="+url.PathEscape(r[6]) != rel {
				return fmt.Errorf("row %q in %s", r, rel)
			}
			got = append(got, fmt.Sprintf("%s %s,%s,%s", rel, r[0], r[1], r[2]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("q10 files hold %d rows, bid has %d", len(got), len(want))
	}
}
