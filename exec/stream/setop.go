package stream

import (
	"encoding/binary"
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// SetOpKind is the set operation a SetOp maintains.
type SetOpKind uint8

// The set operations SetOp maintains (UNION is a UnionAll, followed by a
// Distinct without ALL).
const (
	Intersect SetOpKind = iota
	Except
)

// String returns the SQL keyword.
func (k SetOpKind) String() string {
	if k == Except {
		return "EXCEPT"
	}
	return "INTERSECT"
}

// SetOp is an incremental left INTERSECT [ALL] / EXCEPT [ALL] right with
// the batch engine's (PostgreSQL's) semantics: rows are compared as in
// DISTINCT (NULLs equal, 1.5 = 1.50), and a row occurring l times on the
// left and r times on the right occurs in the output
//
//	INTERSECT      1 if l > 0 and r > 0, else 0
//	INTERSECT ALL  min(l, r)
//	EXCEPT         1 if l > 0 and r = 0, else 0
//	EXCEPT ALL     max(l - r, 0)
//
// times. The operator keeps l and r per distinct row and, for each delta
// row, emits the change of that row's output multiplicity. Each of the four
// functions moves by at most one when l or r does, so a delta row yields at
// most one output row, and the state per row is two counters: unlike a
// tag-and-aggregate plan, no row-multiplying step is needed.
//
// The output only has rows when l > 0, and the row emitted is the left
// input's representation (as the batch operator, which emits left rows):
// the stored row is replaced by the left one whenever l goes from 0 to 1,
// which is when no output carries the old one. Retractions use the stored
// row, so they always match what was emitted.
//
// State (table stateID):
//
//	stateID | vnode(row) | memcmp(row) → uvarint l ++ uvarint r ++ state.AppendRow(row)
type SetOp struct {
	id   uint32
	ts   []types.T
	kind SetOpKind
	all  bool
	out  *output

	row     []types.Datum
	key     []byte
	scratch []byte
	old     []byte
	rowEnc  []byte
}

// NewSetOp returns left kind [ALL] right over two inputs (port 0 = left,
// 1 = right) whose columns have types ts (the planner casts both sides to
// one type per column).
func NewSetOp(stateID uint32, ts []types.T, kind SetOpKind, all bool) *SetOp {
	return &SetOp{id: stateID, ts: ts, kind: kind, all: all, out: newOutput(ts)}
}

// Types implements Operator.
func (s *SetOp) Types() []types.T { return s.ts }

// mult is the output multiplicity of a row occurring l times on the left
// and r times on the right.
func (s *SetOp) mult(l, r int64) int64 {
	switch {
	case s.kind == Intersect && s.all:
		return min(l, r)
	case s.kind == Intersect:
		if l > 0 && r > 0 {
			return 1
		}
	case s.all:
		return max(l-r, 0)
	default:
		if l > 0 && r == 0 {
			return 1
		}
	}
	return 0
}

// Push implements Operator: port 0 is the left input, 1 the right.
func (s *SetOp) Push(ctx *Ctx, port int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if port != 0 && port != 1 {
		return fmt.Errorf("stream: %s: bad port %d", s.kind, port)
	}
	n := c.Len()
	if n == 0 {
		return nil
	}
	s.out.start(emit)
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if err := s.pushRow(ctx.State, port, c, r, Sign(c, r)); err != nil {
			return err
		}
	}
	return s.out.flush()
}

func (s *SetOp) pushRow(st State, port int, c *exec.Chunk, r int, sign int64) error {
	s.row = rowOf(c, r, s.row)
	s.key = rowKey(s.key[:0], s.id, s.ts, s.row)
	v, found, err := st.Get(s.key)
	if err != nil {
		return err
	}
	var cnt [2]int64
	s.old = s.old[:0]
	if found {
		rest := v
		for i := range cnt {
			x, w := binary.Uvarint(rest)
			if w <= 0 {
				return corrupt("bad set operation count")
			}
			cnt[i], rest = int64(x), rest[w:]
		}
		// Copy: the value is only valid until the next State call.
		s.old = append(s.old, rest...)
	}
	before := s.mult(cnt[0], cnt[1])
	prevLeft := cnt[0]
	cnt[port] += sign
	if cnt[port] < 0 {
		return negativeCount()
	}
	after := s.mult(cnt[0], cnt[1])
	// The stored representation: the left row's when the left count
	// leaves 0 (nothing emitted carries the old one), else the first one.
	s.rowEnc = s.rowEnc[:0]
	if !found || (port == 0 && prevLeft == 0 && cnt[0] > 0) {
		s.rowEnc = state.AppendRow(s.rowEnc, s.ts, s.row)
	} else {
		s.rowEnc = append(s.rowEnc, s.old...)
	}
	if cnt[0] == 0 && cnt[1] == 0 {
		if found {
			err = st.Delete(s.key)
		}
	} else {
		b := binary.AppendUvarint(s.scratch[:0], uint64(cnt[0]))
		b = binary.AppendUvarint(b, uint64(cnt[1]))
		b = append(b, s.rowEnc...)
		s.scratch = b
		err = st.Set(s.key, b)
	}
	if err != nil || after == before {
		return err
	}
	// Inserts carry the (possibly new) stored row; retractions the row
	// stored before, which is what the earlier inserts carried.
	enc, op, times := s.rowEnc, exec.OpInsert, after-before
	if after < before {
		enc, op, times = s.old, exec.OpDelete, before-after
	}
	out, err := decodeRowInto(enc, s.ts, s.row)
	if err != nil {
		return err
	}
	s.row = out
	for ; times > 0; times-- {
		if err := s.out.add(out, op); err != nil {
			return err
		}
	}
	return nil
}
