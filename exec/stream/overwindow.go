package stream

import (
	"bytes"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// OverWindow maintains window functions (f(...) OVER (PARTITION BY p ORDER
// BY o [frame])) over an input that inserts and deletes rows. Its output is
// the input's columns followed by one column per function, like the batch
// window operator's, and it accepts every function and frame that operator
// does: each touched partition is re-evaluated with
// batch.EvalWindowPartition.
//
// State (table stateID), with gp = stateID | vnode(partition) |
// memcmp(partition):
//
//	gp | sortkey | batch.TieKey(row) → uvarint count ++ state.AppendRow(row)
//
// the partition's input multiset in window order: sortkey is the
// memcomparable encoding of the ORDER BY columns honouring direction and
// NULL placement; batch.TieKey (the row's value encoding) orders rows that
// tie on them as the batch operator does, and makes the key unique.
//
// Emitted rows are not stored: after each chunk, every touched partition's
// outputs are computed before and after the chunk's changes, and the
// difference is emitted. Outputs are a deterministic function of the
// partition's contents, so the "before" outputs are exactly the rows
// emitted earlier.
//
// For a ROWS frame bounded on both sides (n PRECEDING .. m FOLLOWING) with
// aggregates and value functions only, a change moves the outputs of the
// rows whose frame contains a changed position only; the operator then
// evaluates just the slice of the partition around the changes (see
// boundedReach). Otherwise it evaluates the whole partition, so a change
// costs O(partition size).
type OverWindow struct {
	id    uint32
	ts    []types.T
	ots   []types.T
	part  []int
	pts   []types.T
	order []batch.SortKey
	funcs []batch.WindowFunc
	out   *output
	// reach is how far (in rows) a change moves outputs: -1 = unbounded.
	reach int64

	index   map[string]int
	groups  []owGroup
	row     []types.Datum
	pd      []types.Datum
	key     []byte
	scratch []byte
}

type owGroup struct {
	gp      []byte
	changes []owChange // in chunk order
}

// owChange is one input row of a chunk: its full state key and sign.
type owChange struct {
	key  []byte
	sign int64
	row  []types.Datum
}

// NewOverWindow returns an OverWindow over rows of types ts evaluating
// funcs (as batch.WindowFunc, with the types ResolveWindowFunc gave) per
// partition of the part columns, in the order of order.
func NewOverWindow(stateID uint32, ts []types.T, part []int, order []batch.SortKey, funcs []batch.WindowFunc) (*OverWindow, error) {
	if err := batch.CheckWindowFuncs(ts, order, funcs); err != nil {
		return nil, err
	}
	o := &OverWindow{id: stateID, ts: ts, part: part, order: order, funcs: funcs, index: map[string]int{}}
	o.ots = append([]types.T(nil), ts...)
	for _, f := range funcs {
		o.ots = append(o.ots, f.Ret)
	}
	for _, c := range part {
		o.pts = append(o.pts, ts[c])
	}
	o.out = newOutput(o.ots)
	o.reach = boundedReach(funcs)
	return o, nil
}

// boundedReach returns r ≥ 0 when every function's output at a position
// depends only on the rows within r positions of it (aggregates and
// first/last/nth_value over ROWS frames bounded on both sides), else -1.
// Ranking functions depend on every earlier row; lag and lead count as
// unbounded because their offsets are arguments.
func boundedReach(funcs []batch.WindowFunc) int64 {
	r := int64(0)
	for _, f := range funcs {
		switch f.Name {
		case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead":
			return -1
		}
		fr := f.Frame
		if fr == nil || !fr.Rows || fr.StartUnbounded || fr.EndUnbounded {
			return -1
		}
		var lo, hi int64 // frame = [k+lo, k+hi]
		if !fr.StartCurrent {
			lo = fr.StartOffset
		}
		if !fr.EndCurrent {
			hi = fr.EndOffset
		}
		r = max(r, -lo, hi, lo, -hi)
	}
	return r
}

// Types implements Operator.
func (o *OverWindow) Types() []types.T { return o.ots }

// Push implements Operator.
func (o *OverWindow) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	o.out.start(emit)
	clear(o.index)
	o.groups = o.groups[:0]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		o.pd = colsOf(c, r, o.part, o.pd)
		o.key = rowKey(o.key[:0], o.id, o.pts, o.pd)
		g, ok := o.index[string(o.key)]
		if !ok {
			g = len(o.groups)
			o.index[string(o.key)] = g
			o.groups = append(o.groups, owGroup{gp: append([]byte(nil), o.key...)})
		}
		row := rowOf(c, r, nil)
		for i := range row {
			if row[i].S != nil && !row[i].Null {
				row[i].S = append([]byte(nil), row[i].S...)
			}
		}
		for _, s := range o.order {
			o.key = state.AppendKeyNulls(o.key, o.ts[s.Col], row[s.Col], s.Desc, !s.NullsFirst)
		}
		o.key = batch.TieKey(o.key, o.ts, row)
		o.groups[g].changes = append(o.groups[g].changes, owChange{key: append([]byte(nil), o.key...), sign: Sign(c, r), row: row})
	}
	for gi := range o.groups {
		g := &o.groups[gi]
		lo, hi, err := o.span(ctx.State, g)
		if err != nil {
			return err
		}
		before, err := o.outputs(ctx.State, lo, hi)
		if err != nil {
			return err
		}
		for _, ch := range g.changes {
			if _, _, err := addCount(ctx.State, ch.key, ch.sign, o.ts, ch.row, &o.scratch); err != nil {
				return err
			}
		}
		after, err := o.outputs(ctx.State, lo, hi)
		if err != nil {
			return err
		}
		if err := o.diff(before, after); err != nil {
			return err
		}
	}
	return o.out.flush()
}

