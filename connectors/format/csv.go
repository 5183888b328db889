package format

import (
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// CSVOptions configures NewCSV.
type CSVOptions struct {
	// Delimiter separates fields; 0 means ','. It must be an ASCII character
	// other than '"', '\r' and '\n'.
	Delimiter rune
	// WithHeader makes the first line decoded a header naming the columns of
	// the following lines (matched case-insensitively; unknown names are
	// ignored). That line produces no row.
	WithHeader bool
}

// csvDecoder decodes CSV lines.
type csvDecoder struct {
	sc      schema
	delim   byte
	header  bool
	mapping []int // field index -> column (-1 = ignored); nil = by position
	fields  [][]byte
	quoted  []bool
	buf     []byte
	a       arena
	rs      rowSeen
	line    int
}

// NewCSV returns a decoder of FORMAT PLAIN ENCODE CSV records. A payload
// holds one or more lines (separated by "\n" or "\r\n"; quoted fields may
// span lines); each line becomes a row, and a payload is accepted or
// rejected as a whole. An invalid delimiter panics.
func NewCSV(names []string, ts []types.T, opts CSVOptions) Decoder {
	d := opts.Delimiter
	if d == 0 {
		d = ','
	}
	if d >= 0x80 || d == '"' || d == '\r' || d == '\n' {
		panic("format: invalid CSV delimiter")
	}
	return &csvDecoder{sc: newSchema(names, ts), delim: byte(d), header: opts.WithHeader}
}

func (d *csvDecoder) errf(code, format string, args ...any) error {
	e := types.Errorf(code, format, args...)
	e.Message = "CSV line " + itoa(d.line) + ": " + e.Message
	return e
}

// Decode implements Decoder.
func (d *csvDecoder) Decode(payload, _ []byte, c *exec.Chunk) error {
	n0 := c.N
	ops := len(c.Ops)
	s := payload
	// A trailing newline ends the last line; it does not start an empty one.
	if len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
		if len(s) > 0 && s[len(s)-1] == '\r' {
			s = s[:len(s)-1]
		}
	}
	if len(payload) == 0 {
		return ErrEmptyRecord
	}
	d.line = 0
	for {
		d.line++
		rest, err := d.split(s)
		if err == nil {
			err = d.row(c)
		}
		if err != nil {
			rollback(c, n0)
			if c.Ops != nil {
				c.Ops = c.Ops[:ops]
			}
			return err
		}
		if rest == nil {
			return nil
		}
		s = rest
	}
}

// split parses one line of s into d.fields and returns the rest after the
// line break (nil at the end of s).
func (d *csvDecoder) split(s []byte) (rest []byte, err error) {
	d.fields, d.quoted, d.buf = d.fields[:0], d.quoted[:0], d.buf[:0]
	i := 0
	for {
		if i < len(s) && s[i] == '"' {
			// Quoted field: "" is an escaped quote. The unescaped text goes
			// to d.buf; fields are resliced from it after the line.
			start := len(d.buf)
			i++
			for {
				if i >= len(s) {
					return nil, d.errf(types.CodeInvalidTextRepr, "unterminated quoted field")
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						d.buf = append(d.buf, '"')
						i += 2
						continue
					}
					i++
					break
				}
				d.buf = append(d.buf, s[i])
				i++
			}
			d.fields = append(d.fields, d.buf[start:len(d.buf):len(d.buf)])
			d.quoted = append(d.quoted, true)
			if i < len(s) && s[i] != d.delim && s[i] != '\n' && s[i] != '\r' {
				return nil, d.errf(types.CodeInvalidTextRepr, "unexpected character after closing quote of field %d", len(d.fields))
			}
		} else {
			j := i
			for j < len(s) && s[j] != d.delim && s[j] != '\n' && s[j] != '\r' {
				j++
			}
			d.fields = append(d.fields, s[i:j])
			d.quoted = append(d.quoted, false)
			i = j
		}
		if i >= len(s) {
			return nil, nil
		}
		switch s[i] {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			fallthrough
		case '\n':
			return s[i+1:], nil
		}
		i++ // delimiter
	}
}

// row stores d.fields as a row (or as the header).
func (d *csvDecoder) row(c *exec.Chunk) error {
	if d.header && d.mapping == nil {
		d.mapping = make([]int, len(d.fields))
		for i, f := range d.fields {
			d.mapping[i] = d.sc.lookup([]byte(strings.TrimSpace(string(f))))
		}
		return nil
	}
	n := beginRow(c, &d.rs)
	for i, f := range d.fields {
		col := i
		if d.mapping != nil {
			if i >= len(d.mapping) {
				break
			}
			col = d.mapping[i]
		}
		if col < 0 {
			continue
		}
		if col >= len(d.sc.ts) {
			break
		}
		if len(f) == 0 && !d.quoted[i] {
			continue // NULL
		}
		if err := setText(c.Cols[col], n, d.sc.names[col], d.sc.ts[col], f, &d.a); err != nil {
			rollback(c, n)
			return d.wrap(err)
		}
		d.rs.seen[col] = true
	}
	finishRow(c, n, &d.rs, len(d.sc.names))
	commitRow(c, exec.OpInsert)
	return nil
}

func (d *csvDecoder) wrap(err error) error {
	if te, ok := err.(*types.Error); ok {
		e := *te
		e.Message = "CSV line " + itoa(d.line) + ": " + te.Message
		return &e
	}
	return err
}
