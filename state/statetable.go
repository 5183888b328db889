package state

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/RaduBerinde/btreemap"
	"github.com/streamsql/streamsql/types"
)

// TableSchema describes a state table: rows of Columns stored under the key
// tableID | vnode | memcomparable(PK columns). The value is the whole row
// (AppendRow over Columns).
type TableSchema struct {
	// ID is the table id (≥ FirstUserTableID for user and operator state).
	ID uint32
	// Columns are the types of a full row.
	Columns []types.T
	// PK lists the row positions forming the primary key, in key order. Rows
	// with equal PK replace each other. An empty PK is allowed only for a
	// table holding a single row (e.g. a global aggregate).
	PK []int
	// PKDesc optionally marks PK columns (by position in PK) as descending.
	PKDesc []bool
	// PKNullsLast optionally puts NULLs of a PK column (by position in PK)
	// after its values (see AppendKeyNulls); by default NULL sorts first
	// ascending and last descending.
	PKNullsLast []bool
	// DistKey lists row positions hashed to pick the vnode; each must also
	// appear in PK. nil means the whole PK. Ignored when Singleton.
	DistKey []int
	// Singleton puts every row in vnode 0 (a table whose operator runs as a
	// single actor).
	Singleton bool
}

type memEntry struct {
	value   []byte // encoded row; nil when deleted
	deleted bool
}

type memTable = btreemap.BTreeMap[string, memEntry]

func newMemTable() *memTable {
	return btreemap.New[string, memEntry](16, strings.Compare)
}

// frozenLayer is a mem-table flushed into a batch that may not be committed
// yet; it is read until the batch's commit makes the store serve its writes.
type frozenLayer struct {
	m     *memTable
	token *commitToken
}

// StateTable is an operator's handle on one state table: writes of the
// current epoch are buffered in a sorted in-memory mem-table, and reads merge
// that mem-table (and earlier flushed but not yet committed ones) over the
// committed state of the base Reader.
//
// Contract: the actor owning the table calls Insert/Delete/Update while
// processing epoch e, and Flush(b) when the barrier of e passes, with the
// batch the coordinator will commit for e (together with SetCommittedEpoch
// and the source offsets). From then on the actor keeps reading e's writes
// from the frozen mem-table until b is committed, and from the store after;
// other readers (snapshots, SELECT) see them only once b is committed.
//
// A StateTable is not safe for concurrent use; Flush may write into a Batch
// shared with other actors' tables.
type StateTable struct {
	base      Reader
	sch       TableSchema
	pkTypes   []types.T
	distPos   []int // positions within PK hashed for the vnode
	distTypes []types.T
	active    *memTable
	frozen    []frozenLayer // oldest first
	memBytes  int
	keyBuf    []byte
	distBuf   []types.Datum
}

// NewStateTable opens a state table reading committed state from the store.
func NewStateTable(s *Store, sch TableSchema) (*StateTable, error) {
	return OpenTable(s, sch)
}

// OpenTable opens a table over any Reader: the Store for operators, a
// Snapshot for a consistent read-only SELECT of a materialized view.
func OpenTable(r Reader, sch TableSchema) (*StateTable, error) {
	t := &StateTable{base: r, sch: sch, active: newMemTable()}
	if sch.PKDesc != nil && len(sch.PKDesc) != len(sch.PK) {
		return nil, fmt.Errorf("state: table %d: %d PKDesc flags for %d PK columns", sch.ID, len(sch.PKDesc), len(sch.PK))
	}
	if sch.PKNullsLast != nil && len(sch.PKNullsLast) != len(sch.PK) {
		return nil, fmt.Errorf("state: table %d: %d PKNullsLast flags for %d PK columns", sch.ID, len(sch.PKNullsLast), len(sch.PK))
	}
	for _, c := range sch.PK {
		if c < 0 || c >= len(sch.Columns) {
			return nil, fmt.Errorf("state: table %d: PK column %d out of range", sch.ID, c)
		}
		t.pkTypes = append(t.pkTypes, sch.Columns[c])
	}
	if !sch.Singleton {
		dist := sch.DistKey
		if dist == nil {
			dist = sch.PK
		}
		for _, c := range dist {
			pos := -1
			for i, p := range sch.PK {
				if p == c {
					pos = i
					break
				}
			}
			if pos < 0 {
				return nil, fmt.Errorf("state: table %d: distribution key column %d is not in the PK", sch.ID, c)
			}
			t.distPos = append(t.distPos, pos)
			t.distTypes = append(t.distTypes, sch.Columns[c])
		}
	}
	return t, nil
}

