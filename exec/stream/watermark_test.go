package stream

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

const sec = int64(1_000_000) // µs

// tumbleExpr computes the tumbling window start of a timestamp column (the
// planner's tumble_start, for tests).
type tumbleExpr struct {
	col  int
	size int64
}

func (e *tumbleExpr) Type() types.T  { return types.TTimestamp }
func (e *tumbleExpr) String() string { return "tumble_start" }
func (e *tumbleExpr) Eval(_ *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	in := c.Cols[e.col]
	v := exec.NewVec(types.TTimestamp, c.N)
	for r := 0; r < c.N; r++ {
		if in.Nulls.IsNull(r) {
			v.Nulls.SetNull(r)
			continue
		}
		s, err := batch.WindowStart(in.Int[r], e.size, 0)
		if err != nil {
			return nil, err
		}
		v.Int[r] = s
	}
	return v, nil
}

// Windowed input: ts timestamp, k int4, v int4; projected with ws (the
// window start) as column 3.
var (
	wInTypes   = []types.T{types.TTimestamp, types.TInt4, types.TInt4}
	wProjTypes = []types.T{types.TTimestamp, types.TInt4, types.TInt4, types.TTimestamp}
)

func wRow(ts, k, v int64) []types.Datum {
	return []types.Datum{{I: ts}, types.NewInt(k), types.NewInt(v)}
}

// wProject returns the projection (ts, k, v, tumble_start(ts)) with its
// watermark derivation.
func wProject(size int64) *Project {
	p := NewProject([]exec.Expr{
		&exec.ColRef{Idx: 0, Typ: types.TTimestamp},
		&exec.ColRef{Idx: 1, Typ: types.TInt4},
		&exec.ColRef{Idx: 2, Typ: types.TInt4},
		&tumbleExpr{col: 0, size: size},
	})
	p.SetWatermarkDerivations([]WatermarkDerivation{{OutCol: 3, InCol: 0, F: WindowStartWatermark(size, size, 0)}})
	return p
}

// wSpecs returns count(*), sum(v), max(v) and, unless short, min(v) and
// count(DISTINCT v) over the projected windowed input.
func wSpecs(t testing.TB, short bool) []batch.AggSpec {
	mk := func(name string, distinct bool, args ...int) batch.AggSpec {
		ats := make([]types.T, len(args))
		for i, a := range args {
			ats[i] = wProjTypes[a]
		}
		ret, cast, err := batch.ResolveAggregate(name, ats, distinct)
		if err != nil {
			t.Fatal(err)
		}
		return batch.AggSpec{Name: name, Args: args, ArgTypes: cast, Distinct: distinct, Ret: ret, FilterCol: -1}
	}
	all := []batch.AggSpec{mk("count", false), mk("sum", false, 2), mk("max", false, 2), mk("min", false, 2), mk("count", true, 2)}
	if short {
		return all[:3]
	}
	return all
}

// withWS appends the window start to input rows (the oracle's projection).
func withWS(rows [][]types.Datum, size int64) [][]types.Datum {
	out := make([][]types.Datum, len(rows))
	for i, r := range rows {
		s, _ := batch.WindowStart(r[0].I, size, 0)
		out[i] = append(append([]types.Datum{}, r...), types.Datum{I: s})
	}
	return out
}

// chain is a linear pipeline of operators ending in sink.
type chain struct {
	t    testing.TB
	ctx  *Ctx
	ops  []Operator
	sink func(*exec.Chunk) error
}

func (p *chain) emitter(i int) func(*exec.Chunk) error {
	if i == len(p.ops) {
		return p.sink
	}
	return func(c *exec.Chunk) error { return p.ops[i].Push(p.ctx, 0, c, p.emitter(i+1)) }
}

func (p *chain) push(c *exec.Chunk) {
	p.t.Helper()
	if err := p.emitter(0)(c); err != nil {
		p.t.Fatal(err)
	}
}

