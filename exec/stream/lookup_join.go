package stream

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// LookupJoin is a temporal join (RisingWave's JOIN t FOR SYSTEM_TIME AS OF
// PROCTIME()): each row arriving on its only input (the left side) is
// joined with the row of table t whose primary key equals the row's key
// expressions, as t is at that moment: its committed rows plus the writes
// of the batch being built. Changes to t itself are not an input: they
// neither retract nor update earlier output.
//
// The output is the left columns followed by t's columns. An inner join
// emits nothing for a left row without a match (no row with that key, a
// NULL key, or a residual that is not true); a left join emits the row
// NULL-extended.
//
// A left input that only inserts needs no state. For a left input that
// also deletes (SetRetractable), the operator remembers what each left row
// produced, so that its delete retracts exactly that, whatever t holds by
// then:
//
//	stateID | vnode(left row) | AppendRow(left row) | 0                       → uvarint count
//	stateID | vnode(left row) | AppendRow(left row) | 1 | AppendRow(t's row)  → uvarint count
//
// (0: the row produced nothing, or its NULL extension for a left join, 1:
// it joined with that row of t). Copies of one left row are
// interchangeable: a delete retracts the output of any one of them.
type LookupJoin struct {
	lt, rt   []types.T
	keys     []exec.Expr
	tableID  uint32
	pkTypes  []types.T
	left     bool
	residual exec.Expr
	stateID  uint32
	outTs    []types.T
	out      *output

	cache   map[string]lookupResult
	key     []byte
	keyVals []types.Datum
	row     []types.Datum
	outRow  []types.Datum
	nulls   []types.Datum
	cand    *exec.Chunk
	sk      []byte
	scratch []byte
}

type lookupResult struct {
	row   []types.Datum
	found bool
}

// NewLookupJoin returns a lookup join of a left input of types leftTypes
// with table tableID (column types rightTypes, primary-key types pkTypes).
// keys compute, over the left input, the primary-key values to look up
// (typed like pkTypes); residual (over left ++ table columns, nil for
// none) must also hold for a match. left selects a LEFT join.
func NewLookupJoin(leftTypes, rightTypes []types.T, keys []exec.Expr, tableID uint32, pkTypes []types.T, left bool, residual exec.Expr) *LookupJoin {
	j := &LookupJoin{lt: leftTypes, rt: rightTypes, keys: keys, tableID: tableID, pkTypes: pkTypes, left: left, residual: residual}
	j.outTs = append(append([]types.T(nil), leftTypes...), rightTypes...)
	j.out = newOutput(j.outTs)
	j.cand = exec.NewChunk(j.outTs)
	j.nulls = make([]types.Datum, len(rightTypes))
	for i := range j.nulls {
		j.nulls[i] = types.Null
	}
	return j
}

// SetRetractable makes the join accept deletes on its input, keeping what
// each left row produced in state table stateID.
func (j *LookupJoin) SetRetractable(stateID uint32) { j.stateID = stateID }

// Types implements Operator.
func (j *LookupJoin) Types() []types.T { return j.outTs }

// OnWatermark implements WatermarkHandler: the left columns keep their
// positions, so a watermark on one holds on the output too.
func (j *LookupJoin) OnWatermark(_ *Ctx, port int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if port != 0 {
		return nil, fmt.Errorf("stream: lookup join: bad port %d", port)
	}
	return []Watermark{w}, nil
}

// batchOf returns the batch behind st, read directly so that the table's
// rows never enter the operators' state cache (the table is written
// elsewhere, bypassing it).
func batchOf(st State) *state.Batch {
	switch s := st.(type) {
	case interface{ Batch() *state.Batch }:
		return s.Batch()
	case *BatchState:
		return s.B
	}
	return nil
}

// lookup returns the table's row with primary key vals (nil if none).
func (j *LookupJoin) lookup(ctx *Ctx, vals []types.Datum) ([]types.Datum, error) {
	for i, v := range vals {
		if v.Null || !fitsKey(v, j.pkTypes[i]) {
			return nil, nil
		}
	}
	j.key = tables.PKKey(j.key[:0], j.tableID, j.pkTypes, vals)
	if r, ok := j.cache[string(j.key)]; ok {
		return r.row, nil
	}
	var row []types.Datum
	var err error
	if b := batchOf(ctx.State); b != nil {
		v, closer, found, gerr := b.Get(j.key)
		if gerr != nil {
			return nil, gerr
		}
		if found {
			row, err = state.DecodeRowCopy(v, j.rt, nil)
			if cerr := closer.Close(); err == nil {
				err = cerr
			}
		}
	} else {
		v, found, gerr := ctx.State.Get(j.key)
		if gerr != nil {
			return nil, gerr
		}
		if found {
			row, err = state.DecodeRowCopy(v, j.rt, nil)
		}
	}
	if err != nil {
		return nil, err
	}
	j.cache[string(j.key)] = lookupResult{row: row, found: row != nil}
	return row, nil
}

