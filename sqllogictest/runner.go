package sqllogictest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EngineLabel is the name skipif/onlyif records are matched against.
const EngineLabel = "postgresql"

// Failure describes one failed record.
type Failure struct {
	File     string   // file of the record (an included file's own path)
	Line     int      // line of the record's keyword
	SQL      string   // the record's SQL
	Reason   string   // what went wrong
	Expected []string // expected result lines, when relevant
	Actual   []string // actual result lines, when relevant
}

// status of one record.
type status int

const (
	stPass status = iota
	stFail
	stSkipMode // skipped because the mode's materialized view is not supported
)

type outcome struct {
	st     status
	reason string // why it failed, or (stSkipMode) the refusal message
	actual []string
}

func pass() outcome { return outcome{st: stPass} }
func fail(format string, args ...any) outcome {
	return outcome{st: stFail, reason: fmt.Sprintf(format, args...)}
}

// viewState is a materialized view made for a query record in view or
// incremental mode.
type viewState struct {
	name      string
	createErr error
	created   bool
}

type relation struct{ kind, name string }

// fileRunner runs the records of one file over one or more sessions.
type fileRunner struct {
	ctx      context.Context
	opts     *Options
	cfg      *pgx.ConnConfig
	conns    map[string]*pgx.Conn
	skip     *SkipList
	res      *FileResult
	labels   map[string]string
	thresh   int
	sortMode SortMode
	viewSeq  int
	views    map[int]*viewState // incremental: query record index -> its view
	created  []relation         // objects created by the file, for isolation
}

func (fr *fileRunner) conn(name string) (*pgx.Conn, error) {
	if c, ok := fr.conns[name]; ok && !c.IsClosed() {
		return c, nil
	}
	c, err := pgx.ConnectConfig(fr.ctx, fr.cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	fr.conns[name] = c
	return c, nil
}

func (fr *fileRunner) closeAll() {
	for name, c := range fr.conns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.Close(ctx)
		cancel()
		delete(fr.conns, name)
	}
}

// exec runs sql on the named session with the simple protocol and returns
// the last result that has columns (or the last result).
func (fr *fileRunner) exec(connName, sql string) (*pgconn.Result, error) {
	c, err := fr.conn(connName)
	if err != nil {
		return nil, err
	}
	ctx := fr.ctx
	if fr.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fr.opts.Timeout)
		defer cancel()
	}
	mrr := c.PgConn().Exec(ctx, sql)
	var last *pgconn.Result
	var firstErr error
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		r := &pgconn.Result{}
		if fds := rr.FieldDescriptions(); fds != nil {
			r.FieldDescriptions = append([]pgconn.FieldDescription(nil), fds...)
		}
		for rr.NextRow() {
			values := rr.Values()
			n := 0
			for _, v := range values {
				n += len(v)
			}
			buf := make([]byte, 0, n)
			row := make([][]byte, len(values))
			for i, v := range values {
				if v != nil {
					start := len(buf)
					buf = append(buf, v...)
					row[i] = buf[start:len(buf):len(buf)]
				}
			}
			r.Rows = append(r.Rows, row)
		}
		r.CommandTag, r.Err = rr.Close()
		if r.Err != nil && firstErr == nil {
			firstErr = r.Err
		}
		if last == nil || len(r.FieldDescriptions) > 0 || len(last.FieldDescriptions) == 0 {
			last = r
		}
	}
	err = mrr.Close()
	if err == nil {
		err = firstErr
	}
	if err != nil {
		if ctx.Err() != nil && fr.ctx.Err() == nil {
			err = fmt.Errorf("timed out after %v: %w", fr.opts.Timeout, err)
		}
		return nil, err
	}
	if last == nil {
		last = &pgconn.Result{}
	}
	return last, nil
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func errText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return err.Error()
}

// errorMatches reports whether err satisfies the pattern of a
// "statement error"/"query error" record.
func (fr *fileRunner) errorMatches(pattern string, err error) bool {
	if pattern == "" || fr.opts.AnyError {
		return true
	}
	msg := err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg = pe.Message
		if pe.Code == pattern {
			return true
		}
	}
	if strings.Contains(msg, pattern) {
		return true
	}
	re, rerr := regexp.Compile(pattern)
	return rerr == nil && re.MatchString(msg)
}

