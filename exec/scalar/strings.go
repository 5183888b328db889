package scalar

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"regexp"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// rowFn adapts a per-row function over datums into a kernel. It is the
// path for functions that are not worth a dedicated loop. arena collects
// the bytes of results for the chunk (one allocation per chunk, amortized).
func rowFn(f func(a []types.Datum, arena *[]byte, typs []types.T) (types.Datum, error)) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		ds := make([]types.Datum, len(args))
		ts := make([]types.T, len(args))
		for i, a := range args {
			ts[i] = a.Typ
		}
		arena := make([]byte, 0, 256)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			for i, a := range args {
				ds[i] = a.Get(r)
			}
			d, err := f(ds, &arena, ts)
			if err != nil {
				return err
			}
			out.Set(r, d)
		}
		return nil
	}
}

// ret appends b to the arena and returns it as a datum.
func retBytes(arena *[]byte, b []byte) types.Datum {
	start := len(*arena)
	*arena = append(*arena, b...)
	return types.NewBytes((*arena)[start:len(*arena):len(*arena)])
}

func retStr(arena *[]byte, s string) types.Datum {
	start := len(*arena)
	*arena = append(*arena, s...)
	return types.NewBytes((*arena)[start:len(*arena):len(*arena)])
}

// textOf renders a non-NULL datum of type t as PostgreSQL's output function
// would.
func textOf(buf []byte, t types.T, d types.Datum) []byte {
	if t.Family == types.Text || t.Family == types.Unknown {
		return append(buf, d.S...)
	}
	return types.AppendText(buf, t, d)
}