// Schema returns the table's schema.
func (t *StateTable) Schema() TableSchema { return t.sch }

// ID returns the table id.
func (t *StateTable) ID() uint32 { return t.sch.ID }

// VNodeOfPK returns the vnode of the row with primary key pk.
func (t *StateTable) VNodeOfPK(pk []types.Datum) uint16 {
	if t.sch.Singleton || len(t.distPos) == 0 {
		return 0
	}
	t.distBuf = t.distBuf[:0]
	for _, p := range t.distPos {
		t.distBuf = append(t.distBuf, pk[p])
	}
	return VNodeOf(HashDatums(t.distTypes, t.distBuf))
}

// VNodeOfRow returns the vnode of a full row.
func (t *StateTable) VNodeOfRow(row []types.Datum) uint16 {
	if t.sch.Singleton || len(t.distPos) == 0 {
		return 0
	}
	t.distBuf = t.distBuf[:0]
	for _, p := range t.distPos {
		t.distBuf = append(t.distBuf, row[t.sch.PK[p]])
	}
	return VNodeOf(HashDatums(t.distTypes, t.distBuf))
}

func (t *StateTable) pkDesc(i int) bool { return t.sch.PKDesc != nil && t.sch.PKDesc[i] }

// appendPKCol appends the key encoding of PK column i.
func (t *StateTable) appendPKCol(buf []byte, i int, d types.Datum) []byte {
	desc := t.pkDesc(i)
	if t.sch.PKNullsLast != nil {
		return AppendKeyNulls(buf, t.pkTypes[i], d, desc, t.sch.PKNullsLast[i])
	}
	return AppendKey(buf, t.pkTypes[i], d, desc)
}

// rowKey encodes the full key of a row into t.keyBuf.
func (t *StateTable) rowKey(row []types.Datum) []byte {
	if len(row) != len(t.sch.Columns) {
		panic(fmt.Sprintf("state: table %d: row has %d columns, schema %d", t.sch.ID, len(row), len(t.sch.Columns)))
	}
	k := AppendTablePrefix(t.keyBuf[:0], t.sch.ID, t.VNodeOfRow(row))
	for i, c := range t.sch.PK {
		k = t.appendPKCol(k, i, row[c])
	}
	t.keyBuf = k
	return k
}

// pkKey encodes the full key of a primary key into t.keyBuf.
func (t *StateTable) pkKey(pk []types.Datum) []byte {
	if len(pk) != len(t.sch.PK) {
		panic(fmt.Sprintf("state: table %d: pk has %d columns, schema %d", t.sch.ID, len(pk), len(t.sch.PK)))
	}
	k := AppendTablePrefix(t.keyBuf[:0], t.sch.ID, t.VNodeOfPK(pk))
	for i := range pk {
		k = t.appendPKCol(k, i, pk[i])
	}
	t.keyBuf = k
	return k
}

func (t *StateTable) put(key string, e memEntry) {
	_, old, replaced := t.active.ReplaceOrInsert(key, e)
	if replaced {
		t.memBytes -= len(key) + len(old.value)
	}
	t.memBytes += len(key) + len(e.value)
}

// Insert writes row (replacing any row with the same primary key).
func (t *StateTable) Insert(row []types.Datum) {
	k := string(t.rowKey(row))
	t.put(k, memEntry{value: AppendRow(nil, t.sch.Columns, row)})
}

