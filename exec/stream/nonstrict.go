package stream

import (
	"errors"
	"strings"
	"sync/atomic"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// exprErrors counts rows whose expression evaluation failed in a view.
var exprErrors atomic.Int64

// ExpressionErrors returns how many row evaluations in view dataflows have
// raised a data error (and produced NULL instead) since the process started.
func ExpressionErrors() int64 { return exprErrors.Load() }

// evalNonStrict evaluates e over c the way RisingWave evaluates streaming
// expressions: a row whose evaluation raises a data exception (SQLSTATE
// class 22: division by zero, overflow, invalid input...) gets NULL instead
// of failing the change, so one bad row can neither block writes to a table
// nor keep a view from being created over data it will later accept.
// Batch queries keep PostgreSQL's strict behaviour.
func evalNonStrict(ec *exec.EvalCtx, e exec.Expr, c *exec.Chunk) (*exec.Vec, error) {
	v, err := e.Eval(ec, c)
	if err == nil || !isDataError(err) {
		return v, err
	}
	out := exec.NewVec(e.Type(), c.N)
	one := &exec.Chunk{Cols: c.Cols, N: c.N, Ops: c.Ops}
	sel := []int{0}
	for k, n := 0, c.Len(); k < n; k++ {
		r := c.Row(k)
		sel[0] = r
		one.Sel = sel
		rv, err := e.Eval(ec, one)
		if err != nil {
			if !isDataError(err) {
				return nil, err
			}
			out.Nulls.SetNull(r)
			exprErrors.Add(1)
			continue
		}
		out.CopyRow(r, rv, r)
		if out.Bytes != nil && !out.Nulls.IsNull(r) {
			// The expression reuses its output buffer for the next row.
			out.Bytes[r] = append([]byte(nil), out.Bytes[r]...)
		}
	}
	return out, nil
}

func isDataError(err error) bool {
	var e *types.Error
	return errors.As(err, &e) && strings.HasPrefix(e.Code, "22")
}
