package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

type nlJoin struct {
	joinOutput
	left, right exec.Operator
	ctx         context.Context
	lt, rt, ts  []types.T
	build       *store
	built       bool
	lc          *exec.Chunk
	lpos, bpos  int
	rpos        int
	leftEOF     bool
}

// NewNestedLoopJoin joins left and right on cond (a predicate over left
// columns ++ right columns; nil means a cross join). It buffers the right
// input and supports every join type, with the output conventions of
// NewHashJoin. For NullAwareAntiJoin, cond is the NOT IN comparison: a left
// row qualifies when cond is FALSE for every right row.
func NewNestedLoopJoin(left, right exec.Operator, typ JoinType, cond exec.Expr, ec *exec.EvalCtx) exec.Operator {
	j := &nlJoin{left: left, right: right, lt: left.Types(), rt: right.Types()}
	j.typ, j.residual, j.ec = typ, cond, ec
	j.ts = joinTypes(j.lt, j.rt, typ)
	return j
}

func (j *nlJoin) Init(ctx context.Context) error {
	j.ctx = ctx
	j.init(j.typ, j.lt, j.rt)
	j.nullMatches = j.typ == NullAwareAntiJoin
	j.build = newStore(j.rt)
	j.built, j.lc, j.leftEOF, j.rpos = false, nil, false, 0
	if err := j.left.Init(ctx); err != nil {
		return err
	}
	return j.right.Init(ctx)
}

func (j *nlJoin) Next() (*exec.Chunk, error) {
	if !j.built {
		var buf []int
		for {
			c, err := pull(j.ctx, j.right)
			if err != nil {
				return nil, err
			}
			if c == nil {
				break
			}
			j.build.appendRows(c, nil, visibleRows(c, &buf))
		}
		if j.typ == RightJoin || j.typ == FullJoin {
			j.rmatched = make([]bool, j.build.n)
		}
		j.built = true
	}
	existsOnly := j.residual == nil && j.typ.leftOnly()
	for {
		if j.leftEOF {
			if j.rmatched == nil {
				return nil, nil
			}
			return j.unmatchedRight(j.build, &j.rpos), nil
		}
		if j.lc == nil {
			c, err := j.left.Next()
			if err != nil {
				return nil, err
			}
			if c == nil {
				j.leftEOF = true
				continue
			}
			j.lc = c
			j.startLeft(c)
			j.lpos, j.bpos = 0, 0
		}
		n := j.build.n
		for j.lpos < len(j.lrows) && len(j.pl) < exec.DefaultChunkSize {
			if existsOnly {
				j.lmatched[j.lpos] = n > 0
				j.lpos++
				continue
			}
			for j.bpos < n && len(j.pl) < exec.DefaultChunkSize {
				j.pl = append(j.pl, j.lpos)
				j.pr = append(j.pr, j.bpos)
				j.bpos++
			}
			if j.bpos >= n {
				j.lpos++
				j.bpos = 0
			}
		}
		if len(j.pl) > 0 {
			out, err := j.evalPairs(j.lc, j.build)
			if err != nil {
				return nil, err
			}
			if out != nil {
				return out, nil
			}
			continue
		}
		if j.lpos >= len(j.lrows) {
			out := j.finishLeft(j.lc)
			j.lc = nil
			if out != nil {
				return out, nil
			}
		}
	}
}

func (j *nlJoin) Close() error {
	err := j.left.Close()
	if err2 := j.right.Close(); err == nil {
		err = err2
	}
	return err
}

func (j *nlJoin) Types() []types.T { return j.ts }
