package file

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestSinkDeliverAndRecover(t *testing.T) {
	dir := t.TempDir()
	o, err := ParseSinkOptions(map[string]string{"connector": "file", "path": dir, "format": "json", "partition_by": "a, b"}, nil)
	if err != nil || o.Format != "json" || len(o.PartitionBy) != 2 {
		t.Fatalf("%+v %v", o, err)
	}
	o.ID = "7"
	s, err := OpenSink(o)
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := s.Recover(); err != nil || seq != 0 {
		t.Fatalf("fresh: %d %v", seq, err)
	}
	x, slash := "x", "a/b c"
	p1 := PartitionDir(o.PartitionBy, []*string{&x, nil})
	p2 := PartitionDir(o.PartitionBy, []*string{&slash, &x})
	if p1 != "a=x/b=__NULL__" || p2 != "a=a%2Fb%20c/b=x" {
		t.Fatalf("partition dirs %q %q", p1, p2)
	}
	if err := s.Deliver(map[string][]byte{p1: []byte("1\n"), p2: []byte("2\n")}, 1, 4); err != nil {
		t.Fatal(err)
	}
	// A crash after the files of batch 5..6 but before its progress.
	orphan := filepath.Join(dir, p1, s.fileName(5, 6))
	if err := os.WriteFile(orphan, []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, p1, ".tmp-"+s.fileName(5, 6)+"-123"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, _ := OpenSink(o)
	if seq, err := s2.Recover(); err != nil || seq != 4 {
		t.Fatalf("after crash: %d %v", seq, err)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(dir, p)
			files = append(files, r)
		}
		return err
	})
	sort.Strings(files)
	want := []string{"_streamsql_progress.7", "a=a%2Fb%20c/b=x/part-00000000000000000001-00000000000000000004-7.jsonl",
		"a=x/b=__NULL__/part-00000000000000000001-00000000000000000004-7.jsonl"}
	if len(files) != len(want) {
		t.Fatalf("files %q, want %q", files, want)
	}
	for i := range want {
		if files[i] != want[i] {
			t.Fatalf("files %q, want %q", files, want)
		}
	}
}
