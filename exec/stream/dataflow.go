package stream

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Dataflow runs a materialized view's operators as P actors, one goroutine
// each, so that one view's maintenance uses every core.
//
// Each actor drives its own copy of the operator tree (compiled from the
// same plan, so every copy has the same state tables) and owns an equal
// range of the 256 vnodes. An edge into an operator that keeps state by
// key (KeyedInput) is a hash exchange: each output row goes to the actor
// owning the vnode of the receiving operator's key for that row, so each
// key's state is only ever read and written by one actor. Any other edge
// is local: the rows stay in the actor that produced them. Operators that
// scan their state (VNodeRanged) scan only their actor's vnodes.
//
// Epochs. The engine pushes a statement's (or a source commit's) changes
// with Push, which returns once every actor has drained everything the
// changes caused: that is the epoch's barrier, after which no message of
// the epoch is in flight. Each actor writes its state into its own child
// of the statement's batch (state.Batch.NewChild); the children commit
// atomically with the statement's batch, so the tables, every view's
// state and the source offsets of one epoch become visible and durable
// together, and a failed statement discards them all.
//
// Order. Messages between two actors are delivered in the order sent
// (one FIFO inbox per actor), and a row's insert and its later delete are
// always produced by the same actor (changes entering the dataflow are
// split by a hash of the whole row, and each operator's output for a key
// comes from the one actor owning the key), so no operator ever sees a
// delete before the insert it cancels.
//
// Watermarks are broadcast to every actor. At an exchange edge each
// receiving actor holds, per column, the latest watermark of every sending
// actor and passes on their minimum when it advances: a watermark reaches
// an operator only after every row sent before it, from every actor
// (watermark alignment).
//
// With P = 1, or when the view has an operator whose state is not
// partitioned by key (see parallelSafe), the dataflow runs inline on the
// caller's goroutine with the caller's state, exactly as a single actor.
type Dataflow struct {
	copies [][]FlowNode
	p      int
	routes [][]route // per node, per input port
	// inTypes are the types of each node's input ports (for watermark
	// alignment).
	inTypes [][][]types.T
	wrap    func(actor int, b *state.Batch) State

	// The epoch being run: the statement's batch, and per actor its
	// context over the child batch.
	epoch *state.Batch
	ctxs  []*Ctx

	// par is set while a parallel Push runs (else every edge is local).
	par      bool
	actors   []*actor
	wg       sync.WaitGroup
	failed   atomic.Bool
	errMu    sync.Mutex
	err      error
	sinkMu   sync.Mutex
	sink     func(*exec.Chunk) error
	align    []map[alignKey]*alignState // per actor
	stopOnce sync.Once
}

// FlowNode is one operator of one copy of a dataflow: its output feeds
// input port Port of node Parent (an index into the copy), or leaves the
// dataflow if Parent is -1.
type FlowNode struct {
	Op     Operator
	Parent int
	Port   int
}

// FlowInput is a delta or a watermark entering a dataflow at input port
// Port of node Node. From is the actor the rows come from (the copy whose
// operator produced them), or -1 for changes from outside, which are
// split among the actors by a hash of the row. A watermark from outside is
// delivered to every actor.
type FlowInput struct {
	Node, Port int
	From       int
	Chunk      *exec.Chunk
	Watermark  *Watermark
}

type route struct {
	exchange bool
	cols     []int
	ts       []types.T
}