// Delete deletes the row with row's primary key (only the PK columns of row
// are read).
func (t *StateTable) Delete(row []types.Datum) {
	k := string(t.rowKey(row))
	t.put(k, memEntry{deleted: true})
}

// DeletePK deletes the row with primary key pk.
func (t *StateTable) DeletePK(pk []types.Datum) {
	k := string(t.pkKey(pk))
	t.put(k, memEntry{deleted: true})
}

// Update replaces old by new; when their primary keys differ, old is deleted.
func (t *StateTable) Update(old, new []types.Datum) {
	// rowKey reuses keyBuf: keep a copy of the old key.
	kos := string(t.rowKey(old))
	kn := t.rowKey(new)
	if kos != string(kn) {
		t.put(kos, memEntry{deleted: true})
	}
	t.put(string(kn), memEntry{value: AppendRow(nil, t.sch.Columns, new)})
}

// DeleteRange deletes every row of one vnode whose PK prefix p satisfies
// lower ≤ p < upper (as in Iter), e.g. the windows a watermark has closed,
// and returns how many rows it deleted. It visits each row.
func (t *StateTable) DeleteRange(vnode uint16, lower, upper []types.Datum) (int, error) {
	it, err := t.Iter(vnode, lower, upper)
	if err != nil {
		return 0, err
	}
	var keys []string
	for it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	for _, k := range keys {
		t.put(k, memEntry{deleted: true})
	}
	return len(keys), nil
}

// DecodePK decodes the primary key from a full key (RowIter.Key) into dst
// (reused from dst[:0]).
func (t *StateTable) DecodePK(key []byte, dst []types.Datum) ([]types.Datum, error) {
	if len(key) < KeyPrefixLen {
		return dst[:0], errCorrupt("short key")
	}
	out, _, err := DecodeKeys(key[KeyPrefixLen:], t.pkTypes, t.sch.PKDesc, dst)
	return out, err
}

// MemBytes returns the approximate bytes buffered in the current epoch's
// mem-table.
func (t *StateTable) MemBytes() int { return t.memBytes }

// pruneFrozen drops frozen layers whose batch is committed.
func (t *StateTable) pruneFrozen() {
	n := 0
	for _, l := range t.frozen {
		if l.token.done.Load() {
			n++
			continue
		}
		break
	}
	if n > 0 {
		t.frozen = append(t.frozen[:0], t.frozen[n:]...)
	}
}

// Get returns the row with primary key pk. The row is freshly allocated and
// owned by the caller.
func (t *StateTable) Get(pk []types.Datum) (row []types.Datum, found bool, err error) {
	k := t.pkKey(pk)
	return t.getKey(k)
}

func (t *StateTable) getKey(k []byte) ([]types.Datum, bool, error) {
	ks := string(k)
	if _, e, ok := t.active.Get(ks); ok {
		return t.decodeEntry(e)
	}
	t.pruneFrozen()
	for i := len(t.frozen) - 1; i >= 0; i-- {
		if _, e, ok := t.frozen[i].m.Get(ks); ok {
			return t.decodeEntry(e)
		}
	}
	v, c, found, err := t.base.Get(k)
	if err != nil || !found {
		return nil, false, err
	}
	defer c.Close()
	row, err := DecodeRowCopy(v, t.sch.Columns, nil)
	if err != nil {
		return nil, false, err
	}
	return row, true, nil
}

func (t *StateTable) decodeEntry(e memEntry) ([]types.Datum, bool, error) {
	if e.deleted {
		return nil, false, nil
	}
	row, err := DecodeRowCopy(e.value, t.sch.Columns, nil)
	if err != nil {
		return nil, false, err
	}
	return row, true, nil
}

