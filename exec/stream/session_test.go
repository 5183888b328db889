package stream

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

var sessTypes = []types.T{types.TInt4, types.TTimestamp, types.TText}

func sessRow(r *rand.Rand) []types.Datum {
	ts := types.Datum{I: int64(r.Intn(120)-60) * 1_000_000}
	if nullish(r) {
		ts = types.Null
	}
	return []types.Datum{rInt(r, 3), ts, rText(r)}
}

// naiveSession annotates rows by brute force: a row's session is the
// closure of rows of its partition reachable in steps shorter than gap.
func naiveSession(rows [][]types.Datum, keys []int, gap int64) [][]types.Datum {
	part := func(r []types.Datum) string {
		var b []byte
		for _, k := range keys {
			b = state.AppendKey(b, sessTypes[k], r[k], false)
		}
		return string(b)
	}
	byPart := map[string][]int64{}
	for _, r := range rows {
		if !r[1].Null {
			byPart[part(r)] = append(byPart[part(r)], r[1].I)
		}
	}
	var out [][]types.Datum
	for _, r := range rows {
		if r[1].Null {
			continue
		}
		ts := byPart[part(r)]
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		i := sort.Search(len(ts), func(i int) bool { return ts[i] >= r[1].I })
		lo, hi := i, i
		for lo > 0 && ts[lo]-ts[lo-1] < gap {
			lo--
		}
		for hi+1 < len(ts) && ts[hi+1]-ts[hi] < gap {
			hi++
		}
		out = append(out, append(append([]types.Datum(nil), r...), types.Datum{I: ts[lo]}, types.Datum{I: ts[hi] + gap}))
	}
	return out
}

// TestSessionDifferential checks that the stream operator's accumulated
// output equals the brute-force sessions (and the batch operator) of the
// current input after every random delta of inserts, duplicates, deletes
// and updates.
func TestSessionDifferential(t *testing.T) {
	const sec = 1_000_000
	for i, tc := range []struct {
		keys []int
		gap  int64
	}{
		{[]int{0}, 10 * sec},
		{nil, 5 * sec},
		{[]int{0, 2}, 20 * sec},
		{[]int{0}, 1},
		{[]int{2}, 3 * sec},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t, int64(i)+11)
			op := NewSession(7, sessTypes, 1, tc.keys, tc.gap)
			ots := op.Types()
			got := newMset(ots)
			g := &gen{ts: sessTypes, mk: sessRow, delPct: 35}
			for step := 0; step < 150; step++ {
				if err := op.Push(e.ctx, 0, g.next(e.rng, 12), got.apply); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				e.maybeCommit()
				want := msetOf(ots, naiveSession(g.rows, tc.keys, tc.gap))
				if d := diff(got, want); d != "" {
					t.Fatalf("step %d:\n%s", step, d)
				}
				if step%50 == 49 {
					b := batch.NewSession(batch.NewValues(sessTypes, g.rows), 1, tc.keys, tc.gap)
					if d := diff(msetOf(ots, drain(t, b)), want); d != "" {
						t.Fatalf("batch, step %d:\n%s", step, d)
					}
				}
			}
		})
	}
}

// TestSessionWatermark checks the watermark contract: sessions ending at
// or below the watermark lose their state, the output keeps them, rows
// below it are dropped, and W + 1µs holds on window_end.
func TestSessionWatermark(t *testing.T) {
	const sec = 1_000_000
	e := newEnv(t, 1)
	op := NewSession(9, sessTypes, 1, []int{0}, 10*sec)
	got := newMset(op.Types())
	push := func(rows ...[]types.Datum) {
		t.Helper()
		if err := op.Push(e.ctx, 0, chunkOf(sessTypes, rows, nil), got.apply); err != nil {
			t.Fatal(err)
		}
	}
	row := func(k, ts int64) []types.Datum {
		return []types.Datum{types.NewInt(k), {I: ts * sec}, types.NewString("x")}
	}
	push(row(1, 0), row(1, 5), row(2, 0), row(2, 30))
	wms, err := op.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.Datum{I: 15 * sec}}, got.apply)
	if err != nil {
		t.Fatal(err)
	}
	if len(wms) != 1 || wms[0].Col != 4 || wms[0].Val.I != 15*sec+1 {
		t.Fatalf("watermarks out: %+v", wms)
	}
	// Sessions (1: [0, 15)) and (2: [0, 10)) are closed: only (2, 30) is
	// left in the state.
	if n := len(stateKeys(t, e.ctx.State, 9)); n != 1 {
		t.Fatalf("%d state keys after the watermark, want 1", n)
	}
	// A row below the watermark is dropped; one above extends (2, 30).
	push(row(1, 14), row(2, 35))
	if op.Dropped() != 1 {
		t.Fatalf("dropped %d", op.Dropped())
	}
	want := msetOf(op.Types(), naiveSession([][]types.Datum{row(1, 0), row(1, 5), row(2, 0), row(2, 30), row(2, 35)}, []int{0}, 10*sec))
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
	// Watermarks on the partition column pass; on others they stop.
	if wms, _ := op.OnWatermark(e.ctx, 0, Watermark{Col: 0, Val: types.NewInt(1)}, got.apply); len(wms) != 1 || wms[0].Col != 0 {
		t.Fatalf("partition watermark: %+v", wms)
	}
	if wms, _ := op.OnWatermark(e.ctx, 0, Watermark{Col: 2, Val: types.NewString("a")}, got.apply); len(wms) != 0 {
		t.Fatalf("other watermark: %+v", wms)
	}
}

// TestSessionDeleteMissing checks that a delete of a row the operator
// does not hold fails (XX000) instead of corrupting its state.
func TestSessionDeleteMissing(t *testing.T) {
	e := newEnv(t, 2)
	op := NewSession(9, sessTypes, 1, []int{0}, 10_000_000)
	got := newMset(op.Types())
	row := []types.Datum{types.NewInt(1), {I: 0}, types.NewString("x")}
	if err := op.Push(e.ctx, 0, chunkOf(sessTypes, [][]types.Datum{row}, []exec.Op{exec.OpDelete}), got.apply); err == nil || !strings.Contains(err.Error(), "not in the operator's state") {
		t.Fatalf("delete of a missing row: %v", err)
	}
}
