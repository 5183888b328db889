package session

// Connector-backed sources and tables.
//
// CREATE SOURCE name (...) WITH (connector = 'datagen' | 'nexmark', ...)
// declares a source: its definition is stored in the catalog (KindSource)
// but its rows are not; only materialized views read it. CREATE TABLE name
// (...) WITH (connector = ...) is a table (rows stored, queryable directly)
// fed by the connector; with a primary key a generated row replaces the
// stored row with the same key (upsert).
//
// Each such relation has a runner: one goroutine per split reader. A reader
// generates chunks outside any lock and, every commitInterval (at most
// 100 ms, or the source's checkpoint.interval when smaller) or
// commitRows rows, takes the engine's write lock and in one batch stores
// the rows (tables), pushes them through every dependent view
// (Engine.propagate) and records the reader's offset
// (state.SetSourceOffset); the batch then commits atomically. On restart a
// reader seeks to its committed offset, so every row is delivered exactly
// once to the table and the views, by construction.
//
// A source (not a table) reads only while some materialized view depends on
// it; otherwise it idles and its offsets stay where they are. A view created
// on a source later starts from the source's current offsets: a source has
// no history, so nothing is backfilled (as in RisingWave). Tables always
// read.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/datagen"
	"github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

const (
	// defaultCommitInterval bounds how long generated rows wait before
	// they are committed (and visible).
	defaultCommitInterval = 100 * time.Millisecond
	// commitRows commits early when this many rows are buffered.
	commitRows = 16 * exec.DefaultChunkSize
	// withBaseTime records a datagen source's base time so that random
	// timestamps are the same after a restart.
	withBaseTime = "streamsql.datagen.base.time"
)

// generator is a deterministic, seekable split reader (datagen, nexmark).
type generator interface {
	Next(c *exec.Chunk) (n int, done bool)
	Offset() uint64
	Seek(offset uint64)
	Done() bool
}

// connSpec is a parsed connector definition.
type connSpec struct {
	connector string
	splits    int
	// genTypes are the types of the chunks the generator writes; proj maps
	// each visible column of the relation to a generator column (nil =
	// identity).
	genTypes []types.T
	proj     []int
	interval time.Duration
	newGen   func(split int) generator
	// alignKey groups the sources whose readers keep close positions in a
	// shared event stream (see source_align.go); empty for none.
	alignKey string
}

func optErr(format string, a ...any) error {
	return types.Errorf(types.CodeInvalidParameterValue, format, a...)
}

// checkpointInterval reads the checkpoint.interval option ('500ms', '1s',
// or milliseconds).
func checkpointInterval(with map[string]string) (time.Duration, error) {
	iv := defaultCommitInterval
	for _, k := range []string{"checkpoint.interval", "streamsql.checkpoint.interval"} {
		v, ok := with[k]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		d, err := time.ParseDuration(v)
		if err != nil {
			ms, err2 := strconv.ParseUint(v, 10, 32)
			if err2 != nil {
				return 0, optErr("invalid value %q for option %s: expected a duration such as '1s'", v, k)
			}
			d = time.Duration(ms) * time.Millisecond
		}
		if d <= 0 {
			return 0, optErr("invalid value %q for option %s: must be positive", v, k)
		}
		iv = min(iv, d)
	}
	return iv, nil
}

// nexmarkTable reads nexmark.table.type, falling back to the relation's name.
func nexmarkTable(name string, with map[string]string) (nexmark.Table, error) {
	v, ok := with["nexmark.table.type"]
	if !ok {
		v = name
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "person":
		return nexmark.Person, nil
	case "auction":
		return nexmark.Auction, nil
	case "bid":
		return nexmark.Bid, nil
	}
	if !ok {
		return 0, optErr("nexmark: option nexmark.table.type ('Person', 'Auction' or 'Bid') is required")
	}
	return 0, optErr("nexmark: invalid value %q for option nexmark.table.type: expected 'Person', 'Auction' or 'Bid'", v)
}

// nexmarkColumns returns the default columns of a nexmark relation.
func nexmarkColumns(name string, with map[string]string) ([]sql.ColumnDef, error) {
	t, err := nexmarkTable(name, with)
	if err != nil {
		return nil, err
	}
	names, ts := nexmark.Schema(t)
	out := make([]sql.ColumnDef, len(names))
	for i := range names {
		out[i] = sql.ColumnDef{Name: names[i], Type: ts[i]}
	}
	return out, nil
}

