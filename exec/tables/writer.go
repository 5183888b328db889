package tables

import (
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Writer applies one statement's changes in a batch that reads its own
// writes, checking primary-key and unique constraints against the committed
// state plus the batch. Nothing is visible until Commit.
type Writer struct {
	st  *state.Store
	b   *state.Batch
	key []byte
	val []byte
	// In bulk mode the batch is write-only (appending to it is much cheaper
	// than keeping it indexed): primary-key checks consult the statement's
	// own writes through these sets and the committed state through snap.
	bulk    bool
	snap    *state.Snapshot
	written map[string]bool // key -> true if the statement wrote it, false if it deleted it
}

// NewWriter starts a statement's batch.
func (s *Store) NewWriter() *Writer { return &Writer{st: s.st, b: s.st.NewBatch()} }

// NewBulkWriter starts a statement's batch for a table without unique
// secondary indexes whose changes nothing else reads within the statement
// (no dependent views): the batch need not read its own writes.
func (s *Store) NewBulkWriter() *Writer {
	return &Writer{st: s.st, b: s.st.NewWriteBatch(), bulk: true, snap: s.st.NewSnapshot(), written: map[string]bool{}}
}

// Batch is the statement's batch, for writing view state atomically with
// the table changes.
func (w *Writer) Batch() *state.Batch { return w.b }

// Close discards an uncommitted batch.
func (w *Writer) Close() {
	if w.b != nil {
		w.b.Close()
		w.b = nil
	}
	if w.snap != nil {
		w.snap.Close()
		w.snap = nil
	}
}

// Commit makes the changes durable (synced) and visible.
func (w *Writer) Commit() error {
	err := w.b.Commit(true)
	w.b.Close()
	w.b = nil
	return err
}

// CommitNoSyncWait commits visibly at once and returns the wait for
// durability (see state.Batch.CommitNoSyncWait).
func (w *Writer) CommitNoSyncWait() (func() error, error) {
	wait, err := w.b.CommitNoSyncWait()
	w.b.Close()
	w.b = nil
	return wait, err
}

// Insert adds row (every column of the table) and its index entries.
func (w *Writer) Insert(d *Desc, row []types.Datum) error {
	w.key = rowKey(w.key[:0], d, pick(row, d.PK))
	if w.bulk {
		for i := range d.Indexes {
			if d.Indexes[i].Unique {
				return types.Errorf(types.CodeInternal, "bulk writer used on table %q with a unique index", d.Name)
			}
		}
	}
	found, err := w.exists(w.key)
	if err != nil {
		return err
	}
	if found {
		return uniqueViolation(d.Name+"_pkey", keyText(d, d.PK, row))
	}
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if ix.Unique {
			if err := w.checkUnique(d, ix, row); err != nil {
				return err
			}
		}
	}
	w.val = state.AppendRow(w.val[:0], d.Types, row)
	if err := w.b.Set(w.key, w.val); err != nil {
		return err
	}
	if w.bulk {
		w.written[string(w.key)] = true
	}
	for i := range d.Indexes {
		w.key = indexKey(w.key[:0], d, &d.Indexes[i], row)
		if err := w.b.Set(w.key, nil); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes row (as read from the table) and its index entries.
func (w *Writer) Delete(d *Desc, row []types.Datum) error {
	w.key = rowKey(w.key[:0], d, pick(row, d.PK))
	if err := w.b.Delete(w.key); err != nil {
		return err
	}
	if w.bulk {
		w.written[string(w.key)] = false
	}
	for i := range d.Indexes {
		w.key = indexKey(w.key[:0], d, &d.Indexes[i], row)
		if err := w.b.Delete(w.key); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) exists(key []byte) (bool, error) {
	if w.bulk {
		if live, ok := w.written[string(key)]; ok {
			return live, nil
		}
		_, closer, found, err := w.snap.Get(key)
		if closer != nil {
			closer.Close()
		}
		return found, err
	}
	v, closer, found, err := w.b.Get(key)
	_ = v
	if closer != nil {
		closer.Close()
	}
	return found, err
}

// checkUnique fails when another row has the same values in ix's columns.
// As in PostgreSQL, rows with a NULL in the key never conflict.
func (w *Writer) checkUnique(d *Desc, ix *IndexDesc, row []types.Datum) error {
	vals := pick(row, ix.Cols)
	for _, v := range vals {
		if v.Null {
			return nil
		}
	}
	prefix := indexPrefix(nil, d, ix, indexVNode(d, ix, vals), vals)
	it, err := w.b.NewIter(prefix, state.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	defer it.Close()
	it.First()
	if it.Valid() {
		return uniqueViolation(ix.Name, keyText(d, ix.Cols, row))
	}
	return it.Error()
}

// BackfillIndex writes ix's entries for every existing row of the table,
// failing on a unique violation.
func (s *Store) BackfillIndex(d *Desc, ix IndexDesc) error {
	w := s.NewWriter()
	defer w.Close()
	snap := s.st.NewSnapshot()
	defer snap.Close()
	p := state.TablePrefix(d.ID)
	it, err := snap.NewIter(p, state.PrefixEnd(p))
	if err != nil {
		return err
	}
	defer it.Close()
	row := make([]types.Datum, len(d.Types))
	for it.First(); it.Valid(); it.Next() {
		row, err = state.DecodeRow(it.Value(), d.Types, row)
		if err != nil {
			return err
		}
		if ix.Unique {
			if err := w.checkUnique(d, &ix, row); err != nil {
				e := err.(*types.Error)
				e.Message = "could not create unique index " + quote(ix.Name)
				return e
			}
		}
		w.key = indexKey(w.key[:0], d, &ix, row)
		if err := w.b.Set(w.key, nil); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return w.Commit()
}

func quote(s string) string { return "\"" + s + "\"" }
