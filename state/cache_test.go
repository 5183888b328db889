package state

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

// TestCachedBatchMatchesModel drives random writes, point reads, range
// scans, commits and discards through CachedBatches over a complete and an
// incomplete table, and checks every answer against a model of committed
// plus pending writes, and the store against the model after each batch.
func TestCachedBatchMatchesModel(t *testing.T) {
	for _, limit := range []int64{1 << 30, 4 << 10} { // the small limit forces overflows
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			s, err := Open("", Options{InMemory: true, DisableSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := NewReadCache(limit)
			c.MarkComplete(100)
			rng := rand.New(rand.NewSource(limit))
			committed := map[string]string{}
			key := func() []byte {
				tbl := uint32(100 + rng.Intn(2))
				return append(AppendTablePrefix(nil, tbl, uint16(rng.Intn(2))), byte('a'+rng.Intn(20)))
			}
			for round := 0; round < 300; round++ {
				b := s.NewBatch()
				cb := c.Wrap(b)
				view := map[string]string{}
				for k, v := range committed {
					view[k] = v
				}
				for op := 0; op < 40; op++ {
					k := key()
					switch rng.Intn(6) {
					case 0, 1:
						v := fmt.Sprint(rng.Intn(1000))
						if err := cb.Set(k, []byte(v)); err != nil {
							t.Fatal(err)
						}
						view[string(k)] = v
					case 2:
						if err := cb.Delete(k); err != nil {
							t.Fatal(err)
						}
						delete(view, string(k))
					case 3:
						v, found, err := cb.Get(k)
						if err != nil {
							t.Fatal(err)
						}
						want, ok := view[string(k)]
						if found != ok || string(v) != want {
							t.Fatalf("round %d: Get(%x) = %q,%v; want %q,%v", round, k, v, found, want, ok)
						}
					default:
						checkScan(t, rng, cb, view, round)
					}
				}
				if rng.Intn(4) == 0 {
					b.Close()
				} else {
					if err := b.Commit(false); err != nil {
						t.Fatal(err)
					}
					committed = view
				}
				// The store holds exactly the committed model.
				it, err := s.NewIter(TablePrefix(100), TablePrefix(102))
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for ok := it.First(); ok; ok = it.Next() {
					got[string(it.Key())] = string(it.Value())
				}
				it.Close()
				if fmt.Sprint(got) != fmt.Sprint(committed) {
					t.Fatalf("round %d: store %v, want %v", round, got, committed)
				}
			}
		})
	}
}

