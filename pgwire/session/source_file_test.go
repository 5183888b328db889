package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func fileWith(path string, extra ...string) string {
	return fmt.Sprintf("WITH (connector = 'file', path = '%s', poll.interval = '50ms'%s)", path, strings.Join(extra, ""))
}

// TestFileSourceJSONDirectory reads a directory of JSON-lines files into a
// table and, through a source, into a view: a bad line goes to the
// dead-letter table, files matching match_pattern only, appended lines and
// new files are picked up.
func TestFileSourceJSONDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.json"), `{"id": 3, "name": "three"}`+"\n"+`{"id": 4, "name": `+"\n"+`{"id": 5, "name": "five"}`+"\n")
	writeFile(t, filepath.Join(dir, "a.json"), `{"id": 1, "name": "one"}`+"\n\n"+`{"id": 2, "name": "two"}`+"\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not json\n")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE ft (id INT NOT NULL, name TEXT) `+fileWith(dir, ", match_pattern = '*.json'")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE SOURCE fs (id INT, name TEXT) `+fileWith(dir, ", match_pattern = '*.json'")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW fv AS SELECT count(*) AS n, sum(id)::bigint AS s FROM fs`)
	waitRows(t, c, "SELECT id, name FROM ft ORDER BY id", "1 one", "2 two", "3 three", "5 five")
	waitRows(t, c, "SELECT n, s FROM fv", "4 11")
	waitRows(t, c, `SELECT source, split, "offset", payload FROM dead_letters ORDER BY source`,
		`fs b.json 2 {"id": 4, "name": `, `ft b.json 2 {"id": 4, "name": `)
	reasons := queryRowsText(t, c, `SELECT reason FROM dead_letters`)
	if len(reasons) != 2 || !strings.Contains(reasons[0], "JSON") {
		t.Errorf("reasons: %q", reasons)
	}
	// Appended lines and a new file; a NOT NULL violation is a dead letter
	// for the table only.
	appendFile(t, filepath.Join(dir, "a.json"), `{"id": 6, "name": "six"}`+"\n"+`{"name": "null id"}`+"\n")
	writeFile(t, filepath.Join(dir, "c.json"), `{"id": 7, "name": "seven"}`+"\n")
	writeFile(t, filepath.Join(dir, "d.txt"), `{"id": 100}`+"\n")
	waitRows(t, c, "SELECT count(*), sum(id)::bigint FROM ft", "6 24")
	waitRows(t, c, "SELECT n, s FROM fv", "7 24")
	waitRows(t, c, `SELECT source, split, "offset" FROM dead_letters WHERE reason LIKE '%not-null%'`, "ft a.json 5")
	mustExec(t, c, "DROP MATERIALIZED VIEW fv")
	mustExec(t, c, "DROP SOURCE fs")
	mustExec(t, c, "DROP TABLE ft")
}

// TestFileSourceCSV reads one CSV file with a header and a delimiter into
// a source and a view over it.
func TestFileSourceCSV(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prices.csv")
	writeFile(t, p, "price;item;ignored\n1.50;\"apple\";x\n2.25;\"pear;green\";y\nabc;bad;z\n4;\"two\nlines\";w\n")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE SOURCE prices (item TEXT, price NUMERIC) `+fileWith(p)+
		` FORMAT PLAIN ENCODE CSV (delimiter = ';', without_header = 'false')`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW pv AS SELECT item, price FROM prices`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW ps AS SELECT count(*) AS n, sum(price) AS total FROM prices`)
	waitRows(t, c, "SELECT item, price::text FROM pv ORDER BY price", "apple 1.50", "pear;green 2.25", "two\nlines 4")
	waitRows(t, c, "SELECT n, total::text FROM ps", "3 7.75")
	waitRows(t, c, `SELECT split, "offset", payload FROM dead_letters`, "prices.csv 4 abc;bad;z")
	appendFile(t, p, "0.25;plum;v\n")
	waitRows(t, c, "SELECT n, total::text FROM ps", "4 8.00")
	// Without a header the fields map by position.
	q := filepath.Join(dir, "plain.csv")
	writeFile(t, q, "1,a\n2,b\r\n")
	mustExec(t, c, `CREATE TABLE plain (id INT, s TEXT) `+fileWith(q)+` FORMAT PLAIN ENCODE CSV`)
	waitRows(t, c, "SELECT id, s FROM plain ORDER BY id", "1 a", "2 b")
}

