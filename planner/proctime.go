package planner

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// isProctime reports whether e is a call of proctime().
func isProctime(e exec.Expr) bool {
	f, ok := e.(*scalar.Func)
	return ok && f.O.Name == "proctime"
}

// checkProjectExprs is checkExprs for a view's projection, which may also
// call proctime() (evaluated as each change passes) when its input only
// inserts: a delete would meet a different time than its insert did, and
// its retraction would miss.
func checkProjectExprs(in Node, exprs []exec.Expr) error {
	uses := false
	stripped := make([]exec.Expr, len(exprs))
	for i, e := range exprs {
		stripped[i] = scalar.Rewrite(e, func(x exec.Expr) exec.Expr {
			if isProctime(x) {
				uses = true
				return &exec.Const{Val: types.Null, Typ: x.Type()}
			}
			return x
		})
	}
	if !uses {
		return checkExprs(exprs...)
	}
	if !appendOnly(in) {
		e := types.Errorf(types.CodeFeatureNotSupported, "proctime() in a materialized view needs an append-only input (a source or an APPEND ONLY table)")
		e.Hint = "Declare a column AS PROCTIME() on the table instead: its value is stored with the row."
		return e
	}
	return checkExprs(stripped...)
}
