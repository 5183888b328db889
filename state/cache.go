package state

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/RaduBerinde/btreemap"
)

// ReadCache keeps operator state in memory in front of Pebble, so that
// operators' reads of hot keys (an aggregation's group, a join key's rows)
// do not go through Pebble's read path, which builds an iterator over every
// level for each lookup.
//
// Two kinds of tables:
//   - A complete table (MarkComplete: created empty since the cache was last
//     cleared) has every live key in an ordered in-memory tree. Point reads
//     and range scans are answered from memory alone; a missing key does not
//     exist.
//   - Any other table has a point cache of the values read from Pebble
//     (negative answers included).
//
// Writes go through CachedBatch, which updates the cache at once and writes
// the batch that persists them. The cache may therefore hold writes of a
// batch not yet committed. That is safe because every reader of the cache
// is a writer holding the engine's write lock (or a backfill working on its
// own tables), and a batch closed without committing clears the whole cache
// (failed statements are rare). The actors of one parallel dataflow share
// the cache concurrently, each through its own child batch (Batch.NewChild)
// and each on its own vnodes' keys; the cache's mutex orders their
// accesses. SELECTs read Pebble snapshots, never the
// cache.
//
// Size is bounded: past the limit the cache is cleared and every table
// falls back to Pebble, now with a point cache.
type ReadCache struct {
	// gen counts the times tables lost completeness (see CachedBatch's
	// unindexed writes).
	gen    atomic.Uint64
	mu     sync.Mutex
	tables map[uint32]*tableCache
	bytes  int64 // this cache's entries
	budget *cacheBudget
	// parts are the partitions of a root cache (Partition), parent the
	// root of a partition.
	partsMu sync.Mutex
	parts   map[*ReadCache]bool
	parent  *ReadCache
}

// cacheBudget is the memory limit a root cache shares with its
// partitions.
type cacheBudget struct {
	used  atomic.Int64
	limit int64
}

type tableCache struct {
	complete bool
	bytes    int64                              // accounted size of the entries
	tree     *btreemap.BTreeMap[string, []byte] // complete tables
	points   map[string]cachedValue             // other tables
	// readers are the open iterators reading tree itself. The first write
	// while there are any hands them a copy-on-write clone, so that they
	// keep seeing the tree as it was; cloning at every NewIter instead
	// would make every later write copy nodes.
	readers []*memIter
}

// detachReaders gives the open iterators their own snapshot of tc.tree.
func (tc *tableCache) detachReaders() {
	if len(tc.readers) == 0 {
		return
	}
	snap := tc.tree.Clone()
	for _, m := range tc.readers {
		m.tree, m.tc = snap, nil
	}
	tc.readers = tc.readers[:0]
}

type cachedValue struct {
	v     []byte
	found bool
}

// cacheEntryOverhead approximates the per-entry memory beyond key and
// value bytes (tree or map slot, string and slice headers).
const cacheEntryOverhead = 64

// NewReadCache returns a cache holding about limit bytes.
func NewReadCache(limit int64) *ReadCache {
	return &ReadCache{tables: map[uint32]*tableCache{}, budget: &cacheBudget{limit: limit}}
}

// Partition returns a cache of its own that shares c's memory limit and is
// cleared with it. Each actor of a parallel dataflow reads and writes only
// its own vnodes' keys, through its own partition: the actors then never
// wait for each other's lock, and one actor's writes never make another's
// open iterators copy their tree.
func (c *ReadCache) Partition() *ReadCache {
	p := &ReadCache{tables: map[uint32]*tableCache{}, budget: c.budget, parent: c}
	c.partsMu.Lock()
	if c.parts == nil {
		c.parts = map[*ReadCache]bool{}
	}
	c.parts[p] = true
	c.partsMu.Unlock()
	return p
}

// Release empties a partition and detaches it from its root (its dataflow
// is gone).
func (c *ReadCache) Release() {
	c.clearOwn()
	if c.parent != nil {
		c.parent.partsMu.Lock()
		delete(c.parent.parts, c)
		c.parent.partsMu.Unlock()
	}
}

// MarkComplete declares that tables, just created and still empty, keep
// every key in the cache (until the next Clear or overflow).
func (c *ReadCache) MarkComplete(tables ...uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range tables {
		if old := c.tables[id]; old != nil {
			c.dropLocked(id, old)
		}
		c.tables[id] = &tableCache{complete: true, tree: btreemap.New[string, []byte](32, strings.Compare)}
	}
}

func (c *ReadCache) dropLocked(id uint32, tc *tableCache) {
	c.gen.Add(1)
	c.bytes -= tc.bytes
	c.budget.used.Add(-tc.bytes)
	delete(c.tables, id)
}

