// Package bench holds the end-to-end benchmarks of streamsql: the same SQL
// run over the PostgreSQL wire protocol (pgx) against an in-process
// streamsql server and, side by side, against a real PostgreSQL server.
//
// The workloads, on a table src of 1M rows
// (id bigint primary key, k int, k2 int, v double precision, s text) and a
// table dim of 100k rows (id bigint primary key, w double precision):
//
//	BenchmarkInsertSelect1M    INSERT INTO dst SELECT * FROM src            (rows/s)
//	BenchmarkGroupBy1M         SELECT k, count(*), sum(v), avg(v) FROM src GROUP BY k   (1000 groups)
//	BenchmarkHashJoin1Mx100k   SELECT count(*), sum(a.v + b.w) FROM src a JOIN dim b ON a.k2 = b.id
//	BenchmarkPointSelect       SELECT v FROM src WHERE id = $1, prepared, random ids;
//	                           /streamsql and /postgres from one connection,
//	                           /streamsql-4conns and /postgres-4conns from 4 concurrent ones.
//	                           One benchmark iteration is 1,000 lookups (see us/lookup, lookups/s).
//
// Each benchmark has a /streamsql sub-benchmark and a /postgres one; the
// latter is skipped unless STREAMSQL_BENCH_PG_URL names a PostgreSQL
// database. Data is generated server-side by identical SQL on both engines
// (a cross join of a 1000-row table with itself) and loaded once per
// process, outside the timers; every benchmark checks its results against
// values computed in Go and fails if they are wrong.
//
// Run the benchmarks (loading 1M rows takes a while; one iteration each is
// enough for the bulk queries):
//
//	go test ./bench/ -run XXX -bench . -benchtime 1x
//
// and with PostgreSQL side by side, e.g. using a throw-away server:
//
//	url=$(/work/shared/tools/pg-temp start 55491)
//	STREAMSQL_BENCH_PG_URL=$url go test ./bench/ -run XXX -bench . -benchtime 1x
//	/work/shared/tools/pg-temp stop 55491
//
// The PostgreSQL side works in its own schemas (streamsql_bench_1000000,
// streamsql_bench_10000), dropped and recreated by every run.
//
// Plain `go test ./bench/` runs only TestBenchQueriesAgree: the same
// queries at 10k rows, checked against the expected values and, when
// STREAMSQL_BENCH_PG_URL is set, against PostgreSQL's answers.
package bench
