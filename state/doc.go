// Package state is streamsql's storage layer: an embedded Pebble store, the
// key and value encodings of rows, and the per-epoch state tables used by the
// streaming runtime.
//
// # Key layout
//
// Every key in the store is
//
//	tableID uint32 big-endian | vnode uint16 big-endian | memcomparable key
//
// Table ids below FirstUserTableID are reserved: SystemTableID (0) holds
// metadata such as the committed epoch and source offsets (see SystemKey),
// CatalogTableID (1) is for the catalog's durable object definitions.
// The vnode (0 ≤ vnode < VNodeCount) is VNodeOf(HashDatums(distribution key)),
// so state is partitioned by vnode and an actor owning a set of vnodes reads
// and writes disjoint key ranges.
//
// # Memcomparable keys
//
// AppendKey encodes one datum so that bytes.Compare of two encodings orders
// them like the values (types.Compare), ascending or descending. Each datum
// starts with a marker byte: by default NULL sorts FIRST in ascending order
// and LAST in descending order; AppendKeyNulls places NULLs explicitly
// (PostgreSQL's default is NULLS LAST for ASC, NULLS FIRST for DESC).
// A descending encoding is the bitwise complement of the ascending one; every
// per-type encoding is prefix-free so complementing reverses the order and
// concatenations of encoded columns compare column by column.
//
// Per type: bool 1 byte; every integer-like type (ints, date, time,
// timestamps) 8 bytes sign-flipped big-endian; floats 8 bytes with the IEEE
// sign trick, -0 encoded as 0 and every NaN as one value above +Inf; numeric
// as a class byte (-Inf, negative, zero, positive, +Inf, NaN) then a
// 4-byte adjusted exponent and base-100 digit pairs (complemented for
// negatives) — so 1.5 and 1.50 encode identically and decoding a key yields
// the normalized value (numeric(p,s) columns get their scale back); text,
// bytea and jsonb as escaped bytes (0x00 → 0x00 0xFF, terminated by 0x00
// 0x01); interval by its 128-bit total span (months = 30 days, days = 24 h,
// as PostgreSQL compares) followed by months and days, so distinct intervals
// of equal span (1 mon / 30 days) are distinct keys ordered by components.
// Jsonb keys order by canonical text, not by PostgreSQL's jsonb ordering.
//
// # Values
//
// AppendRow/DecodeRow encode a whole row compactly: column count, null
// bitmap, then fixed-width numbers and length-prefixed bytes. A row with fewer
// columns than the schema decodes the missing trailing columns as NULL (ALTER
// TABLE ADD COLUMN). DecodeRow's []byte values alias the input buffer;
// DecodeRowCopy does not.
//
// # Epochs, state tables and visibility
//
// A StateTable buffers an operator's writes of the current epoch in an
// in-memory sorted mem-table; reads (Get, Iter) merge the mem-table over the
// committed state, so an operator always reads its own writes. When the
// barrier of epoch e passes the operator, it calls Flush(b) with the epoch's
// Batch: the mem-table's changes are written into b and the mem-table is
// frozen (still read, below newer writes) until b is committed, after which
// the committed store serves those keys. The coordinator, once every actor
// has flushed epoch e, calls SetCommittedEpoch(b, e) and SetSourceOffset(b,
// ...) on the same batch and commits it: that single atomic Pebble commit is
// the unit of recovery. After a restart, Store.CommittedEpoch and
// Store.SourceOffsets say where to resume; state written by any later,
// uncommitted epoch was never in the store.
//
// Reads from SQL use Store.NewSnapshot, which sees a consistent cut: exactly
// the epochs committed when it was taken.
package state
