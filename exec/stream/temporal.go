package stream

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// TemporalFilter maintains a temporal filter, the conjunct
//
//	col > now() - INTERVAL '1 hour'     (or >=)
//
// of a materialized view: a row passes while its time column is above the
// bound, a monotone function of the current time, and leaves the view when
// the bound reaches it. The operator keeps the rows it has passed (and not
// yet expired) ordered by time; Tick, which the engine calls periodically,
// emits a Delete for each row whose time the bound has reached and removes
// it from state, so rows expire exactly once, and after a restart too.
// Arriving rows that already fail the bound are not emitted; a delete of a
// row the operator does not hold (never passed, or already expired) is
// dropped.
//
// The bound never moves back: it is the largest value seen of the bound
// expression evaluated at the clock's time (SetClock; time.Now by
// default). Rows whose time column is NULL never pass. Watermarks are
// dropped: expirations delete old rows.
//
// State (table stateID):
//
//	stateID | vnode(row) | memcmp(col) | state.AppendRow(row) → uvarint count
//
// A tick scans, in each vnode, the keys below the bound.
type TemporalFilter struct {
	id     uint32
	ts     []types.T
	col    int
	strict bool
	bound  exec.Expr
	clock  func() time.Time
	last   types.Datum
	out    *output
	row    []types.Datum
	key    []byte
	val    []byte
	prefix []byte
}

// NewTemporalFilter returns the filter col > bound (col >= bound when not
// strict) over rows of types ts, with state table stateID. bound is an
// expression of now() (no columns) of col's physical type, non-decreasing
// in the current time, such as now() - INTERVAL '1 hour'.
func NewTemporalFilter(stateID uint32, ts []types.T, col int, strict bool, bound exec.Expr) *TemporalFilter {
	return &TemporalFilter{id: stateID, ts: ts, col: col, strict: strict, bound: bound, clock: time.Now,
		last: types.Null, out: newOutput(ts)}
}

// SetClock makes f read the current time from clock.
func (f *TemporalFilter) SetClock(clock func() time.Time) { f.clock = clock }

// Types implements Operator.
func (f *TemporalFilter) Types() []types.T { return f.ts }

// Bound returns the current bound: the bound expression at the clock's
// time, or a larger one used before.
func (f *TemporalFilter) Bound(ec *exec.EvalCtx) (types.Datum, error) {
	var ctx exec.EvalCtx
	if ec != nil {
		ctx = *ec
	}
	ctx.Now = f.clock()
	c := &exec.Chunk{N: 1}
	v, err := f.bound.Eval(&ctx, c)
	if err != nil {
		return types.Null, err
	}
	b := v.Get(0)
	if !b.Null && advances(f.ts[f.col], f.last, b) {
		f.last = b
	}
	return f.last, nil
}

// passes reports whether time value v is above bound b.
func (f *TemporalFilter) passes(v, b types.Datum) bool {
	if v.Null {
		return false
	}
	if b.Null {
		return true
	}
	c := types.Compare(f.ts[f.col], v, b)
	return c > 0 || (c == 0 && !f.strict)
}

// Push implements Operator.
func (f *TemporalFilter) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	b, err := f.Bound(ctx.EC)
	if err != nil {
		return err
	}
	f.out.start(emit)
	t := f.ts[f.col]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if !f.passes(c.Cols[f.col].Get(r), b) {
			continue
		}
		f.row = rowOf(c, r, f.row)
		f.key = state.AppendTablePrefix(f.key[:0], f.id, state.VNodeOf(state.HashDatums(f.ts, f.row)))
		f.key = state.AppendKey(f.key, t, f.row[f.col], false)
		f.key = state.AppendRow(f.key, f.ts, f.row)
		v, found, err := ctx.State.Get(f.key)
		if err != nil {
			return err
		}
		var cnt int64
		if found {
			x, m := binary.Uvarint(v)
			if m <= 0 {
				return corrupt("temporal filter count")
			}
			cnt = int64(x)
		}
		s := Sign(c, r)
		if cnt+s < 0 {
			continue // a delete of a row never passed
		}
		cnt += s
		if cnt == 0 {
			err = ctx.State.Delete(f.key)
		} else {
			f.val = binary.AppendUvarint(f.val[:0], uint64(cnt))
			err = ctx.State.Set(f.key, f.val)
		}
		if err != nil {
			return err
		}
		if err := f.out.add(f.row, opOf(s)); err != nil {
			return err
		}
	}
	return f.out.flush()
}

// Tick expires the rows the current bound has reached: each is emitted
// as a Delete (once per occurrence) and removed from state.
func (f *TemporalFilter) Tick(ctx *Ctx, emit func(*exec.Chunk) error) error {
	b, err := f.Bound(ctx.EC)
	if err != nil || b.Null {
		return err
	}
	t := f.ts[f.col]
	enc := state.AppendKey(nil, t, b, false)
	lower := state.TablePrefix(f.id)
	it, err := ctx.State.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return err
	}
	f.out.start(emit)
	ok := it.First()
	for ok {
		k := it.Key()
		_, vn, rest, good := state.DecodeTablePrefix(k)
		if !good {
			it.Close()
			return corrupt("temporal filter key")
		}
		// Expire keys below prefix | enc(bound) (through it, for >).
		f.prefix = append(state.AppendTablePrefix(f.prefix[:0], f.id, vn), enc...)
		if f.strict {
			f.prefix = state.PrefixEnd(f.prefix)
		}
		if bytes.Compare(k, f.prefix) >= 0 {
			if int(vn)+1 >= state.VNodeCount {
				break
			}
			ok = it.SeekGE(state.VNodePrefix(f.id, vn+1))
			continue
		}
		_, rowEnc, err := state.DecodeKey(rest, t, false)
		if err != nil {
			it.Close()
			return err
		}
		if f.row, err = state.DecodeRow(rowEnc, f.ts, f.row[:0]); err != nil {
			it.Close()
			return err
		}
		cnt, m := binary.Uvarint(it.Value())
		if m <= 0 {
			it.Close()
			return corrupt("temporal filter count")
		}
		for ; cnt > 0; cnt-- {
			if err := f.out.add(f.row, exec.OpDelete); err != nil {
				it.Close()
				return err
			}
		}
		if err := ctx.State.Delete(k); err != nil {
			it.Close()
			return err
		}
		ok = it.Next()
	}
	if err := it.Close(); err != nil {
		return err
	}
	return f.out.flush()
}
