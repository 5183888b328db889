package stream

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Watermark says no later row on this stream has column Col below Val.
//
// Watermarks start at a source with WATERMARK FOR (the source emits one
// after each chunk; a LateFilter right after it drops the rows that break
// it) and flow through the operators that implement WatermarkHandler, each
// of which says which watermarks hold on its output:
//
//   - Filter, Materialize, LateFilter: pass every watermark through.
//   - Project: a watermark on input column i holds on every output column
//     that is exactly column i, and, through SetWatermarkDerivations, on
//     monotone functions of it (window_start, window_end).
//   - UnionAll: per column, the minimum over the inputs, once every input
//     has sent one.
//   - HashAgg: a watermark on a group column deletes the state of the
//     groups below it (they can never change again) or, with
//     SetEmitOnWindowClose, emits their final rows and then deletes them;
//     it holds on that group column of the output.
//   - HashJoin (inner): once both sides have a watermark on the same join
//     key column, state below the smaller one is deleted and that
//     watermark holds on both key columns of the output. An interval join
//     (SetIntervalBounds) deletes the rows its time bounds make
//     unreachable and emits those bounds on its two time columns. Other
//     join kinds drop watermarks.
//   - TopN per group: a watermark on a group column (a window bound)
//     deletes the state of the groups below it and holds on that output
//     column.
//   - Session: a watermark W on the time column deletes the state of the
//     sessions ending at or below it and holds as W + 1µs on window_end;
//     watermarks on partition columns pass through.
//   - Every other operator drops watermarks.
//
// Operators keep watermarks in memory only: after a restart they start
// without one until the source sends the next. Operators that delete state
// under a watermark drop (and count) rows that arrive below it afterwards,
// since applying them would corrupt the retained output.
type Watermark struct {
	Col int
	Val types.Datum
}

// WatermarkHandler is implemented by operators that react to watermarks.
// OnWatermark receives w on input port, emits any rows it finalizes
// (as deltas, through emit), and returns the watermarks that hold on its
// output (possibly none). Operators that do not implement it drop watermarks.
type WatermarkHandler interface {
	OnWatermark(ctx *Ctx, port int, w Watermark, emit func(*exec.Chunk) error) ([]Watermark, error)
}

// PushWatermark delivers w to op on input port: it calls op.OnWatermark if
// op implements WatermarkHandler, and otherwise drops w (returns nil).
func PushWatermark(ctx *Ctx, op Operator, port int, w Watermark, emit func(*exec.Chunk) error) ([]Watermark, error) {
	if h, ok := op.(WatermarkHandler); ok {
		return h.OnWatermark(ctx, port, w, emit)
	}
	return nil, nil
}

// advances reports whether watermark value v (non-NULL) is above cur (a
// previous watermark, Null for none).
func advances(t types.T, cur, v types.Datum) bool {
	return cur.Null || types.Compare(t, v, cur) > 0
}

// below reports whether d is a non-NULL value under watermark wm (Null for
// none). NULLs are never late: no watermark speaks about them.
func below(t types.T, d, wm types.Datum) bool {
	return !d.Null && !wm.Null && types.Compare(t, d, wm) < 0
}

// noWatermarks returns n unset watermark slots.
func noWatermarks(n int) []types.Datum {
	w := make([]types.Datum, n)
	for i := range w {
		w[i] = types.Null
	}
	return w
}

// OnWatermark implements WatermarkHandler: a filter passes w through.
func (f *Filter) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	return []Watermark{w}, nil
}

// OnWatermark implements WatermarkHandler: a view keeps its rows and passes
// w through.
func (m *Materialize) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	return []Watermark{w}, nil
}

// WatermarkDerivation says that output column OutCol of a Project is a
// monotone non-decreasing function F of input column InCol (F nil: the
// identity), so a watermark v on InCol holds as F(v) on OutCol. For a
// TUMBLE or HOP window, window_start and window_end of the time column are
// such functions: see WindowStartWatermark and WindowEndWatermark.
type WatermarkDerivation struct {
	OutCol, InCol int
	F             func(types.Datum) (types.Datum, error)
}

