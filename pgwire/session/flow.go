package session

import (
	"os"
	"runtime"
	"strconv"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// A materialized view runs as a stream.Dataflow of P actors (P = the
// engine's parallelism, by default the number of cores): its plan is
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
}

// defaultParallelism is the number of actors per view: the environment's
// STREAMSQL_PARALLELISM, else GOMAXPROCS.
func defaultParallelism() int {
	if n, err := strconv.Atoi(os.Getenv("STREAMSQL_PARALLELISM")); err == nil && n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// newFlow builds g's dataflow, compiling q again for the other actors'
// copies (with g's state tables).
func (e *Engine) newFlow(q *sql.Query, viewID uint32, g *planner.StreamGraph, eowc bool) (*viewFlow, error) {
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
			if planner.ExplainStream(gk) != planner.ExplainStream(g) {
				return nil, types.Errorf(types.CodeInternal, "materialized view %d: the actors' copies of the plan differ", viewID)
			}
			nk, _ := gk.FlowNodes()
			copies = append(copies, nk)
		}
	}
	wrap := func(b *state.Batch) stream.State { return e.opState(b) }
	return &viewFlow{d: stream.NewDataflow(copies, wrap), index: index}, nil
}

// push runs delta into leaf l.
func (f *viewFlow) push(ctx *stream.Ctx, l planner.StreamLeaf, delta *exec.Chunk, sink func(*exec.Chunk) error) error {
	return f.d.Push(ctx, []stream.FlowInput{{Node: f.index[l.Node], Port: l.Port, From: -1, Chunk: delta}}, sink)
}

// pushAt runs c into port of node (from actor `from` of the copies, -1
// for rows from outside).
func (f *viewFlow) pushAt(ctx *stream.Ctx, node *planner.StreamNode, port, from int, c *exec.Chunk, sink func(*exec.Chunk) error) error {
	return f.d.Push(ctx, []stream.FlowInput{{Node: f.index[node], Port: port, From: from, Chunk: c}}, sink)
}

// watermark delivers w at leaf l to every actor.
func (f *viewFlow) watermark(ctx *stream.Ctx, l planner.StreamLeaf, w stream.Watermark, sink func(*exec.Chunk) error) error {
	return f.d.Push(ctx, []stream.FlowInput{{Node: f.index[l.Node], Port: l.Port, From: -1, Watermark: &w}}, sink)
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

func (f *viewFlow) close() { f.d.Close() }
