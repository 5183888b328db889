package session

// Sinks.
//
//	CREATE SINK [IF NOT EXISTS] name FROM relation | AS query
//	  WITH (connector = 'blackhole' | 'kafka' | 'jdbc' | 'postgres' | 'file' | 'filesystem',
//	        type = 'append-only' | 'upsert', primary_key = 'a,b', force_append_only = 'true', ...)
//	  [FORMAT PLAIN | UPSERT | DEBEZIUM ENCODE JSON]
//
// Exactly-once by an outbox. A sink's output changes are appended, in the
// same Pebble batch as the change that caused them (so atomically with the
// tables, the views' state and the source offsets), to the sink's log:
//
//	sinkID | vnode 0 | seq (8 bytes, big-endian) → rows (op, encoded row)...
//
// one entry per output chunk, seq increasing in commit order (writers are
// serialised by writeMu). A goroutine per sink (sinkRuntime.run) reads the
// committed log in order and delivers batches of entries [from, to] to the
// external system together with a record of "to" that the system keeps
// atomically with the data (a Kafka transaction whose records carry it in a
// header, a PostgreSQL transaction that also upserts a progress row, a file
// batch followed by an atomically replaced progress file). Only then does
// it delete the delivered entries and record "to" in Pebble (ackKey). After
// a crash the runner asks the system where it got and resumes after that:
// nothing is lost (the log is durable before delivery) and nothing is
// doubled (delivery and progress are one atomic step). The blackhole sink's
// progress is the Pebble ack. A batch's entries are visible once it is
// applied, which with group commit (CommitNoSyncWait) is before its WAL
// sync: the shipper syncs the WAL before each delivery, so it never ships
// an entry that a crash could still take back (and whose sequence number a
// restart would hand out again).
//
// A failing delivery is retried with backoff by the sink's goroutine;
// writers never wait for it (the log grows meanwhile). SHOW SINKS reports
// each sink's unshipped entries and last error.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/connectors/postgres"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// WITH keys the engine adds to a sink's definition.
const (
	withSinkType   = "streamsql.sink.type" // append-only | upsert | debezium
	withSinkPK     = "streamsql.sink.pk"   // key column ordinals, "0,2"
	withSinkFrom   = "streamsql.sink.from" // id of the FROM relation
	withSinkCols   = "streamsql.sink.cols" // ordinals of the FROM relation's columns sent
	withSinkForce  = "streamsql.sink.force_append_only"
	withSinkFormat = "streamsql.sink.format" // kafka: plain | upsert | debezium
)

// sinkEngineKeys are WITH keys the engine interprets for every connector.
var sinkEngineKeys = map[string]bool{
	"type": true, "primary_key": true, "force_append_only": true, "sink.decouple": true,
	withSinkType: true, withSinkPK: true, withSinkFrom: true, withSinkCols: true, withSinkForce: true, withSinkFormat: true,
}

const (
	sinkTypeAppend   = "append-only"
	sinkTypeUpsert   = "upsert"
	sinkTypeDebezium = "debezium"

	// sinkBatchRows bounds the rows of one delivery.
	sinkBatchRows  = 16384
	sinkBackoffMin = 200 * time.Millisecond
	sinkBackoffMax = 30 * time.Second
)

// sinks is the engine's registry of sinks. byID and readers are guarded
// by writeMu.
type sinks struct {
	byID map[uint32]*sinkRuntime
	// readers maps a relation id to the sinks reading it.
	readers map[uint32][]uint32
	wg      sync.WaitGroup
}

// sinkRuntime is one sink: its dataflow (AS SELECT) or source relation
// (FROM), its log position and its delivery goroutine.
type sinkRuntime struct {
	e     *Engine
	rel   *catalog.Relation
	g     *planner.StreamGraph // nil for FROM
	flow  *viewFlow            // g's actors
	from  uint32               // FROM relation, 0 for AS SELECT
	cols  []int                // FROM: the relation's columns sent
	ts    []types.T
	names []string
	kind  string // sinkTypeAppend, sinkTypeUpsert, sinkTypeDebezium
	pk    []int
	conn  string // connector name

	nextSeq   atomic.Uint64 // next log sequence number (written under writeMu)
	committed atomic.Uint64 // highest sequence number known committed

	wake   chan struct{}
	stop   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	shipped  atomic.Uint64
	mu       sync.Mutex
	lastErr  string
	failures int64
}

func sinkLogPrefix(id uint32) []byte { return state.VNodePrefix(id, 0) }

func sinkLogKey(id uint32, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(sinkLogPrefix(id), seq)
}

func sinkAckKey(id uint32) []byte { return state.SystemKey(fmt.Sprintf("sinkack/%d", id)) }

// ---- CREATE SINK ----

func (s *session) createSink(x *sql.CreateSink, text string) error {
	e := s.e
	e.writeMu.Lock()
	if s.tx == 'T' {
		s.wroteInTx = true
	}
	rt, snap, err := s.prepareSink(x, text)
	if err != nil || rt == nil {
		e.writeMu.Unlock()
		return err
	}
	p := &pendingView{reads: map[uint32]bool{}}
	if rt.g != nil {
		for _, l := range rt.g.Leaves {
			p.reads[l.RelID] = true
		}
	} else {
		p.reads[rt.from] = true
	}
	if e.views.pending == nil {
		e.views.pending = map[uint32]*pendingView{}
	}
	e.views.pending[rt.rel.ID] = p
	e.pendingNames[rt.rel.Name] = rt.rel.ID
	e.writeMu.Unlock()

	// Without the lock: check that the external system is there, then
	// backfill (the current contents go to the log first).
	w := e.tables.NewWriter()
	defer w.Close()
	err = rt.checkConnector()
	if err == nil {
		err = e.sinkBackfill(rt, snap, w)
	}
	snap.Close()

	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	delete(e.views.pending, rt.rel.ID)
	sctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background()}, State: e.opState(w.Batch())}
	for _, d := range p.buf {
		if err != nil {
			break
		}
		err = e.sinkPush(sctx, rt, d.relID, d.c)
	}
	if err == nil && rt.g != nil {
		err = e.sinkFinishInitial(sctx, rt)
	}
	for _, id := range rt.rel.DependsOn {
		if err == nil && e.cat.GetByID(id) == nil {
			err = types.Errorf(types.CodeUndefinedTable, "a relation read by sink %q was dropped while it was being created", rt.rel.Name)
		}
	}
	if err == nil {
		err = w.Commit()
	}
	if err == nil {
		err = e.cat.Create(rt.rel)
	}
	if err != nil {
		if rt.flow != nil {
			rt.flow.close()
		}
		e.dropSinkState(rt.rel)
		return err
	}
	e.sinks.add(rt)
	// The sink's dataflow joins its inputs' event time where it stands.
	if err := e.pushWatermarksIntoSink(rt); err != nil {
		slog.Default().Error("pushing watermarks into a new sink", "sink", rt.rel.Name, "err", err)
	}
	e.startSink(rt)
	return nil
}