// TestFileSourceRestart stops the engine while a large file is being read,
// adds lines and files while it is down, and checks that after the restart
// every line is in the table and the view exactly once.
func TestFileSourceRestart(t *testing.T) {
	in := t.TempDir()
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			if i%1000 == 0 {
				b.WriteString("garbage\n")
				continue
			}
			fmt.Fprintf(&b, `{"id": %d}`+"\n", i)
		}
		return b.String()
	}
	want := func(to int) string {
		n, s := 0, 0
		for i := 1; i <= to; i++ {
			if i%1000 != 0 {
				n++
				s += i
			}
		}
		return fmt.Sprintf("%d %d %d", n, s, n)
	}
	writeFile(t, filepath.Join(in, "01.json"), lines(1, 60000))
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE r (id BIGINT) `+fileWith(in)+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE SOURCE rs (id BIGINT) `+fileWith(in)+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW rv AS SELECT count(*) AS n, sum(id)::bigint AS s, count(DISTINCT id) AS d FROM rs`)
	// Stop as soon as some rows are in: the reader is in the middle of the file.
	var mid []string
	for {
		mid = queryRowsText(t, c, "SELECT count(*) FROM r")
		if mid[0] != "0" {
			break
		}
	}
	c.Close(context.Background())
	ts.stop()
	appendFile(t, filepath.Join(in, "01.json"), lines(60001, 61000))
	writeFile(t, filepath.Join(in, "02.json"), lines(61001, 62000))
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	writeFile(t, filepath.Join(in, "03.json"), lines(62001, 63500))
	waitRows(t, c, "SELECT count(*), sum(id)::bigint, count(DISTINCT id) FROM r", want(63500))
	waitRows(t, c, "SELECT n, s, d FROM rv", want(63500))
	t.Logf("stopped with %s rows in the table", mid[0])
	// 63 garbage lines per relation, each once.
	waitRows(t, c, `SELECT count(*), count(DISTINCT source || '/' || split || '/' || "offset") FROM dead_letters`, "126 126")
}

// TestFileSourceErrors checks the errors of bad definitions.
func TestFileSourceErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.json"), "{}\n")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	for _, x := range []struct{ q, code string }{
		{`CREATE SOURCE bad (id INT) WITH (connector = 'file') FORMAT PLAIN ENCODE JSON`, "42601"},
		{`CREATE TABLE bad (id INT) WITH (connector = 'file', path = '` + filepath.Join(dir, "nope") + `') FORMAT PLAIN ENCODE JSON`, "58P01"},
		{`CREATE SOURCE bad (id INT) ` + fileWith(dir) + ` FORMAT PLAIN ENCODE AVRO`, "0A000"},
		{`CREATE TABLE bad (id INT PRIMARY KEY) ` + fileWith(dir) + ` FORMAT UPSERT ENCODE JSON`, "0A000"},
		{`CREATE SOURCE bad (id INT) ` + fileWith(dir, ", match_pattern = '[x'") + ` FORMAT PLAIN ENCODE JSON`, "22023"},
		{`CREATE SOURCE bad (id INT) ` + fileWith(dir, ", topic = 'x'") + ` FORMAT PLAIN ENCODE JSON`, "22023"},
		{`CREATE SOURCE bad (id INT) ` + fileWith(dir, ", poll.interval = 'often'") + ` FORMAT PLAIN ENCODE JSON`, "22023"},
		{`CREATE SOURCE bad (id INT) ` + fileWith(dir) + ` FORMAT PLAIN ENCODE CSV (quote = '"')`, "22023"},
		{`CREATE SOURCE bad (id INT) INCLUDE offset ` + fileWith(dir) + ` FORMAT PLAIN ENCODE JSON`, "0A000"},
		{`CREATE SOURCE bad ` + fileWith(dir) + ` FORMAT PLAIN ENCODE JSON`, "42P16"},
	} {
		_, err := c.Exec(context.Background(), x.q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != x.code {
			t.Errorf("%s: got %v, want %s", x.q, err, x.code)
		}
	}
	if got := queryRowsText(t, c, "SELECT count(*) FROM pg_class WHERE relname = 'bad'"); got[0] != "0" {
		t.Errorf("a failed CREATE left a relation behind: %v", got)
	}
	// RisingWave's spelling works.
	mustExec(t, c, `CREATE TABLE ok (id INT) WITH (connector = 'posix_fs', posix_fs.root = '`+dir+`', match_pattern = '*.json') FORMAT PLAIN ENCODE JSON`)
	waitRows(t, c, "SELECT count(*), count(id) FROM ok", "1 0")
}
