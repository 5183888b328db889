package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// values emits constant rows.
type values struct {
	ts   []types.T
	rows [][]types.Datum
	pos  int
	out  *exec.Chunk
}

// NewValues returns an operator producing rows (each of len(ts) datums).
func NewValues(ts []types.T, rows [][]types.Datum) exec.Operator {
	return &values{ts: ts, rows: rows}
}

func (v *values) Init(context.Context) error {
	v.pos = 0
	v.out = exec.NewChunk(v.ts)
	return nil
}

func (v *values) Next() (*exec.Chunk, error) {
	if v.pos >= len(v.rows) {
		return nil, nil
	}
	v.out.Reset()
	end := min(len(v.rows), v.pos+exec.DefaultChunkSize)
	for _, r := range v.rows[v.pos:end] {
		v.out.AppendDatums(r)
	}
	v.pos = end
	return v.out, nil
}

func (v *values) Close() error     { return nil }
func (v *values) Types() []types.T { return v.ts }

// chunkSource replays chunks.
type chunkSource struct {
	ts     []types.T
	chunks []*exec.Chunk
	pos    int
}

// NewChunkSource returns an operator that returns the given chunks in order
// (as they are, Sel included), skipping chunks with no visible rows.
func NewChunkSource(ts []types.T, chunks []*exec.Chunk) exec.Operator {
	return &chunkSource{ts: ts, chunks: chunks}
}

func (s *chunkSource) Init(context.Context) error { s.pos = 0; return nil }

func (s *chunkSource) Next() (*exec.Chunk, error) {
	for s.pos < len(s.chunks) {
		c := s.chunks[s.pos]
		s.pos++
		if c.Len() > 0 {
			return c, nil
		}
	}
	return nil, nil
}

func (s *chunkSource) Close() error     { return nil }
func (s *chunkSource) Types() []types.T { return s.ts }

// project computes expressions over its input.
type project struct {
	in    exec.Operator
	exprs []exec.Expr
	ec    *exec.EvalCtx
	ts    []types.T
	out   exec.Chunk
}

// NewProject returns an operator whose columns are exprs evaluated over in.
// The output keeps the input's selection vector (no copying).
func NewProject(in exec.Operator, exprs []exec.Expr, ec *exec.EvalCtx) exec.Operator {
	ts := make([]types.T, len(exprs))
	for i, e := range exprs {
		ts[i] = e.Type()
	}
	return &project{in: in, exprs: exprs, ec: ec, ts: ts}
}

func (p *project) Init(ctx context.Context) error { return p.in.Init(ctx) }

func (p *project) Next() (*exec.Chunk, error) {
	c, err := p.in.Next()
	if c == nil || err != nil {
		return nil, err
	}
	p.out.Cols = p.out.Cols[:0]
	for _, e := range p.exprs {
		v, err := e.Eval(p.ec, c)
		if err != nil {
			return nil, err
		}
		p.out.Cols = append(p.out.Cols, v)
	}
	p.out.N, p.out.Sel, p.out.Ops = c.N, c.Sel, c.Ops
	return &p.out, nil
}

func (p *project) Close() error     { return p.in.Close() }
func (p *project) Types() []types.T { return p.ts }

// filter keeps rows whose predicate is TRUE.
type filter struct {
	in   exec.Operator
	pred exec.Expr
	ec   *exec.EvalCtx
	sel  []int
	out  exec.Chunk
}

// NewFilter returns an operator passing the rows of in for which pred is
// TRUE (not FALSE or NULL). It shrinks the selection vector; columns are not
// copied.
func NewFilter(in exec.Operator, pred exec.Expr, ec *exec.EvalCtx) exec.Operator {
	return &filter{in: in, pred: pred, ec: ec}
}

func (f *filter) Init(ctx context.Context) error { return f.in.Init(ctx) }

func (f *filter) Next() (*exec.Chunk, error) {
	for {
		c, err := f.in.Next()
		if c == nil || err != nil {
			return nil, err
		}
		v, err := f.pred.Eval(f.ec, c)
		if err != nil {
			return nil, err
		}
		f.sel = selectTrue(v, c, f.sel[:0])
		if len(f.sel) == 0 {
			continue
		}
		f.out = *c
		f.out.Sel = f.sel
		return &f.out, nil
	}
}

// selectTrue appends the visible rows of c where bool vector v is TRUE.
func selectTrue(v *exec.Vec, c *exec.Chunk, sel []int) []int {
	if v.Typ.Family.Physical() != types.PhysBool {
		return sel // NULL-typed predicate: nothing passes
	}
	b := v.Bool
	nulls := v.Nulls.MaybeNulls
	if c.Sel != nil {
		for _, r := range c.Sel {
			if b[r] && !(nulls && v.Nulls.IsNull(r)) {
				sel = append(sel, r)
			}
		}
		return sel
	}
	for r := 0; r < c.N; r++ {
		if b[r] && !(nulls && v.Nulls.IsNull(r)) {
			sel = append(sel, r)
		}
	}
	return sel
}

func (f *filter) Close() error     { return f.in.Close() }
func (f *filter) Types() []types.T { return f.in.Types() }

// limit implements LIMIT/OFFSET.
type limitOp struct {
	in            exec.Operator
	limit, offset int64
	seen, emitted int64
	sel           []int
	out           exec.Chunk
}

// NewLimit skips offset rows then passes at most limit rows (limit < 0
// means no limit). It stops pulling its input once the limit is reached.
func NewLimit(in exec.Operator, limit, offset int64) exec.Operator {
	return &limitOp{in: in, limit: limit, offset: max(offset, 0)}
}

func (l *limitOp) Init(ctx context.Context) error {
	l.seen, l.emitted = 0, 0
	return l.in.Init(ctx)
}

func (l *limitOp) Next() (*exec.Chunk, error) {
	for {
		if l.limit >= 0 && l.emitted >= l.limit {
			return nil, nil
		}
		c, err := l.in.Next()
		if c == nil || err != nil {
			return nil, err
		}
		n := int64(c.Len())
		skip := int64(0)
		if l.seen < l.offset {
			skip = min(n, l.offset-l.seen)
		}
		l.seen += n
		take := n - skip
		if l.limit >= 0 {
			take = min(take, l.limit-l.emitted)
		}
		if take <= 0 {
			continue
		}
		l.emitted += take
		if skip == 0 && take == n {
			return c, nil
		}
		l.sel = l.sel[:0]
		for k := skip; k < skip+take; k++ {
			l.sel = append(l.sel, c.Row(int(k)))
		}
		l.out = *c
		l.out.Sel = l.sel
		return &l.out, nil
	}
}

func (l *limitOp) Close() error     { return l.in.Close() }
func (l *limitOp) Types() []types.T { return l.in.Types() }