// parseConnector validates a connector definition for the visible columns
// names/ts of relation name.
func parseConnector(name string, names []string, ts []types.T, with map[string]string) (*connSpec, error) {
	conn := strings.ToLower(strings.TrimSpace(with["connector"]))
	iv, err := checkpointInterval(with)
	if err != nil {
		return nil, err
	}
	switch conn {
	case "datagen":
		cfg, err := datagen.Parse(names, ts, with)
		if err != nil {
			return nil, err
		}
		if v, ok := with[withBaseTime]; ok {
			bt, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, optErr("invalid value %q for option %s", v, withBaseTime)
			}
			cfg.BaseTime = bt
		}
		splits := max(cfg.SplitNum, 1)
		return &connSpec{connector: conn, splits: splits, genTypes: ts, interval: iv,
			newGen: func(split int) generator { return datagen.NewGenerator(cfg, split, splits) }}, nil
	case "nexmark":
		t, err := nexmarkTable(name, with)
		if err != nil {
			return nil, err
		}
		splits := 1
		if v, ok := with["nexmark.split.num"]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 1024 {
				return nil, optErr("nexmark: invalid value %q for option nexmark.split.num: expected an integer between 1 and 1024", v)
			}
			splits = n
		}
		cfg, err := nexmark.ParseOptions(with, splits)
		if err != nil {
			return nil, err
		}
		gnames, gts := nexmark.Schema(t)
		spec := &connSpec{connector: conn, splits: splits, genTypes: gts, interval: iv,
			newGen:   func(split int) generator { return nexmark.NewGenerator(cfg, t, split, splits) },
			alignKey: nexmarkStreamKey(with)}
		identity := len(names) == len(gnames)
		for i, n := range names {
			j := -1
			for k, g := range gnames {
				if strings.EqualFold(g, n) {
					j = k
				}
			}
			if j < 0 {
				return nil, types.Errorf(types.CodeUndefinedColumn, "nexmark: column %q is not produced by the %s table (columns: %s)", n, strings.ToLower(t.String()), strings.Join(gnames, ", "))
			}
			if ts[i].Family != gts[j].Family {
				return nil, types.Errorf(types.CodeDatatypeMismatch, "nexmark: column %q must have type %s, not %s", n, gts[j], ts[i])
			}
			identity = identity && j == i
			spec.proj = append(spec.proj, j)
		}
		if identity {
			spec.proj = nil
		}
		return spec, nil
	case "":
		return nil, types.Errorf(types.CodeSyntaxError, "missing option connector in WITH")
	case "kafka":
		return parseKafka(names, ts, with, iv)
	case "file", "posix_fs":
		return parseFile(names, ts, with, iv)
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "connector %q is not supported (supported: 'datagen', 'nexmark', 'kafka', 'file')", conn)
}

// checkFormat accepts the formats a generator connector can be declared with.
func checkFormat(format, encode string, include []sql.IncludeDef) error {
	f, en := strings.ToUpper(format), strings.ToUpper(encode)
	if (f != "" && f != "PLAIN" && f != "NATIVE") || (en != "" && en != "JSON" && en != "NATIVE") {
		return types.Errorf(types.CodeFeatureNotSupported, "FORMAT %s ENCODE %s is not supported for generator connectors (use FORMAT PLAIN ENCODE JSON)", format, encode)
	}
	if len(include) > 0 {
		return types.Errorf(types.CodeFeatureNotSupported, "INCLUDE is not supported for generator connectors")
	}
	return nil
}

