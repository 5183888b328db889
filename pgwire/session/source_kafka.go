package session

// Kafka-backed sources and tables.
//
//	CREATE SOURCE s (...) [INCLUDE key|partition|offset|timestamp [AS col] ...]
//	  WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:9092',
//	        scan.startup.mode = 'earliest' | 'latest' | 'timestamp',
//	        scan.startup.timestamp.millis = '...')
//	  FORMAT PLAIN ENCODE JSON | CSV [(delimiter = ',', without_header = 'true')]
//	CREATE TABLE t (..., PRIMARY KEY (...)) ... FORMAT UPSERT ENCODE JSON
//
// A Kafka relation is one more generator connector of source.go: one split
// reader per partition (split key = the partition number), each a
// kafkaGen that polls its partition with explicit offsets (never a
// consumer group) and decodes the records into chunks. The offset stored
// with every commit is the next Kafka offset to read, so a restart resumes
// exactly after the last committed record.
//
// A record that cannot be decoded (or violates a NOT NULL column) adds no
// row: it is written, with its partition, offset, reason and payload, to the
// ordinary table dead_letters in the same batch as the good rows and the
// offset, and ingestion goes on. The table is created when the first Kafka
// or file relation, or relation with a WATERMARK, is created; if it is
// dropped later, rejected records are only logged.
//
// The FORMAT/ENCODE/INCLUDE clauses and the partition count are kept in the
// relation's WITH map under streamsql.* keys so that the runner can be
// rebuilt when the engine opens. Partitions added to the topic after
// creation are not read.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

const (
	withKafkaFormat     = "streamsql.format"           // "plain" | "upsert"
	withKafkaEncode     = "streamsql.encode"           // "json" | "csv"
	withKafkaInclude    = "streamsql.include"          // JSON [{"kind":..,"col":..}]
	withKafkaPartitions = "streamsql.kafka.partitions" // partition count at creation
	withKafkaUpsertKey  = "streamsql.upsert.key"       // JSON list of key column names
	withKafkaCSVDelim   = "streamsql.csv.delimiter"
	withKafkaCSVHeader  = "streamsql.csv.header"  // "true": the first record is a header
	withKafkaStart      = "streamsql.kafka.start" // JSON {partition: offset} resolved at CREATE TABLE

	// deadLetterTable stores the records the Kafka and file readers
	// rejected and the rows dropped behind a watermark (reason 'late').
	deadLetterTable = "dead_letters"
	// deadLetterPayloadMax truncates stored payloads.
	deadLetterPayloadMax = 64 << 10

	kafkaPollWait = 100 * time.Millisecond
	kafkaBackoff  = 500 * time.Millisecond
)

// deadLettersTotal counts the records rejected by Kafka and file readers
// and the late rows since the process started.
var deadLettersTotal atomic.Int64

func isKafka(with map[string]string) bool {
	return strings.EqualFold(strings.TrimSpace(with["connector"]), "kafka")
}

type kafkaIncludeCol struct {
	Kind string `json:"kind"`
	Col  string `json:"col"`
}

// kafkaDef is the part of a CREATE SOURCE/TABLE a Kafka relation needs.
type kafkaDef struct {
	name          string
	cols          []sql.ColumnDef
	with          map[string]string
	format        string
	encode        string
	formatOptions map[string]string
	include       []sql.IncludeDef
	table         bool
	pk            []string
}

