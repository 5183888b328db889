package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/types"
)

// MarkerProctime is the marker written for FOR SYSTEM_TIME AS OF PROCTIME()
// on a table in FROM (see forSystemTime and AsTemporalTable).
const MarkerProctime = "__pg_proctime"

// temporalRef reports whether items[i] starts a table reference in FROM
// followed by FOR SYSTEM_TIME; k is the index of FOR.
func (r *rewriter) temporalRef(items []item, i int, inFrom bool) (k int, ok bool) {
	if !inFrom || !items[i].isWordLeaf() || !(r.lastWordIs("from") || r.lastWordIs("join") || r.lastIs(",")) {
		return 0, false
	}
	k = i + 1
	for k+1 < len(items) && items[k].isP(".") && items[k+1].isWordLeaf() {
		k += 2
	}
	return k, k+1 < len(items) && items[k].is("for") && items[k+1].is("system_time")
}

// forSystemTime rewrites a table reference written as
//
//	rel FOR SYSTEM_TIME AS OF PROCTIME() [[AS] alias]
//
// (RisingWave's temporal join) into TiDB's stale-read syntax
//
//	rel [AS alias] AS OF TIMESTAMP __pg_proctime()
//
// items[i:k] is the (possibly qualified) relation name and items[k] the
// word FOR. It returns the index of the first item after the reference.
func (r *rewriter) forSystemTime(items []item, i, k int) int {
	at := func(j int) item {
		if j < len(items) {
			return items[j]
		}
		return item{}
	}
	if !at(k+2).is("as") || !at(k+3).is("of") {
		r.fail(errNear(r.text, tokAt(r.text, items, k+2)))
		return len(items)
	}
	if !at(k+4).is("proctime") || !at(k+5).isParen() || len(at(k+5).kids) != 0 {
		r.notSupported(tokAt(r.text, items, k+4).Pos, "FOR SYSTEM_TIME AS OF supports only PROCTIME()")
		return len(items)
	}
	j, alias, cols := scanAlias(items, k+6)
	if cols != nil {
		r.notSupported(items[i].tok.Pos, "column aliases are not supported on a table read FOR SYSTEM_TIME AS OF PROCTIME()")
		return len(items)
	}
	r.seq(items[i:k])
	pos := items[k].tok.Pos
	if alias != "" {
		r.emitW("as", pos)
		r.emitW(quoteIdent(alias), pos)
	}
	r.emitW("as", pos)
	r.emitW("of", pos)
	r.emitW("timestamp", pos)
	r.emitW(MarkerProctime, pos)
	r.emit("(", pos)
	r.emit(")", pos)
	return j
}

// AsTemporalTable reports whether table name t was written with FOR
// SYSTEM_TIME AS OF PROCTIME() (a temporal join's right side). Any other
// AS OF clause (TiDB's stale-read syntax, which PostgreSQL does not have)
// is an error.
func AsTemporalTable(t *ast.TableName) (bool, error) {
	if t == nil || t.AsOf == nil {
		return false, nil
	}
	if f, ok := markerCall(t.AsOf.TsExpr, MarkerProctime); ok && len(f.Args) == 0 {
		return true, nil
	}
	return false, types.Errorf(types.CodeSyntaxError, "syntax error at or near \"OF\"")
}

// IsTemporalRef reports whether a FROM item is a table read FOR
// SYSTEM_TIME AS OF PROCTIME().
func IsTemporalRef(n ast.ResultSetNode) bool {
	if ts, ok := n.(*ast.TableSource); ok {
		n = ts.Source
	}
	t, ok := n.(*ast.TableName)
	if !ok {
		return false
	}
	yes, err := AsTemporalTable(t)
	return yes && err == nil
}
