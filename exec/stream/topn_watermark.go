package stream

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// topNWatermarks is a grouped TopN's watermark state: per group column the
// latest watermark (Null: none), below which groups are closed.
type topNWatermarks struct {
	wms     []types.Datum
	dropped int64
}

// Dropped returns the number of input rows dropped because they arrived
// below a watermark whose groups had already been closed.
func (t *TopN) Dropped() int64 {
	if t.wm == nil {
		return 0
	}
	return t.wm.dropped
}

// lateRow reports whether physical row r of c belongs to a closed group.
func (t *TopN) lateRow(c *exec.Chunk, r int) bool {
	for i, wm := range t.wm.wms {
		if below(t.gts[i], c.Cols[t.groupCols[i]].Get(r), wm) {
			t.wm.dropped++
			return true
		}
	}
	return false
}

// OnWatermark implements WatermarkHandler for a TopN per group. A
// watermark on a group column (window_start or window_end of a TUMBLE or
// HOP, in the top-N-per-window pattern) closes every group whose value
// there is below it: no later row can enter such a group, so its state
// (input multiset and emitted rows) is deleted while its rows stay in the
// output, final. The watermark then holds on that column of the output;
// later rows of closed groups are dropped (see Dropped). A global TopN,
// and watermarks on other columns, drop the watermark: a row leaving the
// top N can bring back any older row.
func (t *TopN) OnWatermark(ctx *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if w.Val.Null || len(t.groupCols) == 0 {
		return nil, nil
	}
	if t.wm == nil {
		t.wm = &topNWatermarks{wms: noWatermarks(len(t.groupCols))}
	}
	pos := -1
	for i, c := range t.groupCols {
		if c == w.Col && advances(t.gts[i], t.wm.wms[i], w.Val) {
			t.wm.wms[i] = copyDatum(w.Val)
			pos = i
		}
	}
	if pos < 0 {
		return nil, nil
	}
	if err := t.closeGroups(ctx.State, pos, t.wm.wms[pos]); err != nil {
		return nil, err
	}
	return []Watermark{{Col: w.Col, Val: t.wm.wms[pos]}}, nil
}

// closeGroups deletes the state of every group whose group column pos is
// below wm. One iterator walks the table, skipping each open group with a
// seek past its prefix (memcomparable group keys are prefix-free).
func (t *TopN) closeGroups(st State, pos int, wm types.Datum) error {
	it, err := st.NewIter(t.bounds(t.id))
	if err != nil {
		return err
	}
	var gp []byte
	ok := it.First()
	for ok {
		k := it.Key()
		_, _, rest, good := state.DecodeTablePrefix(k)
		if !good {
			it.Close()
			return corrupt("top-n key")
		}
		var tail []byte
		if t.gd, tail, err = state.DecodeKeys(rest, t.gts, nil, t.gd); err != nil {
			it.Close()
			return err
		}
		if !below(t.gts[pos], t.gd[pos], wm) {
			gp = append(gp[:0], k[:len(k)-len(tail)]...)
			ok = it.SeekGE(state.PrefixEnd(gp))
			continue
		}
		if err := st.Delete(k); err != nil {
			it.Close()
			return err
		}
		ok = it.Next()
	}
	return it.Close()
}