// prepareKafka validates a Kafka relation (connecting to the brokers to
// check the topic) and returns its columns (INCLUDE columns appended) and
// the WITH map to store.
func prepareKafka(d kafkaDef) ([]sql.ColumnDef, map[string]string, error) {
	out := make(map[string]string, len(d.with)+6)
	for k, v := range d.with {
		if strings.HasPrefix(strings.ToLower(k), "streamsql.") && k != "streamsql.checkpoint.interval" {
			return nil, nil, optErr("unrecognized Kafka option %q", k)
		}
		out[k] = v
	}
	f, en := strings.ToLower(d.format), strings.ToLower(d.encode)
	if f == "" {
		f = "plain"
	}
	if en == "" {
		en = "json"
	}
	switch {
	case f == "plain" && (en == "json" || en == "csv"):
	case f == "upsert" && en == "json":
		if !d.table {
			return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "FORMAT UPSERT is only supported for tables (CREATE TABLE ... FORMAT UPSERT ENCODE JSON)")
		}
		if len(d.pk) == 0 {
			return nil, nil, types.Errorf(types.CodeInvalidTableDefinition, "primary key must be specified for FORMAT UPSERT ENCODE JSON")
		}
	default:
		return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "FORMAT %s ENCODE %s is not supported for the kafka connector (supported: PLAIN JSON, PLAIN CSV, UPSERT JSON)", strings.ToUpper(f), strings.ToUpper(en))
	}
	out[withKafkaFormat], out[withKafkaEncode] = f, en
	if err := parseFormatOptions(en, d.formatOptions, out); err != nil {
		return nil, nil, err
	}
	cols := append([]sql.ColumnDef(nil), d.cols...)
	if len(cols) == 0 {
		return nil, nil, types.Errorf(types.CodeInvalidTableDefinition, "kafka: a column list is required")
	}
	var incs []kafkaIncludeCol
	for _, in := range d.include {
		kind := strings.ToLower(in.Kind)
		var t types.T
		switch kind {
		case "key":
			t = types.TBytea
		case "partition", "offset":
			t = types.TText
		case "timestamp":
			t = types.TTimestamptz
		default:
			return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "INCLUDE %s is not supported for the kafka connector (supported: key, partition, offset, timestamp)", in.Kind)
		}
		name := in.Alias
		if name == "" {
			name = "_rw_kafka_" + kind
		}
		for _, c := range cols {
			if c.Name == name {
				return nil, nil, types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", name)
			}
		}
		cols = append(cols, sql.ColumnDef{Name: name, Type: t})
		incs = append(incs, kafkaIncludeCol{Kind: kind, Col: name})
	}
	if len(incs) > 0 {
		b, _ := json.Marshal(incs)
		out[withKafkaInclude] = string(b)
	}
	if f == "upsert" {
		for _, k := range d.pk {
			for _, in := range incs {
				if in.Col == k {
					return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "FORMAT UPSERT: primary key column %q cannot be an INCLUDE column (the key must be a column of the message)", k)
				}
			}
		}
		b, _ := json.Marshal(d.pk)
		out[withKafkaUpsertKey] = string(b)
	}
	o, err := kafka.ParseOptions(connectorOptions(out))
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src, err := kafka.Open(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	out[withKafkaPartitions] = strconv.Itoa(len(src.Splits()))
	if d.table && o.StartupMode != kafka.StartEarliest {
		// Pin 'latest' and 'timestamp' to offsets now, so that a table
		// reads every record produced after CREATE TABLE returns, however
		// late its readers connect. (A source resolves them when a view
		// first makes it read.)
		rd, err := src.NewReader(src.Splits(), nil)
		if err != nil {
			src.Close()
			return nil, nil, err
		}
		b, _ := json.Marshal(rd.Offsets())
		rd.Close()
		out[withKafkaStart] = string(b)
	}
	src.Close()
	var names []string
	var ts []types.T
	for _, c := range cols {
		names = append(names, c.Name)
		ts = append(ts, c.Type)
	}
	if _, err := parseConnector(d.name, names, ts, out); err != nil {
		return nil, nil, err
	}
	return cols, out, nil
}

// parseFormatOptions validates the options of ENCODE en (...) and stores
// them in out (the CSV delimiter and header flag; JSON has none).
func parseFormatOptions(en string, opts map[string]string, out map[string]string) error {
	for k, v := range opts {
		switch lk := strings.ToLower(k); {
		case en == "csv" && lk == "delimiter":
			if len(v) != 1 || v[0] >= 0x80 || v[0] == '"' || v[0] == '\r' || v[0] == '\n' {
				return optErr("invalid CSV delimiter %q", v)
			}
			out[withKafkaCSVDelim] = v
		case en == "csv" && lk == "without_header":
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
			case "false":
				out[withKafkaCSVHeader] = "true"
			default:
				return optErr("invalid value %q for without_header: expected 'true' or 'false'", v)
			}
		default:
			return optErr("unrecognized %s option %q", strings.ToUpper(en), k)
		}
	}
	return nil
}

