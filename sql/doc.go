// Package sql is streamsql's PostgreSQL-dialect SQL front-end: it turns
// statement text into Statement values. No other package parses SQL.
//
// Query bodies (SELECT, set operations, VALUES, INSERT, UPDATE, DELETE) are
// parsed by TiDB's parser. PostgreSQL syntax that TiDB (a MySQL dialect)
// cannot parse is handled by this package's PostgreSQL lexer, which rewrites
// the token stream into TiDB-parsable text before parsing. Unquoted
// identifiers are folded to lower case by the lexer, quoted ones are kept
// exactly, so every name in the returned ASTs is the PostgreSQL name.
//
// Constructs TiDB has no syntax for are encoded as calls of marker functions
// whose names start with "__pg_". The binder never matches those names
// itself; it uses the decoders exported here:
//
//	__pg_cast(expr, 'type')        AsCast       expr::type, CAST(expr AS type), typed literals
//	__pg_param(n)                  AsParam      $n
//	__pg_full_join(cond)           IsFullJoin   a FULL JOIN b ON cond (emitted as LEFT JOIN)
//	__pg_using(a, ...)             AsUsing      a FULL JOIN b USING (a, ...), inside __pg_full_join
//	__pg_nulls_first(x)            AsNullsOrder ORDER BY x NULLS FIRST
//	__pg_nulls_last(x)             AsNullsOrder ORDER BY x NULLS LAST
//	__pg_is_distinct(a, b)         AsIsDistinct a IS DISTINCT FROM b
//	__pg_is_not_distinct(a, b)     AsIsDistinct a IS NOT DISTINCT FROM b
//	__pg_distinct_on(e1, ...)      AsDistinctOn SELECT DISTINCT ON (e1, ...)
//	__pg_filter(cond)              AsFilter     agg(...) FILTER (WHERE cond), appended as last argument
//	__pg_window('kind', col, ...)  AsWindowTVF  TUMBLE/HOP/SESSION table functions in FROM
//	__pg_partition_by(k, ...)      AsWindowTVF  its last argument for SESSION(rel PARTITION BY k, ...)
//	__pg_table_func('f', args...)  AsTableFunc  other functions in FROM (generate_series(1, 3) AS g(n))
//	__pg_col_aliases('a', ...)     AsColumnAliases  FROM rel AS x(a, ...)
//	__pg_op('op', l, r)            AsOperator   l -> r, l ->> r, #> #>> @> <@ ? ?| ?& (jsonb), l ~* r, l !~* r;
//	                                            a[i] as op '[]' (the binder turns (regexp_match(s, p))[n]
//	                                            and other subscripted array functions into one scalar call)
//	__pg_concat(a, ...)            (by name)    the function concat(a, ...); TiDB's concat(a, b) is a || b
//	max(__pg_wagg('f', args...))  AsWindowAgg  f(args) OVER (...) for string_agg, bool_and, bool_or, every, array_agg
//	__pg_symmetric(lo)             AsSymmetric  x BETWEEN SYMMETRIC lo AND hi (the low bound)
//	f(__pg_distinct(a), ...)       AsDistinctArg  string_agg(DISTINCT a, ...) and other calls TiDB does not see as aggregates
//	__pg_agg_order(x, ...)         AsAggOrder   string_agg(s, ',' ORDER BY x DESC), with __pg_desc(x)
//	rel AS OF TIMESTAMP __pg_proctime()  AsTemporalTable  rel FOR SYSTEM_TIME AS OF PROCTIME() (temporal join)
//
// Other rewrites produce ordinary TiDB syntax: a ^ b becomes power(a, b),
// # (bitwise XOR) becomes MySQL's ^, x AT TIME ZONE z becomes timezone(z, x),
// x ISNULL / x NOTNULL become IS [NOT] NULL, ~~ and !~~ become LIKE and NOT LIKE, ~ and !~ become REGEXP and NOT REGEXP,
// EXTRACT(field FROM x) becomes date_part('field', x), LIMIT ALL and OFFSET
// without LIMIT use LIMIT 18446744073709551615, FETCH FIRST n ROWS ONLY
// becomes LIMIT n, and a standalone VALUES list becomes a UNION ALL of
// SELECTs with columns named column1..columnN.
//
// Streaming and DDL statements (CREATE TABLE/SOURCE/SINK/VIEW/INDEX, DROP,
// SET, SHOW, ...) are parsed by a small recursive-descent parser here.
package sql
