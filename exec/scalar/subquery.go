package scalar

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// SubqueryKind is the form of a subquery expression.
type SubqueryKind uint8

const (
	// SubScalar is (SELECT x ...): its single value, NULL when it returns no
	// row, error 21000 when it returns more than one.
	SubScalar SubqueryKind = iota
	// SubExists is EXISTS (SELECT ...).
	SubExists
	// SubIn is x IN (SELECT ...).
	SubIn
	// SubAny is x op ANY (SELECT ...).
	SubAny
	// SubAll is x op ALL (SELECT ...).
	SubAll
)

// Subquery evaluates a subquery for each visible row. Build returns a
// fresh operator computing the subquery; its first column is the value (for
// SubScalar, SubIn, SubAny and SubAll). Outer are expressions of this row
// that the subquery reads through ec.Outer (OuterRef); when empty the
// subquery is uncorrelated and runs once per statement (per EvalCtx), its
// result cached (a hash set for IN). Test is the left operand of IN/ANY/ALL and Cmp
// the comparison overload (nil means "=" on equal types). Negate gives NOT
// EXISTS / NOT IN / NOT (x op ANY ...).
type Subquery struct {
	Kind   SubqueryKind
	Build  func() (exec.Operator, error)
	Outer  []exec.Expr
	Test   exec.Expr
	Cmp    *Overload
	Negate bool
	Typ    types.T

	// cached result of an uncorrelated subquery
	doneEC  *exec.EvalCtx
	res     subResult
	outerVs []*exec.Vec
	out     *exec.Vec
	key     []byte
	row     []types.Datum
}

type subResult struct {
	vals    *exec.Vec // first column of every row (scalar: at most one)
	rows    int
	set     map[string]struct{}
	setNull bool
}

// NewSubquery returns a subquery expression (see Subquery). typ is the
// result type: the column type for SubScalar, boolean otherwise.
func NewSubquery(kind SubqueryKind, build func() (exec.Operator, error), outer []exec.Expr, test exec.Expr, cmp *Overload, negate bool, typ types.T) exec.Expr {
	if kind != SubScalar {
		typ = types.TBool
	}
	return &Subquery{Kind: kind, Build: build, Outer: outer, Test: test, Cmp: cmp, Negate: negate, Typ: typ}
}

// Type returns the result type.
func (e *Subquery) Type() types.T { return e.Typ }

// String renders the subquery.
func (e *Subquery) String() string {
	s := "(subquery)"
	switch e.Kind {
	case SubExists:
		s = "EXISTS " + s
	case SubIn:
		s = e.Test.String() + " IN " + s
	case SubAny, SubAll:
		op := "="
		if e.Cmp != nil {
			op = e.Cmp.Name
		}
		k := " ANY "
		if e.Kind == SubAll {
			k = " ALL "
		}
		s = e.Test.String() + " " + op + k + s
	}
	if e.Negate {
		return "(NOT " + s + ")"
	}
	return s
}

// run executes the subquery and collects its result.
func (e *Subquery) run(ec *exec.EvalCtx) (subResult, error) {
	var res subResult
	op, err := e.Build()
	if err != nil {
		return res, err
	}
	ctx := ec.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	defer op.Close()
	if err := op.Init(ctx); err != nil {
		return res, err
	}
	var vt types.T
	if ts := op.Types(); len(ts) > 0 {
		vt = ts[0]
	}
	res.vals = exec.NewVec(vt, 0)
	for {
		ch, err := op.Next()
		if err != nil {
			return res, err
		}
		if ch == nil {
			break
		}
		n := ch.Len()
		for k := 0; k < n; k++ {
			r := ch.Row(k)
			res.rows++
			if len(ch.Cols) > 0 {
				d := ch.Cols[0].Get(r)
				if d.S != nil {
					d.S = append([]byte(nil), d.S...)
				}
				res.vals.Append(d)
			}
			if e.Kind == SubScalar && res.rows > 1 {
				return res, types.Errorf(types.CodeCardinalityViolation, "more than one row returned by a subquery used as an expression")
			}
		}
		if e.Kind == SubExists && res.rows > 0 {
			break
		}
	}
	if e.Kind == SubIn && (e.Cmp == nil || e.Cmp.Name == "=") && e.Test != nil &&
		e.Test.Type().Family.Physical() == vt.Family.Physical() {
		res.set = make(map[string]struct{}, res.vals.Len())
		for i := 0; i < res.vals.Len(); i++ {
			if res.vals.Nulls.IsNull(i) {
				res.setNull = true
				continue
			}
			res.set[string(appendKey(nil, res.vals, i))] = struct{}{}
		}
	}
	return res, nil
}

