// Package exec is the vectorized runtime core: columnar vectors and chunks,
// the Expr and Operator contracts, and the evaluation context. Scalar
// expressions live in exec/scalar and batch operators in exec/batch; both
// work on whole vectors, never a row at a time through interfaces.
package exec
