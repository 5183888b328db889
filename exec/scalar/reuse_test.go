package scalar

import (
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

func TestMoreNumericAndInterval(t *testing.T) {
	n := func(s string) exec.Expr { return konst(num, s) }
	for _, cs := range []struct {
		e    exec.Expr
		want string
	}{
		{call(t, "*", n("1.5"), n("2")), "3.0"},
		{call(t, "/", n("10.0"), n("4.00")), "2.5000000000000000"},
		{call(t, "*", n("0.1"), n("3")), "0.3"},
		{call(t, "%", n("123.456"), n("1")), "0.456"},
		{call(t, "u-", n("0.0")), "0.0"},
	} {
		if got := sq(t, cs.e); got != cs.want {
			t.Errorf("%s = %s, want %s", cs.e, got, cs.want)
		}
	}
	iv := func(s string) exec.Expr { return konst(types.TInterval, s) }
	expectRows(t, NewInList(iv("1 day"), []exec.Expr{iv("24 hours")}, false), one(), "t")
	expectRows(t, call(t, "=", iv("1 mon"), iv("30 days")), one(), "t")
	expectRows(t, NewGreatest([]exec.Expr{konst(i4, 1), nullLit(), konst(i4, 3)}), one(), "3")
	expectRows(t, NewLeast([]exec.Expr{konst(i4, nl), konst(i4, nl)}), one(), "NULL")
	expectRows(t, NewNullIf(konst(i4, 1), konst(i4, 1)), one(), "NULL")
}

// TestOutputReuse evaluates the same nodes on successive chunks: NULL bits
// and values of an earlier chunk must not leak into the next result.
func TestOutputReuse(t *testing.T) {
	a, b := col(0, i4), col(1, i4)
	exprs := []exec.Expr{
		call(t, "+", a, b),
		call(t, "<", a, b),
		NewAnd(call(t, ">", a, konst(i4, 0)), call(t, ">", b, konst(i4, 0))),
		NewCase(nil, []When{{Cond: call(t, ">", a, b), Then: a}}, b),
		NewCoalesce([]exec.Expr{a, b}),
		NewCast(a, txt),
		NewInList(a, []exec.Expr{konst(i4, 1), konst(i4, 5)}, false),
	}
	c1 := mkChunk([]types.T{i4, i4}, []any{nl, nl, nl}, []any{nl, nl, nl})
	c2 := mkChunk([]types.T{i4, i4}, []any{1, 2, 3, 4, 5}, []any{5, 4, 3, 2, 1})
	for _, e := range exprs {
		evalStrs(t, e, c1)
		got := evalStrs(t, e, c2)
		for i, g := range got {
			if g == "NULL" {
				t.Errorf("%s: row %d NULL after reuse: %v", e, i, got)
			}
		}
	}
}

// TestRandomSelections checks that evaluating under a random selection
// gives, on the visible rows, the values of a full evaluation.
func TestRandomSelections(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200
	var as, bs, ss []any
	for i := 0; i < n; i++ {
		if rng.IntN(5) == 0 {
			as = append(as, nl)
		} else {
			as = append(as, rng.IntN(20)-10)
		}
		if rng.IntN(5) == 0 {
			bs = append(bs, nl)
		} else {
			bs = append(bs, rng.IntN(20)-10)
		}
		ss = append(ss, []string{"abc", "xbz", "", "héllo"}[rng.IntN(4)])
	}
	mk := func() []exec.Expr {
		a, b, s := col(0, i4), col(1, i4), col(2, txt)
		return []exec.Expr{
			call(t, "*", a, b),
			call(t, ">=", a, b),
			NewOr(call(t, "=", a, konst(i4, 3)), call(t, "<", b, konst(i4, 0))),
			NewNot(call(t, "=", a, b)),
			NewCase(nil, []When{{Cond: call(t, "=", b, konst(i4, 0)), Then: konst(i4, 0)}}, call(t, "/", a, b)),
			NewCoalesce([]exec.Expr{a, b, konst(i4, 7)}),
			NewInList(a, []exec.Expr{konst(i4, 1), konst(i4, 2), nullLit()}, true),
			NewIsDistinct(a, b, false),
			call(t, "like", s, lit("%b%")),
			call(t, "||", s, a),
			call(t, "length", s),
			NewGreatest([]exec.Expr{a, b}),
		}
	}
	full := mkChunk([]types.T{i4, i4, txt}, as, bs, ss)
	fullExprs := mk()
	want := make([][]string, len(fullExprs))
	for i, e := range fullExprs {
		want[i] = evalStrs(t, e, full)
	}
	selExprs := mk()
	for round := 0; round < 20; round++ {
		sel := []int{}
		for r := 0; r < n; r++ {
			if rng.IntN(3) == 0 {
				sel = append(sel, r)
			}
		}
		full.Sel = sel
		for i, e := range selExprs {
			got := evalStrs(t, e, full)
			for k, r := range sel {
				if got[k] != want[i][r] {
					t.Fatalf("%s row %d: sel gives %s, full gives %s", e, r, got[k], want[i][r])
				}
			}
		}
	}
}

func TestMixedTypes(t *testing.T) {
	c := mkChunk([]types.T{i4}, []any{1, 2, nl})
	a := col(0, i4)
	expectRows(t, NewInList(a, []exec.Expr{konst(num, "1.5"), konst(num, "2.0")}, false), c, "f", "t", "NULL")
	expectRows(t, NewIsDistinct(a, konst(num, "2.0"), false), c, "t", "f", "t")
	expectRows(t, NewCoalesce([]exec.Expr{a, konst(num, "0.5")}), c, "1", "2", "0.5")
	expectRows(t, NewGreatest([]exec.Expr{a, konst(f8, 1.5)}), c, "1.5", "2", "1.5")
	cs := NewCase(nil, []When{{Cond: call(t, "=", a, konst(i4, 1)), Then: lit("one")}}, a)
	expectErr(t, cs, c, "22P02", `invalid input syntax for type integer: "one"`) // as PostgreSQL
	cs = NewCase(nil, []When{{Cond: call(t, "=", a, konst(i4, 1)), Then: konst(txt, "one")}}, a)
	expectErr(t, cs, c, "42804", "CASE types text and integer cannot be matched")
	if _, err := CommonType("UNION", []types.T{i4, num, types.TUnknown}); err != nil {
		t.Error(err)
	}
	if ct, _ := CommonType("UNION", []types.T{i4, num, f8}); ct.Family != types.Float64 {
		t.Errorf("common type %s", ct)
	}
	// subquery comparison through an overload needing casts: int4 < numeric
	lt, _, _ := Resolve("<", []types.T{num, num})
	sub := NewSubquery(SubAny, func() (exec.Operator, error) {
		return &testOp{ts: []types.T{i4}, rows: ints(2)}, nil
	}, nil, a, lt, false, bl)
	expectRows(t, sub, c, "t", "f", "NULL")
}
