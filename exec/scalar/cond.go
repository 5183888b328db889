package scalar

import (
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// When is one WHEN ... THEN ... arm of a CASE. In the simple form
// (CASE operand WHEN value ...) Cond is the value compared with the operand.
type When struct {
	Cond exec.Expr
	Then exec.Expr
}

// Case is a searched or simple CASE. Each arm's condition is evaluated only
// on the rows no earlier arm took, and each THEN/ELSE only on the rows that
// reach it, so `CASE WHEN b = 0 THEN 0 ELSE a / b END` never fails.
type Case struct {
	Operand exec.Expr // nil for the searched form
	Whens   []When
	Else    exec.Expr // nil means ELSE NULL
	Typ     types.T

	conds   []exec.Expr // comparisons operand = value (simple form)
	held    heldVec
	condErr error
	out     *exec.Vec
	bufA    []int
	bufB    []int
	match   []int
	scratch *exec.Chunk
}

// heldVec is an internal leaf returning a vector computed elsewhere (the
// operand of a simple CASE, the first argument of NULLIF).
type heldVec struct {
	v    *exec.Vec
	typ  types.T
	name string
}

func (h *heldVec) Type() types.T                                      { return h.typ }
func (h *heldVec) Eval(*exec.EvalCtx, *exec.Chunk) (*exec.Vec, error) { return h.v, nil }
func (h *heldVec) String() string                                     { return h.name }

// NewCase returns a CASE expression. The THEN/ELSE arms are converted to
// their common type (see CommonType; errors surface from Eval, so binders
// should call CommonType first to report them at bind time).
// For the simple form each WHEN value is compared with the operand through
// the resolved "=" operator.
func NewCase(operand exec.Expr, whens []When, els exec.Expr) exec.Expr {
	arms := make([]exec.Expr, 0, len(whens)+1)
	for _, w := range whens {
		arms = append(arms, w.Then)
	}
	if els != nil {
		arms = append(arms, els)
	}
	t, arms, uerr := unify("CASE", arms)
	ws := make([]When, len(whens))
	for i, w := range whens {
		ws[i] = When{Cond: w.Cond, Then: arms[i]}
	}
	if els != nil {
		els = arms[len(whens)]
	}
	whens = ws
	e := &Case{Operand: operand, Whens: whens, Else: els, Typ: t, condErr: uerr}
	if operand != nil {
		e.held = heldVec{typ: operand.Type(), name: operand.String()}
		for _, w := range whens {
			cmp, err := MakeCompare("=", &e.held, w.Cond)
			if err != nil {
				if e.condErr == nil {
					e.condErr = err
				}
				break
			}
			e.conds = append(e.conds, cmp)
		}
	}
	return e
}

// Type returns the result type.
func (e *Case) Type() types.T { return e.Typ }

// Eval computes the visible rows arm by arm.
func (e *Case) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if e.condErr != nil {
		return nil, e.condErr
	}
	out := prepOut(&e.out, e.Typ, c.N)
	remaining := visible(c, e.bufA[:0])
	if c.Sel == nil {
		e.bufA = remaining
	}
	if e.Operand != nil && len(remaining) > 0 {
		v, err := e.Operand.Eval(ec, c)
		if err != nil {
			return nil, err
		}
		e.held.v = v
	}
	cur, other := &e.bufA, &e.bufB
	for wi, w := range e.Whens {
		if len(remaining) == 0 {
			break
		}
		cond := w.Cond
		if e.Operand != nil {
			cond = e.conds[wi]
		}
		cv, err := cond.Eval(ec, withSel(&e.scratch, c, remaining))
		if err != nil {
			return nil, err
		}
		match := e.match[:0]
		next := (*other)[:0]
		for _, r := range remaining {
			if !cv.Nulls.IsNull(r) && cv.Bool[r] {
				match = append(match, r)
			} else {
				next = append(next, r)
			}
		}
		e.match = match
		*other = next
		if len(match) > 0 {
			tv, err := w.Then.Eval(ec, withSel(&e.scratch, c, match))
			if err != nil {
				return nil, err
			}
			copyRows(out, tv, match)
		}
		remaining = next
		cur, other = other, cur
	}
	if len(remaining) > 0 {
		if e.Else == nil {
			for _, r := range remaining {
				out.Nulls.SetNull(r)
			}
		} else {
			ev, err := e.Else.Eval(ec, withSel(&e.scratch, c, remaining))
			if err != nil {
				return nil, err
			}
			copyRows(out, ev, remaining)
		}
	}
	return out, nil
}

