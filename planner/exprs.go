package planner

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// This file adapts the binder to exec/scalar's node constructors and holds
// PostgreSQL's type coercion rules as the binder applies them.

func mkCast(e exec.Expr, t types.T) exec.Expr { return scalar.NewCast(e, t) }

func mkNot(e exec.Expr) exec.Expr { return scalar.NewNot(e) }

func mkAnd(es []exec.Expr) exec.Expr {
	if len(es) == 1 {
		return es[0]
	}
	return scalar.MakeAnd(es)
}

func mkOr(es []exec.Expr) exec.Expr { return scalar.NewOr(es...) }

func mkIsNull(e exec.Expr, negate bool) exec.Expr { return &scalar.IsNull{Arg: e, Negate: negate} }

func mkIsBool(e exec.Expr, want, negate bool) exec.Expr {
	return &scalar.IsBool{Arg: e, Want: want, Negate: negate}
}

func mkIsDistinct(eq *scalar.Overload, l, r exec.Expr, distinct bool) exec.Expr {
	return scalar.NewIsDistinct(l, r, !distinct)
}

func mkFunc(o *scalar.Overload, args []exec.Expr) exec.Expr { return scalar.NewFunc(o, args) }

func mkInList(eq *scalar.Overload, v exec.Expr, list []exec.Expr, negate bool) exec.Expr {
	return scalar.NewInList(v, list, negate)
}

func mkCase(conds, results []exec.Expr, els exec.Expr, t types.T) exec.Expr {
	whens := make([]scalar.When, len(conds))
	for i := range conds {
		whens[i] = scalar.When{Cond: conds[i], Then: results[i]}
	}
	if els == nil {
		els = &exec.Const{Val: types.Null, Typ: t}
	}
	return scalar.NewCase(nil, whens, els)
}

func mkCoalesce(args []exec.Expr, t types.T) exec.Expr { return scalar.NewCoalesce(args) }

func mkGreatest(cmp *scalar.Overload, args []exec.Expr, t types.T, greatest bool) exec.Expr {
	if greatest {
		return scalar.NewGreatest(args)
	}
	return scalar.NewLeast(args)
}

func newOuterRef(k int, t types.T, name string) exec.Expr {
	return &scalar.OuterRef{Idx: k, Typ: t}
}

// paramRef is a $n whose type may still be inferred from its use.
func newParam(idx int, t types.T, b *Binder) exec.Expr {
	p := &scalar.Param{Idx: idx, Typ: t}
	b.params = append(b.params, p)
	return p
}

// cmpHolder carries a comparison overload for quantified subqueries.
type cmpHolder struct {
	exec.Expr
	o *scalar.Overload
}

func mkCmpHolder(o *scalar.Overload) exec.Expr { return &cmpHolder{o: o} }

func mkSubquery(kind subKind, build func() (exec.Operator, error), outer []exec.Expr, left exec.Expr, cmp exec.Expr, negate bool, t types.T) exec.Expr {
	var k scalar.SubqueryKind
	switch kind {
	case subScalar:
		k = scalar.SubScalar
	case subExists:
		k = scalar.SubExists
	case subIn:
		k = scalar.SubIn
	case subAny:
		k = scalar.SubAny
	case subAll:
		k = scalar.SubAll
	}
	var o *scalar.Overload
	if h, ok := cmp.(*cmpHolder); ok {
		o = h.o
	}
	return scalar.NewSubquery(k, build, outer, left, o, negate, t)
}

func splitAnd(e exec.Expr) []exec.Expr { return scalar.SplitAnd(e) }

func isConstExpr(e exec.Expr) bool { return scalar.IsConst(e) }

// typedPlaceholder stands for "a value of type t" during resolution.
func typedPlaceholder(t types.T) exec.Expr { return &exec.Const{Val: types.Null, Typ: t} }

// resolveOp resolves an operator or function by name over the argument
// expressions' types.
func resolveOp(name string, args []exec.Expr) (*scalar.Overload, []types.T, error) {
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	return scalar.Resolve(name, ts)
}

