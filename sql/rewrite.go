package sql

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// item is a node of the paren tree built over the tokens of a statement:
// a leaf token, or a group (open paren/bracket, children, close).
type item struct {
	tok   token
	group bool
	kids  []item
	close token
}

func (it item) is(kw string) bool { return !it.group && it.tok.is(kw) }
func (it item) isP(p string) bool { return !it.group && it.tok.isP(p) }
func (it item) isParen() bool     { return it.group && it.tok.Val == "(" }
func (it item) isWordLeaf() bool  { return !it.group && it.tok.Kind == tkWord }
func (it item) firstIs(kw string) bool {
	return it.isParen() && len(it.kids) > 0 && it.kids[0].is(kw)
}

// errNear builds the PostgreSQL syntax error for token t.
func errNear(text string, t token) *types.Error {
	if t.Kind == tkEOF {
		return syntaxErr(text, t.Pos, "syntax error at end of input")
	}
	return syntaxErr(text, t.Pos, "syntax error at or near \"%s\"", text[t.Pos:t.End])
}

// buildTree groups toks (without the EOF token) by parentheses/brackets.
func buildTree(text string, toks []token) ([]item, error) {
	var stack [][]item
	var opens []token
	cur := make([]item, 0, len(toks))
	for _, t := range toks {
		switch {
		case t.isP("(") || t.isP("["):
			stack = append(stack, cur)
			opens = append(opens, t)
			cur = nil
		case t.isP(")") || t.isP("]"):
			if len(opens) == 0 || (opens[len(opens)-1].Val == "(") != (t.Val == ")") {
				return nil, errNear(text, t)
			}
			g := item{tok: opens[len(opens)-1], group: true, kids: cur, close: t}
			cur = append(stack[len(stack)-1], g)
			stack = stack[:len(stack)-1]
			opens = opens[:len(opens)-1]
		default:
			cur = append(cur, item{tok: t})
		}
	}
	if len(opens) > 0 {
		return nil, syntaxErr(text, len(text), "syntax error at end of input")
	}
	return cur, nil
}

// otok is one token of the rewritten (TiDB) text.
type otok struct {
	s     string
	param int // for a "?" emitted for LIMIT/OFFSET $n: n
	pos   int // byte offset of the originating token in the original text
	word  bool
}

// rewriter turns the item tree of one statement into TiDB text.
type rewriter struct {
	text string
	out  []otok
	err  error
}

const maxLimit = "18446744073709551615"

func (r *rewriter) emit(s string, pos int) { r.out = append(r.out, otok{s: s, pos: pos}) }
func (r *rewriter) emitW(s string, pos int) {
	r.out = append(r.out, otok{s: s, pos: pos, word: true})
}

func (r *rewriter) fail(e error) {
	if r.err == nil {
		r.err = e
	}
}

func (r *rewriter) notSupported(pos int, format string, args ...any) {
	e := types.Errorf(types.CodeFeatureNotSupported, format, args...)
	e.Position = runePos(r.text, pos)
	r.fail(e)
}

// render joins the output tokens; offs receives the start offset of each.
func (r *rewriter) render() (string, []int) {
	var b strings.Builder
	offs := make([]int, len(r.out))
	for i, t := range r.out {
		if i > 0 {
			prev := r.out[i-1].s
			if !(t.s == "." || prev == "." || t.s == "(" && r.out[i-1].word || t.s == ")" || t.s == "," || prev == "(") {
				b.WriteByte(' ')
			}
		}
		offs[i] = b.Len()
		b.WriteString(t.s)
	}
	return b.String(), offs
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// mysqlReserved are words TiDB reserves that PostgreSQL users commonly use as
// plain column or table names; they are emitted quoted when they are not
// used as keywords.
var mysqlReserved = map[string]bool{
	"key": true, "keys": true, "range": true, "rank": true, "row_number": true, "status": false,
	"usage": true, "condition": true, "match": true, "index": true, "div": true, "mod": true,
	"database": true, "databases": true, "schema": false, "read": true, "write": true, "release": true,
	"repeat": true, "require": true, "signal": true, "spatial": true, "sql": true, "change": true,
	"column": false, "describe": true, "explain": true, "fulltext": true, "kill": true, "lines": true,
	"load": true, "lock": true, "long": true, "optimize": true, "option": true, "outfile": true,
	"partition": true, "procedure": true, "purge": true, "rename": true, "replace": true, "restrict": true,
	"return": true, "show": true, "starting": true, "terminated": true, "trigger": true, "undo": true,
	"unlock": true, "unsigned": true, "use": true, "utc_date": true, "varying": true, "zerofill": true,
	"cumulative": false, "dual": true, "lag": true, "lead": true, "dense_rank": true, "first_value": true, "last_value": true, "nth_value": true, "ntile": true, "percent_rank": true, "cume_dist": true, "system": true, "of": false, "groups": true, "stored": true, "virtual": true, "regexp": true,
	"rlike": true, "xor": true, "maxvalue": true, "interval": true, "year_month": true, "second_microsecond": true,
	"minute_second": true, "hour_minute": true, "day_hour": true, "low_priority": true, "high_priority": true,
	"delayed": true, "ignore": true, "force": true, "infile": true, "straight_join": true, "sensitive": true,
}

// windowOnlyFuncs are the functions that exist only as window functions.
var windowOnlyFuncs = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true,
}

// distinctArgAggs are aggregates TiDB parses as plain calls, so it cannot
// read DISTINCT in their argument list.
var distinctArgAggs = map[string]bool{
	"string_agg": true, "array_agg": true, "bool_and": true, "bool_or": true, "every": true,
}

// windowAggsTiDBLacks are PostgreSQL aggregates TiDB cannot parse before OVER.
var windowAggsTiDBLacks = map[string]bool{
	"string_agg": true, "bool_and": true, "bool_or": true, "every": true, "array_agg": true,
}

// emitWord emits an identifier or keyword token.
func (r *rewriter) emitWord(items []item, i int) {
	t := items[i].tok
	if t.Quoted {
		r.emitW(quoteIdent(t.Val), t.Pos)
		return
	}
	if mysqlReserved[t.Val] && !r.keywordUse(items, i) {
		r.emitW(quoteIdent(t.Val), t.Pos)
		return
	}
	if (t.Val == "variance" || t.Val == "stddev") && i+1 < len(items) && items[i+1].isParen() && !(i > 0 && items[i-1].isP(".")) {
		// TiDB reads these as MySQL's population aggregates; PostgreSQL's
		// are the sample ones.
		r.emitW(map[string]string{"variance": "var_samp", "stddev": "stddev_samp"}[t.Val], t.Pos)
		return
	}
	if t.Val == "concat" && i+1 < len(items) && items[i+1].isParen() && !(i > 0 && items[i-1].isP(".")) {
		// TiDB parses a || b as concat(a, b); keep real concat() calls apart.
		r.emitW(MarkerConcat, t.Pos)
		return
	}
	r.emitW(t.Val, t.Pos)
}

// keywordUse decides whether a MySQL-reserved word is used as a keyword.
func (r *rewriter) keywordUse(items []item, i int) bool {
	t := items[i].tok
	next := func(k int) item {
		if i+k < len(items) {
			return items[i+k]
		}
		return item{}
	}
	switch t.Val {
	case "range":
		return next(1).is("between") || next(1).is("unbounded") || next(1).is("current") || next(1).tok.Kind == tkNumber
	case "rank", "repeat", "replace", "mod", "index", "database", "schema", "match", "left", "right", "usage", "interval",
		"lag", "lead", "dense_rank", "first_value", "last_value", "nth_value", "ntile", "percent_rank", "cume_dist", "row_number":
		return next(1).isParen() && !(i > 0 && items[i-1].isP("."))
	case "div", "regexp", "rlike", "xor":
		return true
	case "partition":
		return next(1).is("by")
	case "ignore", "force", "use":
		return false
	}
	return false
}