// copyRows copies the listed rows of src into dst (same physical layout;
// an all-NULL unknown vector gives NULLs).
func copyRows(dst, src *exec.Vec, rows []int) {
	if src.Typ.Family.Physical() != dst.Typ.Family.Physical() {
		for _, r := range rows {
			dst.Nulls.SetNull(r)
		}
		return
	}
	for _, r := range rows {
		dst.CopyRow(r, src, r)
	}
}

// String renders the CASE.
func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.String())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Then.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

// Coalesce returns its first non-NULL argument; each argument is evaluated
// only on the rows that are still NULL.
type Coalesce struct {
	Args []exec.Expr
	Typ  types.T

	err        error
	out        *exec.Vec
	bufA, bufB []int
	scratch    *exec.Chunk
}

// NewCoalesce returns COALESCE(args...), converting the arguments to their
// common type.
func NewCoalesce(args []exec.Expr) exec.Expr {
	t, args, err := unify("COALESCE", args)
	return &Coalesce{Args: args, Typ: t, err: err}
}

// Type returns the result type.
func (e *Coalesce) Type() types.T { return e.Typ }

// Eval computes the visible rows.
func (e *Coalesce) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if e.err != nil {
		return nil, e.err
	}
	out := prepOut(&e.out, e.Typ, c.N)
	remaining := visible(c, e.bufA[:0])
	if c.Sel == nil {
		e.bufA = remaining
	}
	cur, other := &e.bufA, &e.bufB
	for _, a := range e.Args {
		if len(remaining) == 0 {
			break
		}
		v, err := a.Eval(ec, withSel(&e.scratch, c, remaining))
		if err != nil {
			return nil, err
		}
		next := (*other)[:0]
		samePhys := v.Typ.Family.Physical() == out.Typ.Family.Physical()
		for _, r := range remaining {
			if v.Nulls.IsNull(r) || !samePhys {
				next = append(next, r)
			} else {
				out.CopyRow(r, v, r)
			}
		}
		*other = next
		remaining = next
		cur, other = other, cur
	}
	for _, r := range remaining {
		out.Nulls.SetNull(r)
	}
	return out, nil
}

// String renders the call.
func (e *Coalesce) String() string { return "COALESCE" + joinExprs(e.Args, ", ") }

// NullIf is NULLIF(a, b): NULL when a = b, else a.
type NullIf struct {
	A, B exec.Expr

	eq   exec.Expr
	held heldVec
	err  error
	out  *exec.Vec
}

// NewNullIf returns NULLIF(a, b); the comparison uses the resolved "="
// operator for the two argument types, the result has a's type.
func NewNullIf(a, b exec.Expr) exec.Expr {
	e := &NullIf{A: a, B: b}
	e.held = heldVec{typ: a.Type(), name: a.String()}
	e.eq, e.err = MakeCompare("=", &e.held, b)
	return e
}

// Type returns a's type.
func (e *NullIf) Type() types.T { return e.A.Type() }

// Eval computes the visible rows.
func (e *NullIf) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if e.err != nil {
		return nil, e.err
	}
	a, err := e.A.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	e.held.v = a
	eq, err := e.eq.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, e.A.Type(), c.N)
	for k, n := 0, c.Len(); k < n; k++ {
		r := c.Row(k)
		if !eq.Nulls.IsNull(r) && eq.Bool[r] {
			out.Nulls.SetNull(r)
		} else {
			out.CopyRow(r, a, r)
		}
	}
	return out, nil
}

