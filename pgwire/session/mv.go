package session

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Materialized views are maintained synchronously: a statement that
// changes a table pushes its changes through every dependent view's
// dataflow (its actors: see flow.go) before it commits, and the state
// those actors write joins the statement's own batch, so the table, its
// views and views on those views commit atomically. A SELECT (which reads
// a snapshot) therefore always sees every view consistent with the
// tables, and a crash can lose or double nothing.

// viewRuntime is a materialized view's compiled dataflow.
type viewRuntime struct {
	rel *catalog.Relation
	g   *planner.StreamGraph // the plan of the first actor's copy
	// flow runs the view's copies as actors.
	flow *viewFlow
}

// views is the engine's registry of view dataflows; guarded by writeMu.
type views struct {
	byID map[uint32]*viewRuntime
	// readers maps a relation id to the views reading it, in creation order.
	readers map[uint32][]uint32
	// pending are views being backfilled: they collect the changes
	// committed after their backfill snapshot, to apply them when the
	// backfill is done.
	pending map[uint32]*pendingView
}

type pendingView struct {
	reads map[uint32]bool
	buf   []bufferedDelta
}

type bufferedDelta struct {
	relID uint32
	c     *exec.Chunk
}

func (v *views) add(rt *viewRuntime) {
	if v.byID == nil {
		v.byID, v.readers = map[uint32]*viewRuntime{}, map[uint32][]uint32{}
	}
	v.byID[rt.rel.ID] = rt
	seen := map[uint32]bool{}
	for _, l := range rt.g.Leaves {
		if !seen[l.RelID] {
			seen[l.RelID] = true
			v.readers[l.RelID] = append(v.readers[l.RelID], rt.rel.ID)
		}
	}
}

func (v *views) remove(id uint32) {
	if rt := v.byID[id]; rt != nil {
		rt.flow.close()
	}
	delete(v.byID, id)
	removeReader(v.readers, id)
}

// removeReader drops id from every relation's list of readers.
func removeReader(readers map[uint32][]uint32, id uint32) {
	for k, ids := range readers {
		out := ids[:0]
		for _, x := range ids {
			if x != id {
				out = append(out, x)
			}
		}
		readers[k] = out
	}
}

// copyChunk deep-copies the visible rows of c (with their ops).
func copyChunk(c *exec.Chunk) *exec.Chunk {
	out := exec.NewChunk(c.Types())
	for i := 0; i < c.Len(); i++ {
		r := c.Row(i)
		row := c.RowDatums(r)
		for j := range row {
			row[j] = row[j].Copy()
		}
		out.AppendDatums(row)
		op := exec.OpInsert
		if c.Ops != nil {
			op = c.Ops[r]
		}
		out.Ops = append(out.Ops, op)
	}
	return out
}

// propagate pushes the change delta of relation relID into every view
// reading it, and those views' changes on to the views reading them.
func (e *Engine) propagate(ctx *stream.Ctx, relID uint32, delta *exec.Chunk) error {
	for _, p := range e.views.pending {
		if p.reads[relID] && delta.Len() > 0 {
			p.buf = append(p.buf, bufferedDelta{relID: relID, c: copyChunk(delta)})
		}
	}
	if err := e.propagateRows(ctx, relID, delta); err != nil {
		return err
	}
	return e.advanceWatermark(ctx, relID, delta)
}

