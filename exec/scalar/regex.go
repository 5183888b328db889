package scalar

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// PostgreSQL's regular expression functions over Go's regexp (RE2). RE2
// covers the common subset of PostgreSQL's ARE syntax; back references and
// lookaround are rejected as invalid patterns (2201B).
//
// There are no array values: regexp_match(s, p) and friends exist only
// subscripted, as (regexp_match(s, p))[n]. The binder turns that into a
// call of the internal function "regexp_match[]"(s, p, n) (or with flags,
// "regexp_match[]"(s, p, flags, n)), whose name users cannot spell; see
// SubscriptedArrayFuncs.

// SubscriptedArrayFuncs maps the array-returning functions that may be
// used subscripted, (f(args))[n], to the internal function computing the
// n-th element directly.
var SubscriptedArrayFuncs = map[string]string{
	"regexp_match":          "regexp_match[]",
	"regexp_split_to_array": "regexp_split_to_array[]",
	"string_to_array":       "string_to_array[]",
}

// reOpts are the options of a flags argument.
type reOpts struct {
	ci, newline, literal, global bool
}

func parseREFlags(fn string, flags []byte, allowGlobal bool) (reOpts, error) {
	var o reOpts
	for _, f := range string(flags) {
		switch f {
		case 'i':
			o.ci = true
		case 'c':
			o.ci = false
		case 'n', 'm':
			o.newline = true
		case 's':
			o.newline = false
		case 'q':
			o.literal = true
		case 'g':
			if !allowGlobal {
				e := types.Errorf(types.CodeInvalidParameterValue, "%s() does not support the \"global\" option", fn)
				e.Hint = "Use the regexp_matches function instead."
				return o, e
			}
			o.global = true
		case 'x':
			return o, types.Errorf(types.CodeFeatureNotSupported, "the expanded regular expression option \"x\" is not supported")
		default:
			return o, types.Errorf(types.CodeInvalidParameterValue, "invalid regular expression option: \"%c\"", f)
		}
	}
	return o, nil
}

// compileRE compiles pattern p with options o (through compileRegex's
// cache). As in PostgreSQL, newlines are ordinary characters unless the
// 'n' option makes the match newline-sensitive.
func compileRE(p []byte, o reOpts) (*regexp.Regexp, error) {
	s := string(p)
	if o.literal {
		s = regexp.QuoteMeta(s)
	}
	if o.newline {
		s = "(?m)" + s
	} else {
		s = "(?s)" + s
	}
	return compileRegex(s, o.ci)
}

// reKernelCache remembers the last pattern and flags a kernel compiled, so a
// constant pattern is compiled (or looked up) once per chunk.
type reKernelCache struct {
	pat, flags []byte
	valid      bool
	re         *regexp.Regexp
	opts       reOpts
	// lit is a string every match contains (nil if none is known): a
	// text without it cannot match, which bytes.Contains tells much faster
	// than the regexp engine, which tries every start position.
	lit []byte
}

// mayMatch reports whether s can match the cached pattern.
func (c *reKernelCache) mayMatch(s []byte) bool {
	return c.lit == nil || bytes.Contains(s, c.lit)
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of the parsed pattern contains, or nil.
func requiredLiteral(re *syntax.Regexp) []byte {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []byte(string(re.Rune))
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0])
	case syntax.OpConcat:
		var best []byte
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return nil
}

func (c *reKernelCache) get(fn string, p, flags []byte, allowGlobal bool) (*regexp.Regexp, reOpts, error) {
	if c.valid && bytes.Equal(p, c.pat) && bytes.Equal(flags, c.flags) {
		return c.re, c.opts, nil
	}
	o, err := parseREFlags(fn, flags, allowGlobal)
	if err != nil {
		return nil, o, err
	}
	re, err := compileRE(p, o)
	if err != nil {
		return nil, o, err
	}
	c.pat, c.flags, c.valid, c.re, c.opts = append(c.pat[:0], p...), append(c.flags[:0], flags...), true, re, o
	c.lit = nil
	if t, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		if l := requiredLiteral(t.Simplify()); len(l) > 0 {
			c.lit = l
		}
	}
	return re, o, nil
}

