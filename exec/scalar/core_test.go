package scalar

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var (
	i2  = types.TInt2
	i4  = types.TInt4
	i8  = types.TInt8
	f8  = types.TFloat8
	num = types.TNumeric
	txt = types.TText
	bl  = types.TBool
)

func TestResolve(t *testing.T) {
	cases := []struct {
		name string
		args []types.T
		ret  types.T
		cast []types.T
		code string
	}{
		{"+", []types.T{i4, i8}, i8, []types.T{i8, i8}, ""},
		{"+", []types.T{i2, i2}, i2, []types.T{i2, i2}, ""},
		{"+", []types.T{i2, i4}, i4, []types.T{i4, i4}, ""},
		{"=", []types.T{i4, types.TUnknown}, bl, []types.T{i4, i4}, ""},
		{"=", []types.T{types.TUnknown, types.TUnknown}, bl, []types.T{txt, txt}, ""},
		{"||", []types.T{txt, i4}, txt, []types.T{txt, i4}, ""},
		{"||", []types.T{types.TUnknown, types.TUnknown}, txt, []types.T{txt, txt}, ""},
		{"+", []types.T{i4, num}, num, []types.T{num, num}, ""},
		{"+", []types.T{i4, types.TFloat4}, f8, []types.T{f8, types.TFloat4}, ""},
		{"=", []types.T{i4, f8}, bl, []types.T{f8, f8}, ""},
		{"^", []types.T{i4, i4}, f8, []types.T{f8, f8}, ""},
		{"-", []types.T{types.TTimestamp, types.TTimestamp}, types.TInterval, []types.T{types.TTimestamp, types.TTimestamp}, ""},
		{"=", []types.T{types.TDate, types.TTimestamp}, bl, []types.T{types.TTimestamp, types.TTimestamp}, ""},
		{"abs", []types.T{i4}, i4, []types.T{i4}, ""},
		{"length", []types.T{types.TUnknown}, i4, []types.T{txt}, ""},
		{"+", []types.T{i4, txt}, types.T{}, nil, "42883"},
		{"nosuchfn", []types.T{i4}, types.T{}, nil, "42883"},
	}
	for _, c := range cases {
		o, cast, err := Resolve(c.name, c.args)
		if c.code != "" {
			te, ok := err.(*types.Error)
			if !ok || te.Code != c.code {
				t.Errorf("%s%v: want %s, got %v", c.name, c.args, c.code, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s%v: %v", c.name, c.args, err)
			continue
		}
		if o.Ret.Family != c.ret.Family {
			t.Errorf("%s%v: ret %s, want %s", c.name, c.args, o.Ret, c.ret)
		}
		for i := range cast {
			if cast[i].Family != c.cast[i].Family {
				t.Errorf("%s%v: cast %v, want %v", c.name, c.args, cast, c.cast)
				break
			}
		}
	}
	_, _, err := Resolve("+", []types.T{i4, txt})
	if err.Error() != "operator does not exist: integer + text" {
		t.Errorf("message %q", err)
	}
	_, _, err = Resolve("foo", []types.T{i4})
	if err.Error() != "function foo(integer) does not exist" {
		t.Errorf("message %q", err)
	}
}

func TestIntArith(t *testing.T) {
	c := mkChunk([]types.T{i4, i4}, []any{7, -7, nl, 1 << 30, 5}, []any{2, 2, 3, 4, 0})
	a, b := col(0, i4), col(1, i4)
	c.Sel = []int{0, 1, 2} // row 3 overflows, row 4 divides by zero: hidden
	expectRows(t, call(t, "+", a, b), c, "9", "-5", "NULL")
	expectRows(t, call(t, "-", a, b), c, "5", "-9", "NULL")
	expectRows(t, call(t, "*", a, b), c, "14", "-14", "NULL")
	expectRows(t, call(t, "/", a, b), c, "3", "-3", "NULL")
	expectRows(t, call(t, "%", a, b), c, "1", "-1", "NULL")
	expectRows(t, call(t, "u-", a), c, "-7", "7", "NULL")
	c.Sel = nil
	expectErr(t, call(t, "*", a, b), c, "22003", "integer out of range")
	expectErr(t, call(t, "/", a, b), c, "22012", "division by zero")

	c8 := mkChunk([]types.T{i8, i8}, []any{int64(-1 << 63), int64(1<<63 - 1), int64(3)}, []any{-1, 1, 4})
	c8.Sel = []int{0}
	expectErr(t, call(t, "/", col(0, i8), col(1, i8)), c8, "22003", "bigint out of range")
	expectRows(t, call(t, "%", col(0, i8), col(1, i8)), c8, "0")
	c8.Sel = []int{1}
	expectErr(t, call(t, "+", col(0, i8), col(1, i8)), c8, "22003", "bigint out of range")
	expectErr(t, call(t, "*", col(0, i8), konst(i8, 2)), c8, "22003", "bigint out of range")
	c8.Sel = []int{0}
	expectErr(t, call(t, "u-", col(0, i8)), c8, "22003", "bigint out of range")
	c8.Sel = []int{2}
	expectRows(t, call(t, "*", col(0, i8), col(1, i8)), c8, "12")

	c2 := mkChunk([]types.T{i2}, []any{32767})
	expectErr(t, call(t, "+", col(0, i2), konst(i2, 1)), c2, "22003", "smallint out of range")
	// int2 + int4 is integer arithmetic: no smallint overflow
	expectRows(t, call(t, "+", col(0, i2), konst(i4, 1)), c2, "32768")
}

func TestFloatArith(t *testing.T) {
	c := mkChunk([]types.T{f8, f8}, []any{1.5, 1e308, 1.0}, []any{2.0, 10.0, 0.0})
	c.Sel = []int{0}
	expectRows(t, call(t, "*", col(0, f8), col(1, f8)), c, "3")
	expectRows(t, call(t, "/", col(0, f8), col(1, f8)), c, "0.75")
	c.Sel = []int{1}
	expectErr(t, call(t, "*", col(0, f8), col(1, f8)), c, "22003", "value out of range: overflow")
	c.Sel = []int{2}
	expectErr(t, call(t, "/", col(0, f8), col(1, f8)), c, "22012", "division by zero")
}

func TestNumeric(t *testing.T) {
	n := func(s string) exec.Expr { return konst(num, s) }
	cases := []struct {
		op   string
		a, b string
		want string
	}{
		{"/", "1", "3", "0.33333333333333333333"},
		{"/", "10", "4", "2.5000000000000000"},
		{"/", "1.000", "3", "0.33333333333333333333"},
		{"/", "100000", "3", "33333.333333333333"},
		{"/", "2", "3", "0.66666666666666666667"},
		{"/", "1", "7.00", "0.14285714285714285714"},
		{"*", "1.5", "1.25", "1.875"},
		{"+", "2.50", "1", "3.50"},
		{"-", "1", "1.000", "0.000"},
		{"%", "10.5", "3", "1.5"},
		{"^", "2", "3", "8.0000000000000000"},
	}
	for _, cs := range cases {
		got := sq(t, call(t, cs.op, n(cs.a), n(cs.b)))
		if got != cs.want {
			t.Errorf("%s %s %s = %s, want %s", cs.a, cs.op, cs.b, got, cs.want)
		}
	}
	expectErr(t, call(t, "/", n("1"), n("0")), one(), "22012", "division by zero")
	// int / numeric resolves to numeric division
	if got := sq(t, call(t, "/", konst(i4, 1), n("3"))); got != "0.33333333333333333333" {
		t.Errorf("1/3::numeric = %s", got)
	}
}

func TestCompare(t *testing.T) {
	c := mkChunk([]types.T{i4, i8, txt, f8}, []any{1, 2, 3, nl}, []any{2, 2, 2, 2}, []any{"a", "b", "c", "d"}, []any{1.0, 2.0, 3.0, 4.0})
	a, b := col(0, i4), col(1, i8)
	expectRows(t, call(t, "<", a, b), c, "t", "f", "f", "NULL")
	expectRows(t, call(t, "=", a, b), c, "f", "t", "f", "NULL")
	expectRows(t, call(t, ">=", a, b), c, "f", "t", "t", "NULL")
	expectRows(t, call(t, "<>", col(2, txt), lit("b")), c, "t", "f", "t", "t")
	expectRows(t, call(t, "=", a, lit("3")), c, "f", "f", "t", "NULL")
	expectRows(t, call(t, "=", a, col(3, f8)), c, "t", "t", "t", "NULL")
	c.Sel = []int{1, 3}
	expectRows(t, call(t, "<=", a, b), c, "t", "NULL")
}

func TestLogic(t *testing.T) {
	vals := []any{true, false, nl}
	var l, r []any
	for _, x := range vals {
		for _, y := range vals {
			l, r = append(l, x), append(r, y)
		}
	}
	c := mkChunk([]types.T{bl, bl}, l, r)
	a, b := col(0, bl), col(1, bl)
	expectRows(t, NewAnd(a, b), c, "t", "f", "NULL", "f", "f", "f", "NULL", "f", "NULL")
	expectRows(t, NewOr(a, b), c, "t", "t", "t", "t", "f", "NULL", "t", "NULL", "NULL")
	expectRows(t, NewNot(a), c, "f", "f", "f", "t", "t", "t", "NULL", "NULL", "NULL")
	expectRows(t, &IsNull{Arg: a}, c, "f", "f", "f", "f", "f", "f", "t", "t", "t")
	expectRows(t, &IsBool{Arg: b, Want: true}, c, "t", "f", "f", "t", "f", "f", "t", "f", "f")
	expectRows(t, &IsBool{Arg: b, Want: false, Negate: true}, c, "t", "f", "t", "t", "f", "t", "t", "f", "t")
	expectRows(t, &IsUnknown{Arg: b}, c, "f", "f", "t", "f", "f", "t", "f", "f", "t")
	expectRows(t, NewIsDistinct(a, b, false), c, "f", "t", "t", "t", "f", "t", "t", "t", "f")
	expectRows(t, NewIsDistinct(a, b, true), c, "t", "f", "f", "f", "t", "f", "f", "f", "t")
	c.Sel = []int{2, 5, 8}
	expectRows(t, NewAnd(a, b), c, "NULL", "f", "NULL")
}

func TestShortCircuit(t *testing.T) {
	c := mkChunk([]types.T{i4, i4}, []any{10, 5, 7, nl}, []any{2, 0, nl, 0})
	a, b := col(0, i4), col(1, i4)
	// b <> 0 AND a / b > 1
	e := NewAnd(call(t, "<>", b, konst(i4, 0)), call(t, ">", call(t, "/", a, b), konst(i4, 1)))
	expectRows(t, e, c, "t", "f", "NULL", "f")
	// b = 0 OR a / b > 1
	e = NewOr(call(t, "=", b, konst(i4, 0)), call(t, ">", call(t, "/", a, b), konst(i4, 1)))
	expectRows(t, e, c, "t", "t", "NULL", "t")
	// CASE WHEN b = 0 THEN 0 ELSE a / b END
	cs := NewCase(nil, []When{{Cond: call(t, "=", b, konst(i4, 0)), Then: konst(i4, 0)}}, call(t, "/", a, b))
	expectRows(t, cs, c, "5", "0", "NULL", "0")
	c.Sel = []int{1, 2}
	expectRows(t, cs, c, "0", "NULL")
	// simple CASE
	c.Sel = nil
	sc := NewCase(b, []When{{Cond: konst(i4, 0), Then: lit("zero")}, {Cond: konst(i4, 2), Then: lit("two")}}, nil)
	expectRows(t, sc, c, "two", "zero", "NULL", "zero")
	// COALESCE is lazy too: the second argument divides by zero only where reached
	co := NewCoalesce([]exec.Expr{b, call(t, "/", a, b)})
	expectRows(t, co, c, "2", "0", "NULL", "0")
	expectRows(t, NewCoalesce([]exec.Expr{b, a}), c, "2", "0", "7", "0")
	expectRows(t, NewNullIf(b, konst(i4, 0)), c, "2", "NULL", "NULL", "NULL")
	expectRows(t, NewGreatest([]exec.Expr{a, b}), c, "10", "5", "7", "0")
	expectRows(t, NewLeast([]exec.Expr{a, b}), c, "2", "0", "7", "0")
}

func TestInList(t *testing.T) {
	c := mkChunk([]types.T{i4}, []any{1, 2, nl})
	a := col(0, i4)
	k := func(v any) exec.Expr { return konst(i4, v) }
	expectRows(t, NewInList(a, []exec.Expr{k(1), k(3)}, false), c, "t", "f", "NULL")
	expectRows(t, NewInList(a, []exec.Expr{k(2), nullLit()}, false), c, "NULL", "t", "NULL")
	expectRows(t, NewInList(a, []exec.Expr{k(1), k(nl)}, true), c, "f", "NULL", "NULL")
	expectRows(t, NewInList(a, []exec.Expr{k(5), lit("2")}, true), c, "t", "f", "NULL")
	// non-constant list
	expectRows(t, NewInList(a, []exec.Expr{call(t, "+", a, k(0)), k(nl)}, false), c, "t", "t", "NULL")
	expectRows(t, NewInList(a, []exec.Expr{call(t, "+", k(1), k(0)), k(nl)}, false), c, "t", "NULL", "NULL")
}

func TestCast(t *testing.T) {
	c := mkChunk([]types.T{i8, f8, txt}, []any{70000, nl, 5}, []any{2.5, 3.5, -2.5}, []any{"42", "x", " 7 "})
	c.Sel = []int{1, 2}
	expectRows(t, NewCast(col(0, i8), i2), c, "NULL", "5")
	expectRows(t, NewCast(col(0, i8), txt), c, "NULL", "5")
	expectRows(t, NewCast(col(1, f8), i4), c, "4", "-2")
	expectRows(t, NewCast(col(0, i8), num), c, "NULL", "5")
	expectRows(t, NewCast(col(0, i8), f8), c, "NULL", "5")
	c.Sel = nil
	expectErr(t, NewCast(col(0, i8), i2), c, "22003", "smallint out of range")
	expectRows(t, NewCast(col(1, f8), i4), c, "2", "4", "-2")
	expectRows(t, NewCast(konst(bl, true), txt), one(), "true")
	expectRows(t, NewCast(lit("12"), i4), one(), "12")
	expectErr(t, NewCast(lit("abc"), i4), one(), "22P02", "")
	c.Sel = []int{0}
	expectRows(t, NewCast(col(2, txt), i4), c, "42")
	vc := types.T{Family: types.Text, Width: 3}
	expectRows(t, NewCast(lit("abcdef"), vc), one(), "abc")
	expectErr(t, NewAssignCast(lit("abcdef"), vc), one(), "22001", "value too long for type character varying(3)")
	expectRows(t, NewAssignCast(lit("abc  "), vc), one(), "abc")
}

func TestWalkRewrite(t *testing.T) {
	e := NewAnd(call(t, ">", col(0, i4), konst(i4, 1)), NewOr(col(1, bl), NewNot(col(2, bl))), &IsNull{Arg: col(3, i4)})
	parts := SplitAnd(e)
	if len(parts) != 3 {
		t.Fatalf("SplitAnd: %d parts", len(parts))
	}
	if MakeAnd(parts[:1]) != parts[0] || MakeAnd(nil) != nil {
		t.Error("MakeAnd")
	}
	var refs []int
	Walk(e, func(x exec.Expr) bool {
		if r, ok := x.(*exec.ColRef); ok {
			refs = append(refs, r.Idx)
		}
		return true
	})
	if len(refs) != 4 {
		t.Errorf("Walk found %v", refs)
	}
	e2 := Rewrite(e, func(x exec.Expr) exec.Expr {
		if r, ok := x.(*exec.ColRef); ok {
			return &exec.ColRef{Idx: r.Idx + 10, Typ: r.Typ}
		}
		return x
	})
	refs = nil
	Walk(e2, func(x exec.Expr) bool {
		if r, ok := x.(*exec.ColRef); ok {
			refs = append(refs, r.Idx)
		}
		return true
	})
	if refs[0] != 10 || refs[3] != 13 {
		t.Errorf("Rewrite gave %v", refs)
	}
	k := call(t, "+", konst(i4, 1), call(t, "*", konst(i4, 2), konst(i4, 3)))
	if !IsConst(k) || IsConst(e) {
		t.Error("IsConst")
	}
	d, err := EvalConst(nil, k)
	if err != nil || d.I != 7 {
		t.Errorf("EvalConst = %v, %v", d, err)
	}
	if IsConst(call(t, "random")) {
		t.Error("random() is not constant")
	}
}

func TestParams(t *testing.T) {
	ec := newEC()
	ec.Params = []types.Datum{types.NewInt(5)}
	c := mkChunk([]types.T{i4}, []any{1, 2})
	v, err := call(t, "+", col(0, i4), &Param{Idx: 0, Typ: i4}).Eval(ec, c)
	if err != nil || v.Int[0] != 6 || v.Int[1] != 7 {
		t.Fatalf("param: %v %v", v, err)
	}
	_, err = (&Param{Idx: 1, Typ: i4}).Eval(ec, c)
	if te, ok := err.(*types.Error); !ok || te.Code != "42P02" {
		t.Errorf("missing param: %v", err)
	}
}

// testOp is a tiny operator returning fixed rows, optionally computed from
// ec.Outer by a function.
type testOp struct {
	ts   []types.T
	rows [][]types.Datum
	done bool
}

func (o *testOp) Init(context.Context) error { return nil }
func (o *testOp) Close() error               { return nil }
func (o *testOp) Types() []types.T           { return o.ts }
func (o *testOp) Next() (*exec.Chunk, error) {
	if o.done {
		return nil, nil
	}
	o.done = true
	c := exec.NewChunk(o.ts)
	for _, r := range o.rows {
		c.AppendDatums(r)
	}
	return c, nil
}

func ints(vs ...any) [][]types.Datum {
	var out [][]types.Datum
	for _, v := range vs {
		out = append(out, []types.Datum{datumOf(i4, v)})
	}
	return out
}

func TestSubquery(t *testing.T) {
	builds := 0
	fixed := func(rows [][]types.Datum) func() (exec.Operator, error) {
		return func() (exec.Operator, error) {
			builds++
			return &testOp{ts: []types.T{i4}, rows: rows}, nil
		}
	}
	c := mkChunk([]types.T{i4}, []any{1, 2, nl})
	a := col(0, i4)
	expectRows(t, NewSubquery(SubScalar, fixed(ints(9)), nil, nil, nil, false, i4), c, "9", "9", "9")
	expectRows(t, NewSubquery(SubScalar, fixed(nil), nil, nil, nil, false, i4), c, "NULL", "NULL", "NULL")
	expectErr(t, NewSubquery(SubScalar, fixed(ints(1, 2)), nil, nil, nil, false, i4), c, "21000", "more than one row returned by a subquery used as an expression")
	expectRows(t, NewSubquery(SubExists, fixed(ints(1)), nil, nil, nil, false, bl), c, "t", "t", "t")
	expectRows(t, NewSubquery(SubExists, fixed(nil), nil, nil, nil, true, bl), c, "t", "t", "t")
	builds = 0
	in := NewSubquery(SubIn, fixed(ints(1, nl)), nil, a, nil, false, bl)
	ec1 := newEC()
	for i := 0; i < 2; i++ {
		v, err := in.Eval(ec1, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(v, c); !eq(got, []string{"t", "NULL", "NULL"}) {
			t.Errorf("IN subquery: %v", got)
		}
	}
	if builds != 1 {
		t.Errorf("uncorrelated subquery built %d times", builds)
	}
	expectRows(t, NewSubquery(SubIn, fixed(ints(1, 3)), nil, a, nil, true, bl), c, "f", "t", "NULL")
	expectRows(t, NewSubquery(SubIn, fixed(nil), nil, a, nil, true, bl), c, "t", "t", "t")
	lt, _, _ := Resolve("<", []types.T{i4, i4})
	expectRows(t, NewSubquery(SubAny, fixed(ints(2, nl)), nil, a, lt, false, bl), c, "t", "NULL", "NULL")
	expectRows(t, NewSubquery(SubAll, fixed(ints(2, 3)), nil, a, lt, false, bl), c, "t", "f", "NULL")
	expectRows(t, NewSubquery(SubAll, fixed(nil), nil, a, lt, false, bl), c, "t", "t", "t")
	// correlated: SELECT outer.a * 10, the operator reading ec.Outer via OuterRef
	ec := newEC()
	corr := func() (exec.Operator, error) {
		e := call(t, "*", &OuterRef{Idx: 0, Typ: i4}, konst(i4, 10))
		d, err := EvalConst(ec, e)
		if err != nil {
			return nil, err
		}
		return &testOp{ts: []types.T{i4}, rows: [][]types.Datum{{d}}}, nil
	}
	sub := NewSubquery(SubScalar, corr, []exec.Expr{a}, nil, nil, false, i4)
	v, err := sub.Eval(ec, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(v, c); !eq(got, []string{"10", "20", "NULL"}) {
		t.Errorf("correlated: %v", got)
	}
	if ec.Outer != nil {
		t.Error("ec.Outer not restored")
	}
}
