package sql

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sltStatements extracts the SQL of `statement ok` and `query` records of a
// sqllogictest file, skipping records guarded by onlyif for other engines.
func sltStatements(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []string
	skip := false
	var cur []string
	in := false
	flush := func() {
		if in && !skip && len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur, in, skip = nil, false, false
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case in:
			if line == "----" {
				flush()
				continue
			}
			cur = append(cur, line)
		case strings.HasPrefix(line, "onlyif "):
			db := strings.TrimSpace(strings.TrimPrefix(line, "onlyif "))
			if db != "postgresql" && db != "streamsql" {
				skip = true
			}
		case strings.HasPrefix(line, "skipif postgresql"):
			skip = true
		case strings.HasPrefix(line, "statement ok") || strings.HasPrefix(line, "query "):
			in = true
		case strings.HasPrefix(line, "statement error"):
			skip = true
			in = true
		}
	}
	flush()
	return out
}

// TestSqliteLogicTests parses every statement of the sqlite sqllogictest
// files select1.test and evidence/*.test.
func TestSqliteLogicTests(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "sqllogictest", "sqlite")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("sqllogictest corpus not present")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "evidence", "*.test"))
	files = append([]string{filepath.Join(dir, "select1.test")}, files...)
	total, failed := 0, 0
	for _, file := range files {
		for _, stmt := range sltStatements(t, file) {
			if sqliteOnly(stmt) {
				continue
			}
			total++
			if _, err := Parse(stmt); err != nil {
				failed++
				if failed <= 40 {
					t.Errorf("%s: %q: %v", filepath.Base(file), stmt, err)
				}
			}
		}
	}
	t.Logf("%d statements, %d failed", total, failed)
}

// sqliteOnly reports statements that are not PostgreSQL SQL at all.
func sqliteOnly(stmt string) bool {
	u := strings.ToUpper(stmt)
	for _, p := range []string{"IN ()", "TOTAL(", "INDEXED", " NOT NULL ORDER", "TRIGGER", "REINDEX", "INSERT OR ", "REPLACE INTO"} {
		if strings.Contains(u, p) {
			return true
		}
	}
	return false
}