// prepareConnector fills in the defaults of a connector-backed relation
// (nexmark's column list, datagen's base time) and validates it. It returns
// the WITH options to store.
func prepareConnector(name string, cols *[]sql.ColumnDef, with map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(with)+1)
	for k, v := range with {
		out[k] = v
	}
	conn := strings.ToLower(strings.TrimSpace(with["connector"]))
	if conn == "nexmark" && len(*cols) == 0 {
		def, err := nexmarkColumns(name, with)
		if err != nil {
			return nil, err
		}
		*cols = def
	}
	if conn == "datagen" {
		if _, ok := out[withBaseTime]; !ok {
			out[withBaseTime] = strconv.FormatInt(time.Now().Unix()*1_000_000, 10)
		}
	}
	var names []string
	var ts []types.T
	for _, c := range *cols {
		names = append(names, c.Name)
		ts = append(ts, c.Type)
	}
	if _, err := parseConnector(name, names, ts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// createSource runs CREATE SOURCE.
func (s *session) createSource(x *sql.CreateSource, text string) error {
	e := s.e
	if existing := e.cat.Get(x.Name); existing != nil {
		if x.IfNotExists {
			return nil
		}
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", x.Name)
	}
	cols, gen := splitProctime(x.Columns)
	var with map[string]string
	var err error
	if isKafka(x.With) {
		cols, with, err = prepareKafka(kafkaDef{name: x.Name, cols: cols, with: x.With, format: x.Format,
			encode: x.Encode, formatOptions: x.FormatOptions, include: x.Include})
		if err == nil {
			err = s.ensureDeadLetters()
		}
	} else if isFile(x.With) {
		with, err = prepareFile(x.Name, cols, x.With, x.Format, x.Encode, x.FormatOptions, x.Include)
		if err == nil {
			err = s.ensureDeadLetters()
		}
	} else if err = checkFormat(x.Format, x.Encode, x.Include); err == nil {
		with, err = prepareConnector(x.Name, &cols, x.With)
	}
	if err != nil {
		return err
	}
	cols = restoreProctime(cols, gen)
	rel := &catalog.Relation{Name: x.Name, Kind: catalog.KindSource, AppendOnly: true, With: with, SQL: text}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		rel.Columns = append(rel.Columns, catalog.Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Proctime: c.Proctime})
	}
	if x.Watermark != nil {
		wm, err := e.checkWatermark(rel, x.Watermark)
		if err != nil {
			return err
		}
		rel.Watermark = wm
		// Rows behind the watermark land in the dead-letter table.
		if x.Name != deadLetterTable {
			if err := s.ensureDeadLetters(); err != nil {
				return err
			}
		}
	}
	id, err := e.cat.AllocID()
	if err != nil {
		return err
	}
	rel.ID = id
	if err := e.cat.Create(rel); err != nil {
		return err
	}
	return e.startSource(rel)
}

// prepareConnectorTable is createTable's hook for WITH (connector = ...):
// it validates the connector and fills in nexmark's default columns.
func (s *session) prepareConnectorTable(x *sql.CreateTable) error {
	if isKafka(x.With) {
		return s.prepareKafkaTable(x)
	}
	if isFile(x.With) {
		return s.prepareFileTable(x)
	}
	if err := checkFormat(x.Format, x.Encode, x.Include); err != nil {
		return err
	}
	if s.e.cat.Get(x.Name) != nil {
		return nil // createTable reports it
	}
	with, err := prepareConnector(x.Name, &x.Columns, x.With)
	if err != nil {
		return err
	}
	x.With = with
	return nil
}

// isConnectorRel reports whether rel is fed by a connector.
func isConnectorRel(rel *catalog.Relation) bool {
	if rel.Kind == catalog.KindSource {
		return true
	}
	_, ok := rel.With["connector"]
	return rel.Kind == catalog.KindTable && ok
}

// ---- runners ----

// sourceRunners is the engine's set of running connectors.
type sourceRunners struct {
	mu   sync.Mutex
	byID map[uint32]*sourceRunner
	wg   sync.WaitGroup
}

type sourceRunner struct {
	e        *Engine
	rel      *catalog.Relation
	spec     *connSpec
	table    bool
	upsert   bool
	desc     *tables.Desc
	visible  []int // the columns the connector produces (see connectorColumns)
	full     []int // with AS PROCTIME() columns: every visible column, else nil
	stop     chan struct{}
	stopOnce sync.Once
	splits   []*splitReader
}

type splitReader struct {
	r      *sourceRunner
	ag     *alignGroup // nil: not aligned with other sources
	key    string
	gen    generator
	flushC chan chan error
	doneC  chan struct{} // closed when the reader has committed everything (bounded) or failed
	exited chan struct{}
	err    error
	active bool // guarded by the engine's writeMu
}

var errStopped = errors.New("source stopped")

