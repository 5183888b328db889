package planner

import (
	"fmt"
	"math"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/types"
)

// intervalBounds finds, among a join's residual conjuncts (over left ++
// right columns, nl of them on the left), the time bounds of an interval
// join: comparisons between a left and a right column of one time family,
// each plus or minus a constant, such as
//
//	l.ts BETWEEN r.ts - INTERVAL '10' SECOND AND r.ts
//	l.ts >= r.ts - INTERVAL '1' MINUTE AND l.ts < r.ts + INTERVAL '1' MINUTE
//
// The first left/right column pair compared this way is used; several
// bounds on it keep the tightest. ok is false when there is none. The
// conjuncts stay in the residual: the bounds only tell the join which
// state watermarks make unreachable.
func intervalBounds(residual []exec.Expr, nl int) (stream.IntervalBounds, bool) {
	var b stream.IntervalBounds
	found := false
	for _, c := range residual {
		name, args, ok := callParts(c)
		if !ok || len(args) != 2 {
			continue
		}
		switch name {
		case "<", "<=", ">", ">=":
		default:
			continue
		}
		ca, ka, ok1 := linearTerm(args[0])
		cb, kb, ok2 := linearTerm(args[1])
		if !ok1 || !ok2 || ca.Typ.Family.Physical() != cb.Typ.Family.Physical() || !sameTimeFamily(ca.Typ, cb.Typ) {
			continue
		}
		if ca.Idx >= nl && cb.Idx < nl {
			// r OP l  →  l OP' r
			ca, cb, ka, kb = cb, ca, kb, ka
			name = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[name]
		}
		if ca.Idx >= nl || cb.Idx < nl {
			continue
		}
		l, r := ca.Idx, cb.Idx-nl
		if found && (l != b.LeftCol || r != b.RightCol) {
			continue
		}
		// l + ka OP r + kb  →  l OP r + (kb - ka)
		k, ok := subSat(kb, ka)
		if !ok {
			continue
		}
		found = true
		b.LeftCol, b.RightCol = l, r
		switch name {
		case ">", ">=":
			if !b.HasLo || k > b.Lo {
				b.Lo, b.HasLo = k, true
			}
		default:
			if !b.HasHi || k < b.Hi {
				b.Hi, b.HasHi = k, true
			}
		}
	}
	return b, found
}

// sameTimeFamily reports whether two column types are timestamps (with or
// without time zone, which share their representation), dates or integers
// alike.
func sameTimeFamily(a, b types.T) bool {
	ts := func(t types.T) bool { return t.Family == types.Timestamp || t.Family == types.Timestamptz }
	switch {
	case ts(a):
		return ts(b)
	case a.Family == types.Date:
		return b.Family == types.Date
	case a.IsInteger():
		return b.IsInteger()
	}
	return false
}

// linearTerm recognises col, col + k, col - k and k + col for a column
// (possibly cast between timestamp and timestamptz, or between integer
// widths) and a constant k: an interval without months over a timestamp
// (in microseconds), or an integer over a date or an integer column.
func linearTerm(e exec.Expr) (*exec.ColRef, int64, bool) {
	if c := timeCol(e); c != nil {
		return c, 0, true
	}
	name, args, ok := callParts(e)
	if !ok || len(args) != 2 || (name != "+" && name != "-") {
		return nil, 0, false
	}
	col, k := args[0], args[1]
	if timeCol(col) == nil && name == "+" {
		col, k = k, col
	}
	c := timeCol(col)
	if c == nil || !isConstExpr(k) {
		return nil, 0, false
	}
	d, err := scalar.EvalConst(&exec.EvalCtx{}, k)
	if err != nil || d.Null {
		return nil, 0, false
	}
	var off int64
	switch {
	case (c.Typ.Family == types.Timestamp || c.Typ.Family == types.Timestamptz) && k.Type().Family == types.Interval:
		if d.Iv.Months != 0 {
			return nil, 0, false
		}
		days := int64(d.Iv.Days) * 86400e6
		off = days + d.Iv.Micros
		if (d.Iv.Micros > 0 && off < days) || (d.Iv.Micros < 0 && off > days) {
			return nil, 0, false
		}
	case (c.Typ.Family == types.Date || c.Typ.IsInteger()) && k.Type().IsInteger():
		off = d.I
	default:
		return nil, 0, false
	}
	if name == "-" {
		if off == math.MinInt64 {
			return nil, 0, false
		}
		off = -off
	}
	return c, off, true
}

// timeCol returns the column e reads if e is a column of a timestamp, date
// or integer type, possibly under a cast that keeps its value.
func timeCol(e exec.Expr) *exec.ColRef {
	if cast, ok := e.(*scalar.Cast); ok {
		from, to := cast.Arg.Type(), cast.To
		if !sameTimeFamily(from, to) || from.Family == types.Date ||
			(to.IsInteger() && to.Family != from.Family && !widens(from, to)) {
			return nil
		}
		e = cast.Arg
	}
	c, ok := e.(*exec.ColRef)
	if !ok {
		return nil
	}
	switch {
	case c.Typ.Family == types.Timestamp, c.Typ.Family == types.Timestamptz, c.Typ.Family == types.Date, c.Typ.IsInteger():
		return c
	}
	return nil
}

// widens reports whether integer type to holds every value of from.
func widens(from, to types.T) bool {
	w := map[types.Family]int{types.Int16: 2, types.Int32: 4, types.Int64: 8}
	return w[to.Family] >= w[from.Family]
}

func subSat(a, b int64) (int64, bool) {
	d := a - b
	if (b < 0 && d < a) || (b > 0 && d > a) {
		return 0, false
	}
	return d, true
}

// intervalDesc describes an interval join's cleanup for EXPLAIN.
func intervalDesc(b stream.IntervalBounds, lcols, rcols []Column) string {
	name := func(c Column) string {
		if c.Table != "" {
			return c.Table + "." + c.Name
		}
		return c.Name
	}
	l, r := name(lcols[b.LeftCol]), name(rcols[b.RightCol])
	off := func(k int64) string {
		t := lcols[b.LeftCol].Type.Family
		if t == types.Timestamp || t == types.Timestamptz {
			if k == 0 {
				return ""
			}
			if k > 0 {
				return " + " + time.Duration(k*1000).String()
			}
			return " - " + time.Duration(-k*1000).String()
		}
		if k == 0 {
			return ""
		}
		return fmt.Sprintf(" %+d", k)
	}
	s := "state cleaned by watermark: interval join "
	switch {
	case b.HasLo && b.HasHi:
		s += fmt.Sprintf("%s in [%s%s, %s%s]", l, r, off(b.Lo), r, off(b.Hi))
	case b.HasLo:
		s += fmt.Sprintf("%s >= %s%s", l, r, off(b.Lo))
	default:
		s += fmt.Sprintf("%s <= %s%s", l, r, off(b.Hi))
	}
	return s
}
