package stream

import (
	"encoding/binary"
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// JoinKind is the kind of an incremental join.
type JoinKind uint8

// The join kinds. Semi and Anti output the left columns only.
const (
	Inner JoinKind = iota
	Left
	Right
	Full
	Semi
	Anti
)

// HashJoin is an incremental equi-join with an optional residual predicate.
//
// State (table stateID), one multiset per side (0 = left, 1 = right):
//
//	stateID | vnode(joinkey) | side byte | memcmp(joinkey) | state.AppendRow(row)
//	  → uvarint count ++ uvarint matches ++ state.AppendRow(row)
//
// vnode(joinkey) = state.VNodeOf(state.HashDatums(key types, key)), so both
// sides of one key live in the same vnode. The row part of the key is the
// exact value encoding, so rows that compare equal but print differently
// (1.5 and 1.50) stay apart and every emitted row can be retracted exactly.
// matches is maintained for the rows of preserved sides (the left of
// Left/Semi/Anti, the right of Right, both of Full): the number of rows of
// the other side (with multiplicity) that match it, key and residual.
//
// Update rule for a delta row r (sign s) on side p: scan the other side's
// rows with r's key; for each match b (count n) emit the joined row n times
// with sign s (inner and outer kinds); if the other side is preserved, add s
// to b's matches and, when they move between 0 and 1, retract or emit b's
// unmatched output (its NULL-extended row, or for semi/anti the row itself)
// n times. Then add s to r's count (storing r's matches) and, if side p is
// preserved, emit r's own unmatched output (NULL-extended or anti row when
// it has no match, semi row when it has one) with sign s. Rows with a NULL
// key never match; on an unpreserved side they are dropped.
//
// Both sides' key columns must encode alike in memcomparable form (the
// planner casts them to one type). Equality is that of the encodings: NULLs
// excepted, equal values join (1.5 = 1.50, -0 = 0, NaN = NaN), except that
// intervals of equal length but different fields ('1 mon', '30 days') do not.
type HashJoin struct {
	vnodeRange
	id        uint32
	ts        [2][]types.T
	keys      [2][]int
	kts       [2][]types.T
	kind      JoinKind
	residual  exec.Expr
	outTs     []types.T
	preserved [2]bool
	out       *output

	cand    *exec.Chunk
	cands   []joinCand
	row     []types.Datum
	keyD    []types.Datum
	keyEnc  []byte
	ownKey  []byte
	scratch []byte
	outRow  []types.Datum
	nulls   [2][]types.Datum

	// Watermarks (inner joins only, see OnWatermark): per side and key
	// position the latest watermark, and per key position the bound below
	// which state was deleted (Null: none).
	wms      [2][]types.Datum
	cleaned  []types.Datum
	hasClean bool
	dropped  int64
	// iv is the interval-join cleanup (SetIntervalBounds), nil if none.
	iv *intervalState
}

type joinCand struct {
	key     []byte
	cnt     int64
	matches int64
	rowEnc  []byte
	row     []types.Datum
}

// NewHashJoin returns an incremental join of a left input (types
// leftTypes) and a right input (rightTypes) on leftKeys[i] = rightKeys[i],
// with residual (over left ++ right columns, nil for none) as the rest of
// the ON condition. The output is left ++ right columns (NULL-extended for
// unmatched rows of outer joins), or the left columns for Semi and Anti
// (EXISTS / NOT EXISTS semantics; NOT IN's NULL handling is not supported).
func NewHashJoin(stateID uint32, leftTypes, rightTypes []types.T, leftKeys, rightKeys []int, kind JoinKind, residual exec.Expr) *HashJoin {
	h := &HashJoin{id: stateID, kind: kind, residual: residual}
	h.ts = [2][]types.T{leftTypes, rightTypes}
	h.keys = [2][]int{leftKeys, rightKeys}
	for p := 0; p < 2; p++ {
		for _, k := range h.keys[p] {
			h.kts[p] = append(h.kts[p], h.ts[p][k])
		}
		h.nulls[p] = make([]types.Datum, len(h.ts[p]))
		for i := range h.nulls[p] {
			h.nulls[p][i] = types.Null
		}
	}
	switch kind {
	case Left, Semi, Anti:
		h.preserved[0] = true
	case Right:
		h.preserved[1] = true
	case Full:
		h.preserved = [2]bool{true, true}
	}
	if kind == Semi || kind == Anti {
		h.outTs = leftTypes
	} else {
		h.outTs = append(append([]types.T{}, leftTypes...), rightTypes...)
	}
	h.out = newOutput(h.outTs)
	h.cand = exec.NewChunk(append(append([]types.T{}, leftTypes...), rightTypes...))
	return h
}

// Types implements Operator.
func (h *HashJoin) Types() []types.T { return h.outTs }

func (h *HashJoin) leftOnly() bool { return h.kind == Semi || h.kind == Anti }

// Push implements Operator: port 0 is the left input, 1 the right.
func (h *HashJoin) Push(ctx *Ctx, port int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if port != 0 && port != 1 {
		return fmt.Errorf("stream: join: bad port %d", port)
	}
	n := c.Len()
	if n == 0 {
		return nil
	}
	if h.iv != nil {
		h.iv.pushed += int64(n)
	}
	h.out.start(emit)
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if (h.hasClean && h.late(port, c, r)) || (h.iv != nil && h.lateInterval(port, c, r)) {
			h.dropped++
			continue
		}
		if err := h.pushRow(ctx, port, c, r, Sign(c, r)); err != nil {
			return err
		}
	}
	return h.out.flush()
}

