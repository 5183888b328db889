package format

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// schema is the column list a decoder fills.
type schema struct {
	names  []string
	ts     []types.T
	byName map[string]int // column name and its lower-case form -> index
	lower  []byte         // scratch for case-folding keys
}

func newSchema(names []string, ts []types.T) schema {
	if len(names) != len(ts) {
		panic("format: names and types differ in length")
	}
	s := schema{names: names, ts: ts, byName: make(map[string]int, 2*len(names))}
	for i := len(names) - 1; i >= 0; i-- {
		s.byName[names[i]] = i
	}
	for i := len(names) - 1; i >= 0; i-- {
		if l := strings.ToLower(names[i]); l != names[i] {
			if _, ok := s.byName[l]; !ok {
				s.byName[l] = i
			}
		}
	}
	return s
}

// lookup returns the column of key, or -1: the exact name first, then the
// lower-cased key.
func (s *schema) lookup(key []byte) int {
	if i, ok := s.byName[string(key)]; ok {
		return i
	}
	upper := false
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			upper = true
			break
		}
	}
	if !upper {
		return -1
	}
	s.lower = append(s.lower[:0], strings.ToLower(string(key))...)
	if i, ok := s.byName[string(s.lower)]; ok {
		return i
	}
	return -1
}

// arena hands out byte copies carved from large slabs. A slab is never
// reused, so handed-out values stay valid for as long as anyone holds them.
type arena struct{ buf []byte }

const slabSize = 64 << 10

func (a *arena) copy(b []byte) []byte {
	if len(b) > cap(a.buf)-len(a.buf) {
		if len(b) > slabSize/8 {
			return append(make([]byte, 0, len(b)), b...)
		}
		a.buf = make([]byte, 0, slabSize)
	}
	s := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[s:len(a.buf):len(a.buf)]
}

// rowSeen tracks which columns of the row being decoded got a value (or
// an explicit NULL), so that only the others are set NULL at the end and
// chunks without NULLs keep their NULL-free fast path (MaybeNulls false).
type rowSeen struct{ seen []bool }

// beginRow appends a row (zero values, not NULL) and returns its index.
func beginRow(c *exec.Chunk, rs *rowSeen) int {
	n := c.N
	for _, v := range c.Cols {
		v.Resize(n + 1)
	}
	if cap(rs.seen) < len(c.Cols) {
		rs.seen = make([]bool, len(c.Cols))
	}
	rs.seen = rs.seen[:len(c.Cols)]
	clear(rs.seen)
	return n
}

// finishRow sets NULL the first ncols columns of row n that got no value.
// Columns past ncols (INCLUDE columns) are left to the caller.
func finishRow(c *exec.Chunk, n int, rs *rowSeen, ncols int) {
	for i := 0; i < ncols && i < len(c.Cols); i++ {
		if !rs.seen[i] {
			c.Cols[i].Nulls.SetNull(n)
		}
	}
}

// commitRow makes the row begun by beginRow part of the chunk.
func commitRow(c *exec.Chunk, op exec.Op) {
	if c.Ops != nil || op != exec.OpInsert {
		for len(c.Ops) < c.N {
			c.Ops = append(c.Ops, exec.OpInsert)
		}
		c.Ops = append(c.Ops[:c.N], op)
	}
	c.N++
}

// rollback truncates every column back to n rows.
func rollback(c *exec.Chunk, n int) {
	for _, v := range c.Cols {
		v.Resize(n)
	}
	c.N = n
}

// colErr prefixes err with the column name, keeping its SQLSTATE.
func colErr(name string, err error) error {
	var te *types.Error
	if errors.As(err, &te) {
		e := *te
		e.Message = fmt.Sprintf("column %q: %s", name, te.Message)
		return &e
	}
	return types.Errorf(types.CodeInvalidTextRepr, "column %q: %v", name, err)
}

func syntaxErr(name string, t types.T, s []byte) error {
	return types.Errorf(types.CodeInvalidTextRepr, "column %q: invalid input syntax for type %s: \"%s\"", name, t, s)
}

// b2s views b as a string without copying; the string must not outlive b.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// setNonNull marks row n of v not NULL.
func setNonNull(v *exec.Vec, n int) { v.Nulls.UnsetNull(n) }