// prepareSink validates the statement, compiles the sink and takes the
// snapshot its backfill reads. Called with writeMu held; a nil runtime
// means IF NOT EXISTS found the name taken.
func (s *session) prepareSink(x *sql.CreateSink, text string) (*sinkRuntime, *readView, error) {
	e := s.e
	if old := e.cat.Get(x.Name); old != nil {
		if x.IfNotExists {
			return nil, nil, nil
		}
		if old.Kind != catalog.KindSink {
			return nil, nil, types.Errorf(types.CodeDuplicateTable, "relation %q already exists", x.Name)
		}
		return nil, nil, types.Errorf(types.CodeDuplicateObject, "sink %q already exists", x.Name)
	}
	if _, pending := e.pendingName(x.Name); pending {
		return nil, nil, types.Errorf(types.CodeDuplicateObject, "relation %q is being created by another session", x.Name)
	}
	with := map[string]string{}
	for k, v := range x.With {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "streamsql.") {
			return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "unrecognized sink option %q", k)
		}
		with[lk] = v
	}
	conn := strings.ToLower(strings.TrimSpace(with["connector"]))
	if conn == "" {
		return nil, nil, types.Errorf(types.CodeSyntaxError, "sink option connector is required (blackhole, kafka, jdbc, postgres, file)")
	}
	switch conn {
	case "blackhole", "kafka", "jdbc", "postgres", "postgresql", "file", "filesystem":
	default:
		return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "sink connector %q is not supported (supported: blackhole, kafka, jdbc, postgres, file, filesystem)", conn)
	}
	if err := checkSinkOptions(conn, with); err != nil {
		return nil, nil, err
	}
	id, err := e.cat.AllocID()
	if err != nil {
		return nil, nil, err
	}
	rel := &catalog.Relation{ID: id, Name: x.Name, Kind: catalog.KindSink, SQL: text, With: with, EmitOnWindowClose: x.EmitOnWindowClose}
	rt := &sinkRuntime{e: e, rel: rel, conn: conn}
	appendOnlyInput := false
	if x.Query != nil {
		bq, g, deps, err := e.compileView(x.Query, id, e.cat.AllocID, x.EmitOnWindowClose)
		if err != nil {
			return nil, nil, err
		}
		if len(temporalNodes(g)) > 0 {
			e := types.Errorf(types.CodeFeatureNotSupported, "temporal filters (now()) are not supported in CREATE SINK ... AS SELECT")
			e.Hint = "Create a materialized view with the filter and a sink FROM it."
			return nil, nil, e
		}
		if m, ok := g.Root.Op.(*stream.Materialize); ok {
			appendOnlyInput = m.AppendOnly()
		}
		sinkRoot(g)
		flow, err := e.newFlow(x.Query, id, g, x.EmitOnWindowClose, sinkRoot)
		if err != nil {
			return nil, nil, err
		}
		rt.g, rt.flow = g, flow
		rel.StateIDs = g.StateIDs
		for _, c := range bq.Cols {
			rel.Columns = append(rel.Columns, catalog.Column{Name: c.Name, Type: c.Type})
		}
		for d := range deps {
			rel.DependsOn = append(rel.DependsOn, d)
		}
		sort.Slice(rel.DependsOn, func(i, j int) bool { return rel.DependsOn[i] < rel.DependsOn[j] })
		// Operator state is new and empty (see prepareView).
		e.markComplete(rt.flow, rel.StateIDs...)
	} else {
		src := e.cat.Get(x.From)
		if src == nil {
			return nil, nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", x.From)
		}
		switch src.Kind {
		case catalog.KindTable, catalog.KindSource:
			appendOnlyInput = src.Kind == catalog.KindSource || src.AppendOnly
		case catalog.KindMaterializedView:
			if v := e.views.byID[src.ID]; v != nil {
				if m, ok := v.g.Root.Op.(*stream.Materialize); ok {
					appendOnlyInput = m.AppendOnly()
				}
			}
		default:
			return nil, nil, types.Errorf(types.CodeWrongObjectType, "cannot create a sink from %s %q: use a table, source or materialized view, or CREATE SINK ... AS SELECT", src.Kind, src.Name)
		}
		rt.from = src.ID
		rel.DependsOn = []uint32{src.ID}
		var cols []string
		for _, i := range src.VisibleColumns() {
			rt.cols = append(rt.cols, i)
			cols = append(cols, strconv.Itoa(i))
			rel.Columns = append(rel.Columns, src.Columns[i])
		}
		with[withSinkFrom] = strconv.FormatUint(uint64(src.ID), 10)
		with[withSinkCols] = strings.Join(cols, ",")
		if src.Kind == catalog.KindTable && src.DeclaredPK && with["primary_key"] == "" {
			var names []string
			for _, p := range src.PK {
				names = append(names, src.Columns[p].Name)
			}
			with[withSinkPK] = strings.Join(names, ",") // resolved below
		}
	}
	if err := resolveSinkType(rt, x, with, appendOnlyInput); err != nil {
		return nil, nil, err
	}
	rt.init()
	if _, err := rt.newTarget(); err != nil {
		return nil, nil, err
	}
	rt.nextSeq.Store(1)
	return rt, e.newReadView(), nil
}