// propagateRows pushes delta into the views reading relID.
func (e *Engine) propagateRows(ctx *stream.Ctx, relID uint32, delta *exec.Chunk) error {
	if err := e.sinkRows(ctx, relID, delta); err != nil {
		return err
	}
	late := e.newLateCollector(relID)
	defer late.finish()
	for _, vid := range e.views.readers[relID] {
		rt := e.views.byID[vid]
		o := e.viewOutputs(rt)
		var outs []*exec.Chunk
		for _, l := range rt.g.Leaves {
			if l.RelID != relID {
				continue
			}
			lfs := late.watch(rt, l)
			err := rt.flow.push(ctx, l, delta, o.add)
			late.done(lfs)
			if err != nil {
				return err
			}
			outs = append(outs, o.take()...)
		}
		for _, out := range outs {
			if err := e.propagate(ctx, vid, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasReaders reports whether changes to relID must be propagated.
func (e *Engine) hasReaders(relID uint32) bool {
	if len(e.views.readers[relID]) > 0 || e.hasSinkReaders(relID) {
		return true
	}
	for _, p := range e.views.pending {
		if p.reads[relID] {
			return true
		}
	}
	return false
}

// changeBuffer collects a statement's row changes to one table and feeds
// them to the dependent views a chunk at a time.
type changeBuffer struct {
	e     *Engine
	ctx   *stream.Ctx
	relID uint32
	c     *exec.Chunk
}

func (e *Engine) newChangeBuffer(rel *catalog.Relation, w *tables.Writer, ec *exec.EvalCtx) *changeBuffer {
	if !e.hasReaders(rel.ID) {
		return nil
	}
	e.late = nil
	return &changeBuffer{e: e, ctx: &stream.Ctx{EC: ec, State: e.opState(w.Batch())}, relID: rel.ID, c: exec.NewChunk(rel.Types())}
}

func (cb *changeBuffer) add(op exec.Op, row []types.Datum) error {
	if cb == nil {
		return nil
	}
	cb.c.AppendDatums(row)
	cb.c.Ops = append(cb.c.Ops, op)
	if cb.c.N >= exec.DefaultChunkSize {
		return cb.flush()
	}
	return nil
}

func (cb *changeBuffer) flush() error {
	if cb == nil || cb.c.N == 0 {
		return nil
	}
	err := cb.e.propagate(cb.ctx, cb.relID, cb.c)
	cb.c = exec.NewChunk(cb.c.Types())
	return err
}

// flushLate writes the late rows the statement's changes met into the
// dead-letter table (see Engine.flushLate).
func (cb *changeBuffer) flushLate(w *tables.Writer) (func(), error) {
	if cb == nil {
		return func() {}, nil
	}
	return cb.e.flushLate(w, cb.ctx)
}

// compileView binds and compiles a view's query. alloc supplies state ids.
func (e *Engine) compileView(q *sql.Query, viewID uint32, alloc planner.IDAlloc, eowc bool) (*planner.Query, *planner.StreamGraph, map[uint32]bool, error) {
	b := &planner.Binder{Cat: e.streamCatalog(), Phys: &planner.PhysBuilder{}}
	bq, err := b.BindQuery(q.Node)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(b.ParamTypes) > 0 {
		return nil, nil, nil, types.Errorf(types.CodeFeatureNotSupported, "materialized views cannot have parameters")
	}
	// The plan must not depend on table sizes: it is compiled again at
	// every start and must find its operators' state where it left it.
	root := planner.Optimize(bq.Root, nil)
	g, err := planner.BuildStream(root, viewID, alloc, b, eowc)
	if err != nil {
		return nil, nil, nil, err
	}
	e.setClocks(g)
	return bq, g, b.Deps, nil
}

func (s *session) createMaterializedView(x *sql.CreateView) error {
	e := s.e
	// Step 1, under the write lock: compile, take the backfill snapshot and
	// start collecting the changes committed after it.
	e.writeMu.Lock()
	if s.tx == 'T' {
		s.wroteInTx = true
	}
	rt, snap, err := s.prepareView(x)
	if err != nil || rt == nil {
		e.writeMu.Unlock()
		return err
	}
	rel, g := rt.rel, rt.g
	p := &pendingView{reads: map[uint32]bool{}}
	for _, l := range g.Leaves {
		p.reads[l.RelID] = true
	}
	if e.views.pending == nil {
		e.views.pending = map[uint32]*pendingView{}
	}
	e.views.pending[rel.ID] = p
	e.writeMu.Unlock()

	// Step 2, without the lock: push the snapshot's rows through the new
	// dataflow into a batch of its own. Writers go on meanwhile.
	w := e.tables.NewWriter()
	defer w.Close()
	err = e.backfill(rt, snap, w)
	snap.Close()

	// Step 3, under the lock again: apply what changed since the snapshot,
	// then commit and publish the view.
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	delete(e.views.pending, rel.ID)
	if err == nil {
		err = e.catchUp(rt, p.buf, w)
	}
	if err == nil {
		err = e.finishInitial(rt, w)
	}
	for _, l := range g.Leaves {
		if err == nil && e.cat.GetByID(l.RelID) == nil {
			err = types.Errorf(types.CodeUndefinedTable, "a relation read by materialized view %q was dropped while it was being created", rel.Name)
		}
	}
	if err == nil {
		err = w.Commit()
	}
	if err == nil {
		err = e.cat.Create(rel)
	}
	if err != nil {
		rt.flow.close()
		e.dropState(rel)
		return err
	}
	e.views.add(rt)
	// The view joins its inputs' event time where it stands.
	if err := e.pushWatermarksInto(rt); err != nil {
		slog.Default().Error("pushing watermarks into a new view", "view", rel.Name, "err", err)
	}
	return nil
}

// prepareView checks the name, compiles the view and takes the snapshot
// its backfill reads. It returns a nil runtime when IF NOT EXISTS found
// the name taken. Called with writeMu held.
func (s *session) prepareView(x *sql.CreateView) (*viewRuntime, *readView, error) {
	e := s.e
	if existing := e.cat.Get(x.Name); existing != nil {
		if x.IfNotExists {
			return nil, nil, nil
		}
		return nil, nil, types.Errorf(types.CodeDuplicateTable, "relation %q already exists", x.Name)
	}
	if _, pending := e.pendingName(x.Name); pending {
		return nil, nil, types.Errorf(types.CodeDuplicateTable, "relation %q is being created by another session", x.Name)
	}
	viewID, err := e.cat.AllocID()
	if err != nil {
		return nil, nil, err
	}
	bq, g, deps, err := e.compileView(x.Query, viewID, e.cat.AllocID, x.EmitOnWindowClose)
	if err != nil {
		return nil, nil, err
	}
	if len(x.Columns) > len(bq.Cols) {
		return nil, nil, types.Errorf(types.CodeSyntaxError, "CREATE MATERIALIZED VIEW specifies more column names than columns")
	}
	rel := &catalog.Relation{ID: viewID, Name: x.Name, Kind: catalog.KindMaterializedView, SQL: x.Query.Text, StateIDs: g.StateIDs, EmitOnWindowClose: x.EmitOnWindowClose}
	seen := map[string]bool{}
	for i, c := range bq.Cols {
		name := c.Name
		if i < len(x.Columns) {
			name = x.Columns[i]
		}
		if seen[name] {
			return nil, nil, types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		rel.Columns = append(rel.Columns, catalog.Column{Name: name, Type: c.Type})
	}
	for id := range deps {
		rel.DependsOn = append(rel.DependsOn, id)
	}
	sort.Slice(rel.DependsOn, func(i, j int) bool { return rel.DependsOn[i] < rel.DependsOn[j] })
	flow, err := e.newFlow(x.Query, viewID, g, x.EmitOnWindowClose, nil)
	if err != nil {
		return nil, nil, err
	}
	e.pendingNames[x.Name] = rel.ID
	// The operators' state tables are new and empty, and every write to
	// them goes through the state cache. The rows of an append-only view
	// are only written, so they stay out of memory; a view that retracts
	// reads its rows back (to count duplicates) and keeps them.
	complete := rel.StateIDs
	if m, ok := g.Root.Op.(*stream.Materialize); !ok || !m.AppendOnly() {
		complete = append([]uint32{rel.ID}, complete...)
	}
	e.markComplete(flow, complete...)
	return &viewRuntime{rel: rel, g: g, flow: flow}, e.newReadView(), nil
}

// pendingName reports whether a view of that name is being created.
func (e *Engine) pendingName(name string) (uint32, bool) {
	if e.pendingNames == nil {
		e.pendingNames = map[string]uint32{}
	}
	id, ok := e.pendingNames[name]
	if ok {
		if _, still := e.views.pending[id]; !still {
			delete(e.pendingNames, name)
			return 0, false
		}
	}
	return id, ok
}

// catchUp replays the changes committed during a backfill into the new
// view's dataflow.
func (e *Engine) catchUp(rt *viewRuntime, buf []bufferedDelta, w *tables.Writer) error {
	sctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background()}, State: e.opState(w.Batch())}
	discard := func(*exec.Chunk) error { return nil }
	for _, d := range buf {
		for _, l := range rt.g.Leaves {
			if l.RelID != d.relID {
				continue
			}
			if err := rt.flow.push(sctx, l, d.c, discard); err != nil {
				return err
			}
		}
	}
	return nil
}

// backfill pushes the rows of snap's copy of every input through the new
// view's dataflow as inserts, writing the operators' state into w's batch.
func (e *Engine) backfill(rt *viewRuntime, snap *readView, w *tables.Writer) error {
	sctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background()}, State: e.opState(w.Batch())}
	return rt.flow.backfill(e, sctx, rt.g, snap, discardOutput)
}

// dropState deletes a view's stored rows and operator state.
func (e *Engine) dropState(rel *catalog.Relation) error {
	ids := append([]uint32{rel.ID}, rel.StateIDs...)
	b := e.store.NewBatch()
	defer b.Close()
	if err := b.Delete(state.SystemKey(fmt.Sprintf("mvseq/%d", rel.ID))); err != nil {
		return err
	}
	// The sequence counters of the other actors' copies (stream.Materialize.SetSequenceShard).
	shards := state.SystemKey(fmt.Sprintf("mvseq/%d/", rel.ID))
	if err := b.DeleteRange(shards, state.PrefixEnd(shards)); err != nil {
		return err
	}
	for _, id := range ids {
		p := state.TablePrefix(id)
		if err := b.DeleteRange(p, state.PrefixEnd(p)); err != nil {
			return err
		}
	}
	if err := b.Commit(true); err != nil {
		return err
	}
	// The range deletes bypassed the state cache.
	e.stateCache.Clear()
	return nil
}

// recordedStateIDs hands out r's recorded state table ids in order, for
// rebuilding its dataflow at startup (the plan is compiled again the same
// way, so it asks for the same tables).
func recordedStateIDs(kind string, r *catalog.Relation) planner.IDAlloc {
	next := 0
	return func() (uint32, error) {
		if next >= len(r.StateIDs) {
			return 0, types.Errorf(types.CodeInternal, "%s %q: plan needs more state tables than recorded", kind, r.Name)
		}
		next++
		return r.StateIDs[next-1], nil
	}
}

// relationsOfKind lists the catalog's relations of one kind in id
// (creation) order.
func (e *Engine) relationsOfKind(kind catalog.Kind) []*catalog.Relation {
	var out []*catalog.Relation
	for _, r := range e.cat.List() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// loadViews rebuilds the dataflow of every materialized view at startup,
// in id order so that views on views find their inputs registered.
func (e *Engine) loadViews() error {
	for _, r := range e.relationsOfKind(catalog.KindMaterializedView) {
		stmts, err := sql.Parse(r.SQL)
		if err != nil {
			return err
		}
		q, ok := stmts[0].(*sql.Query)
		if !ok {
			return types.Errorf(types.CodeInternal, "materialized view %q has an invalid definition", r.Name)
		}
		alloc := recordedStateIDs("materialized view", r)
		_, g, _, err := e.compileView(q, r.ID, alloc, r.EmitOnWindowClose)
		if err != nil {
			return err
		}
		flow, err := e.newFlow(q, r.ID, g, r.EmitOnWindowClose, nil)
		if err != nil {
			return err
		}
		e.views.add(&viewRuntime{rel: r, g: g, flow: flow})
	}
	return nil
}

// explainStream shows the dataflow CREATE MATERIALIZED VIEW would build,
// without creating anything (state table numbers are placeholders).
func (s *session) explainStream(x *sql.CreateView) (*utilStmt, error) {
	next := uint32(0)
	alloc := func() (uint32, error) { next++; return next, nil }
	_, g, _, err := s.e.compileView(x.Query, 0, alloc, x.EmitOnWindowClose)
	if err != nil {
		return nil, err
	}
	text := planner.ExplainStream(g)
	return &utilStmt{tag: "EXPLAIN", cols: textCols("QUERY PLAN"), rows: func(context.Context) ([][]types.Datum, error) {
		var out [][]types.Datum
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			out = append(out, []types.Datum{types.NewString(l)})
		}
		return out, nil
	}}, nil
}

// finishInitial emits the empty-input rows of the view's global
// aggregations whose input stayed empty (see viewFlow.finishInitial).
func (e *Engine) finishInitial(rt *viewRuntime, w *tables.Writer) error {
	sctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background()}, State: e.opState(w.Batch())}
	return rt.flow.finishInitial(sctx, rt.g, discardOutput)
}