// seq rewrites a sequence of sibling items.
func (r *rewriter) seq(items []item) {
	inFrom := false
	for i := 0; i < len(items) && r.err == nil; i++ {
		it := items[i]
		if it.group {
			if it.tok.Val == "[" {
				// a[i] on an array in text form: __pg_op('[]', a, i).
				left := []otok(nil)
				if !containsP(it.kids, ":") && len(it.kids) > 0 && !r.lastWordIs("array") {
					left = r.popPrimary()
				}
				if left == nil {
					r.notSupported(it.tok.Pos, "arrays are not supported")
					return
				}
				r.emitW(MarkerOp, it.tok.Pos)
				r.emit("(", it.tok.Pos)
				r.emit(quoteString("[]"), it.tok.Pos)
				r.emit(",", it.tok.Pos)
				r.out = append(r.out, left...)
				r.emit(",", it.tok.Pos)
				r.seq(it.kids)
				r.emit(")", it.close.Pos)
				continue
			}
			// (VALUES ...) [AS] alias (cols)
			if it.firstIs("values") {
				j, alias, cols := i+1, "", []string(nil)
				if !r.lastWordIs("as") { // not a CTE body: WITH c AS (VALUES ...)
					j, alias, cols = scanAlias(items, i+1)
				}
				r.emit("(", it.tok.Pos)
				r.values(it.kids, cols)
				r.emit(")", it.close.Pos)
				if alias != "" {
					r.emitW("as", it.close.Pos)
					r.emitW(quoteIdent(alias), it.close.Pos)
				}
				i = j - 1
				continue
			}
			if inFrom && it.isParen() && (r.lastWordIs("from") || r.lastWordIs("join") || r.lastWordIs("lateral") || r.lastIs(",")) {
				if j, alias, cols := scanAlias(items, i+1); cols != nil {
					r.colAliases(items[i:i+1], alias, cols, it.tok.Pos)
					i = j - 1
					continue
				}
			}
			r.group(it)
			continue
		}
		t := it.tok
		switch t.Kind {
		case tkString:
			r.emit(quoteString(t.Val), t.Pos)
			continue
		case tkParam:
			r.emitW("__pg_param", t.Pos)
			r.emit("(", t.Pos)
			r.emit(t.Val, t.Pos)
			r.emit(")", t.Pos)
			continue
		case tkNumber, tkRaw:
			r.emit(t.Val, t.Pos)
			continue
		case tkOp:
			i = r.op(items, i)
			continue
		case tkPunct:
			r.emit(t.Val, t.Pos)
			continue
		}
		// Words.
		if k, ok := r.temporalRef(items, i, inFrom); ok {
			i = r.forSystemTime(items, i, k) - 1
			continue
		}
		if t.Quoted {
			r.emitWord(items, i)
			continue
		}
		next := item{}
		if i+1 < len(items) {
			next = items[i+1]
		}
		switch t.Val {
		case "from":
			inFrom = true
			if r.lastWordIs("extract") || r.lastIs("(") && len(r.out) >= 2 && r.out[len(r.out)-2].s == "extract" {
				inFrom = false
			}
		case "where", "group", "having", "order", "limit", "offset", "fetch", "union", "intersect", "except", "window", "on", "using", "set", "returning", "select":
			inFrom = false
		}
		switch {
		case i == 0 && t.Val == "values" && next.isParen():
			r.values(items, nil)
			return
		case (t.Val == "union" || t.Val == "intersect" || t.Val == "except") && (next.is("values") || next.is("all") && i+2 < len(items) && items[i+2].is("values")):
			r.emitW(t.Val, t.Pos)
			j := i + 1
			if next.is("all") || next.is("distinct") {
				r.emitW(next.tok.Val, next.tok.Pos)
				j++
			}
			r.values(items[j:], nil)
			return
		case t.Val == "materialized" && next.isParen() && r.lastWordIs("as"):
			// WITH c AS MATERIALIZED (...): a planner hint only
		case t.Val == "not" && next.is("materialized") && i+2 < len(items) && items[i+2].isParen() && r.lastWordIs("as"):
			i++
		case t.Val == "default" && next.is("values") && (i+2 == len(items) || items[i+2].isP(";")):
			// INSERT INTO t DEFAULT VALUES → INSERT INTO t VALUES ()
			r.emitW("values", t.Pos)
			r.emit("(", next.tok.Pos)
			r.emit(")", next.tok.Pos)
			i++
		case (t.Val == "isnull" || t.Val == "notnull") && !next.isParen() && r.operandBefore():
			r.emitW("is", t.Pos)
			if t.Val == "notnull" {
				r.emitW("not", t.Pos)
			}
			r.emitW("null", t.Pos)
		case t.Val == "at" && next.is("time") && i+2 < len(items) && items[i+2].is("zone"):
			i = r.atTimeZone(items, i)
		case inFrom && t.Val == "pg_catalog" && next.isP(".") && i+3 < len(items) && items[i+2].isWordLeaf() && items[i+3].isParen() &&
			(r.lastWordIs("from") || r.lastWordIs("join") || r.lastWordIs("lateral") || r.lastIs(",")):
			// pg_catalog.generate_series(...) in FROM: the function itself.
			i++
		case inFrom && next.isParen() && !isOperatorWord(t.Val) && !next.firstIs("select") && !next.firstIs("values") && !next.firstIs("with") &&
			t.Val != "tumble" && t.Val != "hop" && t.Val != "session" && t.Val != "table" &&
			(r.lastWordIs("from") || r.lastWordIs("join") || r.lastWordIs("lateral") || r.lastIs(",")):
			i = r.tableFunc(items, i)
		case t.Val == "returning" || t.Val == "on" && next.is("conflict"):
			r.notSupported(t.Pos, "%s is not supported", strings.ToUpper(t.Val)+map[bool]string{true: " CONFLICT", false: ""}[t.Val == "on"])
			return
		case t.Val == "operator" && next.isParen() && len(next.kids) > 0 && !next.kids[len(next.kids)-1].group && next.kids[len(next.kids)-1].tok.Kind == tkOp:
			// OPERATOR(pg_catalog.~) is the operator ~.
			items[i+1] = next.kids[len(next.kids)-1]
			i = r.op(items, i+1)
		case t.Val == "collate" && defaultCollation(items, i+1) > 0:
			// COLLATE pg_catalog.default / "default": the default anyway.
			i = defaultCollation(items, i+1) - 1
		case t.Val == "array" && next.isParen() && (next.firstIs("select") || next.firstIs("with")):
			i = r.arraySubquery(items, i)
		case windowOnlyFuncs[t.Val] && next.isParen() && !(i+2 < len(items) && items[i+2].is("over")) && !(i > 0 && items[i-1].isP(".")):
			e := types.Errorf("42809", "window function %s requires an OVER clause", t.Val)
			e.Position = runePos(r.text, t.Pos)
			r.fail(e)
			return
		case windowAggsTiDBLacks[t.Val] && next.isParen() && i+2 < len(items) && items[i+2].is("over") && !(i > 0 && items[i-1].isP(".")):
			// TiDB parses OVER only after the aggregates it knows:
			// string_agg(a, b) OVER w → max(__pg_wagg('string_agg', a, b)) OVER w.
			r.emitW("max", t.Pos)
			r.emit("(", next.tok.Pos)
			r.emitW(MarkerWindowAgg, t.Pos)
			r.emit("(", next.tok.Pos)
			r.emit(quoteString(t.Val), t.Pos)
			if len(next.kids) > 0 {
				r.emit(",", next.tok.Pos)
				r.seq(next.kids)
			}
			r.emit(")", next.close.Pos)
			r.emit(")", next.close.Pos)
			i++
		case t.Val == "between" && (next.is("symmetric") || next.is("asymmetric")):
			// x BETWEEN SYMMETRIC lo AND hi → x BETWEEN __pg_symmetric(lo) AND hi
			j := i + 2
			for j < len(items) && !items[j].is("and") {
				j++
			}
			if j >= len(items) || j == i+2 {
				r.fail(errNear(r.text, tokAt(r.text, items, j)))
				return
			}
			r.emitW("between", t.Pos)
			if next.is("symmetric") {
				r.emitW(MarkerSymmetric, next.tok.Pos)
				r.emit("(", next.tok.Pos)
				r.seq(items[i+2 : j])
				r.emit(")", next.tok.Pos)
			} else {
				r.seq(items[i+2 : j])
			}
			i = j - 1
		case t.Val == "make_interval" && next.isParen():
			// make_interval(days => 3, ...): all seven arguments by position.
			params := []string{"years", "months", "weeks", "days", "hours", "mins", "secs"}
			slots := make([][]item, len(params))
			pos, start := 0, 0
			kids := next.kids
			for j := 0; j <= len(kids); j++ {
				if j < len(kids) && !kids[j].isP(",") {
					continue
				}
				part := kids[start:j]
				start = j + 1
				if len(part) == 0 {
					if len(kids) == 0 {
						break
					}
					r.fail(errNear(r.text, tokAt(r.text, kids, j)))
					return
				}
				k := -1
				if len(part) > 3 && part[0].isWordLeaf() && part[1].isP("=") && part[2].isP(">") {
					for q, p := range params {
						if p == part[0].tok.Val {
							k = q
						}
					}
					if k < 0 {
						e := types.Errorf(types.CodeUndefinedFunction, "function make_interval(%s => integer) does not exist", part[0].tok.Val)
						r.fail(e)
						return
					}
					part = part[3:]
				} else {
					k = pos
					pos++
				}
				if k >= len(params) {
					r.fail(errNear(r.text, part[0].tok))
					return
				}
				slots[k] = part
			}
			r.emitW("make_interval", t.Pos)
			r.emit("(", next.tok.Pos)
			for k, sl := range slots {
				if k > 0 {
					r.emit(",", next.tok.Pos)
				}
				if sl == nil {
					r.emit("0", next.tok.Pos)
				} else {
					r.seq(sl)
				}
			}
			r.emit(")", next.close.Pos)
			i++
		case t.Val == "cast" && next.isParen():
			r.cast(next)
			i++
		case t.Val == "extract" && next.isParen() && len(next.kids) >= 3 && next.kids[1].is("from"):
			f := next.kids[0].tok
			r.emitW("__pg_extract", t.Pos)
			r.emit("(", next.tok.Pos)
			r.emit(quoteString(f.Val), f.Pos)
			r.emit(",", f.Pos)
			r.seq(next.kids[2:])
			r.emit(")", next.close.Pos)
			i++
		case typedLiteral(items, i):
			i = r.typedLit(items, i)
		case t.Val == "full" && (next.is("join") || next.is("outer")):
			i = r.fullJoin(items, i)
		case t.Val == "nulls" && (next.is("first") || next.is("last")):
			r.nullsOrder(next.is("first"), t.Pos)
			i++
		case t.Val == "is" && (next.is("distinct") || next.is("not") && i+2 < len(items) && items[i+2].is("distinct")):
			i = r.isDistinct(items, i)
		case t.Val == "distinct" && i == 0 && r.lastIs("(") && len(r.out) >= 2 && distinctArgAggs[r.out[len(r.out)-2].s]:
			// string_agg(DISTINCT a, b): TiDB has no DISTINCT for these
			// calls; written string_agg(__pg_distinct(a), b).
			j := i + 1
			for j < len(items) && !items[j].isP(",") {
				j++
			}
			if j == i+1 {
				r.fail(errNear(r.text, tokAt(r.text, items, j)))
				return
			}
			r.emitW(MarkerDistinctArg, t.Pos)
			r.emit("(", t.Pos)
			r.seq(items[i+1 : j])
			r.emit(")", t.Pos)
			i = j - 1
		case t.Val == "distinct" && next.is("on") && i+2 < len(items) && items[i+2].isParen() && r.lastWordIs("select"):
			g := items[i+2]
			r.emitW("__pg_distinct_on", t.Pos)
			r.group(g)
			if i+3 < len(items) {
				r.emit(",", g.close.Pos)
			}
			i += 2
		case t.Val == "filter" && next.firstIs("where") && r.lastIs(")"):
			r.filter(next)
			i++
		case (t.Val == "limit" || t.Val == "offset" || t.Val == "fetch") && r.limitStart(items, i):
			i = r.limit(items, i)
		case (t.Val == "tumble" || t.Val == "hop" || t.Val == "session") && next.isParen() && inFrom && (r.lastWordIs("from") || r.lastWordIs("join") || r.lastWordIs("lateral") || r.lastIs(",")):
			i = r.windowTVF(items, i+1, t.Val, t.Pos)
		case t.Val == "table" && next.isParen() && len(next.kids) == 2 && next.kids[1].isParen() && inFrom &&
			(next.kids[0].is("tumble") || next.kids[0].is("hop") || next.kids[0].is("session")):
			// Flink: TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)) [AS alias]
			combo := append([]item{next.kids[0], next.kids[1]}, items[i+2:]...)
			end := r.windowTVF(combo, 1, next.kids[0].tok.Val, t.Pos)
			i += end
		case inFrom && !isOperatorWord(t.Val) && !isReservedAfterTable(t.Val) && (r.lastWordIs("from") || r.lastWordIs("join") || r.lastIs(",")):
			k := i + 1
			for k+1 < len(items) && items[k].isP(".") && items[k+1].isWordLeaf() {
				k += 2
			}
			if j, alias, cols := scanAlias(items, k); cols != nil {
				r.colAliases(items[i:k], alias, cols, t.Pos)
				i = j - 1
				continue
			}
			r.emitWord(items, i)
		case next.isParen() && hasTopLevelOrderBy(next.kids) && !isOperatorWord(t.Val) && t.Val != "over" &&
			!next.firstIs("select") && !next.firstIs("with") && !next.firstIs("values") && !next.kids[0].group:
			r.emitWord(items, i)
			r.aggOrder(next)
			i++
		default:
			r.emitWord(items, i)
		}
	}
}

