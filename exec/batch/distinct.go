package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

type distinct struct {
	in   exec.Operator
	cols []int
	ht   *hashTable
	buf  []int
	gids []int32
	sel  []int
	out  exec.Chunk
}

// NewDistinct removes rows whose cols (nil = all columns) repeat an earlier
// row, keeping the first occurrence in input order. All input columns are
// output. NULLs are equal to each other for this purpose.
func NewDistinct(in exec.Operator, cols []int) exec.Operator {
	if cols == nil {
		cols = make([]int, len(in.Types()))
		for i := range cols {
			cols[i] = i
		}
	}
	return &distinct{in: in, cols: cols}
}

// NewDistinctOn implements DISTINCT ON (keyCols): the first row of each key
// in input order (the planner sorts the input by the keys and then by the
// ORDER BY columns). All input columns are output.
func NewDistinctOn(in exec.Operator, keyCols []int) exec.Operator {
	return &distinct{in: in, cols: keyCols}
}

func (d *distinct) Init(ctx context.Context) error {
	ts := make([]types.T, len(d.cols))
	all := d.in.Types()
	for i, c := range d.cols {
		ts[i] = all[c]
	}
	d.ht = newHashTable(ts)
	return d.in.Init(ctx)
}

func (d *distinct) Next() (*exec.Chunk, error) {
	for {
		c, err := d.in.Next()
		if c == nil || err != nil {
			return nil, err
		}
		rows := visibleRows(c, &d.buf)
		before := d.ht.len()
		d.gids = d.ht.findOrInsert(c, d.cols, rows, true, d.gids)
		d.sel = d.sel[:0]
		next := int32(before)
		for k, g := range d.gids {
			if g == next { // groups are numbered in order of first appearance
				d.sel = append(d.sel, rows[k])
				next++
			}
		}
		if len(d.sel) == 0 {
			continue
		}
		d.out = *c
		d.out.Sel = d.sel
		return &d.out, nil
	}
}

func (d *distinct) Close() error     { return d.in.Close() }
func (d *distinct) Types() []types.T { return d.in.Types() }
