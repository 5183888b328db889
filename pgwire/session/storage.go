package session

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/state"
)

// readView is a consistent snapshot of every table for one statement; it
// implements planner.Storage.
type readView struct {
	e    *Engine
	snap *state.Snapshot
}

func (e *Engine) newReadView() *readView {
	return &readView{e: e, snap: e.store.NewSnapshot()}
}

func (v *readView) Close() {
	if v.snap != nil {
		v.snap.Close()
		v.snap = nil
	}
}

func (v *readView) Scan(rel *catalog.Relation, path *planner.AccessPath) (exec.Operator, error) {
	if rel.Kind == catalog.KindMaterializedView {
		return stream.NewMaterializedScan(v.snap, rel.ID, rel.Types()), nil
	}
	d := v.e.tableDesc(rel)
	var tp *tables.Path
	if path != nil {
		tp = &tables.Path{PKPoints: path.PKPoints, IndexEq: path.IndexEq, Empty: path.Empty}
		if path.Lo != nil {
			tp.Lo = &tables.Bound{Val: path.Lo.Val, Inclusive: path.Lo.Inclusive}
		}
		if path.Hi != nil {
			tp.Hi = &tables.Bound{Val: path.Hi.Val, Inclusive: path.Hi.Inclusive}
		}
		if path.Index != nil {
			for i := range d.Indexes {
				if d.Indexes[i].ID == path.Index.ID {
					tp.Index = &d.Indexes[i]
				}
			}
		}
	}
	return tables.NewScan(v.snap, d, tp), nil
}

func (v *readView) RowCount(rel *catalog.Relation) int64 { return v.e.rowEstimateRel(rel) }

// tableDesc is the physical description of a catalog table.
func (e *Engine) tableDesc(rel *catalog.Relation) *tables.Desc {
	d := &tables.Desc{ID: rel.ID, Name: rel.Name, PK: rel.PK, Types: rel.Types()}
	for _, c := range rel.Columns {
		d.ColNames = append(d.ColNames, c.Name)
	}
	for _, ix := range rel.Indexes {
		d.Indexes = append(d.Indexes, tables.IndexDesc{ID: ix.ID, Name: ix.Name, Cols: ix.Columns, Desc: ix.Desc, Unique: ix.Unique})
	}
	return d
}

func (e *Engine) backfillIndex(rel *catalog.Relation, ix *catalog.Index) error {
	return e.tables.BackfillIndex(e.tableDesc(rel), tables.IndexDesc{ID: ix.ID, Name: ix.Name, Cols: ix.Columns, Desc: ix.Desc, Unique: ix.Unique})
}

// rowEstimate feeds the optimizer's join ordering.
func (e *Engine) rowEstimate(s *planner.Scan) int64 { return e.rowEstimateRel(s.Rel) }

func (e *Engine) rowEstimateRel(rel *catalog.Relation) int64 {
	if rel.Kind != catalog.KindTable {
		return 1000
	}
	if v, ok := e.rowCount.Load(rel.ID); ok {
		return v.(*atomic.Int64).Load()
	}
	n, err := e.tables.CountRows(e.tableDesc(rel))
	if err != nil {
		return 1000
	}
	c := new(atomic.Int64)
	c.Store(n)
	actual, _ := e.rowCount.LoadOrStore(rel.ID, c)
	return actual.(*atomic.Int64).Load()
}

func (e *Engine) addRows(rel *catalog.Relation, delta int64) {
	if v, ok := e.rowCount.Load(rel.ID); ok {
		v.(*atomic.Int64).Add(delta)
	}
}

// rowIDs hands out _row_id values for tables without a primary key. Ids
// are reserved in durable blocks so that a restart never reuses one.
type rowIDs struct {
	mu    sync.Mutex
	next  map[uint32]int64
	limit map[uint32]int64
}

const rowIDBlock = 4096

func (e *Engine) nextRowID(rel *catalog.Relation) (int64, error) {
	r := &e.rowIDs
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next == nil {
		r.next, r.limit = map[uint32]int64{}, map[uint32]int64{}
	}
	if r.next[rel.ID] >= r.limit[rel.ID] {
		key := state.SystemKey(fmt.Sprintf("rowid/%d", rel.ID))
		start := int64(1)
		if v, closer, found, err := e.store.Get(key); err != nil {
			return 0, err
		} else if found {
			start = int64(binary.BigEndian.Uint64(v))
			closer.Close()
		}
		limit := start + rowIDBlock
		b := e.store.NewBatch()
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(limit))
		if err := b.Set(key, buf[:]); err != nil {
			b.Close()
			return 0, err
		}
		if err := b.Commit(true); err != nil {
			b.Close()
			return 0, err
		}
		b.Close()
		r.next[rel.ID], r.limit[rel.ID] = start, limit
	}
	id := r.next[rel.ID]
	r.next[rel.ID]++
	return id, nil
}

// writerFor returns the batch writer for a statement changing rel: the
// cheaper write-only batch when nothing in the statement needs to read the
// statement's own writes back (no dependent views, no unique secondary
// index to check).
func (e *Engine) writerFor(rel *catalog.Relation) *tables.Writer {
	if e.hasReaders(rel.ID) {
		return e.tables.NewWriter()
	}
	for _, ix := range rel.Indexes {
		if ix.Unique {
			return e.tables.NewWriter()
		}
	}
	return e.tables.NewBulkWriter()
}
