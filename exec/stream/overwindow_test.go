package stream

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/types"
)

// TestOverWindowDifferential pushes random deltas (duplicates, deletes,
// ties) into OverWindow and checks after each that its output equals the
// batch window operator over the current input.
func TestOverWindowDifferential(t *testing.T) {
	type fn struct {
		name  string
		args  []int
		frame *batch.Frame
	}
	rows := func(s, e int64) *batch.Frame {
		return &batch.Frame{Rows: true, StartOffset: s, EndOffset: e}
	}
	cases := []struct {
		part  []int
		order []batch.SortKey
		fns   []fn
	}{
		{[]int{2}, []batch.SortKey{{Col: 0}}, []fn{{"row_number", nil, nil}, {"rank", nil, nil}, {"dense_rank", nil, nil}}},
		{[]int{2}, []batch.SortKey{{Col: 0, Desc: true}}, []fn{{"avg", []int{0}, rows(-2, 1)}, {"first_value", []int{1}, &batch.Frame{Rows: true, StartOffset: -1, EndCurrent: true}}}},
		{[]int{2}, []batch.SortKey{{Col: 1}}, []fn{{"sum", []int{0}, rows(3, 5)}, {"max", []int{1}, rows(-4, -1)}}},
		{[]int{1}, []batch.SortKey{{Col: 0, NullsFirst: true}}, []fn{{"lag", []int{1}, nil}, {"count", []int{0}, nil}, {"lead", []int{0}, nil}}},
		{nil, []batch.SortKey{{Col: 0, Desc: true, NullsFirst: true}}, []fn{{"sum", []int{2}, rows(-1, 1)}, {"min", []int{0}, nil}}},
		{[]int{2}, []batch.SortKey{{Col: 0}}, []fn{{"sum", []int{2}, &batch.Frame{StartOffset: -2, EndOffset: 1}}, {"last_value", []int{1}, nil}}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var fs []batch.WindowFunc
			for _, f := range tc.fns {
				var ats []types.T
				for _, a := range f.args {
					ats = append(ats, ftTypes[a])
				}
				ret, cast, err := batch.ResolveWindowFunc(f.name, ats)
				if err != nil {
					t.Fatal(err)
				}
				fs = append(fs, batch.WindowFunc{Name: f.name, Args: f.args, ArgTypes: cast, Ret: ret, Frame: f.frame})
			}
			e := newEnv(t, int64(i)+31)
			op, err := NewOverWindow(4200, ftTypes, tc.part, tc.order, fs)
			if err != nil {
				t.Fatal(err)
			}
			ots := op.Types()
			got := newMset(ots)
			g := &gen{ts: ftTypes, mk: ftRow, delPct: 30}
			for step := 0; step < 150; step++ {
				if err := op.Push(e.ctx, 0, g.next(e.rng, 8), got.apply); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				e.maybeCommit()
				var want [][]types.Datum
				if len(g.rows) > 0 {
					want = drain(t, batch.NewWindow(batch.NewValues(ftTypes, g.rows), tc.part, tc.order, fs))
				}
				if d := diff(got, msetOf(ots, want)); d != "" {
					t.Fatalf("step %d (%d rows):\n%s", step, len(g.rows), d)
				}
			}
		})
	}
}