// Clear drops every entry, the partitions' too; no table stays complete.
func (c *ReadCache) Clear() {
	c.clearOwn()
	c.partsMu.Lock()
	parts := make([]*ReadCache, 0, len(c.parts))
	for p := range c.parts {
		parts = append(parts, p)
	}
	c.partsMu.Unlock()
	for _, p := range parts {
		p.clearOwn()
	}
}

func (c *ReadCache) clearOwn() {
	c.mu.Lock()
	c.gen.Add(1)
	c.tables = map[uint32]*tableCache{}
	c.budget.used.Add(-c.bytes)
	c.bytes = 0
	c.mu.Unlock()
}

// Len returns the number of cached keys.
func (c *ReadCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, tc := range c.tables {
		if tc.complete {
			n += tc.tree.Len()
		} else {
			n += len(tc.points)
		}
	}
	return n
}

// Complete reports whether table id is complete (tests).
func (c *ReadCache) Complete(id uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.tables[id]
	return tc != nil && tc.complete
}

func tableOf(key []byte) (uint32, bool) {
	if len(key) < 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(key), true
}

func (c *ReadCache) table(key []byte, create bool) *tableCache {
	id, ok := tableOf(key)
	if !ok {
		return nil
	}
	tc := c.tables[id]
	if tc == nil && create {
		tc = &tableCache{points: map[string]cachedValue{}}
		c.tables[id] = tc
	}
	return tc
}

// lookup returns key's value; known reports whether the cache knows it.
func (c *ReadCache) lookup(key []byte) (v cachedValue, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.table(key, false)
	switch {
	case tc == nil:
		return cachedValue{}, false
	case tc.complete:
		_, val, found := tc.tree.Get(string(key))
		return cachedValue{v: val, found: found}, true
	default:
		v, ok := tc.points[string(key)]
		return v, ok
	}
}

// putLocked records key → v (v.v is owned by the cache afterwards). A
// write to a table that is not complete only updates a key already
// cached: blind writes (an append-only view's rows) would fill the cache
// with keys nobody reads.
func (c *ReadCache) putLocked(key []byte, v cachedValue, write bool) (complete bool) {
	tc := c.table(key, true)
	if tc == nil {
		return false
	}
	complete = tc.complete
	var delta int64
	if tc.complete {
		tc.detachReaders()
		if v.found {
			if _, old, ok := tc.tree.ReplaceOrInsert(string(key), v.v); ok {
				delta = int64(len(v.v) - len(old))
			} else {
				delta = int64(len(key) + len(v.v) + cacheEntryOverhead)
			}
		} else if _, old, ok := tc.tree.Delete(string(key)); ok {
			delta = -int64(len(key) + len(old) + cacheEntryOverhead)
		}
	} else {
		k := string(key)
		old, ok := tc.points[k]
		if ok {
			delta -= int64(len(k) + len(old.v) + cacheEntryOverhead)
		}
		if ok || !write {
			tc.points[k] = v
			delta += int64(len(k) + len(v.v) + cacheEntryOverhead)
		}
	}
	tc.bytes += delta
	c.bytes += delta
	if c.budget.used.Add(delta) > c.budget.limit {
		c.shrinkLocked()
	}
	return complete
}

// shrinkLocked evicts whole tables of c, largest first, until the memory
// shared with the root and its partitions is under three quarters of the
// limit (or c has nothing left). An evicted table loses completeness and
// starts over with an empty point cache; smaller tables stay in memory.
func (c *ReadCache) shrinkLocked() {
	for c.budget.used.Load() > c.budget.limit/4*3 && len(c.tables) > 0 {
		var big uint32
		var most int64 = -1
		for id, tc := range c.tables {
			if tc.bytes > most {
				big, most = id, tc.bytes
			}
		}
		c.dropLocked(big, c.tables[big])
	}
}

// CachedBatch reads and writes an indexed Batch through a ReadCache (see
// ReadCache for the rules). It is not safe for concurrent use.
type CachedBatch struct {
	b   *Batch
	c   *ReadCache
	buf []byte
	// touched records that the cache learnt something through this batch
	// (a write, or a value read from the batch); only then must a batch
	// closed without committing clear the cache.
	touched bool
	// Writes to complete tables are not indexed in the batch (nothing
	// reads them back from it). If any table loses completeness while
	// such writes are pending (gen moved past sideGen), they are indexed
	// before the next read through the batch.
	sidePending bool
	sideGen     uint64
	// iters are idle Pebble iterators over b, reused by NewIter: creating
	// one per lookup (a join probe) costs more than the lookup itself.
	iters []*Iter
	all   []*Iter
}

