package batch

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

func aggOf(t *testing.T, name string, argCols []int, in []types.T, distinct bool) AggSpec {
	t.Helper()
	var at []types.T
	for _, c := range argCols {
		at = append(at, in[c])
	}
	ret, cast, err := ResolveAggregate(name, at, distinct)
	if err != nil {
		t.Fatal(err)
	}
	return AggSpec{Name: name, Args: argCols, ArgTypes: cast, Distinct: distinct, Ret: ret, FilterCol: -1}
}

func TestResolveAggregate(t *testing.T) {
	cases := []struct {
		name string
		args []types.T
		ret  types.T
	}{
		{"count", nil, types.TInt8},
		{"count", []types.T{types.TText}, types.TInt8},
		{"sum", []types.T{types.TInt2}, types.TInt8},
		{"sum", []types.T{types.TInt4}, types.TInt8},
		{"sum", []types.T{types.TInt8}, types.TNumeric},
		{"sum", []types.T{types.TNumeric}, types.TNumeric},
		{"sum", []types.T{types.TFloat4}, types.TFloat4},
		{"sum", []types.T{types.TFloat8}, types.TFloat8},
		{"sum", []types.T{types.TInterval}, types.TInterval},
		{"avg", []types.T{types.TInt4}, types.TNumeric},
		{"avg", []types.T{types.TInt8}, types.TNumeric},
		{"avg", []types.T{types.TFloat4}, types.TFloat8},
		{"avg", []types.T{types.TNumeric}, types.TNumeric},
		{"avg", []types.T{types.TInterval}, types.TInterval},
		{"min", []types.T{types.TText}, types.TText},
		{"max", []types.T{types.TDate}, types.TDate},
		{"string_agg", []types.T{types.TText, types.TText}, types.TText},
		{"bool_and", []types.T{types.TBool}, types.TBool},
		{"every", []types.T{types.TBool}, types.TBool},
		{"stddev", []types.T{types.TInt4}, types.TNumeric},
		{"variance", []types.T{types.TFloat4}, types.TFloat8},
	}
	for _, c := range cases {
		ret, _, err := ResolveAggregate(c.name, c.args, false)
		if err != nil || ret != c.ret {
			t.Errorf("%s%v = %v, %v; want %v", c.name, c.args, ret, err, c.ret)
		}
	}
	for _, bad := range []struct {
		name string
		args []types.T
	}{{"nosuch", nil}, {"sum", []types.T{types.TText}}, {"max", []types.T{types.TBool}}, {"sum", nil}} {
		_, _, err := ResolveAggregate(bad.name, bad.args, false)
		if e, ok := err.(*types.Error); !ok || e.Code != types.CodeUndefinedFunction {
			t.Errorf("%s%v: err %v, want 42883", bad.name, bad.args, err)
		}
	}
}

func TestAggValues(t *testing.T) {
	ts := []types.T{types.TInt4, types.TNumeric, types.TText, types.TFloat8, types.TInterval, types.TBool}
	iv := func(d int32, us int64) types.Datum {
		return types.NewInterval(types.IntervalValue{Days: d, Micros: us})
	}
	rows := [][]types.Datum{
		{I(1), Dec("1.0"), S("a"), F(1.5), iv(1, 0), B(true)},
		{I(2), Dec("2.00"), N(), F(2.5), iv(2, 0), B(false)},
		{N(), N(), S("c"), N(), N(), N()},
	}
	cases := []struct {
		name string
		args []int
		want string
	}{
		{"count", nil, "3"},
		{"count", []int{0}, "2"},
		{"sum", []int{0}, "3"},
		{"avg", []int{0}, "1.5000000000000000"},
		{"sum", []int{1}, "3.00"},
		{"avg", []int{1}, "1.5000000000000000"},
		{"min", []int{1}, "1.0"},
		{"max", []int{2}, "c"},
		{"min", []int{2}, "a"},
		{"string_agg", []int{2, 2}, "acc"},
		{"avg", []int{3}, "2"},
		{"sum", []int{3}, "4"},
		{"avg", []int{4}, "0m1d43200000000us"},
		{"sum", []int{4}, "0m3d0us"},
		{"bool_and", []int{5}, "f"},
		{"bool_or", []int{5}, "t"},
		{"stddev", []int{0}, "0.70710678118654752440"},
		{"var_pop", []int{0}, "0.25000000000000000000"},
		{"variance", []int{3}, "0.5"},
	}
	for _, c := range cases {
		spec := aggOf(t, c.name, c.args, ts, false)
		op := NewHashAggregate(NewValues(ts, rows), nil, []AggSpec{spec})
		got := drain(t, op)
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s%v = %v, want %s", c.name, c.args, got, c.want)
		}
	}
	// Empty input without groups: one row.
	specs := []AggSpec{aggOf(t, "count", nil, ts, false), aggOf(t, "sum", []int{0}, ts, false), aggOf(t, "max", []int{2}, ts, false)}
	checkRows(t, NewHashAggregate(NewValues(ts, nil), nil, specs), []string{"0|NULL|NULL"}, true)
	// Empty input with groups: no row.
	checkRows(t, NewHashAggregate(NewValues(ts, nil), []int{0}, specs), nil, true)
}