// NewDataflow returns the dataflow of the given copies of one operator
// tree (all alike; one per actor). wrap turns actor a's child batch into
// its State (the engine's state cache: a partition of it per actor). If
// the tree has an operator that cannot be partitioned, only the first
// copy is used.
func NewDataflow(copies [][]FlowNode, wrap func(a int, b *state.Batch) State) *Dataflow {
	d := &Dataflow{copies: copies, p: len(copies), wrap: wrap}
	if !Partitionable(copies[0]) {
		d.p = 1
	}
	first := copies[0]
	d.routes = make([][]route, len(first))
	d.inTypes = make([][][]types.T, len(first))
	for i, n := range first {
		if n.Parent < 0 {
			continue
		}
		for len(d.routes[n.Parent]) <= n.Port {
			d.routes[n.Parent] = append(d.routes[n.Parent], route{})
			d.inTypes[n.Parent] = append(d.inTypes[n.Parent], nil)
		}
		d.inTypes[n.Parent][n.Port] = outTypes(first, i)
	}
	if d.p > 1 {
		for i, n := range first {
			m, ok := n.Op.(*Materialize)
			if ok && m.AppendOnly() {
				continue
			}
			k, ok := n.Op.(KeyedInput)
			if !ok {
				continue
			}
			for port := range d.routes[i] {
				cols, ts := k.InputKey(port)
				d.routes[i][port] = route{exchange: true, cols: cols, ts: ts}
			}
		}
		d.skipNeedlessExchanges()
		for a, cp := range copies[:d.p] {
			lo, hi := vnodeBounds(a, d.p)
			for _, n := range cp {
				if r, ok := n.Op.(VNodeRanged); ok {
					r.SetVNodeRange(lo, hi)
				}
				if m, ok := n.Op.(*Materialize); ok {
					m.SetSequenceShard(a)
				}
			}
		}
	}
	return d
}

// skipNeedlessExchanges makes local the edge into a view's storage
// (a retracting Materialize, keyed by the whole row) when its input is
// already partitioned by some of the row's columns, say an aggregation's
// group columns kept by the projection after it: equal rows are then
// always in the same actor, so no two actors write one key. The
// Materialize does not scan its state, so its rows need not sit in its
// own actor's vnodes.
func (d *Dataflow) skipNeedlessExchanges() {
	nodes := d.copies[0]
	out := make([][]int, len(nodes))
	outOK := make([]bool, len(nodes))
	// Children come after their parent in the list (root first).
	for i := len(nodes) - 1; i >= 0; i-- {
		nports := len(d.routes[i])
		in, inOK := make([][]int, max(nports, 1)), make([]bool, max(nports, 1))
		if nports == 0 {
			// A leaf: rows from outside are split by the whole row.
			if ts := outTypes(nodes, i); len(ts) > 0 {
				in[0], inOK[0] = allCols(len(ts)), true
			}
		}
		for port := 0; port < nports; port++ {
			if r := d.routes[i][port]; r.exchange {
				in[port], inOK[port] = r.cols, true
				continue
			}
			for j, n := range nodes {
				if n.Parent == i && n.Port == port {
					in[port], inOK[port] = out[j], outOK[j]
				}
			}
		}
		if m, ok := nodes[i].Op.(*Materialize); ok && !m.AppendOnly() && nports == 1 && d.routes[i][0].exchange {
			for j, n := range nodes {
				if n.Parent == i && outOK[j] {
					d.routes[i][0] = route{}
					in[0], inOK[0] = out[j], true
				}
			}
		}
		out[i], outOK[i] = outputPartitioning(nodes[i].Op, in, inOK)
	}
}

// outTypes returns node i's output types: a filter without SetTypes has
// its input's.
func outTypes(nodes []FlowNode, i int) []types.T {
	if ts := nodes[i].Op.Types(); ts != nil {
		return ts
	}
	for j, n := range nodes {
		if n.Parent == i && n.Port == 0 {
			return outTypes(nodes, j)
		}
	}
	return nil
}

// Parallelism returns the number of actors the dataflow runs.
func (d *Dataflow) Parallelism() int { return d.p }

// Copy returns actor a's copy of node i.
func (d *Dataflow) Copy(a, i int) Operator { return d.copies[a][i].Op }

// vnodeBounds returns the vnodes [lo, hi) actor a of p owns.
func vnodeBounds(a, p int) (lo, hi int) {
	return a * state.VNodeCount / p, (a + 1) * state.VNodeCount / p
}

