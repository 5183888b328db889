package session

// File-backed sources and tables.
//
//	CREATE SOURCE s (...) WITH (connector = 'file', path = '/dir/or/file'
//	    [, match_pattern = '*.json'] [, poll.interval = '500ms'])
//	  FORMAT PLAIN ENCODE JSON | CSV [(delimiter = ',', without_header = 'false')]
//	CREATE TABLE t (...) WITH (connector = 'file', ...) FORMAT PLAIN ENCODE ...
//
// RisingWave's spelling, connector = 'posix_fs' with posix_fs.root, is
// accepted too. connectors/file finds the files (one file, or every file
// of a directory in name order, listed again every poll interval so that
// new files and appended lines are read) and splits them into records;
// here a fileGen decodes the records with connectors/format like the Kafka
// reader does. A relation has one split reader; its offsets are one
// position (byte offset and line number) per file, stored under the key
// "file/<name>" in the same batch as the rows they produced, so that a
// restart resumes every file exactly after its last committed record.
// A record that cannot be decoded (or violates a NOT NULL column) goes to
// the dead_letters table with the file name as split, the line number as
// offset and the reason, and ingestion goes on.

import (
	"log/slog"
	"strings"
	"time"

	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// filePositionPrefix prefixes the per-file offset keys.
const filePositionPrefix = "file/"

// fileIdleWait bounds how long Next waits when there is nothing to read,
// so that the reader stays responsive to FLUSH and stop.
const fileIdleWait = 100 * time.Millisecond

func isFile(with map[string]string) bool {
	switch strings.ToLower(strings.TrimSpace(with["connector"])) {
	case "file", "posix_fs":
		return true
	}
	return false
}

// prepareFile validates a file relation (the path must exist) and returns
// the WITH map to store.
func prepareFile(name string, cols []sql.ColumnDef, with map[string]string, formatName, encode string,
	formatOptions map[string]string, include []sql.IncludeDef) (map[string]string, error) {
	out := make(map[string]string, len(with)+4)
	for k, v := range with {
		if strings.HasPrefix(strings.ToLower(k), "streamsql.") && k != "streamsql.checkpoint.interval" {
			return nil, optErr("file: unrecognized option %q", k)
		}
		out[k] = v
	}
	if len(include) > 0 {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "INCLUDE is not supported for the file connector")
	}
	f, en := strings.ToLower(formatName), strings.ToLower(encode)
	if f == "" {
		f = "plain"
	}
	if en == "" {
		en = "json"
	}
	if f != "plain" || (en != "json" && en != "csv") {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "FORMAT %s ENCODE %s is not supported for the file connector (supported: PLAIN JSON, PLAIN CSV)", strings.ToUpper(f), strings.ToUpper(en))
	}
	out[withKafkaFormat], out[withKafkaEncode] = f, en
	if err := parseFormatOptions(en, formatOptions, out); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, types.Errorf(types.CodeInvalidTableDefinition, "file: a column list is required")
	}
	o, err := file.ParseOptions(connectorOptions(out))
	if err != nil {
		return nil, err
	}
	if err := file.Check(o); err != nil {
		return nil, err
	}
	var names []string
	var ts []types.T
	for _, c := range cols {
		names = append(names, c.Name)
		ts = append(ts, c.Type)
	}
	if _, err := parseConnector(name, names, ts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// parseFile builds the connSpec of a file relation from its stored WITH map.
func parseFile(names []string, ts []types.T, with map[string]string, iv time.Duration) (*connSpec, error) {
	o, err := file.ParseOptions(connectorOptions(with))
	if err != nil {
		return nil, err
	}
	newDec := plainDecoder(with, names, ts)
	if newDec == nil {
		return nil, optErr("file: invalid format %s/%s", with[withKafkaFormat], with[withKafkaEncode])
	}
	o.CSV = with[withKafkaEncode] == "csv"
	o.Header = o.CSV && with[withKafkaCSVHeader] == "true"
	return &connSpec{connector: "file", splits: 1, genTypes: ts, interval: iv,
		newGen: func(int) generator { return &fileGen{opts: o, newDec: newDec} }}, nil
}

// prepareFileTable is prepareConnectorTable for the file connector.
func (s *session) prepareFileTable(x *sql.CreateTable) error {
	if s.e.cat.Get(x.Name) != nil {
		return nil // createTable reports it
	}
	with, err := prepareFile(x.Name, x.Columns, x.With, x.Format, x.Encode, x.FormatOptions, x.Include)
	if err != nil {
		return err
	}
	x.With = with
	return s.ensureDeadLetters()
}

// fileGen reads the files of one relation; it implements generator and
// the optional interfaces of source_kafka.go.
type fileGen struct {
	opts    file.Options
	newDec  func() format.Decoder
	rd      *file.Reader
	start   map[string]file.Position
	dec     format.Decoder
	decFile string
	hdrErr  error // the current file's header could not be decoded
	dirty   bool
	dead    []deadLetter
	notNull []notNullCol
	errLog  time.Time
}

func (g *fileGen) Offset() uint64 { return 0 }
func (g *fileGen) Seek(uint64)    {}
func (g *fileGen) Done() bool     { return false }

func (g *fileGen) restore(offsets map[string][]byte) {
	g.start = map[string]file.Position{}
	for k, v := range offsets {
		name, ok := strings.CutPrefix(k, filePositionPrefix)
		if !ok {
			continue
		}
		if p, ok := file.DecodePosition(v); ok {
			g.start[name] = p
		}
	}
}

func (g *fileGen) takePositions() map[string][]byte {
	if g.rd == nil {
		return nil
	}
	ps := g.rd.Positions()
	if len(ps) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(ps))
	for k, p := range ps {
		out[filePositionPrefix+k] = p.Encode()
	}
	return out
}

