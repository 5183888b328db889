package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/pgwire/session"
)

// pgURLEnv names the PostgreSQL database to compare against.
const pgURLEnv = "STREAMSQL_BENCH_PG_URL"

const (
	benchRows     = 1_000_000 // rows of src in the benchmarks
	testRows      = 10_000    // rows of src in TestBenchQueriesAgree
	lookupsPerOp  = 1_000     // point selects per PointSelect iteration
	concurrentCon = 4         // connections of the concurrent PointSelect
)

// The workloads. The SQL is the same on both engines.
const (
	insertSelectSQL = `INSERT INTO dst SELECT * FROM src`
	groupBySQL      = `SELECT k, count(*), sum(v), avg(v) FROM src GROUP BY k`
	hashJoinSQL     = `SELECT count(*), sum(a.v + b.w) FROM src a JOIN dim b ON a.k2 = b.id`
	pointSelectSQL  = `SELECT v FROM src WHERE id = $1`
	createDstSQL    = `CREATE TABLE dst (id bigint primary key, k int, k2 int, v double precision, s text)`
	checkDstSQL     = `SELECT count(*), sum(k), sum(v), min(id), max(id) FROM dst`
)

// The data, as functions of the row id; the load SQL below computes the same.
func srcK(id int64) int64        { return id % 1000 }
func srcV(id int64) float64      { return float64(id%7919) * 0.25 }
func dimW(id int64) float64      { return float64(id%100) * 0.5 }
func dimRows(n int) int          { return n / 10 }
func srcK2(id, dimN int64) int64 { return id%dimN + 1 }

// loadSQL generates src (n rows) and dim (n/10 rows) server-side: a cross
// join of the 1000-row table seq with itself numbers the rows.
func loadSQL(n int) []string {
	if n%1000 != 0 || dimRows(n)%1000 != 0 {
		panic("row counts must be multiples of 1000")
	}
	var vals strings.Builder
	for i := 1; i <= 1000; i++ {
		if i > 1 {
			vals.WriteString(",")
		}
		fmt.Fprintf(&vals, "(%d)", i)
	}
	ids := func(rows int) string {
		return fmt.Sprintf("(SELECT a.n + (b.n - 1) * 1000 AS id FROM seq a CROSS JOIN seq b WHERE b.n <= %d) t", rows/1000)
	}
	return []string{
		`CREATE TABLE seq (n bigint primary key)`,
		`INSERT INTO seq VALUES ` + vals.String(),
		`CREATE TABLE src (id bigint primary key, k int, k2 int, v double precision, s text)`,
		fmt.Sprintf(`INSERT INTO src SELECT id, id %% 1000, id %% %d + 1, (id %% 7919) * 0.25, 'row-' || id FROM %s`, dimRows(n), ids(n)),
		`CREATE TABLE dim (id bigint primary key, w double precision)`,
		fmt.Sprintf(`INSERT INTO dim SELECT id, (id %% 100) * 0.5 FROM %s`, ids(dimRows(n))),
	}
}

// ---- expected results ----

type group struct {
	K     int64
	Count int64
	Sum   float64
	Avg   float64
}

type dstCheck struct {
	Count, SumK, MinID, MaxID int64
	SumV                      float64
}

type expected struct {
	groups    []group // by k
	joinCount int64
	joinSum   float64
	dst       dstCheck
}

var (
	expMu    sync.Mutex
	expCache = map[int]*expected{}
)

func expect(n int) *expected {
	expMu.Lock()
	defer expMu.Unlock()
	if e := expCache[n]; e != nil {
		return e
	}
	dimN := int64(dimRows(n))
	e := &expected{groups: make([]group, 1000)}
	for k := range e.groups {
		e.groups[k].K = int64(k)
	}
	e.dst = dstCheck{MinID: 1, MaxID: int64(n)}
	for id := int64(1); id <= int64(n); id++ {
		g := &e.groups[srcK(id)]
		g.Count++
		g.Sum += srcV(id)
		e.joinCount++
		e.joinSum += srcV(id) + dimW(srcK2(id, dimN))
		e.dst.Count++
		e.dst.SumK += srcK(id)
		e.dst.SumV += srcV(id)
	}
	for k := range e.groups {
		e.groups[k].Avg = e.groups[k].Sum / float64(e.groups[k].Count)
	}
	expCache[n] = e
	return e
}

// near reports whether two floats agree to 1e-9 relative (the data are
// multiples of 1/4, so sums are exact; averages may differ in the last bit).
func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// ---- fixtures: a loaded database per engine and size ----

