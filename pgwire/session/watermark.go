package session

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Watermarks start at relations declared WATERMARK FOR col AS expr: after
// every change to such a relation (a source's chunk or a DML statement) the
// relation's watermark becomes the largest value of expr seen so far, and
// is pushed through the dataflows reading it. There it drops late rows,
// closes windows (EMIT ON WINDOW CLOSE) and lets operators delete state
// that no later row can reach. A relation's watermark is stored with the
// change that moved it; on restart it is pushed again through every
// view (operators keep theirs in memory), and a new view gets the current
// watermarks of its inputs once it is backfilled.

type watermarks struct {
	mu    sync.Mutex
	exprs map[uint32]exec.Expr   // bound WATERMARK expressions
	val   map[uint32]types.Datum // current watermark per relation
}

// watermarkExpr binds rel's WATERMARK expression (once).
func (e *Engine) watermarkExpr(rel *catalog.Relation) (exec.Expr, error) {
	e.wms.mu.Lock()
	defer e.wms.mu.Unlock()
	if x, ok := e.wms.exprs[rel.ID]; ok {
		return x, nil
	}
	ast, err := sql.ParseExpr(rel.Watermark.Expr)
	if err != nil {
		return nil, err
	}
	cols := make([]planner.Column, len(rel.Columns))
	for i, c := range rel.Columns {
		cols[i] = planner.Column{Name: c.Name, Table: rel.Name, Type: c.Type}
	}
	b := &planner.Binder{Cat: e.cat, Phys: &planner.PhysBuilder{}}
	x, err := b.BindExpr(ast, cols)
	if err != nil {
		return nil, err
	}
	col := rel.Columns[rel.ColumnIndex(rel.Watermark.Column)]
	if x.Type().Family != col.Type.Family {
		return nil, types.Errorf(types.CodeDatatypeMismatch, "watermark expression has type %s, but column %q is %s", x.Type(), col.Name, col.Type)
	}
	if e.wms.exprs == nil {
		e.wms.exprs, e.wms.val = map[uint32]exec.Expr{}, map[uint32]types.Datum{}
	}
	e.wms.exprs[rel.ID] = x
	return x, nil
}

// advanceWatermark moves relID's watermark past the rows inserted by delta
// and pushes it through the views reading relID.
func (e *Engine) advanceWatermark(ctx *stream.Ctx, relID uint32, delta *exec.Chunk) error {
	rel := e.cat.GetByID(relID)
	if rel == nil || rel.Watermark == nil || (len(e.views.readers[relID]) == 0 && !e.hasSinkReaders(relID)) {
		return nil
	}
	x, err := e.watermarkExpr(rel)
	if err != nil {
		return err
	}
	v, err := x.Eval(ctx.EC, delta)
	if err != nil {
		return err
	}
	t := x.Type()
	e.wms.mu.Lock()
	cur, have := e.wms.val[relID]
	best, moved := cur, false
	for i := 0; i < delta.Len(); i++ {
		r := delta.Row(i)
		if delta.Ops != nil && (delta.Ops[r] == exec.OpDelete || delta.Ops[r] == exec.OpUpdateDelete) {
			continue
		}
		d := v.Get(r)
		if d.Null {
			continue
		}
		if (!have && !moved) || types.Compare(t, d, best) > 0 {
			best, moved = d.Copy(), true
		}
	}
	if moved {
		e.wms.val[relID] = best
	}
	e.wms.mu.Unlock()
	if !moved {
		return nil
	}
	col := rel.ColumnIndex(rel.Watermark.Column)
	enc := state.AppendRow(nil, []types.T{rel.Columns[col].Type}, []types.Datum{best})
	if err := ctx.State.Set(watermarkKey(relID), enc); err != nil {
		return err
	}
	return e.pushWatermark(ctx, relID, stream.Watermark{Col: col, Val: best})
}

