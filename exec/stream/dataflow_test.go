package stream

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// countByKey builds copies of Filter(true) → HashAgg(k: count(*), sum(v))
// → Materialize, the nodes listed root first.
func countByKey(t testing.TB, copies int) [][]FlowNode {
	in := []types.T{types.TInt8, types.TInt8}
	ret, cast, err := batch.ResolveAggregate("sum", []types.T{types.TInt8}, false)
	if err != nil {
		t.Fatal(err)
	}
	cret, _, err := batch.ResolveAggregate("count", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	specs := []batch.AggSpec{
		{Name: "count", Ret: cret, FilterCol: -1},
		{Name: "sum", Args: []int{1}, ArgTypes: cast, Ret: ret, FilterCol: -1},
	}
	var out [][]FlowNode
	for i := 0; i < copies; i++ {
		agg, err := NewHashAgg(2, in, []int{0}, specs)
		if err != nil {
			t.Fatal(err)
		}
		pass := NewFilter(&exec.Const{Val: types.NewBool(true), Typ: types.TBool}).SetTypes(in)
		out = append(out, []FlowNode{
			{Op: NewMaterialize(1, agg.Types()), Parent: -1},
			{Op: agg, Parent: 0},
			{Op: pass, Parent: 1},
		})
	}
	return out
}

// TestDataflowMatchesOneActor pushes random inserts and deletes through
// three actors and through one, committing now and then, and compares the
// outputs and the stored views: the actors must own disjoint keys, write
// their state into children of the pushed batch, and lose nothing at
// commit.
func TestDataflowMatchesOneActor(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	type run struct {
		d     *Dataflow
		store *state.Store
		b     *state.Batch
		out   *mset
	}
	runs := make([]*run, 2)
	for i, p := range []int{1, 3} {
		s, err := state.Open("", state.Options{InMemory: true, DisableSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		d := NewDataflow(countByKey(t, p), func(_ int, b *state.Batch) State { return NewBatchState(b) })
		defer d.Close()
		if d.Parallelism() != p {
			t.Fatalf("parallelism %d, want %d", d.Parallelism(), p)
		}
		runs[i] = &run{d: d, store: s, b: s.NewBatch(), out: newMset(d.Copy(0, 0).Types())}
	}
	ts := []types.T{types.TInt8, types.TInt8}
	var live [][]types.Datum
	for step := 0; step < 200; step++ {
		c := exec.NewChunk(ts)
		for i := 0; i < 1+rng.Intn(50); i++ {
			if len(live) > 0 && rng.Intn(3) == 0 {
				j := rng.Intn(len(live))
				c.AppendDatums(live[j])
				c.Ops = append(c.Ops, exec.OpDelete)
				live = append(live[:j], live[j+1:]...)
				continue
			}
			row := []types.Datum{types.NewInt(int64(rng.Intn(40))), types.NewInt(int64(rng.Intn(100)))}
			c.AppendDatums(row)
			c.Ops = append(c.Ops, exec.OpInsert)
			live = append(live, row)
		}
		for _, r := range runs {
			ctx := &Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(r.b)}
			err := r.d.Push(ctx, []FlowInput{{Node: 2, From: -1, Chunk: c}}, r.out.apply)
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if rng.Intn(3) == 0 || step == 199 {
				if err := r.b.Commit(false); err != nil {
					t.Fatal(err)
				}
				r.b = r.store.NewBatch()
			}
		}
		if d := diff(runs[1].out, runs[0].out); d != "" {
			t.Fatalf("step %d: 3 actors' output differs from one actor's:\n%s", step, d)
		}
	}
	// The committed views are equal too.
	var stored [2]*mset
	for i, r := range runs {
		stored[i] = msetOf(r.out.ts, drain(t, NewMaterializedScan(r.store, 1, r.out.ts)))
	}
	if d := diff(stored[1], stored[0]); d != "" {
		t.Fatalf("stored views differ:\n%s", d)
	}
	if d := diff(stored[1], runs[1].out); d != "" {
		t.Fatalf("stored view differs from the output:\n%s", d)
	}
}

// TestDataflowDiscardsFailedEpoch: when the statement's batch is closed
// without committing, the actors' writes are gone with it.
func TestDataflowDiscardsFailedEpoch(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := NewDataflow(countByKey(t, 2), func(_ int, b *state.Batch) State { return NewBatchState(b) })
	defer d.Close()
	c := exec.NewChunk([]types.T{types.TInt8, types.TInt8})
	for k := 0; k < 20; k++ {
		c.AppendDatums([]types.Datum{types.NewInt(int64(k)), types.NewInt(1)})
	}
	b := s.NewBatch()
	discard := func(*exec.Chunk) error { return nil }
	if err := d.Push(&Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(b)}, []FlowInput{{Node: 2, From: -1, Chunk: c}}, discard); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if rows := drain(t, NewMaterializedScan(s, 1, d.Copy(0, 0).Types())); len(rows) != 0 {
		t.Fatalf("a discarded epoch left %d rows", len(rows))
	}
	// A delete of a group never committed fails (in whichever actor owns
	// it), and the push reports it.
	c.Ops = make([]exec.Op, c.N)
	for i := range c.Ops {
		c.Ops[i] = exec.OpDelete
	}
	b = s.NewBatch()
	defer b.Close()
	err = d.Push(&Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(b)}, []FlowInput{{Node: 2, From: -1, Chunk: c}}, discard)
	if err == nil {
		t.Fatal("deleting rows never inserted succeeded")
	}
}