// watermark sends w through the chain and returns the watermarks that hold
// on the last operator's output.
func (p *chain) watermark(w Watermark) []Watermark {
	p.t.Helper()
	ws := []Watermark{w}
	for i, op := range p.ops {
		var next []Watermark
		for _, w := range ws {
			out, err := PushWatermark(p.ctx, op, 0, w, p.emitter(i+1))
			if err != nil {
				p.t.Fatal(err)
			}
			next = append(next, out...)
		}
		ws = next
	}
	return ws
}

func chunkOf(ts []types.T, rows [][]types.Datum, ops []exec.Op) *exec.Chunk {
	c := exec.NewChunk(ts)
	for _, r := range rows {
		c.AppendDatums(r)
	}
	c.Ops = ops
	return c
}

// stateKeys returns the keys of state table id (through the batch).
func stateKeys(t testing.TB, st State, id uint32) [][]byte {
	t.Helper()
	lo := state.TablePrefix(id)
	it, err := st.NewIter(lo, state.PrefixEnd(lo))
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// minStateWS returns the smallest window start (first group column, a
// timestamp) among the agg state keys, and whether there is any key.
func minStateWS(t testing.TB, keys [][]byte) (int64, bool) {
	t.Helper()
	m, any := int64(0), false
	for _, k := range keys {
		_, _, rest, _ := state.DecodeTablePrefix(k)
		d, _, err := state.DecodeKey(rest, types.TTimestamp, false)
		if err != nil {
			t.Fatal(err)
		}
		if !any || d.I < m {
			m, any = d.I, true
		}
	}
	return m, any
}

// TestEOWCTumble runs LateFilter → Project(window start) → HashAgg in
// EMIT ON WINDOW CLOSE mode over rows that arrive out of order within the
// watermark delay, some late, some retracted before their window closes.
func TestEOWCTumble(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { testEOWCTumble(t, seed) })
	}
}

