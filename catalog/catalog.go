// Package catalog holds the durable definitions of every database object
// (tables, views, materialized views, indexes, sources, sinks), allocates
// their ids and answers name lookups. Definitions are persisted as JSON under
// system keys through a small KV interface (implemented over state/ by the
// engine), so the catalog survives restarts together with the data.
package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/types"
)

// Kind is the kind of a catalog object.
type Kind string

const (
	KindTable            Kind = "table"
	KindView             Kind = "view"
	KindMaterializedView Kind = "materialized view"
	KindSource           Kind = "source"
	KindSink             Kind = "sink"
)

// Column is one column of a relation.
type Column struct {
	Name    string  `json:"name"`
	Type    types.T `json:"type"`
	NotNull bool    `json:"not_null,omitempty"`
	// Default is the DEFAULT expression's SQL text ("" = NULL).
	Default string `json:"default,omitempty"`
	// Hidden columns (the implicit _row_id of a table without a primary
	// key) are stored but not expanded by SELECT *.
	Hidden bool `json:"hidden,omitempty"`
	// Proctime marks a column declared AS PROCTIME(): filled with the
	// processing time when a row is ingested (connector or INSERT).
	Proctime bool `json:"proctime,omitempty"`
}

// Watermark is WATERMARK FOR Column AS Expr: after each chunk the source
// emits max(Expr) over the rows seen, and rows whose Column is below it are
// late.
type Watermark struct {
	Column string `json:"column"`
	Expr   string `json:"expr"` // SQL text over the relation's columns
}

// Index is a secondary index on a table.
type Index struct {
	ID      uint32 `json:"id"`
	Name    string `json:"name"`
	Columns []int  `json:"columns"` // ordinals in the table
	Desc    []bool `json:"desc"`
	Unique  bool   `json:"unique,omitempty"`
}

// Relation is a table, view, materialized view, source or sink.
type Relation struct {
	ID      uint32   `json:"id"`
	Name    string   `json:"name"`
	Kind    Kind     `json:"kind"`
	Columns []Column `json:"columns"`
	// PK lists the primary-key column ordinals (for a table without a
	// declared key: the hidden _row_id column).
	PK         []int    `json:"pk,omitempty"`
	DeclaredPK bool     `json:"declared_pk,omitempty"`
	Indexes    []*Index `json:"indexes,omitempty"`
	// SQL is the defining query of a view or materialized view, or the
	// original CREATE statement of a source or sink.
	SQL        string            `json:"sql,omitempty"`
	AppendOnly bool              `json:"append_only,omitempty"`
	With       map[string]string `json:"with,omitempty"`
	// DependsOn lists the ids of the relations a view reads.
	DependsOn []uint32 `json:"depends_on,omitempty"`
	// Watermark is a source's or table's WATERMARK FOR clause.
	Watermark *Watermark `json:"watermark,omitempty"`
	// EmitOnWindowClose marks a view that emits only final window rows.
	EmitOnWindowClose bool `json:"emit_on_window_close,omitempty"`
	// StateIDs are the state tables of a materialized view's operators, in
	// the order the planner allocates them (the view's own rows live
	// under the view's id).
	StateIDs []uint32 `json:"state_ids,omitempty"`
}

