package stream

import (
	"encoding/binary"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// State is the key-value store operators keep their state in: normally the
// statement's indexed Pebble batch, whose reads see its own writes. Keys are
// built as state.VNodePrefix(tableID, vnode) followed by a memcomparable key.
type State interface {
	// Get looks key up. The value is valid until the next call on the State.
	Get(key []byte) (value []byte, found bool, err error)
	// Set writes key → value; both slices may be reused after Set returns.
	Set(key, value []byte) error
	// Delete removes key.
	Delete(key []byte) error
	// NewIter returns an iterator over [lower, upper). It sees the writes
	// made before the call, not later ones.
	NewIter(lower, upper []byte) (*state.Iter, error)
}

// Ctx is what Push needs besides its input: the evaluation context of
// expressions and the state store.
type Ctx struct {
	EC    *exec.EvalCtx
	State State
}

// Operator is a push-based incremental operator with one or more inputs.
type Operator interface {
	// Types returns the output column types.
	Types() []types.T
	// Push processes delta c arriving on input port (0 for single-input
	// operators; 0 = left, 1 = right for joins) and sends the resulting
	// output deltas to emit (possibly several calls, possibly none). c is
	// only valid during the call; emit's chunk only during the emit call.
	// Output chunks carry only OpInsert and OpDelete.
	Push(ctx *Ctx, port int, c *exec.Chunk, emit func(*exec.Chunk) error) error
}

// BatchState adapts an indexed state.Batch (state.Store.NewBatch) to State.
type BatchState struct {
	B   *state.Batch
	buf []byte
}

// NewBatchState returns a State reading and writing b.
func NewBatchState(b *state.Batch) *BatchState { return &BatchState{B: b} }

// Get implements State; the value is a copy valid until the next Get.
func (s *BatchState) Get(key []byte) ([]byte, bool, error) {
	v, c, found, err := s.B.Get(key)
	if err != nil || !found {
		return nil, false, err
	}
	s.buf = append(s.buf[:0], v...)
	return s.buf, true, c.Close()
}

// Set implements State.
func (s *BatchState) Set(key, value []byte) error { return s.B.Set(key, value) }

// Delete implements State.
func (s *BatchState) Delete(key []byte) error { return s.B.Delete(key) }

// NewIter implements State.
func (s *BatchState) NewIter(lower, upper []byte) (*state.Iter, error) {
	return s.B.NewIter(lower, upper)
}

// Sign returns the multiplicity change of physical row r of delta c: +1 for
// OpInsert and OpUpdateInsert (or when c.Ops is nil), -1 for OpDelete and
// OpUpdateDelete.
func Sign(c *exec.Chunk, r int) int64 {
	if c.Ops == nil {
		return 1
	}
	switch c.Ops[r] {
	case exec.OpDelete, exec.OpUpdateDelete:
		return -1
	}
	return 1
}

func opOf(sign int64) exec.Op {
	if sign < 0 {
		return exec.OpDelete
	}
	return exec.OpInsert
}

// normOps returns the ops of c normalised to OpInsert/OpDelete (nil if c has
// only inserts), reusing buf.
func normOps(c *exec.Chunk, buf []exec.Op) []exec.Op {
	if c.Ops == nil {
		return nil
	}
	buf = append(buf[:0], c.Ops...)
	for i, op := range buf {
		switch op {
		case exec.OpUpdateDelete:
			buf[i] = exec.OpDelete
		case exec.OpUpdateInsert:
			buf[i] = exec.OpInsert
		}
	}
	return buf
}

// streamChunkRows is the size of the chunks stream operators emit. It is
// larger than batch chunks: an aggregation folds the changes of one chunk
// to a group into one retraction and one insert, so bigger chunks mean
// fewer changes downstream (the mini-batch of Flink and RisingWave).
const streamChunkRows = 16 * exec.DefaultChunkSize

// output accumulates output rows into chunks of at most
// exec.DefaultChunkSize rows and emits them.
type output struct {
	ts   []types.T
	c    *exec.Chunk
	ops  []exec.Op
	emit func(*exec.Chunk) error
}

func newOutput(ts []types.T) *output { return &output{ts: ts} }

// start prepares for a new Push.
func (o *output) start(emit func(*exec.Chunk) error) {
	o.emit = emit
	if o.c == nil {
		o.c = exec.NewChunk(o.ts)
	}
	o.c.Reset()
	o.ops = o.ops[:0]
}

// add appends row with op (its bytes are copied).
func (o *output) add(row []types.Datum, op exec.Op) error {
	for i, v := range o.c.Cols {
		d := row[i]
		if d.S != nil && !d.Null {
			d.S = append([]byte{}, d.S...)
		}
		v.Append(d)
	}
	o.c.N++
	o.ops = append(o.ops, op)
	if o.c.N >= streamChunkRows {
		return o.flush()
	}
	return nil
}

// flush emits the pending rows, if any.
func (o *output) flush() error {
	if o.c.N == 0 {
		return nil
	}
	o.c.Ops = o.ops
	err := o.emit(o.c)
	o.c.Reset()
	o.ops = o.ops[:0]
	return err
}

// rowOf returns physical row r of c as datums into dst (bytes alias c).
func rowOf(c *exec.Chunk, r int, dst []types.Datum) []types.Datum {
	dst = dst[:0]
	for _, v := range c.Cols {
		dst = append(dst, v.Get(r))
	}
	return dst
}

// colsOf returns columns cols of physical row r of c into dst.
func colsOf(c *exec.Chunk, r int, cols []int, dst []types.Datum) []types.Datum {
	dst = dst[:0]
	for _, k := range cols {
		dst = append(dst, c.Cols[k].Get(r))
	}
	return dst
}

// rowKey appends stateID | vnode(HashDatums(row)) | memcomparable(row) to buf.
func rowKey(buf []byte, id uint32, ts []types.T, row []types.Datum) []byte {
	buf = state.AppendTablePrefix(buf, id, state.VNodeOf(state.HashDatums(ts, row)))
	return state.AppendKeys(buf, ts, row, nil)
}

// Counted values: uvarint count followed by state.AppendRow of the row (the
// row is kept in the value because memcomparable keys normalise some values,
// e.g. 1.50 → 1.5).

func appendCounted(buf []byte, n int64, ts []types.T, row []types.Datum) []byte {
	buf = binary.AppendUvarint(buf, uint64(n))
	return state.AppendRow(buf, ts, row)
}

func decodeCount(v []byte) (int64, []byte, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 {
		return 0, nil, corrupt("bad count")
	}
	return int64(n), v[k:], nil
}

func corrupt(what string) error {
	return types.Errorf(types.CodeInternal, "stream: corrupt state: %s", what)
}

func negativeCount() error {
	return types.Errorf(types.CodeInternal, "stream: delete of a row that is not in the operator's state")
}

// addCount adds delta to the multiplicity of key (whose value holds row) and
// returns the counts before and after. A count reaching 0 deletes the key;
// a count going negative is an error (a delete of a row never inserted).
// When the key exists, its stored row is kept (not replaced by row).
func addCount(st State, key []byte, delta int64, ts []types.T, row []types.Datum, scratch *[]byte) (before, after int64, err error) {
	v, found, err := st.Get(key)
	if err != nil {
		return 0, 0, err
	}
	var rest []byte
	if found {
		if before, rest, err = decodeCount(v); err != nil {
			return 0, 0, err
		}
	}
	after = before + delta
	switch {
	case after < 0:
		return 0, 0, negativeCount()
	case after == 0:
		if found {
			err = st.Delete(key)
		}
	case found:
		b := binary.AppendUvarint((*scratch)[:0], uint64(after))
		b = append(b, rest...)
		*scratch = b
		err = st.Set(key, b)
	default:
		*scratch = appendCounted((*scratch)[:0], after, ts, row)
		err = st.Set(key, *scratch)
	}
	return before, after, err
}

// decodeRowInto decodes a state.AppendRow encoding (bytes alias b).
func decodeRowInto(b []byte, ts []types.T, dst []types.Datum) ([]types.Datum, error) {
	return state.DecodeRow(b, ts, dst[:0])
}