// startSource starts the runner of a connector-backed relation (a no-op for
// other relations), resuming every split from its committed offset.
func (e *Engine) startSource(rel *catalog.Relation) error {
	if !isConnectorRel(rel) {
		return nil
	}
	var names []string
	var ts []types.T
	r := &sourceRunner{e: e, rel: rel, stop: make(chan struct{})}
	r.visible, r.full = connectorColumns(rel)
	for _, i := range r.visible {
		names = append(names, rel.Columns[i].Name)
		ts = append(ts, rel.Columns[i].Type)
	}
	spec, err := parseConnector(rel.Name, names, ts, rel.With)
	if err != nil {
		return err
	}
	r.spec = spec
	if rel.Kind == catalog.KindTable {
		r.table, r.upsert, r.desc = true, rel.DeclaredPK, e.tableDesc(rel)
	}
	offsets, err := e.store.SourceOffsets(rel.ID)
	if err != nil {
		return err
	}
	for i := 0; i < spec.splits; i++ {
		sp := &splitReader{r: r, key: strconv.Itoa(i), gen: spec.newGen(i), flushC: make(chan chan error),
			doneC: make(chan struct{}), exited: make(chan struct{})}
		if off, ok := offsets[sp.key]; ok && len(off) == 8 {
			sp.gen.Seek(binary.BigEndian.Uint64(off))
		}
		r.initGen(sp.gen, offsets)
		if _, ok := sp.gen.(positioned); ok && spec.alignKey != "" {
			sp.ag = e.align.group(spec.alignKey)
		}
		r.splits = append(r.splits, sp)
	}
	rs := &e.sources
	rs.mu.Lock()
	if rs.byID == nil {
		rs.byID = map[uint32]*sourceRunner{}
	}
	rs.byID[rel.ID] = r
	for _, sp := range r.splits {
		rs.wg.Add(1)
		go sp.run()
	}
	rs.mu.Unlock()
	return nil
}

// startSources starts every connector-backed relation's runner (Open).
func (e *Engine) startSources() error {
	for _, r := range e.cat.List() {
		if isConnectorRel(r) {
			if err := e.startSource(r); err != nil {
				e.stopSources()
				return fmt.Errorf("start source %q: %w", r.Name, err)
			}
		}
	}
	return nil
}

// stopSources stops every runner and waits for their goroutines (Close).
// It must not be called with writeMu held.
func (e *Engine) stopSources() {
	rs := &e.sources
	rs.mu.Lock()
	for _, r := range rs.byID {
		r.stopOnce.Do(func() { close(r.stop) })
	}
	rs.byID = nil
	rs.mu.Unlock()
	rs.wg.Wait()
}

// dropSource stops a dropped relation's runner and deletes its offsets.
// Called with writeMu held: the runner's goroutines see the stop before
// they can commit again, and exit on their own.
func (e *Engine) dropSource(rel *catalog.Relation) error {
	rs := &e.sources
	rs.mu.Lock()
	if r := rs.byID[rel.ID]; r != nil {
		r.stopOnce.Do(func() { close(r.stop) })
		delete(rs.byID, rel.ID)
	}
	rs.mu.Unlock()
	b := e.store.NewBatch()
	defer b.Close()
	if err := state.DeleteSourceOffsets(b, rel.ID); err != nil {
		return err
	}
	return b.Commit(true)
}

func (e *Engine) runners() []*sourceRunner {
	rs := &e.sources
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]*sourceRunner, 0, len(rs.byID))
	for _, r := range rs.byID {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel.ID < out[j].rel.ID })
	return out
}

// FlushSources makes every row the connectors have produced so far visible:
// each reader commits what it has buffered, and FlushSources returns once
// all have (FLUSH).
func (e *Engine) FlushSources(ctx context.Context) error {
	var errs []error
	for _, r := range e.runners() {
		for _, sp := range r.splits {
			reply := make(chan error, 1)
			select {
			case sp.flushC <- reply:
			case <-sp.exited:
				continue
			case <-ctx.Done():
				return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
			}
			select {
			case err := <-reply:
				if err != nil && !errors.Is(err, errStopped) {
					errs = append(errs, fmt.Errorf("source %q: %w", r.rel.Name, err))
				}
			case <-sp.exited:
			case <-ctx.Done():
				return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
			}
		}
	}
	return errors.Join(errs...)
}

