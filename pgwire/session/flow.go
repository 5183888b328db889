package session

import (
	"context"
	"os"
	"runtime"
	"strconv"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// A materialized view runs as a stream.Dataflow of P actors (P = the
// engine's parallelism, by default one less than the cores): its plan is
// compiled P times, and the copies exchange rows by the vnodes of their
// operators' keys. Every change pushed into the view is an epoch of the
// dataflow that ends, before the push returns, with every actor drained;
// the actors' state writes commit in the statement's batch (see
// stream.Dataflow). Views with an operator whose state is not partitioned
// by key run as one actor, on the writer's goroutine.

// viewFlow is a view's dataflow and the way from its plan's nodes (copy 0,
// viewRuntime.g) to the dataflow's.
type viewFlow struct {
	d     *stream.Dataflow
	index map[*planner.StreamNode]int
	// caches are the actors' partitions of the state cache (none for a
	// single actor, which uses the engine's cache).
	caches []*state.ReadCache
}

// defaultParallelism is the number of actors per view: the environment's
// STREAMSQL_PARALLELISM, else one less than GOMAXPROCS (at least one).
// One core is left to what runs beside the actors: the source readers
// generating the next chunk, the WAL and Pebble's compactions, and the
// garbage collector. On a 2-core machine, where that core is already
// busy, two actors measured slower than one: exchanges add 10-40 % of
// CPU per row (hashing, copying rows between actors), which only pays
// when there is an idle core to run the second actor.
func defaultParallelism() int {
	if n, err := strconv.Atoi(os.Getenv("STREAMSQL_PARALLELISM")); err == nil && n > 0 {
		return n
	}
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// newFlow builds g's dataflow, compiling q again for the other actors'
// copies (with g's state tables). fix, if not nil, is applied to each copy
// as it was to g.
func (e *Engine) newFlow(q *sql.Query, viewID uint32, g *planner.StreamGraph, eowc bool, fix func(*planner.StreamGraph)) (*viewFlow, error) {
	nodes, index := g.FlowNodes()
	copies := [][]stream.FlowNode{nodes}
	if stream.Partitionable(nodes) {
		for len(copies) < e.parallelism {
			next := 0
			replay := func() (uint32, error) {
				next++
				return g.StateIDs[next-1], nil
			}
			// Each copy binds a fresh parse: binding rewrites parts of
			// the syntax tree in place.
			stmts, err := sql.Parse(q.Text)
			if err != nil {
				return nil, err
			}
			qk, ok := stmts[0].(*sql.Query)
			if !ok || len(stmts) != 1 {
				return nil, types.Errorf(types.CodeInternal, "materialized view %d: definition does not parse back to one query", viewID)
			}
			_, gk, _, err := e.compileView(qk, viewID, replay, eowc)
			if err != nil {
				return nil, err
			}
			if fix != nil {
				fix(gk)
			}
			if planner.ExplainStream(gk) != planner.ExplainStream(g) {
				return nil, types.Errorf(types.CodeInternal, "materialized view %d: the actors' copies of the plan differ", viewID)
			}
			nk, _ := gk.FlowNodes()
			copies = append(copies, nk)
		}
	}
	f := &viewFlow{index: index}
	if len(copies) > 1 {
		for range copies {
			f.caches = append(f.caches, e.stateCache.Partition())
		}
	}
	f.d = stream.NewDataflow(copies, func(a int, b *state.Batch) stream.State { return f.caches[a].Wrap(b) })
	return f, nil
}

// markComplete declares tables new and empty in the state cache the flow
// uses (see state.ReadCache.MarkComplete).
func (e *Engine) markComplete(f *viewFlow, tables ...uint32) {
	if len(f.caches) == 0 {
		e.stateCache.MarkComplete(tables...)
		return
	}
	for _, c := range f.caches {
		c.MarkComplete(tables...)
	}
}

// push runs delta into leaf l.
func (f *viewFlow) push(ctx *stream.Ctx, l planner.StreamLeaf, delta *exec.Chunk, sink func(*exec.Chunk) error) error {
	in := f.leaf(l)
	in.Chunk = delta
	return f.d.Push(ctx, []stream.FlowInput{in}, sink)
}

// pushAt runs c into port of node (from actor `from` of the copies, -1
// for rows from outside).
func (f *viewFlow) pushAt(ctx *stream.Ctx, node *planner.StreamNode, port, from int, c *exec.Chunk, sink func(*exec.Chunk) error) error {
	return f.d.Push(ctx, []stream.FlowInput{{Node: f.index[node], Port: port, From: from, Chunk: c}}, sink)
}

// watermark delivers w at leaf l to every actor.
func (f *viewFlow) watermark(ctx *stream.Ctx, l planner.StreamLeaf, w stream.Watermark, sink func(*exec.Chunk) error) error {
	in := f.leaf(l)
	in.Watermark = &w
	return f.d.Push(ctx, []stream.FlowInput{in}, sink)
}

// copies returns every actor's copy of node.
func (f *viewFlow) copies(node *planner.StreamNode) []stream.Operator {
	ops := make([]stream.Operator, f.d.Parallelism())
	for a := range ops {
		ops[a] = f.d.Copy(a, f.index[node])
	}
	return ops
}

// keylessOwner returns the actor whose copy of a global aggregation holds
// its state, and that copy of node.
func (f *viewFlow) keylessOwner(node *planner.StreamNode) (int, stream.Operator) {
	a := 0
	if f.d.Parallelism() > 1 {
		a = f.d.KeylessOwner()
	}
	return a, f.d.Copy(a, f.index[node])
}

func (f *viewFlow) close() {
	f.d.Close()
	for _, c := range f.caches {
		c.Release()
	}
}

// parallel reports whether the dataflow runs as several actors: then the
// output chunks of one push arrive in no causal order (see netChanges).
func (f *viewFlow) parallel() bool { return f.d.Parallelism() > 1 }

// outputs gathers the output deltas of one push into a view (or sink)
// dataflow for its readers.
type outputs struct {
	keep   bool
	net    bool
	ts     []types.T
	chunks []*exec.Chunk
}

// viewOutputs returns the collector of rt's output deltas: kept only if
// something reads the view, and netted if its actors run in parallel.
func (e *Engine) viewOutputs(rt *viewRuntime) *outputs {
	return &outputs{keep: e.hasReaders(rt.rel.ID), net: rt.flow.parallel(), ts: rt.g.Root.Op.Types()}
}

// add is the dataflow's sink.
func (o *outputs) add(c *exec.Chunk) error {
	if o.keep && c.Len() > 0 {
		o.chunks = append(o.chunks, copyChunk(c))
	}
	return nil
}

// take returns the deltas gathered since the last take.
func (o *outputs) take() []*exec.Chunk {
	out := o.chunks
	o.chunks = nil
	if o.net && len(out) > 0 {
		if c := netChanges(o.ts, out); c.Len() > 0 {
			return []*exec.Chunk{c}
		}
		return nil
	}
	return out
}

// netChanges turns the output deltas of one push of a parallel dataflow
// into one delta with the same net effect, deletes first. The actors emit
// concurrently, so the order of their chunks says nothing about causes:
// the delete of an updated row's old version may come after the insert
// of its new one, which a reader applying changes by key (an upsert sink)
// would get wrong. A multiset's net change does not depend on the order,
// and with the deletes first every key ends at its new row.
func netChanges(ts []types.T, chunks []*exec.Chunk) *exec.Chunk {
	type entry struct {
		row []types.Datum
		n   int64
	}
	index := map[string]int{}
	var entries []entry
	var key []byte
	for _, c := range chunks {
		for i := 0; i < c.Len(); i++ {
			r := c.Row(i)
			row := c.RowDatums(r)
			key = state.AppendRow(key[:0], ts, row)
			k, ok := index[string(key)]
			if !ok {
				k = len(entries)
				index[string(key)] = k
				entries = append(entries, entry{row: row})
			}
			if c.Ops != nil && (c.Ops[r] == exec.OpDelete || c.Ops[r] == exec.OpUpdateDelete) {
				entries[k].n--
			} else {
				entries[k].n++
			}
		}
	}
	out := exec.NewChunk(ts)
	for _, deletes := range []bool{true, false} {
		for _, en := range entries {
			n, op := en.n, exec.OpInsert
			if deletes {
				n, op = -n, exec.OpDelete
			}
			for ; n > 0; n-- {
				out.AppendDatums(en.row)
				out.Ops = append(out.Ops, op)
			}
		}
	}
	return out
}

// pushOutput is where the output of one push into a flow goes: the sink
// function for the push and the function to call after it (see
// sinkRuntime.outputs); a view's backfill discards its output.
type pushOutput func() (add func(*exec.Chunk) error, flush func() error)

func discardOutput() (func(*exec.Chunk) error, func() error) {
	return func(*exec.Chunk) error { return nil }, func() error { return nil }
}

// leaf returns the input of f for changes or watermarks of leaf l.
func (f *viewFlow) leaf(l planner.StreamLeaf) stream.FlowInput {
	return stream.FlowInput{Node: f.index[l.Node], Port: l.Port, From: -1}
}

// pushWith pushes in through f, handing the output to out.
func (f *viewFlow) pushWith(ctx *stream.Ctx, in stream.FlowInput, out pushOutput) error {
	add, flush := out()
	if err := f.d.Push(ctx, []stream.FlowInput{in}, add); err != nil {
		return err
	}
	return flush()
}

// backfill pushes g's constant rows and the rows snap holds of each of g's
// inputs through the flow as inserts, writing the operators' state into
// ctx's batch. A global aggregation's row over the empty input is held
// back until finishInitial: expressions over it such as 2 / count(*)
// could fail although the backfilled input is not empty.
func (f *viewFlow) backfill(e *Engine, ctx *stream.Ctx, g *planner.StreamGraph, snap *readView, out pushOutput) error {
	for _, nd := range g.Initial {
		if _, op := f.keylessOwner(nd); op != nil {
			if d, ok := op.(interface{ DeferInitialOutput() }); ok {
				d.DeferInitialOutput()
			}
		}
	}
	for _, cl := range g.Consts {
		c := exec.NewChunk(cl.Types)
		for _, r := range cl.Rows {
			c.AppendDatums(r)
		}
		if err := f.pushWith(ctx, stream.FlowInput{Node: f.index[cl.Node], Port: cl.Port, From: -1, Chunk: c}, out); err != nil {
			return err
		}
	}
	for _, l := range g.Leaves {
		err := e.scanSnapshot(ctx.EC.Ctx, snap, l.RelID, func(c *exec.Chunk) error {
			in := f.leaf(l)
			in.Chunk = c
			return f.pushWith(ctx, in, out)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// finishInitial ends backfill's deferral: the global aggregations whose
// input stayed empty emit their empty-input row now.
func (f *viewFlow) finishInitial(ctx *stream.Ctx, g *planner.StreamGraph, out pushOutput) error {
	for _, nd := range g.Initial {
		owner, op := f.keylessOwner(nd)
		agg, ok := op.(interface {
			EndDeferral() bool
			InitialOutput() *exec.Chunk
		})
		if !ok || !agg.EndDeferral() {
			continue
		}
		if c := agg.InitialOutput(); c != nil && nd.Parent != nil {
			if err := f.pushWith(ctx, stream.FlowInput{Node: f.index[nd.Parent], Port: nd.Port, From: owner, Chunk: c}, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanSnapshot hands push the rows snap holds of relation relID. A source
// has none: it keeps no history, so what reads it starts from now.
func (e *Engine) scanSnapshot(ctx context.Context, snap *readView, relID uint32, push func(*exec.Chunk) error) error {
	src := e.cat.GetByID(relID)
	if src == nil {
		return types.Errorf(types.CodeUndefinedTable, "relation %d does not exist", relID)
	}
	if src.Kind == catalog.KindSource {
		return nil
	}
	op, err := snap.Scan(src, nil)
	if err != nil {
		return err
	}
	defer op.Close()
	if err := op.Init(ctx); err != nil {
		return err
	}
	for {
		c, err := op.Next()
		if err != nil || c == nil {
			return err
		}
		if err := push(c); err != nil {
			return err
		}
	}
}