// parseDigits parses an optional '-' followed by 1..18 decimal digits; ok is
// false for anything else (callers fall back to the general path).
func parseDigits(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var x int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	if neg {
		x = -x
	}
	return x, true
}

func intFits(x int64, f types.Family) bool {
	switch f {
	case types.Int16:
		return x >= math.MinInt16 && x <= math.MaxInt16
	case types.Int32:
		return x >= math.MinInt32 && x <= math.MaxInt32
	}
	return true
}

// setText stores the PostgreSQL text input s (already unescaped) into row n
// of column col. s may alias a scratch buffer: byte values are copied.
func setText(v *exec.Vec, n int, name string, t types.T, s []byte, a *arena) error {
	switch t.Family {
	case types.Text:
		if !utf8.Valid(s) {
			return types.Errorf("22021", "column %q: invalid byte sequence for encoding \"UTF8\"", name)
		}
		if t.Width == 0 {
			v.Bytes[n] = a.copy(s)
			setNonNull(v, n)
			return nil
		}
	case types.Int16, types.Int32, types.Int64:
		if x, ok := parseDigits(s); ok && intFits(x, t.Family) {
			v.Int[n] = x
			setNonNull(v, n)
			return nil
		}
	case types.Float64:
		if len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
			if f, err := strconv.ParseFloat(b2s(s), 64); err == nil && !math.IsInf(f, 0) {
				v.Float[n] = f
				setNonNull(v, n)
				return nil
			}
		}
	case types.Timestamp, types.Timestamptz:
		if us, ok := fastTimestamp(s, t.Family == types.Timestamptz); ok {
			v.Int[n] = us
			setNonNull(v, n)
			return nil
		}
	}
	d, err := types.ParseText(t, string(s))
	if err != nil {
		return colErr(name, err)
	}
	if t.Family == types.Text && t.Width > 0 {
		// varchar(n): assignment semantics, as INSERT applies them.
		if d, err = types.CastAssign(d, types.TText, t); err != nil {
			return colErr(name, err)
		}
	}
	if v.Typ.Family.Physical() == types.PhysBytes {
		d.S = a.copy(d.S)
	}
	v.Set(n, d)
	return nil
}

func num2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}

// fastTimestamp parses the common ISO forms "YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]"
// plus, for timestamptz, an optional "Z" or "±HH[:MM]" suffix. ok is false
// for anything else, and the caller then falls back to types.ParseText, so
// the result is always what ParseText would return.
func fastTimestamp(b []byte, tz bool) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	y1, ok1 := num2(b, 0)
	y2, ok2 := num2(b, 2)
	mo, ok3 := num2(b, 5)
	d, ok4 := num2(b, 8)
	h, ok5 := num2(b, 11)
	mi, ok6 := num2(b, 14)
	s, ok7 := num2(b, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, false
	}
	y := y1*100 + y2
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	var frac int64
	i := 19
	if i < len(b) && b[i] == '.' {
		i++
		digits := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits == 6 {
				return 0, false // would need rounding
			}
			frac = frac*10 + int64(b[i]-'0')
			digits++
			i++
		}
		if digits == 0 {
			return 0, false
		}
		for ; digits < 6; digits++ {
			frac *= 10
		}
	}
	var off int64
	if i < len(b) {
		if !tz {
			return 0, false
		}
		switch {
		case b[i] == 'Z' && i+1 == len(b):
		case (b[i] == '+' || b[i] == '-') && (len(b)-i == 3 || len(b)-i == 6 && b[i+3] == ':'):
			oh, ok := num2(b, i+1)
			om := 0
			if len(b)-i == 6 {
				om, ok1 = num2(b, i+4)
				ok = ok && ok1 && om < 60
			}
			if !ok || oh > 15 {
				return 0, false
			}
			off = int64(oh*3600+om*60) * types.MicrosPerSecond
			if b[i] == '-' {
				off = -off
			}
		default:
			return 0, false
		}
	}
	days := types.DateFromYMD(y, mo, d)
	us := days*types.MicrosPerDay + int64(h)*types.MicrosPerHour + int64(mi)*types.MicrosPerMinute +
		int64(s)*types.MicrosPerSecond + frac - off
	return us, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