// colAliases rewrites rel [AS] alias (c1, c2, ...) in FROM into
//
//	(SELECT * FROM rel AS alias WHERE __pg_col_aliases('c1', 'c2', ...)) AS alias
func (r *rewriter) colAliases(rel []item, alias string, cols []string, pos int) {
	r.emit("(", pos)
	r.emitW("select", pos)
	r.emit("*", pos)
	r.emitW("from", pos)
	r.seq(rel)
	r.emitW("as", pos)
	r.emitW(quoteIdent(alias), pos)
	r.emitW("where", pos)
	r.emitW(MarkerColAliases, pos)
	r.emit("(", pos)
	for i, c := range cols {
		if i > 0 {
			r.emit(",", pos)
		}
		r.emit(quoteString(c), pos)
	}
	r.emit(")", pos)
	r.emit(")", pos)
	r.emitW("as", pos)
	r.emitW(quoteIdent(alias), pos)
}

func hasTopLevelOrderBy(kids []item) bool {
	for i := 1; i+1 < len(kids); i++ {
		if kids[i].is("order") && kids[i+1].is("by") {
			return true
		}
	}
	return false
}

// aggOrder rewrites f(args ORDER BY x [DESC] [NULLS ...], ...) into
// f(args, __pg_agg_order(x', ...)) where x' is x, __pg_desc(x) for DESC,
// wrapped in a nulls marker for NULLS FIRST/LAST.
func (r *rewriter) aggOrder(g item) {
	k := 1
	for ; k+1 < len(g.kids); k++ {
		if g.kids[k].is("order") && g.kids[k+1].is("by") {
			break
		}
	}
	r.emit("(", g.tok.Pos)
	r.seq(g.kids[:k])
	r.emit(",", g.kids[k].tok.Pos)
	r.emitW(MarkerAggOrder, g.kids[k].tok.Pos)
	r.emit("(", g.kids[k].tok.Pos)
	rest := g.kids[k+2:]
	start := 0
	n := 0
	for j := 0; j <= len(rest); j++ {
		if j < len(rest) && !rest[j].isP(",") {
			continue
		}
		part := rest[start:j]
		start = j + 1
		desc, nulls := false, ""
		for len(part) > 1 {
			l := part[len(part)-1]
			switch {
			case l.is("desc"):
				desc = true
			case l.is("asc"):
			case (l.is("first") || l.is("last")) && part[len(part)-2].is("nulls"):
				nulls = l.tok.Val
				part = part[:len(part)-1]
			default:
				goto done
			}
			part = part[:len(part)-1]
		}
	done:
		if len(part) == 0 {
			r.fail(errNear(r.text, tokAt(r.text, rest, j)))
			return
		}
		if n > 0 {
			r.emit(",", part[0].tok.Pos)
		}
		n++
		closers := 0
		if nulls != "" {
			r.emitW("__pg_nulls_"+nulls, part[0].tok.Pos)
			r.emit("(", part[0].tok.Pos)
			closers++
		}
		if desc {
			r.emitW(MarkerDesc, part[0].tok.Pos)
			r.emit("(", part[0].tok.Pos)
			closers++
		}
		r.seq(part)
		for ; closers > 0; closers-- {
			r.emit(")", part[0].tok.Pos)
		}
	}
	r.emit(")", g.close.Pos)
	r.emit(")", g.close.Pos)
}

