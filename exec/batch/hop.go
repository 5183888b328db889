package batch

import (
	"context"
	"math"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// WindowStart returns the start of the window of size size (µs, > 0)
// containing timestamp ts (µs since 1970-01-01), windows being aligned to
// offset from the epoch: ts - ((ts - offset) mod size), the remainder taken
// in [0, size) (RisingWave's tumble_start). An infinite timestamp is an
// error (22008).
func WindowStart(ts, size, offset int64) (start int64, err error) {
	if !types.IsFiniteTimestamp(ts) {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range: an infinite timestamp has no window")
	}
	// ts and offset are far from the int64 limits for finite timestamps
	// and sane offsets; use the remainder of each to avoid overflow.
	rem := (ts%size - offset%size) % size
	if rem < 0 {
		rem += size
	}
	return ts - rem, nil
}

// WindowEnd returns start + size, or an error when that leaves the
// timestamp range.
func WindowEnd(start, size int64) (int64, error) {
	if start > math.MaxInt64-1-size {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range: window end after the largest timestamp")
	}
	return start + size, nil
}

// HopWindows calls f for each hopping window (start, end) containing ts,
// windows of size size starting every slide µs (size a multiple of slide),
// aligned to offset, in increasing order of start.
func HopWindows(ts, slide, size, offset int64, f func(start, end int64) error) error {
	last, err := WindowStart(ts, slide, offset)
	if err != nil {
		return err
	}
	n := size / slide
	for k := n - 1; k >= 0; k-- {
		s := last - k*slide
		e, err := WindowEnd(s, size)
		if err != nil {
			return err
		}
		if err := f(s, e); err != nil {
			return err
		}
	}
	return nil
}

// hop expands each input row into the hopping windows containing its time
// column: the output is the input's columns plus window_start and
// window_end (of the time column's type). Rows whose time is NULL are
// dropped. A tumbling window is a hop whose slide equals its size.
type hop struct {
	in                  exec.Operator
	col                 int
	slide, size, offset int64
	ts                  []types.T
	out                 *exec.Chunk

	cur   *exec.Chunk
	k     int   // next visible row of cur
	w     int64 // next window of row k
	inEOF bool
}

// NewHop returns a hop window operator over in's column col.
func NewHop(in exec.Operator, col int, slide, size, offset int64) exec.Operator {
	ts := append(append([]types.T(nil), in.Types()...), in.Types()[col], in.Types()[col])
	return &hop{in: in, col: col, slide: slide, size: size, offset: offset, ts: ts}
}

func (h *hop) Types() []types.T { return h.ts }

func (h *hop) Init(ctx context.Context) error {
	h.out = exec.NewChunk(h.ts)
	h.cur, h.k, h.w, h.inEOF = nil, 0, 0, false
	return h.in.Init(ctx)
}

func (h *hop) Close() error { return h.in.Close() }

func (h *hop) Next() (*exec.Chunk, error) {
	h.out.Reset()
	nin := len(h.ts) - 2
	n := h.size / h.slide
	for h.out.N < exec.DefaultChunkSize {
		if h.cur == nil || h.k >= h.cur.Len() {
			if h.inEOF {
				break
			}
			c, err := h.in.Next()
			if err != nil {
				return nil, err
			}
			if c == nil {
				// The last chunk is invalid once Next was called again.
				h.inEOF, h.cur = true, nil
				break
			}
			h.cur, h.k, h.w = c, 0, 0
			continue
		}
		r := h.cur.Row(h.k)
		tv := h.cur.Cols[h.col]
		if tv.Nulls.IsNull(r) {
			h.k++
			continue
		}
		last, err := WindowStart(tv.Int[r], h.slide, h.offset)
		if err != nil {
			return nil, err
		}
		for ; h.w < n && h.out.N < exec.DefaultChunkSize; h.w++ {
			s := last - (n-1-h.w)*h.slide
			e, err := WindowEnd(s, h.size)
			if err != nil {
				return nil, err
			}
			o := h.out.N
			for i := 0; i < nin; i++ {
				v := h.out.Cols[i]
				v.Resize(o + 1)
				v.CopyRow(o, h.cur.Cols[i], r)
			}
			h.out.Cols[nin].Append(types.Datum{I: s})
			h.out.Cols[nin+1].Append(types.Datum{I: e})
			h.out.N = o + 1
		}
		if h.w >= n {
			h.k++
			h.w = 0
		}
	}
	if h.out.N == 0 {
		return nil, nil
	}
	return h.out, nil
}