// route returns how rows reach node n's input port (local at the inputs
// of the dataflow).
func (d *Dataflow) route(n, port int) route {
	if port < len(d.routes[n]) {
		return d.routes[n][port]
	}
	return route{}
}

// OwnerOf returns the actor owning vnode v.
func (d *Dataflow) OwnerOf(v uint16) int { return int(v) * d.p / state.VNodeCount }

// KeylessOwner returns the actor owning the state of operators keyed by no
// column (a global aggregation, ORDER BY ... LIMIT without partition):
// every row of theirs goes there.
func (d *Dataflow) KeylessOwner() int { return d.OwnerOf(state.VNodeOf(state.HashDatums(nil, nil))) }

// Push runs inputs through the dataflow, handing the root's output deltas
// to sink (called by one actor at a time; the chunk is valid during the
// call only). ctx's state must be the statement's batch (a *CachedBatch or
// BatchState) for the actors to write children of it; otherwise the
// dataflow runs as one actor. Push returns once every actor is idle.
func (d *Dataflow) Push(ctx *Ctx, inputs []FlowInput, sink func(*exec.Chunk) error) error {
	main := batchOf(ctx.State)
	if d.p == 1 || main == nil {
		return d.pushInline(ctx, inputs, sink)
	}
	if main != d.epoch {
		d.epoch = main
		d.ctxs = make([]*Ctx, d.p)
		for a := range d.ctxs {
			ec := *ctx.EC
			d.ctxs[a] = &Ctx{EC: &ec, State: d.wrap(a, main.NewChild())}
		}
	} else {
		for _, c := range d.ctxs {
			*c.EC = *ctx.EC
		}
	}
	d.startActors()
	d.sink = sink
	d.err = nil
	d.failed.Store(false)
	d.par = true
	defer func() { d.par = false }()
	for _, in := range inputs {
		switch {
		case in.Watermark != nil:
			for a := 0; a < d.p; a++ {
				d.send(a, msg{node: in.Node, port: in.Port, wm: *in.Watermark, isWM: true, from: -1})
			}
		case in.Chunk != nil && in.Chunk.Len() > 0:
			d.scatter(in.From, in.Node, in.Port, in.Chunk, false)
		}
	}
	d.wg.Wait()
	d.sink = nil
	if d.err != nil {
		// The statement fails and its batch, with the children, is
		// discarded; the next push starts a new epoch.
		d.epoch = nil
	}
	return d.err
}

