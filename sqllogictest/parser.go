package sqllogictest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind identifies what a Record does.
type Kind int

// The record kinds of the sqllogictest format.
const (
	KindStatement     Kind = iota // statement ok|error|count
	KindQuery                     // query <types> ... or query error
	KindHashThreshold             // hash-threshold N
	KindHalt                      // halt
	KindSortMode                  // control sortmode <mode>
	KindSleep                     // sleep <duration>
	KindUnknown                   // a line the parser did not understand; the runner fails it
)

// String returns the keyword-like name of the kind.
func (k Kind) String() string {
	switch k {
	case KindStatement:
		return "statement"
	case KindQuery:
		return "query"
	case KindHashThreshold:
		return "hash-threshold"
	case KindHalt:
		return "halt"
	case KindSortMode:
		return "control sortmode"
	case KindSleep:
		return "sleep"
	}
	return "unknown"
}

// SortMode says how query results are ordered before they are compared.
type SortMode int

// The sort modes. SortDefault means "whatever control sortmode said last"
// (nosort when it was never said).
const (
	SortDefault SortMode = iota
	NoSort
	RowSort
	ValueSort
)

// String returns the keyword of the sort mode.
func (m SortMode) String() string {
	switch m {
	case NoSort:
		return "nosort"
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	}
	return "default"
}

func parseSortMode(s string) (SortMode, bool) {
	switch s {
	case "nosort":
		return NoSort, true
	case "rowsort":
		return RowSort, true
	case "valuesort":
		return ValueSort, true
	}
	return SortDefault, false
}

// Condition is one skipif/onlyif line attached to the record after it.
type Condition struct {
	OnlyIf bool   // true for onlyif, false for skipif
	Engine string // the engine label, e.g. "postgresql", "mysql", "sqlite"
}

// Record is one parsed entry of a test file. Included files are expanded
// in place, so File and Line name the file the record really comes from.
type Record struct {
	Kind       Kind
	File       string // the file the record was read from
	Line       int    // 1-based line of the record's keyword (statement, query, ...)
	Conditions []Condition
	Connection string // "connection NAME" before the record; "" is the default session

	SQL string // statement or query text (without a trailing newline)

	// Statement and query errors.
	ExpectError  bool
	ErrorPattern string // regexp after "statement error" / "query error", or the "----" text
	// ExpectCount is the N of "statement count N", or -1.
	ExpectCount int64

	// Queries.
	Types      string   // column types, e.g. "IIT"
	Sort       SortMode // explicit sort mode, or SortDefault
	Label      string   // optional label whose results must agree
	HasResults bool     // a "----" line was present
	Expected   []string // the lines after "----"

	Retry   int           // "retry N backoff D": N extra attempts
	Backoff time.Duration // the D of retry

	Threshold int           // hash-threshold N
	Duration  time.Duration // sleep D
	Text      string        // the raw header line (for KindUnknown and messages)
}

// ParseError is a problem found while reading a test file.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseFile reads and parses a test file, expanding include records
// (globs relative to the including file's directory) in place.
func ParseFile(path string) ([]Record, error) {
	return parseFile(path, 0)
}

