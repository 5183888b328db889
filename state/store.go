package state

import (
	"errors"
	"io"
	"log"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configures a Store. The zero value is usable; EnsureDefaults fills
// in the defaults.
type Options struct {
	// CacheSize is the size in bytes of the block cache shared by all of the
	// store's levels (default 128 MiB; 8 MiB when InMemory).
	CacheSize int64
	// MemTableSize is the size of one Pebble mem-table (default 64 MiB;
	// 4 MiB when InMemory).
	MemTableSize uint64
	// InMemory keeps everything in memory (vfs.NewMem): for tests. Nothing
	// survives Close.
	InMemory bool
	// DisableSync makes every commit skip the WAL fsync, whatever
	// Batch.Commit is asked, trading durability of the last commits before a
	// machine crash for speed (benchmarks, tests). The zero value is durable:
	// Commit(true) fsyncs.
	DisableSync bool
	// Logger receives Pebble's log messages; nil logs errors only, through the
	// standard log package.
	Logger pebble.Logger

	fs vfs.FS // tests: a crashable in-memory file system
}

// EnsureDefaults fills in zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.CacheSize <= 0 {
		o.CacheSize = 128 << 20
		if o.InMemory {
			o.CacheSize = 8 << 20
		}
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
		if o.InMemory {
			o.MemTableSize = 4 << 20
		}
	}
	if o.Logger == nil {
		o.Logger = quietLogger{}
	}
}

// quietLogger drops Pebble's informational messages.
type quietLogger struct{}

// Infof drops the message.
func (quietLogger) Infof(string, ...interface{}) {}

// Errorf logs the message.
func (quietLogger) Errorf(format string, args ...interface{}) {
	log.Printf("pebble: "+format, args...)
}

// Fatalf logs the message and exits.
func (quietLogger) Fatalf(format string, args ...interface{}) {
	log.Fatalf("pebble: "+format, args...)
}

// Store is the embedded Pebble database holding all of streamsql's state. It
// is safe for concurrent use.
type Store struct {
	db             *pebble.DB
	opts           Options
	committedEpoch atomic.Uint64
	epochMu        sync.Mutex // orders updates of committedEpoch
}

// pebbleOptions returns Pebble options tuned for a write-heavy streaming
// workload on a small machine.
func pebbleOptions(o *Options) *pebble.Options {
	po := &pebble.Options{
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       2,
		L0StopWritesThreshold:       36,
		LBaseMaxBytes:               64 << 20,
		MaxOpenFiles:                1000,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      o.Logger,
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
	}
	for i := range po.Levels {
		l := &po.Levels[i]
		// Operator state is read by point lookups: small blocks, and no
		// compression (decompressing a block on every cache miss cost
		// about a fifth of a stateful query's CPU).
		l.BlockSize = 4 << 10
		l.FilterPolicy = bloom.FilterPolicy(10)
		l.Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	if o.fs != nil {
		po.FS = o.fs
	} else if o.InMemory {
		po.FS = vfs.NewMem()
	}
	return po
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if !opts.InMemory && opts.fs == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	po := pebbleOptions(&opts)
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	po.Cache = cache
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, opts: opts}
	e, err := readCommittedEpoch(s)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.committedEpoch.Store(e)
	return s, nil
}

// Close closes the store. Every Batch, Snapshot and Iter must be closed first.
func (s *Store) Close() error {
	return s.db.Close()
}

// DB exposes the underlying Pebble database for what this package does not
// wrap. Keys written through it must follow the package's key layout.
func (s *Store) DB() *pebble.DB { return s.db }

// Reader reads keys: the Store (latest committed state), a Snapshot (a fixed
// cut) or an indexed Batch (committed state plus the batch's own writes).
type Reader interface {
	// Get looks up key. When found, value is valid until closer.Close(),
	// which the caller must call; when not found, closer is nil.
	Get(key []byte) (value []byte, closer io.Closer, found bool, err error)
	// NewIter returns an iterator over [lower, upper); nil bounds are open.
	NewIter(lower, upper []byte) (*Iter, error)
}

var (
	_ Reader = (*Store)(nil)
	_ Reader = (*Snapshot)(nil)
	_ Reader = (*Batch)(nil)
)