// Push implements Operator.
func (j *LookupJoin) Push(ctx *Ctx, port int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if port != 0 {
		return fmt.Errorf("stream: lookup join: bad port %d", port)
	}
	n := c.Len()
	if n == 0 {
		return nil
	}
	// Reads within one Push see the same table: the batch is not written
	// while the view runs.
	j.cache = make(map[string]lookupResult)
	keyVecs := make([]*exec.Vec, len(j.keys))
	for k, e := range j.keys {
		v, err := e.Eval(ctx.EC, c)
		if err != nil {
			return err
		}
		keyVecs[k] = v
	}
	// Pass 1: look up the inserted rows and test the residual on the
	// candidates.
	match := make([][]types.Datum, n)
	candOf := make([]int, n)
	j.cand.Reset()
	for i := 0; i < n; i++ {
		pr := c.Row(i)
		candOf[i] = -1
		if Sign(c, pr) < 0 {
			continue
		}
		j.keyVals = j.keyVals[:0]
		for _, v := range keyVecs {
			j.keyVals = append(j.keyVals, v.Get(pr))
		}
		r, err := j.lookup(ctx, j.keyVals)
		if err != nil {
			return err
		}
		if r == nil {
			continue
		}
		match[i] = r
		if j.residual != nil {
			j.row = rowOf(c, pr, j.row)
			j.outRow = append(append(j.outRow[:0], j.row...), r...)
			candOf[i] = j.cand.N
			j.cand.AppendDatums(j.outRow)
		}
	}
	if j.residual != nil && j.cand.N > 0 {
		v, err := j.residual.Eval(ctx.EC, j.cand)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if k := candOf[i]; k >= 0 && (v.Typ.Family.Physical() != types.PhysBool || !v.Bool[k] || v.Nulls.IsNull(k)) {
				match[i] = nil
			}
		}
	}
	// Pass 2: emit in input order.
	j.out.start(emit)
	for i := 0; i < n; i++ {
		pr := c.Row(i)
		j.row = rowOf(c, pr, j.row)
		if Sign(c, pr) < 0 {
			if err := j.retract(ctx, j.row); err != nil {
				return err
			}
			continue
		}
		r := match[i]
		if j.stateID != 0 {
			if err := j.remember(ctx, j.row, r); err != nil {
				return err
			}
		}
		if r == nil && !j.left {
			continue
		}
		if r == nil {
			r = j.nulls
		}
		j.outRow = append(append(j.outRow[:0], j.row...), r...)
		if err := j.out.add(j.outRow, exec.OpInsert); err != nil {
			return err
		}
	}
	return j.out.flush()
}

// stateKey appends the state key of left row l, followed by what it
// produced (r, nil for nothing) unless prefixOnly.
func (j *LookupJoin) stateKey(buf []byte, l, r []types.Datum, prefixOnly bool) []byte {
	buf = state.AppendTablePrefix(buf, j.stateID, state.VNodeOf(state.HashDatums(j.lt, l)))
	buf = state.AppendRow(buf, j.lt, l)
	if prefixOnly {
		return buf
	}
	if r == nil {
		return append(buf, 0)
	}
	return state.AppendRow(append(buf, 1), j.rt, r)
}

// remember records that left row l produced r (nil: no match).
func (j *LookupJoin) remember(ctx *Ctx, l, r []types.Datum) error {
	j.sk = j.stateKey(j.sk[:0], l, r, false)
	v, found, err := ctx.State.Get(j.sk)
	if err != nil {
		return err
	}
	var n uint64
	if found {
		var k int
		if n, k = binary.Uvarint(v); k <= 0 {
			return corrupt("lookup join count")
		}
	}
	j.scratch = binary.AppendUvarint(j.scratch[:0], n+1)
	return ctx.State.Set(j.sk, j.scratch)
}

// retract emits the deletes of what one copy of left row l produced and
// forgets it.
func (j *LookupJoin) retract(ctx *Ctx, l []types.Datum) error {
	if j.stateID == 0 {
		return types.Errorf(types.CodeInternal, "stream: lookup join: delete on an append-only input")
	}
	j.sk = j.stateKey(j.sk[:0], l, nil, true)
	it, err := ctx.State.NewIter(j.sk, state.PrefixEnd(j.sk))
	if err != nil {
		return err
	}
	if !it.First() {
		err := it.Error()
		it.Close()
		if err != nil {
			return err
		}
		return negativeCount()
	}
	key := append([]byte(nil), it.Key()...)
	n, k := binary.Uvarint(it.Value())
	err = it.Error()
	it.Close()
	if err != nil {
		return err
	}
	if k <= 0 || n == 0 || len(key) <= len(j.sk) {
		return corrupt("lookup join entry")
	}
	if n == 1 {
		err = ctx.State.Delete(key)
	} else {
		j.scratch = binary.AppendUvarint(j.scratch[:0], n-1)
		err = ctx.State.Set(key, j.scratch)
	}
	if err != nil {
		return err
	}
	rest := key[len(j.sk):]
	var r []types.Datum
	if rest[0] == 1 {
		if r, err = state.DecodeRowCopy(rest[1:], j.rt, nil); err != nil {
			return err
		}
	} else if j.left {
		r = j.nulls
	} else {
		return nil
	}
	j.outRow = append(append(j.outRow[:0], l...), r...)
	return j.out.add(j.outRow, exec.OpDelete)
}

// fitsKey reports whether integer key value d lies in the range of key
// type t (the planner lets a wider left value look up a narrower integer
// key column).
func fitsKey(d types.Datum, t types.T) bool {
	switch t.Family {
	case types.Int16:
		return d.I >= math.MinInt16 && d.I <= math.MaxInt16
	case types.Int32:
		return d.I >= math.MinInt32 && d.I <= math.MaxInt32
	}
	return true
}
