package types

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

const hexDigits = "0123456789abcdef"

// AppendText appends the PostgreSQL text output form of d (of type t) to buf.
// The caller handles NULL.
func AppendText(buf []byte, t T, d Datum) []byte {
	switch t.Family {
	case Bool:
		if d.B {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case Int16, Int32, Int64:
		return strconv.AppendInt(buf, d.I, 10)
	case Float32:
		return appendFloat(buf, d.F, 32)
	case Float64:
		return appendFloat(buf, d.F, 64)
	case Numeric:
		return appendDecimal(buf, &d.D)
	case Text, Jsonb, Unknown:
		return append(buf, d.S...)
	case Bytea:
		buf = append(buf, '\\', 'x')
		for _, c := range d.S {
			buf = append(buf, hexDigits[c>>4], hexDigits[c&15])
		}
		return buf
	case Date:
		return appendDate(buf, d.I)
	case Time:
		return appendTimeOfDay(buf, d.I)
	case Timestamp:
		return appendTimestamp(buf, d.I, false)
	case Timestamptz:
		return appendTimestamp(buf, d.I, true)
	case Interval:
		return appendInterval(buf, d.Iv)
	}
	return buf
}

// appendFloat formats like PostgreSQL with extra_float_digits = 1: the
// shortest representation that round-trips, in fixed notation when the
// decimal exponent is in [-4, 15) (float8) or [-4, 6) (float4).
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	// Decimal exponent of the shortest representation.
	var scratch [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', -1, bits)
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp >= -4 && exp < limit {
		return strconv.AppendFloat(buf, f, 'f', -1, bits)
	}
	return append(buf, e...)
}

// appendDecimal writes a numeric without exponent, as numeric_out does.
func appendDecimal(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Negative && d.IsZero() {
		var z apd.Decimal
		z.Set(d)
		z.Negative = false
		return z.Append(buf, 'f')
	}
	return d.Append(buf, 'f')
}

// FormatDatum returns the text form of d, or "NULL".
func FormatDatum(t T, d Datum) string {
	if d.Null {
		return "NULL"
	}
	return string(AppendText(nil, t, d))
}

// ParseText parses the PostgreSQL text input form s as a value of type t.
// Errors are *Error with SQLSTATE 22P02 (bad syntax), 22003 (out of range),
// 22007/22008 (datetime). A numeric(p,s) type applies its precision and scale;
// varchar(n) widths are not enforced here (see Cast and CastAssign).
func ParseText(t T, s string) (Datum, error) {
	switch t.Family {
	case Bool:
		b, ok := parseBool(s)
		if !ok {
			return Datum{}, Errorf(CodeInvalidTextRepr, "invalid input syntax for type boolean: \"%s\"", s)
		}
		return Datum{B: b}, nil
	case Int16:
		return parseInt(s, 16, "smallint")
	case Int32:
		return parseInt(s, 32, "integer")
	case Int64:
		return parseInt(s, 64, "bigint")
	case Float32:
		return parseFloat(s, 32)
	case Float64:
		return parseFloat(s, 64)
	case Numeric:
		var d Datum
		if err := parseDecimal(&d.D, s); err != nil {
			return Datum{}, err
		}
		if t.Precision > 0 {
			if err := applyNumericTypmod(&d.D, t); err != nil {
				return Datum{}, err
			}
		}
		return d, nil
	case Text, Unknown:
		if !utf8.ValidString(s) {
			return Datum{}, Errorf("22021", "invalid byte sequence for encoding \"UTF8\"")
		}
		return Datum{S: []byte(s)}, nil
	case Bytea:
		b, err := parseBytea(s)
		if err != nil {
			return Datum{}, err
		}
		return Datum{S: b}, nil
	case Date:
		v, err := parseDatetime(dtDate, s)
		return Datum{I: v}, err
	case Time:
		v, err := parseDatetime(dtTime, s)
		return Datum{I: v}, err
	case Timestamp:
		v, err := parseDatetime(dtTimestamp, s)
		return Datum{I: v}, err
	case Timestamptz:
		v, err := parseDatetime(dtTimestamptz, s)
		return Datum{I: v}, err
	case Interval:
		iv, err := parseInterval(s)
		return Datum{Iv: iv}, err
	case Jsonb:
		b, err := CanonicalJSON([]byte(s))
		if err != nil {
			return Datum{}, err
		}
		return Datum{S: b}, nil
	}
	return Datum{}, Errorf(CodeFeatureNotSupported, "cannot parse type %s", t)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// parseBool accepts PostgreSQL's boolean spellings, including unique
// prefixes of true/false/yes/no and on/off.
func parseBool(s string) (bool, bool) {
	v := strings.ToLower(trimSpace(s))
	if v == "" {
		return false, false
	}
	prefix := func(word string) bool { return strings.HasPrefix(word, v) }
	switch v[0] {
	case 't':
		return true, prefix("true")
	case 'f':
		return false, prefix("false")
	case 'y':
		return true, prefix("yes")
	case 'n':
		return false, prefix("no")
	case 'o':
		if len(v) < 2 {
			return false, false
		}
		if prefix("on") {
			return true, true
		}
		return false, prefix("off")
	case '1':
		return true, v == "1"
	case '0':
		return false, v == "0"
	}
	return false, false
}

func parseInt(s string, bits int, name string) (Datum, error) {
	v := trimSpace(s)
	body := v
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	if !allDigits(body) {
		return Datum{}, Errorf(CodeInvalidTextRepr, "invalid input syntax for type %s: \"%s\"", name, s)
	}
	if v[0] == '+' {
		v = v[1:]
	}
	i, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return Datum{}, Errorf(CodeNumericOutOfRange, "value \"%s\" is out of range for type %s", s, name)
	}
	return Datum{I: i}, nil
}

func parseFloat(s string, bits int) (Datum, error) {
	name := "double precision"
	if bits == 32 {
		name = "real"
	}
	v := trimSpace(s)
	bad := func() error {
		return Errorf(CodeInvalidTextRepr, "invalid input syntax for type %s: \"%s\"", name, s)
	}
	switch strings.ToLower(v) {
	case "nan", "+nan", "-nan":
		return Datum{F: math.NaN()}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return Datum{F: math.Inf(1)}, nil
	case "-infinity", "-inf":
		return Datum{F: math.Inf(-1)}, nil
	}
	// Restrict to decimal syntax: digits, '.', exponent, sign.
	if v == "" {
		return Datum{}, bad()
	}
	sawDigit, nonzero := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			sawDigit = true
			if c != '0' {
				nonzero = true
			}
		case c == '.' || c == '+' || c == '-':
		case c == 'e' || c == 'E':
			if !sawDigit {
				return Datum{}, bad()
			}
			// exponent digits do not count for zero detection
			for j := i + 1; j < len(v); j++ {
				if !isDigit(v[j]) && !(j == i+1 && (v[j] == '+' || v[j] == '-')) {
					return Datum{}, bad()
				}
			}
			i = len(v)
		default:
			return Datum{}, bad()
		}
	}
	f, err := strconv.ParseFloat(v, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return Datum{}, Errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type %s", s, name)
		}
		return Datum{}, bad()
	}
	if f == 0 && nonzero {
		return Datum{}, Errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type %s", s, name)
	}
	return Datum{F: f}, nil
}