func wrapGet(v []byte, c io.Closer, err error) ([]byte, io.Closer, bool, error) {
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return v, c, true, nil
}

// GetValue reads key from r and returns a copy of its value.
func GetValue(r Reader, key []byte) (value []byte, found bool, err error) {
	v, c, found, err := r.Get(key)
	if err != nil || !found {
		return nil, found, err
	}
	value = append([]byte(nil), v...)
	return value, true, c.Close()
}

// Get implements Reader on the latest committed state.
func (s *Store) Get(key []byte) ([]byte, io.Closer, bool, error) {
	return wrapGet(s.db.Get(key))
}

// NewIter implements Reader on the latest committed state.
func (s *Store) NewIter(lower, upper []byte) (*Iter, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &Iter{it: it}, nil
}

// ApproximateSize estimates the bytes on disk used by a table's keys (in
// sstables: data still in Pebble's mem-tables is not counted).
func (s *Store) ApproximateSize(tableID uint32) (uint64, error) {
	return s.db.EstimateDiskUsage(TablePrefix(tableID), PrefixEnd(TablePrefix(tableID)))
}

// Checkpoint writes a consistent copy of the store (hard links where
// possible) to dir, which must not exist: a backup of the committed state.
func (s *Store) Checkpoint(dir string) error { return s.db.Checkpoint(dir) }

// Metrics returns Pebble's metrics.
func (s *Store) Metrics() *pebble.Metrics { return s.db.Metrics() }

// Iter iterates over keys in order. Key and Value are valid until the next
// positioning call.
type Iter struct {
	it  *pebble.Iterator
	err error
	// release, when set, takes the iterator back into a pool on Close.
	release func(*Iter)
	// bounds hold copies of a pooled iterator's bounds: Pebble requires
	// them unchanged until the next SetOptions, and the caller may reuse
	// its slices once the iterator is closed.
	bounds [2][]byte
	bi     int
	closed bool
	// mem, when set, replaces it: an iterator over a complete table of
	// the ReadCache.
	mem *memIter
}

// cursor is what Iter moves: a Pebble iterator, or a memIter over a table
// the ReadCache holds completely.
type cursor interface {
	First() bool
	Last() bool
	SeekGE(key []byte) bool
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
}

func (i *Iter) cur() cursor {
	if i.mem != nil {
		return i.mem
	}
	return i.it
}

// First moves to the first key and reports whether it is valid.
func (i *Iter) First() bool { return i.cur().First() }

// Last moves to the last key and reports whether it is valid.
func (i *Iter) Last() bool { return i.cur().Last() }

// SeekGE moves to the first key ≥ key and reports whether it is valid.
func (i *Iter) SeekGE(key []byte) bool { return i.cur().SeekGE(key) }

// SeekLT moves to the last key < key and reports whether it is valid.
func (i *Iter) SeekLT(key []byte) bool { return i.cur().SeekLT(key) }

// Next moves to the next key and reports whether it is valid.
func (i *Iter) Next() bool { return i.cur().Next() }

// Prev moves to the previous key and reports whether it is valid.
func (i *Iter) Prev() bool { return i.cur().Prev() }

// Valid reports whether the iterator is positioned at a key.
func (i *Iter) Valid() bool {
	if i.mem != nil {
		return i.mem.valid()
	}
	return i.err == nil && i.it.Valid()
}

// Key returns the current key.
func (i *Iter) Key() []byte {
	if i.mem != nil {
		return i.mem.key()
	}
	return i.it.Key()
}

// Value returns the current value (nil and a sticky Error on failure).
func (i *Iter) Value() []byte {
	if i.mem != nil {
		return i.mem.value()
	}
	v, err := i.it.ValueAndErr()
	if err != nil && i.err == nil {
		i.err = err
	}
	return v
}

// Error returns the first error the iterator met.
func (i *Iter) Error() error {
	if i.mem != nil {
		return nil
	}
	if i.err != nil {
		return i.err
	}
	return i.it.Error()
}

