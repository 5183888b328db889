package batch

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// The aggregate finalisation helpers, exported so that the incremental
// aggregates of exec/stream compute exactly what the batch ones do.

// ExactDecimal is an apd context for exact (unrounded) sums.
var ExactDecimal = exactCtx

// NumericScale is PostgreSQL's display scale of a numeric.
func NumericScale(d *apd.Decimal) int { return dscale(d) }

// NumericDiv sets d = a / b with PostgreSQL's numeric division scale.
func NumericDiv(d, a, b *apd.Decimal) { numericDiv(d, a, b) }

// NumericSelectDivScale is PostgreSQL's select_div_scale for a / b.
func NumericSelectDivScale(a, b *apd.Decimal) int { return selectDivScale(a, b) }

// NumericDivScale sets d = a / b rounded to rs fractional digits.
func NumericDivScale(d, a, b *apd.Decimal, rs int) { divScale(d, a, b, rs) }

// IntervalDiv divides an interval as PostgreSQL's interval / float8 does.
func IntervalDiv(s types.IntervalValue, f float64) types.IntervalValue { return intervalDiv(s, f) }
