package stream

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Distinct is an incremental SELECT DISTINCT: it counts each row and emits
// an Insert when a row's count goes 0→1 and a Delete when it goes 1→0.
// Rows are distinct as in the batch Distinct (NULLs equal, 1.5 = 1.50, any
// NaNs equal); the row emitted is the first representation stored.
//
// State (table stateID):
//
//	stateID | vnode(row) | memcmp(row) → uvarint count ++ state.AppendRow(row)
type Distinct struct {
	id      uint32
	ts      []types.T
	out     *output
	row     []types.Datum
	key     []byte
	scratch []byte
	old     []byte
}

// NewDistinct returns a Distinct over rows of types ts.
func NewDistinct(stateID uint32, ts []types.T) *Distinct {
	return &Distinct{id: stateID, ts: ts, out: newOutput(ts)}
}

// Types implements Operator.
func (d *Distinct) Types() []types.T { return d.ts }

// Push implements Operator.
func (d *Distinct) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	d.out.start(emit)
	for k := 0; k < n; k++ {
		r := c.Row(k)
		d.row = rowOf(c, r, d.row)
		d.key = rowKey(d.key[:0], d.id, d.ts, d.row)
		before, after, old, err := addCountOld(ctx.State, d.key, Sign(c, r), d.ts, d.row, &d.scratch, &d.old)
		if err != nil {
			return err
		}
		switch {
		case before == 0 && after > 0:
			err = d.out.add(d.row, exec.OpInsert)
		case before > 0 && after == 0:
			// Retract the representation that was inserted.
			var stored []types.Datum
			if stored, err = decodeRowInto(old, d.ts, d.row); err == nil {
				d.row = stored
				err = d.out.add(d.row, exec.OpDelete)
			}
		}
		if err != nil {
			return err
		}
	}
	return d.out.flush()
}