func (g *fileGen) takeDirty() bool {
	d := g.dirty
	g.dirty = false
	return d
}

func (g *fileGen) takeDeadLetters() []deadLetter {
	d := g.dead
	g.dead = nil
	return d
}

func (g *fileGen) setNotNull(cols []notNullCol) { g.notNull = cols }

// Close closes the open file.
func (g *fileGen) Close() error {
	if g.rd != nil {
		g.rd.Close()
	}
	return nil
}

// Next reads and decodes the records available now, up to a chunk; with
// nothing to read it waits a little (until the next listing, at most
// fileIdleWait).
func (g *fileGen) Next(c *exec.Chunk) (int, bool) {
	if g.rd == nil {
		g.rd = file.NewReader(g.opts, g.start)
		g.start = nil
	}
	room := exec.DefaultChunkSize - c.N
	if room <= 0 {
		return c.N, false
	}
	got, err := g.rd.Read(room, func(rec *file.Record) {
		g.dirty = true
		if rec.File != g.decFile {
			g.dec, g.decFile, g.hdrErr = g.newDec(), rec.File, nil
			if rec.Header != nil {
				n := c.N
				if err := g.dec.Decode(rec.Header, nil, c); err != nil {
					g.hdrErr = err
				}
				truncateChunk(c, n)
			}
		}
		var reason error
		switch {
		case rec.Err != nil:
			reason = rec.Err
		case g.hdrErr != nil:
			reason = types.Errorf(types.CodeInvalidTextRepr, "invalid CSV header: %v", g.hdrErr)
		default:
			n := c.N
			if err := g.dec.Decode(rec.Data, nil, c); err != nil {
				reason = err
			} else if err := checkChunkNotNull(c, n, g.notNull); err != nil {
				truncateChunk(c, n)
				reason = err
			}
		}
		if reason != nil {
			p := rec.Data
			if len(p) > deadLetterPayloadMax {
				p = p[:deadLetterPayloadMax]
			}
			// The line number is the dead letter's offset: a CSV error's
			// "CSV line 1: " (the line within the record) says nothing more.
			msg, _ := strings.CutPrefix(reason.Error(), "CSV line 1: ")
			g.dead = append(g.dead, deadLetter{split: rec.File, offset: rec.Line, reason: msg,
				payload: append([]byte(nil), p...)})
		}
	})
	if err != nil && time.Since(g.errLog) >= 10*time.Second {
		g.errLog = time.Now()
		slog.Default().Warn("file source: read failed", "path", g.opts.Path, "err", err)
	}
	if got == 0 {
		// Nothing new (or an error): blank lines may still have moved a
		// position, which is committed like a record.
		if g.rd.Changed() {
			g.dirty = true
		}
		time.Sleep(min(max(g.rd.Idle(), 5*time.Millisecond), fileIdleWait))
	}
	return c.N, false
}
