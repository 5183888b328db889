package session

import (
	"context"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// prepared is what every query-like statement shares: a bound plan and the
// means to run it against a fresh snapshot.
type queryStmt struct {
	s          *session
	src        *sql.Query
	paramTypes []types.T
	cols       []pgwire.Column
	root       planner.Node
	phys       *planner.PhysBuilder
	version    uint64
	// dml runs INSERT/UPDATE/DELETE; nil for SELECT.
	dml func(ctx context.Context, ec *exec.EvalCtx) (string, error)
}

func (s *session) prepareQuery(x *sql.Query, paramTypes []types.T) (pgwire.Statement, error) {
	b := &planner.Binder{Cat: s.e.cat, ParamTypes: append([]types.T(nil), paramTypes...), Phys: &planner.PhysBuilder{}, Rows: s.e.rowEstimate}
	st := &queryStmt{s: s, src: x, phys: b.Phys, version: s.e.cat.Version()}
	switch n := x.Node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		q, err := b.BindQuery(n)
		if err != nil {
			return nil, err
		}
		st.root = planner.Optimize(q.Root, s.e.rowEstimate)
		st.cols = make([]pgwire.Column, len(q.Cols))
		for i, c := range q.Cols {
			st.cols[i] = pgwire.Column{Name: c.Name, Type: c.Type, TableOID: c.RelID, ColNum: c.ColNum}
		}
	case *ast.InsertStmt:
		run, err := s.prepareInsert(b, n)
		if err != nil {
			return nil, err
		}
		st.dml = run
	case *ast.UpdateStmt:
		run, err := s.prepareUpdate(b, n)
		if err != nil {
			return nil, err
		}
		st.dml = run
	case *ast.DeleteStmt:
		run, err := s.prepareDelete(b, n)
		if err != nil {
			return nil, err
		}
		st.dml = run
	default:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "statement %T is not supported", n)
	}
	if err := b.CheckParamTypes(); err != nil {
		return nil, err
	}
	st.paramTypes = b.FinalParamTypes()
	return st, nil
}

func (q *queryStmt) ParamTypes() []types.T    { return q.paramTypes }
func (q *queryStmt) Columns() []pgwire.Column { return q.cols }
func (q *queryStmt) Close()                   {}

func (q *queryStmt) Bind(ctx context.Context, params []types.Datum) (pgwire.Portal, error) {
	if len(params) != len(q.paramTypes) {
		return nil, types.Errorf(types.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), len(q.paramTypes))
	}
	st := q
	if q.s.e.cat.Version() != q.version {
		// A definition changed since Prepare: bind again so the plan sees
		// the current tables (and fails cleanly if one is gone).
		re, err := q.s.prepareQuery(q.src, q.paramTypes)
		if err != nil {
			return nil, err
		}
		st = re.(*queryStmt)
	}
	return &queryPortal{q: st, params: params}, nil
}

// queryPortal runs a bound statement, possibly across several Execute
// messages when the client limits the rows per call.
type queryPortal struct {
	q       *queryStmt
	params  []types.Datum
	started bool
	op      exec.Operator
	snap    *readView
	pending *exec.Chunk // rows left over from a chunk cut by maxRows
	pendOff int
	rows    int64
	done    bool
	tag     string
}

func (p *queryPortal) Columns() []pgwire.Column { return p.q.cols }

func (p *queryPortal) Close() {
	if p.op != nil {
		p.op.Close()
		p.op = nil
	}
	if p.snap != nil {
		p.snap.Close()
		p.snap = nil
	}
}

func (p *queryPortal) Run(ctx context.Context, maxRows int, emit func(*exec.Chunk) error) (string, bool, error) {
	if p.done {
		return p.tag, true, nil
	}
	ec := &exec.EvalCtx{Ctx: ctx, Params: p.params, Now: p.q.s.e.now()}
	if p.q.dml != nil {
		p.done = true
		tag, err := p.q.dml(ctx, ec)
		if wait := p.q.s.syncWait; wait != nil {
			// The statement released the write lock; its commit becomes
			// durable together with those of the writers that followed.
			p.q.s.syncWait = nil
			if werr := wait(); werr != nil && err == nil {
				err = werr
			}
		}
		p.tag = tag
		return tag, true, err
	}
	if !p.started {
		p.started = true
		p.snap = p.q.s.e.newReadView()
		p.q.phys.Store = p.snap
		p.q.phys.EC = ec
		op, err := p.q.phys.Build(p.q.root)
		if err != nil {
			p.Close()
			return "", true, err
		}
		if err := op.Init(ctx); err != nil {
			op.Close()
			p.Close()
			return "", true, err
		}
		p.op = op
	} else {
		p.q.phys.EC.Ctx = ctx
	}
	sent := 0
	for {
		if err := ctx.Err(); err != nil {
			p.Close()
			return "", true, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		var c *exec.Chunk
		if p.pending != nil {
			c = p.pending
		} else {
			var err error
			c, err = p.op.Next()
			if err != nil {
				p.Close()
				return "", true, err
			}
			if c == nil {
				break
			}
			p.pendOff = 0
		}
		n := c.Len() - p.pendOff
		if maxRows > 0 && sent+n > maxRows {
			take := maxRows - sent
			part := sliceChunk(c, p.pendOff, p.pendOff+take)
			if err := emit(part); err != nil {
				p.Close()
				return "", true, err
			}
			p.pending = c
			p.pendOff += take
			p.rows += int64(take)
			return "", false, nil
		}
		out := c
		if p.pendOff > 0 {
			out = sliceChunk(c, p.pendOff, c.Len())
		}
		if n > 0 {
			if err := emit(out); err != nil {
				p.Close()
				return "", true, err
			}
		}
		p.pending = nil
		p.pendOff = 0
		sent += n
		p.rows += int64(n)
		if maxRows > 0 && sent == maxRows {
			return "", false, nil
		}
	}
	p.Close()
	p.done = true
	p.tag = "SELECT " + itoa(p.rows)
	return p.tag, true, nil
}

// sliceChunk returns a view of visible rows [from, to) of c.
func sliceChunk(c *exec.Chunk, from, to int) *exec.Chunk {
	sel := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		sel = append(sel, c.Row(i))
	}
	return &exec.Chunk{Cols: c.Cols, N: c.N, Sel: sel}
}

func itoa(n int64) string {
	var buf [20]byte
	i := len(buf)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