func parseFile(path string, depth int) ([]Record, error) {
	if depth > 16 {
		return nil, &ParseError{File: path, Msg: "include nesting too deep"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f, path, func(glob string, line int) ([]Record, error) {
		pat := glob
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(filepath.Dir(path), pat)
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, &ParseError{File: path, Line: line, Msg: "bad include glob: " + err.Error()}
		}
		if len(matches) == 0 {
			return nil, &ParseError{File: path, Line: line, Msg: "include matches no file: " + glob}
		}
		sort.Strings(matches)
		var out []Record
		for _, m := range matches {
			recs, err := parseFile(m, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
		return out, nil
	})
}

// Parse parses test-file text read from r; name is used in records and
// errors. include records are resolved relative to name's directory.
func Parse(r io.Reader, name string) ([]Record, error) {
	return parse(r, name, func(glob string, line int) ([]Record, error) {
		pat := glob
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(filepath.Dir(name), pat)
		}
		matches, err := filepath.Glob(pat)
		if err != nil || len(matches) == 0 {
			return nil, &ParseError{File: name, Line: line, Msg: "include matches no file: " + glob}
		}
		sort.Strings(matches)
		var out []Record
		for _, m := range matches {
			recs, err := parseFile(m, 1)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
		return out, nil
	})
}

type lineReader struct {
	sc     *bufio.Scanner
	lineNo int
	peeked bool
	cur    string
}

func (lr *lineReader) next() (string, bool) {
	if lr.peeked {
		lr.peeked = false
		return lr.cur, true
	}
	if !lr.sc.Scan() {
		return "", false
	}
	lr.lineNo++
	lr.cur = strings.TrimRight(lr.sc.Text(), "\r")
	return lr.cur, true
}

// stripComment removes a trailing " # comment" from a header line.
func stripComment(s string) string {
	if i := strings.Index(s, "#"); i >= 0 {
		return s[:i]
	}
	return s
}

// parseRetry removes a trailing "retry N backoff D" from fields.
func parseRetry(fields []string) ([]string, int, time.Duration, error) {
	for i, f := range fields {
		if f != "retry" || i+1 >= len(fields) {
			continue
		}
		n, err := strconv.Atoi(fields[i+1])
		if err != nil {
			return fields, 0, 0, fmt.Errorf("bad retry count %q", fields[i+1])
		}
		var d time.Duration
		rest := fields[i+2:]
		if len(rest) >= 2 && rest[0] == "backoff" {
			d, err = time.ParseDuration(rest[1])
			if err != nil {
				return fields, 0, 0, fmt.Errorf("bad backoff %q", rest[1])
			}
		}
		return fields[:i], n, d, nil
	}
	return fields, 0, 0, nil
}

func parse(r io.Reader, name string, include func(glob string, line int) ([]Record, error)) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	lr := &lineReader{sc: sc}
	var (
		out      []Record
		conds    []Condition
		conn     string
		retryN   int
		retryD   time.Duration
		parseErr = func(line int, format string, args ...any) error {
			return &ParseError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
		}
	)
	// readBlock reads lines up to a blank line (or EOF). When stopAtDashes,
	// it also stops at "----" and reports that it did.
	readBlock := func(stopAtDashes bool) (lines []string, dashes bool) {
		for {
			l, ok := lr.next()
			if !ok || strings.TrimSpace(l) == "" {
				return lines, false
			}
			if stopAtDashes && strings.TrimRight(l, " \t") == "----" {
				return lines, true
			}
			lines = append(lines, l)
		}
	}
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		lineNo := lr.lineNo
		fields := strings.Fields(stripComment(trimmed))
		if len(fields) == 0 {
			continue
		}
		rec := Record{File: name, Line: lineNo, ExpectCount: -1, Text: trimmed}
		attach := func() {
			rec.Conditions = conds
			rec.Connection = conn
			if rec.Retry == 0 && retryN > 0 {
				rec.Retry, rec.Backoff = retryN, retryD
			}
			conds, conn, retryN, retryD = nil, "", 0, 0
			out = append(out, rec)
		}
		switch fields[0] {
		case "skipif", "onlyif":
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "%s needs an engine name", fields[0])
			}
			conds = append(conds, Condition{OnlyIf: fields[0] == "onlyif", Engine: fields[1]})
		case "connection":
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "connection needs a name")
			}
			conn = fields[1]
		case "retry":
			_, n, d, err := parseRetry(fields)
			if err != nil {
				return nil, parseErr(lineNo, "%v", err)
			}
			retryN, retryD = n, d
		case "statement":
			rec.Kind = KindStatement
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "statement needs ok, error or count")
			}
			switch fields[1] {
			case "ok":
				f, n, d, err := parseRetry(fields)
				if err != nil {
					return nil, parseErr(lineNo, "%v", err)
				}
				_ = f
				rec.Retry, rec.Backoff = n, d
			case "error":
				// The pattern is the raw rest of the line (it may contain '#').
				rest := strings.TrimSpace(strings.TrimPrefix(trimmed, "statement"))
				rec.ExpectError = true
				rec.ErrorPattern = strings.TrimSpace(strings.TrimPrefix(rest, "error"))
			case "count":
				if len(fields) < 3 {
					return nil, parseErr(lineNo, "statement count needs a number")
				}
				n, err := strconv.ParseInt(fields[2], 10, 64)
				if err != nil {
					return nil, parseErr(lineNo, "bad statement count %q", fields[2])
				}
				rec.ExpectCount = n
			default:
				return nil, parseErr(lineNo, "unknown statement kind %q", fields[1])
			}
			sqlLines, dashes := readBlock(true)
			rec.SQL = strings.Join(sqlLines, "\n")
			if dashes {
				exp, _ := readBlock(false)
				if rec.ExpectError && len(exp) > 0 {
					rec.ErrorPattern = strings.TrimSpace(strings.Join(exp, "\n"))
				}
			}
			attach()
		case "query":
			rec.Kind = KindQuery
			f, n, d, err := parseRetry(fields)
			if err != nil {
				return nil, parseErr(lineNo, "%v", err)
			}
			rec.Retry, rec.Backoff = n, d
			if len(f) >= 2 && f[1] == "error" {
				rec.ExpectError = true
				rest := strings.TrimSpace(strings.TrimPrefix(trimmed, "query"))
				rec.ErrorPattern = strings.TrimSpace(strings.TrimPrefix(rest, "error"))
			} else {
				if len(f) >= 2 {
					rec.Types = f[1]
				}
				rest := f[min(2, len(f)):]
				if len(rest) > 0 {
					if m, ok := parseSortMode(rest[0]); ok {
						rec.Sort = m
						rest = rest[1:]
					}
				}
				if len(rest) > 0 {
					rec.Label = rest[0]
				}
			}
			sqlLines, dashes := readBlock(true)
			rec.SQL = strings.Join(sqlLines, "\n")
			if dashes {
				rec.HasResults = true
				exp, _ := readBlock(false)
				if rec.ExpectError {
					if len(exp) > 0 {
						rec.ErrorPattern = strings.TrimSpace(strings.Join(exp, "\n"))
					}
				} else {
					rec.Expected = exp
				}
			}
			attach()
		case "hash-threshold":
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "hash-threshold needs a number")
			}
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				return nil, parseErr(lineNo, "bad hash-threshold %q", fields[1])
			}
			rec.Kind, rec.Threshold = KindHashThreshold, n
			attach()
		case "halt":
			rec.Kind = KindHalt
			attach()
		case "control":
			if len(fields) >= 3 && fields[1] == "sortmode" {
				m, ok := parseSortMode(fields[2])
				if !ok {
					return nil, parseErr(lineNo, "unknown sort mode %q", fields[2])
				}
				rec.Kind, rec.Sort = KindSortMode, m
				attach()
			}
			// other control records (e.g. substitution) are ignored
		case "sleep":
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "sleep needs a duration")
			}
			d, err := time.ParseDuration(fields[1])
			if err != nil {
				return nil, parseErr(lineNo, "bad sleep duration %q", fields[1])
			}
			rec.Kind, rec.Duration = KindSleep, d
			attach()
		case "include":
			if len(fields) < 2 {
				return nil, parseErr(lineNo, "include needs a file or glob")
			}
			recs, err := include(fields[1], lineNo)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
			conds, conn = nil, ""
		default:
			rec.Kind = KindUnknown
			readBlock(false)
			attach()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: name, Line: lr.lineNo, Msg: err.Error()}
	}
	return out, nil
}
