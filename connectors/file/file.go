// Package file reads records from local files for the file source connector
// (CREATE SOURCE/TABLE ... WITH (connector = 'file', path = '...'), also
// spelled like RisingWave's connector = 'posix_fs', posix_fs.root = '...').
//
// The path names one file or a directory. In a directory every regular file
// whose name does not start with a dot is read, in the order of the names,
// optionally only those whose name matches a glob (match_pattern, as
// path/filepath.Match: '*.csv', 'part-[0-9]*'). Sub-directories are not
// descended into. The directory is listed again every poll interval, so
// files added later, and bytes appended to files already read, are picked up.
//
// A file is a sequence of records separated by line breaks ("\n" or
// "\r\n"): JSON lines, or CSV records, where a line break inside a quoted
// field does not end the record. Blank lines are skipped. With a header
// (CSV), the first record of every file is the header and is handed to the
// caller with every record of that file, never as a record itself.
//
// A Reader remembers, per file, the byte offset and the line number after
// the last record it delivered (Position). A caller that stores the
// positions atomically with what it made of the records, and restarts a
// Reader from them, reads every record exactly once. A final line without
// a line break may still be being written: it is delivered only once the
// file has not changed for TailQuiet. A file found shorter than its
// position was truncated or replaced, and is read again from its start.
package file

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

const (
	// DefaultPoll is how often a directory is listed again by default.
	DefaultPoll = 500 * time.Millisecond
	// TailQuiet is how long a file must stay unchanged before its final
	// line without a line break is read.
	TailQuiet = time.Second
	// MaxRecord is the longest record read; a longer one is delivered as a
	// failed record (Record.Err) holding its first bytes and then skipped.
	MaxRecord = 8 << 20
	// failedPrefix is how much of an over-long record is kept.
	failedPrefix = 64 << 10
)

// Options configure a Reader.
type Options struct {
	// Path is a file or a directory.
	Path string
	// Pattern, if set, is a glob the base name of a file in the directory
	// must match.
	Pattern string
	// Poll is how often the directory is listed again (DefaultPoll if 0).
	Poll time.Duration
	// CSV makes a line break inside a double-quoted field part of the
	// record.
	CSV bool
	// Header makes the first record of every file its header.
	Header bool
}

// Option keys of the WITH clause.
const (
	KeyConnector   = "connector"
	KeyPath        = "path"
	KeyRoot        = "posix_fs.root" // RisingWave's spelling of path
	KeyPattern     = "match_pattern"
	KeyPoll        = "poll.interval"        // a duration: '500ms', '2s'
	KeyRefreshSecs = "refresh.interval.sec" // RisingWave's spelling, whole seconds
)

// codeUndefinedFile is PostgreSQL's undefined_file SQLSTATE.
const codeUndefinedFile = "58P01"

func optErr(code, format string, args ...any) error {
	return types.Errorf(code, format, args...)
}

// ParseOptions parses the connector keys of a WITH map (connector, path or
// posix_fs.root, match_pattern, poll.interval or refresh.interval.sec);
// keys are matched case-insensitively and any other key is an error. It
// does not look at the file system. Errors are *types.Error: 42601 for a
// missing path, 22023 for an invalid value or an unknown option.
func ParseOptions(with map[string]string) (Options, error) {
	var o Options
	keys := make([]string, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(with[k])
		switch strings.ToLower(k) {
		case KeyConnector:
		case KeyPath, KeyRoot:
			if o.Path != "" && o.Path != v {
				return o, optErr(types.CodeInvalidParameterValue, "file: options path and posix_fs.root name different paths")
			}
			o.Path = v
		case KeyPattern:
			if _, err := filepath.Match(v, ""); err != nil {
				return o, optErr(types.CodeInvalidParameterValue, "file: invalid match_pattern %q: %v", v, err)
			}
			o.Pattern = v
		case KeyPoll:
			d, err := time.ParseDuration(v)
			if err != nil {
				ms, err2 := strconv.ParseUint(v, 10, 32)
				if err2 != nil {
					return o, optErr(types.CodeInvalidParameterValue, "file: invalid value %q for option %s: expected a duration such as '500ms'", v, k)
				}
				d = time.Duration(ms) * time.Millisecond
			}
			if d < 10*time.Millisecond || d > time.Hour {
				return o, optErr(types.CodeInvalidParameterValue, "file: invalid value %q for option %s: must be between 10ms and 1h", v, k)
			}
			o.Poll = d
		case KeyRefreshSecs:
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n < 1 || n > 3600 {
				return o, optErr(types.CodeInvalidParameterValue, "file: invalid value %q for option %s: expected whole seconds between 1 and 3600", v, k)
			}
			o.Poll = time.Duration(n) * time.Second
		default:
			return o, optErr(types.CodeInvalidParameterValue, "file: unrecognized option %q (supported: path, match_pattern, poll.interval)", k)
		}
	}
	if o.Path == "" {
		return o, optErr(types.CodeSyntaxError, "file: option path is required (a file or a directory)")
	}
	return o, nil
}