// Close releases the iterator and returns its error, if any.
func (i *Iter) Close() error {
	if i.mem != nil {
		i.mem.close()
		i.mem = nil
		return nil
	}
	if i.closed {
		return nil
	}
	if i.release != nil {
		err := i.it.Error()
		if i.err != nil {
			err = i.err
		}
		if err == nil {
			i.release(i)
			return nil
		}
		// A failed iterator is not reused.
		i.release = nil
	}
	i.closed = true
	err := i.it.Close()
	if i.err != nil {
		return i.err
	}
	return err
}

// Snapshot is a consistent, read-only view of the store at the moment it was
// taken: it does not see later commits. Close it when done.
type Snapshot struct {
	snap *pebble.Snapshot
}

// NewSnapshot takes a snapshot of the latest committed state.
func (s *Store) NewSnapshot() *Snapshot {
	return &Snapshot{snap: s.db.NewSnapshot()}
}

// Get implements Reader.
func (sn *Snapshot) Get(key []byte) ([]byte, io.Closer, bool, error) {
	return wrapGet(sn.snap.Get(key))
}

// NewIter implements Reader.
func (sn *Snapshot) NewIter(lower, upper []byte) (*Iter, error) {
	it, err := sn.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &Iter{it: it}, nil
}

// Epoch returns the committed epoch this snapshot sees.
func (sn *Snapshot) Epoch() (uint64, error) { return readCommittedEpoch(sn) }

// Close releases the snapshot.
func (sn *Snapshot) Close() error { return sn.snap.Close() }

// commitToken records that a batch was committed; state tables frozen into a
// batch watch it to know when the store serves their writes.
type commitToken struct{ done atomic.Bool }

// Batch is an atomic group of writes. An indexed batch (NewBatch) also
// reads: Get and NewIter see the committed state overlaid with the batch's
// own writes. Writes are safe for concurrent use (several actors may flush
// into one epoch batch); reads must not race with writes.
type Batch struct {
	s        *Store
	mu       sync.Mutex
	b        *pebble.Batch
	token    *commitToken
	epoch    uint64
	hasEpoch bool
	// hooks run once when the batch commits (true) or is closed without
	// committing (false).
	hooks []func(committed bool)
	// preHooks run before the batch commits or closes (to close pooled
	// iterators, which must not outlive the batch's use).
	preHooks []func()
	// side holds writes nobody reads back through this batch (the state of
	// tables the ReadCache holds completely), kept out of the indexed
	// batch's skiplist; they are committed together with it.
	side *pebble.Batch
	// children are batches whose writes commit with this one (NewChild).
	children []*Batch
}

// setUnindexed writes key → value without indexing it: Get and NewIter on
// the batch do not see it (until flushSide).
func (b *Batch) setUnindexed(key, value []byte) error {
	return b.sideWrite(func(side *pebble.Batch) error { return side.Set(key, value, nil) })
}

// deleteUnindexed deletes key without indexing it (see setUnindexed).
func (b *Batch) deleteUnindexed(key []byte) error {
	return b.sideWrite(func(side *pebble.Batch) error { return side.Delete(key, nil) })
}

func (b *Batch) sideWrite(write func(*pebble.Batch) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return errBatchClosed
	}
	if b.side == nil {
		b.side = b.s.db.NewBatch()
	}
	return write(b.side)
}

// flushSide moves the unindexed writes into the indexed batch, so that
// reads through the batch see them.
func (b *Batch) flushSide() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil || b.side == nil || b.side.Empty() {
		return nil
	}
	if err := b.b.Apply(b.side, nil); err != nil {
		return err
	}
	b.side.Reset()
	return nil
}

// onClose registers f to run when the batch commits or is closed.
func (b *Batch) onClose(f func(committed bool)) {
	b.mu.Lock()
	b.hooks = append(b.hooks, f)
	b.mu.Unlock()
}

// beforeClose registers f to run before the batch commits or closes.
func (b *Batch) beforeClose(f func()) {
	b.mu.Lock()
	b.preHooks = append(b.preHooks, f)
	b.mu.Unlock()
}

func (b *Batch) runPreHooks() {
	b.mu.Lock()
	hooks := b.preHooks
	b.preHooks = nil
	b.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}

func (b *Batch) runHooks(committed bool) {
	b.mu.Lock()
	hooks := b.hooks
	b.hooks = nil
	b.mu.Unlock()
	for _, f := range hooks {
		f(committed)
	}
}