// parseDecimal parses PostgreSQL numeric input into d.
func parseDecimal(d *apd.Decimal, s string) error {
	v := trimSpace(s)
	bad := func() error {
		return Errorf(CodeInvalidTextRepr, "invalid input syntax for type numeric: \"%s\"", s)
	}
	switch strings.ToLower(v) {
	case "nan":
		d.Set(&apd.Decimal{Form: apd.NaN})
		return nil
	case "infinity", "+infinity", "inf", "+inf":
		d.Set(&apd.Decimal{Form: apd.Infinite})
		return nil
	case "-infinity", "-inf":
		d.Set(&apd.Decimal{Form: apd.Infinite, Negative: true})
		return nil
	}
	// [+-] digits [. digits] [e [+-] digits]
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	nd := 0
	for i < len(v) && isDigit(v[i]) {
		i++
		nd++
	}
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && isDigit(v[i]) {
			i++
			nd++
		}
	}
	if nd == 0 {
		return bad()
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		ne := 0
		for i < len(v) && isDigit(v[i]) {
			i++
			ne++
		}
		if ne == 0 {
			return bad()
		}
	}
	if i != len(v) {
		return bad()
	}
	if _, _, err := d.SetString(v); err != nil {
		return Errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if d.IsZero() && d.Exponent > 0 {
		d.Exponent = 0
	}
	if !d.IsZero() && int64(d.NumDigits())+int64(d.Exponent) > 131072 {
		return Errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if d.Exponent > 0 {
		// 1e3 is 1000 with scale 0
		var c apd.Context = apd.Context{Precision: uint32(d.NumDigits()) + uint32(d.Exponent) + 1, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent}
		if _, err := c.Quantize(d, d, 0); err != nil {
			return Errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
	}
	if d.Exponent < -16383 {
		return Errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if d.IsZero() {
		d.Negative = false
	}
	return nil
}

// parseBytea parses hex (\x...) and escape format bytea input.
func parseBytea(s string) ([]byte, error) {
	if len(s) >= 2 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X') {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if isSpace(c) {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(firstRune(s[i:])))
			}
			if i+1 >= len(s) {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(s[i+1])
			if !ok {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(firstRune(s[i+1:])))
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i += 2
			continue
		}
		if i+3 < len(s)+0 && s[i+1] >= '0' && s[i+1] <= '3' && s[i+2] >= '0' && s[i+2] <= '7' && s[i+3] >= '0' && s[i+3] <= '7' {
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
			continue
		}
		return nil, Errorf(CodeInvalidTextRepr, "invalid input syntax for type bytea")
	}
	return out, nil
}

func firstRune(s string) []byte {
	_, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		n = 1
	}
	return []byte(s[:n])
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