// SetWatermarkDerivations declares monotone output columns (see
// WatermarkDerivation) besides the plain column references, which p
// recognises by itself.
func (p *Project) SetWatermarkDerivations(d []WatermarkDerivation) { p.derivs = d }

// OnWatermark implements WatermarkHandler: w holds on every output column
// that is exactly input column w.Col, and on every derived column of it.
func (p *Project) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	var out []Watermark
	for i, e := range p.exprs {
		if cr, ok := e.(*exec.ColRef); ok && cr.Idx == w.Col {
			out = append(out, Watermark{Col: i, Val: w.Val})
		}
	}
	for _, d := range p.derivs {
		if d.InCol != w.Col {
			continue
		}
		v := w.Val
		if d.F != nil && !v.Null {
			var err error
			if v, err = d.F(v); err != nil {
				return nil, err
			}
		}
		out = append(out, Watermark{Col: d.OutCol, Val: v})
	}
	return out, nil
}

// WindowStartWatermark returns the derivation function of window_start for
// a HOP window of the given slide, size and offset (µs; TUMBLE is slide =
// size) over a timestamp column: for a watermark v on the time column,
// every later row lies in windows starting at or after the start of the
// earliest window containing v. Infinite timestamps map to themselves.
func WindowStartWatermark(slide, size, offset int64) func(types.Datum) (types.Datum, error) {
	return func(v types.Datum) (types.Datum, error) {
		if v.Null || !types.IsFiniteTimestamp(v.I) {
			return v, nil
		}
		last, err := batch.WindowStart(v.I, slide, offset)
		if err != nil {
			return types.Null, err
		}
		return types.Datum{I: last - (size/slide-1)*slide}, nil
	}
}

// WindowEndWatermark is WindowStartWatermark for window_end (start + size).
func WindowEndWatermark(slide, size, offset int64) func(types.Datum) (types.Datum, error) {
	start := WindowStartWatermark(slide, size, offset)
	return func(v types.Datum) (types.Datum, error) {
		if v.Null || !types.IsFiniteTimestamp(v.I) {
			return v, nil
		}
		s, err := start(v)
		if err != nil {
			return types.Null, err
		}
		e, err := batch.WindowEnd(s.I, size)
		return types.Datum{I: e}, err
	}
}

// unionWM is the watermark state of one column of a UnionAll.
type unionWM struct {
	port []types.Datum // latest per input (Null: none yet)
	out  types.Datum   // last emitted (Null: none)
}

// SetInputs sets the number of inputs (ports 0..n-1, default 2), which a
// watermark must reach on every one before it holds on the output; it
// returns u.
func (u *UnionAll) SetInputs(n int) *UnionAll { u.ports = n; return u }

// OnWatermark implements WatermarkHandler: per column, once every input
// has sent a watermark, the minimum of the latest ones holds on the output
// (emitted whenever it advances).
func (u *UnionAll) OnWatermark(_ *Ctx, port int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if port < 0 || port >= u.ports {
		return nil, fmt.Errorf("stream: union: bad port %d", port)
	}
	if w.Col < 0 || w.Col >= len(u.ts) {
		return nil, fmt.Errorf("stream: union: bad watermark column %d", w.Col)
	}
	if w.Val.Null {
		return nil, nil
	}
	t := u.ts[w.Col]
	if u.wms == nil {
		u.wms = map[int]*unionWM{}
	}
	s := u.wms[w.Col]
	if s == nil {
		s = &unionWM{port: noWatermarks(u.ports), out: types.Null}
		u.wms[w.Col] = s
	}
	if !advances(t, s.port[port], w.Val) {
		return nil, nil
	}
	s.port[port] = copyDatum(w.Val)
	m := s.port[0]
	for _, v := range s.port {
		if v.Null {
			return nil, nil
		}
		if types.Compare(t, v, m) < 0 {
			m = v
		}
	}
	if !advances(t, s.out, m) {
		return nil, nil
	}
	s.out = m
	return []Watermark{{Col: w.Col, Val: m}}, nil
}