// NewBatch returns an indexed batch that can read its own writes.
func (s *Store) NewBatch() *Batch {
	return &Batch{s: s, b: s.db.NewIndexedBatch(), token: &commitToken{}}
}

// NewChild returns an indexed batch whose writes commit atomically with
// b's: they join b's commit, and are discarded if b is closed without
// committing. It lets several actors of one dataflow write one epoch in
// parallel, each through its own batch. A child's reads see the committed
// state and its own writes, not b's or its siblings'; its commit and close
// hooks run with b's. A child must not be used once b is committed or
// closed, nor committed by itself.
func (b *Batch) NewChild() *Batch {
	c := b.s.NewBatch()
	b.mu.Lock()
	b.children = append(b.children, c)
	b.mu.Unlock()
	return c
}

// absorbChildrenLocked moves the children's writes into b's side batch
// (committed with b) and their hooks into b's. Called with b.mu held.
func (b *Batch) absorbChildrenLocked() error {
	children := b.children
	b.children = nil
	for _, c := range children {
		c.runPreHooks()
		c.mu.Lock()
		if c.b == nil {
			c.mu.Unlock()
			continue
		}
		if b.side == nil {
			b.side = b.s.db.NewBatch()
		}
		var err error
		if c.side != nil && !c.side.Empty() {
			err = b.side.Apply(c.side, nil)
		}
		if err == nil && !c.b.Empty() {
			err = b.side.Apply(c.b, nil)
		}
		_ = c.b.Close()
		c.b = nil
		if c.side != nil {
			_ = c.side.Close()
			c.side = nil
		}
		c.token.done.Store(true)
		b.hooks = append(b.hooks, c.hooks...)
		c.hooks = nil
		c.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// NewWriteBatch returns a write-only batch (cheaper; Get and NewIter fail).
func (s *Store) NewWriteBatch() *Batch {
	return &Batch{s: s, b: s.db.NewBatch(), token: &commitToken{}}
}

var errBatchClosed = errors.New("state: batch already committed or closed")

// Set writes key → value. Both slices may be reused after Set returns.
func (b *Batch) Set(key, value []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return errBatchClosed
	}
	return b.b.Set(key, value, nil)
}

// Delete deletes key.
func (b *Batch) Delete(key []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return errBatchClosed
	}
	return b.b.Delete(key, nil)
}

// DeleteRange deletes every key in [start, end).
func (b *Batch) DeleteRange(start, end []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return errBatchClosed
	}
	return b.b.DeleteRange(start, end, nil)
}

// DeleteTable deletes every key of a table (DROP).
func (b *Batch) DeleteTable(tableID uint32) error {
	p := TablePrefix(tableID)
	return b.DeleteRange(p, PrefixEnd(p))
}

// Get implements Reader (indexed batches only).
func (b *Batch) Get(key []byte) ([]byte, io.Closer, bool, error) {
	if b.b == nil {
		return nil, nil, false, errBatchClosed
	}
	return wrapGet(b.b.Get(key))
}

// NewIter implements Reader (indexed batches only). The iterator sees the
// batch's writes made before NewIter, not later ones.
func (b *Batch) NewIter(lower, upper []byte) (*Iter, error) {
	if b.b == nil {
		return nil, errBatchClosed
	}
	it, err := b.b.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &Iter{it: it}, nil
}

// newPooledIter returns a new iterator that sees the batch's writes made
// before the call; it is refreshed by reuse (see CachedBatch.NewIter).
func (b *Batch) newPooledIter(lower, upper []byte) (*Iter, error) {
	if b.b == nil {
		return nil, errBatchClosed
	}
	i := &Iter{}
	it, err := b.b.NewIter(i.boundsOptions(lower, upper))
	if err != nil {
		return nil, err
	}
	i.it = it
	return i, nil
}

// boundsOptions copies lower and upper into the iterator's spare bounds
// buffer and returns options using the copies.
func (i *Iter) boundsOptions(lower, upper []byte) *pebble.IterOptions {
	buf := append(append(i.bounds[i.bi][:0], lower...), upper...)
	i.bounds[i.bi] = buf
	i.bi = 1 - i.bi
	o := &pebble.IterOptions{}
	if lower != nil {
		o.LowerBound = buf[:len(lower):len(lower)]
	}
	if upper != nil {
		o.UpperBound = buf[len(lower):]
	}
	return o
}