func testEOWCTumble(t *testing.T, seed int64) {
	const size, delay = 10 * sec, 5 * sec
	e := newEnv(t, seed)
	lf := NewLateFilter(0, wInTypes)
	var lateSeen int64
	lf.SetLateHandler(func(row []types.Datum) {
		lateSeen++
		if len(row) != 3 {
			t.Errorf("late row %v", row)
		}
	})
	agg, err := NewHashAgg(2000, wProjTypes, []int{3, 1}, wSpecs(t, false))
	if err != nil {
		t.Fatal(err)
	}
	agg.SetEmitOnWindowClose(3)
	got := newMset(agg.Types())
	var srcWM int64 = types.TimestampNegInfinity
	inPush := false
	final := map[string]bool{}
	p := &chain{t: t, ctx: e.ctx, ops: []Operator{lf, wProject(size), agg}, sink: func(c *exec.Chunk) error {
		if inPush {
			t.Fatalf("EOWC emitted during Push")
		}
		for k := 0; k < c.Len(); k++ {
			r := c.Row(k)
			if Sign(c, r) < 0 {
				t.Fatalf("EOWC emitted a delete")
			}
			ws, key := c.Cols[0].Int[r], fmt.Sprint(c.Cols[0].Int[r], c.Cols[1].Get(r))
			if ws+size > srcWM {
				t.Fatalf("window %d emitted before it closed (watermark %d)", ws, srcWM)
			}
			if final[key] {
				t.Fatalf("window %s emitted twice", key)
			}
			final[key] = true
		}
		return got.apply(c)
	}}
	var rows [][]types.Datum // accepted input multiset
	var maxTs, wantLate int64
	base := int64(1000) * sec
	for step := 0; step < 250; step++ {
		base += e.rng.Int63n(sec)
		var batchRows [][]types.Datum
		var ops []exec.Op
		for n := 1 + e.rng.Intn(15); n > 0; n-- {
			switch x := e.rng.Intn(100); {
			case x < 3 && srcWM > 0: // late
				batchRows = append(batchRows, wRow(srcWM-1-e.rng.Int63n(3*sec), e.rng.Int63n(3), e.rng.Int63n(20)))
				ops = append(ops, exec.OpInsert)
				wantLate++
			case x < 13 && len(rows) > 0: // retract a row of an open window
				j := e.rng.Intn(len(rows))
				if rows[j][0].I < srcWM {
					continue
				}
				batchRows = append(batchRows, rows[j])
				ops = append(ops, exec.OpDelete)
				rows[j] = rows[len(rows)-1]
				rows = rows[:len(rows)-1]
			default: // out of order within the delay
				r := wRow(base-e.rng.Int63n(delay), e.rng.Int63n(3), e.rng.Int63n(20))
				batchRows = append(batchRows, r)
				ops = append(ops, exec.OpInsert)
				rows = append(rows, r)
				maxTs = max(maxTs, r[0].I)
			}
		}
		inPush = true
		p.push(chunkOf(wInTypes, batchRows, ops))
		inPush = false
		srcWM = maxTs - delay
		outs := p.watermark(Watermark{Col: 0, Val: types.Datum{I: srcWM}})
		wantWS, _ := batch.WindowStart(srcWM, size, 0)
		for _, w := range outs {
			if w.Col != 0 || w.Val.I != wantWS {
				t.Fatalf("output watermark %+v, want col 0 = %d", w, wantWS)
			}
		}
		if m, any := minStateWS(t, stateKeys(t, e.ctx.State, 2000)); any && m < wantWS {
			t.Fatalf("step %d: state holds closed window %d (watermark window %d)", step, m, wantWS)
		}
		e.maybeCommit()
	}
	// Close every window.
	srcWM = types.TimestampInfinity
	p.watermark(Watermark{Col: 0, Val: types.Datum{I: srcWM}})
	if n := len(stateKeys(t, e.ctx.State, 2000)); n != 0 {
		t.Fatalf("%d state keys left after closing every window", n)
	}
	if lf.Dropped() != wantLate || lateSeen != wantLate || agg.Dropped() != 0 {
		t.Fatalf("late rows: filter %d, handler %d, agg %d; want %d", lf.Dropped(), lateSeen, agg.Dropped(), wantLate)
	}
	want := msetOf(agg.Types(), drain(t, batch.NewHashAggregate(batch.NewValues(wProjTypes, withWS(rows, size)), []int{3, 1}, wSpecs(t, false))))
	if d := diff(got, want); d != "" {
		t.Fatalf("seed %d:\n%s", seed, d)
	}
	if len(final) < 20 || wantLate == 0 {
		t.Fatalf("weak test: %d windows emitted, %d late rows", len(final), wantLate)
	}
}