// LateFilter drops the rows that arrive below the current watermark of its
// column: placed right after a source with WATERMARK FOR, it makes the
// watermark true for everything downstream. It counts the rows it drops
// and can hand each to a late handler (the dead-letter table). Rows whose
// column is NULL pass. Kept rows keep their ops (normalised to
// OpInsert/OpDelete) and share the input's vectors.
type LateFilter struct {
	col     int
	ts      []types.T
	wm      types.Datum
	dropped int64
	late    func(row []types.Datum)
	sel     []int
	ops     []exec.Op
	row     []types.Datum
	out     exec.Chunk
}

// NewLateFilter returns a late-row filter on column col of an input with
// types ts.
func NewLateFilter(col int, ts []types.T) *LateFilter {
	return &LateFilter{col: col, ts: ts, wm: types.Null}
}

// SetLateHandler makes f see every dropped row (its datums are valid only
// during the call).
func (f *LateFilter) SetLateHandler(h func(row []types.Datum)) { f.late = h }

// Dropped returns the number of rows dropped so far.
func (f *LateFilter) Dropped() int64 { return f.dropped }

// Watermark returns the current watermark of the filtered column (Null
// before the first).
func (f *LateFilter) Watermark() types.Datum { return f.wm }

// Types implements Operator.
func (f *LateFilter) Types() []types.T { return f.ts }

// Push implements Operator.
func (f *LateFilter) Push(_ *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	if f.wm.Null {
		f.ops = normOps(c, f.ops)
		f.out = exec.Chunk{Cols: c.Cols, N: c.N, Sel: c.Sel, Ops: f.ops}
		return emit(&f.out)
	}
	t := f.ts[f.col]
	v := c.Cols[f.col]
	f.sel = f.sel[:0]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if below(t, v.Get(r), f.wm) {
			f.dropped++
			if f.late != nil {
				f.row = rowOf(c, r, f.row)
				f.late(f.row)
			}
			continue
		}
		f.sel = append(f.sel, r)
	}
	if len(f.sel) == 0 {
		return nil
	}
	f.ops = normOps(c, f.ops)
	f.out = exec.Chunk{Cols: c.Cols, N: c.N, Sel: f.sel, Ops: f.ops}
	return emit(&f.out)
}

// OnWatermark implements WatermarkHandler: a watermark on the filtered
// column becomes the bound rows are checked against (it only advances);
// every watermark passes through.
func (f *LateFilter) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if w.Col == f.col && !w.Val.Null && advances(f.ts[f.col], f.wm, w.Val) {
		f.wm = copyDatum(w.Val)
	}
	return []Watermark{w}, nil
}

// SetEmitOnWindowClose switches h to EMIT ON WINDOW CLOSE on the window
// column groupCol, an input column index that must be one of the group
// columns (e.g. window_start): Push then only updates state and emits
// nothing, and a watermark on groupCol emits the final row (an Insert) of
// every group whose window value is below it, then deletes that group's
// state. Watermarks on other columns are dropped in this mode. A groupCol
// that is not a group column makes Push and OnWatermark fail.
func (h *HashAgg) SetEmitOnWindowClose(groupCol int) {
	h.eowc = true
	h.eowcPos = -1
	for i, c := range h.groupCols {
		if c == groupCol {
			h.eowcPos = i
			break
		}
	}
	if h.eowcPos < 0 {
		h.cfgErr = types.Errorf(types.CodeInternal, "stream: EMIT ON WINDOW CLOSE column %d is not a group column", groupCol)
	}
}

// Dropped returns the number of input rows dropped because they arrived
// below a watermark whose groups had already been closed.
func (h *HashAgg) Dropped() int64 { return h.dropped }

