// Package scalar implements streamsql's vectorized scalar expressions: the
// expression nodes that the binder builds (function calls, casts, boolean
// logic, CASE, IN, subqueries, parameters), the catalogue of built-in
// operators and functions with their kernels, and PostgreSQL-style overload
// resolution (Resolve).
//
// # Evaluation
//
// Every node implements exec.Expr. Eval computes only the rows visible in
// the input chunk (its selection, or every row); rows a filter, a
// short-circuiting AND/OR or an untaken CASE/COALESCE branch hides are never
// computed, so they can never raise an error. AND, OR, CASE and COALESCE
// narrow the selection they pass to later operands.
//
// Output vectors are owned by the node that produced them and are reused on
// the node's next Eval call: a consumer must finish with (or copy) a result
// before evaluating the same node again. For the same reason a node instance
// must appear at most once in an expression tree (build distinct nodes for
// repeated subexpressions; Rewrite copies the nodes it changes).
//
// Strict overloads (Overload.NullCall false) never see NULL arguments: Func
// removes those rows from the selection before calling the kernel. Kernels
// loop over typed slices; the int64 arithmetic and comparison loops have a
// selection-free fast path.
//
// # Building calls
//
// Resolve(name, argTypes) picks an overload and reports the casts its
// arguments need; MakeCall does both and wraps the arguments in Cast nodes.
// Operator names: + - * / % ^ u- u+ (unary), = <> < <= > >=, ||, like,
// "not like", ilike, "not ilike", ~ ~* !~ !~* (regex), & | # << >> ~ (bit
// operations on integers; ~ with one argument), -> ->> (jsonb).
// Aliases accepted by Resolve: ceiling→ceil, pow→power,
// character_length→char_length, substring→substr, trim→btrim,
// current_timestamp/transaction_timestamp/statement_timestamp→now.
//
// Functions: abs ceil floor round trunc sign sqrt cbrt exp ln log log10
// power mod div pi random; length char_length octet_length lower upper
// initcap substr strpos position(string, substring) replace reverse left
// right lpad rpad btrim ltrim rtrim concat concat_ws split_part repeat md5
// to_hex ascii chr starts_with format; now current_date localtimestamp
// clock_timestamp date_trunc extract (numeric) date_part (double precision)
// make_date make_timestamp to_timestamp to_char age justify_hours
// justify_days justify_interval; jsonb_typeof; gen_random_uuid (text).
// COALESCE, NULLIF, GREATEST and LEAST are nodes (NewCoalesce, NewNullIf,
// NewGreatest, NewLeast), as are IN lists and subqueries.
//
// Semantics, result types and error messages follow PostgreSQL 15. Errors a
// user can cause are *types.Error carrying the SQLSTATE PostgreSQL reports.
// Time zones: timestamptz values are handled in UTC.
package scalar
