package stream

import (
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Filter passes the delta rows whose predicate is TRUE, keeping their ops
// (normalised to OpInsert/OpDelete). Because U-/U+ become plain deletes and
// inserts, a predicate that holds for only one half of an update pair needs
// no special handling. Columns are not copied: the output shares the input's
// vectors and narrows the selection.
type Filter struct {
	pred exec.Expr
	ts   []types.T
	sel  []int
	ops  []exec.Op
	out  exec.Chunk
}

// NewFilter returns a stateless filter on pred (a bool expression over the
// input columns).
func NewFilter(pred exec.Expr) *Filter { return &Filter{pred: pred} }

// SetTypes records the input's column types (which a filter's output
// shares) for Types, and returns f.
func (f *Filter) SetTypes(ts []types.T) *Filter { f.ts = ts; return f }

// Types implements Operator: the input's types given to SetTypes (nil if
// SetTypes was not called; a filter does not need them).
func (f *Filter) Types() []types.T { return f.ts }

// Push implements Operator.
func (f *Filter) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if c.Len() == 0 {
		return nil
	}
	v, err := evalNonStrict(ctx.EC, f.pred, c)
	if err != nil {
		return err
	}
	f.sel = f.sel[:0]
	if v.Typ.Family.Physical() == types.PhysBool {
		n := c.Len()
		for k := 0; k < n; k++ {
			r := c.Row(k)
			if v.Bool[r] && !v.Nulls.IsNull(r) {
				f.sel = append(f.sel, r)
			}
		}
	}
	if len(f.sel) == 0 {
		return nil
	}
	f.ops = normOps(c, f.ops)
	f.out = exec.Chunk{Cols: c.Cols, N: c.N, Sel: f.sel, Ops: f.ops}
	return emit(&f.out)
}

// Project computes expressions over each delta row, keeping the row's op
// (normalised to OpInsert/OpDelete) and the input's selection.
type Project struct {
	exprs  []exec.Expr
	ts     []types.T
	ops    []exec.Op
	out    exec.Chunk
	derivs []WatermarkDerivation
}

// NewProject returns a stateless projection whose output columns are exprs.
func NewProject(exprs []exec.Expr) *Project {
	ts := make([]types.T, len(exprs))
	for i, e := range exprs {
		ts[i] = e.Type()
	}
	return &Project{exprs: exprs, ts: ts}
}

// Types implements Operator.
func (p *Project) Types() []types.T { return p.ts }

// Push implements Operator.
func (p *Project) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if c.Len() == 0 {
		return nil
	}
	p.out.Cols = p.out.Cols[:0]
	for _, e := range p.exprs {
		v, err := evalNonStrict(ctx.EC, e, c)
		if err != nil {
			return err
		}
		p.out.Cols = append(p.out.Cols, v)
	}
	p.ops = normOps(c, p.ops)
	p.out.N, p.out.Sel, p.out.Ops = c.N, c.Sel, p.ops
	return emit(&p.out)
}

// UnionAll merges the deltas of two or more inputs with identical types:
// a delta arriving on any port passes through (ops normalised).
type UnionAll struct {
	ts    []types.T
	ops   []exec.Op
	out   exec.Chunk
	ports int
	wms   map[int]*unionWM // by column
}

// NewUnionAll returns a UNION ALL of two inputs (ports 0 and 1; see
// SetInputs for more) whose columns have types ts.
func NewUnionAll(ts []types.T) *UnionAll { return &UnionAll{ts: ts, ports: 2} }

// Types implements Operator.
func (u *UnionAll) Types() []types.T { return u.ts }

// Push implements Operator (any port).
func (u *UnionAll) Push(_ *Ctx, port int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if port < 0 {
		return fmt.Errorf("stream: union: bad port %d", port)
	}
	if c.Len() == 0 {
		return nil
	}
	u.ops = normOps(c, u.ops)
	u.out = exec.Chunk{Cols: c.Cols, N: c.N, Sel: c.Sel, Ops: u.ops}
	return emit(&u.out)
}

// Pass hands its input on unchanged: the root of a dataflow whose output
// goes elsewhere than a view's table (a sink's log).
type Pass struct{ ts []types.T }

// NewPass returns a Pass of rows of types ts.
func NewPass(ts []types.T) *Pass { return &Pass{ts: ts} }

// Types implements Operator.
func (p *Pass) Types() []types.T { return p.ts }

// Push implements Operator.
func (p *Pass) Push(_ *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	if emit == nil || c.Len() == 0 {
		return nil
	}
	return emit(c)
}

// OnWatermark implements WatermarkHandler: w passes through.
func (p *Pass) OnWatermark(_ *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	return []Watermark{w}, nil
}