// Wrap returns a CachedBatch over b. If b is closed without committing,
// the cache is cleared.
func (c *ReadCache) Wrap(b *Batch) *CachedBatch {
	cb := &CachedBatch{b: b, c: c}
	b.onClose(cb.closed)
	b.beforeClose(cb.closeIters)
	return cb
}

// Batch returns the underlying batch.
func (cb *CachedBatch) Batch() *Batch { return cb.b }

func (cb *CachedBatch) closed(committed bool) {
	if !committed && cb.touched {
		cb.c.Clear()
	}
}

// Get returns key's value (a copy valid until the next call).
func (cb *CachedBatch) Get(key []byte) ([]byte, bool, error) {
	v, ok := cb.c.lookup(key)
	if !ok {
		if err := cb.syncSide(); err != nil {
			return nil, false, err
		}
		val, closer, found, err := cb.b.Get(key)
		if err != nil {
			return nil, false, err
		}
		v = cachedValue{found: found}
		if found {
			v.v = append([]byte(nil), val...)
			if err := closer.Close(); err != nil {
				return nil, false, err
			}
		}
		cb.touched = true
		cb.c.mu.Lock()
		cb.c.putLocked(key, v, false)
		cb.c.mu.Unlock()
	}
	if !v.found {
		return nil, false, nil
	}
	cb.buf = append(cb.buf[:0], v.v...)
	return cb.buf, true, nil
}

// Set writes key → value.
func (cb *CachedBatch) Set(key, value []byte) error {
	return cb.write(key, cachedValue{v: append([]byte(nil), value...), found: true})
}

// Delete removes key.
func (cb *CachedBatch) Delete(key []byte) error {
	return cb.write(key, cachedValue{})
}

func (cb *CachedBatch) write(key []byte, v cachedValue) error {
	cb.touched = true
	cb.c.mu.Lock()
	gen := cb.c.gen.Load()
	complete := cb.c.putLocked(key, v, true)
	cb.c.mu.Unlock()
	if complete && cb.c.gen.Load() == gen {
		if !cb.sidePending {
			cb.sidePending, cb.sideGen = true, gen
		} else if gen != cb.sideGen {
			if err := cb.syncSide(); err != nil {
				return err
			}
			cb.sidePending, cb.sideGen = true, gen
		}
		if v.found {
			return cb.b.setUnindexed(key, v.v)
		}
		return cb.b.deleteUnindexed(key)
	}
	if v.found {
		return cb.b.Set(key, v.v)
	}
	return cb.b.Delete(key)
}

// syncSide indexes the pending unindexed writes if some table lost its
// completeness since they began: reads of that table now go through the
// batch and must see them.
func (cb *CachedBatch) syncSide() error {
	if !cb.sidePending || cb.c.gen.Load() == cb.sideGen {
		return nil
	}
	cb.sidePending = false
	return cb.b.flushSide()
}

// NewIter returns an iterator over [lower, upper) that sees the writes made
// before the call, not later ones. Within one complete table it iterates
// a copy-on-write clone of the cached tree; otherwise the batch.
func (cb *CachedBatch) NewIter(lower, upper []byte) (*Iter, error) {
	if m := cb.memIter(lower, upper); m != nil {
		return &Iter{mem: m}, nil
	}
	if err := cb.syncSide(); err != nil {
		return nil, err
	}
	if n := len(cb.iters); n > 0 {
		it := cb.iters[n-1]
		cb.iters = cb.iters[:n-1]
		it.reuse(lower, upper)
		it.release = cb.releaseIter
		return it, nil
	}
	it, err := cb.b.newPooledIter(lower, upper)
	if err != nil {
		return nil, err
	}
	it.release = cb.releaseIter
	cb.all = append(cb.all, it)
	return it, nil
}

// memIter returns an iterator over [lower, upper) if a complete table
// holds all of it, or nil.
func (cb *CachedBatch) memIter(lower, upper []byte) *memIter {
	id, ok := tableOf(lower)
	if !ok || len(upper) < 4 {
		return nil
	}
	if uid := binary.BigEndian.Uint32(upper); uid != id && !(uid == id+1 && len(upper) == 4) {
		return nil
	}
	cb.c.mu.Lock()
	defer cb.c.mu.Unlock()
	tc := cb.c.tables[id]
	if tc == nil || !tc.complete {
		return nil
	}
	m := newMemIter(tc.tree, lower, upper)
	m.c, m.tc = cb.c, tc
	tc.readers = append(tc.readers, m)
	return m
}

func (cb *CachedBatch) releaseIter(it *Iter) {
	it.release = nil
	cb.iters = append(cb.iters, it)
}

// closeIters closes the pooled iterators (before the batch commits).
func (cb *CachedBatch) closeIters() {
	for _, it := range cb.all {
		if !it.closed {
			it.release = nil
			it.closed = true
			_ = it.it.Close()
		}
	}
	cb.all, cb.iters = nil, nil
}