func skippedByCondition(conds []Condition) bool {
	for _, c := range conds {
		if c.OnlyIf != (c.Engine == EngineLabel) {
			return true
		}
	}
	return false
}

func (fr *fileRunner) record(rec *Record, o outcome, expected []string) {
	switch o.st {
	case stPass:
		fr.res.Passed++
	case stSkipMode:
		fr.res.Skipped++
		fr.res.SkippedByMode++
		if fr.res.ModeSkips == nil {
			fr.res.ModeSkips = map[string]int{}
		}
		fr.res.ModeSkips[o.reason]++
	default:
		fr.res.Failed++
		fr.res.Failures = append(fr.res.Failures, Failure{
			File: rec.File, Line: rec.Line, SQL: rec.SQL, Reason: o.reason,
			Expected: expected, Actual: o.actual,
		})
	}
}

// active reports whether record i is going to be executed (not skipped by
// a condition or the skip list); it does not look at halt.
func (fr *fileRunner) active(rec *Record) bool {
	if rec.Kind != KindStatement && rec.Kind != KindQuery {
		return true
	}
	if skippedByCondition(rec.Conditions) {
		return false
	}
	_, listed := fr.skip.Match(rec.File, rec.Line)
	return !listed
}

// run executes all records of a file.
func (fr *fileRunner) run(recs []Record) {
	if fr.opts.Mode == "incremental" {
		atStart, after := planIncremental(recs, fr.active)
		fr.views = map[int]*viewState{}
		fr.createViews(recs, atStart)
		defer func() {
			for _, v := range fr.views {
				if v.created {
					fr.exec("", "DROP MATERIALIZED VIEW IF EXISTS "+v.name)
				}
			}
		}()
		fr.runRecords(recs, after)
		return
	}
	fr.runRecords(recs, nil)
}

func (fr *fileRunner) runRecords(recs []Record, createAfter map[int][]int) {
	for i := range recs {
		if fr.ctx.Err() != nil {
			return
		}
		rec := &recs[i]
		switch rec.Kind {
		case KindHalt:
			if !skippedByCondition(rec.Conditions) {
				return
			}
		case KindHashThreshold:
			fr.thresh = rec.Threshold
		case KindSortMode:
			fr.sortMode = rec.Sort
		case KindSleep:
			select {
			case <-time.After(rec.Duration):
			case <-fr.ctx.Done():
			}
		case KindUnknown:
			fr.record(rec, fail("unknown record %q", rec.Text), nil)
		case KindStatement, KindQuery:
			if skippedByCondition(rec.Conditions) {
				fr.res.Skipped++
				break
			}
			if _, listed := fr.skip.Match(rec.File, rec.Line); listed {
				fr.res.Skipped++
				fr.res.SkippedByList++
				break
			}
			var o outcome
			for attempt := 0; ; attempt++ {
				if rec.Kind == KindStatement {
					o = fr.runStatement(rec)
				} else {
					o = fr.runQuery(rec, i)
				}
				if o.st != stFail || attempt >= rec.Retry || fr.ctx.Err() != nil {
					break
				}
				if rec.Backoff > 0 {
					time.Sleep(rec.Backoff)
				}
			}
			fr.record(rec, o, rec.Expected)
		}
		if createAfter != nil {
			if qs := createAfter[i]; len(qs) > 0 {
				fr.createViews(recs, qs)
			}
		}
	}
}

func (fr *fileRunner) runStatement(rec *Record) outcome {
	res, err := fr.exec(rec.Connection, rec.SQL)
	if rec.ExpectError {
		if err == nil {
			return fail("statement succeeded, but an error was expected")
		}
		if !fr.errorMatches(rec.ErrorPattern, err) {
			return fail("error %q does not match %q", errText(err), rec.ErrorPattern)
		}
		return pass()
	}
	if err != nil {
		return fail("statement failed: %s", errText(err))
	}
	fr.track(rec.SQL)
	if rec.ExpectCount >= 0 {
		if n := res.CommandTag.RowsAffected(); n != rec.ExpectCount {
			return fail("statement affected %d rows, expected %d", n, rec.ExpectCount)
		}
	}
	return pass()
}