// TestWatermarkAlignment: at an exchange, an actor passes on the minimum
// of the senders' latest watermarks, once every sender has sent one, and
// only when it advances.
func TestWatermarkAlignment(t *testing.T) {
	d := NewDataflow(countByKey(t, 3), func(_ int, b *state.Batch) State { return NewBatchState(b) })
	d.align = []map[alignKey]*alignState{{}, {}, {}}
	steps := []struct {
		from int
		val  int64
		want string
	}{
		{0, 5, "-"}, {1, 7, "-"}, {0, 6, "-"}, {2, 3, "3"}, {2, 9, "6"},
		{1, 8, "-"}, {0, 10, "8"}, {1, 4, "-"}, {1, 12, "9"},
	}
	for i, s := range steps {
		w, ok := d.aligned(0, 1, 0, s.from, Watermark{Col: 0, Val: types.NewInt(s.val)})
		got := "-"
		if ok {
			got = fmt.Sprint(w.Val.I)
		}
		if got != s.want {
			t.Fatalf("step %d (actor %d sends %d): passed %s, want %s", i, s.from, s.val, got, s.want)
		}
	}
}

// BenchmarkDataflow pushes 16k-row chunks of inserts (10k keys) through
// count/sum by key with one and two actors, committing every 4 chunks.
func BenchmarkDataflow(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("actors=%d", p), func(b *testing.B) {
			s, err := state.Open("", state.Options{InMemory: true, DisableSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			cache := state.NewReadCache(1 << 30)
			cache.MarkComplete(1, 2)
			parts := make([]*state.ReadCache, p)
			for a := range parts {
				parts[a] = cache.Partition()
				parts[a].MarkComplete(1, 2)
			}
			d := NewDataflow(countByKey(b, p), func(a int, bt *state.Batch) State { return parts[a].Wrap(bt) })
			defer d.Close()
			ts := []types.T{types.TInt8, types.TInt8}
			rng := rand.New(rand.NewSource(1))
			c := exec.NewChunk(ts)
			for i := 0; i < 16*1024; i++ {
				c.AppendDatums([]types.Datum{types.NewInt(int64(rng.Intn(10000))), types.NewInt(int64(i))})
			}
			discard := func(*exec.Chunk) error { return nil }
			bt := s.NewBatch()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx := &Ctx{EC: &exec.EvalCtx{}, State: cache.Wrap(bt)}
				if err := d.Push(ctx, []FlowInput{{Node: 2, From: -1, Chunk: c}}, discard); err != nil {
					b.Fatal(err)
				}
				if i%4 == 3 {
					if err := bt.Commit(false); err != nil {
						b.Fatal(err)
					}
					bt = s.NewBatch()
				}
			}
			b.StopTimer()
			bt.Close()
			b.ReportMetric(float64(b.N*c.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// panicOp panics on every push: a bug in an operator.
type panicOp struct{ ts []types.T }

func (p panicOp) Types() []types.T { return p.ts }
func (p panicOp) Push(*Ctx, int, *exec.Chunk, func(*exec.Chunk) error) error {
	panic("operator bug")
}

// TestDataflowActorPanicFailsThePush: a panic in an actor becomes the
// push's error (SQLSTATE XX000), and the dataflow keeps working.
func TestDataflowActorPanicFailsThePush(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	copies := countByKey(t, 2)
	d := NewDataflow(copies, func(_ int, b *state.Batch) State { return NewBatchState(b) })
	defer d.Close()
	c := exec.NewChunk([]types.T{types.TInt8, types.TInt8})
	for k := 0; k < 20; k++ {
		c.AppendDatums([]types.Datum{types.NewInt(int64(k)), types.NewInt(1)})
	}
	// Swap the copies' aggregations for a panicking operator once the
	// dataflow is built (a parallel one: panicOp is not parallel-safe).
	saved := []Operator{copies[0][1].Op, copies[1][1].Op}
	for a := range copies {
		copies[a][1].Op = panicOp{ts: saved[a].Types()}
	}
	b := s.NewBatch()
	err = d.Push(&Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(b)}, []FlowInput{{Node: 2, From: -1, Chunk: c}}, func(*exec.Chunk) error { return nil })
	b.Close()
	if te, ok := err.(*types.Error); !ok || te.Code != types.CodeInternal {
		t.Fatalf("push with a panicking operator: %v, want an internal error", err)
	}
	for a := range copies {
		copies[a][1].Op = saved[a]
	}
	b = s.NewBatch()
	defer b.Close()
	if err := d.Push(&Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(b)}, []FlowInput{{Node: 2, From: -1, Chunk: c}}, func(*exec.Chunk) error { return nil }); err != nil {
		t.Fatalf("the next push failed: %v", err)
	}
}

// TestNeedlessExchangeSkipped: a view's storage needs no exchange when
// its input is already partitioned by some of its columns (the group
// column of an aggregation), and does when a projection drops them.
func TestNeedlessExchangeSkipped(t *testing.T) {
	wrap := func(_ int, b *state.Batch) State { return NewBatchState(b) }
	d := NewDataflow(countByKey(t, 2), wrap)
	if d.route(0, 0).exchange {
		t.Error("the storage of an aggregation's rows (group column kept) has an exchange")
	}
	if !d.route(1, 0).exchange {
		t.Error("the aggregation lost its exchange")
	}
	// Insert a projection dropping the group column between the two.
	copies := countByKey(t, 2)
	for a, cp := range copies {
		agg := cp[1].Op
		ts := agg.Types()[1:]
		proj := NewProject([]exec.Expr{&exec.ColRef{Idx: 1, Typ: ts[0]}, &exec.ColRef{Idx: 2, Typ: ts[1]}})
		copies[a] = []FlowNode{
			{Op: NewMaterialize(1, ts), Parent: -1},
			{Op: proj, Parent: 0},
			{Op: agg, Parent: 1},
			{Op: cp[2].Op, Parent: 2},
		}
	}
	d = NewDataflow(copies, wrap)
	if !d.route(0, 0).exchange {
		t.Error("the storage of rows without the group column has no exchange")
	}
}
