package batch

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestSetOps(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText}
	l := [][]types.Datum{{I(1), S("a")}, {I(1), S("a")}, {I(1), S("a")}, {I(2), N()}, {I(2), N()}, {N(), S("x")}, {I(3), S("c")}}
	r := [][]types.Datum{{I(1), S("a")}, {I(2), N()}, {I(2), N()}, {I(2), N()}, {I(4), S("d")}, {N(), S("x")}}
	cases := []struct {
		kind SetOpKind
		all  bool
		want []string
	}{
		{Union, false, []string{"1|a", "2|NULL", "NULL|x", "3|c", "4|d"}},
		{Union, true, append(fmtRows(ts, l), fmtRows(ts, r)...)},
		{Intersect, false, []string{"1|a", "2|NULL", "NULL|x"}},
		{Intersect, true, []string{"1|a", "2|NULL", "2|NULL", "NULL|x"}},
		{Except, false, []string{"3|c"}},
		{Except, true, []string{"1|a", "1|a", "3|c"}},
	}
	for _, c := range cases {
		rnd := rand.New(rand.NewSource(3))
		op := NewSetOp(c.kind, c.all, chunked(ts, l, rnd, true), chunked(ts, r, rnd, true))
		t.Run(fmt.Sprint(c.kind, c.all), func(t *testing.T) { checkRows(t, op, c.want, false) })
	}
	// Large inputs across chunk boundaries: EXCEPT ALL counts.
	var big, small [][]types.Datum
	for i := 0; i < 5000; i++ {
		big = append(big, []types.Datum{I(int64(i % 100)), S("v")})
	}
	for i := 0; i < 1025; i++ {
		small = append(small, []types.Datum{I(int64(i % 50)), S("v")})
	}
	rnd := rand.New(rand.NewSource(4))
	rows := drain(t, NewSetOp(Except, true, chunked(ts, big, rnd, true), chunked(ts, small, rnd, false)))
	// Keys 0..24 appear 21 times on the right, 25..49 20 times; 50 per key on the left.
	if want := 5000 - 1025; len(rows) != want {
		t.Fatalf("EXCEPT ALL: %d rows, want %d", len(rows), want)
	}
	rows = drain(t, NewSetOp(Intersect, true, chunked(ts, big, rnd, true), chunked(ts, small, rnd, false)))
	if len(rows) != 1025 {
		t.Fatalf("INTERSECT ALL: %d rows, want 1025", len(rows))
	}
	rows = drain(t, NewSetOp(Union, false, chunked(ts, big, rnd, true), chunked(ts, small, rnd, false)))
	if len(rows) != 100 {
		t.Fatalf("UNION: %d rows, want 100", len(rows))
	}
}

func TestDistinct(t *testing.T) {
	ts := []types.T{types.TInt8, types.TFloat8, types.TNumeric, types.TText}
	negz := F(math.Copysign(0, -1))
	rows := [][]types.Datum{
		{I(1), F(0), Dec("1.0"), S("a")},
		{I(2), negz, Dec("1.00"), S("a")},
		{I(3), F(nan()), Dec("1"), S("b")},
		{I(4), F(nan()), Dec("2"), N()},
		{I(5), N(), N(), N()},
		{I(6), N(), Dec("2.0"), N()},
	}
	// DISTINCT ON (float): first per key in input order.
	checkRows(t, NewDistinctOn(NewValues(ts, rows), []int{1}), []string{"1|0|1.0|a", "3|NaN|1|b", "5|NULL|NULL|NULL"}, true)
	checkRows(t, NewDistinctOn(NewValues(ts, rows), []int{2}), []string{"1|0|1.0|a", "4|NaN|2|NULL", "5|NULL|NULL|NULL"}, true)
	checkRows(t, NewDistinct(NewValues(ts, rows), []int{3}), []string{"1|0|1.0|a", "3|NaN|1|b", "4|NaN|2|NULL"}, true)
	checkRows(t, NewDistinct(NewValues(ts, rows), nil), fmtRows(ts, rows), true)
	// Across chunks with selections.
	var many [][]types.Datum
	for i := 0; i < 5000; i++ {
		many = append(many, []types.Datum{I(int64(i % 1500)), F(1), Dec("1"), S("z")})
	}
	rnd := rand.New(rand.NewSource(5))
	got := drain(t, NewDistinct(chunked(ts, many, rnd, true), []int{0}))
	if len(got) != 1500 || got[0] != "0|1|1|z" || got[1499] != "1499|1|1|z" {
		t.Fatalf("distinct: %d rows", len(got))
	}
}

func TestDistinctInterval(t *testing.T) {
	ts := []types.T{types.TInterval, types.TInt8}
	iv := func(m, d int32, us int64) types.Datum {
		return types.NewInterval(types.IntervalValue{Months: m, Days: d, Micros: us})
	}
	rows := [][]types.Datum{
		{iv(0, 1, 0), I(1)},
		{iv(0, 0, 24*3600e6), I(2)},
		{iv(1, 0, 0), I(3)},
		{iv(0, 30, 0), I(4)},
		{iv(0, 0, -1), I(5)},
		{iv(0, -1, 86400e6-1), I(6)},
	}
	checkRows(t, NewDistinct(NewValues(ts, rows), []int{0}), []string{"0m1d0us|1", "1m0d0us|3", "0m0d-1us|5"}, true)
}

// TestSetOpDifferential compares set operations with a multiset reference.
func TestSetOpDifferential(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText}
	gen := func(rnd *rand.Rand, n int) [][]types.Datum {
		rows := make([][]types.Datum, n)
		for i := range rows {
			a, b := I(int64(rnd.Intn(30))), S(fmt.Sprint(rnd.Intn(3)))
			if rnd.Intn(6) == 0 {
				a = N()
			}
			if rnd.Intn(6) == 0 {
				b = N()
			}
			rows[i] = []types.Datum{a, b}
		}
		return rows
	}
	for seed := int64(0); seed < 6; seed++ {
		rnd := rand.New(rand.NewSource(seed))
		l, r := gen(rnd, []int{0, 1, 1025, 3000}[rnd.Intn(4)]), gen(rnd, []int{0, 1, 1024, 2000}[rnd.Intn(4)])
		lc, rc := map[string]int{}, map[string]int{}
		for _, s := range fmtRows(ts, l) {
			lc[s]++
		}
		for _, s := range fmtRows(ts, r) {
			rc[s]++
		}
		for _, kind := range []SetOpKind{Union, Intersect, Except} {
			for _, all := range []bool{false, true} {
				var want []string
				keys := map[string]bool{}
				for k := range lc {
					keys[k] = true
				}
				for k := range rc {
					keys[k] = true
				}
				for k := range keys {
					m, n := lc[k], rc[k]
					var c int
					switch kind {
					case Union:
						c = m + n
						if !all {
							c = min(c, 1)
						}
					case Intersect:
						c = min(m, n)
						if !all {
							c = min(c, 1)
						}
					case Except:
						if all {
							c = max(m-n, 0)
						} else if m > 0 && n == 0 {
							c = 1
						}
					}
					for i := 0; i < c; i++ {
						want = append(want, k)
					}
				}
				op := NewSetOp(kind, all, chunked(ts, l, rnd, true), chunked(ts, r, rnd, true))
				checkRows(t, op, want, false)
			}
		}
	}
}