// watermarkKey is the system key holding relID's watermark.
func watermarkKey(relID uint32) []byte {
	return state.SystemKey(fmt.Sprintf("watermark/%d", relID))
}

// restoreWatermarks loads the stored watermarks and pushes them through
// every view, so that operators drop late rows and keep cleaning state
// after a restart as before it. Called at startup, after loadViews.
func (e *Engine) restoreWatermarks() error {
	e.wms.mu.Lock()
	for _, rel := range e.cat.List() {
		if rel.Watermark == nil {
			continue
		}
		v, found, err := state.GetValue(e.store, watermarkKey(rel.ID))
		if err != nil {
			e.wms.mu.Unlock()
			return err
		}
		if !found {
			continue
		}
		col := rel.ColumnIndex(rel.Watermark.Column)
		row, err := state.DecodeRow(v, []types.T{rel.Columns[col].Type}, nil)
		if err != nil || len(row) != 1 {
			e.wms.mu.Unlock()
			return fmt.Errorf("watermark of %q: corrupt value", rel.Name)
		}
		if e.wms.val == nil {
			e.wms.val = map[uint32]types.Datum{}
		}
		e.wms.val[rel.ID] = row[0].Copy()
	}
	e.wms.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(e.views.byID)) {
		if err := e.pushWatermarksInto(e.views.byID[id]); err != nil {
			return err
		}
	}
	return nil
}

// pushWatermarksInto sends the current watermark of each of rt's inputs
// into rt's dataflow, in a batch of its own. Called with writeMu held (or
// before the engine serves).
func (e *Engine) pushWatermarksInto(rt *viewRuntime) error {
	w := e.tables.NewWriter()
	defer w.Close()
	ctx := &stream.Ctx{EC: &exec.EvalCtx{Ctx: context.Background(), Now: e.now()}, State: e.opState(w.Batch())}
	o := e.viewOutputs(rt)
	var outs []*exec.Chunk
	pushed, err := e.pushCurrentWatermarks(rt.g, func(l planner.StreamLeaf, wm stream.Watermark) error {
		err := rt.flow.watermark(ctx, l, wm, o.add)
		outs = append(outs, o.take()...)
		return err
	})
	if err != nil || !pushed {
		return err
	}
	for _, out := range outs {
		if err := e.propagate(ctx, rt.rel.ID, out); err != nil {
			return err
		}
	}
	return w.Commit()
}

// pushCurrentWatermarks sends the current watermark of each of g's
// inputs into g through deliver, and reports whether any watermark was
// pushed.
func (e *Engine) pushCurrentWatermarks(g *planner.StreamGraph, deliver func(planner.StreamLeaf, stream.Watermark) error) (bool, error) {
	pushed := false
	for _, l := range g.Leaves {
		if l.WatermarkCol < 0 {
			continue
		}
		rel := e.cat.GetByID(l.RelID)
		if rel == nil || rel.Watermark == nil {
			continue
		}
		e.wms.mu.Lock()
		val, ok := e.wms.val[l.RelID]
		e.wms.mu.Unlock()
		if !ok {
			continue
		}
		wm := stream.Watermark{Col: rel.ColumnIndex(rel.Watermark.Column), Val: val}
		if err := deliver(l, wm); err != nil {
			return pushed, err
		}
		pushed = true
	}
	return pushed, nil
}

