package stream

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Partitioning: how the state of an operator is split among the actors of
// a parallel dataflow (see Dataflow).
//
// An operator that keeps state per key implements KeyedInput: the rows of
// each input port that share the key columns' values must all be handled
// by the one actor owning the key's vnode, VNodeOf(HashDatums(key types,
// key)) — the vnode its state keys start with. Every other operator is
// stateless for partitioning purposes: it runs in whichever actor the rows
// reach. An operator that scans its whole state table (cleanup by
// watermark) implements VNodeRanged, so that each actor's copy scans only
// the vnodes it owns.

// KeyedInput is implemented by operators whose state is partitioned by a
// key of each input.
type KeyedInput interface {
	// InputKey returns the key columns of input port and their types, as
	// the operator hashes them for its state's vnodes.
	InputKey(port int) (cols []int, ts []types.T)
}

// VNodeRanged is implemented by operators that scan their state table:
// once SetVNodeRange is called they keep to vnodes [lo, hi).
type VNodeRanged interface {
	SetVNodeRange(lo, hi int)
}

// vnodeRange is the part of a state table an operator's copy owns; the
// zero value is the whole table.
type vnodeRange struct {
	lo, hi int
	set    bool
}

// SetVNodeRange implements VNodeRanged.
func (r *vnodeRange) SetVNodeRange(lo, hi int) { *r = vnodeRange{lo: lo, hi: hi, set: true} }

// bounds returns the key range of table id that the copy owns.
func (r *vnodeRange) bounds(id uint32) (lower, upper []byte) {
	if !r.set {
		lower = state.TablePrefix(id)
		return lower, state.PrefixEnd(lower)
	}
	lower = state.VNodePrefix(id, uint16(r.lo))
	if r.hi >= state.VNodeCount {
		return lower, state.PrefixEnd(state.TablePrefix(id))
	}
	return lower, state.VNodePrefix(id, uint16(r.hi))
}

// InputKey implements KeyedInput: the group columns.
func (h *HashAgg) InputKey(int) ([]int, []types.T) { return h.groupCols, h.gts }

// InputKey implements KeyedInput: the join key of the side.
func (h *HashJoin) InputKey(port int) ([]int, []types.T) { return h.keys[port], h.kts[port] }

// InputKey implements KeyedInput: the whole row.
func (d *Distinct) InputKey(int) ([]int, []types.T) { return allCols(len(d.ts)), d.ts }

// InputKey implements KeyedInput: the whole row, on both sides.
func (s *SetOp) InputKey(int) ([]int, []types.T) { return allCols(len(s.ts)), s.ts }

// InputKey implements KeyedInput: the partition columns.
func (t *TopN) InputKey(int) ([]int, []types.T) { return t.groupCols, t.gts }

// InputKey implements KeyedInput: the whole row, which a view that
// retracts counts. An append-only view only writes, each copy under its
// own sequence numbers (SetSequenceShard), so it needs no exchange and
// does not implement the key: see Dataflow.
func (m *Materialize) InputKey(int) ([]int, []types.T) { return allCols(len(m.ts)), m.ts }

func allCols(n int) []int {
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// parallelSafe reports whether op may run as several copies, one per actor,
// each given the rows of its vnodes (or, if stateless, any rows). The
// operators left out keep state that is not partitioned by a key of their
// input (a session's per-partition scans, a temporal filter's ticks, a
// lookup join's reads of the statement's own batch, OverWindow's
// partitions): dataflows with them run as a single actor.
func parallelSafe(op Operator) bool {
	switch op.(type) {
	case *Filter, *Project, *UnionAll, *Hop, *LateFilter, *HashAgg, *HashJoin, *Distinct, *TopN, *Materialize, *SetOp, *Pass:
		return true
	}
	return false
}

// Partitionable reports whether a dataflow of these nodes can run as
// several actors (see parallelSafe).
func Partitionable(nodes []FlowNode) bool {
	for _, n := range nodes {
		if !parallelSafe(n.Op) {
			return false
		}
	}
	return true
}

// outputPartitioning returns the output columns of node i on whose values
// the dataflow already partitions the node's rows among actors (rows equal
// on them are always in the same actor), or ok false when it does not.
// in holds the partitioning of each input port's rows as they reach the
// node (after any exchange).
func outputPartitioning(op Operator, in [][]int, inOK []bool) (cols []int, ok bool) {
	port0 := func() ([]int, bool) {
		if len(in) == 0 {
			return nil, false
		}
		return in[0], inOK[0]
	}
	switch x := op.(type) {
	case *Filter, *LateFilter, *Pass, *Hop:
		// Input columns keep their positions (a hop appends the window).
		return port0()
	case *Project:
		p, ok := port0()
		if !ok {
			return nil, false
		}
		for _, c := range p {
			found := false
			for j, e := range x.exprs {
				if cr, isRef := e.(*exec.ColRef); isRef && cr.Idx == c {
					cols, found = append(cols, j), true
					break
				}
			}
			if !found {
				return nil, false
			}
		}
		return cols, true
	case *HashAgg:
		// Group columns come first in the output.
		return allCols(len(x.groupCols)), true
	case *TopN:
		return x.groupCols, true
	case *Distinct, *SetOp:
		return allCols(len(op.Types())), true
	case *Materialize:
		if x.AppendOnly() {
			return port0()
		}
		return allCols(len(x.ts)), true
	case *HashJoin:
		switch x.kind {
		case Inner, Left, Semi, Anti:
			return x.keys[0], true
		case Right:
			cols = make([]int, len(x.keys[1]))
			for i, k := range x.keys[1] {
				cols[i] = len(x.ts[0]) + k
			}
			return cols, true
		}
	}
	return nil, false
}
