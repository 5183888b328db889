package bench

// BenchmarkMV measures incremental materialized-view maintenance: a table
// big (1M rows) under a view agg that joins it to dim (100k rows) and
// aggregates by a key of dim (1000 groups).
//
//	UpdateLatency  1000 single-row UPDATEs of big, each followed by a SELECT
//	               of the row's group in agg that must show the change; the
//	               latency is from sending the UPDATE until that SELECT
//	               returns the new sum (median and p99, ms).
//	Throughput     1000-row UPDATEs of big for ~10 s: rows changed per second
//	               with agg kept current, then agg is compared in full with
//	               the same query run by the batch engine.
//	PostgresRefresh the same tables and view on PostgreSQL
//	               (STREAMSQL_BENCH_PG_URL): REFRESH MATERIALIZED VIEW time
//	               (median of 3) and its ratio to streamsql's median latency.
//
// Run:
//
//	STREAMSQL_BENCH_PG_URL=postgres://bench@127.0.0.1:55494/bench \
//	  go test ./bench/ -run XXX -bench MV -benchtime 1x -timeout 20m
//
// STREAMSQL_MV_BENCH_ROWS (default 1000000, a multiple of 1000) scales big;
// dim has a tenth as many rows. STREAMSQL_MV_BENCH_SECONDS (default 10) sets
// the length of the throughput run. STREAMSQL_MV_BENCH_CPUPROFILE=PREFIX
// writes CPU profiles of the measured phases only (PREFIX.latency.prof,
// PREFIX.throughput.prof), leaving out the load; do not combine it with
// -cpuprofile. STREAMSQL_MV_BENCH_SETTLE=SECONDS (default 0) waits that long
// after the load, outside the timers, so that the storage engine's
// background flushes and compactions of the load are done before measuring.
// Skipped under -short.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/pgwire/session"
)

const (
	mvRowsEnv     = "STREAMSQL_MV_BENCH_ROWS"
	mvSecondsEnv  = "STREAMSQL_MV_BENCH_SECONDS"
	mvUpdates     = 1000 // single-row updates per UpdateLatency iteration
	mvBatchRows   = 1000 // rows per UPDATE in Throughput
	mvGroups      = 1000 // dim.g = id % 1000
	mvPGRefreshes = 3
	mvPGURLEnv    = "STREAMSQL_BENCH_PG_URL" // same variable as bench_test.go
	mvProfileEnv  = "STREAMSQL_MV_BENCH_CPUPROFILE"
	mvSettleEnv   = "STREAMSQL_MV_BENCH_SETTLE"
)

const (
	mvViewQuery = `SELECT d.g, count(*) AS n, sum(b.v) AS s FROM big b JOIN dim d ON b.k = d.id GROUP BY d.g`
	mvUpdateOne = `UPDATE big SET v = v + 1 WHERE id = $1`
	mvUpdateRng = `UPDATE big SET v = v + 1 WHERE id BETWEEN $1 AND $2`
	mvSelectG   = `SELECT s FROM agg WHERE g = $1`
)

// mvLoadSQL creates and fills dim (n/10 rows) and big (n rows) and the view.
// big.k = id % (n/10) + 1 joins every row of big to exactly one row of dim.
func mvLoadSQL(n int) (tables []string, view string) {
	dimN := n / 10
	return []string{
		`CREATE TABLE dim (id INT PRIMARY KEY, g INT)`,
		fmt.Sprintf(`INSERT INTO dim SELECT g, g %% %d FROM generate_series(1, %d) g`, mvGroups, dimN),
		`CREATE TABLE big (id INT PRIMARY KEY, k INT, v INT)`,
		fmt.Sprintf(`INSERT INTO big SELECT g, g %% %d + 1, g %% 97 FROM generate_series(1, %d) g`, dimN, n),
	}, `CREATE MATERIALIZED VIEW agg AS ` + mvViewQuery
}