// checkScan opens an iterator over one table (or both), walks it in a
// random mix of directions while writing to the table in between, and
// checks it sees the state as of NewIter.
func checkScan(t *testing.T, rng *rand.Rand, cb *CachedBatch, view map[string]string, round int) {
	t.Helper()
	tbl := uint32(100 + rng.Intn(2))
	lower := AppendTablePrefix(nil, tbl, 0)
	upper := PrefixEnd(TablePrefix(tbl))
	if rng.Intn(3) == 0 {
		lower = append(AppendTablePrefix(nil, tbl, uint16(rng.Intn(2))), byte('a'+rng.Intn(20)))
		upper = append(AppendTablePrefix(nil, tbl, 1), byte('a'+rng.Intn(20)))
		if bytes.Compare(lower, upper) > 0 {
			lower, upper = upper, lower
		}
	}
	var keys []string
	for k := range view {
		if k >= string(lower) && k < string(upper) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	snapshot := map[string]string{}
	for _, k := range keys {
		snapshot[k] = view[k]
	}
	it, err := cb.NewIter(lower, upper)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	// A write after NewIter must not show.
	k := append(AppendTablePrefix(nil, tbl, 0), byte('a'+rng.Intn(20)))
	if err := cb.Set(k, []byte("late")); err != nil {
		t.Fatal(err)
	}
	view[string(k)] = "late"
	pos := -1 // index into keys; -1 or len(keys) = invalid
	check := func(ok bool, what string) {
		t.Helper()
		want := pos >= 0 && pos < len(keys)
		if ok != want || it.Valid() != want {
			t.Fatalf("round %d: %s: valid=%v, want %v (pos %d of %d)", round, what, ok, want, pos, len(keys))
		}
		if want && (string(it.Key()) != keys[pos] || string(it.Value()) != snapshot[keys[pos]]) {
			t.Fatalf("round %d: %s: at %x=%q, want %x=%q", round, what, it.Key(), it.Value(), keys[pos], snapshot[keys[pos]])
		}
	}
	switch rng.Intn(4) {
	case 0:
		pos = 0
		check(it.First(), "First")
	case 1:
		pos = len(keys) - 1
		check(it.Last(), "Last")
	case 2:
		target := append(AppendTablePrefix(nil, tbl, uint16(rng.Intn(2))), byte('a'+rng.Intn(20)))
		if bytes.Compare(target, lower) < 0 { // Pebble wants seek keys within the bounds
			target = lower
		}
		pos = sort.SearchStrings(keys, string(target))
		check(it.SeekGE(target), "SeekGE")
	default:
		target := append(AppendTablePrefix(nil, tbl, uint16(rng.Intn(2))), byte('a'+rng.Intn(20)))
		if bytes.Compare(target, upper) > 0 {
			target = upper
		}
		pos = sort.SearchStrings(keys, string(target)) - 1
		check(it.SeekLT(target), "SeekLT")
	}
	for step := 0; step < 30 && pos >= 0 && pos < len(keys); step++ {
		if rng.Intn(3) == 0 {
			pos--
			check(it.Prev(), "Prev")
		} else {
			pos++
			check(it.Next(), "Next")
		}
	}
}

// TestCacheKeptByUntouchedDiscard checks that a batch closed without
// committing clears the cache only if the cache learnt something through
// it: read-only or empty batches (a writer that found nothing to do) must
// not throw away every view's in-memory state.
func TestCacheKeptByUntouchedDiscard(t *testing.T) {
	s, err := Open("", Options{InMemory: true, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := NewReadCache(1 << 20)
	c.MarkComplete(7)
	k := append(AppendTablePrefix(nil, 7, 0), 'k')
	b := s.NewBatch()
	if err := c.Wrap(b).Set(k, []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	b = s.NewBatch()
	cb := c.Wrap(b)
	if v, found, err := cb.Get(k); err != nil || !found || string(v) != "v" {
		t.Fatalf("Get = %q, %v, %v", v, found, err)
	}
	b.Close()
	if !c.Complete(7) || c.Len() != 1 {
		t.Fatalf("a discarded read-only batch cleared the cache (complete=%v, len=%d)", c.Complete(7), c.Len())
	}
	b = s.NewBatch()
	if err := c.Wrap(b).Set(k, []byte("w")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if c.Complete(7) || c.Len() != 0 {
		t.Fatal("a discarded batch that wrote left its write in the cache")
	}
}

// TestCachePartitions: partitions share the root's memory limit and are
// cleared with it; the writes of children committed with their parent
// batch are there for later batches, and a discarded parent takes its
// children's writes (and their partitions' entries) with it.
func TestCachePartitions(t *testing.T) {
	s, err := Open("", Options{InMemory: true, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	root := NewReadCache(1 << 20)
	p0, p1 := root.Partition(), root.Partition()
	p0.MarkComplete(7)
	p1.MarkComplete(7)
	k0 := append(AppendTablePrefix(nil, 7, 0), 'a')
	k1 := append(AppendTablePrefix(nil, 7, 200), 'b')
	main := s.NewBatch()
	if err := p0.Wrap(main.NewChild()).Set(k0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := p1.Wrap(main.NewChild()).Set(k1, []byte("y")); err != nil {
		t.Fatal(err)
	}
	if err := main.Commit(false); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{k0, k1} {
		if _, found, err := GetValue(s, k); err != nil || !found {
			t.Fatalf("child write %q not committed with its parent: %v %v", k, found, err)
		}
	}
	if !p0.Complete(7) || p0.Len() != 1 || p1.Len() != 1 {
		t.Fatalf("committed children's writes left the partitions: %d %d", p0.Len(), p1.Len())
	}
	// A discarded parent: its child's write is neither stored nor cached.
	main = s.NewBatch()
	if err := p1.Wrap(main.NewChild()).Set(k1, []byte("z")); err != nil {
		t.Fatal(err)
	}
	main.Close()
	if v, _, _ := GetValue(s, k1); string(v) != "y" {
		t.Fatalf("discarded child write stored: %q", v)
	}
	if p1.Len() != 0 || p1.Complete(7) {
		t.Fatal("a discarded child's write stayed in its partition")
	}
	// Clearing the root clears every partition.
	root.Clear()
	if p0.Len() != 0 || p0.Complete(7) {
		t.Fatal("Clear on the root left a partition's entries")
	}
	// The budget is shared: a partition over it evicts its own tables.
	small := NewReadCache(4096)
	q0, q1 := small.Partition(), small.Partition()
	q0.MarkComplete(8)
	q1.MarkComplete(9)
	b := s.NewBatch()
	defer b.Close()
	big := make([]byte, 1500)
	if err := q0.Wrap(b).Set(append(AppendTablePrefix(nil, 8, 0), 'k'), big); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := q1.Wrap(b).Set(append(AppendTablePrefix(nil, 9, 0), byte(i)), big); err != nil {
			t.Fatal(err)
		}
	}
	if q1.Complete(9) && q0.Complete(8) {
		t.Fatal("partitions together went past their shared limit without evicting")
	}
}