// String renders the call.
func (e *NullIf) String() string { return "NULLIF(" + e.A.String() + ", " + e.B.String() + ")" }

// Greatest is GREATEST(args...) or, with Least set, LEAST(args...): NULL
// arguments are ignored; the result is NULL only when all are NULL.
// NewGreatest/NewLeast convert the arguments to their common type.
type Greatest struct {
	Args  []exec.Expr
	Least bool
	Typ   types.T

	err error
	vs  []*exec.Vec
	out *exec.Vec
}

// NewGreatest returns GREATEST(args...).
func NewGreatest(args []exec.Expr) exec.Expr { return newGL(args, false) }

// NewLeast returns LEAST(args...).
func NewLeast(args []exec.Expr) exec.Expr { return newGL(args, true) }

func newGL(args []exec.Expr, least bool) exec.Expr {
	name := "GREATEST"
	if least {
		name = "LEAST"
	}
	t, args, err := unify(name, args)
	return &Greatest{Args: args, Least: least, Typ: t, err: err}
}

// Type returns the argument type.
func (e *Greatest) Type() types.T { return e.Typ }

// Eval computes the visible rows.
func (e *Greatest) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if e.err != nil {
		return nil, e.err
	}
	e.vs = e.vs[:0]
	for _, a := range e.Args {
		v, err := a.Eval(ec, c)
		if err != nil {
			return nil, err
		}
		if v.Typ.Family.Physical() == e.Typ.Family.Physical() {
			e.vs = append(e.vs, v)
		}
	}
	out := prepOut(&e.out, e.Typ, c.N)
	for k, n := 0, c.Len(); k < n; k++ {
		r := c.Row(k)
		var best *exec.Vec
		for _, v := range e.vs {
			if v.Nulls.IsNull(r) {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			cmp := compareRows(v, r, best, r)
			if (e.Least && cmp < 0) || (!e.Least && cmp > 0) {
				best = v
			}
		}
		if best == nil {
			out.Nulls.SetNull(r)
		} else {
			out.CopyRow(r, best, r)
		}
	}
	return out, nil
}

// String renders the call.
func (e *Greatest) String() string {
	if e.Least {
		return "LEAST" + joinExprs(e.Args, ", ")
	}
	return "GREATEST" + joinExprs(e.Args, ", ")
}

// InList is `Arg [NOT] IN (List...)` with PostgreSQL's NULL semantics: NULL
// when Arg is NULL, or when no element matches and some element is NULL.
// Arg and the elements must have one type (the binder casts them; untyped
// literal elements are cast to Arg's type here). When every element is a
// constant, membership is a hash-set lookup.
type InList struct {
	Arg    exec.Expr
	List   []exec.Expr
	Negate bool

	err     error
	set     map[string]struct{}
	setNull bool
	setDone bool
	key     []byte
	vs      []*exec.Vec
	out     *exec.Vec
}

// NewInList returns arg [NOT] IN (list...). The argument and the elements
// are converted to their common type (see CommonType).
func NewInList(arg exec.Expr, list []exec.Expr, negate bool) exec.Expr {
	all := append([]exec.Expr{arg}, list...)
	_, all, err := unify("IN", all)
	return &InList{Arg: all[0], List: all[1:], Negate: negate, err: err}
}

// Type is boolean.
func (e *InList) Type() types.T { return types.TBool }

func (e *InList) buildSet(ec *exec.EvalCtx) (bool, error) {
	if e.setDone {
		return e.set != nil, nil
	}
	e.setDone = true
	for _, x := range e.List {
		if !IsConst(x) {
			return false, nil
		}
	}
	p := e.Arg.Type().Family.Physical()
	set := make(map[string]struct{}, len(e.List))
	for _, x := range e.List {
		d, err := EvalConst(ec, x)
		if err != nil {
			e.setDone = false
			return false, err
		}
		if d.Null {
			e.setNull = true
			continue
		}
		set[string(appendDatumKey(nil, p, d))] = struct{}{}
	}
	e.set = set
	return true, nil
}

