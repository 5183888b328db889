// Package stream implements the incremental operators that maintain
// materialized views: Filter, Project, UnionAll, HashAgg, HashJoin,
// LookupJoin, Distinct, SetOp (INTERSECT/EXCEPT), TopN, Session,
// Materialize and LateFilter, plus MaterializedScan, the batch operator
// that reads a view back.
//
// # Delta model
//
// Operators are push-based (Operator.Push). A delta is an *exec.Chunk whose
// Ops say what happened to each visible row: OpInsert and OpUpdateInsert add
// one occurrence of the row, OpDelete and OpUpdateDelete remove one (Ops nil
// means all inserts). Relations are multisets: a row may occur several
// times, and a delete removes one occurrence. Because update pairs are
// treated as a delete plus an insert, every operator normalises the ops it
// emits to OpInsert/OpDelete, and a filter that keeps only one half of a
// U-/U+ pair needs no special case. Within one chunk, rows are applied in
// order; an operator emits, for each input chunk, deltas whose sum turns its
// previous output into its new output (it may emit a Delete and an Insert of
// the same row, never a delete of a row it has not emitted).
//
// The invariant every operator keeps, and the randomized differential tests
// check, is: after any sequence of deltas, the multiset sum of everything an
// operator emitted equals the batch query's result over the multiset sum of
// everything it received.
//
// # State
//
// Stateful operators keep their state in a State (normally the statement's
// indexed Pebble batch, adapted by NewBatchState), so a view's state changes
// commit atomically with the table write that caused them, and survive a
// restart. The caller hands each stateful operator its own state table id.
// Every key starts with state.VNodePrefix(tableID, vnode), the vnode being
// state.VNodeOf(state.HashDatums(...)) of the operator's distribution key
// (the group, the join key, the row), followed by memcomparable encodings.
// Multiset values are a uvarint count followed by state.AppendRow of the
// row itself: memcomparable keys normalise some values (1.50 and 1.5 are one
// key), so rows are always decoded from the value, keeping the
// representation of the first occurrence stored.
//
//	Materialize  id | vnode(row) | row                        → count ++ row
//	HashAgg      id | vnode(group) | group                    → [rows] ++ group ++ accumulators
//	             id | vnode(group) | group | u16 agg | args   → count ++ args   (min/max, string_agg, DISTINCT)
//	Distinct     id | vnode(row) | row                        → count ++ row
//	HashJoin     id | vnode(key) | side byte | key | row      → count ++ matches ++ row
//	TopN         id | vnode(group) | group | 0x00 | sortkey | row → count ++ row   (input multiset)
//	             id | vnode(group) | group | 0x01 | sortkey | row → count ++ row   (emitted window)
//	Session      id | vnode(partition) | partition | time | row → count ++ row
//	TemporalFilter id | vnode(row) | memcmp(time) | row         → count
//	LookupJoin   id | vnode(left) | left row | 0 or 1 | table row → count   (retractable left input only)
//
// A delete of a row an operator does not hold fails with SQLSTATE XX000:
// it can only come from a bug or corrupted state, never from user input.
//
// # Update rules
//
//   - Filter, Project, UnionAll: stateless, row by row.
//   - HashAgg: rows of a chunk are bucketed by group; for each touched group
//     the old output row is computed from state, the rows are folded into
//     the (retractable) accumulators, and Delete(old)/Insert(new) are
//     emitted unless the row did not change. A group whose row count reaches
//     0 is deleted; a global aggregation always has one row (InitialOutput).
//   - HashJoin: a delta on one side is matched against the other side's
//     current state and emitted with its own sign, then applied to its own
//     side; outer, semi and anti joins track per stored row how many rows of
//     the other side it matches, and emit or retract the NULL-extended (or
//     semi/anti) row when that count moves between 0 and 1.
//   - Distinct: a row's count moving 0→1 emits an Insert, 1→0 a Delete.
//   - TopN: after each chunk, every touched group's window [offset,
//     offset+limit) is recomputed from the ordered input multiset and diffed
//     against the stored emitted window.
//   - LookupJoin (JOIN t FOR SYSTEM_TIME AS OF PROCTIME()): a left row is
//     joined with t's row by primary key as t is then (read from the
//     batch, not through the state cache); t is no input, so its changes
//     never touch earlier output; a delete retracts what the row produced.
//   - TemporalFilter (col > now() - I): passes rows above the bound and
//     stores them by time; Tick, driven by the engine's clock, deletes
//     (and emits the deletes of) the rows the bound has reached.
//
// # Watermarks
//
// Besides deltas, operators receive watermarks (Watermark, delivered with
// PushWatermark to operators implementing WatermarkHandler): a promise that
// no later row has a column below a value. A LateFilter after the source
// enforces it; HashAgg uses it to delete the state of groups that can no
// longer change and, in EMIT ON WINDOW CLOSE mode, to emit each window's
// final row once; inner HashJoins on a window column delete both sides'
// state below it, and inner interval joins (SetIntervalBounds) the rows
// their time bounds make unreachable. See Watermark for how each operator
// propagates them.
package stream