// checkSinkOptions validates the connector's own options.
func checkSinkOptions(conn string, with map[string]string) error {
	var err error
	switch conn {
	case "kafka":
		_, err = kafka.ParseOptions(connectorWith(with))
	case "jdbc", "postgres", "postgresql":
		_, err = postgres.ParseOptions(with, sinkEngineKeys)
	case "file", "filesystem":
		_, err = file.ParseSinkOptions(with, sinkEngineKeys)
	}
	return err
}

// connectorWith returns with without the engine's keys.
func connectorWith(with map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range with {
		if !sinkEngineKeys[k] {
			out[k] = v
		}
	}
	return out
}

// resolveSinkType settles the sink's type and key from the type,
// primary_key and force_append_only options and the FORMAT clause.
func resolveSinkType(rt *sinkRuntime, x *sql.CreateSink, with map[string]string, appendOnlyInput bool) error {
	typ := strings.ToLower(strings.TrimSpace(with["type"]))
	f := strings.ToLower(x.Format)
	if x.Encode != "" && !strings.EqualFold(x.Encode, "json") {
		return types.Errorf(types.CodeFeatureNotSupported, "sink ENCODE %s is not supported (supported: JSON)", x.Encode)
	}
	switch f {
	case "":
	case "plain":
		if typ == "" {
			typ = sinkTypeAppend
		}
	case "upsert":
		if typ != "" && typ != sinkTypeUpsert {
			return types.Errorf(types.CodeInvalidParameterValue, "FORMAT UPSERT contradicts type = '%s'", typ)
		}
		typ = sinkTypeUpsert
	case "debezium":
		if typ != "" && typ != sinkTypeDebezium {
			return types.Errorf(types.CodeInvalidParameterValue, "FORMAT DEBEZIUM contradicts type = '%s'", typ)
		}
		typ = sinkTypeDebezium
	default:
		return types.Errorf(types.CodeFeatureNotSupported, "sink FORMAT %s is not supported (supported: PLAIN, UPSERT, DEBEZIUM)", x.Format)
	}
	if f != "" && rt.conn != "kafka" {
		return types.Errorf(types.CodeFeatureNotSupported, "FORMAT ... ENCODE is only supported for the kafka sink; use type = 'append-only' | 'upsert'")
	}
	force := false
	if v, ok := with["force_append_only"]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "t", "on", "1", "yes":
			force = true
		case "false", "f", "off", "0", "no":
		default:
			return types.Errorf(types.CodeInvalidParameterValue, "invalid value for force_append_only: %q (expected true or false)", v)
		}
	}
	switch typ {
	case "":
		switch {
		case rt.conn == "blackhole":
			typ = sinkTypeAppend
			force = true
		case appendOnlyInput || force:
			typ = sinkTypeAppend
		default:
			return types.Errorf(types.CodeSyntaxError, "sink option type is required: the input of sink %q is not append-only (use type = 'upsert' with primary_key, or type = 'append-only' with force_append_only = 'true')", rt.rel.Name)
		}
	case sinkTypeAppend:
		if !appendOnlyInput && !force && rt.conn != "blackhole" {
			e := types.Errorf(types.CodeInvalidParameterValue, "the input of append-only sink %q can update or delete rows", rt.rel.Name)
			e.Hint = "Use type = 'upsert' with primary_key, or force_append_only = 'true' to drop the deletes and keep the inserts."
			return e
		}
	case sinkTypeUpsert, sinkTypeDebezium:
		if typ == sinkTypeDebezium && rt.conn != "kafka" {
			return types.Errorf(types.CodeFeatureNotSupported, "type = 'debezium' is only supported for the kafka sink")
		}
		if rt.conn == "file" || rt.conn == "filesystem" {
			return types.Errorf(types.CodeFeatureNotSupported, "the file sink is append-only: use type = 'append-only' (with force_append_only = 'true' for an input that updates rows)")
		}
	default:
		return types.Errorf(types.CodeInvalidParameterValue, "invalid sink type %q (expected 'append-only' or 'upsert')", typ)
	}
	keys := strings.TrimSpace(with["primary_key"])
	if keys == "" {
		keys = with[withSinkPK]
	}
	delete(with, withSinkPK)
	if keys != "" {
		var ords []string
		for _, k := range strings.Split(keys, ",") {
			k = strings.TrimSpace(k)
			i := -1
			for j, c := range rt.rel.Columns {
				if c.Name == k {
					i = j
				}
			}
			if i < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "primary_key column %q is not a column of sink %q", k, rt.rel.Name)
			}
			ords = append(ords, strconv.Itoa(i))
		}
		with[withSinkPK] = strings.Join(ords, ",")
	}
	if typ != sinkTypeAppend && with[withSinkPK] == "" && rt.conn != "blackhole" {
		return types.Errorf(types.CodeSyntaxError, "sink option primary_key is required for a sink of type '%s'", typ)
	}
	with[withSinkType] = typ
	if force {
		with[withSinkForce] = "true"
	}
	return nil
}

// init fills the runtime's derived fields from its relation.
func (rt *sinkRuntime) init() {
	rel := rt.rel
	rt.ts = rel.Types()
	rt.names = nil
	for _, c := range rel.Columns {
		rt.names = append(rt.names, c.Name)
	}
	rt.kind = rel.With[withSinkType]
	rt.pk = nil
	if v := rel.With[withSinkPK]; v != "" {
		for _, s := range strings.Split(v, ",") {
			i, _ := strconv.Atoi(s)
			rt.pk = append(rt.pk, i)
		}
	}
	rt.conn = strings.ToLower(strings.TrimSpace(rel.With["connector"]))
	if v := rel.With[withSinkFrom]; v != "" {
		id, _ := strconv.ParseUint(v, 10, 32)
		rt.from = uint32(id)
		rt.cols = nil
		for _, s := range strings.Split(rel.With[withSinkCols], ",") {
			if s == "" {
				continue
			}
			i, _ := strconv.Atoi(s)
			rt.cols = append(rt.cols, i)
		}
	}
	rt.wake = make(chan struct{}, 1)
}