// Check verifies that o.Path exists and is a regular file or a directory
// (CREATE time; a Reader tolerates a path that disappears). Errors are
// *types.Error with SQLSTATE 58P01 (undefined_file) or 22023.
func Check(o Options) error {
	st, err := os.Stat(o.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return optErr(codeUndefinedFile, "file: path %q does not exist", o.Path)
		}
		return optErr(types.CodeInvalidParameterValue, "file: cannot read path %q: %v", o.Path, err)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		return optErr(types.CodeInvalidParameterValue, "file: path %q is neither a regular file nor a directory", o.Path)
	}
	if st.IsDir() {
		if _, err := os.ReadDir(o.Path); err != nil {
			return optErr(types.CodeInvalidParameterValue, "file: cannot list directory %q: %v", o.Path, err)
		}
	}
	return nil
}

// Position is how far a file has been read: the byte offset and the number
// of lines (line breaks) before it.
type Position struct {
	Offset int64
	Line   int64
}

// Encode returns p as 16 bytes (for a checkpoint).
func (p Position) Encode() []byte {
	b := make([]byte, 0, 16)
	b = appendUint64(b, uint64(p.Offset))
	return appendUint64(b, uint64(p.Line))
}

// DecodePosition parses Encode's output.
func DecodePosition(b []byte) (Position, bool) {
	if len(b) != 16 {
		return Position{}, false
	}
	return Position{Offset: int64(readUint64(b)), Line: int64(readUint64(b[8:]))}, true
}