// mvGroupOf is the view group of big's row id.
func mvGroupOf(id, n int) int { return (id%(n/10) + 1) % mvGroups }

func mvRows(tb testing.TB) int {
	n := 1_000_000
	if s := os.Getenv(mvRowsEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10_000 || v%1000 != 0 {
			tb.Fatalf("%s=%q: want a multiple of 1000, at least 10000", mvRowsEnv, s)
		}
		n = v
	}
	return n
}

// mvEnvSeconds reads a duration in seconds from env (def when unset).
func mvEnvSeconds(tb testing.TB, env string, def time.Duration) time.Duration {
	if s := os.Getenv(env); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			tb.Fatalf("%s=%q: want a number of seconds", env, s)
		}
		return time.Duration(v * float64(time.Second))
	}
	return def
}

// mvServer is an in-process streamsql behind a real TCP listener.
type mvServer struct {
	eng  *session.Engine
	srv  *pgwire.Server
	url  string
	done chan error
}

func mvStartServer(tb testing.TB) *mvServer {
	tb.Helper()
	dir := tb.TempDir()
	eng, err := session.Open(session.Options{DataDir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		tb.Fatal(err)
	}
	s := &mvServer{eng: eng, srv: pgwire.NewServer(eng, pgwire.Options{}), done: make(chan error, 1),
		url: "postgres://bench@" + ln.Addr().String() + "/bench?sslmode=disable"}
	go func() { s.done <- s.srv.Serve(ln) }()
	// Registered after TempDir's cleanup, so it runs before the directory goes.
	tb.Cleanup(func() {
		s.srv.Close()
		<-s.done
		if err := s.eng.Close(); err != nil {
			tb.Errorf("close streamsql engine: %v", err)
		}
	})
	return s
}

func mvConnect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mvExec(tb testing.TB, c *pgx.Conn, q string, args ...any) int64 {
	tb.Helper()
	tag, err := c.Exec(context.Background(), q, args...)
	if err != nil {
		tb.Fatalf("%.100s: %v", q, err)
	}
	return tag.RowsAffected()
}

// mvGroupRow is one row of the view: count and sum of a group.
type mvGroupRow struct{ n, s int64 }

func mvReadGroups(tb testing.TB, c *pgx.Conn, q string) map[int64]mvGroupRow {
	tb.Helper()
	rows, err := c.Query(context.Background(), q)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	m := map[int64]mvGroupRow{}
	for rows.Next() {
		var g, n, s int64
		if err := rows.Scan(&g, &n, &s); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		if _, dup := m[g]; dup {
			tb.Fatalf("%s: group %d twice", q, g)
		}
		m[g] = mvGroupRow{n, s}
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return m
}

// mvCompareGroups fails unless got and want hold the same groups.
func mvCompareGroups(tb testing.TB, got, want map[int64]mvGroupRow) {
	tb.Helper()
	bad := 0
	for g, w := range want {
		if r, ok := got[g]; !ok || r != w {
			if bad < 5 {
				tb.Errorf("group %d: view has %+v (present %v), batch query has %+v", g, r, ok, w)
			}
			bad++
		}
	}
	for g, r := range got {
		if _, ok := want[g]; !ok {
			if bad < 5 {
				tb.Errorf("group %d: view has %+v, batch query has no such group", g, r)
			}
			bad++
		}
	}
	if bad > 0 {
		tb.Fatalf("view differs from the batch query in %d of %d groups", bad, len(want))
	}
}

func mvPercentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// mvProfile starts a CPU profile of one phase if asked; call the result to
// stop it.
func mvProfile(tb testing.TB, phase string) func() {
	prefix := os.Getenv(mvProfileEnv)
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + "." + phase + ".prof")
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			tb.Error(err)
		}
	}
}

func mvMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func BenchmarkMV(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped under -short: loads a 1M-row table")
	}
	n := mvRows(b)
	ctx := context.Background()

	// ---- streamsql set-up, outside any timer ----
	srv := mvStartServer(b)
	c := mvConnect(b, srv.url)
	tables, view := mvLoadSQL(n)
	start := time.Now()
	for _, q := range tables {
		mvExec(b, c, q)
	}
	load := time.Since(start)
	start = time.Now()
	mvExec(b, c, view)
	create := time.Since(start)
	setup := fmt.Sprintf("streamsql: loaded big (%d rows) and dim (%d rows) in %v; CREATE MATERIALIZED VIEW in %v",
		n, n/10, load.Round(time.Millisecond), create.Round(time.Millisecond))
	mvCompareGroups(b, mvReadGroups(b, c, `SELECT g, n, s FROM agg`), mvReadGroups(b, c, mvViewQuery))
	if settle := mvEnvSeconds(b, mvSettleEnv, 0); settle > 0 {
		time.Sleep(settle)
		setup += fmt.Sprintf("; then idle %v before measuring", settle)
	}

	var ssMedian time.Duration // streamsql median update latency, for the ratio

	b.Run("UpdateLatency", func(b *testing.B) {
		sums := map[int64]int64{}
		for g, r := range mvReadGroups(b, c, `SELECT g, n, s FROM agg`) {
			sums[g] = r.s
		}
		b.Log(setup)
		rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
		var lat, updOnly []time.Duration
		stopProfile := mvProfile(b, "latency")
		b.ResetTimer()
		for range b.N {
			for range mvUpdates {
				id := rng.IntN(n) + 1
				g := int64(mvGroupOf(id, n))
				t0 := time.Now()
				tag, err := c.Exec(ctx, mvUpdateOne, id)
				t1 := time.Now()
				if err != nil {
					b.Fatalf("update id %d: %v", id, err)
				}
				if tag.RowsAffected() != 1 {
					b.Fatalf("update id %d: %d rows, want 1", id, tag.RowsAffected())
				}
				var s int64
				if err := c.QueryRow(ctx, mvSelectG, g).Scan(&s); err != nil {
					b.Fatalf("select group %d: %v", g, err)
				}
				t2 := time.Now()
				if s != sums[g]+1 {
					b.Fatalf("after UPDATE of id %d returned, agg.s for group %d is %d, want %d", id, g, s, sums[g]+1)
				}
				sums[g] = s
				lat = append(lat, t2.Sub(t0))
				updOnly = append(updOnly, t1.Sub(t0))
			}
		}
		b.StopTimer()
		stopProfile()
		slices.Sort(lat)
		slices.Sort(updOnly)
		ssMedian = mvPercentile(lat, 0.5)
		b.ReportMetric(mvMillis(ssMedian), "median-ms")
		b.ReportMetric(mvMillis(mvPercentile(lat, 0.99)), "p99-ms")
		b.ReportMetric(mvMillis(mvPercentile(updOnly, 0.5)), "update-only-median-ms")
		b.Logf("streamsql: %d single-row updates, UPDATE+SELECT latency median %v p99 %v max %v (UPDATE alone median %v p99 %v)",
			len(lat), ssMedian, mvPercentile(lat, 0.99), lat[len(lat)-1],
			mvPercentile(updOnly, 0.5), mvPercentile(updOnly, 0.99))
	})

	b.Run("Throughput", func(b *testing.B) {
		dur := mvEnvSeconds(b, mvSecondsEnv, 10*time.Second)
		if dur <= 0 {
			b.Fatalf("%s must be positive", mvSecondsEnv)
		}
		rng := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
		var rows int64
		var stmts int
		var elapsed time.Duration
		var lat []time.Duration
		stopProfile := mvProfile(b, "throughput")
		b.ResetTimer()
		for range b.N {
			start := time.Now()
			for time.Since(start) < dur {
				lo := rng.IntN(n-mvBatchRows+1) + 1
				t0 := time.Now()
				got, err := c.Exec(ctx, mvUpdateRng, lo, lo+mvBatchRows-1)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatalf("update %d..%d: %v", lo, lo+mvBatchRows-1, err)
				}
				if got.RowsAffected() != mvBatchRows {
					b.Fatalf("update %d..%d: %d rows, want %d", lo, lo+mvBatchRows-1, got.RowsAffected(), mvBatchRows)
				}
				rows += got.RowsAffected()
				stmts++
			}
			elapsed += time.Since(start)
		}
		b.StopTimer()
		stopProfile()
		rate := float64(rows) / elapsed.Seconds()
		slices.Sort(lat)
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(mvMillis(mvPercentile(lat, 0.5)), "stmt-median-ms")
		b.Logf("streamsql: %d UPDATEs of %d rows (%d rows) in %v: %.0f rows changed/s with agg current; statement median %v p99 %v",
			stmts, mvBatchRows, rows, elapsed.Round(time.Millisecond), rate, mvPercentile(lat, 0.5), mvPercentile(lat, 0.99))
		t0 := time.Now()
		mvCompareGroups(b, mvReadGroups(b, c, `SELECT g, n, s FROM agg`), mvReadGroups(b, c, mvViewQuery))
		b.Logf("streamsql: agg equals the batch query over big JOIN dim in all groups (check took %v)", time.Since(t0).Round(time.Millisecond))
	})

	b.Run("PostgresRefresh", func(b *testing.B) {
		url := os.Getenv(mvPGURLEnv)
		if url == "" {
			b.Skipf("%s not set", mvPGURLEnv)
		}
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			b.Fatal(err)
		}
		const schema = "streamsql_mvbench"
		admin := mvConnect(b, url)
		mvExec(b, admin, `SET client_min_messages = warning`)
		mvExec(b, admin, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		mvExec(b, admin, `CREATE SCHEMA `+schema)
		b.Cleanup(func() { admin.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`) })
		cfg.RuntimeParams["search_path"] = schema
		ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
		pg, err := pgx.ConnectConfig(ctx2, cfg)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { pg.Close(context.Background()) })
		var version string
		if err := pg.QueryRow(ctx, `SHOW server_version`).Scan(&version); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for _, q := range tables {
			mvExec(b, pg, q)
		}
		mvExec(b, pg, `VACUUM ANALYZE big, dim`) // what autovacuum would soon do
		load := time.Since(start)
		start = time.Now()
		mvExec(b, pg, view)
		create := time.Since(start)
		b.Logf("postgres %s: loaded in %v; CREATE MATERIALIZED VIEW in %v", version, load.Round(time.Millisecond), create.Round(time.Millisecond))

		var runs []time.Duration
		b.ResetTimer()
		for range b.N {
			for range mvPGRefreshes {
				t0 := time.Now()
				mvExec(b, pg, `REFRESH MATERIALIZED VIEW agg`)
				runs = append(runs, time.Since(t0))
			}
		}
		b.StopTimer()
		// The refreshed view must be right (and is the same data as streamsql
		// loaded, before its updates).
		mvCompareGroups(b, mvReadGroups(b, pg, `SELECT g, n, s FROM agg`), mvReadGroups(b, pg, mvViewQuery))
		slices.Sort(runs)
		med := runs[len(runs)/2]
		b.ReportMetric(mvMillis(med), "refresh-median-ms")
		msg := fmt.Sprintf("postgres: REFRESH MATERIALIZED VIEW agg %v (median of %d: %v)", med.Round(time.Microsecond), len(runs), runs)
		if ssMedian > 0 {
			ratio := float64(med) / float64(ssMedian)
			b.ReportMetric(ratio, "refresh/streamsql-median")
			msg += fmt.Sprintf("; ratio to streamsql median update latency %v: %.0fx", ssMedian, ratio)
		}
		b.Log(msg)
	})
}