// castText renders a non-NULL datum as a cast to text would.
func castText(buf []byte, t types.T, d types.Datum) []byte {
	if t.Family == types.Bool {
		if d.B {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	}
	return textOf(buf, t, d)
}

func runeLen(s []byte) int { return utf8.RuneCount(s) }

// runeOffset returns the byte offset of the n-th rune (0-based), clamped to
// len(s).
func runeOffset(s []byte, n int) int {
	if n <= 0 {
		return 0
	}
	off := 0
	for i := 0; i < n && off < len(s); i++ {
		_, sz := utf8.DecodeRune(s[off:])
		off += sz
	}
	return off
}

var (
	tT   = types.TText
	tI4  = types.TInt4
	tI8  = types.TInt8
	tB   = types.TBool
	tAny = types.TUnknown // "any"
)

func sig(ts ...types.T) []types.T { return ts }

func init() {
	reg("||", sig(tT, tT), tT, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		a, b := args[0].Bytes, args[1].Bytes
		size := 0
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			size += len(a[r]) + len(b[r])
		}
		arena := make([]byte, 0, size)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			s := len(arena)
			arena = append(arena, a[r]...)
			arena = append(arena, b[r]...)
			out.Bytes[r] = arena[s:len(arena):len(arena)]
		}
		return nil
	})
	// anynonarray || text casts the other operand to text (so a boolean
	// gives 'true', unlike concat()).
	anyCat := rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
		s := len(*arena)
		*arena = castText(*arena, ts[0], a[0])
		*arena = castText(*arena, ts[1], a[1])
		return types.NewBytes((*arena)[s:len(*arena):len(*arena)]), nil
	})
	reg("||", sig(tAny, tT), tT, anyCat)
	reg("||", sig(tT, tAny), tT, anyCat)

	like := func(ci, neg bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var last []byte
			var m *likeMatcher
			var lower []byte
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				p := args[1].Bytes[r]
				if len(args) == 3 {
					var err error
					if p, err = likeEscape(p, args[2].Bytes[r]); err != nil {
						return err
					}
				}
				if m == nil || !bytes.Equal(p, last) {
					pp := p
					if ci {
						pp = []byte(strings.ToLower(string(p)))
					}
					var err error
					if m, err = compileLike(pp); err != nil {
						return err
					}
					last = p
				}
				s := args[0].Bytes[r]
				if ci {
					lower = append(lower[:0], strings.ToLower(string(s))...)
					s = lower
				}
				out.Bool[r] = m.match(s) != neg
			}
			return nil
		}
	}
	reg("like", sig(tT, tT), tB, like(false, false))
	reg("not like", sig(tT, tT), tB, like(false, true))
	reg("ilike", sig(tT, tT), tB, like(true, false))
	reg("not ilike", sig(tT, tT), tB, like(true, true))
	// LIKE ... ESCAPE e
	reg("like", sig(tT, tT, tT), tB, like(false, false))
	reg("not like", sig(tT, tT, tT), tB, like(false, true))
	reg("ilike", sig(tT, tT, tT), tB, like(true, false))
	reg("not ilike", sig(tT, tT, tT), tB, like(true, true))
	regex := func(ci, neg bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var last []byte
			var re *regexp.Regexp
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				p := args[1].Bytes[r]
				if re == nil || !bytes.Equal(p, last) {
					var err error
					if re, err = compileRE(p, reOpts{ci: ci}); err != nil {
						return err
					}
					last = p
				}
				out.Bool[r] = re.Match(args[0].Bytes[r]) != neg
			}
			return nil
		}
	}
	reg("~", sig(tT, tT), tB, regex(false, false))
	reg("~*", sig(tT, tT), tB, regex(true, false))
	reg("!~", sig(tT, tT), tB, regex(false, true))
	reg("!~*", sig(tT, tT), tB, regex(true, true))

	intOfText := func(f func(s []byte) int64) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				out.Int[r] = f(args[0].Bytes[r])
			}
			return nil
		}
	}
	for _, name := range []string{"length", "char_length"} {
		reg(name, sig(tT), tI4, intOfText(func(s []byte) int64 { return int64(runeLen(s)) }))
	}
	reg("length", sig(types.TBytea), tI4, intOfText(func(s []byte) int64 { return int64(len(s)) }))
	reg("octet_length", sig(tT), tI4, intOfText(func(s []byte) int64 { return int64(len(s)) }))
	reg("octet_length", sig(types.TBytea), tI4, intOfText(func(s []byte) int64 { return int64(len(s)) }))
	reg("ascii", sig(tT), tI4, intOfText(func(s []byte) int64 {
		if len(s) == 0 {
			return 0
		}
		r, _ := utf8.DecodeRune(s)
		return int64(r)
	}))

	textOfText := func(f func(dst, s []byte) []byte) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			arena := make([]byte, 0, 256)
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				s := len(arena)
				arena = f(arena, args[0].Bytes[r])
				out.Bytes[r] = arena[s:len(arena):len(arena)]
			}
			return nil
		}
	}
	reg("lower", sig(tT), tT, textOfText(func(d, s []byte) []byte { return append(d, strings.ToLower(string(s))...) }))
	reg("upper", sig(tT), tT, textOfText(func(d, s []byte) []byte { return append(d, strings.ToUpper(string(s))...) }))
	reg("initcap", sig(tT), tT, textOfText(func(d, s []byte) []byte {
		inWord := false
		for _, r := range string(s) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				if inWord {
					r = unicode.ToLower(r)
				} else {
					r = unicode.ToUpper(r)
				}
				inWord = true
			} else {
				inWord = false
			}
			d = utf8.AppendRune(d, r)
		}
		return d
	}))
	reg("reverse", sig(tT), tT, textOfText(func(d, s []byte) []byte {
		rs := []rune(string(s))
		for i := len(rs) - 1; i >= 0; i-- {
			d = utf8.AppendRune(d, rs[i])
		}
		return d
	}))
	reg("md5", sig(tT), tT, textOfText(func(d, s []byte) []byte {
		h := md5.Sum(s)
		return hex.AppendEncode(d, h[:])
	}))

	substr := rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		s := a[0].S
		start := a[1].I
		var end int64 = 1 << 62
		if len(a) > 2 {
			if a[2].I < 0 {
				return types.Null, types.Errorf("22011", "negative substring length not allowed")
			}
			end = start + a[2].I
			if end < start { // overflow
				end = 1 << 62
			}
		}
		if start < 1 {
			start = 1
		}
		if end <= start {
			return retStr(arena, ""), nil
		}
		b := runeOffset(s, int(min(start-1, int64(len(s)))))
		e := runeOffset(s, int(min(end-1, int64(len(s)))))
		return retBytes(arena, s[b:e]), nil
	})
	reg("substr", sig(tT, tI4), tT, substr)
	reg("substr", sig(tT, tI4, tI4), tT, substr)
	strpos := rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		i := bytes.Index(a[0].S, a[1].S)
		if i < 0 {
			return types.NewInt(0), nil
		}
		return types.NewInt(int64(runeLen(a[0].S[:i]) + 1)), nil
	})
	// position(string, substring) is what POSITION(substring IN string)
	// becomes, as in PostgreSQL's grammar.
	reg("strpos", sig(tT, tT), tI4, strpos)
	reg("position", sig(tT, tT), tI4, strpos)
	reg("replace", sig(tT, tT, tT), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		if len(a[1].S) == 0 {
			return retBytes(arena, a[0].S), nil
		}
		return retBytes(arena, bytes.ReplaceAll(a[0].S, a[1].S, a[2].S)), nil
	}))
	leftRight := func(left bool) KernelFn {
		return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			s, n := a[0].S, a[1].I
			l := int64(runeLen(s))
			var take int64
			if n >= 0 {
				take = min(n, l)
			} else {
				take = max(l+n, 0)
			}
			if left {
				return retBytes(arena, s[:runeOffset(s, int(take))]), nil
			}
			return retBytes(arena, s[runeOffset(s, int(l-take)):]), nil
		})
	}
	reg("left", sig(tT, tI4), tT, leftRight(true))
	reg("right", sig(tT, tI4), tT, leftRight(false))
	pad := func(left bool) KernelFn {
		return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			s, n := a[0].S, a[1].I
			fill := []byte(" ")
			if len(a) > 2 {
				fill = a[2].S
			}
			if n <= 0 {
				return retStr(arena, ""), nil
			}
			if n > 10485760 {
				return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested length too large")
			}
			l := int64(runeLen(s))
			if l >= n {
				return retBytes(arena, s[:runeOffset(s, int(n))]), nil
			}
			if len(fill) == 0 {
				return retBytes(arena, s), nil
			}
			var p []byte
			fr := []rune(string(fill))
			for i := int64(0); i < n-l; i++ {
				p = utf8.AppendRune(p, fr[int(i)%len(fr)])
			}
			if left {
				return retBytes(arena, append(p, s...)), nil
			}
			return retBytes(arena, append(append([]byte(nil), s...), p...)), nil
		})
	}
	reg("lpad", sig(tT, tI4), tT, pad(true))
	reg("lpad", sig(tT, tI4, tT), tT, pad(true))
	reg("rpad", sig(tT, tI4), tT, pad(false))
	reg("rpad", sig(tT, tI4, tT), tT, pad(false))
	trim := func(l, r bool) KernelFn {
		return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			cut := " "
			if len(a) > 1 {
				cut = string(a[1].S)
			}
			s := string(a[0].S)
			if l {
				s = strings.TrimLeft(s, cut)
			}
			if r {
				s = strings.TrimRight(s, cut)
			}
			return retStr(arena, s), nil
		})
	}
	for _, x := range []struct {
		name string
		l, r bool
	}{{"btrim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}} {
		reg(x.name, sig(tT), tT, trim(x.l, x.r))
		reg(x.name, sig(tT, tT), tT, trim(x.l, x.r))
	}
	reg("split_part", sig(tT, tT, tI4), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		s, d, n := a[0].S, a[1].S, a[2].I
		if n == 0 {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "field position must not be zero")
		}
		var parts [][]byte
		if len(d) == 0 {
			parts = [][]byte{s}
			if len(s) == 0 {
				parts = nil
			}
		} else {
			parts = bytes.Split(s, d)
		}
		if n < 0 {
			n = int64(len(parts)) + n + 1
		}
		if n < 1 || n > int64(len(parts)) {
			return retStr(arena, ""), nil
		}
		return retBytes(arena, parts[n-1]), nil
	}))
	reg("repeat", sig(tT, tI4), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		if a[1].I <= 0 || len(a[0].S) == 0 {
			return retStr(arena, ""), nil
		}
		if a[1].I*int64(len(a[0].S)) > 1<<30 {
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested length too large")
		}
		return retBytes(arena, bytes.Repeat(a[0].S, int(a[1].I))), nil
	}))
	toHex := func(width int) KernelFn {
		return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			v := uint64(a[0].I)
			if width == 32 {
				v = uint64(uint32(a[0].I))
			}
			return retStr(arena, strconv.FormatUint(v, 16)), nil
		})
	}
	reg("to_hex", sig(tI4), tT, toHex(32))
	reg("to_hex", sig(tI8), tT, toHex(64))
	reg("chr", sig(tI4), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		c := a[0].I
		if c == 0 {
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "null character not permitted")
		}
		if c < 0 || c > unicode.MaxRune || (c >= 0xD800 && c <= 0xDFFF) {
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested character too large for encoding: %d", c)
		}
		return retBytes(arena, utf8.AppendRune(nil, rune(c))), nil
	}))
	reg("starts_with", sig(tT, tT), tB, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			out.Bool[r] = bytes.HasPrefix(args[0].Bytes[r], args[1].Bytes[r])
		}
		return nil
	})
	concat := &Overload{Name: "concat", Args: sig(tAny), Ret: tT, Variadic: true, NullCall: true,
		Fn: rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
			s := len(*arena)
			for i, d := range a {
				if !d.Null && ts[i].Family != types.Unknown {
					*arena = textOf(*arena, ts[i], d)
				}
			}
			return types.NewBytes((*arena)[s:len(*arena):len(*arena)]), nil
		})}
	Register(concat)
	concatWS := &Overload{Name: "concat_ws", Args: sig(tT, tAny), Ret: tT, Variadic: true, NullCall: true,
		Fn: rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
			if a[0].Null {
				return types.Null, nil
			}
			s := len(*arena)
			first := true
			for i, d := range a[1:] {
				if d.Null || ts[i+1].Family == types.Unknown {
					continue
				}
				if !first {
					*arena = append(*arena, a[0].S...)
				}
				first = false
				*arena = textOf(*arena, ts[i+1], d)
			}
			return types.NewBytes((*arena)[s:len(*arena):len(*arena)]), nil
		})}
	Register(concatWS)
	format := &Overload{Name: "format", Args: sig(tT, tAny), Ret: tT, Variadic: true, NullCall: true,
		Fn: rowFn(formatRow)}
	Register(format)
	Register(&Overload{Name: "format", Args: sig(tT), Ret: tT, Fn: rowFn(formatRow)})
}

