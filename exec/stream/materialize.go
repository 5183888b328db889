package stream

import (
	"context"
	"encoding/binary"
	"strconv"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Materialize is a materialized view's storage: it applies each delta to a
// multiset of rows kept in state and passes the delta on (ops normalised),
// so views on views and sinks can be chained after it.
//
// State (table stateID):
//
//	stateID | vnode(row) | memcmp(row) → uvarint count ++ state.AppendRow(row)
//
// vnode(row) is state.VNodeOf(state.HashDatums(types, row)). The count is
// the row's multiplicity (views need no unique key). Rows that are equal but
// encode alike in memcomparable form (numerics 1.5 and 1.50) share one key;
// the value keeps the representation of the first one inserted. A delete of
// a row that is not stored fails with SQLSTATE XX000.
type Materialize struct {
	id      uint32
	ts      []types.T
	row     []types.Datum
	key     []byte
	scratch []byte
	ops     []exec.Op
	out     exec.Chunk
	// appendOnly: the input never retracts, so each row is stored under
	// its own key (row bytes plus a sequence number) with count 1 and
	// written without reading the state first.
	appendOnly bool
	seq        uint64
	seqLoaded  bool
	// shard numbers the copy of a parallel dataflow this operator is
	// (SetSequenceShard): its sequence numbers and their system key are
	// its own.
	shard uint64
}

// seqShardBits is where the shard goes in an append-only view's 8-byte
// sequence numbers: copies of a parallel dataflow number rows apart.
const seqShardBits = 48

// SetSequenceShard makes m copy k of a parallel dataflow: an append-only
// view's rows get sequence numbers k<<48 + n, counted under a system key
// of their own, so the copies never write the same key. Copy 0 keeps the
// numbering of a single-actor view.
func (m *Materialize) SetSequenceShard(k int) {
	m.shard = uint64(k)
}

// SetAppendOnly declares that the view's input only inserts (an
// append-only source through stateless operators). Rows are then stored as
//
//	stateID | vnode(row) | memcmp(row) | seq (8 bytes) → uvarint 1 ++ row
//
// which MaterializedScan reads the same way, and a delete is an error.
// The next sequence number is kept under a system key, written with each
// chunk in the same batch.
func (m *Materialize) SetAppendOnly() *Materialize {
	m.appendOnly = true
	return m
}

// AppendOnly reports whether SetAppendOnly was called.
func (m *Materialize) AppendOnly() bool { return m.appendOnly }

func (m *Materialize) seqKey() []byte {
	if m.shard == 0 {
		return state.SystemKey("mvseq/" + strconv.FormatUint(uint64(m.id), 10))
	}
	return state.SystemKey("mvseq/" + strconv.FormatUint(uint64(m.id), 10) + "/" + strconv.FormatUint(m.shard, 10))
}

// NewMaterialize returns the storage operator of a view with column types ts.
func NewMaterialize(stateID uint32, ts []types.T) *Materialize {
	return &Materialize{id: stateID, ts: ts}
}

// Types implements Operator.
func (m *Materialize) Types() []types.T { return m.ts }

// Push implements Operator.
func (m *Materialize) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	if m.appendOnly {
		if err := m.pushAppend(ctx, c); err != nil {
			return err
		}
	} else {
		for k := 0; k < n; k++ {
			r := c.Row(k)
			m.row = rowOf(c, r, m.row)
			m.key = rowKey(m.key[:0], m.id, m.ts, m.row)
			if _, _, err := addCount(ctx.State, m.key, Sign(c, r), m.ts, m.row, &m.scratch); err != nil {
				return err
			}
		}
	}
	if emit == nil {
		return nil
	}
	m.ops = normOps(c, m.ops)
	m.out = exec.Chunk{Cols: c.Cols, N: c.N, Sel: c.Sel, Ops: m.ops}
	return emit(&m.out)
}

func (m *Materialize) pushAppend(ctx *Ctx, c *exec.Chunk) error {
	if !m.seqLoaded {
		v, found, err := ctx.State.Get(m.seqKey())
		if err != nil {
			return err
		}
		if found && len(v) == 8 {
			m.seq = binary.BigEndian.Uint64(v)
		} else {
			m.seq = m.shard << seqShardBits
		}
		m.seqLoaded = true
	}
	for k, n := 0, c.Len(); k < n; k++ {
		r := c.Row(k)
		if Sign(c, r) < 0 {
			return types.Errorf(types.CodeInternal, "append-only materialized view %d received a delete", m.id)
		}
		m.row = rowOf(c, r, m.row)
		m.key = rowKey(m.key[:0], m.id, m.ts, m.row)
		m.key = binary.BigEndian.AppendUint64(m.key, m.seq)
		m.seq++
		m.scratch = binary.AppendUvarint(m.scratch[:0], 1)
		m.scratch = state.AppendRow(m.scratch, m.ts, m.row)
		if err := ctx.State.Set(m.key, m.scratch); err != nil {
			return err
		}
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], m.seq)
	return ctx.State.Set(m.seqKey(), buf[:])
}

// Reader is what MaterializedScan reads from: state.Snapshot, state.Batch
// and state.Store satisfy it.
type Reader interface {
	NewIter(lower, upper []byte) (*state.Iter, error)
}

// materializedScan reads a materialized view back as a batch operator.
type materializedScan struct {
	r    Reader
	id   uint32
	ts   []types.T
	it   *state.Iter
	ok   bool
	left int64 // repetitions of the current row still to emit
	row  []types.Datum
	out  *exec.Chunk
}

// NewMaterializedScan returns a batch operator producing the rows of the
// view stored by a Materialize with the same stateID and types, each
// repeated its count times, in key order (vnode, then row).
func NewMaterializedScan(r Reader, stateID uint32, ts []types.T) exec.Operator {
	return &materializedScan{r: r, id: stateID, ts: ts}
}

func (s *materializedScan) Init(context.Context) error {
	p := state.TablePrefix(s.id)
	it, err := s.r.NewIter(p, state.PrefixEnd(p))
	if err != nil {
		return err
	}
	s.it = it
	s.ok = it.First()
	s.left = 0
	s.out = exec.NewChunk(s.ts)
	return nil
}

func (s *materializedScan) Next() (*exec.Chunk, error) {
	s.out.Reset()
	for s.out.N < exec.DefaultChunkSize {
		if s.left == 0 {
			if !s.ok {
				break
			}
			n, rest, err := decodeCount(s.it.Value())
			if err != nil {
				return nil, err
			}
			if s.row, err = state.DecodeRowCopy(rest, s.ts, s.row[:0]); err != nil {
				return nil, err
			}
			s.left = n
			s.ok = s.it.Next()
			continue
		}
		s.out.AppendDatums(s.row)
		s.left--
	}
	if err := s.it.Error(); err != nil {
		return nil, err
	}
	if s.out.N == 0 {
		return nil, nil
	}
	return s.out, nil
}

func (s *materializedScan) Close() error {
	if s.it == nil {
		return nil
	}
	err := s.it.Close()
	s.it = nil
	return err
}

func (s *materializedScan) Types() []types.T { return s.ts }