func (h *HashJoin) pushRow(ctx *Ctx, p int, c *exec.Chunk, r int, s int64) error {
	st := ctx.State
	q := 1 - p
	h.row = rowOf(c, r, h.row)
	h.keyD = colsOf(c, r, h.keys[p], h.keyD)
	nullKey := false
	for _, d := range h.keyD {
		nullKey = nullKey || d.Null
	}
	if nullKey && !h.preserved[p] {
		return nil
	}
	vn := state.VNodeOf(state.HashDatums(h.kts[p], h.keyD))
	h.keyEnc = state.AppendKeys(h.keyEnc[:0], h.kts[p], h.keyD, nil)
	var mr int64
	if !nullKey {
		if err := h.scan(st, vn, q); err != nil {
			return err
		}
		matched, err := h.evalResidual(ctx, p)
		if err != nil {
			return err
		}
		for i := range h.cands {
			cd := &h.cands[i]
			if !matched[i] {
				continue
			}
			mr += cd.cnt
			if !h.leftOnly() {
				if err := h.emitPair(p, h.row, cd.row, cd.cnt, s); err != nil {
					return err
				}
			}
			if h.preserved[q] {
				nm := cd.matches + s
				if nm < 0 {
					return corrupt("join match count")
				}
				if (cd.matches == 0) != (nm == 0) {
					// Side q's row changes between unmatched and matched.
					if err := h.transition(q, cd.row, cd.cnt, nm > 0); err != nil {
						return err
					}
				}
				h.scratch = binary.AppendUvarint(h.scratch[:0], uint64(cd.cnt))
				h.scratch = binary.AppendUvarint(h.scratch, uint64(nm))
				h.scratch = append(h.scratch, cd.rowEnc...)
				if err := st.Set(cd.key, h.scratch); err != nil {
					return err
				}
			}
		}
	}
	// Update side p's own multiset.
	h.ownKey = h.sideKey(h.ownKey[:0], vn, p)
	rowStart := len(h.ownKey)
	h.ownKey = state.AppendRow(h.ownKey, h.ts[p], h.row)
	rowEnc := h.ownKey[rowStart:]
	v, found, err := st.Get(h.ownKey)
	if err != nil {
		return err
	}
	var cnt int64
	if found {
		x, k := binary.Uvarint(v)
		if k <= 0 {
			return corrupt("join count")
		}
		cnt = int64(x)
	}
	cnt += s
	switch {
	case cnt < 0:
		return negativeCount()
	case cnt == 0:
		err = st.Delete(h.ownKey)
	default:
		h.scratch = binary.AppendUvarint(h.scratch[:0], uint64(cnt))
		h.scratch = binary.AppendUvarint(h.scratch, uint64(mr))
		h.scratch = append(h.scratch, rowEnc...)
		err = st.Set(h.ownKey, h.scratch)
	}
	if err != nil {
		return err
	}
	if h.preserved[p] {
		return h.ownDelta(p, h.row, mr > 0, s)
	}
	return nil
}