// late reports whether physical row r of c is below a watermark of h.
func (h *HashAgg) late(c *exec.Chunk, r int) bool {
	for i, wm := range h.wms {
		if !wm.Null && below(h.gts[i], c.Cols[h.groupCols[i]].Get(r), wm) {
			return true
		}
	}
	return false
}

// OnWatermark implements WatermarkHandler. A watermark on an input column
// that is a group column (the window column in EOWC mode) closes every
// group whose value in that column is below it: the group's state (row
// and multisets) is deleted, in EOWC mode after its final row is emitted
// as an Insert (rows sorted by the window column); otherwise its output row
// stays in the view, final. The watermark then holds on that group column
// of the output. Later rows below it are dropped by Push (see Dropped).
// Watermarks that do not advance do nothing and return nil. Closing scans
// the whole state table once.
func (h *HashAgg) OnWatermark(ctx *Ctx, _ int, w Watermark, emit func(*exec.Chunk) error) ([]Watermark, error) {
	if h.cfgErr != nil {
		return nil, h.cfgErr
	}
	if w.Val.Null {
		return nil, nil
	}
	if h.wms == nil {
		h.wms = noWatermarks(len(h.groupCols))
	}
	pos := -1
	var out []Watermark
	for i, c := range h.groupCols {
		if c != w.Col || (h.eowc && i != h.eowcPos) || !advances(h.gts[i], h.wms[i], w.Val) {
			continue
		}
		if pos < 0 {
			pos = i
		}
		h.wms[i] = copyDatum(w.Val)
		h.hasWM = true
		out = append(out, Watermark{Col: i, Val: h.wms[i]})
	}
	if pos < 0 {
		return nil, nil
	}
	if err := h.closeGroups(ctx.State, pos, h.wms[pos], emit); err != nil {
		return nil, err
	}
	return out, nil
}

// closeGroups deletes the state of every group whose group column pos is
// below wm, emitting the final rows first in EOWC mode.
//
// One iterator walks the state table: a group row key is followed by its
// multiset keys, which extend it (memcomparable group keys are prefix-free),
// so a key that extends the current group key belongs to that group.
func (h *HashAgg) closeGroups(st State, pos int, wm types.Datum, emit func(*exec.Chunk) error) error {
	it, err := st.NewIter(h.bounds(h.id))
	if err != nil {
		return err
	}
	hasMS := false
	for i := range h.aggs {
		hasMS = hasMS || h.aggs[i].ms
	}
	h.closed = h.closed[:0]
	var cur []byte
	closing := false
	ok := it.First()
	for ok {
		k := it.Key()
		if cur != nil && len(k) > len(cur) && bytes.HasPrefix(k, cur) {
			if closing {
				if err := st.Delete(k); err != nil {
					it.Close()
					return err
				}
			}
			ok = it.Next()
			continue
		}
		_, _, rest, good := state.DecodeTablePrefix(k)
		if !good {
			it.Close()
			return corrupt("aggregate key")
		}
		if h.keyD, _, err = state.DecodeKeys(rest, h.gts, nil, h.keyD); err != nil {
			it.Close()
			return err
		}
		cur = append(cur[:0], k...)
		closing = below(h.gts[pos], h.keyD[pos], wm)
		if !closing {
			if hasMS {
				ok = it.SeekGE(state.PrefixEnd(cur))
			} else {
				ok = it.Next()
			}
			continue
		}
		if h.eowc {
			g := &h.cur
			h.resetAccs(g)
			if err := h.decodeGroup(it.Value(), g); err != nil {
				it.Close()
				return err
			}
			if h.newRow, err = h.finalize(st, cur, g, h.newRow); err != nil {
				it.Close()
				return err
			}
			row := make([]types.Datum, len(h.newRow))
			for i, d := range h.newRow {
				row[i] = copyDatum(d)
			}
			h.closed = append(h.closed, row)
		}
		if err := st.Delete(cur); err != nil {
			it.Close()
			return err
		}
		ok = it.Next()
	}
	if err := it.Close(); err != nil {
		return err
	}
	if len(h.closed) == 0 {
		return nil
	}
	t := h.gts[pos]
	sort.SliceStable(h.closed, func(i, j int) bool {
		return types.Compare(t, h.closed[i][pos], h.closed[j][pos]) < 0
	})
	h.out.start(emit)
	for _, row := range h.closed {
		if err := h.out.add(row, exec.OpInsert); err != nil {
			return err
		}
	}
	h.closed = h.closed[:0]
	return h.out.flush()
}

