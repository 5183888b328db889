package main

// streamsql bench nexmark: generator -> query (a materialized view over the
// nexmark person/auction/bid sources) -> the view's state, in one process on
// a temporary data directory. Each query runs in a child process of its own
// so that CPU time and peak RSS are the query's alone.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamsql/streamsql/connectors/nexmark"
)

// benchResult is one query's figures (the --json format).
type benchResult struct {
	Query string `json:"query"`
	// Into is where the query's output goes: "blackhole" (a sink that
	// discards it, as in the published Nexmark setups) or "view" (a
	// materialized view storing it).
	Into                string  `json:"into"`
	Events              uint64  `json:"events"`
	Seconds             float64 `json:"seconds"`
	EventsPerSec        float64 `json:"events_per_sec"`
	EventsPerSecPerCore float64 `json:"events_per_sec_per_core"`
	PeakRSSBytes        int64   `json:"peak_rss_bytes"`
	StateBytes          uint64  `json:"state_bytes"`
	// Status is "ok", "unsupported" (the engine rejects the query's shape,
	// SQLSTATE 0A000) or "error"; Error says why.
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

func bench(args []string) int {
	if len(args) == 0 || args[0] != "nexmark" {
		fmt.Fprintln(os.Stderr, "usage: streamsql bench nexmark --query qN[,qM...] --events N [--parallelism P] [--json FILE]")
		return 2
	}
	fs := flag.NewFlagSet("bench nexmark", flag.ContinueOnError)
	queries := fs.String("query", "q0", "comma-separated nexmark queries (q0..q22), or 'all'")
	events := fs.Uint64("events", 1_000_000, "number of nexmark events (the combined stream)")
	par := fs.Int("parallelism", 1, "generator readers per source (nexmark.split.num)")
	stateEvery := fs.Duration("state-every", 0, "print the query's state size to stderr at this interval (0 = never)")
	into := fs.String("into", "blackhole", "where each query's output goes: blackhole (a sink discarding it) or view (a materialized view)")
	jsonOut := fs.String("json", "", "write the results as a JSON array to FILE")
	child := fs.Bool("child", false, "run one query in this process and print its result as JSON (internal)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var names []string
	if *queries == "all" {
		for q := range nexmarkQueries {
			names = append(names, q)
		}
		sort.Slice(names, func(i, j int) bool { return qnum(names[i]) < qnum(names[j]) })
	} else {
		for _, q := range strings.Split(*queries, ",") {
			q = strings.ToLower(strings.TrimSpace(q))
			if _, ok := nexmarkQueries[q]; !ok {
				fmt.Fprintf(os.Stderr, "streamsql bench: unknown query %q\n", q)
				return 2
			}
			names = append(names, q)
		}
	}
	if *child {
		if f := os.Getenv("STREAMSQL_CPUPROFILE"); f != "" {
			if pf, err := os.Create(f); err == nil {
				pprof.StartCPUProfile(pf)
				defer pprof.StopCPUProfile()
			}
		}
		r := runNexmarkQuery(names[0], *events, *par, *stateEvery, *into)
		json.NewEncoder(os.Stdout).Encode(r)
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamsql bench:", err)
		return 1
	}
	var results []benchResult
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tevents\tseconds\tevents/s\tevents/s/core\tpeak RSS MiB\tstate MiB\tstatus\t")
	tw.Flush()
	for _, q := range names {
		cmd := exec.Command(self, "bench", "nexmark", "--child", "--query", q,
			"--events", strconv.FormatUint(*events, 10), "--parallelism", strconv.Itoa(*par),
			"--state-every", stateEvery.String(), "--into", *into)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		var r benchResult
		if jerr := json.Unmarshal(out, &r); err != nil || jerr != nil {
			r = benchResult{Query: q, Events: *events, Status: "error", Error: fmt.Sprint("child failed: ", err, jerr)}
		}
		results = append(results, r)
		if r.Status == "ok" {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.0f\t%.1f\t%.1f\t%s\t\n", r.Query, r.Events, r.Seconds, r.EventsPerSec,
				r.EventsPerSecPerCore, float64(r.PeakRSSBytes)/(1<<20), float64(r.StateBytes)/(1<<20), r.Status)
		} else {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t%s: %s\t\n", r.Query, r.Events, r.Status, oneLine(r.Error))
		}
		tw.Flush()
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "streamsql bench:", err)
			return 1
		}
	}
	return 0
}

func nexmarkTableOf(name string) nexmark.Table {
	switch name {
	case "person":
		return nexmark.Person
	case "auction":
		return nexmark.Auction
	}
	return nexmark.Bid
}

// viewPrefix matches the head of a query written as a materialized view.
var viewPrefix = regexp.MustCompile(`(?is)^\s*CREATE\s+MATERIALIZED\s+VIEW\s+(\S+)\s+AS\s`)

// asBlackholeSink turns CREATE MATERIALIZED VIEW name AS q into
// CREATE SINK name AS q WITH (connector = 'blackhole'); other statements
// (q10's file sink) are left alone.
func asBlackholeSink(stmt string) string {
	m := viewPrefix.FindStringSubmatchIndex(stmt)
	if m == nil {
		return stmt
	}
	name := stmt[m[2]:m[3]]
	return "CREATE SINK " + name + " AS " + stmt[m[1]:] + "\nWITH (connector = 'blackhole')"
}