// plainDecoder returns the decoder factory of FORMAT PLAIN ENCODE JSON or
// CSV as stored in with by parseFormatOptions, or nil for other formats.
func plainDecoder(with map[string]string, names []string, ts []types.T) func() format.Decoder {
	switch with[withKafkaFormat] + "/" + with[withKafkaEncode] {
	case "plain/json":
		return func() format.Decoder { return format.NewJSON(names, ts) }
	case "plain/csv":
		opts := format.CSVOptions{WithHeader: with[withKafkaCSVHeader] == "true"}
		if d := with[withKafkaCSVDelim]; d != "" {
			opts.Delimiter = rune(d[0])
		}
		return func() format.Decoder { return format.NewCSV(names, ts, opts) }
	}
	return nil
}

// connectorOptions returns the WITH keys that belong to a connector (not
// the engine's own: streamsql.*, checkpoint.interval).
func connectorOptions(with map[string]string) map[string]string {
	out := make(map[string]string, len(with))
	for k, v := range with {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "streamsql.") || lk == "checkpoint.interval" {
			continue
		}
		out[k] = v
	}
	return out
}

// parseKafka builds the connSpec of a Kafka relation from its stored WITH
// map (no network access).
func parseKafka(names []string, ts []types.T, with map[string]string, iv time.Duration) (*connSpec, error) {
	o, err := kafka.ParseOptions(connectorOptions(with))
	if err != nil {
		return nil, err
	}
	parts, err := strconv.Atoi(with[withKafkaPartitions])
	if err != nil || parts < 1 {
		return nil, optErr("kafka: missing partition count")
	}
	var incDefs []kafkaIncludeCol
	if v := with[withKafkaInclude]; v != "" {
		if err := json.Unmarshal([]byte(v), &incDefs); err != nil {
			return nil, optErr("kafka: invalid %s", withKafkaInclude)
		}
	}
	col := func(n string) int {
		for i, x := range names {
			if x == n {
				return i
			}
		}
		return -1
	}
	npay := len(names) - len(incDefs)
	var incs []kafka.Include
	for i, in := range incDefs {
		j := col(in.Col)
		if j != npay+i {
			return nil, optErr("kafka: INCLUDE column %q not found", in.Col)
		}
		var k kafka.IncludeKind
		switch in.Kind {
		case "key":
			k = kafka.IncludeKey
		case "partition":
			k = kafka.IncludePartition
		case "offset":
			k = kafka.IncludeOffset
		case "timestamp":
			k = kafka.IncludeTimestamp
		default:
			return nil, optErr("kafka: invalid INCLUDE kind %q", in.Kind)
		}
		incs = append(incs, kafka.Include{Kind: k, Col: j})
	}
	var start map[string]int64
	if v := with[withKafkaStart]; v != "" {
		if err := json.Unmarshal([]byte(v), &start); err != nil {
			return nil, optErr("kafka: invalid %s", withKafkaStart)
		}
	}
	if npay < 1 {
		return nil, optErr("kafka: no payload columns")
	}
	pnames, pts := names[:npay], ts[:npay]
	newDec := plainDecoder(with, pnames, pts)
	switch with[withKafkaFormat] + "/" + with[withKafkaEncode] {
	case "plain/json", "plain/csv":
	case "upsert/json":
		var key []string
		if err := json.Unmarshal([]byte(with[withKafkaUpsertKey]), &key); err != nil || len(key) == 0 {
			return nil, optErr("kafka: invalid %s", withKafkaUpsertKey)
		}
		var pk []int
		for _, k := range key {
			j := col(k)
			if j < 0 || j >= npay {
				return nil, optErr("kafka: upsert key column %q is not a payload column", k)
			}
			pk = append(pk, j)
		}
		newDec = func() format.Decoder { return format.NewUpsertJSON(pnames, pts, pk) }
	default:
		return nil, optErr("kafka: invalid format %s/%s", with[withKafkaFormat], with[withKafkaEncode])
	}
	return &connSpec{connector: "kafka", splits: parts, genTypes: ts, interval: iv,
		newGen: func(split int) generator {
			g := &kafkaGen{opts: o, split: strconv.Itoa(split), dec: newDec(), incs: incs}
			if off, ok := start[g.split]; ok {
				g.start, g.seeked = off, true // not known until the reader is open
			}
			return g
		}}, nil
}

