package session

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/planner"
)

// Temporal filters (WHERE ts > now() - INTERVAL '1 hour' in a view) expire
// rows as time passes, not as data arrives: a ticker goroutine wakes every
// TickInterval and, under the write lock and in a batch of its own that it
// commits atomically like any writer, asks every temporal filter to emit
// the deletes of the rows the clock has reached, pushing them on through
// the view and the views reading it.

// temporalTicker runs the expiry loop.
type temporalTicker struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// now is the engine's clock: now() of statements and of temporal filters.
func (e *Engine) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}

// tickable is implemented by operators that change their output as time
// passes (stream.TemporalFilter).
type tickable interface {
	SetClock(func() time.Time)
	Tick(ctx *stream.Ctx, emit func(*exec.Chunk) error) error
}

// temporalNodes returns g's operators that need ticks, in a stable order
// (each once).
func temporalNodes(g *planner.StreamGraph) []*planner.StreamNode {
	var out []*planner.StreamNode
	seen := map[*planner.StreamNode]bool{}
	visit := func(n *planner.StreamNode) {
		for ; n != nil && !seen[n]; n = n.Parent {
			seen[n] = true
			if _, ok := n.Op.(tickable); ok {
				out = append(out, n)
			}
		}
	}
	for _, l := range g.Leaves {
		visit(l.Node)
	}
	for _, c := range g.Consts {
		visit(c.Node)
	}
	return out
}

// setClocks makes g's temporal operators read the engine's clock.
func (e *Engine) setClocks(g *planner.StreamGraph) {
	for _, n := range temporalNodes(g) {
		n.Op.(tickable).SetClock(e.now)
	}
}

func (e *Engine) startTicker(every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	e.ticker.stop = make(chan struct{})
	e.ticker.wg.Add(1)
	go func() {
		defer e.ticker.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-e.ticker.stop:
				return
			case <-t.C:
				if err := e.TickTemporal(); err != nil {
					slog.Default().Error("temporal filter expiry failed", "err", err)
				}
			}
		}
	}()
}

func (e *Engine) stopTicker() {
	if e.ticker.stop != nil {
		close(e.ticker.stop)
		e.ticker.wg.Wait()
		e.ticker.stop = nil
	}
}

// TickTemporal expires, in one atomic batch, the rows of every view's
// temporal filters that the clock has reached, and propagates the deletes
// to the views reading those views. The ticker calls it periodically.
func (e *Engine) TickTemporal() error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	type work struct {
		vid   uint32
		rt    *viewRuntime
		nodes []*planner.StreamNode
	}
	var todo []work
	for vid, rt := range e.views.byID {
		if ns := temporalNodes(rt.g); len(ns) > 0 {
			todo = append(todo, work{vid, rt, ns})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].vid < todo[j].vid })
	w := e.tables.NewWriter()
	defer w.Close()
	ec := &exec.EvalCtx{Ctx: context.Background(), Now: e.now()}
	sctx := &stream.Ctx{EC: ec, State: e.opState(w.Batch())}
	changed := false
	for _, wk := range todo {
		vid := wk.vid
		var outs []*exec.Chunk
		sink := func(out *exec.Chunk) error {
			if e.hasReaders(vid) && out.Len() > 0 {
				outs = append(outs, copyChunk(out))
			}
			return nil
		}
		for _, n := range wk.nodes {
			n := n
			emit := func(out *exec.Chunk) error {
				if out.Len() == 0 {
					return nil
				}
				changed = true
				if n.Parent == nil {
					return sink(out)
				}
				// A view with a temporal filter runs as one actor.
				return wk.rt.flow.pushAt(sctx, n.Parent, n.Port, 0, out, sink)
			}
			if err := n.Op.(tickable).Tick(sctx, emit); err != nil {
				return err
			}
		}
		for _, out := range outs {
			if err := e.propagate(sctx, vid, out); err != nil {
				return err
			}
		}
	}
	if !changed {
		return nil
	}
	return w.Commit()
}
