package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestReader(o Options, start map[string]Position) (*Reader, *clock) {
	r := NewReader(o, start)
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r.now = c.now
	return r, c
}

// readAll reads everything available now, as "file:line:data[|header]".
func readAll(t *testing.T, r *Reader) []string {
	t.Helper()
	var out []string
	for {
		n, err := r.Read(2, func(rec *Record) {
			s := fmt.Sprintf("%s:%d:%s", rec.File, rec.Line, rec.Data)
			if rec.Header != nil {
				s += "|" + string(rec.Header)
			}
			if rec.Err != nil {
				s += "!" + rec.Err.Error()
			}
			out = append(out, s)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestDirectoryLinesResumeAndAppend(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.json"), "b1\n\n  \nb2\r\n")
	write(t, filepath.Join(dir, "a.json"), "a1\na2\n")
	write(t, filepath.Join(dir, ".tmp.json"), "hidden\n")
	write(t, filepath.Join(dir, "c.txt"), "other\n")
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Path: dir, Pattern: "*.json"}
	r, clk := newTestReader(o, nil)
	got := readAll(t, r)
	want := []string{"a.json:1:a1", "a.json:2:a2", "b.json:1:b1", "b.json:4:b2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	pos := r.Positions()
	if pos["a.json"] != (Position{6, 2}) || pos["b.json"] != (Position{11, 4}) || len(pos) != 2 {
		t.Fatalf("positions %v", pos)
	}
	if p := r.Positions(); p != nil {
		t.Fatalf("positions again: %v", p)
	}
	// A new file and an appended line show up after the next listing.
	appendTo(t, filepath.Join(dir, "a.json"), "a3\n")
	write(t, filepath.Join(dir, "a0.json"), "z\n")
	if got := readAll(t, r); len(got) != 0 {
		t.Fatalf("read before the poll interval: %q", got)
	}
	clk.t = clk.t.Add(DefaultPoll)
	got = readAll(t, r)
	want = []string{"a.json:3:a3", "a0.json:1:z"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after append: got %q, want %q", got, want)
	}
	// A reader started from the positions reads nothing twice.
	all := map[string]Position{"a.json": {9, 3}, "b.json": {11, 4}}
	for k, v := range r.Positions() {
		all[k] = v
	}
	r.Close()
	r2, _ := newTestReader(o, all)
	defer r2.Close()
	if got := readAll(t, r2); len(got) != 0 {
		t.Fatalf("resumed reader read again: %q", got)
	}
	appendTo(t, filepath.Join(dir, "b.json"), "b3\n")
	r3, _ := newTestReader(o, map[string]Position{"a.json": {3, 1}})
	defer r3.Close()
	got = readAll(t, r3)
	want = []string{"a.json:2:a2", "a.json:3:a3", "a0.json:1:z", "b.json:1:b1", "b.json:4:b2", "b.json:5:b3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed mid-file: got %q, want %q", got, want)
	}
}

func TestCSVRecordsAndHeader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	write(t, p, "id,note\n1,\"two\nlines\"\n2,\"a \"\"q\"\"\"\n")
	o := Options{Path: p, CSV: true, Header: true}
	r, _ := newTestReader(o, nil)
	got := readAll(t, r)
	want := []string{"x.csv:2:1,\"two\nlines\"|id,note", "x.csv:4:2,\"a \"\"q\"\"\"|id,note"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	pos := r.Positions()["x.csv"]
	r.Close()
	// Resumed after the first record: the header is read again.
	appendTo(t, p, "3,c\n")
	r2, _ := newTestReader(o, map[string]Position{"x.csv": {Offset: 22, Line: 3}})
	defer r2.Close()
	got = readAll(t, r2)
	want = []string{"x.csv:4:2,\"a \"\"q\"\"\"|id,note", "x.csv:5:3,c|id,note"}
	if !reflect.DeepEqual(got, want) || pos.Line != 4 {
		t.Fatalf("resumed: got %q, want %q (pos %v)", got, want, pos)
	}
}

func TestUnterminatedTailAndTruncation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.json")
	write(t, p, "one\ntw")
	r, clk := newTestReader(Options{Path: dir}, nil)
	defer r.Close()
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"t.json:1:one"}) {
		t.Fatalf("got %q", got)
	}
	// The writer finishes the line: it is read whole.
	appendTo(t, p, "o\nthr")
	clk.t = clk.t.Add(DefaultPoll)
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"t.json:2:two"}) {
		t.Fatalf("got %q", got)
	}
	// An unterminated line is read once the file has been quiet.
	clk.t = clk.t.Add(DefaultPoll)
	if got := readAll(t, r); len(got) != 0 {
		t.Fatalf("tail read too early: %q", got)
	}
	clk.t = clk.t.Add(TailQuiet + DefaultPoll)
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"t.json:3:thr"}) {
		t.Fatalf("got %q", got)
	}
	// Truncated and rewritten: read again from the start.
	write(t, p, "new\n")
	clk.t = clk.t.Add(DefaultPoll)
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"t.json:1:new"}) {
		t.Fatalf("after truncation: %q", got)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]string{"connector": "posix_fs", "posix_fs.root": "/x", "match_pattern": "*.csv", "refresh.interval.sec": "2"})
	if err != nil || o.Path != "/x" || o.Pattern != "*.csv" || o.Poll != 2*time.Second {
		t.Fatalf("%+v %v", o, err)
	}
	for _, c := range []struct {
		with map[string]string
		code string
	}{
		{map[string]string{"connector": "file"}, "42601"},
		{map[string]string{"path": "/x", "match_pattern": "[a"}, "22023"},
		{map[string]string{"path": "/x", "poll.interval": "soon"}, "22023"},
		{map[string]string{"path": "/x", "topic": "t"}, "22023"},
	} {
		_, err := ParseOptions(c.with)
		var te *types.Error
		if !errors.As(err, &te) || te.Code != c.code {
			t.Errorf("%v: %v, want %s", c.with, err, c.code)
		}
	}
	var te *types.Error
	if err := Check(Options{Path: "/no/such/dir"}); !errors.As(err, &te) || te.Code != codeUndefinedFile {
		t.Errorf("missing path: %v", err)
	}
}
