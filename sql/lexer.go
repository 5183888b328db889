package sql

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// tokKind classifies lexer tokens.
type tokKind uint8

const (
	tkEOF    tokKind = iota
	tkWord           // identifier or keyword; Val is folded to lower case unless Quoted
	tkNumber         // numeric literal; Val is the raw text
	tkString         // string literal; Val is the decoded value
	tkParam          // $n; Val is n
	tkOp             // operator; Val is its text
	tkPunct          // ( ) [ ] , ; .
	tkRaw            // a literal passed through verbatim (X'..', B'..')
)

// token is one lexical token of the original text.
type token struct {
	Kind   tokKind
	Quoted bool   // a "quoted" identifier
	Val    string // see tokKind
	Pos    int    // byte offset in the original text
	End    int    // byte offset just past the token
}

// is reports whether t is the unquoted keyword kw (lower case).
func (t token) is(kw string) bool { return t.Kind == tkWord && !t.Quoted && t.Val == kw }

// isP reports whether t is the punctuation or operator p.
func (t token) isP(p string) bool { return (t.Kind == tkPunct || t.Kind == tkOp) && t.Val == p }

var multiOps = []string{
	"!~~*", "<=>", "->>", "#>>", "~~*", "!~~", "!~*", "||/", "|/",
	"::", "<=", ">=", "<>", "!=", "||", "->", "#>", "@>", "<@", "~~", "!~", "~*", "<<", ">>", "&&", "?|", "?&",
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// foldIdent folds an unquoted identifier to lower case as PostgreSQL does
// (ASCII letters only).
func foldIdent(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// syntaxErr builds a 42601 error at byte offset pos of text.
func syntaxErr(text string, pos int, format string, args ...any) *types.Error {
	e := types.Errorf(types.CodeSyntaxError, format, args...)
	if pos > len(text) {
		pos = len(text)
	}
	if pos < 0 {
		pos = 0
	}
	e.Position = utf8.RuneCountInString(text[:pos]) + 1
	return e
}

// lex tokenizes the whole text. Comments and whitespace are dropped. The
// final token is always tkEOF at len(text).
func lex(text string) ([]token, error) {
	toks := make([]token, 0, len(text)/4+2)
	i := 0
	n := len(text)
	for i < n {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && text[i+1] == '-':
			for i < n && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && text[i+1] == '*':
			start := i
			depth := 0
			for {
				if i+1 >= n {
					return nil, syntaxErr(text, start, "unterminated /* comment at or near \"%s\"", clip(text[start:]))
				}
				if text[i] == '/' && text[i+1] == '*' {
					depth++
					i += 2
				} else if text[i] == '*' && text[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'':
			s, end, err := lexQuoted(text, i, '\'')
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{Kind: tkString, Val: s, Pos: i, End: end})
			i = end
		case (c == 'e' || c == 'E') && i+1 < n && text[i+1] == '\'':
			s, end, err := lexEscape(text, i+1)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{Kind: tkString, Val: s, Pos: i, End: end})
			i = end
		case (c == 'n' || c == 'N') && i+1 < n && text[i+1] == '\'':
			s, end, err := lexQuoted(text, i+1, '\'')
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{Kind: tkString, Val: s, Pos: i, End: end})
			i = end
		case (c == 'x' || c == 'X' || c == 'b' || c == 'B') && i+1 < n && text[i+1] == '\'':
			_, end, err := lexQuoted(text, i+1, '\'')
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{Kind: tkRaw, Val: text[i:end], Pos: i, End: end})
			i = end
		case (c == 'u' || c == 'U') && i+2 < n && text[i+1] == '&' && text[i+2] == '\'':
			s, end, err := lexQuoted(text, i+2, '\'')
			if err != nil {
				return nil, err
			}
			s, ok := decodeUnicodeEsc(s)
			if !ok {
				return nil, syntaxErr(text, i, "invalid Unicode escape value at or near \"%s\"", clip(text[i:end]))
			}
			toks = append(toks, token{Kind: tkString, Val: s, Pos: i, End: end})
			i = end
		case c == '"':
			s, end, err := lexQuoted(text, i, '"')
			if err != nil {
				return nil, err
			}
			if s == "" {
				return nil, syntaxErr(text, i, "zero-length delimited identifier at or near \"\"\"\"")
			}
			toks = append(toks, token{Kind: tkWord, Quoted: true, Val: s, Pos: i, End: end})
			i = end
		case c == '$':
			j := i + 1
			if j < n && isDigit(text[j]) {
				for j < n && isDigit(text[j]) {
					j++
				}
				toks = append(toks, token{Kind: tkParam, Val: text[i+1 : j], Pos: i, End: j})
				i = j
				continue
			}
			for j < n && (isIdentChar(text[j]) && text[j] != '$') {
				j++
			}
			if j < n && text[j] == '$' {
				tag := text[i : j+1]
				body := j + 1
				k := strings.Index(text[body:], tag)
				if k < 0 {
					return nil, syntaxErr(text, i, "unterminated dollar-quoted string at or near \"%s\"", clip(text[i:]))
				}
				toks = append(toks, token{Kind: tkString, Val: text[body : body+k], Pos: i, End: body + k + len(tag)})
				i = body + k + len(tag)
				continue
			}
			return nil, syntaxErr(text, i, "syntax error at or near \"$\"")
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentChar(text[j]) {
				j++
			}
			toks = append(toks, token{Kind: tkWord, Val: foldIdent(text[i:j]), Pos: i, End: j})
			i = j
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(text[i+1])):
			j := i
			for j < n && isDigit(text[j]) {
				j++
			}
			if j < n && text[j] == '.' && !(j+1 < n && text[j+1] == '.') {
				j++
				for j < n && isDigit(text[j]) {
					j++
				}
			}
			if j < n && (text[j] == 'e' || text[j] == 'E') {
				k := j + 1
				if k < n && (text[k] == '+' || text[k] == '-') {
					k++
				}
				if k < n && isDigit(text[k]) {
					for k < n && isDigit(text[k]) {
						k++
					}
					j = k
				}
			}
			if j < n && isIdentStart(text[j]) {
				// PostgreSQL rejects junk after numeric literals ("123abc").
				k := j
				for k < n && isIdentChar(text[k]) {
					k++
				}
				return nil, syntaxErr(text, i, "trailing junk after numeric literal at or near \"%s\"", text[i:k])
			}
			toks = append(toks, token{Kind: tkNumber, Val: text[i:j], Pos: i, End: j})
			i = j
		case c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == ';' || c == '.':
			toks = append(toks, token{Kind: tkPunct, Val: text[i : i+1], Pos: i, End: i + 1})
			i++
		default:
			op := ""
			for _, m := range multiOps {
				if strings.HasPrefix(text[i:], m) {
					op = m
					break
				}
			}
			if op == "" {
				if strings.IndexByte("+-*/<>=~!@#%^&|`?:", c) < 0 {
					_, size := utf8.DecodeRuneInString(text[i:])
					return nil, syntaxErr(text, i, "syntax error at or near \"%s\"", text[i:i+size])
				}
				op = text[i : i+1]
			}
			toks = append(toks, token{Kind: tkOp, Val: op, Pos: i, End: i + len(op)})
			i += len(op)
		}
	}
	toks = append(toks, token{Kind: tkEOF, Pos: n, End: n})
	return toks, nil
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// lexQuoted reads a quote-delimited string starting at text[i]==q, with the
// quote doubled inside. It returns the decoded value and the end offset.
func lexQuoted(text string, i int, q byte) (string, int, error) {
	var b strings.Builder
	j := i + 1
	start := j
	for {
		k := strings.IndexByte(text[j:], q)
		if k < 0 {
			if q == '"' {
				return "", 0, syntaxErr(text, i, "unterminated quoted identifier at or near \"%s\"", clip(text[i:]))
			}
			return "", 0, syntaxErr(text, i, "unterminated quoted string at or near \"%s\"", clip(text[i:]))
		}
		j += k
		if j+1 < len(text) && text[j+1] == q {
			b.WriteString(text[start : j+1])
			j += 2
			start = j
			continue
		}
		if b.Len() == 0 {
			return text[start:j], j + 1, nil
		}
		b.WriteString(text[start:j])
		return b.String(), j + 1, nil
	}
}