// results formats a result as values, checking the column count against
// the record's types.
func formatResult(rec *Record, res *pgconn.Result) ([]string, int, error) {
	ncols := len(res.FieldDescriptions)
	if rec.Types != "" && len(rec.Types) != ncols {
		return nil, ncols, fmt.Errorf("query returned %d columns, the record's types %q say %d", ncols, rec.Types, len(rec.Types))
	}
	values := make([]string, 0, len(res.Rows)*ncols)
	for _, row := range res.Rows {
		for j, v := range row {
			typ := byte('T')
			if j < len(rec.Types) {
				typ = rec.Types[j]
			}
			values = append(values, FormatValue(typ, res.FieldDescriptions[j].DataTypeOID, v, v == nil))
		}
	}
	return values, ncols, nil
}

func (fr *fileRunner) mode(rec *Record) SortMode {
	if rec.Sort != SortDefault {
		return rec.Sort
	}
	return fr.sortMode
}

// display renders actual values the way the expected side is written.
func (fr *fileRunner) display(rec *Record, values []string, ncols int) []string {
	hashed := len(rec.Expected) == 1 && hashLineRE.MatchString(rec.Expected[0])
	if hashed || (fr.thresh > 0 && len(values) > fr.thresh && len(rec.Expected) <= 1) {
		return []string{fmt.Sprintf("%d values hashing to %s", len(values), HashValues(values))}
	}
	if ncols > 1 && len(values)%ncols == 0 && len(rec.Expected) == len(values)/ncols && len(rec.Expected) != len(values) {
		return joinRows(values, ncols)
	}
	return values
}

func (fr *fileRunner) runQuery(rec *Record, idx int) outcome {
	o := fr.checkQuery(rec, idx)
	// A record that failed before its view was read (incremental mode)
	// still drops the view, which would otherwise keep its relations
	// from being dropped by later records until the end of the file.
	if v := fr.views[idx]; v != nil {
		delete(fr.views, idx)
		if v.created {
			fr.exec(rec.Connection, "DROP MATERIALIZED VIEW IF EXISTS "+v.name)
		}
	}
	return o
}

func (fr *fileRunner) checkQuery(rec *Record, idx int) outcome {
	res, err := fr.exec(rec.Connection, rec.SQL)
	if rec.ExpectError {
		if err == nil {
			return fail("query succeeded, but an error was expected")
		}
		if !fr.errorMatches(rec.ErrorPattern, err) {
			return fail("error %q does not match %q", errText(err), rec.ErrorPattern)
		}
		return pass()
	}
	if err != nil {
		return fail("query failed: %s", errText(err))
	}
	values, ncols, err := formatResult(rec, res)
	if err != nil {
		return fail("%v", err)
	}
	mode := fr.mode(rec)
	SortValues(mode, values, ncols)
	if rec.HasResults && !CompareResult(mode, rec.Expected, values, ncols) {
		o := fail("query result differs")
		o.actual = fr.display(rec, values, ncols)
		return o
	}
	if rec.Label != "" {
		h := HashValues(values)
		if prev, ok := fr.labels[rec.Label]; ok && prev != h {
			o := fail("result differs from the earlier query labelled %s", rec.Label)
			o.actual = fr.display(rec, values, ncols)
			return o
		}
		fr.labels[rec.Label] = h
	}
	if fr.opts.Mode != "batch" && !viewable(rec.SQL) {
		return outcome{st: stSkipMode, reason: "not a SELECT (no view to make of it)"}
	}
	switch fr.opts.Mode {
	case "view":
		v := fr.createView(rec, len(rec.Types))
		return fr.checkView(rec, v, mode, ncols, values)
	case "incremental":
		v := fr.views[idx]
		if v == nil {
			// not planned (e.g. a retried record); behave like view mode
			v = fr.createView(rec, len(rec.Types))
		}
		delete(fr.views, idx)
		return fr.checkView(rec, v, mode, ncols, values)
	}
	return pass()
}

var viewableRE = regexp.MustCompile(`(?i)^[\s(]*(select|with|values|table)\b`)

// viewable reports whether a query record's SQL can be the body of a
// materialized view: a query, not a command that returns rows (SHOW).
func viewable(sql string) bool { return viewableRE.MatchString(sql) }