// ensureDeadLetters creates the dead-letter table if it does not exist.
// Called with writeMu held (DDL).
func (s *session) ensureDeadLetters() error {
	if s.e.cat.Get(deadLetterTable) != nil {
		return nil
	}
	return s.createTable(&sql.CreateTable{Name: deadLetterTable, IfNotExists: true, Columns: []sql.ColumnDef{
		{Name: "source", Type: types.TText},
		{Name: "split", Type: types.TText},
		{Name: "offset", Type: types.TInt8},
		{Name: "reason", Type: types.TText},
		{Name: "payload", Type: types.TText},
	}})
}

// prepareKafkaTable is prepareConnectorTable for connector = 'kafka'.
func (s *session) prepareKafkaTable(x *sql.CreateTable) error {
	if s.e.cat.Get(x.Name) != nil {
		return nil // createTable reports it
	}
	pk := append([]string(nil), x.PrimaryKey...)
	if len(pk) == 0 {
		for _, c := range x.Columns {
			if c.PrimaryKey {
				pk = append(pk, c.Name)
			}
		}
	}
	cols, with, err := prepareKafka(kafkaDef{name: x.Name, cols: x.Columns, with: x.With, format: x.Format,
		encode: x.Encode, formatOptions: x.FormatOptions, include: x.Include, table: true, pk: pk})
	if err != nil {
		return err
	}
	x.Columns, x.With = cols, with
	return s.ensureDeadLetters()
}

// ---- the split reader ----

type deadLetter struct {
	split   string // "" = NULL
	offset  int64  // < 0: NULL
	reason  string
	payload []byte
}

// kafkaGen reads one partition; it implements generator. It connects on
// the first Next (so that a broker outage does not prevent the engine from
// opening) and retries failed connections and polls with a back-off.
type kafkaGen struct {
	opts    kafka.Options
	split   string
	dec     format.Decoder
	incs    []kafka.Include
	rd      *kafka.Reader
	start   int64
	seeked  bool
	next    int64 // the next offset to read; valid when known
	known   bool
	dirty   bool // records consumed since the last dirty() call
	dead    []deadLetter
	notNull []notNullCol // set by sourceRunner.initGen
	errLog  time.Time
}

func (g *kafkaGen) Seek(off uint64) {
	g.start, g.seeked, g.next, g.known = int64(off), true, int64(off), true
}

func (g *kafkaGen) Offset() uint64 { return uint64(g.next) }

func (g *kafkaGen) Done() bool { return false }

func (g *kafkaGen) logErr(msg string, err error) {
	if time.Since(g.errLog) < 10*time.Second {
		return
	}
	g.errLog = time.Now()
	slog.Default().Warn(msg, "topic", g.opts.Topic, "partition", g.split, "err", err)
}

func (g *kafkaGen) open() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src, err := kafka.Open(ctx, g.opts)
	if err != nil {
		g.logErr("kafka source: cannot connect", err)
		time.Sleep(kafkaBackoff)
		return false
	}
	defer src.Close()
	var start map[string]int64
	if g.seeked {
		start = map[string]int64{g.split: g.start}
	}
	rd, err := src.NewReader([]string{g.split}, start)
	if err != nil {
		g.logErr("kafka source: cannot create reader", err)
		time.Sleep(kafkaBackoff)
		return false
	}
	g.rd = rd
	g.next, g.known = rd.Offsets()[g.split], true
	return true
}

// Next polls the partition for up to kafkaPollWait and decodes what came.
func (g *kafkaGen) Next(c *exec.Chunk) (int, bool) {
	if g.rd == nil && !g.open() {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), kafkaPollWait)
	recs, err := g.rd.Poll(ctx, exec.DefaultChunkSize)
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		g.logErr("kafka source: poll failed", err)
	}
	for i := range recs {
		rec := &recs[i]
		n := c.N
		var reason error
		if errs := kafka.DecodeRecords(g.dec, recs[i:i+1], c, g.incs); len(errs) > 0 {
			reason = errs[0].Err
		} else if err := checkChunkNotNull(c, n, g.notNull); err != nil {
			truncateChunk(c, n)
			reason = err
		}
		if reason != nil {
			p := rec.Value
			if len(p) > deadLetterPayloadMax {
				p = p[:deadLetterPayloadMax]
			}
			g.dead = append(g.dead, deadLetter{split: g.split, offset: rec.Offset, reason: reason.Error(), payload: append([]byte(nil), p...)})
		}
		g.next = rec.Offset + 1
		g.dirty = true
	}
	return c.N, false
}