func (r *rewriter) lastIs(s string) bool {
	return len(r.out) > 0 && r.out[len(r.out)-1].s == s
}

func (r *rewriter) lastWordIs(s string) bool {
	return len(r.out) > 0 && r.out[len(r.out)-1].word && r.out[len(r.out)-1].s == s
}

func (r *rewriter) group(g item) {
	r.emit("(", g.tok.Pos)
	r.seq(g.kids)
	r.emit(")", g.close.Pos)
}

// op handles an operator token at items[i]; returns the last index consumed.
func (r *rewriter) op(items []item, i int) int {
	t := items[i].tok
	switch t.Val {
	case "::":
		if fn, j := regCast(items, i+1); fn != "" {
			// x::regclass (and friends) is the function regclass(x).
			operand := r.popPrimary()
			if operand == nil {
				r.fail(errNear(r.text, t))
				return len(items)
			}
			r.emitW(fn, t.Pos)
			r.emit("(", t.Pos)
			r.out = append(r.out, operand...)
			r.emit(")", t.Pos)
			return j - 1
		}
		if j := arrayTypeEnd(items, i+1); j > 0 {
			// Arrays are represented in their text form.
			operand := r.popPrimary()
			if operand == nil {
				r.fail(errNear(r.text, t))
				return len(items)
			}
			r.emitCast(operand, types.TText, t.Pos)
			return j - 1
		}
		typ, j, err := scanTypeItems(r.text, items, i+1)
		if err != nil {
			r.fail(err)
			return len(items)
		}
		operand := r.popPrimary()
		if operand == nil {
			r.fail(errNear(r.text, t))
			return len(items)
		}
		r.emitCast(operand, typ, t.Pos)
		return j - 1
	case "^":
		left := r.popPrimary()
		end := primaryEnd(items, i+1)
		if left == nil || end == i+1 {
			r.fail(errNear(r.text, t))
			return len(items)
		}
		r.emitW("power", t.Pos)
		r.emit("(", t.Pos)
		r.out = append(r.out, left...)
		r.emit(",", t.Pos)
		r.seq(items[i+1 : end])
		r.emit(")", t.Pos)
		return end - 1
	case "|/", "||/":
		// prefix square / cube root
		end := primaryEnd(items, i+1)
		if end == i+1 {
			r.fail(errNear(r.text, t))
			return len(items)
		}
		r.emitW(map[string]string{"|/": "sqrt", "||/": "cbrt"}[t.Val], t.Pos)
		r.emit("(", t.Pos)
		r.seq(items[i+1 : end])
		r.emit(")", t.Pos)
		return end - 1
	case "~~":
		r.emitW("like", t.Pos)
	case "!~~":
		r.emitW("not", t.Pos)
		r.emitW("like", t.Pos)
	case "~~*":
		r.emitW("ilike", t.Pos)
	case "!~~*":
		r.emitW("not", t.Pos)
		r.emitW("ilike", t.Pos)
	case "~":
		if r.operandBefore() {
			r.emitW("regexp", t.Pos)
		} else {
			r.emit("~", t.Pos)
		}
	case "!~":
		r.emitW("not", t.Pos)
		r.emitW("regexp", t.Pos)
	case "->", "->>", "#>", "#>>", "@>", "<@", "?|", "?&", "?", "~*", "!~*":
		// jsonb operators: PostgreSQL's "any other operator" precedence,
		// which binds tighter than comparisons; written as __pg_op('op', l, r).
		left := r.popPrimary()
		end := primaryEnd(items, i+1)
		if left == nil || end == i+1 {
			r.fail(errNear(r.text, t))
			return len(items)
		}
		r.emitW(MarkerOp, t.Pos)
		r.emit("(", t.Pos)
		r.emit(quoteString(t.Val), t.Pos)
		r.emit(",", t.Pos)
		r.out = append(r.out, left...)
		r.emit(",", t.Pos)
		r.seq(items[i+1 : end])
		r.emit(")", t.Pos)
		return end - 1
	case "=":
		if i+2 < len(items) && (items[i+1].is("any") || items[i+1].is("some")) && items[i+2].isParen() &&
			!items[i+2].firstIs("select") && !items[i+2].firstIs("with") && !items[i+2].firstIs("values") {
			// x = ANY (array), the array in text form: __pg_op('= any', x, array).
			left := r.popPrimary()
			if left == nil {
				r.fail(errNear(r.text, t))
				return len(items)
			}
			r.emitW(MarkerOp, t.Pos)
			r.emit("(", t.Pos)
			r.emit(quoteString("= any"), t.Pos)
			r.emit(",", t.Pos)
			r.out = append(r.out, left...)
			r.emit(",", t.Pos)
			r.group(items[i+2])
			r.emit(")", t.Pos)
			return i + 2
		}
		r.emit(t.Val, t.Pos)
	case "&&", "`", "@", ":":
		r.notSupported(t.Pos, "operator does not exist: %s", t.Val)
	case "#":
		// PostgreSQL's bitwise XOR; '#' starts a comment in MySQL.
		r.emit("^", t.Pos)
	default:
		r.emit(t.Val, t.Pos)
	}
	return i
}

// operandBefore reports whether the previous output token ends an operand.
func (r *rewriter) operandBefore() bool {
	if len(r.out) == 0 {
		return false
	}
	l := r.out[len(r.out)-1]
	if l.s == ")" {
		return true
	}
	if l.word {
		switch l.s {
		case "select", "where", "and", "or", "not", "on", "when", "then", "else", "by", "having", "return", "in", "is", "like":
			return false
		}
		return true
	}
	c := l.s[0]
	return isDigit(c) || c == '\'' || c == '.'
}

