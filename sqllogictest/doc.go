// Package sqllogictest runs sqllogictest files (the SQLite corpus format
// plus the sqllogictest-rs extensions) against a server that speaks the
// PostgreSQL wire protocol, using pgx with the simple query protocol.
//
// Supported records: statement ok|error [pattern]|count N, query <types>
// [nosort|rowsort|valuesort] [label] with "----" results (one value per
// line, one row per line, or "N values hashing to <md5>"), query error
// [pattern], hash-threshold N, skipif/onlyif (this engine's label is
// "postgresql"), halt, include <glob>, control sortmode, connection NAME
// (for the next record only, as in sqllogictest-rs), retry N backoff D
// (as a suffix of statement/query or on its own line before a record),
// sleep D and # comments.
//
// Values print as the original SQLite runner prints them: see FormatValue.
//
// Three modes: "batch" runs the file as written; "view" also creates each
// query as a materialized view, reads it back and compares it; and
// "incremental" creates each query's materialized view as soon as the
// tables it reads exist, so the view is maintained through the file's
// writes, and compares its contents at the query's place. A view whose
// creation fails with SQLSTATE 0A000 counts the record as skipped by mode.
//
// Records whose expectations differ from PostgreSQL semantics are listed,
// with reasons, in skiplist.txt (see SkipList). Main implements the
// "streamsql slt" command; Run is the library entry point.
package sqllogictest