func appendUint64(b []byte, v uint64) []byte {
	for i := 7; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func readUint64(b []byte) uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// Record is one record read from a file.
type Record struct {
	// File is the file's name: its base name.
	File string
	// Line is the 1-based line number the record starts on, Offset the
	// byte offset it starts at.
	Line   int64
	Offset int64
	// Data is the record without its final line break; it is valid only
	// during the callback.
	Data []byte
	// Header is the file's header record (Options.Header), else nil.
	Header []byte
	// Err is set for a record that could not be read whole (longer than
	// MaxRecord); Data then holds its first bytes.
	Err error
}

type fileInfo struct {
	size  int64
	mtime time.Time
}

// tailSeen remembers an unterminated final line seen at a given file size.
type tailSeen struct {
	size  int64
	mtime time.Time
	since time.Time
}

// Reader reads the records of the files of Options.Path. It is not safe for
// concurrent use.
type Reader struct {
	o       Options
	dir     bool
	pos     map[string]Position
	changed map[string]bool
	header  map[string][]byte
	tails   map[string]tailSeen
	files   map[string]fileInfo
	order   []string
	idx     int
	listed  time.Time
	cur     *openFile
	buf     []byte
	now     func() time.Time
}

type openFile struct {
	name string
	f    *os.File
	rd   *bufio.Reader
	pos  Position
}

// NewReader returns a Reader that starts every file at its position in
// start (files not in it from their beginning).
func NewReader(o Options, start map[string]Position) *Reader {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	r := &Reader{o: o, pos: map[string]Position{}, changed: map[string]bool{}, header: map[string][]byte{},
		tails: map[string]tailSeen{}, now: time.Now}
	for k, v := range start {
		r.pos[k] = v
	}
	return r
}

// Poll returns the listing interval.
func (r *Reader) Poll() time.Duration { return r.o.Poll }

// Positions returns the positions of the files read since the last call
// (and drops that record of them).
func (r *Reader) Positions() map[string]Position {
	if len(r.changed) == 0 {
		return nil
	}
	out := make(map[string]Position, len(r.changed))
	for k := range r.changed {
		out[k] = r.pos[k]
	}
	clear(r.changed)
	return out
}

// Changed reports whether a position changed since the last Positions
// call (records read, or only blank lines skipped).
func (r *Reader) Changed() bool { return len(r.changed) > 0 }

// Close releases the open file.
func (r *Reader) Close() {
	r.closeCur()
}

func (r *Reader) closeCur() {
	if r.cur != nil {
		r.cur.f.Close()
		r.cur = nil
	}
}

// list reads the directory (or stats the file) again.
func (r *Reader) list() error {
	r.listed = r.now()
	r.idx = 0
	files := map[string]fileInfo{}
	var order []string
	st, err := os.Stat(r.o.Path)
	if err != nil {
		r.files, r.order = files, nil
		return err
	}
	if !st.IsDir() {
		r.dir = false
		name := filepath.Base(r.o.Path)
		files[name] = fileInfo{size: st.Size(), mtime: st.ModTime()}
		r.files, r.order = files, []string{name}
		return nil
	}
	r.dir = true
	ents, err := os.ReadDir(r.o.Path)
	if err != nil {
		r.files, r.order = files, nil
		return err
	}
	for _, de := range ents { // sorted by name
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if r.o.Pattern != "" {
			if ok, _ := filepath.Match(r.o.Pattern, name); !ok {
				continue
			}
		}
		fi, err := os.Stat(filepath.Join(r.o.Path, name)) // follows symlinks
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files[name] = fileInfo{size: fi.Size(), mtime: fi.ModTime()}
		order = append(order, name)
	}
	r.files, r.order = files, order
	return nil
}

func (r *Reader) pathOf(name string) string {
	if r.dir {
		return filepath.Join(r.o.Path, name)
	}
	return r.o.Path
}

// Read hands up to max records to fn, in file order, and returns how many
// it handed over. It lists the directory when the poll interval has passed
// since the last listing, and otherwise only visits the files the last
// listing showed to have unread bytes; 0 means nothing new until the next
// listing (see Idle). An error is an I/O error (the records handed over
// before it are valid; calling Read again retries).
func (r *Reader) Read(max int, fn func(*Record)) (int, error) {
	if r.files == nil || r.now().Sub(r.listed) >= r.o.Poll {
		if err := r.list(); err != nil {
			return 0, err
		}
	}
	n := 0
	for n < max && r.idx < len(r.order) {
		name := r.order[r.idx]
		fi := r.files[name]
		p := r.pos[name]
		if fi.size < p.Offset {
			// Truncated or replaced: read it again from its start.
			r.closeCur()
			p = Position{}
			r.pos[name], r.changed[name] = p, true
			delete(r.header, name)
		}
		if fi.size == p.Offset {
			r.idx++
			continue
		}
		k, more, err := r.readFile(name, max-n, fn)
		n += k
		if err != nil {
			r.closeCur()
			r.idx++
			return n, err
		}
		if !more {
			r.closeCur()
			r.idx++
		}
	}
	return n, nil
}

// Idle returns how long until the next listing is due.
func (r *Reader) Idle() time.Duration {
	return max(0, r.o.Poll-r.now().Sub(r.listed))
}

// open opens file name at its position, reading its header first if needed.
func (r *Reader) open(name string) error {
	if r.cur != nil && r.cur.name == name {
		return nil
	}
	r.closeCur()
	f, err := os.Open(r.pathOf(name))
	if err != nil {
		return err
	}
	p := r.pos[name]
	of := &openFile{name: name, f: f, rd: bufio.NewReaderSize(f, 64<<10), pos: p}
	if r.o.Header && r.header[name] == nil && p.Offset > 0 {
		// Restarted past the header: read it from the file's start.
		hdr, _, err := r.next(of, true)
		if err != nil {
			f.Close()
			return err
		}
		r.header[name] = append([]byte{}, hdr.Data...)
		of.pos = p
	}
	if _, err := f.Seek(p.Offset, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	of.rd.Reset(f)
	r.cur = of
	return nil
}

// readFile hands up to max records of file name to fn. more reports that
// the file may have more records now (max was reached).
func (r *Reader) readFile(name string, max int, fn func(*Record)) (n int, more bool, err error) {
	if err := r.open(name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, false, nil // deleted since the listing
		}
		return 0, false, err
	}
	of := r.cur
	for n < max {
		rec, ok, err := r.next(of, false)
		if err != nil {
			return n, false, err
		}
		if of.pos != r.pos[name] && !ok {
			r.pos[name], r.changed[name] = of.pos, true // blank lines
		}
		if !ok {
			return n, false, nil
		}
		if r.o.Header && r.header[name] == nil {
			if rec.Err == nil {
				r.header[name] = append([]byte{}, rec.Data...)
				r.pos[name], r.changed[name] = of.pos, true
				continue
			}
		}
		rec.Header = r.header[name]
		fn(&rec)
		r.pos[name], r.changed[name] = of.pos, true
		n++
	}
	return n, true, nil
}

// next reads the next non-blank record of of, advancing of.pos past it.
// ok is false at the end of what can be read now. fromStart reads from
// the beginning of the file (the header of a resumed file) and takes a
// final unterminated line at once.
func (r *Reader) next(of *openFile, fromStart bool) (rec Record, ok bool, err error) {
	if fromStart {
		if _, err := of.f.Seek(0, io.SeekStart); err != nil {
			return rec, false, err
		}
		of.rd.Reset(of.f)
		of.pos = Position{}
	}
	for {
		start := of.pos
		r.buf = r.buf[:0]
		lines := int64(0)
		inQuote := false
		tooLong := false
		complete := false
		for {
			chunk, err := of.rd.ReadSlice('\n')
			if len(chunk) > 0 {
				if r.o.CSV {
					for _, c := range chunk {
						if c == '"' {
							inQuote = !inQuote
						}
					}
				}
				if !tooLong && len(r.buf)+len(chunk) > MaxRecord {
					tooLong = true
					r.buf = r.buf[:min(len(r.buf), failedPrefix)]
				}
				if !tooLong {
					r.buf = append(r.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == nil { // a line break
				lines++
				if !r.o.CSV || !inQuote || tooLong {
					complete = true
					break
				}
				continue
			}
			if err != io.EOF {
				return rec, false, err
			}
			break
		}
		size := int64(len(r.buf))
		if !complete {
			if len(r.buf) == 0 && !tooLong {
				return rec, false, nil
			}
			// An unterminated tail: take it only once the file is quiet.
			if !fromStart && !r.tailQuiet(of) {
				// Leave it for later: rewind to its start.
				if _, err := of.f.Seek(start.Offset, io.SeekStart); err != nil {
					return rec, false, err
				}
				of.rd.Reset(of.f)
				of.pos = start
				return rec, false, nil
			}
		}
		// The bytes consumed: the stored ones, or for an over-long record
		// everything up to here.
		consumed := size
		if tooLong {
			cur, err := of.f.Seek(0, io.SeekCurrent)
			if err != nil {
				return rec, false, err
			}
			consumed = cur - int64(of.rd.Buffered()) - start.Offset
		}
		of.pos = Position{Offset: start.Offset + consumed, Line: start.Line + lines}
		data := r.buf
		data = bytes.TrimSuffix(data, []byte("\n"))
		data = bytes.TrimSuffix(data, []byte("\r"))
		if tooLong {
			return Record{File: of.name, Line: start.Line + 1, Offset: start.Offset, Data: r.buf[:min(len(r.buf), failedPrefix)],
				Err: fmt.Errorf("record longer than %d bytes", MaxRecord)}, true, nil
		}
		if len(bytes.TrimSpace(data)) == 0 {
			if !complete {
				return rec, false, nil
			}
			continue // a blank line
		}
		return Record{File: of.name, Line: start.Line + 1, Offset: start.Offset, Data: data}, true, nil
	}
}

// tailQuiet reports whether the open file has not changed for TailQuiet,
// remembering when its current state was first seen.
func (r *Reader) tailQuiet(of *openFile) bool {
	st, err := of.f.Stat()
	if err != nil {
		return false
	}
	now := r.now()
	t, ok := r.tails[of.name]
	if !ok || t.size != st.Size() || !t.mtime.Equal(st.ModTime()) {
		r.tails[of.name] = tailSeen{size: st.Size(), mtime: st.ModTime(), since: now}
		return false
	}
	if now.Sub(t.since) < TailQuiet {
		return false
	}
	delete(r.tails, of.name)
	return true
}
