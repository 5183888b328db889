package stream

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// TopN maintains ORDER BY ... OFFSET offset LIMIT limit, globally or per
// group (the top-N-per-group pattern row_number() OVER (PARTITION BY g
// ORDER BY o) <= N, with offset 0 and limit N). Its output has the input's
// columns: the rows in positions [offset, offset+limit) of each group's
// order. Rows that tie on the sort keys are ordered by their value encoding
// (state.AppendRow, which is batch.TieKey), so the choice among ties is
// deterministic and the same as the batch window operator's.
//
// State (table stateID), with gp = stateID | vnode(group) | memcmp(group):
//
//	gp | 0x00 | sortkey | state.AppendRow(row) → uvarint count ++ state.AppendRow(row)   (input multiset)
//	gp | 0x01 | sortkey | state.AppendRow(row) → uvarint count ++ state.AppendRow(row)   (rows emitted)
//
// sortkey is the memcomparable encoding of the ORDER BY columns honouring
// each key's direction and NULL placement. After each chunk every touched
// group's window is recomputed by scanning the first offset+limit input
// occurrences, and the difference with the emitted rows is emitted and
// stored. Cost per touched group is O(offset + limit) reads.
type TopN struct {
	vnodeRange
	id            uint32
	ts            []types.T
	groupCols     []int
	gts           []types.T
	order         []batch.SortKey
	offset, limit int64
	out           *output
	// rank, set by NewTopNRank, appends each output row's position in its
	// group (1-based, counting the offset) as a bigint column: the
	// row_number() of the top-N-per-group pattern. ots are the output
	// types (ts plus that column).
	rank bool
	ots  []types.T
	// wm closes groups by watermark (topn_watermark.go), nil before one.
	wm *topNWatermarks

	index   map[string]int
	groups  [][]byte
	row     []types.Datum
	gd      []types.Datum
	key     []byte
	scratch []byte
}

// NewTopN returns a TopN over rows of types ts, partitioned by groupCols
// (nil for a global ORDER BY ... LIMIT), ordered by order. limit < 0 means
// no limit.
func NewTopN(stateID uint32, ts []types.T, groupCols []int, order []batch.SortKey, offset, limit int64) *TopN {
	t := &TopN{id: stateID, ts: ts, groupCols: groupCols, order: order, offset: max(offset, 0), limit: limit,
		out: newOutput(ts), index: map[string]int{}}
	for _, c := range groupCols {
		t.gts = append(t.gts, ts[c])
	}
	return t
}

// NewTopNRank is NewTopN whose output also carries, as an extra last
// bigint column, each row's row_number() in its group's order (offset+1 for
// the first row emitted). Rows that tie get distinct numbers, assigned in
// the deterministic tie order described on TopN. A change that moves rows
// within the window re-emits the rows whose number changed. The state
// layout is TopN's, except that the emitted entries (tag 0x01) are keyed by
// sortkey | row | 8-byte row number and hold rows with the number.
func NewTopNRank(stateID uint32, ts []types.T, groupCols []int, order []batch.SortKey, offset, limit int64) *TopN {
	t := NewTopN(stateID, ts, groupCols, order, offset, limit)
	t.rank = true
	t.ots = append(append([]types.T(nil), ts...), types.TInt8)
	t.out = newOutput(t.ots)
	return t
}

// Types implements Operator.
func (t *TopN) Types() []types.T {
	if t.rank {
		return t.ots
	}
	return t.ts
}

// numbered expands the window entries into one entry per occurrence whose
// suffix and row carry the row number, sorted by suffix.
func (t *TopN) numbered(es []topEntry) ([]topEntry, error) {
	var out []topEntry
	pos := t.offset
	var row []types.Datum
	var err error
	for _, e := range es {
		row, err = state.DecodeRow(e.row, t.ts, row[:0])
		if err != nil {
			return nil, err
		}
		for j := int64(0); j < e.cnt; j++ {
			pos++
			suf := binary.BigEndian.AppendUint64(append([]byte(nil), e.suffix...), uint64(pos))
			r := append(row[:len(t.ts):len(t.ts)], types.Datum{I: pos})
			out = append(out, topEntry{suffix: suf, cnt: 1, row: state.AppendRow(nil, t.ots, r)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].suffix, out[j].suffix) < 0 })
	return out, nil
}