// Close closes the partition reader.
func (g *kafkaGen) Close() error {
	if g.rd != nil {
		g.rd.Close()
		g.rd = nil
	}
	return nil
}

type notNullCol struct {
	col  int
	name string
}

// checkChunkNotNull checks rows from..c.N-1 (deletes excepted).
func checkChunkNotNull(c *exec.Chunk, from int, cols []notNullCol) error {
	for r := from; r < c.N; r++ {
		if len(c.Ops) > r && c.Ops[r] == exec.OpDelete {
			continue
		}
		for _, nc := range cols {
			if c.Cols[nc.col].Nulls.IsNull(r) {
				return types.Errorf(types.CodeNotNullViolation, "null value in column %q violates not-null constraint", nc.name)
			}
		}
	}
	return nil
}

func truncateChunk(c *exec.Chunk, n int) {
	for _, v := range c.Cols {
		v.Resize(n)
	}
	c.N = n
	if len(c.Ops) > n {
		c.Ops = c.Ops[:n]
	}
}

// ---- hooks used by source.go ----
//
// Generators may implement these optional interfaces (kafkaGen and fileGen
// do); the datagen and nexmark generators implement none.

// dirtyGen reports whether a generator consumed input that produced no row
// but must still be committed (its offsets, its dead letters); the call
// clears the flag.
type dirtyGen interface{ takeDirty() bool }

// deadLetterGen hands over the records a generator rejected.
type deadLetterGen interface{ takeDeadLetters() []deadLetter }

// notNullGen is told the NOT NULL columns (positions in its chunks).
type notNullGen interface{ setNotNull([]notNullCol) }

// offsetGen reports whether the generator's single offset may be stored.
type offsetGen interface{ offsetKnown() bool }

// positionsGen keeps several offsets under keys of its own (the file
// connector: one per file) instead of one per split.
type positionsGen interface {
	// restore receives every committed offset of the relation.
	restore(offsets map[string][]byte)
	// takePositions returns the offsets changed since the last call.
	takePositions() map[string][]byte
}

// closerGen releases resources when its reader exits.
type closerGen interface{ Close() error }

func (g *kafkaGen) takeDirty() bool {
	d := g.dirty
	g.dirty = false
	return d
}

func (g *kafkaGen) takeDeadLetters() []deadLetter {
	d := g.dead
	g.dead = nil
	return d
}

func (g *kafkaGen) setNotNull(cols []notNullCol) { g.notNull = cols }

func (g *kafkaGen) offsetKnown() bool { return g.known }

// genDirty reports whether a generator consumed input that produced no row
// but must still be committed.
func genDirty(g generator) bool {
	dg, ok := g.(dirtyGen)
	return ok && dg.takeDirty()
}

// closeGen releases a generator's resources when its reader exits.
func closeGen(g generator) {
	if cg, ok := g.(closerGen); ok {
		cg.Close()
	}
}

// initGen is called once per split after the generator is created, with
// the relation's committed offsets.
func (r *sourceRunner) initGen(g generator, offsets map[string][]byte) {
	if pg, ok := g.(positionsGen); ok {
		pg.restore(offsets)
	}
	ng, ok := g.(notNullGen)
	if !ok {
		return
	}
	var cols []notNullCol
	for j, col := range r.visible {
		c := r.rel.Columns[col]
		if c.NotNull {
			cols = append(cols, notNullCol{col: j, name: c.Name})
		}
	}
	ng.setNotNull(cols)
}

// genOffsetKnown reports whether the generator's single offset may be
// stored.
func genOffsetKnown(g generator) bool {
	if _, ok := g.(positionsGen); ok {
		return false
	}
	og, ok := g.(offsetGen)
	return !ok || og.offsetKnown()
}

