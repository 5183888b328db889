package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

type hashAgg struct {
	in        exec.Operator
	ctx       context.Context
	groupCols []int
	specs     []AggSpec
	ts        []types.T

	ht    *hashTable
	funcs []aggFunc
	dist  []*hashTable // per DISTINCT aggregate: seen (group, args)
	ngrp  int
	done  bool
	pos   int
	out   *exec.Chunk

	buf, frows []int
	gids, fg   []int32
	gidVec     *exec.Vec
	dchunk     exec.Chunk
	dcols      []int
	dg         []int32
}

// NewHashAggregate groups in by groupCols and computes aggs per group. The
// output is the group columns followed by one column per aggregate, groups
// in order of first appearance. Without group columns it returns exactly one
// row, even for an empty input (count is 0 there, other aggregates NULL).
// Init fails with SQLSTATE 42883 for an unknown aggregate; sum(int2/int4)
// fails with 22003 if its bigint overflows.
func NewHashAggregate(in exec.Operator, groupCols []int, aggs []AggSpec) exec.Operator {
	it := in.Types()
	ts := make([]types.T, 0, len(groupCols)+len(aggs))
	for _, c := range groupCols {
		ts = append(ts, it[c])
	}
	for _, a := range aggs {
		ts = append(ts, a.Ret)
	}
	return &hashAgg{in: in, groupCols: groupCols, specs: aggs, ts: ts}
}

func (h *hashAgg) Init(ctx context.Context) error {
	h.ctx = ctx
	it := h.in.Types()
	kt := make([]types.T, len(h.groupCols))
	for i, c := range h.groupCols {
		kt[i] = it[c]
	}
	h.ht = newHashTable(kt)
	h.funcs = make([]aggFunc, len(h.specs))
	h.dist = make([]*hashTable, len(h.specs))
	for i, s := range h.specs {
		f, err := newAggFunc(s)
		if err != nil {
			return err
		}
		h.funcs[i] = f
		if s.Distinct && len(s.Args) > 0 {
			dt := []types.T{types.TInt8}
			for _, a := range s.Args {
				dt = append(dt, it[a])
			}
			h.dist[i] = newHashTable(dt)
		}
	}
	h.ngrp, h.done, h.pos = 0, false, 0
	if len(h.groupCols) == 0 {
		h.ngrp = 1
		for _, f := range h.funcs {
			f.grow(1)
		}
	}
	h.out = exec.NewChunk(h.ts)
	h.gidVec = exec.NewVec(types.TInt8, 0)
	return h.in.Init(ctx)
}

func (h *hashAgg) consume(c *exec.Chunk) error {
	rows := visibleRows(c, &h.buf)
	if len(h.groupCols) == 0 {
		h.gids = h.gids[:0]
		for range rows {
			h.gids = append(h.gids, 0)
		}
	} else {
		h.gids = h.ht.findOrInsert(c, h.groupCols, rows, true, h.gids)
		if n := h.ht.len(); n > h.ngrp {
			h.ngrp = n
			for _, f := range h.funcs {
				f.grow(n)
			}
		}
	}
	for i, f := range h.funcs {
		s := &h.specs[i]
		r, g := rows, h.gids
		if s.FilterCol >= 0 {
			fv := c.Cols[s.FilterCol]
			h.frows, h.fg = h.frows[:0], h.fg[:0]
			if fv.Typ.Family.Physical() == types.PhysBool {
				for k, row := range rows {
					if fv.Bool[row] && !isNull(fv, row) {
						h.frows = append(h.frows, row)
						h.fg = append(h.fg, h.gids[k])
					}
				}
			}
			r, g = h.frows, h.fg
		}
		if h.dist[i] != nil {
			r, g = h.distinctRows(c, i, r, g)
		}
		if err := f.update(c, r, g); err != nil {
			return err
		}
	}
	return nil
}

// distinctRows keeps the rows whose (group, args) were not seen before.
func (h *hashAgg) distinctRows(c *exec.Chunk, i int, rows []int, gids []int32) ([]int, []int32) {
	s := &h.specs[i]
	h.gidVec.Reset()
	h.gidVec.Resize(c.N)
	for k, r := range rows {
		h.gidVec.Int[r] = int64(gids[k])
	}
	h.dchunk.Cols = append(h.dchunk.Cols[:0], h.gidVec)
	h.dcols = append(h.dcols[:0], 0)
	for j, a := range s.Args {
		h.dchunk.Cols = append(h.dchunk.Cols, c.Cols[a])
		h.dcols = append(h.dcols, j+1)
	}
	h.dchunk.N = c.N
	t := h.dist[i]
	before := int32(t.len())
	h.dg = t.findOrInsert(&h.dchunk, h.dcols, rows, true, h.dg)
	nr, ng := make([]int, 0, len(rows)), make([]int32, 0, len(rows))
	for k, e := range h.dg {
		if e >= before {
			before = e + 1
			nr = append(nr, rows[k])
			ng = append(ng, gids[k])
		}
	}
	return nr, ng
}

func (h *hashAgg) Next() (*exec.Chunk, error) {
	if !h.done {
		for {
			c, err := pull(h.ctx, h.in)
			if err != nil {
				return nil, err
			}
			if c == nil {
				break
			}
			if err := h.consume(c); err != nil {
				return nil, err
			}
		}
		h.done = true
	}
	if h.pos >= h.ngrp {
		return nil, nil
	}
	end := min(h.ngrp, h.pos+exec.DefaultChunkSize)
	h.out.Reset()
	h.out.SetLen(end - h.pos)
	if len(h.groupCols) > 0 {
		h.buf = h.buf[:0]
		for g := h.pos; g < end; g++ {
			h.buf = append(h.buf, g)
		}
		for i := range h.groupCols {
			gather(h.out.Cols[i], 0, h.ht.keys.cols[i], h.buf, nil)
		}
	}
	for i, f := range h.funcs {
		v := h.out.Cols[len(h.groupCols)+i]
		for g := h.pos; g < end; g++ {
			if err := f.result(v, g, g-h.pos); err != nil {
				return nil, err
			}
		}
	}
	h.pos = end
	return h.out, nil
}

func (h *hashAgg) Close() error     { return h.in.Close() }
func (h *hashAgg) Types() []types.T { return h.ts }