// pushInline runs inputs on copy 0 in the caller's goroutine and state.
func (d *Dataflow) pushInline(ctx *Ctx, inputs []FlowInput, sink func(*exec.Chunk) error) error {
	saved := d.ctxs
	d.ctxs = []*Ctx{ctx}
	d.sink = sink
	defer func() { d.ctxs, d.sink = saved, nil }()
	for _, in := range inputs {
		var err error
		if in.Watermark != nil {
			err = d.watermark(0, in.Node, in.Port, *in.Watermark, -1)
		} else if in.Chunk != nil && in.Chunk.Len() > 0 {
			err = d.push(0, in.Node, in.Port, in.Chunk)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// push hands c to node n's copy in actor a.
func (d *Dataflow) push(a, n, port int, c *exec.Chunk) error {
	return d.copies[a][n].Op.Push(d.ctxs[a], port, c, func(out *exec.Chunk) error {
		return d.forward(a, n, out)
	})
}

// forward sends node n's output in actor a on to its parent.
func (d *Dataflow) forward(a, n int, out *exec.Chunk) error {
	node := d.copies[a][n]
	if node.Parent < 0 {
		d.sinkMu.Lock()
		defer d.sinkMu.Unlock()
		return d.sink(out)
	}
	if d.par && d.route(node.Parent, node.Port).exchange {
		return d.scatter(a, node.Parent, node.Port, out, true)
	}
	return d.push(a, node.Parent, node.Port, out)
}

// scatter sends the rows of c entering node n's port to the actors that
// must process them: by the key's vnode at an exchange, else to actor
// from (or, for rows from outside, by a hash of the row). Rows for the
// sending actor itself are processed at once; the others are copied into
// the receivers' inboxes. From the driver (inActor false) nothing is
// processed in place, and nothing copied.
func (d *Dataflow) scatter(from, n, port int, c *exec.Chunk, inActor bool) error {
	r := d.route(n, port)
	if !r.exchange && from >= 0 {
		if inActor {
			return d.push(from, n, port, c)
		}
		d.send(from, msg{node: n, port: port, c: c})
		return nil
	}
	sels := make([][]int, d.p)
	var key []types.Datum
	ts, cols := r.ts, r.cols
	if !r.exchange {
		ts, cols = c.Types(), allCols(len(c.Cols))
	}
	for i, rows := 0, c.Len(); i < rows; i++ {
		row := c.Row(i)
		key = key[:0]
		for _, k := range cols {
			key = append(key, c.Cols[k].Get(row))
		}
		a := d.OwnerOf(state.VNodeOf(state.HashDatums(ts, key)))
		sels[a] = append(sels[a], row)
	}
	for a, sel := range sels {
		switch {
		case len(sel) == 0 || (inActor && a == from):
		case inActor:
			d.send(a, msg{node: n, port: port, c: copyRows(c, sel)})
		default:
			// The driver's chunk stays valid until Push returns, and
			// operators never write their input: the actors share it.
			d.send(a, msg{node: n, port: port, c: &exec.Chunk{Cols: c.Cols, N: c.N, Sel: sel, Ops: c.Ops}})
		}
	}
	if inActor && len(sels[from]) > 0 {
		mine := &exec.Chunk{Cols: c.Cols, N: c.N, Sel: sels[from], Ops: c.Ops}
		return d.push(from, n, port, mine)
	}
	return nil
}

// copyRows deep-copies rows sel of c (all visible rows if sel is nil),
// with their ops, into a chunk the receiver owns.
func copyRows(c *exec.Chunk, sel []int) *exec.Chunk {
	if sel == nil {
		sel = make([]int, c.Len())
		for i := range sel {
			sel[i] = c.Row(i)
		}
	}
	out := exec.NewChunk(c.Types())
	out.SetLen(len(sel))
	for i, v := range out.Cols {
		src := c.Cols[i]
		for j, r := range sel {
			v.CopyRow(j, src, r)
		}
	}
	out.Ops = make([]exec.Op, len(sel))
	if c.Ops != nil {
		for j, r := range sel {
			out.Ops[j] = c.Ops[r]
		}
	}
	var arena []byte
	for _, v := range out.Cols {
		if v.Typ.Family.Physical() != types.PhysBytes {
			continue
		}
		for i, b := range v.Bytes[:out.N] {
			if b == nil {
				continue
			}
			start := len(arena)
			arena = append(arena, b...)
			v.Bytes[i] = arena[start:len(arena):len(arena)]
		}
	}
	return out
}

// watermark delivers w to node n's port in actor a. from is the sending
// actor at an exchange edge (the watermark is aligned with the other
// senders'), or -1.
func (d *Dataflow) watermark(a, n, port int, w Watermark, from int) error {
	if from >= 0 {
		var ok bool
		if w, ok = d.aligned(a, n, port, from, w); !ok {
			return nil
		}
	}
	node := d.copies[a][n]
	next, err := PushWatermark(d.ctxs[a], node.Op, port, w, func(out *exec.Chunk) error {
		return d.forward(a, n, out)
	})
	if err != nil || node.Parent < 0 {
		return err
	}
	for _, nw := range next {
		if d.par && d.route(node.Parent, node.Port).exchange {
			for b := 0; b < d.p; b++ {
				if b != a {
					d.send(b, msg{node: node.Parent, port: node.Port, wm: nw, isWM: true, from: a})
				}
			}
			err = d.watermark(a, node.Parent, node.Port, nw, a)
		} else {
			err = d.watermark(a, node.Parent, node.Port, nw, -1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type alignKey struct{ node, port, col int }

type alignState struct {
	from []types.Datum // latest watermark per sending actor (Null: none)
	out  types.Datum   // last passed on
}

// aligned records sender from's watermark at actor a's node n port and
// returns the watermark to pass on, if the minimum over all senders
// advanced.
func (d *Dataflow) aligned(a, n, port, from int, w Watermark) (Watermark, bool) {
	if w.Val.Null {
		return w, false
	}
	k := alignKey{n, port, w.Col}
	st := d.align[a][k]
	if st == nil {
		st = &alignState{from: noWatermarks(d.p), out: types.Null}
		d.align[a][k] = st
	}
	t := d.inTypes[n][port][w.Col]
	if advances(t, st.from[from], w.Val) {
		st.from[from] = w.Val.Copy()
	}
	low := types.Null
	for _, v := range st.from {
		if v.Null {
			return w, false
		}
		if low.Null || types.Compare(t, v, low) < 0 {
			low = v
		}
	}
	if !advances(t, st.out, low) {
		return w, false
	}
	st.out = low
	return Watermark{Col: w.Col, Val: low}, true
}

// ---- actors ----

type msg struct {
	node, port int
	c          *exec.Chunk
	wm         Watermark
	isWM       bool
	from       int
}

// actor is one goroutine of the dataflow with its inbox: an unbounded
// FIFO, because actors send to each other (a bounded one could deadlock
// two actors sending to each other at once). Memory stays bounded by one
// push's changes: the driver waits for the actors to drain before the
// next.
type actor struct {
	mu    sync.Mutex
	q     []msg
	wake  chan struct{}
	stop  chan struct{}
	alive bool
}

func (d *Dataflow) startActors() {
	if d.actors != nil {
		return
	}
	d.align = make([]map[alignKey]*alignState, d.p)
	d.actors = make([]*actor, d.p)
	stop := make(chan struct{})
	for a := range d.actors {
		d.align[a] = map[alignKey]*alignState{}
		ac := &actor{wake: make(chan struct{}, 1), stop: stop}
		d.actors[a] = ac
		go d.run(a, ac)
	}
}

// Close stops the actors' goroutines (the dataflow must be idle).
func (d *Dataflow) Close() {
	d.stopOnce.Do(func() {
		if d.actors != nil {
			close(d.actors[0].stop)
		}
	})
}

func (d *Dataflow) send(a int, m msg) {
	d.wg.Add(1)
	ac := d.actors[a]
	ac.mu.Lock()
	ac.q = append(ac.q, m)
	ac.mu.Unlock()
	select {
	case ac.wake <- struct{}{}:
	default:
	}
}

func (d *Dataflow) run(a int, ac *actor) {
	var batch []msg
	for {
		select {
		case <-ac.wake:
		case <-ac.stop:
			return
		}
		for {
			ac.mu.Lock()
			batch, ac.q = ac.q, batch[:0]
			ac.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				d.process(a, &batch[i])
				batch[i] = msg{}
				d.wg.Done()
			}
		}
	}
}

func (d *Dataflow) process(a int, m *msg) {
	if d.failed.Load() {
		return
	}
	var err error
	defer func() {
		// A bug in an operator fails the statement, as it would on the
		// session's goroutine, instead of the whole server.
		if p := recover(); p != nil {
			slog.Default().Error("dataflow actor panicked", "actor", a, "panic", p, "stack", string(debug.Stack()))
			d.fail(types.Errorf(types.CodeInternal, "internal error in a materialized view's actor: %v", p))
		}
	}()
	if m.isWM {
		err = d.watermark(a, m.node, m.port, m.wm, m.from)
	} else {
		err = d.push(a, m.node, m.port, m.c)
	}
	if err != nil {
		d.fail(err)
	}
}

// fail records the push's first error; the actors skip the rest of it.
func (d *Dataflow) fail(err error) {
	d.errMu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.errMu.Unlock()
	d.failed.Store(true)
}