// temporalJoinRE finds a processing-time (lookup) join.
var temporalJoinRE = regexp.MustCompile(`(?i)\bFOR\s+SYSTEM_TIME\s+AS\s+OF\s+PROCTIME\s*\(`)

// viewSQL strips a trailing semicolon so the query can follow AS.
func viewSQL(sql string) string {
	return strings.TrimRight(strings.TrimSpace(sql), "; \t\n")
}

// createView creates the materialized view slt_vN for a query record.
func (fr *fileRunner) createView(rec *Record, ncols int) *viewState {
	fr.viewSeq++
	v := &viewState{name: fmt.Sprintf("slt_v%d", fr.viewSeq)}
	body := viewSQL(rec.SQL)
	create := "CREATE MATERIALIZED VIEW " + v.name + " AS " + body
	_, err := fr.exec(rec.Connection, create)
	if err != nil && sqlState(err) == "42P07" { // left over from an earlier run
		fr.exec(rec.Connection, "DROP MATERIALIZED VIEW IF EXISTS "+v.name+" CASCADE")
		_, err = fr.exec(rec.Connection, create)
	}
	if err != nil && sqlState(err) == "42701" && ncols > 0 {
		// duplicate output column names (e.g. two "?column?"): name them
		cols := make([]string, ncols)
		for i := range cols {
			cols[i] = fmt.Sprintf("c%d", i+1)
		}
		_, err = fr.exec(rec.Connection, "CREATE MATERIALIZED VIEW "+v.name+" ("+strings.Join(cols, ", ")+") AS "+body)
	}
	v.createErr = err
	v.created = err == nil
	return v
}

func (fr *fileRunner) createViews(recs []Record, idxs []int) {
	for _, i := range idxs {
		fr.views[i] = fr.createView(&recs[i], len(recs[i].Types))
	}
}

// checkView reads a record's view back, compares it and drops it. batch
// holds the query's own result (already checked against the expected
// one), in the record's sort mode.
func (fr *fileRunner) checkView(rec *Record, v *viewState, mode SortMode, ncols int, batch []string) outcome {
	if v.createErr != nil {
		if sqlState(v.createErr) == "0A000" {
			return outcome{st: stSkipMode, reason: errText(v.createErr)}
		}
		return fail("%s mode: creating the materialized view failed: %s", fr.opts.Mode, errText(v.createErr))
	}
	defer fr.exec(rec.Connection, "DROP MATERIALIZED VIEW IF EXISTS "+v.name)
	res, err := fr.exec(rec.Connection, "SELECT * FROM "+v.name)
	if err != nil {
		return fail("%s mode: reading the materialized view failed: %s", fr.opts.Mode, errText(err))
	}
	values, ncols, err := formatResult(rec, res)
	if err != nil {
		return fail("%s mode: %v", fr.opts.Mode, err)
	}
	SortValues(mode, values, ncols)
	if !rec.HasResults || CompareResult(mode, rec.Expected, values, ncols) {
		return pass()
	}
	if mode != RowSort && mode != ValueSort {
		// A view has no order: an ORDER BY query's rows may come back in
		// any order, so compare them as a set of rows when we can.
		SortValues(RowSort, values, ncols)
		if CompareResult(RowSort, rec.Expected, values, ncols) {
			return pass()
		}
		// Hashed results keep the query's order, which a view cannot
		// reproduce: compare the view with the query's own (verified)
		// rows as a multiset instead.
		sorted := append([]string(nil), batch...)
		SortValues(RowSort, sorted, ncols)
		if strings.Join(sorted, "\n") == strings.Join(values, "\n") {
			return pass()
		}
	}
	o := fail("%s mode: materialized view contents differ", fr.opts.Mode)
	o.actual = fr.display(rec, values, ncols)
	return o
}

var (
	createRelRE = regexp.MustCompile(`(?is)^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?(table|view|materialized\s+view|source|sink)\s+(?:if\s+not\s+exists\s+)?("[^"]+"|[\w.]+)`)
	dropRelRE   = regexp.MustCompile(`(?is)^\s*drop\s+(table|view|materialized\s+view|source|sink)\s+(?:if\s+exists\s+)?(.*)`)
)