// checkConnector checks, for Kafka and PostgreSQL, that the external
// system is reachable and has the topic or table, so that mistakes show at
// CREATE SINK (it runs without the write lock). Later failures are the
// sink goroutine's to retry.
func (rt *sinkRuntime) checkConnector() error {
	t, err := rt.newTarget()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	switch x := t.(type) {
	case *kafkaTarget:
		src, err := kafka.Open(ctx, x.o)
		if err != nil {
			return err
		}
		src.Close()
	case *pgTarget:
		s, err := postgres.Open(ctx, x.o, "", rt.names, rt.pk, rt.kind != sinkTypeAppend)
		if err != nil {
			var te *types.Error
			if errors.As(err, &te) {
				return err
			}
			return types.Errorf("08001", "%v", err)
		}
		s.Close()
	}
	return nil
}

// sinkRoot replaces the view's storage at the root of a sink's compiled
// query by a pass-through: the rows go to the sink's log.
func sinkRoot(g *planner.StreamGraph) {
	g.Root.Op = stream.NewPass(g.Root.Op.Types())
	g.Root.Desc = "Sink"
}

// ---- the log ----

func (v *sinks) add(rt *sinkRuntime) {
	if v.byID == nil {
		v.byID, v.readers = map[uint32]*sinkRuntime{}, map[uint32][]uint32{}
	}
	v.byID[rt.rel.ID] = rt
	seen := map[uint32]bool{}
	reads := []uint32{rt.from}
	if rt.g != nil {
		reads = reads[:0]
		for _, l := range rt.g.Leaves {
			reads = append(reads, l.RelID)
		}
	}
	for _, id := range reads {
		if !seen[id] {
			seen[id] = true
			v.readers[id] = append(v.readers[id], rt.rel.ID)
		}
	}
}

func (v *sinks) remove(id uint32) *sinkRuntime {
	rt := v.byID[id]
	delete(v.byID, id)
	removeReader(v.readers, id)
	return rt
}

// hasSinkReaders reports whether a sink reads relID.
func (e *Engine) hasSinkReaders(relID uint32) bool { return len(e.sinks.readers[relID]) > 0 }

// sinkRows pushes the change delta of relID into every sink reading it.
// Called with writeMu held, from propagateRows.
func (e *Engine) sinkRows(ctx *stream.Ctx, relID uint32, delta *exec.Chunk) error {
	for _, sid := range e.sinks.readers[relID] {
		if err := e.sinkPush(ctx, e.sinks.byID[sid], relID, delta); err != nil {
			return err
		}
	}
	return nil
}