// late reports whether physical row r of c, arriving on side p, lies below
// the bound under which the join's state was deleted.
func (h *HashJoin) late(p int, c *exec.Chunk, r int) bool {
	for i, wm := range h.cleaned {
		if below(h.kts[p][i], c.Cols[h.keys[p][i]].Get(r), wm) {
			return true
		}
	}
	return false
}

// OnWatermark implements WatermarkHandler. Only inner joins react: when
// both sides have a watermark on the same join key position (a window join
// on window_start), every stored row of either side whose key there is
// below the smaller of the two is deleted (no later row can match it), and
// that smaller watermark holds on both key columns of the output. Later
// rows below it are dropped. Interval joins (SetIntervalBounds) also clean
// by watermarks on their time columns. Other watermarks, and every
// watermark of the other join kinds, are dropped: outer, semi and anti
// joins would have to emit their unmatched rows first.
func (h *HashJoin) OnWatermark(ctx *Ctx, port int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if port != 0 && port != 1 {
		return nil, fmt.Errorf("stream: join: bad port %d", port)
	}
	if h.kind != Inner || w.Val.Null {
		return nil, nil
	}
	var out []Watermark
	if h.iv != nil {
		var err error
		if out, err = h.intervalWatermark(ctx, port, w); err != nil {
			return nil, err
		}
	}
	if h.cleaned == nil {
		h.wms = [2][]types.Datum{noWatermarks(len(h.keys[0])), noWatermarks(len(h.keys[1]))}
		h.cleaned = noWatermarks(len(h.keys[0]))
	}
	for i, c := range h.keys[port] {
		if c != w.Col || !advances(h.kts[port][i], h.wms[port][i], w.Val) {
			continue
		}
		h.wms[port][i] = copyDatum(w.Val)
		other := h.wms[1-port][i]
		if other.Null {
			continue
		}
		// Both sides' key columns encode alike; compare with side 0's type.
		t := h.kts[0][i]
		m := h.wms[port][i]
		if types.Compare(t, other, m) < 0 {
			m = other
		}
		if !advances(t, h.cleaned[i], m) {
			continue
		}
		h.cleaned[i] = m
		h.hasClean = true
		if err := h.cleanBelow(ctx.State, i, m); err != nil {
			return nil, err
		}
		out = append(out, Watermark{Col: h.keys[0][i], Val: m},
			Watermark{Col: len(h.ts[0]) + h.keys[1][i], Val: m})
	}
	return out, nil
}

// cleanBelow deletes the stored rows of both sides whose key position i is
// below wm, in one pass over the state table.
func (h *HashJoin) cleanBelow(st State, i int, wm types.Datum) error {
	it, err := st.NewIter(h.bounds(h.id))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		_, _, rest, good := state.DecodeTablePrefix(it.Key())
		if !good || len(rest) == 0 || rest[0] > 1 {
			it.Close()
			return corrupt("join key")
		}
		side := int(rest[0])
		if h.keyD, _, err = state.DecodeKeys(rest[1:], h.kts[side], nil, h.keyD); err != nil {
			it.Close()
			return err
		}
		if below(h.kts[side][i], h.keyD[i], wm) {
			if err := st.Delete(it.Key()); err != nil {
				it.Close()
				return err
			}
		}
	}
	return it.Close()
}
