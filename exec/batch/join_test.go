package batch

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var jt = []types.T{types.TInt8, types.TText}

func TestHashJoinTypes(t *testing.T) {
	left := [][]types.Datum{{I(1), S("l1")}, {I(2), S("l2")}, {I(2), S("l2b")}, {N(), S("lnull")}, {I(4), S("l4")}}
	right := [][]types.Datum{{I(2), S("r2")}, {I(2), S("r2b")}, {I(3), S("r3")}, {N(), S("rnull")}, {I(1), S("r1")}}
	cases := []struct {
		typ  JoinType
		want []string
	}{
		{InnerJoin, []string{"1|l1|1|r1", "2|l2|2|r2", "2|l2|2|r2b", "2|l2b|2|r2", "2|l2b|2|r2b"}},
		{LeftJoin, []string{"1|l1|1|r1", "2|l2|2|r2", "2|l2|2|r2b", "2|l2b|2|r2", "2|l2b|2|r2b", "NULL|lnull|NULL|NULL", "4|l4|NULL|NULL"}},
		{RightJoin, []string{"1|l1|1|r1", "2|l2|2|r2", "2|l2|2|r2b", "2|l2b|2|r2", "2|l2b|2|r2b", "NULL|NULL|3|r3", "NULL|NULL|NULL|rnull"}},
		{FullJoin, []string{"1|l1|1|r1", "2|l2|2|r2", "2|l2|2|r2b", "2|l2b|2|r2", "2|l2b|2|r2b", "NULL|lnull|NULL|NULL", "4|l4|NULL|NULL", "NULL|NULL|3|r3", "NULL|NULL|NULL|rnull"}},
		{SemiJoin, []string{"1|l1", "2|l2", "2|l2b"}},
		{AntiJoin, []string{"NULL|lnull", "4|l4"}},
		{NullAwareAntiJoin, nil},
	}
	for _, c := range cases {
		op := NewHashJoin(NewValues(jt, left), NewValues(jt, right), []int{0}, []int{0}, c.typ, nil, ec)
		t.Run(c.typ.String(), func(t *testing.T) { checkRows(t, op, c.want, false) })
		cond := cmpE("=", col(0, types.TInt8), col(2, types.TInt8))
		if c.typ.leftOnly() {
			// The NLJ sees left++right for its condition too.
		}
		nl := NewNestedLoopJoin(NewValues(jt, left), NewValues(jt, right), c.typ, cond, ec)
		t.Run("NL"+c.typ.String(), func(t *testing.T) { checkRows(t, nl, c.want, false) })
	}
	// Null-aware anti join without NULLs on the right.
	right2 := right[:3]
	op := NewHashJoin(NewValues(jt, left), NewValues(jt, right2), []int{0}, []int{0}, NullAwareAntiJoin, nil, ec)
	checkRows(t, op, []string{"1|l1", "4|l4"}, false)
	// ... and with an empty right side every row qualifies, NULL keys too.
	op = NewHashJoin(NewValues(jt, left), NewValues(jt, nil), []int{0}, []int{0}, NullAwareAntiJoin, nil, ec)
	checkRows(t, op, fmtRows(jt, left), false)
	op = NewNestedLoopJoin(NewValues(jt, left), NewValues(jt, nil), NullAwareAntiJoin, cmpE("=", col(0, types.TInt8), col(2, types.TInt8)), ec)
	checkRows(t, op, fmtRows(jt, left), false)

	// Residual: l.text < r.text, part of the ON condition of a left join.
	res := cmpE("<", col(1, types.TText), col(3, types.TText))
	op = NewHashJoin(NewValues(jt, left), NewValues(jt, right), []int{0}, []int{0}, LeftJoin, res, ec)
	checkRows(t, op, []string{"1|l1|1|r1", "2|l2|2|r2", "2|l2|2|r2b", "2|l2b|2|r2", "2|l2b|2|r2b", "NULL|lnull|NULL|NULL", "4|l4|NULL|NULL"}, false)
	res = cmpE(">", col(1, types.TText), cnst(S("l2"), types.TText))
	op = NewHashJoin(NewValues(jt, left), NewValues(jt, right), []int{0}, []int{0}, FullJoin, res, ec)
	checkRows(t, op, []string{"1|l1|NULL|NULL", "2|l2|NULL|NULL", "2|l2b|2|r2", "2|l2b|2|r2b", "NULL|lnull|NULL|NULL", "4|l4|NULL|NULL", "NULL|NULL|3|r3", "NULL|NULL|NULL|rnull", "NULL|NULL|1|r1"}, false)
	op = NewHashJoin(NewValues(jt, left), NewValues(jt, right), []int{0}, []int{0}, SemiJoin, res, ec)
	checkRows(t, op, []string{"2|l2b"}, false)
	op = NewHashJoin(NewValues(jt, left), NewValues(jt, right), []int{0}, []int{0}, AntiJoin, res, ec)
	checkRows(t, op, []string{"1|l1", "2|l2", "NULL|lnull", "4|l4"}, false)

	// Cross join.
	op = NewNestedLoopJoin(NewValues(jt, left[:2]), NewValues(jt, right[:2]), InnerJoin, nil, ec)
	checkRows(t, op, []string{"1|l1|2|r2", "1|l1|2|r2b", "2|l2|2|r2", "2|l2|2|r2b"}, false)
}

func joinRows(rnd *rand.Rand, n, keys int, tag string) [][]types.Datum {
	rows := make([][]types.Datum, n)
	for i := range rows {
		k := I(int64(rnd.Intn(keys)))
		if rnd.Intn(10) == 0 {
			k = N()
		}
		rows[i] = []types.Datum{k, S(fmt.Sprintf("%s%d", tag, rnd.Intn(20)))}
	}
	return rows
}

// TestJoinDifferential compares HashJoin with NestedLoopJoin on random data.
func TestJoinDifferential(t *testing.T) {
	for seed := int64(0); seed < 9; seed++ {
		rnd := rand.New(rand.NewSource(seed))
		nl := []int{0, 1, 50, 1025, 2000}[rnd.Intn(5)]
		nr := []int{0, 1, 40, 1024, 1100}[rnd.Intn(5)]
		keys := 1 + rnd.Intn(200)
		left, right := joinRows(rnd, nl, keys, "x"), joinRows(rnd, nr, keys, "x")
		if seed%3 == 0 {
			// No NULL keys on the right: exercises null-aware anti joins.
			for _, r := range right {
				if r[0].Null {
					r[0] = I(0)
				}
			}
		}
		for typ := InnerJoin; typ <= NullAwareAntiJoin; typ++ {
			for _, withRes := range []bool{false, true} {
				var res exec.Expr
				cond := cmpE("=", col(0, types.TInt8), col(2, types.TInt8))
				if withRes {
					res = cmpE("<", col(1, types.TText), col(3, types.TText))
					cond = &andOp{a: cond, b: cmpE("<", col(1, types.TText), col(3, types.TText))}
				}
				h := NewHashJoin(chunked(jt, left, rnd, true), chunked(jt, right, rnd, true), []int{0}, []int{0}, typ, res, ec)
				n := NewNestedLoopJoin(chunked(jt, left, rnd, false), chunked(jt, right, rnd, false), typ, cond, ec)
				want := drain(t, n)
				t.Run(fmt.Sprintf("%d/%s/%v", seed, typ, withRes), func(t *testing.T) { checkRows(t, h, want, false) })
			}
		}
	}
}