// translateReplacement turns a PostgreSQL replacement string (\1..\9 for
// groups, \& for the whole match, \\ for a backslash) into a template for
// regexp.Expand.
func translateReplacement(r []byte) []byte {
	out := make([]byte, 0, len(r)+8)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			out = append(out, '$', '$')
		case c == '\\' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			out = append(out, "${"...)
			out = append(out, r[i+1])
			out = append(out, '}')
			i++
		case c == '\\' && i+1 < len(r) && r[i+1] == '&':
			out = append(out, "${0}"...)
			i++
		case c == '\\' && i+1 < len(r) && r[i+1] == '\\':
			out = append(out, '\\')
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

func init() {
	tT, tI4, tB := types.TText, types.TInt4, types.TBool

	// (regexp_match(s, p [, flags]))[n]: the n-th capture group (the whole
	// match when p has no groups), NULL without a match or when the group
	// did not take part in it.
	matchElem := func(withFlags bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var cache reKernelCache
			nIdx := 2
			if withFlags {
				nIdx = 3
			}
			arena := make([]byte, 0, 256)
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				var flags []byte
				if withFlags {
					flags = args[2].Bytes[r]
				}
				re, _, err := cache.get("regexp_match", args[1].Bytes[r], flags, false)
				if err != nil {
					return err
				}
				el := args[nIdx].Int[r]
				groups := re.NumSubexp()
				if groups == 0 {
					groups = 1
				}
				if el < 1 || el > int64(groups) {
					out.Nulls.SetNull(r)
					continue
				}
				s := args[0].Bytes[r]
				var m []int
				if cache.mayMatch(s) {
					m = re.FindSubmatchIndex(s)
				}
				if m == nil {
					out.Nulls.SetNull(r)
					continue
				}
				g := int(el)
				if re.NumSubexp() == 0 {
					g = 0
				}
				if m[2*g] < 0 {
					out.Nulls.SetNull(r)
					continue
				}
				st := len(arena)
				arena = append(arena, s[m[2*g]:m[2*g+1]]...)
				out.Bytes[r] = arena[st:len(arena):len(arena)]
			}
			return nil
		}
	}
	reg("regexp_match[]", sig(tT, tT, tI4), tT, matchElem(false))
	reg("regexp_match[]", sig(tT, tT, tT, tI4), tT, matchElem(true))

	// (regexp_split_to_array(s, p [, flags]))[n]
	splitElem := func(withFlags bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var cache reKernelCache
			nIdx := 2
			if withFlags {
				nIdx = 3
			}
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				var flags []byte
				if withFlags {
					flags = args[2].Bytes[r]
				}
				re, _, err := cache.get("regexp_split_to_array", args[1].Bytes[r], flags, false)
				if err != nil {
					return err
				}
				el, ok := regexpSplitElem(re, args[0].Bytes[r], args[nIdx].Int[r])
				if !ok {
					out.Nulls.SetNull(r)
					continue
				}
				out.Bytes[r] = el
			}
			return nil
		}
	}
	reg("regexp_split_to_array[]", sig(tT, tT, tI4), tT, splitElem(false))
	reg("regexp_split_to_array[]", sig(tT, tT, tT, tI4), tT, splitElem(true))

	// (string_to_array(s, delim))[n]; a NULL delimiter splits into
	// characters, an empty one gives the whole string, an empty s no
	// elements.
	Register(&Overload{Name: "string_to_array[]", Args: sig(tT, tT, tI4), Ret: tT, NullCall: true,
		Fn: func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				if args[0].Nulls.IsNull(r) || args[2].Nulls.IsNull(r) {
					out.Nulls.SetNull(r)
					continue
				}
				s, el := args[0].Bytes[r], args[2].Int[r]
				var parts [][]byte
				switch {
				case len(s) == 0:
				case args[1].Nulls.IsNull(r):
					for i := 0; i < len(s); {
						_, w := utf8.DecodeRune(s[i:])
						parts = append(parts, s[i:i+w])
						i += w
					}
				case len(args[1].Bytes[r]) == 0:
					parts = [][]byte{s}
				default:
					parts = bytes.Split(s, args[1].Bytes[r])
				}
				if el < 1 || el > int64(len(parts)) {
					out.Nulls.SetNull(r)
					continue
				}
				out.Bytes[r] = parts[el-1]
			}
			return nil
		}})

	// regexp_replace(s, p, r [, flags]): the first match replaced, or
	// every match with the 'g' flag.
	replace := func(withFlags bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var cache reKernelCache
			var lastRepl, tmpl []byte
			arena := make([]byte, 0, 256)
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				var flags []byte
				if withFlags {
					flags = args[3].Bytes[r]
				}
				re, o, err := cache.get("regexp_replace", args[1].Bytes[r], flags, true)
				if err != nil {
					return err
				}
				if repl := args[2].Bytes[r]; tmpl == nil || !bytes.Equal(repl, lastRepl) {
					lastRepl = append(lastRepl[:0], repl...)
					tmpl = translateReplacement(repl)
				}
				s := args[0].Bytes[r]
				st := len(arena)
				if o.global {
					arena = append(arena, re.ReplaceAll(s, tmpl)...)
				} else if m := re.FindSubmatchIndex(s); m == nil {
					arena = append(arena, s...)
				} else {
					arena = append(arena, s[:m[0]]...)
					arena = re.Expand(arena, tmpl, s, m)
					arena = append(arena, s[m[1]:]...)
				}
				out.Bytes[r] = arena[st:len(arena):len(arena)]
			}
			return nil
		}
	}
	reg("regexp_replace", sig(tT, tT, tT), tT, replace(false))
	reg("regexp_replace", sig(tT, tT, tT, tT), tT, replace(true))

	like := func(withFlags bool) KernelFn {
		return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			var cache reKernelCache
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				var flags []byte
				if withFlags {
					flags = args[2].Bytes[r]
				}
				re, _, err := cache.get("regexp_like", args[1].Bytes[r], flags, false)
				if err != nil {
					return err
				}
				out.Bool[r] = cache.mayMatch(args[0].Bytes[r]) && re.Match(args[0].Bytes[r])
			}
			return nil
		}
	}
	reg("regexp_like", sig(tT, tT), tB, like(false))
	reg("regexp_like", sig(tT, tT, tT), tB, like(true))
}

// regexpSplitElem returns element n (1-based) of regexp_split_to_array(s,
// re): PostgreSQL ignores zero-length matches at the start and end of the
// string and right after a previous match.
func regexpSplitElem(re *regexp.Regexp, s []byte, n int64) ([]byte, bool) {
	if n < 1 {
		return nil, false
	}
	start, pos := 0, 0
	var el int64
	for pos <= len(s) {
		m := re.FindIndex(s[pos:])
		if m == nil {
			break
		}
		ms, me := pos+m[0], pos+m[1]
		if ms == me && (ms == 0 || ms >= len(s) || ms == start) {
			// a zero-length match where PostgreSQL does not split
			if ms >= len(s) {
				break
			}
			pos = ms + 1
			continue
		}
		el++
		if el == n {
			return s[start:ms], true
		}
		start = me
		pos = me
		if ms == me {
			pos = me + 1
		}
	}
	el++
	if el == n {
		return s[start:], true
	}
	return nil, false
}
