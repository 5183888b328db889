package format

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// maxDepth bounds the nesting of JSON values (PostgreSQL's stack depth
// limit gives a similar bound for jsonb).
const maxDepth = 1000

// scanner is a validating JSON tokenizer over one payload.
type scanner struct {
	s   []byte
	i   int
	buf []byte // unescaped string contents
}

func (p *scanner) errf(format string, args ...any) error {
	e := types.Errorf(types.CodeInvalidTextRepr, format, args...)
	e.Message = "invalid JSON at offset " + itoa(p.i) + ": " + e.Message
	return e
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// str scans the string starting at p.i (a '"') and returns its unescaped
// contents, which alias either the payload or p.buf (valid until the next
// call).
func (p *scanner) str() ([]byte, error) {
	start := p.i + 1
	i := start
	for i < len(p.s) {
		c := p.s[i]
		if c == '"' {
			p.i = i + 1
			return p.s[start:i], nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.i = i
			return nil, p.errf("control character in string")
		}
		i++
	}
	p.buf = append(p.buf[:0], p.s[start:i]...)
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return p.buf, nil
		case c < 0x20:
			p.i = i
			return nil, p.errf("control character in string")
		case c != '\\':
			p.buf = append(p.buf, c)
			i++
			continue
		}
		if i+1 >= len(p.s) {
			break
		}
		e := p.s[i+1]
		switch e {
		case '"', '\\', '/':
			p.buf = append(p.buf, e)
		case 'b':
			p.buf = append(p.buf, '\b')
		case 'f':
			p.buf = append(p.buf, '\f')
		case 'n':
			p.buf = append(p.buf, '\n')
		case 'r':
			p.buf = append(p.buf, '\r')
		case 't':
			p.buf = append(p.buf, '\t')
		case 'u':
			r, ok := hex4(p.s, i+2)
			if !ok {
				p.i = i
				return nil, p.errf("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+1 < len(p.s) && p.s[i] == '\\' && p.s[i+1] == 'u' {
					r2, ok = hex4(p.s, i+2)
				}
				r = utf16.DecodeRune(r, r2)
				if !ok || r == utf8.RuneError {
					p.i = i - 6
					return nil, p.errf("invalid Unicode surrogate pair")
				}
				i += 6
			}
			if r == 0 {
				p.i = i - 6
				return nil, p.errf("\\u0000 cannot be converted to text")
			}
			p.buf = utf8.AppendRune(p.buf, r)
			continue
		default:
			p.i = i
			return nil, p.errf("invalid escape sequence \"\\%c\"", e)
		}
		i += 2
	}
	p.i = len(p.s)
	return nil, p.errf("unterminated string")
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// num scans a JSON number at p.i; isInt reports a plain integer literal.
func (p *scanner) num() (span []byte, isInt bool, err error) {
	s, i := p.s, p.i
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		p.i = i
		return nil, false, p.errf("invalid number")
	}
	isInt = true
	if i < len(s) && s[i] == '.' {
		i++
		isInt = false
		if digits() == 0 {
			p.i = i
			return nil, false, p.errf("invalid number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		isInt = false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.i = i
			return nil, false, p.errf("invalid number")
		}
	}
	p.i = i
	return s[start:i], isInt, nil
}

// literal scans true, false or null: kind 0 = null, 1 = true, 2 = false.
func (p *scanner) literal() (kind int, err error) {
	rest := p.s[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "null":
		p.i += 4
		return 0, nil
	case len(rest) >= 4 && string(rest[:4]) == "true":
		p.i += 4
		return 1, nil
	case len(rest) >= 5 && string(rest[:5]) == "false":
		p.i += 5
		return 2, nil
	}
	return 0, p.errf("invalid literal")
}

// skip scans and validates any JSON value.
func (p *scanner) skip(depth int) error {
	if depth > maxDepth {
		return p.errf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return p.errf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, _, err := p.num()
		return err
	case c == 't' || c == 'f' || c == 'n':
		_, err := p.literal()
		return err
	case c == '{' || c == '[':
		obj := c == '{'
		end := byte(']')
		if obj {
			end = '}'
		}
		p.i++
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return nil
		}
		for {
			if obj {
				if p.i >= len(p.s) || p.s[p.i] != '"' {
					return p.errf("expected string key")
				}
				if _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if p.i >= len(p.s) || p.s[p.i] != ':' {
					return p.errf("expected ':' after object key")
				}
				p.i++
				p.ws()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				p.ws()
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				return nil
			}
			return p.errf("expected ',' or '%c'", end)
		}
	}
	return p.errf("unexpected character %q", p.s[p.i])
}

// jsonDecoder decodes one JSON object into columns.
type jsonDecoder struct {
	sc   schema
	cols []int // schema index -> chunk column (nil = identity)
	rs   *rowSeen
	p    scanner
	a    arena
	out  []byte
}

// NewJSON returns a decoder of FORMAT PLAIN ENCODE JSON records into chunks
// with columns names of types ts (see the package documentation for the
// mapping rules). The message key is ignored.
func NewJSON(names []string, ts []types.T) Decoder {
	return &jsonDecoder{sc: newSchema(names, ts), rs: new(rowSeen)}
}

