package types

import (
	"bytes"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// JSONValue is a parsed jsonb value. Kind is one of the JSON* constants;
// objects keep their keys sorted the jsonb way (by length, then bytes) with
// duplicates removed (last wins).
type JSONValue struct {
	Kind  JSONKind
	Bool  bool
	Num   apd.Decimal
	Str   string
	Elems []JSONValue // array elements
	Keys  []string    // object keys, parallel to Elems
}

// JSONKind is the kind of a JSONValue.
type JSONKind uint8

// JSON value kinds.
const (
	JSONNull JSONKind = iota
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

// String returns the jsonb kind name as jsonb_typeof reports it.
func (k JSONKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// ParseJSON parses JSON text into a JSONValue with jsonb semantics. Errors
// are 22P02 "invalid input syntax for type json".
func ParseJSON(b []byte) (JSONValue, error) {
	p := jsonParser{s: b}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return JSONValue{}, err
	}
	p.ws()
	if p.i != len(p.s) {
		return JSONValue{}, p.err()
	}
	return v, nil
}

// CanonicalJSON validates JSON text and returns its jsonb canonical text.
func CanonicalJSON(b []byte) ([]byte, error) {
	v, err := ParseJSON(b)
	if err != nil {
		return nil, err
	}
	return AppendJSON(make([]byte, 0, len(b)+8), &v), nil
}

// AppendJSON appends the jsonb text form of v (", " and ": " separators).
func AppendJSON(buf []byte, v *JSONValue) []byte {
	switch v.Kind {
	case JSONNull:
		return append(buf, "null"...)
	case JSONBool:
		if v.Bool {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case JSONNumber:
		return appendDecimal(buf, &v.Num)
	case JSONString:
		return AppendJSONString(buf, v.Str)
	case JSONArray:
		buf = append(buf, '[')
		for i := range v.Elems {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSON(buf, &v.Elems[i])
		}
		return append(buf, ']')
	case JSONObject:
		buf = append(buf, '{')
		for i := range v.Elems {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSONString(buf, v.Keys[i])
			buf = append(buf, ": "...)
			buf = AppendJSON(buf, &v.Elems[i])
		}
		return append(buf, '}')
	}
	return buf
}

// AppendJSONString appends s as a JSON string literal, escaping like
// PostgreSQL's escape_json.
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			if c < 0x20 {
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, '"')
}

type jsonParser struct {
	s []byte
	i int
}

func (p *jsonParser) err() error {
	return Errorf(CodeInvalidTextRepr, "invalid input syntax for type json")
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (JSONValue, error) {
	if depth > 6400 {
		return JSONValue{}, Errorf(CodeProgramLimitExceeded, "stack depth limit exceeded")
	}
	if p.i >= len(p.s) {
		return JSONValue{}, p.err()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		p.ws()
		var v JSONValue
		v.Kind = JSONObject
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return v, p.err()
			}
			k, err := p.str()
			if err != nil {
				return v, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return v, p.err()
			}
			p.i++
			p.ws()
			e, err := p.value(depth + 1)
			if err != nil {
				return v, err
			}
			v.Keys = append(v.Keys, k)
			v.Elems = append(v.Elems, e)
			p.ws()
			if p.i >= len(p.s) {
				return v, p.err()
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				break
			}
			return v, p.err()
		}
		sortJSONObject(&v)
		return v, nil
	case c == '[':
		p.i++
		p.ws()
		v := JSONValue{Kind: JSONArray}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		for {
			p.ws()
			e, err := p.value(depth + 1)
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, e)
			p.ws()
			if p.i >= len(p.s) {
				return v, p.err()
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return v, nil
			}
			return v, p.err()
		}
	case c == '"':
		s, err := p.str()
		return JSONValue{Kind: JSONString, Str: s}, err
	case c == '-' || isDigit(c):
		return p.num()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(p.s[p.i:], []byte(lit)) {
				end := p.i + len(lit)
				if end < len(p.s) && (isAlpha(p.s[end]) || isDigit(p.s[end]) || p.s[end] == '_') {
					return JSONValue{}, p.err()
				}
				p.i = end
				switch lit {
				case "true":
					return JSONValue{Kind: JSONBool, Bool: true}, nil
				case "false":
					return JSONValue{Kind: JSONBool}, nil
				}
				return JSONValue{Kind: JSONNull}, nil
			}
		}
	}
	return JSONValue{}, p.err()
}

func (p *jsonParser) num() (JSONValue, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
		return JSONValue{}, p.err()
	}
	if p.s[p.i] == '0' {
		p.i++
	} else {
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		n := 0
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
			n++
		}
		if n == 0 {
			return JSONValue{}, p.err()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		n := 0
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
			n++
		}
		if n == 0 {
			return JSONValue{}, p.err()
		}
	}
	if p.i < len(p.s) && (isAlpha(p.s[p.i]) || p.s[p.i] == '_') {
		return JSONValue{}, p.err()
	}
	v := JSONValue{Kind: JSONNumber}
	if err := parseDecimal(&v.Num, string(p.s[start:p.i])); err != nil {
		return v, err
	}
	return v, nil
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// fast path: no escapes
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", p.err()
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.err()
		}
		p.i++
	}
	out := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(out) {
				return "", p.err()
			}
			return string(out), nil
		case c < 0x20:
			return "", p.err()
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", p.err()
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.err()
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || p.i+1 >= len(p.s) || p.s[p.i] != '\\' || p.s[p.i+1] != 'u' {
						return "", p.err()
					}
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", p.err()
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", p.err()
					}
				}
				if r == 0 {
					return "", Errorf("22P05", "unsupported Unicode escape sequence")
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", p.err()
			}
		default:
			out = append(out, c)
			p.i++
		}
	}
	return "", p.err()
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// sortJSONObject orders keys by (length, bytes) and drops duplicates keeping
// the last value, as jsonb does.
func sortJSONObject(v *JSONValue) {
	n := len(v.Keys)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := v.Keys[idx[a]], v.Keys[idx[b]]
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	keys := make([]string, 0, n)
	elems := make([]JSONValue, 0, n)
	for i := 0; i < n; i++ {
		j := idx[i]
		if len(keys) > 0 && keys[len(keys)-1] == v.Keys[j] {
			// stable sort: later duplicate wins
			elems[len(elems)-1] = v.Elems[j]
			continue
		}
		keys = append(keys, v.Keys[j])
		elems = append(elems, v.Elems[j])
	}
	v.Keys, v.Elems = keys, elems
}
