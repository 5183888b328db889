package sqllogictest

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed skiplist.txt
var defaultSkipList string

// SkipList is the honest list of records whose expectation differs from
// PostgreSQL semantics. Each non-comment line of its file reads
//
//	<path-suffix>:<line> # reason
//
// and skips the record whose keyword line is <line> in every file whose
// slash-separated path ends with <path-suffix>.
type SkipList struct {
	byLine map[int][]SkipEntry
	n      int
}

// SkipEntry is one line of a skip list.
type SkipEntry struct {
	Suffix string
	Line   int
	Reason string
}

// ParseSkipList reads a skip list; name is used in error messages.
func ParseSkipList(r io.Reader, name string) (*SkipList, error) {
	sl := &SkipList{byLine: map[int][]SkipEntry{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		reason := ""
		if i := strings.Index(line, "#"); i >= 0 {
			reason = strings.TrimSpace(line[i+1:])
			line = strings.TrimSpace(line[:i])
		}
		i := strings.LastIndex(line, ":")
		if i <= 0 {
			return nil, fmt.Errorf("%s:%d: want <path-suffix>:<line> # reason", name, n)
		}
		ln, err := strconv.Atoi(strings.TrimSpace(line[i+1:]))
		if err != nil || ln <= 0 {
			return nil, fmt.Errorf("%s:%d: bad line number %q", name, n, line[i+1:])
		}
		e := SkipEntry{Suffix: filepath.ToSlash(strings.TrimSpace(line[:i])), Line: ln, Reason: reason}
		sl.byLine[ln] = append(sl.byLine[ln], e)
		sl.n++
	}
	return sl, sc.Err()
}

// LoadSkipList reads the skip list at path. "" means the list compiled into
// the package (sqllogictest/skiplist.txt); "none" means an empty list.
func LoadSkipList(path string) (*SkipList, error) {
	switch path {
	case "":
		return ParseSkipList(strings.NewReader(defaultSkipList), "skiplist.txt")
	case "none":
		return &SkipList{byLine: map[int][]SkipEntry{}}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseSkipList(f, path)
}

// Len is the number of entries.
func (s *SkipList) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Match reports whether the record at file:line is listed, with the reason.
func (s *SkipList) Match(file string, line int) (string, bool) {
	if s == nil {
		return "", false
	}
	es := s.byLine[line]
	if len(es) == 0 {
		return "", false
	}
	p := filepath.ToSlash(file)
	for _, e := range es {
		if p == e.Suffix || strings.HasSuffix(p, "/"+strings.TrimPrefix(e.Suffix, "/")) || (strings.HasPrefix(e.Suffix, "/") && strings.HasSuffix(p, e.Suffix)) {
			return e.Reason, true
		}
	}
	return "", false
}
