package stream

import "github.com/streamsql/streamsql/exec/batch"

// The numeric helpers are exec/batch's, so that incremental aggregates
// finalise exactly like the batch ones.
var (
	exactCtx       = batch.ExactDecimal
	dscale         = batch.NumericScale
	numericDiv     = batch.NumericDiv
	selectDivScale = batch.NumericSelectDivScale
	divScale       = batch.NumericDivScale
	intervalDiv    = batch.IntervalDiv
)