func TestAvgScale(t *testing.T) {
	ts := []types.T{types.TInt4}
	for _, c := range []struct {
		in   []int64
		want string
	}{
		{[]int64{1, 2, 7}, "3.3333333333333333"},
		{[]int64{100000, 0, 0}, "33333.333333333333"},
		{[]int64{1, 2}, "1.5000000000000000"},
		{[]int64{-1, -2}, "-1.5000000000000000"},
		{[]int64{2, 4}, "3.0000000000000000"},
		{[]int64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "0.06250000000000000000"},
	} {
		var rows [][]types.Datum
		for _, x := range c.in {
			rows = append(rows, []types.Datum{I(x)})
		}
		got := drain(t, NewHashAggregate(NewValues(ts, rows), nil, []AggSpec{aggOf(t, "avg", []int{0}, ts, false)}))
		if got[0] != c.want {
			t.Errorf("avg(%v) = %s, want %s", c.in, got[0], c.want)
		}
	}
	// sum(int8) does not overflow: it is numeric.
	ts = []types.T{types.TInt8}
	rows := [][]types.Datum{{I(1 << 62)}, {I(1 << 62)}, {I(1 << 62)}}
	got := drain(t, NewHashAggregate(NewValues(ts, rows), nil, []AggSpec{aggOf(t, "sum", []int{0}, ts, false), aggOf(t, "avg", []int{0}, ts, false)}))
	if got[0] != "13835058055282163712|4611686018427387904" {
		t.Errorf("sum/avg big = %s", got[0])
	}
}

func TestAggFilterDistinct(t *testing.T) {
	ts := []types.T{types.TInt8, types.TInt8, types.TBool}
	var rows [][]types.Datum
	for i := 0; i < 3000; i++ {
		f := B(i%2 == 0)
		if i%7 == 0 {
			f = N()
		}
		rows = append(rows, []types.Datum{I(int64(i % 3)), I(int64(i % 10)), f})
	}
	cnt := aggOf(t, "count", []int{1}, ts, true)
	sumd := aggOf(t, "sum", []int{1}, ts, true)
	filt := aggOf(t, "count", nil, ts, false)
	filt.FilterCol = 2
	// Reference.
	want := map[int64]string{}
	for g := int64(0); g < 3; g++ {
		seen := map[int64]bool{}
		var s, fc int64
		for i, r := range rows {
			if r[0].I != g {
				continue
			}
			if !seen[r[1].I] {
				seen[r[1].I] = true
				s += r[1].I
			}
			if i%2 == 0 && i%7 != 0 {
				fc++
			}
		}
		want[g] = fmt.Sprintf("%d|%d|%d|%d", g, len(seen), s, fc)
	}
	rnd := rand.New(rand.NewSource(1))
	op := NewHashAggregate(chunked(ts, rows, rnd, true), []int{0}, []AggSpec{cnt, sumd, filt})
	checkRows(t, op, []string{want[0], want[1], want[2]}, false)
}

// TestHashAggDifferential compares HashAggregate with a map-based reference.
func TestHashAggDifferential(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText, types.TInt4, types.TFloat8}
	for seed := int64(0); seed < 8; seed++ {
		rnd := rand.New(rand.NewSource(seed))
		n := []int{0, 1, 1023, 1024, 1025, 5000, 20000}[seed%7]
		keyRange := 1 + rnd.Intn(3000)
		rows := make([][]types.Datum, n)
		for i := range rows {
			r := []types.Datum{I(int64(rnd.Intn(keyRange))), S(fmt.Sprint(rnd.Intn(3))), I(int64(rnd.Intn(1000) - 500)), F(float64(rnd.Intn(100)))}
			for j := range r {
				if rnd.Intn(8) == 0 {
					r[j] = N()
				}
			}
			rows[i] = r
		}
		type acc struct {
			n, cnt, sum int64
			min, max    int64
			fcnt        int64
		}
		ref := map[string]*acc{}
		var order []string
		for _, r := range rows {
			k := fmtDatum(ts[0], r[0]) + "|" + fmtDatum(ts[1], r[1])
			a := ref[k]
			if a == nil {
				a = &acc{}
				ref[k] = a
				order = append(order, k)
			}
			a.n++
			if !r[2].Null {
				if a.cnt == 0 || r[2].I < a.min {
					a.min = r[2].I
				}
				if a.cnt == 0 || r[2].I > a.max {
					a.max = r[2].I
				}
				a.cnt++
				a.sum += r[2].I
			}
			if !r[3].Null {
				a.fcnt++
			}
		}
		var want []string
		for _, k := range order {
			a := ref[k]
			if a.cnt == 0 {
				want = append(want, fmt.Sprintf("%s|%d|0|NULL|NULL|NULL|%d", k, a.n, a.fcnt))
			} else {
				want = append(want, fmt.Sprintf("%s|%d|%d|%d|%d|%d|%d", k, a.n, a.cnt, a.sum, a.min, a.max, a.fcnt))
			}
		}
		specs := []AggSpec{aggOf(t, "count", nil, ts, false), aggOf(t, "count", []int{2}, ts, false),
			aggOf(t, "sum", []int{2}, ts, false), aggOf(t, "min", []int{2}, ts, false),
			aggOf(t, "max", []int{2}, ts, false), aggOf(t, "count", []int{3}, ts, false)}
		op := NewHashAggregate(chunked(ts, rows, rnd, seed%2 == 0), []int{0, 1}, specs)
		// Groups come out in order of first appearance.
		checkRows(t, op, want, true)
	}
}

var _ = exec.DefaultChunkSize
