package state

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func openMem(t testing.TB) *Store {
	t.Helper()
	s, err := Open("mem", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustGet(t *testing.T, r Reader, key string) (string, bool) {
	t.Helper()
	v, found, err := GetValue(r, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return string(v), found
}

func scanAll(t *testing.T, r Reader, lower, upper []byte) []string {
	t.Helper()
	it, err := r.NewIter(lower, upper)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatchReadYourWrites(t *testing.T) {
	s := openMem(t)
	b := s.NewBatch()
	_ = b.Set([]byte("a"), []byte("1"))
	_ = b.Set([]byte("b"), []byte("2"))
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b = s.NewBatch()
	defer b.Close()
	_ = b.Set([]byte("c"), []byte("3"))
	_ = b.Delete([]byte("a"))
	if v, ok := mustGet(t, b, "c"); !ok || v != "3" {
		t.Errorf("batch Get c = %q %v", v, ok)
	}
	if _, ok := mustGet(t, b, "a"); ok {
		t.Error("batch sees deleted a")
	}
	if v, ok := mustGet(t, b, "b"); !ok || v != "2" {
		t.Error("batch does not see committed b")
	}
	if got := fmt.Sprint(scanAll(t, b, nil, nil)); got != "[b=2 c=3]" {
		t.Errorf("batch iter = %s", got)
	}
	// The store does not see the uncommitted batch.
	if got := fmt.Sprint(scanAll(t, s, nil, nil)); got != "[a=1 b=2]" {
		t.Errorf("store iter = %s", got)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(scanAll(t, s, nil, nil)); got != "[b=2 c=3]" {
		t.Errorf("after commit = %s", got)
	}
	if err := b.Commit(true); err == nil {
		t.Error("double commit succeeded")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	// Write-only batches cannot read.
	wb := s.NewWriteBatch()
	defer wb.Close()
	if _, _, _, err := wb.Get([]byte("b")); err == nil {
		t.Error("write batch Get succeeded")
	}
}

func TestSnapshotIsolation(t *testing.T) {
	s := openMem(t)
	b := s.NewWriteBatch()
	_ = b.Set([]byte("k"), []byte("old"))
	_ = SetCommittedEpoch(b, 1)
	_ = b.Commit(true)
	snap := s.NewSnapshot()
	defer snap.Close()
	b = s.NewWriteBatch()
	_ = b.Set([]byte("k"), []byte("new"))
	_ = b.Set([]byte("k2"), []byte("x"))
	_ = SetCommittedEpoch(b, 2)
	_ = b.Commit(true)
	if v, _ := mustGet(t, snap, "k"); v != "old" {
		t.Errorf("snapshot sees %q", v)
	}
	if _, ok := mustGet(t, snap, "k2"); ok {
		t.Error("snapshot sees later key")
	}
	if e, err := snap.Epoch(); err != nil || e != 1 {
		t.Errorf("snapshot epoch = %d %v", e, err)
	}
	if v, _ := mustGet(t, s, "k"); v != "new" {
		t.Errorf("store sees %q", v)
	}
	if s.CommittedEpoch() != 2 {
		t.Errorf("CommittedEpoch = %d", s.CommittedEpoch())
	}
}

func TestDurabilityReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.CommittedEpoch() != 0 {
		t.Fatal("fresh store has an epoch")
	}
	b := s.NewBatch()
	for i := 0; i < 100; i++ {
		_ = b.Set(fmt.Appendf(VNodePrefix(FirstUserTableID, uint16(i%VNodeCount)), "k%03d", i), []byte(fmt.Sprint(i)))
	}
	_ = SetSourceOffset(b, 7, "p0", []byte("100"))
	_ = SetSourceOffset(b, 7, "p1", []byte("200"))
	_ = SetSourceOffset(b, 8, "p0", []byte("x"))
	_ = SetCommittedEpoch(b, 42)
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	// An uncommitted batch is lost.
	lost := s.NewBatch()
	_ = lost.Set([]byte("lost"), []byte("1"))
	_ = lost.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.CommittedEpoch() != 42 {
		t.Errorf("epoch after reopen = %d", s.CommittedEpoch())
	}
	offs, err := s.SourceOffsets(7)
	if err != nil || len(offs) != 2 || string(offs["p0"]) != "100" || string(offs["p1"]) != "200" {
		t.Errorf("offsets = %q %v", offs, err)
	}
	p := TablePrefix(FirstUserTableID)
	if n := len(scanAll(t, s, p, PrefixEnd(p))); n != 100 {
		t.Errorf("%d keys after reopen", n)
	}
	if _, ok := mustGet(t, s, "lost"); ok {
		t.Error("uncommitted write survived")
	}
	if _, err := s.ApproximateSize(FirstUserTableID); err != nil {
		t.Error(err)
	}
	if s.Metrics() == nil {
		t.Error("no metrics")
	}
	b = s.NewBatch()
	_ = DeleteSourceOffsets(b, 7)
	_ = b.DeleteTable(FirstUserTableID)
	_ = b.Commit(true)
	if offs, _ := s.SourceOffsets(7); len(offs) != 0 {
		t.Errorf("offsets not deleted: %q", offs)
	}
	if offs, _ := s.SourceOffsets(8); len(offs) != 1 {
		t.Errorf("other source's offsets touched: %q", offs)
	}
	if n := len(scanAll(t, s, p, PrefixEnd(p))); n != 0 {
		t.Errorf("%d keys after DeleteTable", n)
	}
}

func TestIterSeek(t *testing.T) {
	s := openMem(t)
	b := s.NewWriteBatch()
	for _, k := range []string{"a", "c", "e", "g"} {
		_ = b.Set([]byte(k), []byte(k))
	}
	_ = b.Commit(false)
	it, err := s.NewIter([]byte("b"), []byte("g"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.SeekGE([]byte("d")) || !bytes.Equal(it.Key(), []byte("e")) {
		t.Errorf("SeekGE d")
	}
	if it.Next() {
		t.Errorf("past upper bound: %s", it.Key())
	}
	if !it.Last() || string(it.Key()) != "e" || !it.Prev() || string(it.Key()) != "c" || it.Prev() {
		t.Error("Last/Prev")
	}
	if !it.SeekLT([]byte("e")) || string(it.Value()) != "c" || !it.Valid() || it.Error() != nil {
		t.Error("SeekLT")
	}
}

// TestCrashDurability simulates a machine crash: only what was fsynced
// survives. Commit(true) is durable; with DisableSync it is not.
func TestCrashDurability(t *testing.T) {
	for _, disable := range []bool{false, true} {
		fs := vfs.NewCrashableMem()
		s, err := Open("db", Options{fs: fs, DisableSync: disable})
		if err != nil {
			t.Fatal(err)
		}
		b := s.NewWriteBatch()
		_ = b.Set([]byte("k1"), []byte("v1"))
		_ = SetCommittedEpoch(b, 5)
		if err := b.Commit(true); err != nil {
			t.Fatal(err)
		}
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		_ = s.Close()
		s, err = Open("db", Options{fs: crashed})
		if err != nil {
			t.Fatal(err)
		}
		_, found := mustGet(t, s, "k1")
		if !disable && (!found || s.CommittedEpoch() != 5) {
			t.Errorf("synced commit lost in crash: found=%v epoch=%d", found, s.CommittedEpoch())
		}
		if disable && found {
			t.Errorf("DisableSync: commit fsynced anyway")
		}
		_ = s.Close()
	}
}
