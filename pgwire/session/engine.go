// Package session is the database engine behind the protocol server: it
// owns the state store, the catalog and the table storage, and runs each
// client's statements (parse, bind, plan, execute) with per-session
// settings and prepared statements. It implements pgwire.Backend.
package session

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/state"
)

// Options configures an Engine.
type Options struct {
	DataDir string
	// InMemory keeps all state in memory (tests); DataDir is ignored.
	InMemory bool
	// StateCacheBytes bounds the memory of the operator state cache
	// (default: the environment's STREAMSQL_STATE_CACHE_MB, else 1 GiB):
	// state of views beyond it is read from Pebble.
	StateCacheBytes int64
	// Now is the clock of now() and of temporal filters (nil: time.Now);
	// TickInterval how often temporal filters expire rows (0: 1 s).
	Now          func() time.Time
	TickInterval time.Duration
	// Parallelism is the number of actors each materialized view runs
	// (0: the environment's STREAMSQL_PARALLELISM, else GOMAXPROCS-1, at
	// least 1).
	Parallelism int
}

// Engine is one database: storage, catalog and the sessions using them.
type Engine struct {
	store  *state.Store
	cat    *catalog.Catalog
	tables *tables.Store
	// writeMu serialises DML and DDL so that constraint checks see every
	// earlier committed write; reads never take it.
	writeMu  sync.Mutex
	sessions atomic.Int64
	rowCount sync.Map // table id -> *atomic.Int64
	rowIDs   rowIDs
	views    views
	sinks    sinks
	wms      watermarks
	// late holds the rows the views' late filters dropped in the batch
	// being built, for the dead-letter table (guarded by writeMu).
	late []lateRow
	// pendingNames reserves the names of views being backfilled.
	pendingNames map[string]uint32
	sources      sourceRunners
	align        sourceAlignment
	// stateCache serves operators' point reads of committed state; every
	// stream.Ctx of the engine reads and writes through it (opState).
	stateCache *state.ReadCache
	clock      func() time.Time
	ticker     temporalTicker
	// parallelism is the number of actors per view (Options.Parallelism).
	parallelism int
}

// defaultStateCacheBytes is the default of Options.StateCacheBytes.
const defaultStateCacheBytes = 1 << 30

// opState returns the stream.State of a dataflow run writing into b.
func (e *Engine) opState(b *state.Batch) *state.CachedBatch { return e.stateCache.Wrap(b) }

// Open opens (creating if needed) the database in opts.DataDir.
func Open(opts Options) (*Engine, error) {
	sopts := state.Options{InMemory: opts.InMemory}
	if !opts.InMemory {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, err
		}
	}
	st, err := state.Open(opts.DataDir, sopts)
	if err != nil {
		return nil, fmt.Errorf("open state store: %w", err)
	}
	cacheBytes := opts.StateCacheBytes
	if mb, err := strconv.ParseInt(os.Getenv("STREAMSQL_STATE_CACHE_MB"), 10, 64); cacheBytes <= 0 && err == nil && mb > 0 {
		cacheBytes = mb << 20
	}
	if cacheBytes <= 0 {
		cacheBytes = defaultStateCacheBytes
	}
	e := &Engine{store: st, tables: tables.NewStore(st), stateCache: state.NewReadCache(cacheBytes), clock: opts.Now, parallelism: opts.Parallelism}
	if e.parallelism <= 0 {
		e.parallelism = defaultParallelism()
	}
	cat, err := catalog.Open(metaKV{st})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	e.cat = cat
	if err := e.loadViews(); err != nil {
		st.Close()
		return nil, fmt.Errorf("load materialized views: %w", err)
	}
	if err := e.loadSinks(); err != nil {
		st.Close()
		return nil, fmt.Errorf("load sinks: %w", err)
	}
	if err := e.restoreWatermarks(); err != nil {
		st.Close()
		return nil, fmt.Errorf("restore watermarks: %w", err)
	}
	if err := e.restoreSinkWatermarks(); err != nil {
		st.Close()
		return nil, fmt.Errorf("restore watermarks: %w", err)
	}
	if err := e.startSources(); err != nil {
		st.Close()
		return nil, err
	}
	e.startSinks()
	e.startTicker(opts.TickInterval)
	return e, nil
}

// Close stops the connectors and closes the store. Sessions must be closed
// first.
func (e *Engine) Close() error {
	e.stopTicker()
	e.stopSources()
	e.stopSinks()
	e.writeMu.Lock()
	for _, rt := range e.views.byID {
		rt.flow.close()
	}
	for _, rt := range e.sinks.byID {
		if rt.flow != nil {
			rt.flow.close()
		}
	}
	e.writeMu.Unlock()
	return e.store.Close()
}

// Catalog returns the engine's catalog.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// Connect implements pgwire.Backend.
func (e *Engine) Connect(ctx context.Context, info pgwire.StartupInfo) (pgwire.Conn, error) {
	e.sessions.Add(1)
	return newSession(e, info), nil
}

// metaKV stores catalog definitions under system keys of the state store.
type metaKV struct{ st *state.Store }

func (m metaKV) PutMeta(key string, value []byte) error {
	b := m.st.NewBatch()
	defer b.Close()
	if err := b.Set(state.SystemKey(key), value); err != nil {
		return err
	}
	return b.Commit(true)
}

func (m metaKV) DeleteMeta(key string) error {
	b := m.st.NewBatch()
	defer b.Close()
	if err := b.Delete(state.SystemKey(key)); err != nil {
		return err
	}
	return b.Commit(true)
}

func (m metaKV) ScanMeta(prefix string, f func(key string, value []byte) error) error {
	lo := state.SystemKey(prefix)
	it, err := m.st.NewIter(lo, state.PrefixEnd(lo))
	if err != nil {
		return err
	}
	defer it.Close()
	base := len(state.SystemKey(""))
	for it.First(); it.Valid(); it.Next() {
		if err := f(string(it.Key()[base:]), append([]byte(nil), it.Value()...)); err != nil {
			return err
		}
	}
	return it.Error()
}
