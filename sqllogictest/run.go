package sqllogictest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configures Run.
type Options struct {
	// Addr is the server to run against: "host:port" or a full connection
	// string ("postgres://..."). "" starts a server per file via StartServer.
	Addr string
	// StartServer starts an in-process server on an empty data directory
	// and returns its "host:port" and a function that stops it.
	StartServer func(dataDir string) (addr string, stop func() error, err error)
	// Mode is "batch" (default), "view" or "incremental".
	Mode string
	// Jobs is how many files run at once (default 1).
	Jobs int
	// AnyError makes "statement error <pattern>" and "query error <pattern>"
	// pass on any error.
	AnyError bool
	// NoFail makes Main exit 0 even when records failed.
	NoFail bool
	// JSONPath, when set, receives the per-file and total counts as JSON.
	JSONPath string
	// SkipListPath is the skip list: "" is the list built into the package
	// (sqllogictest/skiplist.txt), "none" disables it.
	SkipListPath string
	// MaxFailuresShown is how many failures are printed per file (default 3;
	// negative shows none).
	MaxFailuresShown int
	// Out receives the report; nil prints nothing.
	Out io.Writer
	// Database and User are used to connect ("" = "postgres" for both);
	// a connection string in Addr takes precedence.
	Database, User string
	// Timeout bounds each SQL round trip (0 = none).
	Timeout time.Duration
	// Isolation, with Addr set, keeps files apart: "drop" (default) drops
	// the tables and views a file creates before and after it; "database"
	// runs each file in a fresh database made with CREATE DATABASE.
	Isolation string
}

// FileResult is the outcome of one test file. Skipped counts every skipped
// record, including those skipped by the skip list (SkippedByList) and by
// the mode (SkippedByMode: the materialized view was not supported).
type FileResult struct {
	Path          string
	Passed        int
	Failed        int
	Skipped       int
	SkippedByList int
	SkippedByMode int
	// ModeSkips counts the records skipped by mode per refusal message
	// (the 0A000 error of CREATE MATERIALIZED VIEW).
	ModeSkips map[string]int
	Failures  []Failure
	Duration  time.Duration
	// Error is set when the file could not be run at all (parse error,
	// server or connection failure); such a file also counts one failure.
	Error string
}

// Summary totals a run.
type Summary struct {
	Files         []FileResult
	Passed        int
	Failed        int
	Skipped       int
	SkippedByList int
	SkippedByMode int
	ModeSkips     map[string]int // per refusal message, as in FileResult
	Duration      time.Duration
}