// ErrEmptyRecord is returned for an empty payload (a Kafka tombstone) by
// decoders that have no meaning for it.
var ErrEmptyRecord = types.Errorf(types.CodeInvalidTextRepr, "empty record")

// Decode implements Decoder.
func (d *jsonDecoder) Decode(payload, _ []byte, c *exec.Chunk) error {
	n := beginRow(c, d.rs)
	if err := d.object(payload, c, n, false); err != nil {
		rollback(c, n)
		return err
	}
	finishRow(c, n, d.rs, len(d.sc.names))
	commitRow(c, exec.OpInsert)
	return nil
}

func (d *jsonDecoder) col(i int) int {
	if d.cols == nil {
		return i
	}
	return d.cols[i]
}

// object decodes the payload into row n. With scalarOK, a payload that is
// not an object fills the single column of the schema.
func (d *jsonDecoder) object(payload []byte, c *exec.Chunk, n int, scalarOK bool) error {
	p := &d.p
	p.s, p.i = payload, 0
	p.ws()
	if p.i >= len(p.s) {
		return ErrEmptyRecord
	}
	if p.s[p.i] != '{' {
		if !scalarOK {
			if err := p.skip(0); err != nil {
				return err
			}
			p.i = 0
			return p.errf("record is not a JSON object")
		}
		if err := d.value(0, c.Cols[d.col(0)], n); err != nil {
			return err
		}
	} else {
		p.i++
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
		} else {
			for {
				if p.i >= len(p.s) || p.s[p.i] != '"' {
					return p.errf("expected string key")
				}
				key, err := p.str()
				if err != nil {
					return err
				}
				col := d.sc.lookup(key)
				p.ws()
				if p.i >= len(p.s) || p.s[p.i] != ':' {
					return p.errf("expected ':' after object key")
				}
				p.i++
				p.ws()
				if col < 0 {
					err = p.skip(1)
				} else {
					err = d.value(col, c.Cols[d.col(col)], n)
				}
				if err != nil {
					return err
				}
				p.ws()
				if p.i < len(p.s) && p.s[p.i] == ',' {
					p.i++
					p.ws()
					continue
				}
				if p.i < len(p.s) && p.s[p.i] == '}' {
					p.i++
					break
				}
				return p.errf("expected ',' or '}'")
			}
		}
	}
	p.ws()
	if p.i != len(p.s) {
		return p.errf("unexpected data after the JSON value")
	}
	return nil
}

// value decodes the JSON value at the cursor into row n of v (schema
// column col).
func (d *jsonDecoder) value(col int, v *exec.Vec, n int) error {
	p := &d.p
	if p.i >= len(p.s) {
		return p.errf("unexpected end of input")
	}
	t, name := d.sc.ts[col], d.sc.names[col]
	d.rs.seen[d.col(col)] = true
	switch c := p.s[p.i]; {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		if t.Family == types.Jsonb {
			d.out = types.AppendJSONString(d.out[:0], b2s(s))
			v.Bytes[n] = d.a.copy(d.out)
			setNonNull(v, n)
			return nil
		}
		return setText(v, n, name, t, s, &d.a)
	case c == '-' || c >= '0' && c <= '9':
		s, isInt, err := p.num()
		if err != nil {
			return err
		}
		if t.Family == types.Timestamp || t.Family == types.Timestamptz {
			x, err := strconv.ParseInt(b2s(s), 10, 64)
			if err != nil || !isInt {
				return syntaxErr(name, t, s)
			}
			v.Int[n] = epochGuess(x)
			setNonNull(v, n)
			return nil
		}
		return setText(v, n, name, t, s, &d.a)
	case c == 't' || c == 'f' || c == 'n':
		start := p.i
		kind, err := p.literal()
		if err != nil {
			return err
		}
		switch {
		case kind == 0:
			v.Nulls.SetNull(n)
		case t.Family == types.Bool:
			v.Bool[n] = kind == 1
			setNonNull(v, n)
		case t.Family == types.Text || t.Family == types.Jsonb:
			if kind == 1 {
				v.Bytes[n] = litTrue
			} else {
				v.Bytes[n] = litFalse
			}
			setNonNull(v, n)
		default:
			return syntaxErr(name, t, p.s[start:p.i])
		}
		return nil
	case c == '{' || c == '[':
		start := p.i
		if err := p.skip(1); err != nil {
			return err
		}
		if t.Family != types.Jsonb && t.Family != types.Text {
			kind := "object"
			if c == '[' {
				kind = "array"
			}
			return types.Errorf(types.CodeInvalidTextRepr, "column %q: cannot convert a JSON %s to type %s", name, kind, t)
		}
		b, err := types.CanonicalJSON(p.s[start:p.i])
		if err != nil {
			return colErr(name, err)
		}
		v.Bytes[n] = b
		setNonNull(v, n)
		return nil
	default:
		return p.errf("unexpected character %q", c)
	}
}

var (
	litTrue  = []byte("true")
	litFalse = []byte("false")
)

// epochGuess converts a Unix epoch in seconds, milliseconds, microseconds or
// nanoseconds (guessed from the magnitude) to microseconds.
func epochGuess(x int64) int64 {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case a < 1e11:
		return x * 1e6
	case a < 1e14:
		return x * 1e3
	case a < 1e17:
		return x
	}
	return x / 1e3
}