// span returns the key range [lo, hi) of partition g to evaluate: the
// whole partition, or with a bounded reach r the rows from 2r+1 positions
// before the first changed key to 2r+1 positions after the last one. The
// outputs that can change lie within r of a change, and their frames within
// 2r, so they are computed exactly. Outputs near the span's edges see cut
// frames, but those frames hold only rows the chunk did not change, so
// they come out the same before and after and cancel in the difference.
func (o *OverWindow) span(st State, g *owGroup) ([]byte, []byte, error) {
	lo := g.gp
	hi := state.PrefixEnd(g.gp)
	if o.reach < 0 {
		return lo, hi, nil
	}
	first, last := g.changes[0].key, g.changes[0].key
	for _, ch := range g.changes[1:] {
		if bytes.Compare(ch.key, first) < 0 {
			first = ch.key
		}
		if bytes.Compare(ch.key, last) > 0 {
			last = ch.key
		}
	}
	need := 2*o.reach + 1
	// Walk backwards from first for need occurrences.
	it, err := st.NewIter(g.gp, first)
	if err != nil {
		return nil, nil, err
	}
	cnt := int64(0)
	for ok := it.Last(); ok && cnt < need; ok = it.Prev() {
		n, _, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return nil, nil, err
		}
		cnt += n
		lo = append([]byte(nil), it.Key()...)
	}
	if err := it.Close(); err != nil {
		return nil, nil, err
	}
	// Forwards past last for need occurrences.
	it, err = st.NewIter(last, state.PrefixEnd(g.gp))
	if err != nil {
		return nil, nil, err
	}
	cnt = 0
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Equal(it.Key(), last) {
			continue
		}
		if cnt >= need {
			hi = append([]byte(nil), it.Key()...)
			break
		}
		n, _, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return nil, nil, err
		}
		cnt += n
	}
	return lo, hi, it.Close()
}

// outputs evaluates the functions over the partition rows in [lo, hi) and
// returns the output rows, each encoded with state.AppendRow.
func (o *OverWindow) outputs(st State, lo, hi []byte) ([][]byte, error) {
	it, err := st.NewIter(lo, hi)
	if err != nil {
		return nil, err
	}
	cols := make([]*exec.Vec, len(o.ts))
	for i, t := range o.ts {
		cols[i] = exec.NewVec(t, 0)
	}
	n := 0
	var row []types.Datum
	for ok := it.First(); ok; ok = it.Next() {
		cnt, rest, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		row, err = state.DecodeRow(append([]byte(nil), rest...), o.ts, row[:0])
		if err != nil {
			it.Close()
			return nil, err
		}
		for j := int64(0); j < cnt; j++ {
			for i, v := range cols {
				v.Append(row[i])
			}
			n++
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	res, err := batch.EvalWindowPartition(cols, n, o.order, o.funcs)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	full := make([]types.Datum, len(o.ots))
	for k := 0; k < n; k++ {
		for i, v := range cols {
			full[i] = v.Get(k)
		}
		for i, v := range res {
			full[len(cols)+i] = v.Get(k)
		}
		out[k] = state.AppendRow(nil, o.ots, full)
	}
	return out, nil
}

// diff emits deletes of the rows in before and not in after and inserts of
// the rows in after and not in before (as multisets).
func (o *OverWindow) diff(before, after [][]byte) error {
	// Outputs at the same position usually stay the same: skip the common
	// prefix and suffix, then count the rest.
	for len(before) > 0 && len(after) > 0 && bytes.Equal(before[0], after[0]) {
		before, after = before[1:], after[1:]
	}
	for len(before) > 0 && len(after) > 0 && bytes.Equal(before[len(before)-1], after[len(after)-1]) {
		before, after = before[:len(before)-1], after[:len(after)-1]
	}
	counts := make(map[string]int64, len(before)+len(after))
	for _, b := range before {
		counts[string(b)]--
	}
	for _, a := range after {
		counts[string(a)]++
	}
	emitRows := func(rows [][]byte, neg bool) error {
		for _, b := range rows {
			d := counts[string(b)]
			if d == 0 || (d < 0) != neg {
				continue
			}
			if neg {
				counts[string(b)]++
			} else {
				counts[string(b)]--
			}
			var err error
			o.row, err = state.DecodeRow(b, o.ots, o.row[:0])
			if err != nil {
				return err
			}
			op := exec.OpInsert
			if neg {
				op = exec.OpDelete
			}
			if err := o.out.add(o.row, op); err != nil {
				return err
			}
		}
		return nil
	}
	if err := emitRows(before, true); err != nil {
		return err
	}
	return emitRows(after, false)
}
