package state

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// kvSchema: (k int8 PK, v text).
var kvSchema = TableSchema{ID: FirstUserTableID + 1, Columns: []types.T{types.TInt8, types.TText}, PK: []int{0}}

func kv(k int64, v string) []types.Datum {
	return []types.Datum{types.NewInt(k), types.NewString(v)}
}

func iterRows(t *testing.T) func(it *RowIter, err error) string {
	return func(it *RowIter, err error) string { t.Helper(); return iterRowsErr(t, it, err) }
}

func iterRowsErr(t *testing.T, it *RowIter, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for it.Next() {
		row := it.Row()
		var parts []string
		for _, d := range row {
			if d.Null {
				parts = append(parts, "NULL")
			} else if d.S != nil {
				parts = append(parts, string(d.S))
			} else {
				parts = append(parts, fmt.Sprint(d.I))
			}
		}
		out = append(out, strings.Join(parts, ":"))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestStateTableMergeSemantics(t *testing.T) {
	s := openMem(t)
	st, err := NewStateTable(s, TableSchema{ID: kvSchema.ID, Columns: kvSchema.Columns, PK: []int{0}, Singleton: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 5; i++ {
		st.Insert(kv(i, fmt.Sprint("v", i)))
	}
	// Reads see buffered writes.
	if row, ok, err := st.Get([]types.Datum{types.NewInt(3)}); err != nil || !ok || string(row[1].S) != "v3" {
		t.Fatalf("Get 3 = %v %v %v", row, ok, err)
	}
	b := s.NewWriteBatch()
	if err := st.Flush(b); err != nil {
		t.Fatal(err)
	}
	// Flushed but not committed: still readable through the table, not
	// through the store.
	if got := iterRows(t)(st.Scan()); got != "1:v1 2:v2 3:v3 4:v4 5:v5" {
		t.Errorf("frozen scan = %s", got)
	}
	if got := scanAll(t, s, TablePrefix(kvSchema.ID), PrefixEnd(TablePrefix(kvSchema.ID))); len(got) != 0 {
		t.Errorf("store sees uncommitted rows: %v", got)
	}
	// Epoch 2 writes on top of the frozen epoch 1.
	st.Delete(kv(2, ""))
	st.Update(kv(3, "v3"), kv(3, "v3'"))
	st.Update(kv(4, "v4"), kv(40, "v40"))
	st.Insert(kv(0, "v0"))
	want := "0:v0 1:v1 3:v3' 5:v5 40:v40"
	if got := iterRows(t)(st.Scan()); got != want {
		t.Errorf("merged scan = %s", got)
	}
	_ = SetCommittedEpoch(b, 1)
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	if got := iterRows(t)(st.Scan()); got != want {
		t.Errorf("merged scan after commit 1 = %s", got)
	}
	if len(st.frozen) != 0 {
		t.Errorf("%d frozen layers after commit", len(st.frozen))
	}
	if _, ok, _ := st.Get([]types.Datum{types.NewInt(2)}); ok {
		t.Error("deleted row visible")
	}
	if row, ok, _ := st.Get([]types.Datum{types.NewInt(5)}); !ok || string(row[1].S) != "v5" {
		t.Error("committed row not visible")
	}
	b = s.NewWriteBatch()
	_ = st.Flush(b)
	_ = SetCommittedEpoch(b, 2)
	_ = b.Commit(true)
	if st.MemBytes() != 0 {
		t.Error("mem not empty after flush")
	}
	if got := iterRows(t)(st.Scan()); got != want {
		t.Errorf("scan after commit 2 = %s", got)
	}
	// A fresh table over the same store (as after a restart) sees the same.
	st2, _ := NewStateTable(s, st.Schema())
	if got := iterRows(t)(st2.Scan()); got != want {
		t.Errorf("reopened scan = %s", got)
	}
	// Range and prefix iteration (singleton: vnode 0).
	if got := iterRows(t)(st2.Iter(0, []types.Datum{types.NewInt(1)}, []types.Datum{types.NewInt(5)})); got != "1:v1 3:v3'" {
		t.Errorf("range = %s", got)
	}
	if got := iterRows(t)(st2.IterPrefix(0, []types.Datum{types.NewInt(40)})); got != "40:v40" {
		t.Errorf("prefix = %s", got)
	}
	// An iterator does not see writes made after it was opened.
	it, err := st2.Scan()
	if err != nil {
		t.Fatal(err)
	}
	st2.Insert(kv(100, "late"))
	st2.DeletePK([]types.Datum{types.NewInt(0)})
	if got := iterRows(t)(it, nil); got != want {
		t.Errorf("iterator saw later writes: %s", got)
	}
	// Reading through a snapshot.
	snap := s.NewSnapshot()
	defer snap.Close()
	ro, _ := OpenTable(snap, st.Schema())
	if got := iterRows(t)(ro.Scan()); got != want {
		t.Errorf("snapshot table = %s", got)
	}
}

func TestStateTableDescAndVNodes(t *testing.T) {
	s := openMem(t)
	// (g text, ts int8 desc, v int8); PK (g, ts desc), distributed by g.
	sch := TableSchema{ID: FirstUserTableID + 2, Columns: []types.T{types.TText, types.TInt8, types.TInt8},
		PK: []int{0, 1}, PKDesc: []bool{false, true}, DistKey: []int{0}}
	st, err := NewStateTable(s, sch)
	if err != nil {
		t.Fatal(err)
	}
	row := func(g string, ts, v int64) []types.Datum {
		return []types.Datum{types.NewString(g), types.NewInt(ts), types.NewInt(v)}
	}
	for ts := int64(1); ts <= 3; ts++ {
		st.Insert(row("a", ts, ts*10))
		st.Insert(row("b", ts, ts*100))
	}
	va := st.VNodeOfRow(row("a", 0, 0))
	vb := st.VNodeOfRow(row("b", 0, 0))
	// All rows of a group share a vnode; within it, ts descends.
	if got := iterRows(t)(st.IterPrefix(va, []types.Datum{types.NewString("a")})); got != "a:3:30 a:2:20 a:1:10" {
		t.Errorf("group a = %s", got)
	}
	b := s.NewWriteBatch()
	_ = st.Flush(b)
	_ = b.Commit(true)
	if got := iterRows(t)(st.IterPrefix(vb, []types.Datum{types.NewString("b")})); got != "b:3:300 b:2:200 b:1:100" {
		t.Errorf("group b = %s", got)
	}
	if va != vb {
		if got := iterRows(t)(st.Iter(va, nil, nil)); strings.Contains(got, "b:") {
			t.Errorf("vnode %d has b rows: %s", va, got)
		}
	}
	if _, err := NewStateTable(s, TableSchema{ID: 9999, Columns: []types.T{types.TInt8, types.TInt8}, PK: []int{0}, DistKey: []int{1}}); err == nil {
		t.Error("distribution key outside PK accepted")
	}
}

// TestStateTableModel drives a table with random writes, flushes and commits
// (sometimes several flushes before a commit) and checks every read against a
// map.
func TestStateTableModel(t *testing.T) {
	s := openMem(t)
	sch := TableSchema{ID: FirstUserTableID + 3, Columns: []types.T{types.TInt8, types.TInt8, types.TText}, PK: []int{0, 1}, DistKey: []int{0}}
	st, err := NewStateTable(s, sch)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(9))
	model := map[[2]int64]string{}
	var pending []*Batch
	epoch := uint64(0)
	for step := 0; step < 3000; step++ {
		a, c := int64(r.Intn(8)), int64(r.Intn(20))
		switch op := r.Intn(100); {
		case op < 45:
			v := fmt.Sprint(r.Intn(1000))
			st.Insert([]types.Datum{types.NewInt(a), types.NewInt(c), types.NewString(v)})
			model[[2]int64{a, c}] = v
		case op < 65:
			st.Delete([]types.Datum{types.NewInt(a), types.NewInt(c), types.Null})
			delete(model, [2]int64{a, c})
		case op < 75:
			a2, c2 := int64(r.Intn(8)), int64(r.Intn(20))
			old, ok := model[[2]int64{a, c}]
			if !ok {
				continue
			}
			st.Update([]types.Datum{types.NewInt(a), types.NewInt(c), types.NewString(old)},
				[]types.Datum{types.NewInt(a2), types.NewInt(c2), types.NewString("u")})
			delete(model, [2]int64{a, c})
			model[[2]int64{a2, c2}] = "u"
		case op < 82:
			b := s.NewWriteBatch()
			if err := st.Flush(b); err != nil {
				t.Fatal(err)
			}
			pending = append(pending, b)
		case op < 88 && len(pending) > 0:
			// Commit the oldest pending epoch.
			epoch++
			_ = SetCommittedEpoch(pending[0], epoch)
			if err := pending[0].Commit(false); err != nil {
				t.Fatal(err)
			}
			pending = pending[1:]
		case op < 94:
			row, ok, err := st.Get([]types.Datum{types.NewInt(a), types.NewInt(c)})
			want, wok := model[[2]int64{a, c}]
			if err != nil || ok != wok || (ok && string(row[2].S) != want) {
				t.Fatalf("step %d: Get(%d,%d) = %v %v %v, want %q %v", step, a, c, row, ok, err, want, wok)
			}
		default:
			// Prefix scan of group a.
			vn := st.VNodeOfPK([]types.Datum{types.NewInt(a), types.Null})
			got := iterRows(t)(st.IterPrefix(vn, []types.Datum{types.NewInt(a)}))
			var keys []int
			for k := range model {
				if k[0] == a {
					keys = append(keys, int(k[1]))
				}
			}
			sort.Ints(keys)
			var wantParts []string
			for _, k := range keys {
				wantParts = append(wantParts, fmt.Sprintf("%d:%d:%s", a, k, model[[2]int64{a, int64(k)}]))
			}
			if want := strings.Join(wantParts, " "); got != want {
				t.Fatalf("step %d: prefix %d = %s, want %s", step, a, got, want)
			}
		}
	}
	// Full scan equals the model after committing everything.
	b := s.NewWriteBatch()
	_ = st.Flush(b)
	pending = append(pending, b)
	for _, p := range pending {
		if err := p.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	fresh, _ := NewStateTable(s, sch)
	it, err := fresh.Scan()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		row := it.Row()
		if model[[2]int64{row[0].I, row[1].I}] != string(row[2].S) {
			t.Fatalf("scan row %v not in model", row)
		}
		n++
	}
	_ = it.Close()
	if n != len(model) {
		t.Fatalf("scan %d rows, model %d", n, len(model))
	}
}

func TestStateTableDeleteRangeAndDecodePK(t *testing.T) {
	s := openMem(t)
	// Window state: (window_end int8, k text, n int8), PK (window_end, k),
	// singleton, NULL keys last.
	sch := TableSchema{ID: FirstUserTableID + 4, Columns: []types.T{types.TInt8, types.TText, types.TInt8},
		PK: []int{0, 1}, PKNullsLast: []bool{true, true}, Singleton: true}
	st, err := NewStateTable(s, sch)
	if err != nil {
		t.Fatal(err)
	}
	for we := int64(1); we <= 4; we++ {
		for _, k := range []string{"x", "y"} {
			st.Insert([]types.Datum{types.NewInt(we * 10), types.NewString(k), types.NewInt(we)})
		}
	}
	st.Insert([]types.Datum{types.Null, types.NewString("z"), types.NewInt(0)})
	b := s.NewWriteBatch()
	_ = st.Flush(b)
	_ = b.Commit(false)
	st.Insert([]types.Datum{types.NewInt(25), types.NewString("x"), types.NewInt(9)})
	// Close windows ending before 30.
	n, err := st.DeleteRange(0, nil, []types.Datum{types.NewInt(30)})
	if err != nil || n != 5 {
		t.Fatalf("DeleteRange = %d %v", n, err)
	}
	if got := iterRows(t)(st.Scan()); got != "30:x:3 30:y:3 40:x:4 40:y:4 NULL:z:0" {
		t.Errorf("after DeleteRange = %s", got)
	}
	it, _ := st.Scan()
	if !it.Next() {
		t.Fatal("empty")
	}
	pk, err := st.DecodePK(it.Key(), nil)
	if err != nil || len(pk) != 2 || pk[0].I != 30 || string(pk[1].S) != "x" {
		t.Errorf("DecodePK = %v %v", pk, err)
	}
	_ = it.Close()
}

// TestConcurrentFlushIntoOneBatch has several actors, each with its own
// table, flush into the coordinator's epoch batch at once.
func TestConcurrentFlushIntoOneBatch(t *testing.T) {
	s := openMem(t)
	const actors = 4
	tables := make([]*StateTable, actors)
	for i := range tables {
		st, err := NewStateTable(s, TableSchema{ID: FirstUserTableID + 10 + uint32(i), Columns: kvSchema.Columns, PK: []int{0}})
		if err != nil {
			t.Fatal(err)
		}
		tables[i] = st
	}
	b := s.NewWriteBatch()
	errs := make(chan error, actors)
	for i := range tables {
		go func(st *StateTable) {
			for k := int64(0); k < 500; k++ {
				st.Insert(kv(k, "v"))
			}
			errs <- st.Flush(b)
		}(tables[i])
	}
	for range tables {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	_ = SetCommittedEpoch(b, 7)
	_ = SetSourceOffset(b, 1, "0", []byte{1})
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	for _, st := range tables {
		fresh, _ := NewStateTable(s, st.Schema())
		it, err := fresh.Scan()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for it.Next() {
			n++
		}
		_ = it.Close()
		if n != 500 {
			t.Errorf("table %d: %d rows", st.ID(), n)
		}
	}
	if s.CommittedEpoch() != 7 {
		t.Errorf("epoch %d", s.CommittedEpoch())
	}
}
