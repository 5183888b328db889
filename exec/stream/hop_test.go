package stream

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

var hopTypes = []types.T{types.TInt4, types.TTimestamp}

func hopRow(r *rand.Rand) []types.Datum {
	ts := types.Datum{I: int64(r.Intn(400)-200) * 1_000_000}
	if nullish(r) {
		ts = types.Null
	}
	return []types.Datum{rInt(r, 6), ts}
}

// naiveHop expands each row into its windows by brute force: every start
// s ≡ offset (mod slide) with s <= ts < s + size.
func naiveHop(rows [][]types.Datum, slide, size, offset int64) [][]types.Datum {
	var out [][]types.Datum
	for _, r := range rows {
		if r[1].Null {
			continue
		}
		ts := r[1].I
		for k := (ts-size-offset)/slide - 2; k <= (ts-offset)/slide+2; k++ {
			s := offset + k*slide
			if s > ts || ts >= s+size {
				continue
			}
			out = append(out, []types.Datum{r[0], r[1], {I: s}, {I: s + size}})
		}
	}
	return out
}

func TestHopDifferential(t *testing.T) {
	const sec = 1_000_000
	for i, tc := range []struct{ slide, size, offset int64 }{
		{60 * sec, 60 * sec, 0},
		{20 * sec, 60 * sec, 0},
		{20 * sec, 60 * sec, 5 * sec},
		{30 * sec, 90 * sec, -7 * sec},
		{sec, 3 * sec, 100 * sec},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t, int64(i)+3)
			op := NewHop(hopTypes, 1, tc.slide, tc.size, tc.offset)
			ots := op.Types()
			got := newMset(ots)
			g := &gen{ts: hopTypes, mk: hopRow, delPct: 35}
			for step := 0; step < 100; step++ {
				if err := op.Push(e.ctx, 0, g.next(e.rng, 10), got.apply); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				want := msetOf(ots, naiveHop(g.rows, tc.slide, tc.size, tc.offset))
				if d := diff(got, want); d != "" {
					t.Fatalf("step %d:\n%s", step, d)
				}
			}
		})
	}
}

func TestBatchHopMatchesNaive(t *testing.T) {
	const sec = 1_000_000
	rng := rand.New(rand.NewSource(1))
	var rows [][]types.Datum
	for i := 0; i < 3000; i++ {
		rows = append(rows, hopRow(rng))
	}
	for _, tc := range []struct{ slide, size, offset int64 }{{20 * sec, 60 * sec, 5 * sec}, {sec, 100 * sec, 0}} {
		op := batch.NewHop(batch.NewValues(hopTypes, rows), 1, tc.slide, tc.size, tc.offset)
		got := msetOf(op.Types(), drain(t, op))
		want := msetOf(op.Types(), naiveHop(rows, tc.slide, tc.size, tc.offset))
		if d := diff(got, want); d != "" {
			t.Fatalf("%+v:\n%s", tc, d)
		}
	}
}

// naiveTopNRank is naiveTopN with each kept row's 1-based position in its
// group appended.
func naiveTopNRank(ts []types.T, rows [][]types.Datum, groups []int, order []batch.SortKey, offset, limit int64) [][]types.Datum {
	byGroup := map[string][][]types.Datum{}
	for _, r := range rows {
		var g []byte
		for _, c := range groups {
			g = state.AppendKey(g, ts[c], r[c], false)
		}
		byGroup[string(g)] = append(byGroup[string(g)], r)
	}
	key := func(r []types.Datum) string {
		var b []byte
		for _, o := range order {
			b = state.AppendKeyNulls(b, ts[o.Col], r[o.Col], o.Desc, !o.NullsFirst)
		}
		return string(state.AppendRow(b, ts, r))
	}
	var out [][]types.Datum
	for _, rs := range byGroup {
		sort.SliceStable(rs, func(i, j int) bool { return key(rs[i]) < key(rs[j]) })
		for i, r := range rs {
			if int64(i) >= offset && (limit < 0 || int64(i) < offset+limit) {
				out = append(out, append(append([]types.Datum(nil), r...), types.Datum{I: int64(i) + 1}))
			}
		}
	}
	return out
}

func TestTopNRankDifferential(t *testing.T) {
	cases := []struct {
		groups        []int
		order         []batch.SortKey
		offset, limit int64
	}{
		{nil, []batch.SortKey{{Col: 0}}, 0, 3},
		{[]int{1}, []batch.SortKey{{Col: 2, NullsFirst: true}}, 0, 2},
		{[]int{0}, []batch.SortKey{{Col: 2, Desc: true}, {Col: 1, Desc: true}}, 1, 2},
		{[]int{2}, []batch.SortKey{{Col: 0}}, 0, 1},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t, int64(i)+21)
			op := NewTopNRank(4100, ftTypes, tc.groups, tc.order, tc.offset, tc.limit)
			ots := op.Types()
			got := newMset(ots)
			g := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
			for step := 0; step < 200; step++ {
				if err := op.Push(e.ctx, 0, g.next(e.rng, 10), got.apply); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				e.maybeCommit()
				want := msetOf(ots, naiveTopNRank(ftTypes, g.rows, tc.groups, tc.order, tc.offset, tc.limit))
				if d := diff(got, want); d != "" {
					t.Fatalf("step %d (%d rows):\n%s", step, len(g.rows), d)
				}
			}
		})
	}
}
