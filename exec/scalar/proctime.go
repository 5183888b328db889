package scalar

import (
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// proctime() is RisingWave's processing time: the time a row is processed.
// A view evaluates it when a change passes through (the engine sets
// EvalCtx.Now to its clock for each batch of changes); a query, like now(),
// at the statement's start. Columns declared AS PROCTIME() are filled with
// it when rows are ingested.
func init() {
	Register(&Overload{Name: "proctime", Ret: tTSTZ, Volatile: true, Fn: nowFn(func(ec *exec.EvalCtx) types.Datum {
		return types.NewInt(types.TimestampFromTime(Proctime(ec)))
	})})
}

// Proctime returns the processing time of ec: its Now, or the wall clock
// when unset.
func Proctime(ec *exec.EvalCtx) time.Time {
	if ec == nil || ec.Now.IsZero() {
		return time.Now()
	}
	return ec.Now
}