func formatRow(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
	if a[0].Null {
		return types.Null, nil
	}
	f := a[0].S
	s := len(*arena)
	argi := 1
	for i := 0; i < len(f); i++ {
		ch := f[i]
		if ch != '%' {
			*arena = append(*arena, ch)
			continue
		}
		i++
		if i >= len(f) {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			*arena = append(*arena, '%')
			continue
		}
		// optional position n$
		j := i
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		if j < len(f) && f[j] == '$' && j > i {
			n, _ := strconv.Atoi(string(f[i:j]))
			argi = n
			i = j + 1
			if i >= len(f) {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unterminated format() type specifier")
			}
		}
		conv := f[i]
		if conv != 's' && conv != 'I' && conv != 'L' {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", conv)
		}
		if argi >= len(a) {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "too few arguments for format()")
		}
		d, t := a[argi], ts[argi]
		argi++
		var v string
		isNull := d.Null || t.Family == types.Unknown && d.S == nil
		if !isNull {
			v = string(textOf(nil, t, d))
		}
		switch conv {
		case 's':
			*arena = append(*arena, v...)
		case 'I':
			if isNull {
				return types.Null, types.Errorf("22004", "null values cannot be formatted as an SQL identifier")
			}
			*arena = append(*arena, quoteIdent(v)...)
		case 'L':
			if isNull {
				*arena = append(*arena, "NULL"...)
			} else {
				*arena = append(*arena, quoteLiteral(v)...)
			}
		}
	}
	return types.NewBytes((*arena)[s:len(*arena):len(*arena)]), nil
}

