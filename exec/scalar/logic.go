package scalar

import (
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// And is the n-ary boolean AND with three-valued logic. Operands are
// evaluated left to right, each only on the rows not yet known to be FALSE,
// so `b <> 0 AND a / b > 1` never divides by zero.
type And struct {
	Args []exec.Expr

	out        *exec.Vec
	bufA, bufB []int
	scratch    *exec.Chunk
}

// Or is the n-ary boolean OR with three-valued logic; later operands are
// evaluated only on rows not yet known to be TRUE.
type Or struct {
	Args []exec.Expr

	out        *exec.Vec
	bufA, bufB []int
	scratch    *exec.Chunk
}

// NewAnd returns the conjunction of args (flattening nested Ands).
func NewAnd(args ...exec.Expr) exec.Expr { return &And{Args: flatten(args, true)} }

// NewOr returns the disjunction of args (flattening nested Ors).
func NewOr(args ...exec.Expr) exec.Expr { return &Or{Args: flatten(args, false)} }

func flatten(args []exec.Expr, and bool) []exec.Expr {
	var out []exec.Expr
	for _, a := range args {
		if x, ok := a.(*And); ok && and {
			out = append(out, x.Args...)
		} else if x, ok := a.(*Or); ok && !and {
			out = append(out, x.Args...)
		} else {
			out = append(out, a)
		}
	}
	return out
}

// Type is boolean.
func (e *And) Type() types.T { return types.TBool }

// Type is boolean.
func (e *Or) Type() types.T { return types.TBool }

// Eval computes the conjunction on the visible rows.
func (e *And) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	return evalAndOr(ec, c, e.Args, true, &e.out, &e.bufA, &e.bufB, &e.scratch)
}

// Eval computes the disjunction on the visible rows.
func (e *Or) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	return evalAndOr(ec, c, e.Args, false, &e.out, &e.bufA, &e.bufB, &e.scratch)
}

func evalAndOr(ec *exec.EvalCtx, c *exec.Chunk, args []exec.Expr, and bool, outp **exec.Vec, bufA, bufB *[]int, scratch **exec.Chunk) (*exec.Vec, error) {
	out := prepOut(outp, types.TBool, c.N)
	// Every visible row starts as the identity (TRUE for AND, FALSE for OR).
	undecided := visible(c, (*bufA)[:0])
	if c.Sel == nil {
		*bufA = undecided
	}
	for _, r := range undecided {
		out.Bool[r] = and
	}
	cur, other := bufA, bufB
	for ai, a := range args {
		if len(undecided) == 0 {
			break
		}
		cc := c
		if ai > 0 {
			cc = withSel(scratch, c, undecided)
		}
		v, err := a.Eval(ec, cc)
		if err != nil {
			return nil, err
		}
		next := (*other)[:0]
		if !v.Nulls.MaybeNulls {
			for _, r := range undecided {
				if v.Bool[r] != and {
					out.Bool[r] = !and
					out.Nulls.UnsetNull(r)
				} else {
					next = append(next, r)
				}
			}
		} else {
			for _, r := range undecided {
				if v.Nulls.IsNull(r) {
					out.Nulls.SetNull(r)
					next = append(next, r)
				} else if v.Bool[r] != and {
					out.Bool[r] = !and
					out.Nulls.UnsetNull(r)
				} else {
					next = append(next, r)
				}
			}
		}
		*other = next
		undecided = next
		cur, other = other, cur
	}
	_ = cur
	return out, nil
}

func joinExprs(es []exec.Expr, sep string) string {
	ss := make([]string, len(es))
	for i, e := range es {
		ss[i] = e.String()
	}
	return "(" + strings.Join(ss, sep) + ")"
}

// String renders the conjunction.
func (e *And) String() string { return joinExprs(e.Args, " AND ") }

// String renders the disjunction.
func (e *Or) String() string { return joinExprs(e.Args, " OR ") }

// Not is boolean negation (NOT NULL is NULL).
type Not struct {
	Arg exec.Expr
	out *exec.Vec
}

// NewNot returns NOT arg.
func NewNot(arg exec.Expr) exec.Expr { return &Not{Arg: arg} }

// Type is boolean.
func (e *Not) Type() types.T { return types.TBool }

// Eval negates the visible rows.
func (e *Not) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	v, err := e.Arg.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, types.TBool, c.N)
	if c.Sel == nil {
		b, ob := v.Bool[:c.N], out.Bool[:c.N]
		for i := range ob {
			ob[i] = !b[i]
		}
		if v.Nulls.MaybeNulls {
			for i := 0; i < c.N; i++ {
				if v.Nulls.IsNull(i) {
					out.Nulls.SetNull(i)
				}
			}
		}
		return out, nil
	}
	for _, r := range c.Sel {
		out.Bool[r] = !v.Bool[r]
		if v.Nulls.IsNull(r) {
			out.Nulls.SetNull(r)
		}
	}
	return out, nil
}