// lexEscape reads an E'...' string whose opening quote is at text[i].
func lexEscape(text string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(text) {
		c := text[j]
		switch {
		case c == '\'':
			if j+1 < len(text) && text[j+1] == '\'' {
				b.WriteByte('\'')
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		case c == '\\' && j+1 < len(text):
			d := text[j+1]
			j += 2
			switch d {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'x':
				k := j
				for k < len(text) && k < j+2 && isHex(text[k]) {
					k++
				}
				if k == j {
					b.WriteByte('x')
					continue
				}
				v, _ := strconv.ParseUint(text[j:k], 16, 8)
				b.WriteByte(byte(v))
				j = k
			case 'u', 'U':
				w := 4
				if d == 'U' {
					w = 8
				}
				if j+w > len(text) {
					return "", 0, syntaxErr(text, j-2, "invalid Unicode escape at or near \"%s\"", clip(text[j-2:]))
				}
				v, err := strconv.ParseUint(text[j:j+w], 16, 32)
				if err != nil || !utf8.ValidRune(rune(v)) {
					return "", 0, syntaxErr(text, j-2, "invalid Unicode escape at or near \"%s\"", clip(text[j-2:]))
				}
				b.WriteRune(rune(v))
				j += w
			default:
				if d >= '0' && d <= '7' {
					k := j - 1
					for k < len(text) && k < j+2 && text[k] >= '0' && text[k] <= '7' {
						k++
					}
					v, _ := strconv.ParseUint(text[j-1:k], 8, 16)
					b.WriteByte(byte(v))
					j = k
				} else {
					b.WriteByte(d)
				}
			}
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, syntaxErr(text, i-1, "unterminated quoted string at or near \"%s\"", clip(text[i-1:]))
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// decodeUnicodeEsc decodes the \XXXX and \+XXXXXX escapes of U&” strings.
func decodeUnicodeEsc(s string) (string, bool) {
	if !strings.Contains(s, "\\") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		w, k := 4, i+1
		if k < len(s) && s[k] == '+' {
			w, k = 6, k+1
		}
		if k+w > len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[k:k+w], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			return "", false
		}
		b.WriteRune(rune(v))
		i = k + w - 1
	}
	return b.String(), true
}

// Split splits text into statements on top-level semicolons, respecting
// quoted strings and identifiers, dollar quoting, E” strings and comments.
// Each statement is returned trimmed and without its semicolon; empty
// statements are dropped.
func Split(text string) ([]string, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range splitRanges(toks) {
		out = append(out, text[toks[r[0]].Pos:toks[r[1]-1].End])
	}
	return out, nil
}

// splitRanges returns [start, end) token index ranges of the non-empty
// statements in toks (which ends with tkEOF).
func splitRanges(toks []token) [][2]int {
	var out [][2]int
	start := 0
	for i, t := range toks {
		if t.Kind == tkEOF || t.isP(";") {
			if i > start {
				out = append(out, [2]int{start, i})
			}
			start = i + 1
		}
	}
	return out
}