func castArgs(args []exec.Expr, to []types.T) ([]exec.Expr, error) {
	out := make([]exec.Expr, len(args))
	for i, a := range args {
		t := a.Type()
		if i < len(to) {
			t = to[i]
		}
		c, err := coerce(a, t)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// coerce converts e to type t implicitly: untyped literals are parsed now,
// untyped parameters take the type, anything else gets a cast node.
func coerce(e exec.Expr, t types.T) (exec.Expr, error) {
	from := e.Type()
	if from.Family == t.Family && (t.Family != types.Numeric || t.Precision == 0) && (t.Family != types.Text || t.Width == 0) {
		return e, nil
	}
	switch x := e.(type) {
	case *exec.Const:
		if x.Val.Null {
			return &exec.Const{Val: types.Null, Typ: t}, nil
		}
		d, err := types.Cast(x.Val, from, t)
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: t}, nil
	case *scalar.Param:
		if from.Family == types.Unknown {
			x.Typ = t
			return x, nil
		}
	}
	return mkCast(e, t), nil
}

// explicitCast is CAST(e AS t) / e::t.
func explicitCast(e exec.Expr, t types.T) (exec.Expr, error) {
	from := e.Type()
	if from.Family != types.Unknown && !types.CanCast(from, t) {
		return nil, types.Errorf(types.CodeCannotCoerce, "cannot cast type %s to %s", from, t)
	}
	if p, ok := e.(*scalar.Param); ok && from.Family == types.Unknown {
		p.Typ = t
		return p, nil
	}
	if c, ok := e.(*exec.Const); ok {
		if c.Val.Null {
			return &exec.Const{Val: types.Null, Typ: t}, nil
		}
		d, err := types.Cast(c.Val, from, t)
		if err != nil {
			return nil, err
		}
		return &exec.Const{Val: d, Typ: t}, nil
	}
	if from == t {
		return e, nil
	}
	return mkCast(e, t), nil
}

func coerceBool(e exec.Expr, what string) (exec.Expr, error) {
	switch e.Type().Family {
	case types.Bool:
		return e, nil
	case types.Unknown:
		return coerce(e, types.TBool)
	}
	return nil, types.Errorf(types.CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s", what, e.Type())
}

// foldConst evaluates calls whose arguments are all constants.
func foldConst(e exec.Expr) (exec.Expr, error) {
	if !scalar.IsConst(e) {
		return e, nil
	}
	d, err := scalar.EvalConst(&exec.EvalCtx{}, e)
	if err != nil {
		return nil, err
	}
	return &exec.Const{Val: d.Copy(), Typ: e.Type()}, nil
}

// typeCategory follows PostgreSQL's type categories for UNION/CASE
// resolution.
func typeCategory(t types.T) byte {
	switch t.Family {
	case types.Bool:
		return 'B'
	case types.Int16, types.Int32, types.Int64, types.Float32, types.Float64, types.Numeric:
		return 'N'
	case types.Text:
		return 'S'
	case types.Date, types.Time, types.Timestamp, types.Timestamptz:
		return 'D'
	case types.Interval:
		return 'T'
	case types.Bytea:
		return 'U'
	case types.Jsonb:
		return 'U'
	}
	return 'X'
}

var numericRank = map[types.Family]int{
	types.Int16: 1, types.Int32: 2, types.Int64: 3, types.Numeric: 4, types.Float32: 5, types.Float64: 6,
}

var dateRank = map[types.Family]int{types.Date: 1, types.Timestamp: 2, types.Timestamptz: 3}

// commonType is PostgreSQL's select_common_type for two inputs.
func commonType(a, b types.T, ctx string) (types.T, error) {
	if a.Family == types.Unknown {
		return b, nil
	}
	if b.Family == types.Unknown || a.Family == b.Family {
		if a.Family == b.Family && a.Family == types.Text && a.Width != b.Width {
			return types.TText, nil
		}
		if a.Family == b.Family && a.Family == types.Numeric && a != b {
			return types.TNumeric, nil
		}
		return a, nil
	}
	ca, cb := typeCategory(a), typeCategory(b)
	if ca == cb && ca == 'N' {
		if numericRank[a.Family] >= numericRank[b.Family] {
			return types.T{Family: a.Family}, nil
		}
		return types.T{Family: b.Family}, nil
	}
	if ca == cb && ca == 'D' && a.Family != types.Time && b.Family != types.Time {
		if dateRank[a.Family] >= dateRank[b.Family] {
			return a, nil
		}
		return b, nil
	}
	return types.T{}, types.Errorf(types.CodeDatatypeMismatch, "%s types %s and %s cannot be matched", ctx, a, b)
}

func commonTypeOf(es []exec.Expr, ctx string) (types.T, error) {
	t := types.TUnknown
	for _, e := range es {
		var err error
		if t, err = commonType(t, e.Type(), ctx); err != nil {
			return t, err
		}
	}
	if t.Family == types.Unknown {
		t = types.TText
	}
	return t, nil
}

// callParts returns the operator or function name and arguments of a call.
func callParts(e exec.Expr) (string, []exec.Expr, bool) {
	f, ok := e.(*scalar.Func)
	if !ok {
		return "", nil, false
	}
	return f.O.Name, f.Args, true
}

// inListParts returns the operand and list of a (non-negated) IN list.
func inListParts(e exec.Expr) (exec.Expr, []exec.Expr, bool) {
	in, ok := e.(*scalar.InList)
	if !ok || in.Negate {
		return nil, nil, false
	}
	return in.Arg, in.List, true
}