// String renders NOT arg.
func (e *Not) String() string { return "(NOT " + e.Arg.String() + ")" }

// IsNull is `arg IS NULL` (or IS NOT NULL when Negate). It never returns NULL.
type IsNull struct {
	Arg    exec.Expr
	Negate bool
	out    *exec.Vec
}

// Type is boolean.
func (e *IsNull) Type() types.T { return types.TBool }

// Eval tests the visible rows.
func (e *IsNull) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	v, err := e.Arg.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, types.TBool, c.N)
	n := c.Len()
	for k := 0; k < n; k++ {
		r := c.Row(k)
		out.Bool[r] = v.Nulls.IsNull(r) != e.Negate
	}
	return out, nil
}

// String renders the test.
func (e *IsNull) String() string {
	if e.Negate {
		return "(" + e.Arg.String() + " IS NOT NULL)"
	}
	return "(" + e.Arg.String() + " IS NULL)"
}

// IsUnknown is `arg IS [NOT] UNKNOWN` for a boolean arg (the same as IS
// [NOT] NULL).
type IsUnknown struct {
	Arg    exec.Expr
	Negate bool
	in     IsNull
}

// Type is boolean.
func (e *IsUnknown) Type() types.T { return types.TBool }

// Eval tests the visible rows.
func (e *IsUnknown) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	e.in.Arg, e.in.Negate = e.Arg, e.Negate
	return e.in.Eval(ec, c)
}

// String renders the test.
func (e *IsUnknown) String() string {
	if e.Negate {
		return "(" + e.Arg.String() + " IS NOT UNKNOWN)"
	}
	return "(" + e.Arg.String() + " IS UNKNOWN)"
}

// IsBool is `arg IS TRUE` / `IS FALSE` (Want), or IS NOT TRUE / IS NOT
// FALSE when Negate. It never returns NULL.
type IsBool struct {
	Arg    exec.Expr
	Want   bool
	Negate bool
	out    *exec.Vec
}

// Type is boolean.
func (e *IsBool) Type() types.T { return types.TBool }

// Eval tests the visible rows.
func (e *IsBool) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	v, err := e.Arg.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, types.TBool, c.N)
	n := c.Len()
	for k := 0; k < n; k++ {
		r := c.Row(k)
		is := !v.Nulls.IsNull(r) && v.Bool[r] == e.Want
		out.Bool[r] = is != e.Negate
	}
	return out, nil
}

// String renders the test.
func (e *IsBool) String() string {
	s := "(" + e.Arg.String() + " IS "
	if e.Negate {
		s += "NOT "
	}
	if e.Want {
		return s + "TRUE)"
	}
	return s + "FALSE)"
}

// IsDistinct is `Left IS DISTINCT FROM Right` (null-safe inequality), or IS
// NOT DISTINCT FROM when Negate. Both sides must have the same type (the
// binder casts them to their common type). It never returns NULL.
type IsDistinct struct {
	Left, Right exec.Expr
	Negate      bool
	out         *exec.Vec
}

// NewIsDistinct returns left IS [NOT] DISTINCT FROM right.
// The two sides are converted to the types the "=" operator for them
// takes (so integer vs numeric compares as numeric).
func NewIsDistinct(left, right exec.Expr, negate bool) exec.Expr {
	lt, rt := left.Type(), right.Type()
	if lt.Family != rt.Family {
		if _, castTo, err := Resolve("=", []types.T{lt, rt}); err == nil {
			if castTo[0].Family != lt.Family {
				left = NewCast(left, castTo[0])
			}
			if castTo[1].Family != rt.Family {
				right = NewCast(right, castTo[1])
			}
		}
	}
	return &IsDistinct{Left: left, Right: right, Negate: negate}
}

// Type is boolean.
func (e *IsDistinct) Type() types.T { return types.TBool }

// Eval compares the visible rows.
func (e *IsDistinct) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	l, err := e.Left.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	r, err := e.Right.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, types.TBool, c.N)
	n := c.Len()
	for k := 0; k < n; k++ {
		i := c.Row(k)
		ln, rn := l.Nulls.IsNull(i), r.Nulls.IsNull(i)
		var distinct bool
		switch {
		case ln && rn:
			distinct = false
		case ln || rn:
			distinct = true
		case l.Typ.Family.Physical() != r.Typ.Family.Physical():
			distinct = true
		default:
			distinct = compareRows(l, i, r, i) != 0
		}
		out.Bool[i] = distinct != e.Negate
	}
	return out, nil
}

// String renders the test.
func (e *IsDistinct) String() string {
	if e.Negate {
		return "(" + e.Left.String() + " IS NOT DISTINCT FROM " + e.Right.String() + ")"
	}
	return "(" + e.Left.String() + " IS DISTINCT FROM " + e.Right.String() + ")"
}
