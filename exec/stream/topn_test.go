package stream

import (
	"fmt"
	"sort"
	"testing"

	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// naiveTopN sorts each group's rows by (sort key, row encoding) and keeps
// positions [offset, offset+limit).
func naiveTopN(ts []types.T, rows [][]types.Datum, groups []int, order []batch.SortKey, offset, limit int64) [][]types.Datum {
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
				out = append(out, r)
			}
		}
	}
	return out
}

func TestTopNDifferential(t *testing.T) {
	cases := []struct {
		groups        []int
		order         []batch.SortKey
		offset, limit int64
	}{
		{nil, []batch.SortKey{{Col: 0}}, 0, 3},
		{nil, []batch.SortKey{{Col: 0, Desc: true, NullsFirst: true}, {Col: 1}}, 2, 4},
		{[]int{1}, []batch.SortKey{{Col: 2, NullsFirst: true}}, 0, 2},
		{[]int{0}, []batch.SortKey{{Col: 2, Desc: true}, {Col: 1, Desc: true}}, 1, 2},
		{[]int{0, 1}, []batch.SortKey{{Col: 2}}, 0, 1},
		{nil, []batch.SortKey{{Col: 2}}, 3, -1},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t, int64(i)+11)
			op := NewTopN(4000, ftTypes, tc.groups, tc.order, tc.offset, tc.limit)
			got := newMset(ftTypes)
			g := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
			for step := 0; step < 200; step++ {
				if err := op.Push(e.ctx, 0, g.next(e.rng, 10), got.apply); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				e.maybeCommit()
				want := msetOf(ftTypes, naiveTopN(ftTypes, g.rows, tc.groups, tc.order, tc.offset, tc.limit))
				if d := diff(got, want); d != "" {
					t.Fatalf("step %d (%d rows):\n%s", step, len(g.rows), d)
				}
			}
		})
	}
}

func TestDistinctDifferential(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		e := newEnv(t, seed)
		op := NewDistinct(5000, ftTypes)
		got := newMset(ftTypes)
		g := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
		for step := 0; step < 300; step++ {
			if err := op.Push(e.ctx, 0, g.next(e.rng, 15), got.apply); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			e.maybeCommit()
			rows := drain(t, batch.NewDistinct(batch.NewValues(ftTypes, g.rows), nil))
			if d := diff(got, msetOf(ftTypes, rows)); d != "" {
				t.Fatalf("seed %d step %d:\n%s", seed, step, d)
			}
		}
	}
}
