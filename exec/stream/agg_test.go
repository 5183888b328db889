package stream

import (
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/types"
)

// Input columns of the aggregation tests.
const (
	cG1  = iota // int4 group
	cG2         // text group
	cX          // int4
	cY          // int8
	cN          // numeric
	cF          // float8
	cS          // text
	cSep        // text separator
	cB          // bool
	cIv         // interval
	cFlt        // bool filter
	cF4         // float4
)

var aggInTypes = []types.T{types.TInt4, types.TText, types.TInt4, types.TInt8, types.TNumeric,
	types.TFloat8, types.TText, types.TText, types.TBool, types.TInterval, types.TBool, types.TFloat4}

func aggRow(r *rand.Rand) []types.Datum {
	sep := types.NewString([]string{",", "-"}[r.Intn(2)])
	if r.Intn(6) == 0 {
		sep = types.Null
	}
	return []types.Datum{rInt(r, 4), rText(r), rInt(r, 7), rInt(r, 1000), rNumeric(r),
		rFloat(r), rText(r), sep, rBool(r), rInterval(r), rBool(r), rFloat(r)}
}

func spec(t testing.TB, name string, distinct bool, filter int, args ...int) batch.AggSpec {
	ats := make([]types.T, len(args))
	for i, a := range args {
		ats[i] = aggInTypes[a]
	}
	ret, cast, err := batch.ResolveAggregate(name, ats, distinct)
	if err != nil {
		t.Fatal(err)
	}
	return batch.AggSpec{Name: name, Args: args, ArgTypes: cast, Distinct: distinct, Ret: ret, FilterCol: filter}
}

func allAggSpecs(t testing.TB) []batch.AggSpec {
	return []batch.AggSpec{
		spec(t, "count", false, -1),
		spec(t, "count", false, -1, cX),
		spec(t, "sum", false, -1, cX),
		spec(t, "avg", false, -1, cX),
		spec(t, "sum", false, -1, cY),
		spec(t, "avg", false, -1, cY),
		spec(t, "sum", false, -1, cN),
		spec(t, "avg", false, -1, cN),
		spec(t, "sum", false, -1, cF),
		spec(t, "avg", false, -1, cF),
		spec(t, "sum", false, -1, cF4),
		spec(t, "avg", false, -1, cF4),
		spec(t, "min", false, -1, cX),
		spec(t, "max", false, -1, cX),
		spec(t, "min", false, -1, cS),
		spec(t, "max", false, -1, cS),
		spec(t, "min", false, -1, cN),
		spec(t, "max", false, -1, cF),
		spec(t, "max", false, -1, cIv),
		spec(t, "count", true, -1, cX),
		spec(t, "sum", true, -1, cN),
		spec(t, "avg", true, -1, cX),
		spec(t, "sum", true, -1, cF),
		spec(t, "count", true, -1, cS),
		spec(t, "bool_and", false, -1, cB),
		spec(t, "bool_or", false, -1, cB),
		spec(t, "every", false, -1, cB),
		spec(t, "string_agg", false, -1, cS, cSep),
		spec(t, "string_agg", true, -1, cS, cSep),
		spec(t, "sum", false, -1, cIv),
		spec(t, "avg", false, -1, cIv),
		spec(t, "variance", false, -1, cX),
		spec(t, "stddev", false, -1, cN),
		spec(t, "var_pop", false, -1, cY),
		spec(t, "stddev_pop", false, -1, cX),
		spec(t, "count", false, cFlt),
		spec(t, "count", false, cFlt, cX),
		spec(t, "sum", false, cFlt, cN),
		spec(t, "min", false, cFlt, cX),
		spec(t, "string_agg", false, cFlt, cS, cSep),
		spec(t, "count", true, cFlt, cY),
	}
}

func TestHashAggDifferential(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []int
	}{
		{"global", nil},
		{"one", []int{cG1}},
		{"two", []int{cG2, cG1}},
	} {
		for seed := int64(1); seed <= 2; seed++ {
			t.Run(tc.name, func(t *testing.T) {
				testHashAgg(t, seed, tc.groups, allAggSpecs(t), 150, false)
			})
		}
	}
}

// TestHashAggAppendOnly runs the differential test on an append-only
// input, where min and max keep only the extreme so far.
func TestHashAggAppendOnly(t *testing.T) {
	for _, groups := range [][]int{nil, {cG1}} {
		for seed := int64(1); seed <= 2; seed++ {
			testHashAgg(t, seed, groups, allAggSpecs(t), 150, true)
		}
	}
}