// popPrimary removes the last primary expression from the output and
// returns it: a literal, a (qualified) name, a parenthesised expression or a
// function call.
func (r *rewriter) popPrimary() []otok {
	n := len(r.out)
	if n == 0 {
		return nil
	}
	j := n - 1
	last := r.out[j]
	switch {
	case last.s == ")":
		depth := 0
		for ; j >= 0; j-- {
			if r.out[j].s == ")" {
				depth++
			} else if r.out[j].s == "(" {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j < 0 {
			return nil
		}
		if j > 0 && r.out[j-1].word && !isOperatorWord(r.out[j-1].s) {
			j--
			for j >= 2 && r.out[j-1].s == "." && r.out[j-2].word {
				j -= 2
			}
		}
	case last.word && last.s == "end":
		// CASE ... END
		depth := 0
		for ; j >= 0; j-- {
			if r.out[j].word && r.out[j].s == "end" {
				depth++
			} else if r.out[j].word && r.out[j].s == "case" {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j < 0 {
			return nil
		}
	case last.word:
		if isOperatorWord(last.s) {
			return nil
		}
		for j >= 2 && r.out[j-1].s == "." && r.out[j-2].word {
			j -= 2
		}
	case last.s == "(" || last.s == "," || last.s == ".":
		return nil
	default:
		c := last.s[0]
		if !(isDigit(c) || c == '\'' || c == '.' || c == '*') || last.s == "*" {
			return nil
		}
	}
	p := append([]otok(nil), r.out[j:]...)
	r.out = r.out[:j]
	return p
}

// isOperatorWord reports keywords that cannot end or name a primary.
func isOperatorWord(s string) bool {
	switch s {
	case "select", "from", "where", "and", "or", "not", "in", "exists", "on", "as", "by", "when", "then",
		"else", "case", "is", "like", "ilike", "between", "having", "union", "all", "any", "some", "values",
		"distinct", "join", "using", "with", "over", "filter", "regexp", "set", "into", "limit", "offset", "lateral":
		return true
	}
	return false
}

// primaryEnd returns the index after the primary expression starting at
// items[i] (with optional sign and trailing ::casts), or i if none.
func primaryEnd(items []item, i int) int {
	j := i
	for j < len(items) && (items[j].isP("-") || items[j].isP("+")) {
		j++
	}
	if j >= len(items) {
		return i
	}
	it := items[j]
	switch {
	case it.group:
		j++
	case it.tok.Kind == tkWord:
		if typedLiteral(items, j) {
			j++
			for j < len(items) && !items[j].group && items[j].tok.Kind != tkString {
				j++
			}
			j++
			break
		}
		j++
		for j+1 < len(items) && items[j].isP(".") && items[j+1].isWordLeaf() {
			j += 2
		}
		if j < len(items) && items[j].isParen() {
			j++
		}
	case it.tok.Kind == tkNumber || it.tok.Kind == tkString || it.tok.Kind == tkParam || it.tok.Kind == tkRaw:
		j++
	default:
		return i
	}
	for j < len(items) && items[j].isP("::") {
		_, k, err := scanTypeItems("", items, j+1)
		if err != nil {
			return j
		}
		j = k
	}
	if j > len(items) {
		j = len(items)
	}
	return j
}

// scanTypeItems reads a type name from items[i:]; returns the index after.
func scanTypeItems(text string, items []item, i int) (types.T, int, error) {
	toks := make([]token, 0, 6)
	j := i
	for j < len(items) && len(toks) < 6 {
		it := items[j]
		if it.group {
			if it.tok.Val == "[" {
				return types.T{}, j, &types.Error{Code: types.CodeFeatureNotSupported, Message: "array types are not supported", Position: runePos(text, it.tok.Pos)}
			}
			if len(toks) > 0 && !items[j-1].group {
				toks = append(toks, it.tok)
				toks = append(toks, flatten(it.kids)...)
				toks = append(toks, it.close)
				j++
				continue
			}
			break
		}
		if it.tok.Kind != tkWord && !it.isP(".") {
			break
		}
		toks = append(toks, it.tok)
		j++
	}
	pos := len(text)
	if i < len(items) {
		pos = items[i].tok.Pos
	}
	toks = append(toks, token{Kind: tkEOF, Pos: pos})
	t, k, err := scanTypeToks(text, toks, 0)
	if err != nil {
		return t, j, err
	}
	// Map the token count back to items consumed.
	consumed := 0
	n := i
	for n < len(items) && consumed < k {
		if items[n].group {
			consumed += len(flatten(items[n].kids)) + 2
		} else {
			consumed++
		}
		n++
	}
	return t, n, nil
}

func flatten(items []item) []token {
	var out []token
	for _, it := range items {
		if it.group {
			out = append(out, it.tok)
			out = append(out, flatten(it.kids)...)
			out = append(out, it.close)
		} else {
			out = append(out, it.tok)
		}
	}
	return out
}

func (r *rewriter) emitCast(operand []otok, t types.T, pos int) {
	r.emitW("__pg_cast", pos)
	r.emit("(", pos)
	r.out = append(r.out, operand...)
	r.emit(",", pos)
	r.emit(quoteString(typeCanon(t)), pos)
	r.emit(")", pos)
}

// cast rewrites CAST(expr AS type).
func (r *rewriter) cast(g item) {
	k := -1
	for j := len(g.kids) - 1; j >= 0; j-- {
		if g.kids[j].is("as") {
			k = j
			break
		}
	}
	if k <= 0 {
		r.fail(errNear(r.text, g.close))
		return
	}
	t, end, err := scanTypeItems(r.text, g.kids, k+1)
	if err != nil {
		r.fail(err)
		return
	}
	if end != len(g.kids) {
		r.fail(errNear(r.text, g.kids[end].tok))
		return
	}
	save := r.out
	r.out = nil
	r.seq(g.kids[:k])
	operand := r.out
	r.out = save
	r.emitCast(operand, t, g.tok.Pos)
}

var typedLitWords = map[string]bool{
	"date": true, "time": true, "timestamp": true, "timestamptz": true, "interval": true,
	"boolean": true, "bool": true, "numeric": true, "decimal": true, "int": true, "integer": true,
	"bigint": true, "smallint": true, "int2": true, "int4": true, "int8": true, "real": true,
	"float4": true, "float8": true, "double": true, "text": true, "varchar": true, "jsonb": true,
	"json": true, "bytea": true, "char": true, "character": true,
}

// typedLiteral reports whether items[i] starts `type 'literal'`.
func typedLiteral(items []item, i int) bool {
	t := items[i].tok
	if items[i].group || t.Kind != tkWord || t.Quoted || !typedLitWords[t.Val] {
		return false
	}
	if i > 0 && items[i-1].isP(".") {
		return false
	}
	for j := i + 1; j < len(items) && j < i+5; j++ {
		it := items[j]
		if !it.group && it.tok.Kind == tkString {
			return true
		}
		if t.Val == "interval" && j == i+1 && it.tok.Kind == tkNumber && j+1 < len(items) && intervalUnits[items[j+1].tok.Val] != "" {
			return true
		}
		if it.group || it.tok.Kind != tkWord {
			return false
		}
		switch it.tok.Val {
		case "precision", "with", "without", "time", "zone", "varying":
		default:
			return false
		}
	}
	return false
}

var intervalUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month", "week": "week", "weeks": "week",
	"day": "day", "days": "day", "hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
	"second": "second", "seconds": "second", "millisecond": "millisecond", "milliseconds": "millisecond",
	"microsecond": "microsecond", "microseconds": "microsecond",
}

// typedLit rewrites `type 'literal'` (and INTERVAL 'n' UNIT [TO UNIT]).
func (r *rewriter) typedLit(items []item, i int) int {
	j := i
	for items[j].tok.Kind == tkWord {
		j++
	}
	t0 := items[i].tok
	var typ types.T
	if items[i].is("interval") {
		typ = types.TInterval
	} else {
		var err error
		var end int
		typ, end, err = scanTypeItems(r.text, items[:j], i)
		if err != nil {
			r.fail(err)
			return len(items)
		}
		if end != j {
			r.fail(errNear(r.text, items[end].tok))
			return len(items)
		}
	}
	lit := items[j].tok
	val := lit.Val
	j++
	if typ.Family == types.Interval && j < len(items) && intervalUnits[items[j].tok.Val] != "" && !items[j].group && !items[j].tok.Quoted {
		unit := intervalUnits[items[j].tok.Val]
		j++
		if j+1 < len(items) && items[j].is("to") && intervalUnits[items[j+1].tok.Val] != "" {
			j += 2
			if !strings.ContainsAny(val, ": ") {
				val = val + " " + unit
			}
		} else {
			val = strings.TrimSpace(val) + " " + unit
		}
	}
	r.emitCast([]otok{{s: quoteString(val), pos: lit.Pos}}, typ, t0.Pos)
	return j - 1
}

// fullJoin rewrites FULL [OUTER] JOIN x ON cond to LEFT JOIN x ON
// __pg_full_join(cond).
func (r *rewriter) fullJoin(items []item, i int) int {
	t := items[i].tok
	j := i + 1
	if items[j].is("outer") {
		j++
	}
	if j >= len(items) || !items[j].is("join") {
		r.fail(errNear(r.text, t))
		return len(items)
	}
	j++
	// The right side runs up to ON.
	k := j
	for k < len(items) && !items[k].is("on") && !items[k].is("using") {
		if items[k].is("join") || items[k].isP(",") || items[k].is("where") {
			break
		}
		k++
	}
	if k < len(items) && items[k].is("using") && k+1 < len(items) && items[k+1].isParen() {
		// FULL JOIN r USING (a, b) → LEFT JOIN r ON __pg_full_join(__pg_using(a, b))
		r.emitW("left", t.Pos)
		r.emitW("join", t.Pos)
		r.seq(items[j:k])
		r.emitW("on", items[k].tok.Pos)
		r.emitW(MarkerFullJoin, items[k].tok.Pos)
		r.emit("(", items[k].tok.Pos)
		r.emitW(MarkerUsing, items[k].tok.Pos)
		r.group(items[k+1])
		r.emit(")", items[k].tok.Pos)
		return k + 1
	}
	if k >= len(items) || !items[k].is("on") {
		r.notSupported(t.Pos, "FULL JOIN is only supported with an ON or USING condition")
		return len(items)
	}
	r.emitW("left", t.Pos)
	r.emitW("join", t.Pos)
	r.seq(items[j:k])
	r.emitW("on", items[k].tok.Pos)
	end := k + 1
	for end < len(items) && !isClauseEnd(items[end]) {
		end++
	}
	r.emitW("__pg_full_join", items[k].tok.Pos)
	r.emit("(", items[k].tok.Pos)
	r.seq(items[k+1 : end])
	r.emit(")", items[k].tok.Pos)
	return end - 1
}

// isClauseEnd reports words that end a join condition or an expression list.
func isClauseEnd(it item) bool {
	if it.group {
		return false
	}
	if it.isP(",") || it.isP(";") {
		return true
	}
	switch {
	case it.tok.Kind != tkWord || it.tok.Quoted:
		return false
	}
	switch it.tok.Val {
	case "join", "left", "right", "inner", "full", "cross", "natural", "where", "group", "having", "order",
		"limit", "offset", "fetch", "union", "intersect", "except", "window", "emit", "returning", "straight_join":
		return true
	}
	return false
}

// nullsOrder wraps the current ORDER BY item in a nulls marker.
func (r *rewriter) nullsOrder(first bool, pos int) {
	var dir *otok
	if n := len(r.out); n > 0 && r.out[n-1].word && (r.out[n-1].s == "asc" || r.out[n-1].s == "desc") {
		d := r.out[n-1]
		dir = &d
		r.out = r.out[:n-1]
	}
	j := r.exprStart()
	if j == len(r.out) {
		r.fail(syntaxErr(r.text, pos, "syntax error at or near \"NULLS\""))
		return
	}
	operand := append([]otok(nil), r.out[j:]...)
	r.out = r.out[:j]
	name := "__pg_nulls_last"
	if first {
		name = "__pg_nulls_first"
	}
	r.emitW(name, pos)
	r.emit("(", pos)
	r.out = append(r.out, operand...)
	r.emit(")", pos)
	if dir != nil {
		r.out = append(r.out, *dir)
	}
}

// exprStart scans the output back to the start of the current expression:
// after a top-level ',', '(' or a clause keyword.
func (r *rewriter) exprStart() int {
	depth := 0
	j := len(r.out)
	for j > 0 {
		t := r.out[j-1]
		if t.s == ")" {
			depth++
		} else if t.s == "(" {
			if depth == 0 {
				return j
			}
			depth--
		} else if depth == 0 {
			if t.s == "," {
				return j
			}
			if t.word {
				switch t.s {
				case "by", "select", "where", "and", "or", "not", "on", "when", "then", "else", "having", "set", "distinct", "all", "returning", "case":
					return j
				}
			}
			if isCompareOp(t.s) {
				return j
			}
		}
		j--
	}
	return j
}

func isCompareOp(s string) bool {
	switch s {
	case "=", "<", ">", "<=", ">=", "<>", "!=", "<=>":
		return true
	}
	return false
}

// isDistinct rewrites a IS [NOT] DISTINCT FROM b into
// __pg_is_distinct(a, b) / __pg_is_not_distinct(a, b). The left operand is
// everything back to the previous comparison operator, boolean connective,
// comma or clause keyword; the right operand runs to the next one.
func (r *rewriter) isDistinct(items []item, i int) int {
	t := items[i].tok
	j := i + 1
	name := "__pg_is_distinct"
	if items[j].is("not") {
		name = "__pg_is_not_distinct"
		j++
	}
	j++ // distinct
	if j >= len(items) || !items[j].is("from") {
		r.fail(errNear(r.text, t))
		return len(items)
	}
	j++
	start := r.exprStart()
	if start == len(r.out) {
		r.fail(errNear(r.text, t))
		return len(items)
	}
	left := append([]otok(nil), r.out[start:]...)
	r.out = r.out[:start]
	end := j
	for end < len(items) {
		it := items[end]
		if isClauseEnd(it) || it.isP(",") {
			break
		}
		if !it.group && it.tok.Kind == tkOp && isCompareOp(it.tok.Val) {
			break
		}
		if !it.group && it.tok.Kind == tkWord && !it.tok.Quoted {
			switch it.tok.Val {
			case "and", "or", "then", "else", "end", "when", "from", "as", "is", "asc", "desc", "nulls", "between", "in", "like", "ilike", "not", "into", "on", "using":
				goto done
			}
		}
		end++
	}
done:
	if end == j {
		r.fail(errNear(r.text, items[j-1].tok))
		return len(items)
	}
	r.emitW(name, t.Pos)
	r.emit("(", t.Pos)
	r.out = append(r.out, left...)
	r.emit(",", t.Pos)
	r.seq(items[j:end])
	r.emit(")", t.Pos)
	return end - 1
}

// filter rewrites agg(a1, a2...) FILTER (WHERE cond) into
// agg(__pg_filter(cond, a1), a2...), and count(*) FILTER (WHERE cond) into
// count(__pg_filter(cond)).
func (r *rewriter) filter(g item) {
	n := len(r.out)
	depth := 0
	open := -1
	for j := n - 1; j >= 0; j-- {
		if r.out[j].s == ")" {
			depth++
		} else if r.out[j].s == "(" {
			depth--
			if depth == 0 {
				open = j
				break
			}
		}
	}
	if open < 0 {
		r.fail(errNear(r.text, g.tok))
		return
	}
	args := append([]otok(nil), r.out[open+1:n-1]...)
	closeTok := r.out[n-1]
	r.out = r.out[:open+1]
	if len(args) > 0 && args[0].word && (args[0].s == "distinct" || args[0].s == "all") {
		r.out = append(r.out, args[0])
		args = args[1:]
	}
	first := len(args)
	depth = 0
	for j, a := range args {
		if a.s == "(" {
			depth++
		} else if a.s == ")" {
			depth--
		} else if a.s == "," && depth == 0 {
			first = j
			break
		}
	}
	r.emitW(MarkerFilter, g.tok.Pos)
	r.emit("(", g.tok.Pos)
	r.seq(g.kids[1:])
	if !(first == 1 && args[0].s == "*") && first > 0 {
		r.emit(",", g.tok.Pos)
		r.out = append(r.out, args[:first]...)
	}
	r.emit(")", g.close.Pos)
	r.out = append(r.out, args[first:]...)
	r.out = append(r.out, closeTok)
}

// limitStart reports whether items[i] begins a LIMIT/OFFSET/FETCH clause.
func (r *rewriter) limitStart(items []item, i int) bool {
	it := items[i]
	if i+1 >= len(items) {
		return false
	}
	if it.is("fetch") {
		return items[i+1].is("first") || items[i+1].is("next")
	}
	return true
}

// limit rewrites the LIMIT / OFFSET / FETCH clauses starting at items[i]
// into LIMIT count OFFSET off.
func (r *rewriter) limit(items []item, i int) int {
	var count, off []item
	hasCount := false
	isStop := func(it item) bool {
		return it.is("limit") || it.is("offset") || it.is("fetch") || it.is("for") || it.is("row") || it.is("rows") || it.isP(";") || it.is("union") || it.is("except") || it.is("intersect") || it.is("emit")
	}
	j := i
	for j < len(items) {
		it := items[j]
		switch {
		case it.is("limit"):
			j++
			if j < len(items) && items[j].is("all") {
				j++
				hasCount = false
				count = nil
				continue
			}
			k := j
			for k < len(items) && !isStop(items[k]) {
				k++
			}
			count, hasCount = items[j:k], true
			j = k
		case it.is("offset"):
			j++
			k := j
			for k < len(items) && !isStop(items[k]) {
				k++
			}
			off = items[j:k]
			j = k
			if j < len(items) && (items[j].is("row") || items[j].is("rows")) {
				j++
			}
		case it.is("fetch"):
			j++
			if j < len(items) && (items[j].is("first") || items[j].is("next")) {
				j++
			}
			k := j
			for k < len(items) && !items[k].is("row") && !items[k].is("rows") {
				k++
			}
			if k == j {
				count = []item{{tok: token{Kind: tkNumber, Val: "1", Pos: it.tok.Pos}}}
			} else {
				count = items[j:k]
			}
			hasCount = true
			j = k + 1
			if j < len(items) && items[j].is("only") {
				j++
			} else if j+1 < len(items) && items[j].is("with") && items[j+1].is("ties") {
				r.notSupported(items[j].tok.Pos, "FETCH ... WITH TIES is not supported")
				return len(items)
			} else {
				r.fail(errNear(r.text, tokAt(r.text, items, j)))
				return len(items)
			}
		default:
			goto done
		}
		if len(count) == 0 && hasCount || j > len(items) {
			r.fail(errNear(r.text, tokAt(r.text, items, j)))
			return len(items)
		}
	}
done:
	pos := items[i].tok.Pos
	if !hasCount && off == nil {
		return j - 1 // LIMIT ALL alone: no limit at all
	}
	r.emitW("limit", pos)
	if hasCount {
		r.limitValue(count, "LIMIT")
	} else {
		r.emit(maxLimit, pos)
	}
	if off != nil {
		r.emitW("offset", pos)
		r.limitValue(off, "OFFSET")
	}
	return j - 1
}

// tokAt returns items[j]'s token or an EOF token at the end of the text.
func tokAt(text string, items []item, j int) token {
	if j < len(items) {
		return items[j].tok
	}
	if len(items) > 0 {
		last := items[len(items)-1]
		if last.group {
			return token{Kind: tkEOF, Pos: last.close.End}
		}
		return token{Kind: tkEOF, Pos: last.tok.End}
	}
	return token{Kind: tkEOF, Pos: len(text)}
}

// scanAlias reads an optional [AS] alias [(col, ...)] at items[i].
func scanAlias(items []item, i int) (next int, alias string, cols []string) {
	j := i
	if j < len(items) && items[j].is("as") {
		j++
	}
	if j < len(items) && items[j].isWordLeaf() && (items[j].tok.Quoted || !isReservedAfterTable(items[j].tok.Val)) {
		alias = items[j].tok.Val
		j++
		if j < len(items) && items[j].isParen() {
			for _, k := range items[j].kids {
				if k.isWordLeaf() {
					cols = append(cols, k.tok.Val)
				}
			}
			j++
		}
		return j, alias, cols
	}
	return i, "", nil
}

func isReservedAfterTable(s string) bool {
	switch s {
	case "where", "group", "having", "order", "limit", "offset", "fetch", "union", "intersect", "except",
		"join", "left", "right", "inner", "full", "cross", "natural", "on", "using", "window", "emit", "as", "for", "lateral":
		return true
	}
	return false
}

// values rewrites VALUES (..), (..) [ORDER BY .. LIMIT ..] into a UNION ALL
// of SELECTs with columns column1..N (or cols if given).
func (r *rewriter) values(items []item, cols []string) {
	j := 1
	first := true
	for j < len(items) {
		g := items[j]
		if !g.isParen() {
			r.fail(errNear(r.text, g.tok))
			return
		}
		if !first {
			r.emitW("union", g.tok.Pos)
			r.emitW("all", g.tok.Pos)
		}
		r.emitW("select", g.tok.Pos)
		// Split the row into top-level comma-separated expressions.
		start := 0
		col := 0
		for k := 0; k <= len(g.kids); k++ {
			if k == len(g.kids) || g.kids[k].isP(",") {
				if k == start {
					r.fail(errNear(r.text, tokAt(r.text, g.kids, k)))
					return
				}
				if col > 0 {
					r.emit(",", g.tok.Pos)
				}
				r.seq(g.kids[start:k])
				col++
				name := "column" + strconv.Itoa(col)
				if col <= len(cols) {
					name = cols[col-1]
				}
				r.emitW("as", g.tok.Pos)
				r.emitW(quoteIdent(name), g.tok.Pos)
				start = k + 1
			}
		}
		first = false
		j++
		if j < len(items) && items[j].isP(",") {
			j++
			if j >= len(items) {
				r.fail(errNear(r.text, tokAt(r.text, items, j)))
				return
			}
			continue
		}
		break
	}
	if j < len(items) {
		r.seq(items[j:])
	}
}

// windowTVF rewrites TUMBLE/HOP/SESSION(args) [AS alias] at items[i] (the
// argument group) into
//
//	(SELECT * FROM input WHERE __pg_window('kind', timecol, args...)) AS alias
//
// Returns the last index consumed.
func (r *rewriter) windowTVF(items []item, i int, kind string, pos int) int {
	g := items[i]
	// Split args.
	var args [][]item
	start := 0
	for k := 0; k <= len(g.kids); k++ {
		if k == len(g.kids) || g.kids[k].isP(",") {
			args = append(args, g.kids[start:k])
			start = k + 1
		}
	}
	if len(args) < 3 || len(args[0]) == 0 || len(args[1]) == 0 {
		r.fail(syntaxErr(r.text, g.tok.Pos, "%s requires a relation, a time column and a window size", strings.ToUpper(kind)))
		return len(items)
	}
	input := args[0]
	if len(input) > 0 && input[0].is("table") {
		input = input[1:]
	}
	// SESSION(rel PARTITION BY k1, k2, ..., col, gap): the keys run up to
	// the last two arguments.
	var partKeys [][]item
	for k := 1; k+1 < len(input); k++ {
		if input[k].is("partition") && input[k+1].is("by") {
			if k+2 >= len(input) || len(args) < 3 {
				r.fail(errNear(r.text, input[k+1].tok))
				return len(items)
			}
			partKeys = append(partKeys, input[k+2:])
			partKeys = append(partKeys, args[1:len(args)-2]...)
			input = input[:k]
			args = append([][]item{input}, args[len(args)-2:]...)
			break
		}
	}
	if len(partKeys) == 1 && len(partKeys[0]) == 1 && partKeys[0][0].isParen() {
		// PARTITION BY (k1, k2)
		pk := partKeys[0][0].kids
		partKeys = nil
		start := 0
		for k := 0; k <= len(pk); k++ {
			if k == len(pk) || pk[k].isP(",") {
				partKeys = append(partKeys, pk[start:k])
				start = k + 1
			}
		}
	}
	timeCol := args[1]
	if len(timeCol) == 2 && timeCol[0].is("descriptor") && timeCol[1].isParen() {
		timeCol = timeCol[1].kids
	}
	next, alias, _ := scanAlias(items, i+1)
	if alias == "" {
		alias = kind
	}
	r.emit("(", pos)
	r.emitW("select", pos)
	r.emit("*", pos)
	r.emitW("from", pos)
	if len(input) == 1 && input[0].isParen() {
		r.group(input[0])
		r.emitW("as", pos)
		r.emitW("__pg_tvf_input", pos)
	} else {
		r.seq(input)
	}
	r.emitW("where", pos)
	r.emitW("__pg_window", pos)
	r.emit("(", pos)
	r.emit(quoteString(kind), pos)
	r.emit(",", pos)
	r.seq(timeCol)
	for _, a := range args[2:] {
		if len(a) == 0 {
			r.fail(errNear(r.text, g.close))
			return len(items)
		}
		r.emit(",", pos)
		r.seq(a)
	}
	if partKeys != nil {
		r.emit(",", pos)
		r.emitW(MarkerPartitionBy, pos)
		r.emit("(", pos)
		for k, a := range partKeys {
			if len(a) == 0 {
				r.fail(errNear(r.text, g.close))
				return len(items)
			}
			if k > 0 {
				r.emit(",", pos)
			}
			r.seq(a)
		}
		r.emit(")", pos)
	}
	r.emit(")", pos)
	r.emit(")", g.close.Pos)
	r.emitW("as", pos)
	r.emitW(quoteIdent(alias), pos)
	return next - 1
}

// atTimeZone rewrites x AT TIME ZONE z into timezone(z, x), PostgreSQL's
// function form of the operator.
func (r *rewriter) atTimeZone(items []item, i int) int {
	t := items[i].tok
	left := r.popPrimary()
	end := primaryEnd(items, i+3)
	if left == nil || end == i+3 {
		r.fail(errNear(r.text, t))
		return len(items)
	}
	r.emitW("timezone", t.Pos)
	r.emit("(", t.Pos)
	r.seq(items[i+3 : end])
	r.emit(",", t.Pos)
	r.out = append(r.out, left...)
	r.emit(")", t.Pos)
	return end - 1
}

// tableFunc rewrites a set-returning function in FROM, name(args) [[AS]
// alias [(col)]], into
//
//	(SELECT __pg_table_func('name', args...) [AS col]) AS alias
//
// (alias defaults to the function name).
func (r *rewriter) tableFunc(items []item, i int) int {
	t := items[i].tok
	g := items[i+1]
	next, alias, cols := scanAlias(items, i+2)
	if alias == "" {
		alias = t.Val
	}
	if len(cols) > 1 {
		r.notSupported(t.Pos, "column alias lists with more than one column are not supported for table functions")
		return len(items)
	}
	r.emit("(", t.Pos)
	r.emitW("select", t.Pos)
	r.emitW(MarkerTableFunc, t.Pos)
	r.emit("(", g.tok.Pos)
	r.emit(quoteString(t.Val), t.Pos)
	if len(g.kids) > 0 {
		r.emit(",", g.tok.Pos)
		r.seq(g.kids)
	}
	r.emit(")", g.close.Pos)
	if len(cols) == 1 {
		r.emitW("as", t.Pos)
		r.emitW(quoteIdent(cols[0]), t.Pos)
	}
	r.emit(")", g.close.Pos)
	r.emitW("as", t.Pos)
	r.emitW(quoteIdent(alias), t.Pos)
	return next - 1
}

// limitValue emits a LIMIT or OFFSET value. TiDB only takes literals and
// '?' there, so $n becomes '?' whose ParamMarkerExpr gets Order n after
// parsing (see AsParam).
func (r *rewriter) limitValue(v []item, what string) {
	if len(v) == 2 && v[0].isP("-") && !v[1].group && v[1].tok.Kind == tkNumber && strings.Trim(v[1].tok.Val, "0.") != "" {
		r.fail(types.Errorf("2201W", "%s must not be negative", what))
		return
	}
	if len(v) == 1 && !v[0].group && v[0].tok.Kind == tkParam {
		n, err := strconv.Atoi(v[0].tok.Val)
		if err != nil || n <= 0 {
			r.fail(errNear(r.text, v[0].tok))
			return
		}
		r.out = append(r.out, otok{s: "?", pos: v[0].tok.Pos, param: n})
		return
	}
	r.seq(v)
}

// containsP reports whether items has the punctuation or operator p at the
// top level.
func containsP(items []item, p string) bool {
	for _, it := range items {
		if it.isP(p) {
			return true
		}
	}
	return false
}

// defaultCollation returns the index after "pg_catalog.default" or
// "default" at items[i] (the name after COLLATE), or 0.
func defaultCollation(items []item, i int) int {
	if i+2 < len(items) && items[i].is("pg_catalog") && items[i+1].isP(".") && items[i+2].isWordLeaf() && items[i+2].tok.Val == "default" {
		return i + 3
	}
	if i < len(items) && items[i].isWordLeaf() && items[i].tok.Quoted && items[i].tok.Val == "default" {
		return i + 1
	}
	return 0
}

// regCast recognises the reg* types after :: (optionally pg_catalog.);
// it returns the function implementing the cast and the index after the
// type name.
func regCast(items []item, i int) (string, int) {
	if i+2 < len(items) && items[i].is("pg_catalog") && items[i+1].isP(".") {
		i += 2
	}
	if i < len(items) && items[i].isWordLeaf() && !items[i].tok.Quoted {
		switch v := items[i].tok.Val; v {
		case "regclass", "regtype", "regnamespace":
			if i+1 < len(items) && items[i+1].group && items[i+1].tok.Val == "[" {
				return "", 0
			}
			return v, i + 1
		}
	}
	return "", 0
}

// arrayTypeEnd returns the index after an array type name (int2[],
// pg_catalog.text[], varchar(10)[][]) at items[i], or 0.
func arrayTypeEnd(items []item, i int) int {
	j := i
	for j < len(items) && (items[j].isWordLeaf() || items[j].isP(".") || items[j].isParen() && j > i) {
		j++
	}
	if j == i || j >= len(items) || !items[j].group || items[j].tok.Val != "[" {
		return 0
	}
	for j < len(items) && items[j].group && items[j].tok.Val == "[" {
		j++
	}
	return j
}

// arraySubquery rewrites ARRAY(subquery) at items[i] into the array's text
// form:
//
//	(SELECT '{' || coalesce(string_agg(x::text, ','), '') || '}' FROM (subquery) AS __pg_array(x))
//
// Elements are not quoted and NULL elements are left out.
func (r *rewriter) arraySubquery(items []item, i int) int {
	t, g := items[i].tok, items[i+1]
	if r.arrayAgg(t, g) {
		return i + 1
	}
	r.emit("(", t.Pos)
	r.emitW("select", t.Pos)
	r.emit(quoteString("{"), t.Pos)
	r.emit("||", t.Pos)
	r.emitW("coalesce", t.Pos)
	r.emit("(", t.Pos)
	r.emitW("string_agg", t.Pos)
	r.emit("(", t.Pos)
	r.emitCast([]otok{{s: "__pg_array_elem", word: true, pos: t.Pos}}, types.TText, t.Pos)
	r.emit(",", t.Pos)
	r.emit(quoteString(","), t.Pos)
	r.emit(")", t.Pos)
	r.emit(",", t.Pos)
	r.emit(quoteString(""), t.Pos)
	r.emit(")", t.Pos)
	r.emit("||", t.Pos)
	r.emit(quoteString("}"), t.Pos)
	r.emitW("from", t.Pos)
	r.colAliases([]item{g}, "__pg_array", []string{"__pg_array_elem"}, t.Pos)
	r.emit(")", g.close.Pos)
	return i + 1
}

// arrayAgg rewrites ARRAY(SELECT e FROM ... [ORDER BY k]) with a single,
// simple output column into an aggregate over the subquery itself (so that
// correlated references keep working):
//
//	(SELECT '{' || coalesce(string_agg((e)::text, ',' ORDER BY k), '') || '}' FROM ...)
//
// It reports false for other subqueries.
func (r *rewriter) arrayAgg(t token, g item) bool {
	kids := g.kids
	if len(kids) < 2 || !kids[0].is("select") {
		return false
	}
	from, order := -1, len(kids)
	for k, it := range kids {
		switch {
		case it.is("distinct") || it.is("group") || it.is("having") || it.is("limit") || it.is("offset") || it.is("fetch") ||
			it.is("union") || it.is("intersect") || it.is("except") || it.is("window") || it.isP("*"):
			return false
		case it.isP(",") && from < 0:
			return false
		case it.is("from") && from < 0:
			from = k
		case it.is("order") && k+1 < len(kids) && kids[k+1].is("by"):
			order = k
		}
	}
	if from < 2 {
		return false
	}
	// Drop an output alias: e [AS] name.
	sel := kids[1:from]
	if n := len(sel); n >= 2 && sel[n-1].isWordLeaf() && (sel[n-2].is("as") || n == 2) {
		sel = sel[:n-1]
		if sel[len(sel)-1].is("as") {
			sel = sel[:len(sel)-1]
		}
	}
	paren := func(ks []item) item {
		return item{tok: token{Kind: tkPunct, Val: "(", Pos: t.Pos, End: t.Pos}, group: true, kids: ks, close: token{Kind: tkPunct, Val: ")", Pos: t.Pos, End: t.Pos}}
	}
	elem := paren(sel)
	args := []item{elem, {tok: token{Kind: tkOp, Val: "::", Pos: t.Pos}}, {tok: token{Kind: tkWord, Val: "text", Pos: t.Pos}},
		{tok: token{Kind: tkPunct, Val: ",", Pos: t.Pos}}, {tok: token{Kind: tkString, Val: ",", Pos: t.Pos}}}
	if order < len(kids) {
		args = append(args, kids[order], kids[order+1])
		for _, it := range kids[order+2:] {
			if !it.group && it.tok.Kind == tkNumber && it.tok.Val == "1" {
				it = paren(sel)
			}
			args = append(args, it)
		}
	}
	r.emit("(", t.Pos)
	r.emitW("select", t.Pos)
	r.emit(quoteString("{"), t.Pos)
	r.emit("||", t.Pos)
	r.emitW("coalesce", t.Pos)
	r.emit("(", t.Pos)
	r.emitW("string_agg", t.Pos)
	if order < len(kids) {
		r.aggOrder(paren(args))
	} else {
		r.group(paren(args))
	}
	r.emit(",", t.Pos)
	r.emit(quoteString(""), t.Pos)
	r.emit(")", t.Pos)
	r.emit("||", t.Pos)
	r.emit(quoteString("}"), t.Pos)
	r.seq(kids[from:order])
	r.emit(")", g.close.Pos)
	return true
}