// sinkPush runs delta of relID through rt's dataflow (or takes it as is
// for a FROM sink) and appends the output to rt's log in ctx's batch.
func (e *Engine) sinkPush(ctx *stream.Ctx, rt *sinkRuntime, relID uint32, delta *exec.Chunk) error {
	if rt.g == nil {
		if relID != rt.from {
			return nil
		}
		return rt.appendLog(ctx, delta, rt.cols)
	}
	for _, l := range rt.g.Leaves {
		if l.RelID != relID {
			continue
		}
		in := rt.flow.leaf(l)
		in.Chunk = delta
		if err := rt.flow.pushWith(ctx, in, rt.output(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// output is where the output of each push into rt's dataflow goes: its
// log, in ctx's batch. The actors' output goes to the log as it comes
// unless the sink applies changes by key (upsert, debezium) and the actors
// run in parallel: then each push's changes are netted first (see
// netChanges).
func (rt *sinkRuntime) output(ctx *stream.Ctx) pushOutput {
	return func() (add func(*exec.Chunk) error, flush func() error) {
		if !rt.flow.parallel() || rt.kind == sinkTypeAppend || rt.conn == "blackhole" {
			return func(c *exec.Chunk) error { return rt.appendLog(ctx, c, nil) }, func() error { return nil }
		}
		o := &outputs{keep: true, net: true, ts: rt.g.Root.Op.Types()}
		return o.add, func() error {
			for _, c := range o.take() {
				if err := rt.appendLog(ctx, c, nil); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

// sinkWatermark pushes a watermark of relID into the sinks' dataflows.
func (e *Engine) sinkWatermark(ctx *stream.Ctx, relID uint32, w stream.Watermark) error {
	for _, sid := range e.sinks.readers[relID] {
		rt := e.sinks.byID[sid]
		if rt.g == nil {
			continue
		}
		for _, l := range rt.g.Leaves {
			if l.RelID != relID || l.WatermarkCol < 0 {
				continue
			}
			in := rt.flow.leaf(l)
			in.Watermark = &w
			if err := rt.flow.pushWith(ctx, in, rt.output(ctx)); err != nil {
				return err
			}
		}
	}
	return nil
}

// pushWatermarksIntoSink sends the current watermark of each input of an
// AS SELECT sink into its dataflow, in a batch of its own (at startup and
// creation; see pushWatermarksInto). Called with writeMu held or before
// the engine serves.
func (e *Engine) pushWatermarksIntoSink(rt *sinkRuntime) error {
	if rt.g == nil {
		return nil
	}
	w := e.tables.NewWriter()
	defer w.Close()
	ctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background(), Now: e.now()}, State: e.opState(w.Batch())}
	pushed, err := e.pushCurrentWatermarks(rt.g, func(l planner.StreamLeaf, wm stream.Watermark) error {
		in := rt.flow.leaf(l)
		in.Watermark = &wm
		return rt.flow.pushWith(ctx, in, rt.output(ctx))
	})
	if err != nil || !pushed {
		return err
	}
	return w.Commit()
}

// restoreSinkWatermarks pushes the restored watermarks into every AS
// SELECT sink's dataflow at startup (after restoreWatermarks).
func (e *Engine) restoreSinkWatermarks() error {
	for _, id := range slices.Sorted(maps.Keys(e.sinks.byID)) {
		if err := e.pushWatermarksIntoSink(e.sinks.byID[id]); err != nil {
			return err
		}
	}
	return nil
}

// rawBatch returns the Pebble batch under a dataflow's state: the log is
// written around the state cache (it is only ever read by the shipper).
func rawBatch(st stream.State) (*state.Batch, error) {
	switch x := st.(type) {
	case *state.CachedBatch:
		return x.Batch(), nil
	case *stream.BatchState:
		return x.B, nil
	}
	return nil, types.Errorf(types.CodeInternal, "sink: unexpected state %T", st)
}

// appendLog appends the rows of c (columns cols of c, all if nil) as one
// log entry. Deletes are dropped for an append-only sink.
func (rt *sinkRuntime) appendLog(ctx *stream.Ctx, c *exec.Chunk, cols []int) error {
	n := c.Len()
	if n == 0 || rt.conn == "blackhole" {
		// A blackhole delivers nothing: logging its rows only to delete
		// them would cost more than the query (benchmarks use it).
		return nil
	}
	b, err := rawBatch(ctx.State)
	if err != nil {
		return err
	}
	appendOnly := rt.kind == sinkTypeAppend
	var buf, rowBuf []byte
	row := make([]types.Datum, len(rt.ts))
	rows := 0
	for i := 0; i < n; i++ {
		r := c.Row(i)
		op := exec.OpInsert
		if c.Ops != nil {
			op = c.Ops[r]
		}
		del := op == exec.OpDelete || op == exec.OpUpdateDelete
		if del && appendOnly {
			continue
		}
		for j := range row {
			k := j
			if cols != nil {
				k = cols[j]
			}
			row[j] = c.Cols[k].Get(r)
		}
		rowBuf = state.AppendRow(rowBuf[:0], rt.ts, row)
		if del {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
		buf = binary.AppendUvarint(buf, uint64(len(rowBuf)))
		buf = append(buf, rowBuf...)
		rows++
	}
	if rows == 0 {
		return nil
	}
	seq := rt.nextSeq.Add(1) - 1
	if err := b.Set(sinkLogKey(rt.rel.ID, seq), buf); err != nil {
		return err
	}
	b.OnCommit(func() {
		for {
			cur := rt.committed.Load()
			if cur >= seq || rt.committed.CompareAndSwap(cur, seq) {
				break
			}
		}
		rt.kick()
	})
	return nil
}

func (rt *sinkRuntime) kick() {
	select {
	case rt.wake <- struct{}{}:
	default:
	}
}

// decodeEntry appends the rows of a log entry to c.
func (rt *sinkRuntime) decodeEntry(v []byte, c *exec.Chunk) error {
	for len(v) > 0 {
		op := exec.OpInsert
		if v[0] == 1 {
			op = exec.OpDelete
		}
		l, n := binary.Uvarint(v[1:])
		if n <= 0 || uint64(len(v)-1-n) < l {
			return types.Errorf(types.CodeInternal, "sink %q: corrupt log entry", rt.rel.Name)
		}
		row, err := state.DecodeRowCopy(v[1+n:1+n+int(l)], rt.ts, nil)
		if err != nil {
			return err
		}
		c.AppendDatums(row)
		c.Ops = append(c.Ops, op)
		v = v[1+n+int(l):]
	}
	return nil
}

// ---- backfill ----

// sinkBackfill appends the current contents of the sink's input (from
// snap) to its log as inserts, in w's batch.
func (e *Engine) sinkBackfill(rt *sinkRuntime, snap *readView, w *tables.Writer) error {
	sctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background()}, State: e.opState(w.Batch())}
	if rt.g == nil {
		return e.scanSnapshot(sctx.EC.Ctx, snap, rt.from, func(c *exec.Chunk) error { return rt.appendLog(sctx, c, rt.cols) })
	}
	return rt.flow.backfill(e, sctx, rt.g, snap, rt.output(sctx))
}

// sinkFinishInitial emits the empty-input rows of global aggregations
// whose input stayed empty during the backfill (see viewFlow.finishInitial).
func (e *Engine) sinkFinishInitial(sctx *stream.Ctx, rt *sinkRuntime) error {
	return rt.flow.finishInitial(sctx, rt.g, rt.output(sctx))
}

// ---- load, start, stop, drop ----

// loadSinks rebuilds every sink at startup (after the views).
func (e *Engine) loadSinks() error {
	for _, r := range e.relationsOfKind(catalog.KindSink) {
		rt := &sinkRuntime{e: e, rel: r}
		rt.init()
		if r.With[withSinkFrom] == "" {
			stmts, err := sql.Parse(r.SQL)
			if err != nil {
				return err
			}
			x, ok := stmts[0].(*sql.CreateSink)
			if !ok || x.Query == nil {
				return types.Errorf(types.CodeInternal, "sink %q has an invalid definition", r.Name)
			}
			alloc := recordedStateIDs("sink", r)
			_, g, _, err := e.compileView(x.Query, r.ID, alloc, r.EmitOnWindowClose)
			if err != nil {
				return err
			}
			sinkRoot(g)
			flow, err := e.newFlow(x.Query, r.ID, g, r.EmitOnWindowClose, sinkRoot)
			if err != nil {
				return err
			}
			rt.g, rt.flow = g, flow
		}
		// The next sequence number follows the last logged or acknowledged one.
		next := uint64(1)
		if v, found, err := state.GetValue(e.store, sinkAckKey(r.ID)); err != nil {
			return err
		} else if found && len(v) == 8 {
			next = binary.BigEndian.Uint64(v) + 1
		}
		it, err := e.store.NewIter(sinkLogPrefix(r.ID), state.PrefixEnd(sinkLogPrefix(r.ID)))
		if err != nil {
			return err
		}
		if it.Last() {
			k := it.Key()
			if seq := binary.BigEndian.Uint64(k[len(k)-8:]); seq+1 > next {
				next = seq + 1
			}
		}
		it.Close()
		rt.nextSeq.Store(next)
		rt.committed.Store(next - 1)
		e.sinks.add(rt)
	}
	return nil
}

// startSinks starts the delivery goroutine of every sink.
func (e *Engine) startSinks() {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	for _, rt := range e.sinks.byID {
		e.startSink(rt)
	}
}

func (e *Engine) startSink(rt *sinkRuntime) {
	ctx, cancel := context.WithCancel(context.Background())
	rt.stop, rt.cancel, rt.done = make(chan struct{}), cancel, make(chan struct{})
	e.sinks.wg.Add(1)
	go func() {
		defer e.sinks.wg.Done()
		defer close(rt.done)
		rt.run(ctx)
	}()
}

func (rt *sinkRuntime) halt() {
	if rt.stop == nil {
		return
	}
	select {
	case <-rt.stop:
	default:
		close(rt.stop)
	}
	rt.cancel()
	<-rt.done
}

// stopSinks stops every sink's goroutine (Close).
func (e *Engine) stopSinks() {
	e.writeMu.Lock()
	rts := make([]*sinkRuntime, 0, len(e.sinks.byID))
	for _, rt := range e.sinks.byID {
		rts = append(rts, rt)
	}
	e.writeMu.Unlock()
	for _, rt := range rts {
		rt.halt()
	}
	e.sinks.wg.Wait()
}

// dropSink stops a dropped sink and deletes its log and state. Called
// with writeMu held.
func (e *Engine) dropSink(rel *catalog.Relation) error {
	if rt := e.sinks.remove(rel.ID); rt != nil {
		rt.halt()
		if rt.flow != nil {
			rt.flow.close()
		}
	}
	return e.dropSinkState(rel)
}

func (e *Engine) dropSinkState(rel *catalog.Relation) error {
	b := e.store.NewBatch()
	defer b.Close()
	if err := b.Delete(sinkAckKey(rel.ID)); err != nil {
		return err
	}
	for _, id := range append([]uint32{rel.ID}, rel.StateIDs...) {
		if err := b.DeleteTable(id); err != nil {
			return err
		}
	}
	if err := b.Commit(true); err != nil {
		return err
	}
	e.stateCache.Clear()
	return nil
}

// WaitSinks waits until every sink has delivered everything committed to
// its log so far (tests, benchmarks).
func (e *Engine) WaitSinks(ctx context.Context) error {
	for {
		e.writeMu.Lock()
		var pending []*sinkRuntime
		for _, rt := range e.sinks.byID {
			it, err := e.store.NewIter(sinkLogPrefix(rt.rel.ID), state.PrefixEnd(sinkLogPrefix(rt.rel.ID)))
			if err != nil {
				e.writeMu.Unlock()
				return err
			}
			if it.First() {
				pending = append(pending, rt)
			}
			it.Close()
		}
		e.writeMu.Unlock()
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			var errs []string
			for _, rt := range pending {
				if m := rt.status(); m != "" {
					errs = append(errs, rt.rel.Name+": "+m)
				}
			}
			return fmt.Errorf("sinks not drained: %v %s", ctx.Err(), strings.Join(errs, "; "))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ---- delivery ----

// sinkTarget is the external side of a sink.
type sinkTarget interface {
	// recover connects and returns the last sequence number the external
	// system durably holds (0 if none).
	recover(ctx context.Context) (uint64, error)
	// deliver writes the rows of c (ops: insert or delete) and records to
	// as the progress, atomically.
	deliver(ctx context.Context, c *exec.Chunk, from, to uint64) error
	close()
}

func (rt *sinkRuntime) fail(err error) {
	rt.mu.Lock()
	rt.lastErr = err.Error()
	rt.failures++
	rt.mu.Unlock()
	slog.Warn("sink delivery failed; retrying", "sink", rt.rel.Name, "err", err)
}

func (rt *sinkRuntime) ok() {
	rt.mu.Lock()
	rt.lastErr = ""
	rt.mu.Unlock()
}

func (rt *sinkRuntime) status() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.lastErr
}

// sleep waits d or until the sink stops; it reports whether to go on.
func (rt *sinkRuntime) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-rt.stop:
		return false
	case <-t.C:
		return true
	}
}

// run is the sink's delivery loop.
func (rt *sinkRuntime) run(ctx context.Context) {
	var target sinkTarget
	defer func() {
		if target != nil {
			target.close()
		}
	}()
	backoff := sinkBackoffMin
	retry := func(err error) bool {
		if ctx.Err() != nil {
			return false
		}
		rt.fail(err)
		if target != nil {
			target.close()
			target = nil
		}
		ok := rt.sleep(backoff)
		backoff = min(backoff*2, sinkBackoffMax)
		return ok
	}
	var shipped uint64
	for {
		select {
		case <-rt.stop:
			return
		default:
		}
		if target == nil {
			t, err := rt.newTarget()
			var ext uint64
			if err == nil {
				ext, err = t.recover(ctx)
				if err != nil {
					t.close()
				}
			}
			if err != nil {
				if !retry(err) {
					return
				}
				continue
			}
			target = t
			ack, err := rt.ack()
			if err != nil {
				if !retry(err) {
					return
				}
				continue
			}
			shipped = max(ext, ack)
			if shipped > ack {
				if err := rt.trim(shipped); err != nil {
					if !retry(err) {
						return
					}
					continue
				}
			}
			rt.shipped.Store(shipped)
		}
		c, from, to, err := rt.readLog(shipped)
		if err != nil {
			if !retry(err) {
				return
			}
			continue
		}
		if to == 0 {
			select {
			case <-rt.stop:
				return
			case <-rt.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		out := rt.shape(c)
		if out.Len() > 0 && rt.conn != "blackhole" {
			// Entries are visible once applied, durable only after the
			// WAL sync (group commit): never ship what a crash could
			// still take back.
			if err := rt.e.store.SyncWAL(); err != nil {
				if !retry(err) {
					return
				}
				continue
			}
			if err := target.deliver(ctx, out, from, to); err != nil {
				if !retry(err) {
					return
				}
				continue
			}
		}
		rt.shipped.Store(to)
		if h := testSinkBeforeTrim.Load(); h != nil {
			if err := (*h)(rt.rel.Name); err != nil {
				if !retry(err) {
					return
				}
				continue
			}
		}
		if err := rt.trim(to); err != nil {
			if !retry(err) {
				return
			}
			continue
		}
		shipped = to
		rt.shipped.Store(to)
		backoff = sinkBackoffMin
		rt.ok()
	}
}

// testSinkBeforeTrim, when set (tests), runs after a delivery and before
// the delivered entries are deleted; an error is handled like a crash at
// that point (the target is reopened and asked where it got).
var testSinkBeforeTrim atomic.Pointer[func(sink string) error]

// ack returns the last sequence number recorded as delivered in Pebble.
func (rt *sinkRuntime) ack() (uint64, error) {
	v, found, err := state.GetValue(rt.e.store, sinkAckKey(rt.rel.ID))
	if err != nil || !found || len(v) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// trim deletes the log entries up to seq and records seq as delivered.
func (rt *sinkRuntime) trim(seq uint64) error {
	b := rt.e.store.NewWriteBatch()
	defer b.Close()
	if err := b.DeleteRange(sinkLogPrefix(rt.rel.ID), sinkLogKey(rt.rel.ID, seq+1)); err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], seq)
	if err := b.Set(sinkAckKey(rt.rel.ID), v[:]); err != nil {
		return err
	}
	return b.Commit(true)
}

// readLog reads committed log entries after seq, up to sinkBatchRows rows;
// to is 0 when there are none.
func (rt *sinkRuntime) readLog(after uint64) (c *exec.Chunk, from, to uint64, err error) {
	it, err := rt.e.store.NewIter(sinkLogKey(rt.rel.ID, after+1), state.PrefixEnd(sinkLogPrefix(rt.rel.ID)))
	if err != nil {
		return nil, 0, 0, err
	}
	defer it.Close()
	c = exec.NewChunk(rt.ts)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		seq := binary.BigEndian.Uint64(k[len(k)-8:])
		if from == 0 {
			from = seq
		}
		to = seq
		if err := rt.decodeEntry(it.Value(), c); err != nil {
			return nil, 0, 0, err
		}
		if c.Len() >= sinkBatchRows {
			break
		}
	}
	return c, from, to, it.Error()
}

// shape turns a batch of logged changes into what the sink writes: the
// inserts for an append-only sink; for an upsert sink, per key, the last
// row inserted or a delete (a delete of a row older than the key's
// insert in the same batch is stale and dropped).
func (rt *sinkRuntime) shape(c *exec.Chunk) *exec.Chunk {
	if rt.kind == sinkTypeAppend {
		return c // deletes were dropped when logged
	}
	type ent struct {
		ins bool
		row int
		enc []byte
	}
	final := map[string]*ent{}
	var order []string
	var kb []byte
	for i := 0; i < c.Len(); i++ {
		kb = kb[:0]
		for _, p := range rt.pk {
			d := c.Cols[p].Get(i)
			if d.Null {
				kb = append(kb, 0)
				continue
			}
			t := types.AppendText(nil, rt.ts[p], d)
			kb = binary.AppendUvarint(append(kb, 1), uint64(len(t)))
			kb = append(kb, t...)
		}
		key := string(kb)
		enc := state.AppendRow(nil, rt.ts, c.RowDatums(i))
		cur := final[key]
		if cur == nil {
			order = append(order, key)
		}
		if c.Ops[i] == exec.OpDelete {
			if cur != nil && cur.ins && !bytes.Equal(cur.enc, enc) {
				continue
			}
			final[key] = &ent{ins: false, row: i, enc: enc}
		} else {
			final[key] = &ent{ins: true, row: i, enc: enc}
		}
	}
	out := exec.NewChunk(rt.ts)
	for _, k := range order {
		en := final[k]
		out.AppendDatums(c.RowDatums(en.row))
		if en.ins {
			out.Ops = append(out.Ops, exec.OpInsert)
		} else {
			out.Ops = append(out.Ops, exec.OpDelete)
		}
	}
	return out
}

// ---- SHOW SINKS ----

func (e *Engine) sinkStatusRows() [][]types.Datum {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	var out [][]types.Datum
	for _, r := range e.cat.List() {
		if r.Kind != catalog.KindSink {
			continue
		}
		row := []types.Datum{types.NewString(r.Name), types.NewString(strings.ToLower(r.With["connector"])), types.NewString(r.With[withSinkType]), types.Null, types.Null, types.Null}
		if rt := e.sinks.byID[r.ID]; rt != nil {
			shipped := rt.shipped.Load()
			row[3] = types.NewInt(int64(shipped))
			if last := rt.committed.Load(); last > shipped {
				row[4] = types.NewInt(int64(last - shipped))
			} else {
				row[4] = types.NewInt(0)
			}
			if m := rt.status(); m != "" {
				row[5] = types.NewString(m)
			}
		}
		out = append(out, row)
	}
	return out
}

// ---- targets ----

func (rt *sinkRuntime) newTarget() (sinkTarget, error) {
	switch rt.conn {
	case "blackhole":
		return blackholeTarget{}, nil
	case "kafka":
		return newKafkaTarget(rt)
	case "jdbc", "postgres", "postgresql":
		o, err := postgres.ParseOptions(rt.rel.With, sinkEngineKeys)
		if err != nil {
			return nil, err
		}
		return &pgTarget{rt: rt, o: o}, nil
	case "file", "filesystem":
		return newFileTarget(rt)
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "sink connector %q is not supported", rt.conn)
}

type blackholeTarget struct{}

func (blackholeTarget) recover(context.Context) (uint64, error) { return 0, nil }
func (blackholeTarget) deliver(context.Context, *exec.Chunk, uint64, uint64) error {
	return nil
}
func (blackholeTarget) close() {}

// kafkaTarget produces JSON records in transactions (kafka.TxnSink).
type kafkaTarget struct {
	rt    *sinkRuntime
	o     kafka.Options
	txnID string
	s     *kafka.TxnSink
	enc   format.Encoder
	key   format.Encoder
}

func newKafkaTarget(rt *sinkRuntime) (*kafkaTarget, error) {
	o, err := kafka.ParseOptions(connectorWith(rt.rel.With))
	if err != nil {
		return nil, err
	}
	t := &kafkaTarget{rt: rt, o: o, enc: format.NewJSONEncoder(rt.names, rt.ts)}
	t.txnID = o.TransactionalID
	if t.txnID == "" {
		t.txnID = fmt.Sprintf("streamsql-sink-%s-%d", rt.rel.Name, rt.rel.ID)
	}
	if len(rt.pk) > 0 {
		var names []string
		var ts []types.T
		for _, p := range rt.pk {
			names = append(names, rt.names[p])
			ts = append(ts, rt.ts[p])
		}
		t.key = format.NewJSONEncoder(names, ts)
	}
	return t, nil
}

// recoverable is a connection to a sink's external side that reads back
// the last sequence number delivered there.
type recoverable interface {
	Recover(context.Context) (uint64, error)
	Close()
}

// openRecovered opens a connection with open and reads back its progress,
// within 30 s; the connection is closed if that fails.
func openRecovered[S recoverable](ctx context.Context, open func(context.Context) (S, error)) (s S, seq uint64, err error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if s, err = open(cctx); err != nil {
		return s, 0, err
	}
	if seq, err = s.Recover(cctx); err != nil {
		s.Close()
	}
	return s, seq, err
}

func (t *kafkaTarget) recover(ctx context.Context) (uint64, error) {
	s, seq, err := openRecovered(ctx, func(ctx context.Context) (*kafka.TxnSink, error) {
		return kafka.OpenTxnSink(ctx, t.o, t.txnID)
	})
	if err == nil {
		t.s = s
	}
	return seq, err
}

func (t *kafkaTarget) deliver(ctx context.Context, c *exec.Chunk, _, to uint64) error {
	recs := make([]kafka.SinkRecord, 0, c.Len())
	var kc exec.Chunk
	if t.key != nil {
		kc = exec.Chunk{N: c.N}
		for _, p := range t.rt.pk {
			kc.Cols = append(kc.Cols, c.Cols[p])
		}
	}
	for i := 0; i < c.Len(); i++ {
		var rec kafka.SinkRecord
		if t.key != nil {
			k, err := t.key.Encode(&kc, i, exec.OpInsert)
			if err != nil {
				return err
			}
			rec.Key = k
		}
		v, err := t.enc.Encode(c, i, exec.OpInsert)
		if err != nil {
			return err
		}
		del := c.Ops[i] == exec.OpDelete
		switch t.rt.kind {
		case sinkTypeUpsert:
			if !del {
				rec.Value = v
			}
		case sinkTypeDebezium:
			if del {
				rec.Value = append(append([]byte(`{"before":`), v...), `,"after":null,"op":"d"}`...)
			} else {
				rec.Value = append(append([]byte(`{"before":null,"after":`), v...), `,"op":"c"}`...)
			}
		default:
			rec.Value = v
		}
		recs = append(recs, rec)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return t.s.Deliver(cctx, recs, to)
}

func (t *kafkaTarget) close() {
	if t.s != nil {
		t.s.Close()
		t.s = nil
	}
}

// pgTarget writes into a PostgreSQL table.
type pgTarget struct {
	rt *sinkRuntime
	o  postgres.Options
	s  *postgres.Sink
}

func (t *pgTarget) recover(ctx context.Context) (uint64, error) {
	key := fmt.Sprintf("%s/%d", t.rt.rel.Name, t.rt.rel.ID)
	s, seq, err := openRecovered(ctx, func(ctx context.Context) (*postgres.Sink, error) {
		return postgres.Open(ctx, t.o, key, t.rt.names, t.rt.pk, t.rt.kind != sinkTypeAppend)
	})
	if err == nil {
		t.s = s
	}
	return seq, err
}

func (t *pgTarget) deliver(ctx context.Context, c *exec.Chunk, _, to uint64) error {
	changes := make([]postgres.Change, c.Len())
	for i := range changes {
		changes[i] = postgres.Change{Delete: c.Ops[i] == exec.OpDelete, Vals: textRow(c, i, t.rt.ts)}
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return t.s.Deliver(cctx, changes, to)
}

func (t *pgTarget) close() {
	if t.s != nil {
		t.s.Close()
		t.s = nil
	}
}

func textRow(c *exec.Chunk, r int, ts []types.T) []*string {
	out := make([]*string, len(c.Cols))
	for j, v := range c.Cols {
		d := v.Get(r)
		if d.Null {
			continue
		}
		s := string(types.AppendText(nil, ts[j], d))
		out[j] = &s
	}
	return out
}

// fileTarget writes CSV or JSON-lines files (file.Sink).
type fileTarget struct {
	rt    *sinkRuntime
	o     file.SinkOptions
	parts []int
	s     *file.Sink
	enc   format.Encoder
}

func newFileTarget(rt *sinkRuntime) (*fileTarget, error) {
	o, err := file.ParseSinkOptions(rt.rel.With, sinkEngineKeys)
	if err != nil {
		return nil, err
	}
	o.ID = strconv.FormatUint(uint64(rt.rel.ID), 10)
	t := &fileTarget{rt: rt, o: o, enc: format.NewJSONEncoder(rt.names, rt.ts)}
	for _, p := range o.PartitionBy {
		i := -1
		for j, n := range rt.names {
			if n == p {
				i = j
			}
		}
		if i < 0 {
			return nil, types.Errorf(types.CodeUndefinedColumn, "partition_by column %q is not a column of sink %q", p, rt.rel.Name)
		}
		t.parts = append(t.parts, i)
	}
	return t, nil
}

func (t *fileTarget) recover(context.Context) (uint64, error) {
	s, err := file.OpenSink(t.o)
	if err != nil {
		return 0, err
	}
	seq, err := s.Recover()
	if err != nil {
		return 0, err
	}
	t.s = s
	return seq, nil
}

func (t *fileTarget) deliver(_ context.Context, c *exec.Chunk, from, to uint64) error {
	bufs := map[string]*bytes.Buffer{}
	writers := map[string]*csv.Writer{}
	var rec []string
	vals := make([]*string, len(t.parts))
	for i := 0; i < c.Len(); i++ {
		row := textRow(c, i, t.rt.ts)
		for k, p := range t.parts {
			vals[k] = row[p]
		}
		dir := file.PartitionDir(t.o.PartitionBy, vals)
		buf := bufs[dir]
		if buf == nil {
			buf = &bytes.Buffer{}
			bufs[dir] = buf
		}
		if t.o.Format == "json" {
			b, err := t.enc.Encode(c, i, exec.OpInsert)
			if err != nil {
				return err
			}
			buf.Write(b)
			buf.WriteByte('\n')
			continue
		}
		w := writers[dir]
		if w == nil {
			w = csv.NewWriter(buf)
			writers[dir] = w
		}
		rec = rec[:0]
		for _, v := range row {
			if v == nil {
				rec = append(rec, "")
			} else {
				rec = append(rec, *v)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	files := make(map[string][]byte, len(bufs))
	for dir, buf := range bufs {
		if w := writers[dir]; w != nil {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
		}
		files[dir] = buf.Bytes()
	}
	return t.s.Deliver(files, from, to)
}

func (t *fileTarget) close() { t.s = nil }