func qnum(q string) int { n, _ := strconv.Atoi(strings.TrimPrefix(q, "q")); return n }

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return s
}

// benchSetup declares the three nexmark sources (SPEC §9.3: three
// type-filtered views of one event sequence) and q13's side input, filled
// before any view exists; bid also has q12's processing-time column
// p_time. As in
// RisingWave's Nexmark setup, each source has a watermark 4 seconds behind
// its date_time, so windowed queries can close windows and drop state.
func benchSetup(events uint64, par int) []string {
	var out []string
	for _, t := range []string{"person", "auction", "bid"} {
		names, ts := nexmark.Schema(nexmarkTableOf(t))
		var cols []string
		for i, n := range names {
			cols = append(cols, n+" "+ts[i].String())
		}
		if t == "bid" {
			// q12's processing time (QUERIES.md §0.1).
			cols = append(cols, "p_time TIMESTAMPTZ AS PROCTIME()")
		}
		out = append(out, fmt.Sprintf(`CREATE SOURCE %s (%s,
			WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
			WITH (connector = 'nexmark', nexmark.table.type = '%s',
			nexmark.event.num = '%d', nexmark.split.num = '%d') FORMAT PLAIN ENCODE JSON`,
			t, strings.Join(cols, ", "), t, events, par))
	}
	return append(out, sideInputSetup()...)
}

// sideInputSetup creates and fills q13's side input (QUERIES.md §0.3:
// 10,000 rows (i, 'i'), as Flink's side-input file).
func sideInputSetup() []string {
	return []string{`CREATE TABLE side_input (key BIGINT PRIMARY KEY, value VARCHAR)`,
		`INSERT INTO side_input SELECT i, i::varchar FROM generate_series(0, 9999) AS i`}
}

// sinkPath matches the path option of a file sink's WITH clause.
var sinkPath = regexp.MustCompile(`path\s*=\s*'[^']*'`)

// runNexmarkQuery runs one query on a fresh database and measures it.
func runNexmarkQuery(q string, events uint64, par int, stateEvery time.Duration, into string) benchResult {
	res := benchResult{Query: q, Events: events, Into: into}
	fail := func(err error) benchResult {
		res.Status, res.Error = "error", err.Error()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "0A000" {
			res.Status = "unsupported"
		}
		return res
	}
	dir, err := os.MkdirTemp("", "streamsql-bench-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := Start(dir, "127.0.0.1:0", log)
	if err != nil {
		return fail(err)
	}
	defer srv.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://bench@"+srv.Addr().String()+"/bench?sslmode=disable")
	if err != nil {
		return fail(err)
	}
	defer conn.Close(ctx)
	for _, s := range benchSetup(events, par) {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fail(err)
		}
	}
	stmt := strings.TrimSpace(nexmarkQueries[q])
	if i := strings.LastIndex(stmt, ";"); i >= 0 {
		stmt = stmt[:i]
	}
	// A sink writing files writes them under the run's directory.
	stmt = sinkPath.ReplaceAllString(stmt, "path = '"+strings.ReplaceAll(filepath.Join(dir, "sink-out"), "'", "''")+"'")
	if into == "blackhole" {
		stmt = asBlackholeSink(stmt)
	}
	name := "nexmark_" + q
	if i := strings.Index(strings.ToUpper(stmt), " AS"); i > 0 {
		if f := strings.Fields(stmt[:i]); len(f) > 0 {
			name = f[len(f)-1]
		}
	}
	cpu0 := cpuTime()
	t0 := time.Now()
	if _, err := conn.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fail(err)
	}
	if stateEvery > 0 {
		stop := make(chan struct{})
		defer close(stop)
		go reportState(srv, q, name, t0, stateEvery, stop)
	}
	if err := srv.engine.WaitSources(ctx); err != nil {
		return fail(err)
	}
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		return fail(err)
	}
	// A sink's figure includes delivering everything to its target.
	if err := srv.engine.WaitSinks(ctx); err != nil {
		return fail(err)
	}
	res.Seconds = time.Since(t0).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	res.EventsPerSec = float64(events) / res.Seconds
	if cpu > 0 {
		res.EventsPerSecPerCore = float64(events) / cpu
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		res.PeakRSSBytes = int64(ru.Maxrss) * 1024 // Linux reports KiB
	}
	if os.Getenv("STREAMSQL_PEBBLE_METRICS") != "" {
		fmt.Fprintln(os.Stderr, srv.engine.StoreMetrics())
	}
	if n, err := srv.engine.StateBytes(name); err == nil {
		res.StateBytes = n
	}
	res.Status = "ok"
	return res
}

// reportState prints, every interval until stop, how many rows the
// largest source has committed (a nexmark source's table index) and the
// view's state size (after a mem-table
// flush, like the final figure).
func reportState(srv *Server, q, view string, t0 time.Time, every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var consumed uint64
		for _, src := range []string{"person", "auction", "bid"} {
			if n, err := srv.engine.SourceEventOffset(src); err == nil && n > consumed {
				consumed = n
			}
		}
		rows, ops, err := srv.engine.StateBytesSplit(view)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s t=%.0fs state: %v\n", q, time.Since(t0).Seconds(), err)
			continue
		}
		fmt.Fprintf(os.Stderr, "%s t=%.0fs source_rows=%d operator_state=%.1f MiB output_rows=%.1f MiB\n",
			q, time.Since(t0).Seconds(), consumed, float64(ops)/(1<<20), float64(rows)/(1<<20))
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