// Eval computes the visible rows.
func (e *Subquery) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	out := prepOut(&e.out, e.Typ, c.N)
	n := c.Len()
	if n == 0 {
		return out, nil
	}
	var test *exec.Vec
	if e.Test != nil {
		v, err := e.Test.Eval(ec, c)
		if err != nil {
			return nil, err
		}
		test = v
	}
	correlated := len(e.Outer) > 0
	if correlated {
		e.outerVs = e.outerVs[:0]
		for _, o := range e.Outer {
			v, err := o.Eval(ec, c)
			if err != nil {
				return nil, err
			}
			e.outerVs = append(e.outerVs, v)
		}
	} else if e.doneEC != ec {
		res, err := e.run(ec)
		if err != nil {
			return nil, err
		}
		e.res, e.doneEC = res, ec
	}
	saved := ec.Outer
	defer func() { ec.Outer = saved }()
	for k := 0; k < n; k++ {
		r := c.Row(k)
		res := &e.res
		if correlated {
			if cap(e.row) < len(e.outerVs) {
				e.row = make([]types.Datum, len(e.outerVs))
			}
			e.row = e.row[:len(e.outerVs)]
			for i, v := range e.outerVs {
				e.row[i] = v.Get(r)
			}
			ec.Outer = e.row
			var err error
			if e.res, err = e.run(ec); err != nil {
				return nil, err
			}
			ec.Outer = saved
		}
		if err := e.rowResult(ec, res, test, r, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *Subquery) rowResult(ec *exec.EvalCtx, res *subResult, test *exec.Vec, r int, out *exec.Vec) error {
	switch e.Kind {
	case SubScalar:
		if res.rows == 0 || res.vals.Typ.Family.Physical() != out.Typ.Family.Physical() {
			out.Nulls.SetNull(r)
		} else {
			out.Set(r, res.vals.Get(0))
		}
		return nil
	case SubExists:
		out.Bool[r] = (res.rows > 0) != e.Negate
		return nil
	}
	// IN / ANY / ALL
	all := e.Kind == SubAll
	if res.rows == 0 {
		out.Bool[r] = all != e.Negate
		return nil
	}
	if test.Nulls.IsNull(r) {
		out.Nulls.SetNull(r)
		return nil
	}
	if res.set != nil {
		e.key = appendKey(e.key[:0], test, r)
		_, found := res.set[string(e.key)]
		if !found && res.setNull {
			out.Nulls.SetNull(r)
			return nil
		}
		out.Bool[r] = found != e.Negate
		return nil
	}
	sawNull := false
	decided := false
	result := all
	td := test.Get(r)
	for i := 0; i < res.vals.Len(); i++ {
		if res.vals.Nulls.IsNull(i) {
			sawNull = true
			continue
		}
		ok, isNull, err := e.compare(ec, test.Typ, td, res.vals, i)
		if err != nil {
			return err
		}
		if isNull {
			sawNull = true
			continue
		}
		if all && !ok {
			result, decided = false, true
			break
		}
		if !all && ok {
			result, decided = true, true
			break
		}
	}
	if !decided && sawNull {
		out.Nulls.SetNull(r)
		return nil
	}
	out.Bool[r] = result != e.Negate
	return nil
}

// compare applies Cmp (or "=") to a test value and row i of vals.
func (e *Subquery) compare(ec *exec.EvalCtx, tt types.T, td types.Datum, vals *exec.Vec, i int) (bool, bool, error) {
	if e.Cmp == nil {
		if tt.Family.Physical() != vals.Typ.Family.Physical() {
			return false, true, nil
		}
		return compareDatums(tt.Family.Physical(), &td, ptr(vals.Get(i))) == 0, false, nil
	}
	a, err := castDatum(td, tt, e.Cmp.ArgType(0), false)
	if err != nil || tt.Family == e.Cmp.ArgType(0).Family {
		a, err = td, nil
	}
	b := vals.Get(i)
	if vals.Typ.Family != e.Cmp.ArgType(1).Family {
		if b, err = castDatum(b, vals.Typ, e.Cmp.ArgType(1), false); err != nil {
			return false, false, err
		}
	}
	av := exec.NewVec(e.Cmp.ArgType(0), 1)
	av.Set(0, a)
	bv := exec.NewVec(e.Cmp.ArgType(1), 1)
	bv.Set(0, b)
	o := exec.NewVec(types.TBool, 1)
	if err := e.Cmp.Fn(ec, []*exec.Vec{av, bv}, &exec.Chunk{Cols: nil, N: 1}, o); err != nil {
		return false, false, err
	}
	if o.Nulls.IsNull(0) {
		return false, true, nil
	}
	return o.Bool[0], false, nil
}

func ptr[T any](v T) *T { return &v }