func testHashAgg(t *testing.T, seed int64, groups []int, specs []batch.AggSpec, steps int, appendOnly bool) {
	e := newEnv(t, seed)
	op, err := NewHashAgg(1024, aggInTypes, groups, specs)
	if err != nil {
		t.Fatal(err)
	}
	if appendOnly {
		op.SetAppendOnlyInput()
	}
	got := newMset(op.Types())
	if c := op.InitialOutput(); c != nil {
		if err := got.apply(c); err != nil {
			t.Fatal(err)
		}
	}
	g := &gen{ts: aggInTypes, mk: aggRow, delPct: 35}
	if appendOnly {
		g.delPct, g.insertOnly = 0, true
	}
	for step := 0; step < steps; step++ {
		c := g.next(e.rng, 12)
		err := op.Push(e.ctx, 0, c, got.apply)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		e.maybeCommit()
		// Oracle: the batch aggregate over the current input, fed in
		// (s, sep) order so that string_agg's order agrees.
		rows := sortRowsBy(aggInTypes, g.rows, []int{cS, cSep})
		want := msetOf(op.Types(), drain(t, batch.NewHashAggregate(batch.NewValues(aggInTypes, rows), groups, specs)))
		if d := diff(got, want); d != "" {
			t.Fatalf("seed %d step %d (%d input rows):\n%s", seed, step, len(g.rows), d)
		}
	}
}

func TestHashAggUnsupported(t *testing.T) {
	ts := []types.T{types.TFloat8}
	ret, cast, _ := batch.ResolveAggregate("stddev", ts, false)
	_, err := NewHashAgg(1024, ts, nil, []batch.AggSpec{{Name: "stddev", Args: []int{0}, ArgTypes: cast, Ret: ret, FilterCol: -1}})
	if e, ok := err.(*types.Error); !ok || e.Code != types.CodeFeatureNotSupported {
		t.Fatalf("got %v", err)
	}
}

// TestHashAggGlobalInitial checks the single row of a global aggregation
// over no rows, and that deleting everything returns to it.
func TestHashAggGlobalInitial(t *testing.T) {
	e := newEnv(t, 7)
	ts := []types.T{types.TInt4}
	specs := []batch.AggSpec{
		{Name: "count", FilterCol: -1, Ret: types.TInt8},
		{Name: "sum", Args: []int{0}, ArgTypes: ts, Ret: types.TInt8, FilterCol: -1},
	}
	op, err := NewHashAgg(1024, ts, nil, specs)
	if err != nil {
		t.Fatal(err)
	}
	got := newMset(op.Types())
	got.apply(op.InitialOutput())
	c := exec.NewChunk(ts)
	c.AppendDatums([]types.Datum{types.NewInt(5)})
	if err := op.Push(e.ctx, 0, c, got.apply); err != nil {
		t.Fatal(err)
	}
	c.Ops = []exec.Op{exec.OpDelete}
	if err := op.Push(e.ctx, 0, c, got.apply); err != nil {
		t.Fatal(err)
	}
	want := msetOf(op.Types(), [][]types.Datum{{types.NewInt(0), types.Null}})
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
}

// TestHashAggAppendOnlyReadsOldMultiset: a group stored while min/max kept
// a multiset of values (before SetAppendOnlyInput existed) goes on from
// that multiset.
func TestHashAggAppendOnlyReadsOldMultiset(t *testing.T) {
	e := newEnv(t, 3)
	specs := allAggSpecs(t)
	old, err := NewHashAgg(1024, aggInTypes, []int{cG1}, specs)
	if err != nil {
		t.Fatal(err)
	}
	got := newMset(old.Types())
	g := &gen{ts: aggInTypes, mk: aggRow, insertOnly: true}
	for step := 0; step < 40; step++ {
		if err := old.Push(e.ctx, 0, g.next(e.rng, 12), got.apply); err != nil {
			t.Fatal(err)
		}
	}
	op, err := NewHashAgg(1024, aggInTypes, []int{cG1}, specs)
	if err != nil {
		t.Fatal(err)
	}
	op.SetAppendOnlyInput()
	for step := 0; step < 40; step++ {
		if err := op.Push(e.ctx, 0, g.next(e.rng, 12), got.apply); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		e.maybeCommit()
		rows := sortRowsBy(aggInTypes, g.rows, []int{cS, cSep})
		want := msetOf(op.Types(), drain(t, batch.NewHashAggregate(batch.NewValues(aggInTypes, rows), []int{cG1}, specs)))
		if d := diff(got, want); d != "" {
			t.Fatalf("step %d:\n%s", step, d)
		}
	}
}
