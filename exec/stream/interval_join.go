package stream

import (
	"encoding/binary"
	"math"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// IntervalBounds describes an interval join: the join's residual condition
// implies
//
//	left[LeftCol] >= right[RightCol] + Lo   (when HasLo)
//	left[LeftCol] <= right[RightCol] + Hi   (when HasHi)
//
// for every matching pair, e.g. a.ts BETWEEN b.ts - INTERVAL '10' SECOND AND
// b.ts gives Lo = -10 s, Hi = 0. Both columns are timestamps (Lo and Hi in
// microseconds), dates (days) or integers, of the same family; strict
// comparisons may be described by their non-strict bound.
type IntervalBounds struct {
	LeftCol, RightCol int
	Lo, Hi            int64
	HasLo, HasHi      bool
}

// intervalState is an inner HashJoin's interval-join cleanup (see
// SetIntervalBounds).
type intervalState struct {
	b   IntervalBounds
	col [2]int
	t   [2]types.T
	// wm is each side's latest watermark on its time column; bound is, per
	// side, the value below which a stored row can neither match a future
	// row of the other side nor be touched by a future row of its own
	// (Null: none yet).
	wm, bound [2]types.Datum
	// Physical deletion is amortised: the state is scanned only once the
	// rows pushed since the last scan reach half of the rows it kept.
	pushed, kept int64
	row          []types.Datum
}

// SetIntervalBounds makes an inner join clean its state by watermarks on
// the two time columns of an interval condition (see IntervalBounds). With
// W_L and W_R the latest watermarks on the left and right time columns, no
// future right row has rtime < W_R, so it can only match left rows with
// ltime >= W_R + Lo; and no future left row has ltime < W_L. Stored left
// rows with ltime < min(W_L, W_R + Lo) are therefore unreachable: they are
// deleted, and later left rows below that bound (which would break the
// watermark) are dropped. Symmetrically, right rows with rtime < min(W_R,
// W_L - Hi) are. Every output row pairs rows at or above those bounds, so
// they hold as watermarks on the output's two time columns. Rows already
// emitted stay in the view. Other join kinds ignore the bounds (their
// NULL-extended rows depend on every stored row).
func (h *HashJoin) SetIntervalBounds(b IntervalBounds) {
	if h.kind != Inner || (!b.HasLo && !b.HasHi) {
		return
	}
	iv := &intervalState{b: b, col: [2]int{b.LeftCol, b.RightCol}}
	iv.t = [2]types.T{h.ts[0][b.LeftCol], h.ts[1][b.RightCol]}
	iv.wm = [2]types.Datum{types.Null, types.Null}
	iv.bound = [2]types.Datum{types.Null, types.Null}
	h.iv = iv
}

// IntervalBounds returns the bounds set by SetIntervalBounds, if any took
// effect.
func (h *HashJoin) IntervalBounds() (IntervalBounds, bool) {
	if h.iv == nil {
		return IntervalBounds{}, false
	}
	return h.iv.b, true
}

// lateInterval reports whether physical row r of c, on side p, lies below
// that side's cleanup bound.
func (h *HashJoin) lateInterval(p int, c *exec.Chunk, r int) bool {
	iv := h.iv
	return below(iv.t[p], c.Cols[iv.col[p]].Get(r), iv.bound[p])
}

// addOffset returns v + k for a timestamp, date or integer datum,
// saturating, and leaving infinite timestamps and dates as they are.
func addOffset(t types.T, v types.Datum, k int64) types.Datum {
	switch t.Family {
	case types.Timestamp, types.Timestamptz:
		if !types.IsFiniteTimestamp(v.I) {
			return v
		}
	case types.Date:
		if !types.IsFiniteDate(v.I) {
			return v
		}
	}
	s := v.I + k
	if (k > 0 && s < v.I) || (k < 0 && s > v.I) {
		if k > 0 {
			s = math.MaxInt64
		} else {
			s = math.MinInt64
		}
	}
	return types.Datum{I: s}
}

func minDatum(t types.T, a, b types.Datum) types.Datum {
	if types.Compare(t, a, b) <= 0 {
		return a
	}
	return b
}

// intervalWatermark handles watermark w on port p for the interval cleanup:
// it updates the bounds, deletes unreachable state (amortised), and returns
// the output watermarks that advanced.
func (h *HashJoin) intervalWatermark(ctx *Ctx, p int, w Watermark) ([]Watermark, error) {
	iv := h.iv
	if w.Col != iv.col[p] || !advances(iv.t[p], iv.wm[p], w.Val) {
		return nil, nil
	}
	iv.wm[p] = copyDatum(w.Val)
	if iv.wm[0].Null || iv.wm[1].Null {
		return nil, nil
	}
	var out []Watermark
	moved := false
	if iv.b.HasLo {
		nb := minDatum(iv.t[0], iv.wm[0], addOffset(iv.t[0], iv.wm[1], iv.b.Lo))
		if advances(iv.t[0], iv.bound[0], nb) {
			iv.bound[0], moved = nb, true
			out = append(out, Watermark{Col: iv.col[0], Val: nb})
		}
	}
	if iv.b.HasHi {
		nb := iv.wm[1]
		if iv.b.Hi != math.MinInt64 {
			nb = minDatum(iv.t[1], nb, addOffset(iv.t[1], iv.wm[0], -iv.b.Hi))
		}
		if advances(iv.t[1], iv.bound[1], nb) {
			iv.bound[1], moved = nb, true
			out = append(out, Watermark{Col: len(h.ts[0]) + iv.col[1], Val: nb})
		}
	}
	if moved && iv.pushed > 0 && 2*iv.pushed >= iv.kept {
		if err := h.cleanInterval(ctx.State); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cleanInterval deletes the stored rows of either side below that side's
// bound, in one pass over the state table.
func (h *HashJoin) cleanInterval(st State) error {
	iv := h.iv
	it, err := st.NewIter(h.bounds(h.id))
	if err != nil {
		return err
	}
	var kept int64
	for ok := it.First(); ok; ok = it.Next() {
		_, _, rest, good := state.DecodeTablePrefix(it.Key())
		if !good || len(rest) == 0 || rest[0] > 1 {
			it.Close()
			return corrupt("join key")
		}
		side := int(rest[0])
		if iv.bound[side].Null {
			kept++
			continue
		}
		v := it.Value()
		_, k1 := binary.Uvarint(v)
		if k1 <= 0 {
			it.Close()
			return corrupt("join count")
		}
		_, k2 := binary.Uvarint(v[k1:])
		if k2 <= 0 {
			it.Close()
			return corrupt("join matches")
		}
		if iv.row, err = state.DecodeRow(v[k1+k2:], h.ts[side], iv.row[:0]); err != nil {
			it.Close()
			return err
		}
		if below(iv.t[side], iv.row[iv.col[side]], iv.bound[side]) {
			if err := st.Delete(it.Key()); err != nil {
				it.Close()
				return err
			}
			continue
		}
		kept++
	}
	iv.pushed, iv.kept = 0, kept
	return it.Close()
}