// pushWatermark sends w into every leaf of relID in the dependent views;
// rows that closing windows emit flow on like any change.
func (e *Engine) pushWatermark(ctx *stream.Ctx, relID uint32, w stream.Watermark) error {
	if err := e.sinkWatermark(ctx, relID, w); err != nil {
		return err
	}
	for _, vid := range e.views.readers[relID] {
		rt := e.views.byID[vid]
		o := e.viewOutputs(rt)
		var outs []*exec.Chunk
		for _, l := range rt.g.Leaves {
			if l.RelID != relID || l.WatermarkCol < 0 {
				continue
			}
			if err := rt.flow.watermark(ctx, l, w, o.add); err != nil {
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

// checkWatermark validates WATERMARK FOR col AS expr against rel's columns:
// the column must exist and the expression must have its type.
func (e *Engine) checkWatermark(rel *catalog.Relation, w *sql.WatermarkDef) (*catalog.Watermark, error) {
	c := rel.ColumnIndex(w.Column)
	if c < 0 || rel.Columns[c].Hidden {
		return nil, types.Errorf(types.CodeUndefinedColumn, "column %q named in WATERMARK does not exist", w.Column)
	}
	switch rel.Columns[c].Type.Family {
	case types.Timestamp, types.Timestamptz, types.Date, types.Int16, types.Int32, types.Int64:
	default:
		return nil, types.Errorf(types.CodeDatatypeMismatch, "WATERMARK column %q must be a timestamp, date or integer, not %s", w.Column, rel.Columns[c].Type)
	}
	cols := make([]planner.Column, len(rel.Columns))
	for i, col := range rel.Columns {
		cols[i] = planner.Column{Name: col.Name, Table: rel.Name, Type: col.Type}
	}
	b := &planner.Binder{Cat: e.cat, Phys: &planner.PhysBuilder{}}
	x, err := b.BindExpr(w.Expr, cols)
	if err != nil {
		return nil, err
	}
	if x.Type().Family != rel.Columns[c].Type.Family {
		return nil, types.Errorf(types.CodeDatatypeMismatch, "watermark expression for column %q must have type %s, not %s", w.Column, rel.Columns[c].Type, x.Type())
	}
	return &catalog.Watermark{Column: w.Column, Expr: w.Text}, nil
}

// stateRows lists, for SHOW STATE, every materialized view's state tables
// with their live key counts and approximate on-disk size: the way to see
// that watermarks keep state bounded.
func (e *Engine) stateRows() ([][]types.Datum, error) {
	view := e.newReadView()
	defer view.Close()
	var out [][]types.Datum
	for _, r := range e.cat.List() {
		if r.Kind != catalog.KindMaterializedView {
			continue
		}
		ids := append([]uint32{r.ID}, r.StateIDs...)
		for i, id := range ids {
			what := "operator"
			if i == 0 {
				what = "view rows"
			}
			p := state.TablePrefix(id)
			it, err := view.snap.NewIter(p, state.PrefixEnd(p))
			if err != nil {
				return nil, err
			}
			var keys int64
			for it.First(); it.Valid(); it.Next() {
				keys++
			}
			err = it.Error()
			it.Close()
			if err != nil {
				return nil, err
			}
			size, _ := e.store.ApproximateSize(id)
			out = append(out, []types.Datum{types.NewString(r.Name), types.NewString(what), types.NewInt(int64(id)), types.NewInt(keys), types.NewInt(int64(size))})
		}
	}
	return out, nil
}

// ---- late rows to the dead-letter table ----
//
// A view's LateFilter drops the rows of a relation that arrive behind the
// relation's watermark (and counts them). Each dropped row is also written
// to the dead_letters table with reason 'late', source = the relation,
// payload = the row as a JSON object, in the same batch as the change that
// carried it. Several views (or one view reading the relation twice) each
// have a filter; they all see the same chunk and watermarks that only
// advance, so the filter with the highest watermark drops a superset of
// the others' rows: per chunk, its set is the one recorded, so that a row
// is dead-lettered once however many views dropped it.

// lateRow is a dropped row waiting for the batch's commit.
type lateRow struct {
	source  string
	payload []byte
}

// lateCollector gathers the rows the late filters on one relation drop
// while one chunk of it is pushed into the views.
type lateCollector struct {
	mu   sync.Mutex
	e    *Engine
	rel  *catalog.Relation
	enc  format.Encoder
	cur  [][]byte
	best [][]byte
	row  *exec.Chunk
}

// newLateCollector returns a collector for relation relID, or nil when it
// has no watermark (then no filter can drop anything).
func (e *Engine) newLateCollector(relID uint32) *lateCollector {
	rel := e.cat.GetByID(relID)
	if rel == nil || rel.Watermark == nil || rel.Name == deadLetterTable {
		return nil
	}
	return &lateCollector{e: e, rel: rel}
}

// watch makes the late filters of leaf l of rt (one per actor) report to
// lc.
func (lc *lateCollector) watch(rt *viewRuntime, l planner.StreamLeaf) []*stream.LateFilter {
	if lc == nil || l.WatermarkCol < 0 {
		return nil
	}
	var lfs []*stream.LateFilter
	for _, op := range rt.flow.copies(l.Node) {
		if lf, ok := op.(*stream.LateFilter); ok {
			lfs = append(lfs, lf)
		}
	}
	if len(lfs) == 0 {
		return nil
	}
	lc.cur = lc.cur[:0]
	// The actors drop rows concurrently.
	add := func(row []types.Datum) {
		lc.mu.Lock()
		lc.add(row)
		lc.mu.Unlock()
	}
	for _, lf := range lfs {
		lf.SetLateHandler(add)
	}
	return lfs
}

// add renders a dropped row (every column of the relation) as JSON.
func (lc *lateCollector) add(row []types.Datum) {
	rel := lc.rel
	if len(row) != len(rel.Columns) {
		lc.cur = append(lc.cur, []byte(fmt.Sprint(row)))
		return
	}
	if lc.enc == nil {
		var names []string
		var ts []types.T
		for _, c := range rel.Columns {
			if !c.Hidden {
				names = append(names, c.Name)
				ts = append(ts, c.Type)
			}
		}
		lc.enc = format.NewJSONEncoder(names, ts)
		lc.row = exec.NewChunk(ts)
	}
	lc.row.Reset()
	var vals []types.Datum
	for i, c := range rel.Columns {
		if !c.Hidden {
			vals = append(vals, row[i])
		}
	}
	lc.row.AppendDatums(vals)
	b, err := lc.enc.Encode(lc.row, 0, exec.OpInsert)
	if err != nil {
		b = []byte(fmt.Sprint(vals))
	}
	lc.cur = append(lc.cur, b)
}

// done detaches lfs and keeps the largest set seen so far.
func (lc *lateCollector) done(lfs []*stream.LateFilter) {
	if len(lfs) == 0 {
		return
	}
	for _, lf := range lfs {
		lf.SetLateHandler(nil)
	}
	if len(lc.cur) > len(lc.best) {
		lc.best = append(lc.best[:0], lc.cur...)
	}
}

// finish queues the chunk's late rows for the batch's dead letters.
func (lc *lateCollector) finish() {
	if lc == nil {
		return
	}
	for _, p := range lc.best {
		lc.e.late = append(lc.e.late, lateRow{source: lc.rel.Name, payload: p})
	}
}

// flushLate writes the late rows queued since the batch began into the
// dead-letter table in w's batch. It returns a function to call after the
// batch committed. Called with writeMu held.
func (e *Engine) flushLate(w *tables.Writer, sctx *stream.Ctx) (func(), error) {
	late := e.late
	e.late = nil
	if len(late) == 0 {
		return func() {}, nil
	}
	var afters []func()
	for i := 0; i < len(late); {
		j := i
		var dead []deadLetter
		for ; j < len(late) && late[j].source == late[i].source; j++ {
			dead = append(dead, deadLetter{offset: -1, reason: "late", payload: late[j].payload})
		}
		after, err := e.insertDeadLetters(w, sctx, late[i].source, "late rows behind the watermark", dead)
		if err != nil {
			return nil, err
		}
		afters = append(afters, after)
		i = j
	}
	return func() {
		for _, f := range afters {
			f()
		}
	}, nil
}
