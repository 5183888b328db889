// Package scalar implements streamsql's vectorized scalar expressions: the
// expression nodes that the binder builds (function calls, casts, boolean
// logic, CASE, IN, subqueries, parameters), the catalogue of built-in
// operators and functions with their kernels, and PostgreSQL-style overload
// resolution (Resolve).
//
// Every node implements exec.Expr. Eval computes only the rows visible in
// the input chunk (its selection, or every row); rows a filter, a
// short-circuiting AND/OR or an untaken CASE branch hides are never
// computed, so they can never raise an error.
//
// Output vectors are owned by the node that produced them and are reused on
// the node's next Eval call: a consumer must finish with (or copy) a result
// before evaluating the same node again. For the same reason a node instance
// must appear at most once in an expression tree (build distinct nodes for
// repeated subexpressions; Rewrite copies nodes it changes).
//
// Semantics, result types and error messages follow PostgreSQL 15. Errors a
// user can cause are *types.Error carrying the SQLSTATE PostgreSQL reports.
package scalar