// Iter iterates, in key order, over the rows of one vnode whose primary key
// prefix p satisfies lower ≤ p < upper, where lower and upper are PK prefixes
// (possibly shorter than the PK; nil or empty = unbounded). A row whose PK
// starts with upper is excluded. The iterator sees the table as of the call:
// later writes through the table are not visible to it.
func (t *StateTable) Iter(vnode uint16, lower, upper []types.Datum) (*RowIter, error) {
	p := VNodePrefix(t.sch.ID, vnode)
	lo := t.appendPKPrefix(append([]byte(nil), p...), lower)
	var hi []byte
	if len(upper) > 0 {
		hi = t.appendPKPrefix(append([]byte(nil), p...), upper)
	} else {
		hi = PrefixEnd(p)
	}
	return t.newRowIter(lo, hi)
}

// IterPrefix iterates, in key order, over the rows of one vnode whose primary
// key starts with prefix (nil = every row of the vnode).
func (t *StateTable) IterPrefix(vnode uint16, prefix []types.Datum) (*RowIter, error) {
	lo := t.appendPKPrefix(VNodePrefix(t.sch.ID, vnode), prefix)
	return t.newRowIter(lo, PrefixEnd(lo))
}

// Scan iterates over every row of the table, vnode by vnode (rows are in PK
// order within a vnode, not across vnodes).
func (t *StateTable) Scan() (*RowIter, error) {
	p := TablePrefix(t.sch.ID)
	return t.newRowIter(p, PrefixEnd(p))
}

func (t *StateTable) appendPKPrefix(buf []byte, prefix []types.Datum) []byte {
	if len(prefix) > len(t.sch.PK) {
		panic(fmt.Sprintf("state: table %d: prefix of %d columns, PK has %d", t.sch.ID, len(prefix), len(t.sch.PK)))
	}
	for i := range prefix {
		buf = t.appendPKCol(buf, i, prefix[i])
	}
	return buf
}

func (t *StateTable) newRowIter(lo, hi []byte) (*RowIter, error) {
	it := &RowIter{cols: t.sch.Columns}
	// Mem-tables newest first: the active one (cloned, so later writes do
	// not disturb the iterator), then frozen layers. Prune before opening the
	// base iterator: a pruned layer's batch is committed, so the base sees it.
	it.mems = append(it.mems, newMemCursor(t.active.Clone(), lo, hi))
	t.pruneFrozen()
	for i := len(t.frozen) - 1; i >= 0; i-- {
		it.mems = append(it.mems, newMemCursor(t.frozen[i].m, lo, hi))
	}
	base, err := t.base.NewIter(lo, hi)
	if err != nil {
		return nil, err
	}
	it.base = base
	it.baseOK = base.First()
	return it, nil
}

// Flush writes the changes buffered since the last Flush into b (Set for
// inserted or updated rows, Delete for deleted ones) and starts a new
// mem-table. The flushed changes stay readable through the table until b is
// committed. Flush with nothing buffered writes nothing.
func (t *StateTable) Flush(b *Batch) error {
	t.pruneFrozen()
	if t.active.Len() == 0 {
		return nil
	}
	b.mu.Lock()
	if b.b == nil {
		b.mu.Unlock()
		return errBatchClosed
	}
	var err error
	t.active.AscendFunc(btreemap.Min[string](), btreemap.Max[string](), func(k string, e memEntry) bool {
		if e.deleted {
			err = b.b.Delete([]byte(k), nil)
		} else {
			err = b.b.Set([]byte(k), e.value, nil)
		}
		return err == nil
	})
	token := b.token
	b.mu.Unlock()
	if err != nil {
		return err
	}
	t.frozen = append(t.frozen, frozenLayer{m: t.active, token: token})
	t.active = newMemTable()
	t.memBytes = 0
	return nil
}

// Reset discards every buffered change, flushed-but-uncommitted ones too
// (after a failed epoch, before recovery).
func (t *StateTable) Reset() {
	t.active = newMemTable()
	t.frozen = nil
	t.memBytes = 0
}

// memCursor walks a mem-table range in chunks.
type memCursor struct {
	m         *memTable
	lo, hi    string
	hasHi     bool
	chunk     []memKV
	pos       int
	last      string
	started   bool
	exhausted bool
}

type memKV struct {
	k string
	e memEntry
}

const memChunk = 64