// TestAggWatermarkCleanup: 100k rows in 1000 windows through a normal-mode
// HashAgg; watermarks keep its state bounded, and the view equals the
// batch aggregation over every row.
func TestAggWatermarkCleanup(t *testing.T) {
	const size, delay, nRows, chunk = sec, 3 * sec, 100_000, 500
	e := newEnv(t, 11)
	agg, err := NewHashAgg(2001, wProjTypes, []int{3, 1}, wSpecs(t, true))
	if err != nil {
		t.Fatal(err)
	}
	got := newMset(agg.Types())
	p := &chain{t: t, ctx: e.ctx, ops: []Operator{wProject(size), agg}, sink: got.apply}
	rows := make([][]types.Datum, 0, nRows)
	var maxTs int64
	maxKeys := 0
	for i := 0; i < nRows; i += chunk {
		c := exec.NewChunk(wInTypes)
		for j := i; j < i+chunk; j++ {
			r := wRow(int64(j)*(size/100)-e.rng.Int63n(2*sec), e.rng.Int63n(5), e.rng.Int63n(10))
			rows = append(rows, r)
			maxTs = max(maxTs, r[0].I)
			c.AppendDatums(r)
		}
		p.push(c)
		outs := p.watermark(Watermark{Col: 0, Val: types.Datum{I: maxTs - delay}})
		wantWS, _ := batch.WindowStart(maxTs-delay, size, 0)
		if len(outs) > 1 || (len(outs) == 1 && (outs[0].Col != 0 || outs[0].Val.I != wantWS)) {
			t.Fatalf("output watermarks %+v, want col 0 = %d", outs, wantWS)
		}
		if i%(4*chunk) == 0 {
			keys := stateKeys(t, e.ctx.State, 2001)
			maxKeys = max(maxKeys, len(keys))
			if m, any := minStateWS(t, keys); any && m < wantWS {
				t.Fatalf("state holds closed window %d (watermark window %d)", m, wantWS)
			}
		}
		if i%(10*chunk) == 0 {
			if err := e.b.Commit(false); err != nil {
				t.Fatal(err)
			}
			e.b = e.store.NewBatch()
			e.ctx.State = NewBatchState(e.b)
		}
	}
	// Live windows: the delay plus one chunk's span (~8 s) of 5 groups,
	// each with a row and up to 10 multiset entries (max). Without cleanup
	// the table would reach ~1000 windows × 5 groups × 11 keys.
	if maxKeys > 12*5*11 || maxKeys == 0 {
		t.Fatalf("state reached %d keys", maxKeys)
	}
	if agg.Dropped() != 0 {
		t.Fatalf("dropped %d rows", agg.Dropped())
	}
	want := msetOf(agg.Types(), drain(t, batch.NewHashAggregate(batch.NewValues(wProjTypes, withWS(rows, size)), []int{3, 1}, wSpecs(t, true))))
	if len(want.cnt) < 4000 {
		t.Fatalf("only %d groups", len(want.cnt))
	}
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
	// A row of a closed window is dropped, not applied.
	p.push(chunkOf(wInTypes, [][]types.Datum{wRow(0, 1, 1)}, []exec.Op{exec.OpDelete}))
	if agg.Dropped() != 1 {
		t.Fatalf("late delete not dropped")
	}
}

// TestAggWatermarkOtherColumns: watermarks on non-group columns or that do
// not advance do nothing; EOWC ignores watermarks on other group columns;
// a bad EOWC column is reported.
func TestAggWatermarkOtherColumns(t *testing.T) {
	e := newEnv(t, 3)
	agg, err := NewHashAgg(2002, wProjTypes, []int{3, 1}, wSpecs(t, false))
	if err != nil {
		t.Fatal(err)
	}
	emit := func(*exec.Chunk) error { t.Fatal("unexpected output"); return nil }
	for _, w := range []Watermark{{Col: 0, Val: types.Datum{I: 5}}, {Col: 3, Val: types.Null}} {
		if ws, err := agg.OnWatermark(e.ctx, 0, w, emit); err != nil || ws != nil {
			t.Fatalf("%+v: %v %v", w, ws, err)
		}
	}
	ws, err := agg.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.NewInt(4)}, emit)
	if err != nil || len(ws) != 1 || ws[0].Col != 1 || ws[0].Val.I != 4 {
		t.Fatalf("group column 1: %+v %v", ws, err)
	}
	if ws, err := agg.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.NewInt(3)}, emit); err != nil || ws != nil {
		t.Fatalf("regressing watermark: %+v %v", ws, err)
	}

	eowc, _ := NewHashAgg(2003, wProjTypes, []int{3, 1}, wSpecs(t, false))
	eowc.SetEmitOnWindowClose(3)
	if ws, err := eowc.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.NewInt(4)}, emit); err != nil || ws != nil {
		t.Fatalf("EOWC, other group column: %+v %v", ws, err)
	}
	bad, _ := NewHashAgg(2004, wProjTypes, []int{3, 1}, wSpecs(t, false))
	bad.SetEmitOnWindowClose(0)
	if err := bad.Push(e.ctx, 0, chunkOf(wProjTypes, [][]types.Datum{append(wRow(1, 1, 1), types.Datum{I: 0})}, nil), emit); err == nil {
		t.Fatal("bad EOWC column accepted")
	}
}