// WaitSources waits until every bounded connector that is reading (every
// table, and every source some view reads) has delivered all its rows
// (tests and the benchmark). Unbounded and idle sources are not waited for.
func (e *Engine) WaitSources(ctx context.Context) error {
	var errs []error
	for _, r := range e.runners() {
		if !r.bounded() {
			continue
		}
		if !r.table {
			e.writeMu.Lock()
			read := e.hasReaders(r.rel.ID)
			e.writeMu.Unlock()
			if !read {
				continue
			}
		}
		for _, sp := range r.splits {
			select {
			case <-sp.doneC:
				if sp.err != nil {
					errs = append(errs, fmt.Errorf("source %q: %w", r.rel.Name, sp.err))
				}
			case <-sp.exited:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return errors.Join(errs...)
}

// bounded reports whether the connector ends by itself.
func (r *sourceRunner) bounded() bool {
	switch r.spec.connector {
	case "nexmark":
		cfg, _ := nexmark.ParseOptions(r.rel.With, r.spec.splits)
		return cfg.EventCount > 0
	case "datagen":
		var names []string
		var ts []types.T
		for _, i := range r.visible {
			names = append(names, r.rel.Columns[i].Name)
			ts = append(ts, r.rel.Columns[i].Type)
		}
		cfg, err := datagen.Parse(names, ts, r.rel.With)
		if err != nil {
			return false
		}
		_, b := cfg.Rows()
		return b
	}
	return false
}

func (r *sourceRunner) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// run is a split reader's loop: generate, buffer, commit.
func (sp *splitReader) run() {
	r := sp.r
	defer r.e.sources.wg.Done()
	defer close(sp.exited)
	defer closeGen(sp.gen)
	if sp.ag != nil {
		defer sp.ag.leave(sp)
	}
	var pending []*exec.Chunk
	rows := 0
	last := time.Now()
	doneClosed := false
	commit := func() error {
		err := sp.commit(pending)
		pending, rows, last = nil, 0, time.Now()
		if err != nil && !errors.Is(err, errStopped) {
			sp.err = err
			slog.Default().Error("source reader failed", "source", r.rel.Name, "split", sp.key, "err", err)
		}
		return err
	}
	for {
		select {
		case <-r.stop:
			return
		case reply := <-sp.flushC:
			if sp.err != nil {
				reply <- sp.err
				continue
			}
			reply <- commit()
			continue
		default:
		}
		finished := sp.err != nil || (sp.gen.Done() && len(pending) == 0)
		if sp.ag != nil && (finished || sp.gen.Done()) {
			sp.ag.leave(sp)
		}
		if finished {
			if !doneClosed {
				doneClosed = true
				close(sp.doneC)
			}
			select {
			case <-r.stop:
				return
			case reply := <-sp.flushC:
				reply <- sp.err
			}
			continue
		}
		if len(pending) == 0 && !sp.isActive() {
			// A source nobody reads idles (its offsets stay put).
			if sp.ag != nil {
				sp.ag.leave(sp)
			}
			t := time.NewTimer(r.spec.interval)
			select {
			case <-r.stop:
				t.Stop()
				return
			case reply := <-sp.flushC:
				reply <- nil
			case <-t.C:
			}
			t.Stop()
			continue
		}
		if len(pending) == 0 {
			last = time.Now()
		}
		if sp.ag != nil && !sp.ag.mayRun(sp, sp.gen.(positioned).Position()) {
			// Ahead of the other sources of the stream: let them catch up,
			// committing what is buffered when it is due.
			if len(pending) > 0 && time.Since(last) >= r.spec.interval {
				if err := commit(); errors.Is(err, errStopped) {
					return
				}
			}
			t := time.NewTimer(time.Millisecond)
			select {
			case <-r.stop:
				t.Stop()
				return
			case reply := <-sp.flushC:
				reply <- commit()
			case <-t.C:
			}
			t.Stop()
			continue
		}
		c := exec.NewChunk(r.spec.genTypes)
		n, done := sp.gen.Next(c)
		if n > 0 || genDirty(sp.gen) {
			pending = append(pending, c)
			rows += n
		}
		if rows >= commitRows || (done && len(pending) > 0) || (len(pending) > 0 && time.Since(last) >= r.spec.interval) {
			if err := commit(); errors.Is(err, errStopped) {
				return
			}
		}
	}
}

// nexmarkStreamKey identifies the event stream a nexmark source reads: its
// options but the table type and the split count.
func nexmarkStreamKey(with map[string]string) string {
	var kv []string
	for k, v := range with {
		k = strings.ToLower(k)
		if strings.HasPrefix(k, "nexmark.") && k != "nexmark.table.type" && k != "nexmark.split.num" {
			kv = append(kv, k+"="+v)
		}
	}
	sort.Strings(kv)
	return "nexmark|" + strings.Join(kv, ",")
}

// isActive reports whether the reader should produce rows.
func (sp *splitReader) isActive() bool {
	r := sp.r
	if r.table {
		return true
	}
	r.e.writeMu.Lock()
	defer r.e.writeMu.Unlock()
	sp.active = r.e.hasReaders(r.rel.ID)
	return sp.active
}

// commit applies the buffered chunks and the reader's offset in one batch.
func (sp *splitReader) commit(pending []*exec.Chunk) error {
	r := sp.r
	e := r.e
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if r.stopped() {
		return errStopped
	}
	w := e.tables.NewWriter()
	defer w.Close()
	ec := &exec.EvalCtx{Ctx: context.Background(), Now: e.now()}
	sctx := &stream.Ctx{EC: ec, State: e.opState(w.Batch())}
	readers := e.hasReaders(r.rel.ID)
	e.late = nil
	var added int64
	for _, c := range pending {
		out := c
		if r.spec.proj != nil {
			out = &exec.Chunk{N: c.N, Sel: c.Sel}
			for _, j := range r.spec.proj {
				out.Cols = append(out.Cols, c.Cols[j])
			}
		}
		out = r.withProctime(out, ec.Now)
		if r.table {
			delta, n, err := r.store(w, out, readers)
			if err != nil {
				return err
			}
			added += n
			out = delta
		}
		if readers && out != nil && out.Len() > 0 {
			if err := e.propagate(sctx, r.rel.ID, out); err != nil {
				return err
			}
		}
	}
	after, err := sp.commitDeadLetters(w, sctx)
	if err != nil {
		return err
	}
	afterLate, err := e.flushLate(w, sctx)
	if err != nil {
		return err
	}
	if err := sp.commitPositions(w.Batch()); err != nil {
		return err
	}
	if genOffsetKnown(sp.gen) {
		var off [8]byte
		binary.BigEndian.PutUint64(off[:], sp.gen.Offset())
		if err := state.SetSourceOffset(w.Batch(), r.rel.ID, sp.key, off[:]); err != nil {
			return err
		}
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if r.table {
		e.addRows(r.rel, added)
	}
	after()
	afterLate()
	return nil
}

// store writes chunk c (the visible columns) into the table and returns the
// change to propagate (nil when nobody reads it) and the rows added.
func (r *sourceRunner) store(w *tables.Writer, c *exec.Chunk, readers bool) (*exec.Chunk, int64, error) {
	rel, e := r.rel, r.e
	var delta *exec.Chunk
	if readers {
		delta = exec.NewChunk(rel.Types())
	}
	var added int64
	hidden := !rel.DeclaredPK
	for k := 0; k < c.Len(); k++ {
		pr := c.Row(k)
		row := make([]types.Datum, len(rel.Columns))
		for j, col := range r.layout() {
			row[col] = c.Cols[j].Get(pr)
		}
		if r.upsert && len(c.Ops) > pr && c.Ops[pr] == exec.OpDelete {
			// An upsert tombstone: delete the row with this key, if any.
			old, err := lookupRow(w, r.desc, rel, row)
			if err != nil {
				return nil, 0, err
			}
			if old != nil {
				if err := w.Delete(r.desc, old); err != nil {
					return nil, 0, err
				}
				if delta != nil {
					delta.AppendDatums(old)
					delta.Ops = append(delta.Ops, exec.OpDelete)
				}
				added--
			}
			continue
		}
		if hidden {
			id, err := e.nextRowID(rel)
			if err != nil {
				return nil, 0, err
			}
			row[rel.PK[0]] = types.NewInt(id)
		}
		if err := checkNotNull(rel, row); err != nil {
			return nil, 0, err
		}
		if r.upsert {
			old, err := lookupRow(w, r.desc, rel, row)
			if err != nil {
				return nil, 0, err
			}
			if old != nil {
				if err := w.Delete(r.desc, old); err != nil {
					return nil, 0, err
				}
				if delta != nil {
					delta.AppendDatums(old)
					delta.Ops = append(delta.Ops, exec.OpDelete)
				}
				added--
			}
		}
		if err := w.Insert(r.desc, row); err != nil {
			return nil, 0, err
		}
		if delta != nil {
			delta.AppendDatums(row)
			delta.Ops = append(delta.Ops, exec.OpInsert)
		}
		added++
	}
	return delta, added, nil
}

// lookupRow returns the stored row with row's primary key (committed state
// plus the batch), or nil.
func lookupRow(w *tables.Writer, d *tables.Desc, rel *catalog.Relation, row []types.Datum) ([]types.Datum, error) {
	pk := make([]types.Datum, len(rel.PK))
	for i, p := range rel.PK {
		pk[i] = row[p]
	}
	sc := tables.NewScan(w.Batch(), d, &tables.Path{PKPoints: [][]types.Datum{pk}})
	if err := sc.Init(context.Background()); err != nil {
		return nil, err
	}
	defer sc.Close()
	c, err := sc.Next()
	if err != nil || c == nil || c.Len() == 0 {
		return nil, err
	}
	old := c.RowDatums(c.Row(0))
	for i := range old {
		old[i] = old[i].Copy()
	}
	return old, nil
}

// ---- binding views over sources ----

// streamCatalog is the catalog materialized views are bound against: the
// engine's, with sources presented as (append-only, key-less) tables so
// that the binder accepts them; the dataflow's leaf for a source is then
// fed by its runner. Ad-hoc queries keep binding against the real catalog,
// where reading a source is an error.
func (e *Engine) streamCatalog() *catalog.Catalog {
	rels := e.cat.List()
	has := false
	for _, r := range rels {
		if r.Kind == catalog.KindSource {
			has = true
			break
		}
	}
	if !has {
		return e.cat
	}
	kv := shadowKV{}
	for _, r := range rels {
		cp := *r
		if cp.Kind == catalog.KindSource {
			cp.Kind = catalog.KindTable
		}
		b, err := json.Marshal(&cp)
		if err != nil {
			return e.cat
		}
		kv = append(kv, b)
	}
	c, err := catalog.Open(kv)
	if err != nil {
		return e.cat
	}
	return c
}

// shadowKV serves relation definitions to catalog.Open; it is read-only.
type shadowKV [][]byte

func (k shadowKV) PutMeta(string, []byte) error { return errors.New("read-only catalog") }
func (k shadowKV) DeleteMeta(string) error      { return errors.New("read-only catalog") }
func (k shadowKV) ScanMeta(prefix string, f func(key string, value []byte) error) error {
	if strings.Contains(prefix, "next_id") {
		return nil
	}
	for i, v := range k {
		if err := f(prefix+strconv.Itoa(i), v); err != nil {
			return err
		}
	}
	return nil
}

// StateBytes estimates the bytes a relation's state occupies in the store
// (a materialized view: its rows and its operators' state; a table: its
// rows), after flushing the store's mem-tables (benchmarks).
func (e *Engine) StateBytes(name string) (uint64, error) {
	rows, ops, err := e.StateBytesSplit(name)
	return rows + ops, err
}

// StateBytesSplit is StateBytes split into the relation's own rows and its
// operators' state.
func (e *Engine) StateBytesSplit(name string) (rows, ops uint64, err error) {
	rel := e.cat.Get(name)
	if rel == nil {
		return 0, 0, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	if err := e.store.DB().Flush(); err != nil {
		return 0, 0, err
	}
	if rows, err = e.store.ApproximateSize(rel.ID); err != nil {
		return 0, 0, err
	}
	for _, id := range rel.StateIDs {
		n, err := e.store.ApproximateSize(id)
		if err != nil {
			return 0, 0, err
		}
		ops += n
	}
	return rows, ops, nil
}

// StoreMetrics returns the state store's Pebble metrics as text
// (diagnostics for benchmarks).
func (e *Engine) StoreMetrics() string {
	m := e.store.Metrics()
	return fmt.Sprintf("%s\nblock cache: %+v\n", m.String(), m.BlockCache)
}

// SourceEventOffset returns the largest committed offset of a generator
// source's splits (for nexmark, the index of the next row of its table
// type), for progress reports.
func (e *Engine) SourceEventOffset(name string) (uint64, error) {
	rel := e.cat.Get(name)
	if rel == nil {
		return 0, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	offs, err := e.store.SourceOffsets(rel.ID)
	if err != nil {
		return 0, err
	}
	var most uint64
	for _, o := range offs {
		if len(o) == 8 {
			if n := binary.BigEndian.Uint64(o); n > most {
				most = n
			}
		}
	}
	return most, nil
}