type fixture struct {
	engine  string // "streamsql" or "postgres"
	n       int
	connect func(ctx context.Context) (*pgx.Conn, error)
	conn    *pgx.Conn
	extra   []*pgx.Conn // concurrent connections, opened lazily
	load    time.Duration
	cleanup []func()
}

var (
	fixMu    sync.Mutex
	fixtures = map[string]*fixture{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	fixMu.Lock()
	for _, f := range fixtures {
		f.close()
	}
	fixMu.Unlock()
	os.Exit(code)
}

// getFixture returns the engine's database loaded with n rows, creating it
// on first use. The postgres engine is skipped without STREAMSQL_BENCH_PG_URL.
func getFixture(tb testing.TB, engine string, n int) *fixture {
	tb.Helper()
	if engine == "postgres" && os.Getenv(pgURLEnv) == "" {
		tb.Skipf("%s not set", pgURLEnv)
	}
	fixMu.Lock()
	defer fixMu.Unlock()
	key := fmt.Sprintf("%s/%d", engine, n)
	if f := fixtures[key]; f != nil {
		return f
	}
	f := &fixture{engine: engine, n: n}
	var err error
	if engine == "streamsql" {
		err = f.startStreamsql()
	} else {
		err = f.startPostgres()
	}
	if err == nil {
		err = f.populate()
	}
	if err != nil {
		f.close()
		tb.Fatalf("%s: set up %d rows: %v", engine, n, err)
	}
	tb.Logf("%s: loaded src (%d rows) and dim (%d rows) in %v", engine, n, dimRows(n), f.load.Round(time.Millisecond))
	fixtures[key] = f
	return f
}

func (f *fixture) startStreamsql() error {
	dir, err := os.MkdirTemp("", "streamsql-bench-")
	if err != nil {
		return err
	}
	f.cleanup = append(f.cleanup, func() { os.RemoveAll(dir) })
	eng, err := session.Open(session.Options{DataDir: dir})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		return err
	}
	srv := pgwire.NewServer(eng, pgwire.Options{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	// Cleanups run last-in first-out: connections, then server, then engine.
	f.cleanup = append(f.cleanup, func() {
		srv.Close()
		<-done
		if err := eng.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: close streamsql engine: %v\n", err)
		}
	})
	url := "postgres://bench@" + ln.Addr().String() + "/bench?sslmode=disable"
	f.connect = func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) }
	return nil
}

