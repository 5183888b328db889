package types

import (
	"bytes"
	"math"

	"github.com/cockroachdb/apd/v3"
)

// Compare orders two non-NULL datums of type t: -1, 0, +1. Text compares
// bytewise (C collation); floats and numerics order NaN above every other
// value (NaN equals NaN), as in PostgreSQL; intervals compare by total span.
func Compare(t T, a, b Datum) int {
	switch t.Family.Physical() {
	case PhysBool:
		switch {
		case a.B == b.B:
			return 0
		case !a.B:
			return -1
		}
		return 1
	case PhysInt:
		switch {
		case a.I < b.I:
			return -1
		case a.I > b.I:
			return 1
		}
		return 0
	case PhysFloat:
		return CompareFloat(a.F, b.F)
	case PhysDecimal:
		return CompareDecimal(&a.D, &b.D)
	case PhysBytes:
		return bytes.Compare(a.S, b.S)
	case PhysInterval:
		return CompareInterval(a.Iv, b.Iv)
	}
	return 0
}

// CompareFloat orders floats as PostgreSQL: NaN = NaN and NaN > everything,
// -0 = 0.
func CompareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareDecimal orders numerics as PostgreSQL: NaN = NaN and NaN above
// +Infinity; values equal regardless of scale (1.0 = 1).
func CompareDecimal(a, b *apd.Decimal) int {
	an := a.Form == apd.NaN || a.Form == apd.NaNSignaling
	bn := b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

// Equal reports whether Compare(t, a, b) == 0, treating two NULLs as equal
// and NULL as different from any value (grouping semantics).
func Equal(t T, a, b Datum) bool {
	if a.Null || b.Null {
		return a.Null == b.Null
	}
	return Compare(t, a, b) == 0
}

// Copy returns a deep copy of d (bytes and decimal are not shared).
func (d Datum) Copy() Datum {
	c := d
	if d.S != nil {
		c.S = append(make([]byte, 0, len(d.S)), d.S...)
	}
	c.D = apd.Decimal{}
	c.D.Set(&d.D)
	return c
}