// commitPositions stores a positionsGen's changed offsets in the batch.
func (sp *splitReader) commitPositions(b *state.Batch) error {
	pg, ok := sp.gen.(positionsGen)
	if !ok {
		return nil
	}
	for k, v := range pg.takePositions() {
		if err := state.SetSourceOffset(b, sp.r.rel.ID, k, v); err != nil {
			return err
		}
	}
	return nil
}

// commitDeadLetters writes the generator's rejected records into the
// dead-letter table within the commit batch. It returns a function to call
// after the batch committed. Called with writeMu held.
func (sp *splitReader) commitDeadLetters(w *tables.Writer, sctx *stream.Ctx) (func(), error) {
	dg, ok := sp.gen.(deadLetterGen)
	if !ok {
		return func() {}, nil
	}
	dead := dg.takeDeadLetters()
	if len(dead) == 0 {
		return func() {}, nil
	}
	r := sp.r
	for i := range dead {
		if dead[i].split == "" {
			dead[i].split = sp.key
		}
	}
	return r.e.insertDeadLetters(w, sctx, r.rel.Name, r.spec.connector+" source", dead)
}

// insertDeadLetters writes rejected records of relation source into the
// dead-letter table in w's batch and pushes them to the views reading it.
// A deadLetter's empty split and negative offset are stored as NULL. It
// returns a function to call after the batch committed (row counts, log).
// Called with writeMu held.
func (e *Engine) insertDeadLetters(w *tables.Writer, sctx *stream.Ctx, source, who string, dead []deadLetter) (func(), error) {
	after := func() {
		deadLettersTotal.Add(int64(len(dead)))
		slog.Default().Warn(who+": rejected records", "source", source, "split", dead[0].split,
			"count", len(dead), "first_offset", dead[0].offset, "reason", dead[0].reason)
	}
	dl := e.cat.Get(deadLetterTable)
	idx := map[string]int{}
	if dl != nil && dl.Kind == catalog.KindTable {
		for _, n := range []string{"source", "split", "offset", "reason", "payload"} {
			i := dl.ColumnIndex(n)
			if i < 0 {
				dl = nil
				break
			}
			f := dl.Columns[i].Type.Family
			if (n == "offset" && f != types.Int64) || (n != "offset" && f != types.Text) {
				dl = nil
				break
			}
			idx[n] = i
		}
	} else {
		dl = nil
	}
	if dl == nil {
		slog.Default().Error(who+": dead-letter table missing or incompatible; rejected records are dropped",
			"table", deadLetterTable, "source", source)
		return after, nil
	}
	desc := e.tableDesc(dl)
	readers := e.hasReaders(dl.ID)
	var delta *exec.Chunk
	if readers {
		delta = exec.NewChunk(dl.Types())
	}
	for _, d := range dead {
		row := make([]types.Datum, len(dl.Columns))
		for i := range row {
			row[i] = types.Null
		}
		row[idx["source"]] = types.NewString(source)
		if d.split != "" {
			row[idx["split"]] = types.NewString(d.split)
		}
		if d.offset >= 0 {
			row[idx["offset"]] = types.NewInt(d.offset)
		}
		row[idx["reason"]] = types.NewString(d.reason)
		p := d.payload
		if !utf8.Valid(p) {
			p = []byte(strings.ToValidUTF8(string(p), "\uFFFD"))
		}
		row[idx["payload"]] = types.NewBytes(p)
		if !dl.DeclaredPK {
			id, err := e.nextRowID(dl)
			if err != nil {
				return nil, err
			}
			row[dl.PK[0]] = types.NewInt(id)
		}
		if err := checkNotNull(dl, row); err != nil {
			return nil, fmt.Errorf("dead-letter table: %w", err)
		}
		if err := w.Insert(desc, row); err != nil {
			return nil, err
		}
		if delta != nil {
			delta.AppendDatums(row)
			delta.Ops = append(delta.Ops, exec.OpInsert)
		}
	}
	if delta != nil && delta.Len() > 0 {
		if err := e.propagate(sctx, dl.ID, delta); err != nil {
			return nil, err
		}
	}
	return func() {
		e.addRows(dl, int64(len(dead)))
		after()
	}, nil
}