// memIter iterates a snapshot (clone) of a complete table's tree within
// [lower, upper), fetching entries a window at a time.
type memIter struct {
	// tree is the live tree while tc is set (the iterator is registered
	// in tc.readers), else a snapshot.
	tree         *btreemap.BTreeMap[string, []byte]
	c            *ReadCache
	tc           *tableCache
	lower, upper string
	hasUpper     bool
	win          []cacheKV // in iteration order
	pos          int
	forward      bool
	more         bool // the window was cut short; more entries may follow
}

type cacheKV struct {
	k string
	v []byte
}

const memIterWindow = 16

func newMemIter(tree *btreemap.BTreeMap[string, []byte], lower, upper []byte) *memIter {
	return &memIter{tree: tree, lower: string(lower), upper: string(upper), hasUpper: upper != nil}
}

// fillFwd loads the entries ≥ from (or > from when exclusive).
func (m *memIter) fillFwd(from string, exclusive bool) bool {
	if m.c != nil {
		// The live tree may be written by another actor's batch.
		m.c.mu.Lock()
		defer m.c.mu.Unlock()
	}
	m.win, m.pos, m.forward, m.more = m.win[:0], 0, true, false
	if from < m.lower {
		from, exclusive = m.lower, false
	}
	start := btreemap.GE(from)
	if exclusive {
		start = btreemap.GT(from)
	}
	stop := btreemap.Max[string]()
	if m.hasUpper {
		stop = btreemap.LT(m.upper)
	}
	m.tree.AscendFunc(start, stop, func(k string, v []byte) bool {
		if len(m.win) == memIterWindow {
			m.more = true
			return false
		}
		m.win = append(m.win, cacheKV{k, v})
		return true
	})
	return len(m.win) > 0
}

// fillBwd loads the entries < from (or ≤ from when inclusive), descending.
func (m *memIter) fillBwd(from string, inclusive, fromEnd bool) bool {
	if m.c != nil {
		m.c.mu.Lock()
		defer m.c.mu.Unlock()
	}
	m.win, m.pos, m.forward, m.more = m.win[:0], 0, false, false
	start := btreemap.Max[string]()
	switch {
	case fromEnd:
		if m.hasUpper {
			start = btreemap.LT(m.upper)
		}
	case m.hasUpper && from >= m.upper:
		start = btreemap.LT(m.upper)
	case inclusive:
		start = btreemap.LE(from)
	default:
		start = btreemap.LT(from)
	}
	m.tree.DescendFunc(start, btreemap.GE(m.lower), func(k string, v []byte) bool {
		if len(m.win) == memIterWindow {
			m.more = true
			return false
		}
		m.win = append(m.win, cacheKV{k, v})
		return true
	})
	return len(m.win) > 0
}

// close unregisters the iterator from its table.
func (m *memIter) close() {
	if m.c == nil {
		return
	}
	m.c.mu.Lock()
	if tc := m.tc; tc != nil {
		for i, r := range tc.readers {
			if r == m {
				tc.readers = append(tc.readers[:i], tc.readers[i+1:]...)
				break
			}
		}
		m.tc = nil
	}
	m.c.mu.Unlock()
}

func (m *memIter) valid() bool { return m.pos >= 0 && m.pos < len(m.win) }

func (m *memIter) First() bool            { return m.fillFwd(m.lower, false) }
func (m *memIter) Last() bool             { return m.fillBwd("", false, true) }
func (m *memIter) SeekGE(key []byte) bool { return m.fillFwd(string(key), false) }
func (m *memIter) SeekLT(key []byte) bool { return m.fillBwd(string(key), false, false) }

func (m *memIter) Next() bool {
	if !m.valid() {
		return false
	}
	if m.forward {
		m.pos++
		if m.pos < len(m.win) {
			return true
		}
		if !m.more {
			return false
		}
		return m.fillFwd(m.win[len(m.win)-1].k, true)
	}
	return m.fillFwd(m.win[m.pos].k, true)
}

func (m *memIter) Prev() bool {
	if !m.valid() {
		return false
	}
	if !m.forward {
		m.pos++
		if m.pos < len(m.win) {
			return true
		}
		if !m.more {
			return false
		}
		return m.fillBwd(m.win[len(m.win)-1].k, false, false)
	}
	return m.fillBwd(m.win[m.pos].k, false, false)
}

// key returns the current key without copying (callers must not modify
// it, as with Pebble's iterators).
func (m *memIter) key() []byte {
	k := m.win[m.pos].k
	return unsafe.Slice(unsafe.StringData(k), len(k))
}

func (m *memIter) value() []byte { return m.win[m.pos].v }