func newMemCursor(m *memTable, lo, hi []byte) *memCursor {
	c := &memCursor{m: m, lo: string(lo), hi: string(hi), hasHi: hi != nil}
	c.fill()
	return c
}

func (c *memCursor) fill() {
	c.chunk = c.chunk[:0]
	c.pos = 0
	if c.exhausted {
		return
	}
	start := btreemap.GE(c.lo)
	if c.started {
		start = btreemap.GT(c.last)
	}
	stop := btreemap.Max[string]()
	if c.hasHi {
		stop = btreemap.LT(c.hi)
	}
	c.m.AscendFunc(start, stop, func(k string, e memEntry) bool {
		c.chunk = append(c.chunk, memKV{k, e})
		return len(c.chunk) < memChunk
	})
	if len(c.chunk) < memChunk {
		c.exhausted = true
	}
	if len(c.chunk) > 0 {
		c.started = true
		c.last = c.chunk[len(c.chunk)-1].k
	}
}

func (c *memCursor) valid() bool { return c.pos < len(c.chunk) }

func (c *memCursor) cur() *memKV { return &c.chunk[c.pos] }

func (c *memCursor) next() {
	c.pos++
	if c.pos >= len(c.chunk) {
		c.fill()
	}
}

// RowIter iterates over a StateTable's rows, merging buffered writes over
// committed state. Use it as
//
//	for it.Next() { row := it.Row() ... }
//	if err := it.Close(); err != nil { ... }
type RowIter struct {
	cols    []types.T
	mems    []*memCursor
	base    *Iter
	baseOK  bool
	started bool
	key     []byte
	row     []types.Datum
	err     error
}

// Next moves to the next row (the first on the first call) and reports
// whether there is one.
func (it *RowIter) Next() bool {
	if it.err != nil {
		return false
	}
	if it.started {
		it.advancePast(it.key)
	}
	it.started = true
	for {
		// Find the smallest key; among equal keys the first source (newest)
		// wins: mems in order, then the base.
		var minKey string
		win := -2 // -1 = base, ≥0 = mem index
		for i, c := range it.mems {
			if !c.valid() {
				continue
			}
			if k := c.cur().k; win == -2 || k < minKey {
				minKey, win = k, i
			}
		}
		if it.baseOK {
			if k := it.base.Key(); win == -2 || string(k) < minKey {
				win = -1
			}
		}
		switch win {
		case -2:
			if err := it.base.Error(); err != nil {
				it.err = err
			}
			return false
		case -1:
			it.key = append(it.key[:0], it.base.Key()...)
		default:
			it.key = append(it.key[:0], minKey...)
		}
		var val []byte
		if win >= 0 {
			e := it.mems[win].cur().e
			if e.deleted {
				it.advancePast(it.key)
				continue
			}
			val = e.value
		} else {
			val = it.base.Value()
			if err := it.base.Error(); err != nil {
				it.err = err
				return false
			}
		}
		it.row, it.err = DecodeRow(val, it.cols, it.row)
		return it.err == nil
	}
}

// advancePast moves every source positioned at key to its next entry.
func (it *RowIter) advancePast(key []byte) {
	for _, c := range it.mems {
		if c.valid() && c.cur().k == string(key) {
			c.next()
		}
	}
	if it.baseOK && bytes.Equal(it.base.Key(), key) {
		it.baseOK = it.base.Next()
	}
}

// Row returns the current row. It is reused by Next and its byte values may
// alias storage valid only until Next: copy what you keep (Datum.Copy).
func (it *RowIter) Row() []types.Datum { return it.row }

// Key returns the current full key (tableID | vnode | PK encoding), valid
// until Next.
func (it *RowIter) Key() []byte { return it.key }

// Err returns the error that stopped the iteration, if any.
func (it *RowIter) Err() error { return it.err }

// Close releases the iterator and returns its error, if any.
func (it *RowIter) Close() error {
	err := it.base.Close()
	if it.err != nil {
		return it.err
	}
	return err
}