func normIdent(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "."); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, `"`) {
		return strings.Trim(s, `"`)
	}
	return strings.ToLower(s)
}

func normKind(k string) string {
	return strings.ToLower(strings.Join(strings.Fields(k), " "))
}

// createdRelation returns the object a statement creates, if any.
func createdRelation(sql string) (relation, bool) {
	m := createRelRE.FindStringSubmatch(sql)
	if m == nil {
		return relation{}, false
	}
	return relation{kind: normKind(m[1]), name: normIdent(m[2])}, true
}

// droppedRelations returns the names a DROP statement drops.
func droppedRelations(sql string) []string {
	m := dropRelRE.FindStringSubmatch(sql)
	if m == nil {
		return nil
	}
	rest := m[2]
	rest = strings.TrimRight(strings.TrimSpace(rest), ";")
	var out []string
	for _, p := range strings.Split(rest, ",") {
		f := strings.Fields(p)
		if len(f) > 0 {
			out = append(out, normIdent(f[0]))
		}
	}
	return out
}

// track remembers objects created by a successful statement, for isolation.
func (fr *fileRunner) track(sql string) {
	if r, ok := createdRelation(sql); ok {
		fr.created = append(fr.created, r)
	}
}

// dropRelations drops rels (newest first), ignoring errors.
func (fr *fileRunner) dropRelations(rels []relation) {
	for i := len(rels) - 1; i >= 0; i-- {
		r := rels[i]
		fr.exec("", fmt.Sprintf("DROP %s IF EXISTS %s CASCADE", strings.ToUpper(r.kind), quoteIdent(r.name)))
	}
}

func quoteIdent(s string) string {
	if s == strings.ToLower(s) && regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// planIncremental decides, for every active query record, where its
// materialized view is created: right after the record that creates the
// last of the relations it reads (found by scanning its identifiers
// against the relations the file has created so far), or at the start of
// the file when it reads none. It returns the queries to create at the
// start and, per record index, the queries to create after it.
func planIncremental(recs []Record, active func(*Record) bool) (atStart []int, after map[int][]int) {
	after = map[int][]int{}
	live := map[string]int{} // relation name -> index of the record that created it
	for i := range recs {
		rec := &recs[i]
		if rec.Kind == KindHalt && !skippedByCondition(rec.Conditions) {
			break
		}
		if !active(rec) {
			continue
		}
		switch rec.Kind {
		case KindStatement:
			if rec.ExpectError {
				continue
			}
			for _, n := range droppedRelations(rec.SQL) {
				delete(live, n)
			}
			if r, ok := createdRelation(rec.SQL); ok {
				live[r.name] = i
			}
		case KindQuery:
			if rec.ExpectError || !viewable(rec.SQL) || temporalJoinRE.MatchString(rec.SQL) {
				// A view with a processing-time join keeps each row
				// joined as the table was when the row arrived, so one
				// made before the DML legitimately differs from the
				// query: it is made at the query, as in view mode.
				continue
			}
			last := -1
			for _, id := range identifiers(rec.SQL) {
				if at, ok := live[id]; ok && at > last {
					last = at
				}
			}
			if last < 0 {
				atStart = append(atStart, i)
			} else {
				after[last] = append(after[last], i)
			}
		}
	}
	return atStart, after
}

// identifiers returns the lower-cased words and quoted identifiers of sql
// (string literals skipped).
func identifiers(sql string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
		case c == '"':
			j := strings.IndexByte(sql[i+1:], '"')
			if j < 0 {
				return out
			}
			add(sql[i+1 : i+1+j])
			i += j + 2
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] == '$' || (sql[j] >= '0' && sql[j] <= '9') || (sql[j]|0x20 >= 'a' && sql[j]|0x20 <= 'z')) {
				j++
			}
			add(strings.ToLower(sql[i:j]))
			i = j
		default:
			i++
		}
	}
	return out
}

// pre-scan the relations a file creates (for isolation before a run).
func relationsCreatedBy(recs []Record) []relation {
	var out []relation
	seen := map[relation]bool{}
	for i := range recs {
		if recs[i].Kind != KindStatement {
			continue
		}
		if r, ok := createdRelation(recs[i].SQL); ok && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
