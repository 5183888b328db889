package stream

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/types"
)

// Hop is the stateless incremental HOP (and TUMBLE) window table function:
// each delta row expands into the size/slide windows containing its time
// column, every output row keeping the input row's op (normalised to
// OpInsert/OpDelete) and gaining window_start and window_end. Rows whose
// time is NULL are dropped, as in the batch operator, so a view over it
// stays equal to the batch query.
type Hop struct {
	col                 int
	slide, size, offset int64
	ts                  []types.T
	out                 *output
	row                 []types.Datum
}

// NewHop returns a hop window over input columns inTypes, windowing column
// col (timestamp or timestamptz) with the given slide, size and offset in
// µs (size a positive multiple of slide).
func NewHop(inTypes []types.T, col int, slide, size, offset int64) *Hop {
	ts := append(append([]types.T(nil), inTypes...), inTypes[col], inTypes[col])
	return &Hop{col: col, slide: slide, size: size, offset: offset, ts: ts, out: newOutput(ts)}
}

// Types implements Operator.
func (h *Hop) Types() []types.T { return h.ts }

// Push implements Operator.
func (h *Hop) Push(_ *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	h.out.start(emit)
	nin := len(h.ts) - 2
	for k := 0; k < n; k++ {
		r := c.Row(k)
		tv := c.Cols[h.col]
		if tv.Nulls.IsNull(r) {
			continue
		}
		h.row = rowOf(c, r, h.row)
		h.row = append(h.row[:nin], types.Datum{}, types.Datum{})
		op := opOf(Sign(c, r))
		err := batch.HopWindows(tv.Int[r], h.slide, h.size, h.offset, func(s, e int64) error {
			h.row[nin], h.row[nin+1] = types.Datum{I: s}, types.Datum{I: e}
			return h.out.add(h.row, op)
		})
		if err != nil {
			return err
		}
	}
	return h.out.flush()
}

// OnWatermark implements WatermarkHandler: a watermark on the time column
// holds on the output's time column too, and becomes one on window_start
// and window_end (the earliest window a later row can still open).
func (h *Hop) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	out := []Watermark{w}
	if w.Col != h.col {
		return out, nil
	}
	n := len(h.ts) - 2
	start, err := WindowStartWatermark(h.slide, h.size, h.offset)(w.Val)
	if err != nil {
		return nil, err
	}
	end, err := WindowEndWatermark(h.slide, h.size, h.offset)(w.Val)
	if err != nil {
		return nil, err
	}
	return append(out, Watermark{Col: n, Val: start}, Watermark{Col: n + 1, Val: end}), nil
}
