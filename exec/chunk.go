package exec

import "github.com/streamsql/streamsql/types"

// Op is the change a stream row carries. Batch operators see only Insert.
type Op uint8

const (
	OpInsert Op = iota
	OpDelete
	OpUpdateDelete // first half of an update pair; the U+ row follows at once
	OpUpdateInsert
)

// DefaultChunkSize is the number of rows operators aim to put in a chunk.
const DefaultChunkSize = 1024

// Chunk is a set of rows in columnar form: one vector per column, all of
// length N. Sel, when non-nil, lists the visible rows in increasing order
// (filters shrink Sel instead of copying columns). Ops, when non-nil, holds
// the change of each row (nil means every row is an insert).
//
// A chunk returned by Operator.Next is valid only until the next call to
// Next: a consumer that keeps rows must copy them.
type Chunk struct {
	Cols []*Vec
	N    int
	Sel  []int
	Ops  []Op
}

// NewChunk returns an empty chunk with one vector per type.
func NewChunk(ts []types.T) *Chunk {
	c := &Chunk{Cols: make([]*Vec, len(ts))}
	for i, t := range ts {
		c.Cols[i] = NewVec(t, 0)
	}
	return c
}

// Len returns the number of visible rows.
func (c *Chunk) Len() int {
	if c.Sel != nil {
		return len(c.Sel)
	}
	return c.N
}

// Row returns the physical index of the i-th visible row.
func (c *Chunk) Row(i int) int {
	if c.Sel != nil {
		return c.Sel[i]
	}
	return i
}

// Reset empties the chunk, keeping its vectors' capacity.
func (c *Chunk) Reset() {
	for _, v := range c.Cols {
		v.Reset()
	}
	c.N = 0
	c.Sel = nil
	c.Ops = c.Ops[:0]
	if len(c.Ops) == 0 {
		c.Ops = nil
	}
}

// SetLen resizes every column to n rows and clears Sel.
func (c *Chunk) SetLen(n int) {
	for _, v := range c.Cols {
		v.Resize(n)
	}
	c.N = n
	c.Sel = nil
}

// AppendRow copies visible row r (a physical index) of src onto the end of c.
// The columns must have the same physical layouts.
func (c *Chunk) AppendRow(src *Chunk, r int) {
	n := c.N
	for i, v := range c.Cols {
		v.Resize(n + 1)
		v.CopyRow(n, src.Cols[i], r)
	}
	c.N = n + 1
}

// AppendDatums adds one row given as datums.
func (c *Chunk) AppendDatums(row []types.Datum) {
	for i, v := range c.Cols {
		v.Append(row[i])
	}
	c.N++
}

// RowDatums returns physical row r as datums (bytes are not copied).
func (c *Chunk) RowDatums(r int) []types.Datum {
	out := make([]types.Datum, len(c.Cols))
	for i, v := range c.Cols {
		out[i] = v.Get(r)
	}
	return out
}

// Types returns the column types.
func (c *Chunk) Types() []types.T {
	ts := make([]types.T, len(c.Cols))
	for i, v := range c.Cols {
		ts[i] = v.Typ
	}
	return ts
}
