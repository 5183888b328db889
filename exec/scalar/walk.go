package scalar

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Children returns the direct subexpressions of e, in evaluation order.
// Leaves (ColRef, Const, Param, OuterRef, unknown node types) have none.
func Children(e exec.Expr) []exec.Expr {
	switch x := e.(type) {
	case *Func:
		return x.Args
	case *Cast:
		return []exec.Expr{x.Arg}
	case *And:
		return x.Args
	case *Or:
		return x.Args
	case *Not:
		return []exec.Expr{x.Arg}
	case *IsNull:
		return []exec.Expr{x.Arg}
	case *IsUnknown:
		return []exec.Expr{x.Arg}
	case *IsBool:
		return []exec.Expr{x.Arg}
	case *IsDistinct:
		return []exec.Expr{x.Left, x.Right}
	case *Case:
		var out []exec.Expr
		if x.Operand != nil {
			out = append(out, x.Operand)
		}
		for _, w := range x.Whens {
			out = append(out, w.Cond, w.Then)
		}
		if x.Else != nil {
			out = append(out, x.Else)
		}
		return out
	case *Coalesce:
		return x.Args
	case *NullIf:
		return []exec.Expr{x.A, x.B}
	case *Greatest:
		return x.Args
	case *InList:
		return append([]exec.Expr{x.Arg}, x.List...)
	case *Subquery:
		out := append([]exec.Expr(nil), x.Outer...)
		if x.Test != nil {
			out = append(out, x.Test)
		}
		return out
	}
	return nil
}

// withChildren returns a fresh copy of e with the given children (in the
// order Children returns them).
func withChildren(e exec.Expr, k []exec.Expr) exec.Expr {
	switch x := e.(type) {
	case *Func:
		return NewFunc(x.O, k)
	case *Cast:
		return &Cast{Arg: k[0], To: x.To, Assign: x.Assign}
	case *And:
		return &And{Args: k}
	case *Or:
		return &Or{Args: k}
	case *Not:
		return &Not{Arg: k[0]}
	case *IsNull:
		return &IsNull{Arg: k[0], Negate: x.Negate}
	case *IsUnknown:
		return &IsUnknown{Arg: k[0], Negate: x.Negate}
	case *IsBool:
		return &IsBool{Arg: k[0], Want: x.Want, Negate: x.Negate}
	case *IsDistinct:
		return &IsDistinct{Left: k[0], Right: k[1], Negate: x.Negate}
	case *Case:
		i := 0
		var op exec.Expr
		if x.Operand != nil {
			op = k[0]
			i = 1
		}
		ws := make([]When, len(x.Whens))
		for j := range ws {
			ws[j] = When{Cond: k[i], Then: k[i+1]}
			i += 2
		}
		var els exec.Expr
		if x.Else != nil {
			els = k[i]
		}
		n := NewCase(op, ws, els).(*Case)
		n.Typ = x.Typ
		return n
	case *Coalesce:
		return &Coalesce{Args: k, Typ: x.Typ}
	case *NullIf:
		return NewNullIf(k[0], k[1])
	case *Greatest:
		return &Greatest{Args: k, Least: x.Least, Typ: x.Typ}
	case *InList:
		return &InList{Arg: k[0], List: k[1:], Negate: x.Negate}
	case *Subquery:
		n := &Subquery{Kind: x.Kind, Build: x.Build, Cmp: x.Cmp, Negate: x.Negate, Typ: x.Typ}
		n.Outer = k[:len(x.Outer)]
		if x.Test != nil {
			n.Test = k[len(x.Outer)]
		}
		return n
	}
	return e
}

// Walk visits e and its subexpressions in pre-order; when f returns false
// the node's children are skipped.
func Walk(e exec.Expr, f func(exec.Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	for _, c := range Children(e) {
		Walk(c, f)
	}
}

// Rewrite rebuilds e bottom-up: children first, then f is applied to each
// node (with its rewritten children) and its result replaces the node. A
// node whose children changed is copied (the original is left untouched);
// f returning its argument keeps the node. Use it to remap ColRef indexes
// or substitute expressions.
func Rewrite(e exec.Expr, f func(exec.Expr) exec.Expr) exec.Expr {
	if e == nil {
		return nil
	}
	kids := Children(e)
	if len(kids) > 0 {
		nk := make([]exec.Expr, len(kids))
		changed := false
		for i, c := range kids {
			nk[i] = Rewrite(c, f)
			if nk[i] != c {
				changed = true
			}
		}
		if changed {
			e = withChildren(e, nk)
		}
	}
	return f(e)
}

// SplitAnd returns the conjuncts of e (e itself when it is not an AND).
func SplitAnd(e exec.Expr) []exec.Expr {
	if a, ok := e.(*And); ok {
		var out []exec.Expr
		for _, x := range a.Args {
			out = append(out, SplitAnd(x)...)
		}
		return out
	}
	if e == nil {
		return nil
	}
	return []exec.Expr{e}
}

// MakeAnd is the inverse of SplitAnd: nil for no conjuncts, the expression
// itself for one, an And otherwise.
func MakeAnd(es []exec.Expr) exec.Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return NewAnd(es...)
}

// IsConst reports whether e depends on no row, parameter, outer value or
// volatile function, so EvalConst can fold it.
func IsConst(e exec.Expr) bool {
	switch x := e.(type) {
	case *exec.Const:
		return true
	case *exec.ColRef, *Param, *OuterRef, *Subquery, *heldVec:
		return false
	case *Func:
		if x.O.Volatile {
			return false
		}
	case nil:
		return false
	default:
		if len(Children(e)) == 0 {
			return false
		}
	}
	for _, c := range Children(e) {
		if !IsConst(c) {
			return false
		}
	}
	return true
}

// EvalConst evaluates e (normally one for which IsConst holds) on a single
// row and returns its value; bytes are copied. ec may be nil.
func EvalConst(ec *exec.EvalCtx, e exec.Expr) (types.Datum, error) {
	if k, ok := e.(*exec.Const); ok {
		return k.Val, nil
	}
	if ec == nil {
		ec = &exec.EvalCtx{}
	}
	c := &exec.Chunk{N: 1}
	v, err := e.Eval(ec, c)
	if err != nil {
		return types.Null, err
	}
	d := v.Get(0)
	if d.S != nil {
		d.S = append([]byte(nil), d.S...)
	}
	return d, nil
}
