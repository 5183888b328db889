// Package batch implements the vectorized relational operators of the batch
// (ad-hoc query) engine: sources (Values, ChunkSource), Project, Filter,
// Limit, Sort, TopN, Distinct, DistinctOn, HashAggregate, HashJoin,
// NestedLoopJoin, SetOp and Window.
//
// Every operator implements exec.Operator. Operators pull chunks of at most
// exec.DefaultChunkSize rows from their inputs and reuse their own output
// chunk between calls to Next, so a returned chunk is valid only until the
// next call. Operators that keep rows across calls (sort buffers, join build
// sides, grouping keys) copy them, including the bytes of text values.
//
// Semantics follow PostgreSQL 15. Grouping, joining, DISTINCT and set
// operations use "not distinct" equality on typed vectors: NULLs group
// together (but never match in an equi-join), -0 equals 0 and NaN equals NaN
// for floats, numerics compare by value (1.0 = 1.00), text and bytea compare
// bytewise and intervals compare by their total span (1 day = 24 hours).
// Hashing runs column at a time over the typed slices, without boxing values
// into datums.
package batch