// reuse repositions a pooled iterator on new bounds, refreshing its view
// of the batch's writes.
func (i *Iter) reuse(lower, upper []byte) {
	i.err = nil
	i.it.SetOptions(i.boundsOptions(lower, upper))
}

// Len returns the size in bytes of the batch's encoded writes.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return 0
	}
	n := b.b.Len()
	if b.side != nil {
		n += b.side.Len()
	}
	return n
}

// Count returns the number of writes in the batch.
func (b *Batch) Count() uint32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return 0
	}
	n := b.b.Count()
	if b.side != nil {
		n += b.side.Count()
	}
	return n
}

// Commit applies the batch atomically and releases it. With sync (and the
// store's DisableSync off) the commit is durable on disk when Commit returns.
// Commit on a closed batch fails.
func (b *Batch) Commit(sync bool) error {
	b.runPreHooks()
	if err := b.commit(sync); err != nil {
		return err
	}
	b.runHooks(true)
	return nil
}

func (b *Batch) commit(sync bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return errBatchClosed
	}
	wo := pebble.NoSync
	if sync && !b.s.opts.DisableSync {
		wo = pebble.Sync
	}
	if b.hasEpoch {
		// Serialize epoch commits so committedEpoch only moves forward in
		// commit order.
		b.s.epochMu.Lock()
		defer b.s.epochMu.Unlock()
	}
	if err := b.absorbChildrenLocked(); err != nil {
		return err
	}
	commit := b.b
	if b.side != nil && !b.side.Empty() {
		// The unindexed writes go first: a key written there and later
		// through the index (its table having left the cache meanwhile)
		// ends with the later value.
		if err := b.side.Apply(b.b, nil); err != nil {
			return err
		}
		commit = b.side
	}
	if err := commit.Commit(wo); err != nil {
		return err
	}
	if b.hasEpoch && b.epoch > b.s.committedEpoch.Load() {
		b.s.committedEpoch.Store(b.epoch)
	}
	b.token.done.Store(true)
	err := b.b.Close()
	b.b = nil
	if b.side != nil {
		if cerr := b.side.Close(); err == nil {
			err = cerr
		}
		b.side = nil
	}
	return err
}

// CommitNoSyncWait applies the batch, which makes it visible to reads at
// once, and returns a function that waits until it is durable. A writer
// that releases its locks before waiting lets the next writers apply
// theirs meanwhile, and the WAL syncs them together (group commit:
// concurrent statements share one fsync). The batch must not be used
// after; wait must be called exactly once.
func (b *Batch) CommitNoSyncWait() (wait func() error, err error) {
	if b.s.opts.DisableSync || b.hasEpoch {
		return func() error { return nil }, b.Commit(true)
	}
	b.runPreHooks()
	b.mu.Lock()
	if b.b == nil {
		b.mu.Unlock()
		return nil, errBatchClosed
	}
	if err := b.absorbChildrenLocked(); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	commit := b.b
	if b.side != nil && !b.side.Empty() {
		if err := b.side.Apply(b.b, nil); err != nil {
			b.mu.Unlock()
			return nil, err
		}
		commit = b.side
	}
	if err := b.s.db.ApplyNoSyncWait(commit, pebble.Sync); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	indexed, side := b.b, b.side
	b.b, b.side = nil, nil
	b.token.done.Store(true)
	b.mu.Unlock()
	b.runHooks(true)
	return func() error {
		err := commit.SyncWait()
		_ = indexed.Close()
		if side != nil {
			_ = side.Close()
		}
		return err
	}, nil
}

// Close releases the batch without committing it (a no-op after Commit).
func (b *Batch) Close() error {
	b.runPreHooks()
	b.mu.Lock()
	children := b.children
	b.children = nil
	b.mu.Unlock()
	for _, c := range children {
		_ = c.Close()
	}
	b.mu.Lock()
	if b.b == nil {
		b.mu.Unlock()
		return nil
	}
	err := b.b.Close()
	b.b = nil
	if b.side != nil {
		_ = b.side.Close()
		b.side = nil
	}
	b.mu.Unlock()
	b.runHooks(false)
	return err
}