// transition emits the change of the own output of n copies of a preserved
// side-q row whose match count moved between 0 and 1: a semi row appears
// (disappears) when it becomes matched (unmatched); an anti or
// NULL-extended row does the opposite.
func (h *HashJoin) transition(q int, row []types.Datum, n int64, nowMatched bool) error {
	s := int64(1)
	if !nowMatched {
		s = -1
	}
	if h.kind == Semi {
		return h.emitRows(row, n, s)
	}
	return h.emitUnmatched(q, row, n, -s)
}

// ownDelta emits the own output of a preserved side-p row arriving (s = 1)
// or leaving (s = -1) with the given match state.
func (h *HashJoin) ownDelta(p int, row []types.Datum, matched bool, s int64) error {
	if h.kind == Semi {
		if matched {
			return h.emitRows(row, 1, s)
		}
		return nil
	}
	if matched {
		return nil
	}
	return h.emitUnmatched(p, row, 1, s)
}

// emitUnmatched emits the unmatched output of a side-p row: the anti row or
// the NULL-extended row.
func (h *HashJoin) emitUnmatched(p int, row []types.Datum, n, s int64) error {
	if h.kind == Anti {
		return h.emitRows(row, n, s)
	}
	if p == 0 {
		return h.emitPair(0, row, h.nulls[1], n, s)
	}
	return h.emitPair(1, row, h.nulls[0], n, s)
}

func (h *HashJoin) emitRows(row []types.Datum, n, s int64) error {
	for ; n > 0; n-- {
		if err := h.out.add(row, opOf(s)); err != nil {
			return err
		}
	}
	return nil
}

// emitPair emits n copies of the joined row of a side-p row and a row of the
// other side.
func (h *HashJoin) emitPair(p int, row, other []types.Datum, n, s int64) error {
	l, r := row, other
	if p == 1 {
		l, r = other, row
	}
	h.outRow = append(append(h.outRow[:0], l...), r...)
	return h.emitRows(h.outRow, n, s)
}

func (h *HashJoin) sideKey(buf []byte, vn uint16, side int) []byte {
	buf = state.AppendTablePrefix(buf, h.id, vn)
	buf = append(buf, byte(side))
	return append(buf, h.keyEnc...)
}

// scan loads side q's rows with the current key into h.cands.
func (h *HashJoin) scan(st State, vn uint16, q int) error {
	h.cands = h.cands[:0]
	lower := h.sideKey(nil, vn, q)
	it, err := st.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		cnt, k1 := binary.Uvarint(v)
		if k1 <= 0 {
			it.Close()
			return corrupt("join count")
		}
		m, k2 := binary.Uvarint(v[k1:])
		if k2 <= 0 {
			it.Close()
			return corrupt("join matches")
		}
		enc := append([]byte(nil), v[k1+k2:]...)
		row, err := state.DecodeRow(enc, h.ts[q], nil)
		if err != nil {
			it.Close()
			return err
		}
		h.cands = append(h.cands, joinCand{key: append([]byte(nil), it.Key()...),
			cnt: int64(cnt), matches: int64(m), rowEnc: enc, row: row})
	}
	return it.Close()
}

// evalResidual reports which candidates match the current side-p row.
func (h *HashJoin) evalResidual(ctx *Ctx, p int) ([]bool, error) {
	res := make([]bool, len(h.cands))
	if h.residual == nil {
		for i := range res {
			res[i] = true
		}
		return res, nil
	}
	if len(h.cands) == 0 {
		return res, nil
	}
	h.cand.Reset()
	for i := range h.cands {
		h.emitPairRow(p, h.row, h.cands[i].row)
		h.cand.AppendDatums(h.outRow)
	}
	v, err := h.residual.Eval(ctx.EC, h.cand)
	if err != nil {
		return nil, err
	}
	if v.Typ.Family.Physical() != types.PhysBool {
		return res, nil
	}
	for i := range res {
		res[i] = v.Bool[i] && !v.Nulls.IsNull(i)
	}
	return res, nil
}

func (h *HashJoin) emitPairRow(p int, row, other []types.Datum) {
	l, r := row, other
	if p == 1 {
		l, r = other, row
	}
	h.outRow = append(append(h.outRow[:0], l...), r...)
}