func TestProjectWatermark(t *testing.T) {
	p := NewProject([]exec.Expr{
		&exec.ColRef{Idx: 1, Typ: types.TTimestamp},
		&exec.ColRef{Idx: 0, Typ: types.TInt4},
		&tumbleExpr{col: 1, size: 10 * sec},
		&exec.ColRef{Idx: 1, Typ: types.TTimestamp},
	})
	p.SetWatermarkDerivations([]WatermarkDerivation{
		{OutCol: 2, InCol: 1, F: WindowStartWatermark(10*sec, 10*sec, 0)},
		{OutCol: 4, InCol: 1, F: WindowEndWatermark(5*sec, 10*sec, 0)},
		{OutCol: 5, InCol: 0},
	})
	ws, err := p.OnWatermark(nil, 0, Watermark{Col: 1, Val: types.Datum{I: 27 * sec}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// hop(slide 5 s, size 10 s): 27 s lies in [20, 30) and [25, 35); the
	// earliest window a later row can fall in ends at 30 s.
	want := fmt.Sprint([]Watermark{{0, types.Datum{I: 27 * sec}}, {3, types.Datum{I: 27 * sec}}, {2, types.Datum{I: 20 * sec}}, {4, types.Datum{I: 30 * sec}}})
	if fmt.Sprint(ws) != want {
		t.Fatalf("got %v\nwant %v", ws, want)
	}
	ws, _ = p.OnWatermark(nil, 0, Watermark{Col: 0, Val: types.NewInt(7)}, nil)
	if fmt.Sprint(ws) != fmt.Sprint([]Watermark{{1, types.NewInt(7)}, {5, types.NewInt(7)}}) {
		t.Fatalf("col 0: %v", ws)
	}
	if ws, _ := p.OnWatermark(nil, 0, Watermark{Col: 2, Val: types.NewInt(7)}, nil); ws != nil {
		t.Fatalf("unused column: %v", ws)
	}
	// Infinity maps to itself.
	ws, _ = p.OnWatermark(nil, 0, Watermark{Col: 1, Val: types.Datum{I: types.TimestampInfinity}}, nil)
	for _, w := range ws {
		if w.Val.I != types.TimestampInfinity {
			t.Fatalf("infinity: %v", ws)
		}
	}
	// Hop window_start: 27 s with slide 5 s, size 15 s → earliest [15, 30).
	if v, _ := WindowStartWatermark(5*sec, 15*sec, 0)(types.Datum{I: 27 * sec}); v.I != 15*sec {
		t.Fatalf("hop start %d", v.I)
	}
}

func TestUnionAllWatermark(t *testing.T) {
	u := NewUnionAll([]types.T{types.TInt8, types.TTimestamp})
	at := func(port, col int, v int64) []Watermark {
		t.Helper()
		ws, err := u.OnWatermark(nil, port, Watermark{Col: col, Val: types.Datum{I: v}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	check := func(got []Watermark, want string) {
		t.Helper()
		if fmt.Sprint(got) != want {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	check(at(0, 1, 10), "[]")                                             // port 1 has none yet
	check(at(0, 1, 20), "[]")                                             // still none
	check(at(1, 1, 15), fmt.Sprint([]Watermark{{1, types.Datum{I: 15}}})) // min(20, 15)
	check(at(1, 1, 12), "[]")                                             // regression ignored
	check(at(1, 1, 30), fmt.Sprint([]Watermark{{1, types.Datum{I: 20}}})) // min(20, 30)
	check(at(1, 1, 40), "[]")                                             // min still 20
	check(at(0, 0, 5), "[]")                                              // other column: separate
	check(at(0, 1, 50), fmt.Sprint([]Watermark{{1, types.Datum{I: 40}}}))
	if _, err := u.OnWatermark(nil, 2, Watermark{Col: 1, Val: types.Datum{I: 1}}, nil); err == nil {
		t.Fatal("port 2 of a binary union accepted")
	}
	u3 := NewUnionAll([]types.T{types.TInt8}).SetInputs(3)
	for port, v := range []int64{7, 3, 9} {
		ws, _ := u3.OnWatermark(nil, port, Watermark{Col: 0, Val: types.NewInt(v)}, nil)
		if (port < 2) != (ws == nil) || (port == 2 && ws[0].Val.I != 3) {
			t.Fatalf("3 inputs, port %d: %v", port, ws)
		}
	}
}

func TestLateFilter(t *testing.T) {
	e := newEnv(t, 1)
	ts := []types.T{types.TInt4, types.TTimestamp}
	f := NewLateFilter(1, ts)
	var late []string
	f.SetLateHandler(func(row []types.Datum) { late = append(late, fmtRow(ts, row)) })
	got := newMset(ts)
	row := func(k int64, tsv types.Datum) []types.Datum { return []types.Datum{types.NewInt(k), tsv} }
	// Before any watermark, everything passes.
	c := chunkOf(ts, [][]types.Datum{row(1, types.Datum{I: 5}), row(2, types.Datum{I: 50})}, []exec.Op{exec.OpUpdateInsert, exec.OpInsert})
	if err := f.Push(e.ctx, 0, c, got.apply); err != nil {
		t.Fatal(err)
	}
	ws, _ := f.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.Datum{I: 10}}, nil)
	if len(ws) != 1 || ws[0].Val.I != 10 {
		t.Fatalf("watermark not passed through: %v", ws)
	}
	f.OnWatermark(e.ctx, 0, Watermark{Col: 1, Val: types.Datum{I: 8}}, nil) // does not regress
	f.OnWatermark(e.ctx, 0, Watermark{Col: 0, Val: types.NewInt(100)}, nil) // other column
	if f.Watermark().I != 10 {
		t.Fatalf("watermark %v", f.Watermark())
	}
	c = chunkOf(ts, [][]types.Datum{row(3, types.Datum{I: 9}), row(4, types.Datum{I: 10}), row(5, types.Null),
		row(1, types.Datum{I: 5}), row(6, types.Datum{I: 11})},
		[]exec.Op{exec.OpInsert, exec.OpInsert, exec.OpInsert, exec.OpDelete, exec.OpUpdateInsert})
	c.Sel = []int{0, 1, 2, 3, 4}
	if err := f.Push(e.ctx, 0, c, got.apply); err != nil {
		t.Fatal(err)
	}
	if f.Dropped() != 2 || fmt.Sprint(late) != "[(3, 1970-01-01 00:00:00.000009) (1, 1970-01-01 00:00:00.000005)]" {
		t.Fatalf("dropped %d: %v", f.Dropped(), late)
	}
	want := msetOf(ts, [][]types.Datum{row(1, types.Datum{I: 5}), row(2, types.Datum{I: 50}), row(4, types.Datum{I: 10}), row(5, types.Null), row(6, types.Datum{I: 11})})
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
	// A chunk with only late rows emits nothing.
	if err := f.Push(e.ctx, 0, chunkOf(ts, [][]types.Datum{row(7, types.Datum{I: 1})}, nil), func(*exec.Chunk) error {
		t.Fatal("emitted an empty chunk")
		return nil
	}); err != nil || f.Dropped() != 3 {
		t.Fatal(err, f.Dropped())
	}
}

// TestPassThroughWatermarks covers Filter, Materialize and operators that
// do not handle watermarks.
func TestPassThroughWatermarks(t *testing.T) {
	e := newEnv(t, 1)
	w := Watermark{Col: 1, Val: types.NewInt(3)}
	ts := []types.T{types.TInt4, types.TInt4}
	for _, op := range []Operator{NewFilter(nil).SetTypes(ts), NewMaterialize(2010, ts)} {
		ws, err := PushWatermark(e.ctx, op, 0, w, nil)
		if err != nil || fmt.Sprint(ws) != fmt.Sprint([]Watermark{w}) {
			t.Fatalf("%T: %v %v", op, ws, err)
		}
	}
	if ws, err := PushWatermark(e.ctx, NewDistinct(2011, ts), 0, w, nil); ws != nil || err != nil {
		t.Fatalf("distinct: %v %v", ws, err)
	}
	j := NewHashJoin(2012, ts, ts, []int{0}, []int{0}, Left, nil)
	for port := 0; port < 2; port++ {
		if ws, err := PushWatermark(e.ctx, j, port, Watermark{Col: 0, Val: types.NewInt(3)}, nil); ws != nil || err != nil {
			t.Fatalf("left join: %v %v", ws, err)
		}
	}
}

// TestJoinWatermark: an inner window join on window_start deletes both
// sides' state below the smaller watermark and passes it on both key
// columns; its output equals the join of the rows it accepted.
func TestJoinWatermark(t *testing.T) {
	e := newEnv(t, 5)
	ts := []types.T{types.TTimestamp, types.TInt4}
	const id = 2020
	j := NewHashJoin(id, ts, ts, []int{0}, []int{0}, Inner, nil)
	got := newMset(j.Types())
	var acc [2][][]types.Datum
	row := func(ws, v int64) []types.Datum { return []types.Datum{{I: ws}, types.NewInt(v)} }
	push := func(port int, rows ...[]types.Datum) {
		t.Helper()
		if err := j.Push(e.ctx, port, chunkOf(ts, rows, nil), got.apply); err != nil {
			t.Fatal(err)
		}
	}
	wm := func(port int, v int64) []Watermark {
		t.Helper()
		ws, err := j.OnWatermark(e.ctx, port, Watermark{Col: 0, Val: types.Datum{I: v}}, got.apply)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	for w := int64(0); w < 10; w++ {
		for v := int64(0); v < 3; v++ {
			l, r := row(w*10, v), row(w*10, v+10)
			push(0, l)
			push(1, r)
			acc[0], acc[1] = append(acc[0], l), append(acc[1], r)
		}
	}
	if ws := wm(0, 50); ws != nil {
		t.Fatalf("one side only: %v", ws)
	}
	if n := len(stateKeys(t, e.ctx.State, id)); n != 60 {
		t.Fatalf("%d keys before cleanup", n)
	}
	ws := wm(1, 40)
	if fmt.Sprint(ws) != fmt.Sprint([]Watermark{{0, types.Datum{I: 40}}, {2, types.Datum{I: 40}}}) {
		t.Fatalf("output watermarks %v", ws)
	}
	keys := stateKeys(t, e.ctx.State, id)
	if len(keys) != 36 {
		t.Fatalf("%d keys after cleanup, want 36", len(keys))
	}
	// Late rows (below 40) are dropped; rows at or above still join.
	push(0, row(30, 7), row(40, 7))
	push(1, row(10, 8))
	acc[0] = append(acc[0], row(40, 7))
	if j.dropped != 2 {
		t.Fatalf("dropped %d", j.dropped)
	}
	if ws := wm(0, 45); ws != nil { // min is still 40
		t.Fatalf("%v", ws)
	}
	want := newMset(j.Types())
	for _, l := range acc[0] {
		for _, r := range acc[1] {
			if l[0].I == r[0].I {
				want.add(append(append([]types.Datum{}, l...), r...), 1)
			}
		}
	}
	if d := diff(got, want); d != "" {
		t.Fatal(d)
	}
}