func quoteIdent(s string) string {
	safe := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			safe = false
			break
		}
	}
	if safe && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

var reservedWords = map[string]bool{"all": true, "and": true, "any": true, "as": true, "select": true, "from": true,
	"where": true, "table": true, "user": true, "order": true, "group": true, "by": true, "null": true, "true": true,
	"false": true, "not": true, "or": true, "case": true, "when": true, "then": true, "else": true, "end": true,
	"limit": true, "offset": true, "create": true, "column": true, "check": true, "default": true, "primary": true}

func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	kind  uint8 // 0 general, 1 exact, 2 prefix, 3 suffix, 4 contains, 5 anything
	lit   []byte
	toks  []likeTok
	fixed bool
}

type likeTok struct {
	kind uint8 // 0 literal rune, 1 '_', 2 '%'
	r    rune
}

// compileLike parses a LIKE pattern with escape character '\'.
// likeEscape rewrites a pattern with escape character esc (” for none)
// into the default backslash form compileLike reads.
func likeEscape(p, esc []byte) ([]byte, error) {
	var e rune = -1
	if len(esc) > 0 {
		var sz int
		e, sz = utf8.DecodeRune(esc)
		if sz != len(esc) {
			return nil, types.Errorf(types.CodeInvalidEscapeSequence, "invalid escape string")
		}
	}
	if e == '\\' {
		return p, nil
	}
	out := make([]byte, 0, len(p)+4)
	for i := 0; i < len(p); {
		r, sz := utf8.DecodeRune(p[i:])
		i += sz
		switch {
		case r == e:
			if i >= len(p) {
				return nil, types.Errorf(types.CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			r2, sz2 := utf8.DecodeRune(p[i:])
			i += sz2
			out = append(out, '\\')
			out = utf8.AppendRune(out, r2)
		case r == '\\':
			out = append(out, '\\', '\\')
		default:
			out = utf8.AppendRune(out, r)
		}
	}
	return out, nil
}

func compileLike(p []byte) (*likeMatcher, error) {
	var toks []likeTok
	for i := 0; i < len(p); {
		r, sz := utf8.DecodeRune(p[i:])
		i += sz
		switch r {
		case '\\':
			if i >= len(p) {
				return nil, types.Errorf(types.CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			r, sz = utf8.DecodeRune(p[i:])
			i += sz
			toks = append(toks, likeTok{0, r})
		case '_':
			toks = append(toks, likeTok{kind: 1})
		case '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != 2 {
				toks = append(toks, likeTok{kind: 2})
			}
		default:
			toks = append(toks, likeTok{0, r})
		}
	}
	m := &likeMatcher{toks: toks}
	// classify simple shapes
	lits := func(ts []likeTok) ([]byte, bool) {
		var b []byte
		for _, t := range ts {
			if t.kind != 0 {
				return nil, false
			}
			b = utf8.AppendRune(b, t.r)
		}
		return b, true
	}
	n := len(toks)
	if b, ok := lits(toks); ok {
		m.kind, m.lit = 1, b
	} else if n == 1 && toks[0].kind == 2 {
		m.kind = 5
	} else if toks[n-1].kind == 2 {
		if b, ok := lits(toks[:n-1]); ok {
			m.kind, m.lit = 2, b
		} else if toks[0].kind == 2 {
			if b, ok := lits(toks[1 : n-1]); ok {
				m.kind, m.lit = 4, b
			}
		}
	} else if toks[0].kind == 2 {
		if b, ok := lits(toks[1:]); ok {
			m.kind, m.lit = 3, b
		}
	}
	return m, nil
}

func (m *likeMatcher) match(s []byte) bool {
	switch m.kind {
	case 1:
		return bytes.Equal(s, m.lit)
	case 2:
		return bytes.HasPrefix(s, m.lit)
	case 3:
		return bytes.HasSuffix(s, m.lit)
	case 4:
		return bytes.Contains(s, m.lit)
	case 5:
		return true
	}
	// general: iterative wildcard matching with backtracking to the last %.
	rs := []rune(string(s))
	ts := m.toks
	si, ti := 0, 0
	star, mark := -1, 0
	for si < len(rs) {
		if ti < len(ts) && (ts[ti].kind == 1 || (ts[ti].kind == 0 && ts[ti].r == rs[si])) {
			si++
			ti++
		} else if ti < len(ts) && ts[ti].kind == 2 {
			star, mark = ti, si
			ti++
		} else if star >= 0 {
			ti = star + 1
			mark++
			si = mark
		} else {
			return false
		}
	}
	for ti < len(ts) && ts[ti].kind == 2 {
		ti++
	}
	return ti == len(ts)
}

var (
	reMu    sync.Mutex
	reCache = map[string]*regexp.Regexp{}
)

// compileRegex compiles a POSIX-style pattern with Go's regexp (RE2
// syntax, which covers the common subset), caching compiled patterns.
func compileRegex(p string, ci bool) (*regexp.Regexp, error) {
	key := p
	if ci {
		key = "(?i)" + p
	}
	reMu.Lock()
	re, ok := reCache[key]
	reMu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(key)
	if err != nil {
		return nil, types.Errorf("2201B", "invalid regular expression: %v", err)
	}
	reMu.Lock()
	if len(reCache) > 1000 {
		reCache = map[string]*regexp.Regexp{}
	}
	reCache[key] = re
	reMu.Unlock()
	return re, nil
}
