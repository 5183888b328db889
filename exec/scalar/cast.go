package scalar

import (
	"math"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Cast converts its argument to type To with PostgreSQL's explicit-cast
// rules (CAST(x AS t), x::t). Common conversions run as vectorized loops
// (integer widening/narrowing with range checks, integer to float and
// numeric, float to integer, anything to text); the rest go row by row
// through types.Cast. Casting an untyped literal (type unknown, a Const
// whose Datum.S holds the text) parses the text once.
type Cast struct {
	Arg exec.Expr
	To  types.T
	// Assign selects assignment-cast rules (INSERT/UPDATE): a string longer
	// than varchar(n) is an error (22001) instead of being truncated.
	Assign bool

	out   *exec.Vec
	alias exec.Vec
	buf   []byte
	// constant folding of unknown literals
	lit    *exec.Const
	litErr error
}

// NewCast returns CAST(arg AS to).
func NewCast(arg exec.Expr, to types.T) exec.Expr { return &Cast{Arg: arg, To: to} }

// NewAssignCast returns the assignment cast of arg to a column of type to
// (varchar(n) overflow is 22001 "value too long for type character
// varying(n)", numeric(p,s) rounds and checks precision).
func NewAssignCast(arg exec.Expr, to types.T) exec.Expr {
	return &Cast{Arg: arg, To: to, Assign: true}
}

// Type returns the target type.
func (e *Cast) Type() types.T { return e.To }

// String renders the cast.
func (e *Cast) String() string { return "CAST(" + e.Arg.String() + " AS " + e.To.String() + ")" }

func sameMods(a, b types.T) bool {
	return a.Width == b.Width && a.Precision == b.Precision && a.Scale == b.Scale
}

// Eval converts the visible rows.
func (e *Cast) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	from := e.Arg.Type()
	to := e.To
	if from.Family == types.Unknown {
		if k, ok := e.Arg.(*exec.Const); ok {
			if e.lit == nil && e.litErr == nil {
				d, err := castDatum(k.Val, from, to, e.Assign)
				if err != nil {
					e.litErr = err
				} else {
					e.lit = &exec.Const{Val: d, Typ: to}
				}
			}
			if e.litErr != nil {
				if c.Len() == 0 {
					return prepOut(&e.out, to, c.N), nil
				}
				return nil, e.litErr
			}
			return e.lit.Eval(ec, c)
		}
	}
	v, err := e.Arg.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	if from.Family == types.Unknown {
		out := prepOut(&e.out, to, c.N)
		for k, n := 0, c.Len(); k < n; k++ {
			out.Nulls.SetNull(c.Row(k))
		}
		return out, nil
	}
	ff, tf := from.Family, to.Family
	// Same family, no modifier change: relabel.
	if ff == tf && (sameMods(from, to) || (to.Width == 0 && to.Precision == 0)) {
		return e.relabel(v), nil
	}
	switch {
	case isInt(ff) && isInt(tf):
		if intWidth(tf) < intWidth(ff) {
			lo, hi := intBounds(tf)
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				if x := v.Int[r]; (x < lo || x > hi) && !v.Nulls.IsNull(r) {
					return nil, errOutOfRange(to)
				}
			}
		}
		return e.relabel(v), nil
	case isInt(ff) && (tf == types.Float64 || tf == types.Float32):
		out := e.prep(v, c)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			f := float64(v.Int[r])
			if tf == types.Float32 {
				f = float64(float32(f))
			}
			out.Float[r] = f
		}
		return out, nil
	case isInt(ff) && tf == types.Numeric && to.Precision == 0:
		out := e.prep(v, c)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			out.Dec[r].SetInt64(v.Int[r])
		}
		return out, nil
	case (ff == types.Float64 || ff == types.Float32) && isInt(tf):
		out := e.prep(v, c)
		lo, hi := intBounds(tf)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			if v.Nulls.IsNull(r) {
				continue
			}
			f := math.RoundToEven(v.Float[r])
			if f != f || f < float64(lo) || f >= -float64(lo) || (tf != types.Int64 && f > float64(hi)) {
				return nil, errOutOfRange(to)
			}
			out.Int[r] = int64(f)
		}
		return out, nil
	case ff == types.Float32 && tf == types.Float64:
		return e.relabel(v), nil
	case ff == types.Float64 && tf == types.Float32:
		out := e.prep(v, c)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			if v.Nulls.IsNull(r) {
				continue
			}
			x := v.Float[r]
			f := float64(float32(x))
			if math.IsInf(f, 0) && !math.IsInf(x, 0) {
				return nil, types.Errorf(types.CodeNumericOutOfRange, "value out of range: overflow")
			}
			if f == 0 && x != 0 {
				return nil, types.Errorf(types.CodeNumericOutOfRange, "value out of range: underflow")
			}
			out.Float[r] = f
		}
		return out, nil
	case tf == types.Text && ff != types.Text:
		out := e.prep(v, c)
		e.buf = e.buf[:0]
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			if v.Nulls.IsNull(r) {
				continue
			}
			start := len(e.buf)
			if ff == types.Bool {
				if v.Bool[r] {
					e.buf = append(e.buf, "true"...)
				} else {
					e.buf = append(e.buf, "false"...)
				}
			} else {
				e.buf = types.AppendText(e.buf, from, v.Get(r))
			}
			s := e.buf[start:len(e.buf):len(e.buf)]
			if to.Width > 0 {
				var err error
				if s, err = fitVarchar(s, to, e.Assign); err != nil {
					return nil, err
				}
			}
			out.Bytes[r] = s
		}
		return out, nil
	case tf == types.Text && ff == types.Text:
		out := e.prep(v, c)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			if v.Nulls.IsNull(r) {
				continue
			}
			s, err := fitVarchar(v.Bytes[r], to, e.Assign)
			if err != nil {
				return nil, err
			}
			out.Bytes[r] = s
		}
		return out, nil
	}
	// Row-by-row fallback.
	out := e.prep(v, c)
	for k, n := 0, c.Len(); k < n; k++ {
		r := c.Row(k)
		if v.Nulls.IsNull(r) {
			continue
		}
		d, err := castDatum(v.Get(r), from, to, e.Assign)
		if err != nil {
			return nil, err
		}
		out.Set(r, d)
	}
	return out, nil
}