// CollectFiles expands paths: directories are walked recursively for
// *.test and *.slt files (sorted); files are taken as given.
func CollectFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".test") || strings.HasSuffix(path, ".slt")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func (o *Options) connConfig(addr, database string) (*pgx.ConnConfig, error) {
	connString := addr
	if !strings.Contains(addr, "://") && !strings.Contains(addr, "=") {
		user, db := o.User, o.Database
		if user == "" {
			user = "postgres"
		}
		if db == "" {
			db = "postgres"
		}
		connString = fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", url.User(user).String(), addr, url.PathEscape(db))
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	if strings.Contains(addr, "://") || strings.Contains(addr, "=") {
		if o.User != "" {
			cfg.User = o.User
		}
		if o.Database != "" {
			cfg.Database = o.Database
		}
	}
	if database != "" {
		cfg.Database = database
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.StatementCacheCapacity = 0
	cfg.DescriptionCacheCapacity = 0
	return cfg, nil
}

var dbSeq atomic.Int64

// runFile runs one file and returns its result.
func runFile(ctx context.Context, path string, opts *Options, skip *SkipList) (res FileResult) {
	start := time.Now()
	res.Path = path
	defer func() { res.Duration = time.Since(start) }()
	failFile := func(err error) FileResult {
		res.Error = err.Error()
		res.Failed++
		return res
	}
	recs, err := ParseFile(path)
	if err != nil {
		return failFile(err)
	}
	fr := &fileRunner{ctx: ctx, opts: opts, conns: map[string]*pgx.Conn{}, skip: skip, res: &res, labels: map[string]string{}}
	defer fr.closeAll()
	addr := opts.Addr
	if addr == "" {
		if opts.StartServer == nil {
			return failFile(fmt.Errorf("no --addr and no in-process server"))
		}
		dir, err := os.MkdirTemp("", "slt-data-*")
		if err != nil {
			return failFile(err)
		}
		defer os.RemoveAll(dir)
		a, stop, err := opts.StartServer(dir)
		if err != nil {
			return failFile(fmt.Errorf("start server: %w", err))
		}
		defer func() {
			fr.closeAll()
			if err := stop(); err != nil && res.Error == "" {
				res.Error = "stop server: " + err.Error()
			}
		}()
		addr = a
	}
	cfg, err := opts.connConfig(addr, "")
	if err != nil {
		return failFile(err)
	}
	fr.cfg = cfg
	if opts.Addr != "" {
		switch opts.Isolation {
		case "database":
			admin, err := pgx.ConnectConfig(ctx, cfg.Copy())
			if err != nil {
				return failFile(fmt.Errorf("connect: %w", err))
			}
			db := fmt.Sprintf("slt_%d_%d", os.Getpid(), dbSeq.Add(1))
			if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
				admin.Close(ctx)
				return failFile(fmt.Errorf("create database: %w", err))
			}
			defer func() {
				fr.closeAll()
				admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
				admin.Close(context.Background())
			}()
			fr.cfg = cfg.Copy()
			fr.cfg.Database = db
		default:
			if _, err := fr.conn(""); err != nil {
				return failFile(err)
			}
			fr.dropRelations(relationsCreatedBy(recs))
			defer func() { fr.dropRelations(fr.created) }()
		}
	}
	if _, err := fr.conn(""); err != nil {
		return failFile(err)
	}
	fr.run(recs)
	return res
}

// Run runs the test files found under paths and reports to opts.Out: one
// line per file, the first failures of each file, and the totals as the
// last line. It writes opts.JSONPath when set. The error is for problems
// that stop the whole run (bad options, missing paths); record failures
// are in the Summary.
func Run(ctx context.Context, paths []string, opts Options) (Summary, error) {
	var sum Summary
	start := time.Now()
	switch opts.Mode {
	case "":
		opts.Mode = "batch"
	case "batch", "view", "incremental":
	default:
		return sum, fmt.Errorf("unknown mode %q (want batch, view or incremental)", opts.Mode)
	}
	switch opts.Isolation {
	case "", "drop", "database":
	default:
		return sum, fmt.Errorf("unknown isolation %q (want drop or database)", opts.Isolation)
	}
	if opts.MaxFailuresShown == 0 {
		opts.MaxFailuresShown = 3
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	skip, err := LoadSkipList(opts.SkipListPath)
	if err != nil {
		return sum, fmt.Errorf("skip list: %w", err)
	}
	files, err := CollectFiles(paths)
	if err != nil {
		return sum, err
	}
	jobs := max(opts.Jobs, 1)
	if opts.Addr != "" && opts.Isolation != "database" && jobs > 1 {
		fmt.Fprintf(out, "note: with --addr and drop isolation files share one database; running them one at a time (use --isolation database for -j)\n")
		jobs = 1
	}
	results := make([]FileResult, len(files))
	done := make([]bool, len(files))
	var mu sync.Mutex
	next := 0
	printReady := func() {
		for next < len(files) && done[next] {
			printFile(out, &results[next], opts.MaxFailuresShown)
			next++
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(jobs, max(len(files), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := runFile(ctx, files[i], &opts, skip)
				mu.Lock()
				results[i], done[i] = r, true
				printReady()
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	for i := range files {
		if !done[i] {
			continue
		}
		r := results[i]
		sum.Files = append(sum.Files, r)
		sum.Passed += r.Passed
		sum.Failed += r.Failed
		sum.Skipped += r.Skipped
		sum.SkippedByList += r.SkippedByList
		sum.SkippedByMode += r.SkippedByMode
		for msg, n := range r.ModeSkips {
			if sum.ModeSkips == nil {
				sum.ModeSkips = map[string]int{}
			}
			sum.ModeSkips[msg] += n
		}
	}
	sum.Duration = time.Since(start)
	if opts.JSONPath != "" {
		if err := writeJSON(opts.JSONPath, &sum); err != nil {
			return sum, err
		}
	}
	if sum.SkippedByList > 0 || skip.Len() > 0 {
		fmt.Fprintf(out, "skipped by the skip list: %d (%d entries)\n", sum.SkippedByList, skip.Len())
	}
	if opts.Mode != "batch" {
		fmt.Fprintf(out, "skipped by %s mode (materialized view not supported): %d\n", opts.Mode, sum.SkippedByMode)
		printModeSkips(out, sum.ModeSkips)
	}
	fmt.Fprintf(out, "%d files in %.1fs\n", len(sum.Files), sum.Duration.Seconds())
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", sum.Passed, sum.Failed, sum.Skipped)
	return sum, ctx.Err()
}

const maxLinesShown = 12

// printModeSkips lists the refusal messages behind the records skipped by
// mode, most frequent first, so a run shows which view shapes are refused.
func printModeSkips(out io.Writer, skips map[string]int) {
	msgs := make([]string, 0, len(skips))
	for m := range skips {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if skips[msgs[i]] != skips[msgs[j]] {
			return skips[msgs[i]] > skips[msgs[j]]
		}
		return msgs[i] < msgs[j]
	})
	for _, m := range msgs {
		fmt.Fprintf(out, "  %6d  %s\n", skips[m], m)
	}
}

func printLines(w io.Writer, title string, lines []string) {
	fmt.Fprintf(w, "    %s:\n", title)
	for i, l := range lines {
		if i == maxLinesShown {
			fmt.Fprintf(w, "      ... (%d lines in all)\n", len(lines))
			break
		}
		fmt.Fprintf(w, "      %s\n", l)
	}
}

func printFile(w io.Writer, r *FileResult, maxShown int) {
	fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped", r.Path, r.Passed, r.Failed, r.Skipped)
	var extra []string
	if r.SkippedByList > 0 {
		extra = append(extra, fmt.Sprintf("%d by skip list", r.SkippedByList))
	}
	if r.SkippedByMode > 0 {
		extra = append(extra, fmt.Sprintf("%d by mode", r.SkippedByMode))
	}
	extra = append(extra, fmt.Sprintf("%.2fs", r.Duration.Seconds()))
	fmt.Fprintf(w, " (%s)\n", strings.Join(extra, ", "))
	if r.Error != "" {
		fmt.Fprintf(w, "  ERROR: %s\n", r.Error)
	}
	for i, f := range r.Failures {
		if i >= maxShown {
			fmt.Fprintf(w, "  ... and %d more failures\n", len(r.Failures)-maxShown)
			break
		}
		fmt.Fprintf(w, "  FAIL %s:%d: %s\n", f.File, f.Line, f.Reason)
		printLines(w, "sql", strings.Split(f.SQL, "\n"))
		if f.Actual != nil || f.Expected != nil {
			printLines(w, "expected", f.Expected)
			printLines(w, "actual", f.Actual)
		}
	}
}

type jsonFile struct {
	Path          string  `json:"path"`
	Passed        int     `json:"passed"`
	Failed        int     `json:"failed"`
	Skipped       int     `json:"skipped"`
	SkippedByList int     `json:"skipped_by_list"`
	SkippedByMode int     `json:"skipped_by_mode"`
	Seconds       float64 `json:"seconds"`
	Error         string  `json:"error,omitempty"`
}

func writeJSON(path string, s *Summary) error {
	doc := struct {
		Files         []jsonFile `json:"files"`
		Passed        int        `json:"passed"`
		Failed        int        `json:"failed"`
		Skipped       int        `json:"skipped"`
		SkippedByList int        `json:"skipped_by_list"`
		SkippedByMode int        `json:"skipped_by_mode"`
		Seconds       float64    `json:"seconds"`
	}{Files: []jsonFile{}, Passed: s.Passed, Failed: s.Failed, Skipped: s.Skipped,
		SkippedByList: s.SkippedByList, SkippedByMode: s.SkippedByMode, Seconds: s.Duration.Seconds()}
	for _, f := range s.Files {
		doc.Files = append(doc.Files, jsonFile{f.Path, f.Passed, f.Failed, f.Skipped, f.SkippedByList, f.SkippedByMode, f.Duration.Seconds(), f.Error})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Main implements "streamsql slt [flags] PATH...": it parses args (flags
// may come before or after the paths), runs, prints to stdout and returns
// the exit status: 0 when nothing failed (or --no-fail), 1 when records
// failed, 2 for usage errors.
func Main(args []string, startServer func(dataDir string) (string, func() error, error)) int {
	fs := flag.NewFlagSet("slt", flag.ContinueOnError)
	opts := Options{StartServer: startServer, Out: os.Stdout}
	fs.StringVar(&opts.Addr, "addr", "", "run against a server that is already up (host:port or postgres:// URL)")
	fs.StringVar(&opts.Mode, "mode", "batch", "batch, view or incremental")
	fs.IntVar(&opts.Jobs, "j", 1, "files to run in parallel")
	fs.BoolVar(&opts.AnyError, "any-error", false, "expected-error records pass on any error message")
	fs.BoolVar(&opts.NoFail, "no-fail", false, "exit 0 even when records fail")
	fs.StringVar(&opts.JSONPath, "json", "", "write per-file totals as JSON to this file")
	fs.StringVar(&opts.SkipListPath, "skiplist", "", "skip list file (default: the built-in list; \"none\" for no list)")
	fs.IntVar(&opts.MaxFailuresShown, "max-failures", 3, "failures shown per file")
	fs.StringVar(&opts.Database, "database", "", "database to connect to (default postgres)")
	fs.StringVar(&opts.User, "user", "", "user to connect as (default postgres)")
	fs.DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "limit for each SQL round trip (0 = none)")
	fs.StringVar(&opts.Isolation, "isolation", "drop", "with --addr: drop (drop the file's objects) or database (a fresh database per file)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: streamsql slt [flags] PATH...\n")
		fs.PrintDefaults()
	}
	var paths []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		paths = append(paths, rest[0])
		rest = rest[1:]
	}
	if len(paths) == 0 {
		fs.Usage()
		return 2
	}
	if opts.MaxFailuresShown == 0 {
		opts.MaxFailuresShown = -1
	}
	sum, err := Run(context.Background(), paths, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "slt: %v\n", err)
		return 2
	}
	if sum.Failed > 0 && !opts.NoFail {
		return 1
	}
	return 0
}