// VisibleColumns returns the ordinals of the non-hidden columns.
func (r *Relation) VisibleColumns() []int {
	out := make([]int, 0, len(r.Columns))
	for i, c := range r.Columns {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

// ColumnIndex returns the ordinal of the named column or -1.
func (r *Relation) ColumnIndex(name string) int {
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Types returns the column types.
func (r *Relation) Types() []types.T {
	ts := make([]types.T, len(r.Columns))
	for i, c := range r.Columns {
		ts[i] = c.Type
	}
	return ts
}

// KV is the durable storage the catalog writes its definitions to.
type KV interface {
	// PutMeta stores value under key durably (synced) before returning.
	PutMeta(key string, value []byte) error
	DeleteMeta(key string) error
	// ScanMeta calls f for every key with the given prefix.
	ScanMeta(prefix string, f func(key string, value []byte) error) error
}

// Catalog is the set of object definitions. It is safe for concurrent use.
type Catalog struct {
	mu     sync.RWMutex
	kv     KV
	byName map[string]*Relation
	byID   map[uint32]*Relation
	nextID uint32
	// version changes with every definition change, so prepared statements
	// know to bind again.
	version atomic.Uint64
}

// Version identifies the current set of definitions.
func (c *Catalog) Version() uint64 { return c.version.Load() }

const (
	objPrefix  = "catalog/obj/"
	nextIDKey  = "catalog/next_id"
	firstObjID = 1000 // ids below are reserved for system tables
)

// Open loads the catalog from kv.
func Open(kv KV) (*Catalog, error) {
	c := &Catalog{kv: kv, byName: map[string]*Relation{}, byID: map[uint32]*Relation{}, nextID: firstObjID}
	err := kv.ScanMeta(objPrefix, func(_ string, v []byte) error {
		var r Relation
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("catalog: corrupt definition: %w", err)
		}
		c.byName[r.Name] = &r
		c.byID[r.ID] = &r
		for _, ix := range r.Indexes {
			if ix.ID >= c.nextID {
				c.nextID = ix.ID + 1
			}
		}
		if r.ID >= c.nextID {
			c.nextID = r.ID + 1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = kv.ScanMeta(nextIDKey, func(_ string, v []byte) error {
		var n uint32
		if err := json.Unmarshal(v, &n); err == nil && n > c.nextID {
			c.nextID = n
		}
		return nil
	})
	return c, err
}

// AllocID reserves a fresh object id (for relations, indexes and internal
// state tables). Ids are never reused, even after a crash.
func (c *Catalog) AllocID() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.allocLocked()
}

func (c *Catalog) allocLocked() (uint32, error) {
	id := c.nextID
	c.nextID++
	b, _ := json.Marshal(c.nextID)
	if err := c.kv.PutMeta(nextIDKey, b); err != nil {
		c.nextID--
		return 0, err
	}
	return id, nil
}

// Get returns the relation with the given name, or nil.
func (c *Catalog) Get(name string) *Relation {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byName[name]
}

// GetByID returns the relation with the given id, or nil.
func (c *Catalog) GetByID(id uint32) *Relation {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

// List returns every relation, sorted by name.
func (c *Catalog) List() []*Relation {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Relation, 0, len(c.byName))
	for _, r := range c.byName {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FindIndex returns the relation owning the named index and the index.
func (c *Catalog) FindIndex(name string) (*Relation, *Index) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, r := range c.byName {
		for _, ix := range r.Indexes {
			if ix.Name == name {
				return r, ix
			}
		}
	}
	return nil, nil
}

// Create adds r (with r.ID already allocated) and persists it. Index names
// share the relation namespace as in PostgreSQL.
func (c *Catalog) Create(r *Relation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkNameFreeLocked(r.Name); err != nil {
		return err
	}
	if err := c.persistLocked(r); err != nil {
		return err
	}
	c.byName[r.Name] = r
	c.byID[r.ID] = r
	return nil
}

func (c *Catalog) checkNameFreeLocked(name string) error {
	if _, ok := c.byName[name]; ok {
		return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
	}
	for _, r := range c.byName {
		for _, ix := range r.Indexes {
			if ix.Name == name {
				return types.Errorf(types.CodeDuplicateTable, "relation %q already exists", name)
			}
		}
	}
	return nil
}

func (c *Catalog) persistLocked(r *Relation) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	c.version.Add(1)
	return c.kv.PutMeta(objKey(r.ID), b)
}

func objKey(id uint32) string { return fmt.Sprintf("%s%010d", objPrefix, id) }

// Update replaces the stored definition of an existing relation with r
// (same id and name). Callers pass a modified copy: relations handed out by
// Get must be treated as immutable.
func (c *Catalog) Update(r *Relation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byID[r.ID]
	if old == nil {
		return types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", r.Name)
	}
	if old.Name != r.Name {
		if err := c.checkNameFreeLocked(r.Name); err != nil {
			return err
		}
	}
	if err := c.persistLocked(r); err != nil {
		return err
	}
	delete(c.byName, old.Name)
	c.byName[r.Name] = r
	c.byID[r.ID] = r
	return nil
}

// AddIndex validates and attaches ix to the table, persisting the change.
func (c *Catalog) AddIndex(table string, ix *Index) (*Relation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.byName[table]
	if r == nil {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", table)
	}
	if err := c.checkNameFreeLocked(ix.Name); err != nil {
		return nil, err
	}
	nr := *r
	nr.Indexes = append(append([]*Index(nil), r.Indexes...), ix)
	if err := c.persistLocked(&nr); err != nil {
		return nil, err
	}
	c.byName[nr.Name] = &nr
	c.byID[nr.ID] = &nr
	return &nr, nil
}

// DropIndex removes the named index from its table.
func (c *Catalog) DropIndex(name string) (*Relation, *Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.byName {
		for i, ix := range r.Indexes {
			if ix.Name != name {
				continue
			}
			nr := *r
			nr.Indexes = append(append([]*Index(nil), r.Indexes[:i]...), r.Indexes[i+1:]...)
			if err := c.persistLocked(&nr); err != nil {
				return nil, nil, err
			}
			c.byName[nr.Name] = &nr
			c.byID[nr.ID] = &nr
			return &nr, ix, nil
		}
	}
	return nil, nil, types.Errorf(types.CodeUndefinedObject, "index %q does not exist", name)
}

// Dependents returns the relations whose definitions read r, directly.
func (c *Catalog) Dependents(id uint32) []*Relation {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Relation
	for _, r := range c.byName {
		for _, d := range r.DependsOn {
			if d == id {
				out = append(out, r)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Drop removes the relation. It refuses (2BP01) when other relations depend
// on it unless cascade is set, in which case it returns every relation
// removed, dependents first, so the caller can release their storage.
func (c *Catalog) Drop(name string, cascade bool) ([]*Relation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.byName[name]
	if r == nil {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	var order []*Relation
	seen := map[uint32]bool{}
	var visit func(x *Relation) error
	visit = func(x *Relation) error {
		if seen[x.ID] {
			return nil
		}
		seen[x.ID] = true
		for _, d := range c.byName {
			for _, dep := range d.DependsOn {
				if dep != x.ID {
					continue
				}
				if !cascade {
					e := types.Errorf(types.CodeDependentObjects, "cannot drop %s %s because other objects depend on it", x.Kind, x.Name)
					e.Detail = fmt.Sprintf("%s %s depends on %s %s", d.Kind, d.Name, x.Kind, x.Name)
					e.Hint = "Use DROP ... CASCADE to drop the dependent objects too."
					return e
				}
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		order = append(order, x)
		return nil
	}
	if err := visit(r); err != nil {
		return nil, err
	}
	for _, x := range order {
		if err := c.kv.DeleteMeta(objKey(x.ID)); err != nil {
			return nil, err
		}
		delete(c.byName, x.Name)
		delete(c.byID, x.ID)
	}
	c.version.Add(1)
	return order, nil
}

// KindName is the PostgreSQL wording of the kind for error messages
// ("table", "view", ...).
func KindName(k Kind) string { return strings.ToLower(string(k)) }