// castDatum casts one non-NULL-or-NULL datum.
func castDatum(d types.Datum, from, to types.T, assign bool) (types.Datum, error) {
	if d.Null {
		return types.Null, nil
	}
	if from.Family == types.Unknown {
		if to.Family == types.Text {
			s := append([]byte(nil), d.S...)
			if to.Width > 0 {
				var err error
				if s, err = fitVarchar(s, to, assign); err != nil {
					return types.Null, err
				}
			}
			return types.NewBytes(s), nil
		}
		if to.Family == types.Unknown {
			return d, nil
		}
		return types.ParseText(to, string(d.S))
	}
	if to.Family == types.Text && from.Family == types.Text {
		s, err := fitVarchar(d.S, to, assign)
		return types.NewBytes(s), err
	}
	if to.Family == types.Text && from.Family == types.Bool {
		if d.B {
			return types.NewString("true"), nil
		}
		return types.NewString("false"), nil
	}
	if assign {
		return types.CastAssign(d, from, to)
	}
	return types.Cast(d, from, to)
}

// fitVarchar applies varchar(n): explicit casts truncate, assignment casts
// fail with 22001 unless only spaces are cut.
func fitVarchar(s []byte, to types.T, assign bool) ([]byte, error) {
	if to.Width <= 0 || len(s) <= int(to.Width) {
		return s, nil
	}
	n := utf8.RuneCount(s)
	if n <= int(to.Width) {
		return s, nil
	}
	// byte offset of the Width-th rune
	off, cnt := 0, 0
	for cnt < int(to.Width) {
		_, sz := utf8.DecodeRune(s[off:])
		off += sz
		cnt++
	}
	if assign {
		for _, b := range s[off:] {
			if b != ' ' {
				return nil, types.Errorf(types.CodeStringRightTruncation, "value too long for type character varying(%d)", to.Width)
			}
		}
	}
	return s[:off], nil
}

func (e *Cast) relabel(v *exec.Vec) *exec.Vec {
	if v.Typ == e.To {
		return v
	}
	e.alias = *v
	e.alias.Typ = e.To
	return &e.alias
}

// prep returns the output vector with v's NULLs copied on the visible rows.
func (e *Cast) prep(v *exec.Vec, c *exec.Chunk) *exec.Vec {
	out := prepOut(&e.out, e.To, c.N)
	if v.Nulls.MaybeNulls {
		for k, n := 0, c.Len(); k < n; k++ {
			if r := c.Row(k); v.Nulls.IsNull(r) {
				out.Nulls.SetNull(r)
			}
		}
	}
	return out
}

func isInt(f types.Family) bool { return f == types.Int16 || f == types.Int32 || f == types.Int64 }

func intWidth(f types.Family) int {
	switch f {
	case types.Int16:
		return 2
	case types.Int32:
		return 4
	}
	return 8
}
