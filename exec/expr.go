package exec

import (
	"context"
	"time"

	"github.com/streamsql/streamsql/types"
)

// EvalCtx carries what expressions need besides their input chunk: the
// statement's parameters and its stable notion of "now".
type EvalCtx struct {
	Ctx    context.Context
	Params []types.Datum
	// Now is the statement's start time; now() and current_timestamp return
	// it for every row of the statement, as in PostgreSQL.
	Now time.Time
	// Outer holds the values of the enclosing query's row while a
	// correlated subquery runs (see OuterRef).
	Outer []types.Datum
}

// Expr is a bound, typed scalar expression evaluated a chunk at a time.
//
// Eval returns a vector of length c.N. Only the rows visible in c (c.Sel, or
// every row when Sel is nil) are computed; the other rows of the result hold
// unspecified values. This matters for errors: a row hidden by a filter or
// by an untaken CASE branch must never raise one. The result may alias an
// input column (a column reference returns the column itself), so callers
// must not modify it.
type Expr interface {
	Type() types.T
	Eval(ec *EvalCtx, c *Chunk) (*Vec, error)
	String() string
}