// Push implements Operator.
func (t *TopN) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	t.out.start(emit)
	clear(t.index)
	t.groups = t.groups[:0]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if t.wm != nil && t.lateRow(c, r) {
			continue
		}
		t.gd = colsOf(c, r, t.groupCols, t.gd)
		t.key = rowKey(t.key[:0], t.id, t.gts, t.gd)
		if _, ok := t.index[string(t.key)]; !ok {
			t.index[string(t.key)] = len(t.groups)
			t.groups = append(t.groups, append([]byte(nil), t.key...))
		}
		t.row = rowOf(c, r, t.row)
		t.key = append(t.key, 0)
		for _, o := range t.order {
			t.key = state.AppendKeyNulls(t.key, t.ts[o.Col], t.row[o.Col], o.Desc, !o.NullsFirst)
		}
		t.key = state.AppendRow(t.key, t.ts, t.row)
		if _, _, err := addCount(ctx.State, t.key, Sign(c, r), t.ts, t.row, &t.scratch); err != nil {
			return err
		}
	}
	for _, g := range t.groups {
		if err := t.refresh(ctx.State, g); err != nil {
			return err
		}
	}
	return t.out.flush()
}

type topEntry struct {
	suffix []byte // sortkey | row encoding
	cnt    int64
	row    []byte // row encoding
}

// window reads up to skip+take occurrences of range gp|tag, dropping the
// first skip; take < 0 reads everything.
func (t *TopN) window(st State, gp []byte, tag byte, skip, take int64) ([]topEntry, error) {
	lower := append(append([]byte(nil), gp...), tag)
	it, err := st.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return nil, err
	}
	var es []topEntry
	for ok := it.First(); ok && take != 0; ok = it.Next() {
		n, rest, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		if skip >= n {
			skip -= n
			continue
		}
		n -= skip
		skip = 0
		if take > 0 {
			n = min(n, take)
			take -= n
		}
		es = append(es, topEntry{suffix: append([]byte(nil), it.Key()[len(lower):]...), cnt: n, row: append([]byte(nil), rest...)})
	}
	return es, it.Close()
}

// refresh recomputes group gp's window and emits its difference with the
// emitted rows.
func (t *TopN) refresh(st State, gp []byte) error {
	want, err := t.window(st, gp, 0, t.offset, t.limit)
	if err != nil {
		return err
	}
	have, err := t.window(st, gp, 1, 0, -1)
	if err != nil {
		return err
	}
	rts := t.ts
	if t.rank {
		rts = t.ots
		if want, err = t.numbered(want); err != nil {
			return err
		}
	}
	// Both lists are sorted by suffix: merge them.
	i, j := 0, 0
	for i < len(want) || j < len(have) {
		var c int
		switch {
		case i == len(want):
			c = 1
		case j == len(have):
			c = -1
		default:
			c = bytes.Compare(want[i].suffix, have[j].suffix)
		}
		var e topEntry
		var delta int64
		switch {
		case c < 0:
			e, delta = want[i], want[i].cnt
			i++
		case c > 0:
			e, delta = have[j], -have[j].cnt
			j++
		default:
			e, delta = want[i], want[i].cnt-have[j].cnt
			i++
			j++
		}
		if delta == 0 {
			continue
		}
		t.row, err = state.DecodeRow(e.row, rts, t.row[:0])
		if err != nil {
			return err
		}
		t.key = append(append(append(t.key[:0], gp...), 1), e.suffix...)
		if _, _, err := addCount(st, t.key, delta, rts, t.row, &t.scratch); err != nil {
			return err
		}
		for n := max(delta, -delta); n > 0; n-- {
			if err := t.out.add(t.row, opOf(delta)); err != nil {
				return err
			}
		}
	}
	return nil
}