// Eval computes the visible rows.
func (e *InList) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if e.err != nil {
		return nil, e.err
	}
	a, err := e.Arg.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	out := prepOut(&e.out, types.TBool, c.N)
	hashed, err := e.buildSet(ec)
	if err != nil {
		return nil, err
	}
	n := c.Len()
	if hashed {
		for k := 0; k < n; k++ {
			r := c.Row(k)
			if a.Nulls.IsNull(r) {
				out.Nulls.SetNull(r)
				continue
			}
			e.key = appendKey(e.key[:0], a, r)
			_, found := e.set[string(e.key)]
			if !found && e.setNull {
				out.Nulls.SetNull(r)
				continue
			}
			out.Bool[r] = found != e.Negate
		}
		return out, nil
	}
	e.vs = e.vs[:0]
	for _, x := range e.List {
		v, err := x.Eval(ec, c)
		if err != nil {
			return nil, err
		}
		e.vs = append(e.vs, v)
	}
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if a.Nulls.IsNull(r) {
			out.Nulls.SetNull(r)
			continue
		}
		found, sawNull := false, false
		for _, v := range e.vs {
			if v.Nulls.IsNull(r) || v.Typ.Family.Physical() != a.Typ.Family.Physical() {
				sawNull = true
				continue
			}
			if compareRows(a, r, v, r) == 0 {
				found = true
				break
			}
		}
		if !found && sawNull {
			out.Nulls.SetNull(r)
			continue
		}
		out.Bool[r] = found != e.Negate
	}
	return out, nil
}

// String renders the test.
func (e *InList) String() string {
	if e.Negate {
		return "(" + e.Arg.String() + " NOT IN " + joinExprs(e.List, ", ") + ")"
	}
	return "(" + e.Arg.String() + " IN " + joinExprs(e.List, ", ") + ")"
}

// CommonType is PostgreSQL's select_common_type: the type that a set of
// values (CASE arms, COALESCE/GREATEST/LEAST arguments, IN lists, UNION
// columns) is converted to. Unknown inputs are ignored (all unknown gives
// text); types of different categories fail with 42804 "<context> types X
// and Y cannot be matched"; otherwise a later type wins when the current
// one is not preferred and converts to it implicitly but not back.
func CommonType(context string, ts []types.T) (types.T, error) {
	p := types.TUnknown
	for _, t := range ts {
		if t.Family == types.Unknown {
			continue
		}
		if p.Family == types.Unknown {
			p = t
			continue
		}
		if t.Family == p.Family {
			continue
		}
		if category(t.Family) != category(p.Family) {
			return p, types.Errorf(types.CodeDatatypeMismatch, "%s types %s and %s cannot be matched", context, p, t)
		}
		if !preferred(p.Family) && ImplicitCastOK(p.Family, t.Family) && !ImplicitCastOK(t.Family, p.Family) {
			p = t
		}
	}
	if p.Family == types.Unknown {
		return types.TText, nil
	}
	return p, nil
}

// unify converts a set of expressions to their common type (see
// CommonType), wrapping the ones of another type in casts. An all-NULL
// untyped set stays unknown.
func unify(context string, es []exec.Expr) (types.T, []exec.Expr, error) {
	ts := make([]types.T, len(es))
	allNull := true
	for i, a := range es {
		ts[i] = a.Type()
		if k, ok := a.(*exec.Const); !ok || !k.Val.Null || ts[i].Family != types.Unknown {
			allNull = false
		}
	}
	if allNull {
		return types.TUnknown, es, nil
	}
	t, err := CommonType(context, ts)
	if err != nil {
		return t, es, err
	}
	out := make([]exec.Expr, len(es))
	for i, a := range es {
		if a.Type().Family != t.Family {
			a = NewCast(a, t)
		}
		out[i] = a
	}
	return t, out, nil
}