func (f *fixture) startPostgres() error {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(os.Getenv(pgURLEnv))
	if err != nil {
		return err
	}
	schema := fmt.Sprintf("streamsql_bench_%d", f.n)
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	for _, q := range []string{
		`SET client_min_messages = warning`,
		`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`,
		`CREATE SCHEMA ` + schema,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	f.cleanup = append(f.cleanup, func() {
		c, err := pgx.ConnectConfig(context.Background(), cfg)
		if err == nil {
			c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	cfg.RuntimeParams["search_path"] = schema
	f.connect = func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) }
	return nil
}

func (f *fixture) populate() error {
	ctx := context.Background()
	c, err := f.connect(ctx)
	if err != nil {
		return err
	}
	f.conn = c
	start := time.Now()
	stmts := loadSQL(f.n)
	if f.engine == "postgres" {
		// What autovacuum would soon do: statistics and visibility map.
		stmts = append(stmts, `VACUUM ANALYZE seq, src, dim`)
	}
	for _, q := range stmts {
		if _, err := c.Exec(ctx, q); err != nil {
			return fmt.Errorf("%.80s: %w", q, err)
		}
	}
	f.load = time.Since(start)
	return nil
}

// conns returns k connections for concurrent work (the first is f.conn).
func (f *fixture) conns(tb testing.TB, k int) []*pgx.Conn {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	for len(f.extra) < k-1 {
		c, err := f.connect(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		f.extra = append(f.extra, c)
	}
	return append([]*pgx.Conn{f.conn}, f.extra[:k-1]...)
}

func (f *fixture) close() {
	ctx := context.Background()
	for _, c := range append([]*pgx.Conn{f.conn}, f.extra...) {
		if c != nil {
			c.Close(ctx)
		}
	}
	for i := len(f.cleanup) - 1; i >= 0; i-- {
		f.cleanup[i]()
	}
}

// ---- the workloads, each checking its answer ----

func execSQL(c *pgx.Conn, q string) (string, error) {
	tag, err := c.Exec(context.Background(), q)
	if err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	return tag.String(), nil
}

// resetDst (re)creates the empty target table of InsertSelect.
func resetDst(c *pgx.Conn) error {
	if _, err := execSQL(c, `DROP TABLE IF EXISTS dst`); err != nil {
		return err
	}
	_, err := execSQL(c, createDstSQL)
	return err
}

func insertSelect(c *pgx.Conn, n int) error {
	tag, err := execSQL(c, insertSelectSQL)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("INSERT 0 %d", n); tag != want {
		return fmt.Errorf("%s: tag %q, want %q", insertSelectSQL, tag, want)
	}
	return nil
}

func readDst(c *pgx.Conn) (dstCheck, error) {
	var d dstCheck
	err := c.QueryRow(context.Background(), checkDstSQL).Scan(&d.Count, &d.SumK, &d.SumV, &d.MinID, &d.MaxID)
	if err != nil {
		return d, fmt.Errorf("%s: %w", checkDstSQL, err)
	}
	return d, nil
}

func checkDst(d dstCheck, e *expected) error {
	w := e.dst
	if d.Count != w.Count || d.SumK != w.SumK || d.MinID != w.MinID || d.MaxID != w.MaxID || !near(d.SumV, w.SumV) {
		return fmt.Errorf("dst after INSERT ... SELECT: got %+v, want %+v", d, w)
	}
	return nil
}

func groupBy(c *pgx.Conn) ([]group, error) {
	rows, err := c.Query(context.Background(), groupBySQL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", groupBySQL, err)
	}
	var gs []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.K, &g.Count, &g.Sum, &g.Avg); err != nil {
			rows.Close()
			return nil, err
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", groupBySQL, err)
	}
	return gs, nil
}

func checkGroups(gs []group, e *expected) error {
	gs = append([]group(nil), gs...)
	sort.Slice(gs, func(i, j int) bool { return gs[i].K < gs[j].K })
	if len(gs) != len(e.groups) {
		return fmt.Errorf("GROUP BY: %d groups, want %d", len(gs), len(e.groups))
	}
	for i, g := range gs {
		w := e.groups[i]
		if g.K != w.K || g.Count != w.Count || !near(g.Sum, w.Sum) || !near(g.Avg, w.Avg) {
			return fmt.Errorf("GROUP BY: group %+v, want %+v", g, w)
		}
	}
	return nil
}

func hashJoin(c *pgx.Conn) (count int64, sum float64, err error) {
	if err := c.QueryRow(context.Background(), hashJoinSQL).Scan(&count, &sum); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", hashJoinSQL, err)
	}
	return count, sum, nil
}

func checkJoin(count int64, sum float64, e *expected) error {
	if count != e.joinCount || !near(sum, e.joinSum) {
		return fmt.Errorf("JOIN: count %d sum %v, want %d and %v", count, sum, e.joinCount, e.joinSum)
	}
	return nil
}

// pointSelects runs k lookups of random ids in [1, n], checking each value.
// pgx prepares the statement once per connection and reuses it.
func pointSelects(c *pgx.Conn, rng *rand.Rand, n, k int) error {
	ctx := context.Background()
	for i := 0; i < k; i++ {
		id := rng.Int64N(int64(n)) + 1
		var v float64
		if err := c.QueryRow(ctx, pointSelectSQL, id).Scan(&v); err != nil {
			return fmt.Errorf("%s [%d]: %w", pointSelectSQL, id, err)
		}
		if v != srcV(id) {
			return fmt.Errorf("%s [%d]: got %v, want %v", pointSelectSQL, id, v, srcV(id))
		}
	}
	return nil
}

// ---- benchmarks ----

var engines = []string{"streamsql", "postgres"}

func BenchmarkInsertSelect1M(b *testing.B) {
	e := expect(benchRows)
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			f := getFixture(b, engine, benchRows)
			checked := false
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := resetDst(f.conn); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := insertSelect(f.conn, benchRows); err != nil {
					b.Fatal(err)
				}
				if !checked {
					b.StopTimer()
					d, err := readDst(f.conn)
					if err == nil {
						err = checkDst(d, e)
					}
					if err != nil {
						b.Fatal(err)
					}
					checked = true
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			if _, err := execSQL(f.conn, `DROP TABLE dst`); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkGroupBy1M(b *testing.B) {
	e := expect(benchRows)
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			f := getFixture(b, engine, benchRows)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				gs, err := groupBy(f.conn)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.StopTimer()
					if err := checkGroups(gs, e); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkHashJoin1Mx100k(b *testing.B) {
	e := expect(benchRows)
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			f := getFixture(b, engine, benchRows)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				count, sum, err := hashJoin(f.conn)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					if err := checkJoin(count, sum, e); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}

// BenchmarkPointSelect: one iteration is lookupsPerOp prepared primary-key
// lookups, from one connection or spread over concurrentCon connections.
func BenchmarkPointSelect(b *testing.B) {
	for _, engine := range engines {
		for _, k := range []int{1, concurrentCon} {
			name := engine
			if k > 1 {
				name = fmt.Sprintf("%s-%dconns", engine, k)
			}
			b.Run(name, func(b *testing.B) {
				f := getFixture(b, engine, benchRows)
				conns := f.conns(b, k)
				// Prepare on every connection (and warm up) outside the timer.
				for i, c := range conns {
					if err := pointSelects(c, rand.New(rand.NewPCG(99, uint64(i))), benchRows, 10); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var wg sync.WaitGroup
					errs := make([]error, k)
					for j, c := range conns {
						wg.Add(1)
						go func() {
							defer wg.Done()
							rng := rand.New(rand.NewPCG(uint64(i), uint64(j)))
							errs[j] = pointSelects(c, rng, benchRows, lookupsPerOp/k)
						}()
					}
					wg.Wait()
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				lookups := float64(lookupsPerOp) * float64(b.N)
				b.ReportMetric(float64(b.Elapsed().Microseconds())/lookups, "us/lookup")
				b.ReportMetric(lookups/b.Elapsed().Seconds(), "lookups/s")
			})
		}
	}
}

// ---- the quick correctness test ----

type answers struct {
	dst       dstCheck
	groups    []group
	joinCount int64
	joinSum   float64
}

// TestBenchQueriesAgree runs every benchmark query at 10k rows, checks the
// answers against the expected values and, with STREAMSQL_BENCH_PG_URL
// set, that streamsql and PostgreSQL return the same results.
func TestBenchQueriesAgree(t *testing.T) {
	e := expect(testRows)
	got := map[string]*answers{}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			f := getFixture(t, engine, testRows)
			a := &answers{}
			var err error
			if err = resetDst(f.conn); err == nil {
				if err = insertSelect(f.conn, testRows); err == nil {
					a.dst, err = readDst(f.conn)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkDst(a.dst, e); err != nil {
				t.Error(err)
			}
			if _, err := execSQL(f.conn, `DROP TABLE dst`); err != nil {
				t.Fatal(err)
			}
			if a.groups, err = groupBy(f.conn); err != nil {
				t.Fatal(err)
			}
			if err := checkGroups(a.groups, e); err != nil {
				t.Error(err)
			}
			if a.joinCount, a.joinSum, err = hashJoin(f.conn); err != nil {
				t.Fatal(err)
			}
			if err := checkJoin(a.joinCount, a.joinSum, e); err != nil {
				t.Error(err)
			}
			if err := pointSelects(f.conn, rand.New(rand.NewPCG(1, 2)), testRows, 200); err != nil {
				t.Error(err)
			}
			// A missing id returns no row on both engines.
			var v float64
			if err := f.conn.QueryRow(context.Background(), pointSelectSQL, int64(testRows+1)).Scan(&v); err != pgx.ErrNoRows {
				t.Errorf("%s [%d]: got %v (err %v), want no rows", pointSelectSQL, testRows+1, v, err)
			}
			got[engine] = a
		})
	}
	s, p := got["streamsql"], got["postgres"]
	if s == nil || p == nil {
		return
	}
	if s.dst.Count != p.dst.Count || s.dst.SumK != p.dst.SumK || !near(s.dst.SumV, p.dst.SumV) {
		t.Errorf("INSERT ... SELECT: streamsql %+v, postgres %+v", s.dst, p.dst)
	}
	sortGroups := func(gs []group) []group {
		gs = append([]group(nil), gs...)
		sort.Slice(gs, func(i, j int) bool { return gs[i].K < gs[j].K })
		return gs
	}
	sg, pg := sortGroups(s.groups), sortGroups(p.groups)
	if len(sg) != len(pg) {
		t.Errorf("GROUP BY: streamsql %d groups, postgres %d", len(sg), len(pg))
	} else {
		for i := range sg {
			if sg[i].K != pg[i].K || sg[i].Count != pg[i].Count || !near(sg[i].Sum, pg[i].Sum) || !near(sg[i].Avg, pg[i].Avg) {
				t.Errorf("GROUP BY: streamsql %+v, postgres %+v", sg[i], pg[i])
				break
			}
		}
	}
	if s.joinCount != p.joinCount || !near(s.joinSum, p.joinSum) {
		t.Errorf("JOIN: streamsql (%d, %v), postgres (%d, %v)", s.joinCount, s.joinSum, p.joinCount, p.joinSum)
	}
}
