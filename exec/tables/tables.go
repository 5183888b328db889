// Package tables stores SQL tables and their secondary indexes in the state
// store and reads them back as chunks.
//
// Layout (see DESIGN.md): a row lives at
//
//	table id | vnode | memcomparable primary key  →  encoded row
//
// with vnode = hash(primary key) mod state.VNodeCount, and an index entry at
//
//	index id | vnode | memcomparable index columns | memcomparable pk  →  ""
//
// with vnode = hash(index columns), so an equality lookup on every index
// column touches one vnode and other lookups visit each vnode in turn.
package tables

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Desc describes a table's physical layout (a catalog-independent view of
// its definition).
type Desc struct {
	ID       uint32
	Name     string
	ColNames []string
	Types    []types.T
	PK       []int
	Indexes  []IndexDesc
}

// IndexDesc describes one secondary index.
type IndexDesc struct {
	ID     uint32
	Name   string
	Cols   []int
	Desc   []bool
	Unique bool
}

// Store gives access to the tables kept in a state store.
type Store struct {
	st *state.Store
}

// NewStore wraps st.
func NewStore(st *state.Store) *Store { return &Store{st: st} }

func pkTypes(d *Desc) []types.T {
	ts := make([]types.T, len(d.PK))
	for i, c := range d.PK {
		ts[i] = d.Types[c]
	}
	return ts
}

func pick(row []types.Datum, cols []int) []types.Datum {
	out := make([]types.Datum, len(cols))
	for i, c := range cols {
		out[i] = row[c]
	}
	return out
}

func pickTypes(ts []types.T, cols []int) []types.T {
	out := make([]types.T, len(cols))
	for i, c := range cols {
		out[i] = ts[c]
	}
	return out
}

// rowKey is the primary-key key of row (the full row or just its pk values
// when pkOnly is set).
func rowKey(buf []byte, d *Desc, pkVals []types.Datum) []byte {
	ts := pkTypes(d)
	vnode := state.VNodeOf(state.HashDatums(ts, pkVals))
	buf = append(buf, state.VNodePrefix(d.ID, vnode)...)
	for i, v := range pkVals {
		buf = state.AppendKey(buf, ts[i], v, false)
	}
	return buf
}

// indexPrefix encodes the vnode prefix and the given leading index values.
func indexPrefix(buf []byte, d *Desc, ix *IndexDesc, vnode uint16, vals []types.Datum) []byte {
	buf = append(buf, state.VNodePrefix(ix.ID, vnode)...)
	for i, v := range vals {
		buf = state.AppendKey(buf, d.Types[ix.Cols[i]], v, ix.Desc[i])
	}
	return buf
}

func indexVNode(d *Desc, ix *IndexDesc, vals []types.Datum) uint16 {
	return state.VNodeOf(state.HashDatums(pickTypes(d.Types, ix.Cols), vals))
}

// indexKey is the full key of row's entry in ix.
func indexKey(buf []byte, d *Desc, ix *IndexDesc, row []types.Datum) []byte {
	vals := pick(row, ix.Cols)
	buf = indexPrefix(buf, d, ix, indexVNode(d, ix, vals), vals)
	for _, c := range d.PK {
		buf = state.AppendKey(buf, d.Types[c], row[c], false)
	}
	return buf
}

// keyText renders "(a, b)=(1, 2)" for constraint violation details.
func keyText(d *Desc, cols []int, row []types.Datum) string {
	names := make([]string, len(cols))
	vals := make([]string, len(cols))
	for i, c := range cols {
		names[i] = d.ColNames[c]
		if row[c].Null {
			vals[i] = "null"
		} else {
			vals[i] = string(types.AppendText(nil, d.Types[c], row[c]))
		}
	}
	return fmt.Sprintf("(%s)=(%s)", strings.Join(names, ", "), strings.Join(vals, ", "))
}

func uniqueViolation(constraint, detail string) error {
	e := types.Errorf(types.CodeUniqueViolation, "duplicate key value violates unique constraint %q", constraint)
	e.Detail = "Key " + detail + " already exists."
	return e
}

// DropTable deletes every row and index entry of the table.
func (s *Store) DropTable(d *Desc) error {
	b := s.st.NewBatch()
	defer b.Close()
	p := state.TablePrefix(d.ID)
	if err := b.DeleteRange(p, state.PrefixEnd(p)); err != nil {
		return err
	}
	for _, ix := range d.Indexes {
		p := state.TablePrefix(ix.ID)
		if err := b.DeleteRange(p, state.PrefixEnd(p)); err != nil {
			return err
		}
	}
	return b.Commit(true)
}

// DropIndex deletes an index's entries.
func (s *Store) DropIndex(d *Desc, indexID uint32) error {
	b := s.st.NewBatch()
	defer b.Close()
	p := state.TablePrefix(indexID)
	if err := b.DeleteRange(p, state.PrefixEnd(p)); err != nil {
		return err
	}
	return b.Commit(true)
}
