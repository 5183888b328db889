package sql

import (
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions
	"github.com/streamsql/streamsql/types"
)

// sqlMode is the TiDB SQL mode query bodies are parsed in.
const sqlMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes

var parserPool = sync.Pool{New: func() any {
	p := parser.New()
	p.SetSQLMode(sqlMode)
	return p
}}

// Statement is one parsed SQL statement. The concrete types are the
// pointer types of this package (*Query, *CreateTable, *Drop, ...).
type Statement interface {
	statement()
}

// Query is a query body parsed by TiDB after PostgreSQL rewriting: SELECT,
// a set operation, VALUES, INSERT, UPDATE or DELETE.
type Query struct {
	// Node is the TiDB AST (*ast.SelectStmt, *ast.SetOprStmt,
	// *ast.InsertStmt, *ast.UpdateStmt or *ast.DeleteStmt).
	Node ast.StmtNode
	// Text is the original PostgreSQL text of the query.
	Text string
}

// Explain is EXPLAIN [ANALYZE] <statement>.
type Explain struct {
	Analyze bool
	Verbose bool
	Stmt    Statement
}

func (*Query) statement()   {}
func (*Explain) statement() {}

// Parse parses one or more ';'-separated statements. Empty statements are
// dropped. Errors are *types.Error, with Position set for syntax errors.
func Parse(text string) ([]Statement, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	ranges := splitRanges(toks)
	out := make([]Statement, 0, len(ranges))
	for _, rg := range ranges {
		st, err := parseStatement(text, toks[rg[0]:rg[1]])
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// ParseOne parses text that must hold exactly one statement.
func ParseOne(text string) (Statement, error) {
	stmts, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, types.Errorf(types.CodeSyntaxError, "expected exactly one statement, got %d", len(stmts))
	}
	return stmts[0], nil
}

// ParseExpr parses one scalar expression, as used by DEFAULT and WATERMARK
// clauses. PostgreSQL constructs are rewritten as for queries.
func ParseExpr(text string) (ast.ExprNode, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		return nil, syntaxErr(text, len(text), "syntax error at end of input")
	}
	for _, t := range toks {
		if t.isP(";") {
			return nil, errNear(text, t)
		}
	}
	return parseExprToks(text, toks[:len(toks)-1])
}

// parseExprToks parses toks (a sub-range of text's tokens) as an expression.
func parseExprToks(text string, toks []token) (ast.ExprNode, error) {
	if len(toks) == 0 {
		return nil, syntaxErr(text, len(text), "syntax error at end of input")
	}
	node, err := parseTiDB(text, toks, "select")
	if err != nil {
		return nil, err
	}
	sel, ok := node.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil || sel.Where != nil ||
		sel.GroupBy != nil || sel.OrderBy != nil || sel.Limit != nil || sel.Fields.Fields[0].AsName.O != "" || sel.Fields.Fields[0].Expr == nil {
		return nil, errNear(text, toks[0])
	}
	return sel.Fields.Fields[0].Expr, nil
}

// parseQuery parses a query body given by toks.
func parseQuery(text string, toks []token) (*Query, error) {
	node, err := parseTiDB(text, toks, "")
	if err != nil {
		return nil, err
	}
	switch node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
	default:
		e := types.Errorf(types.CodeFeatureNotSupported, "statement not supported: %s", firstWords(text, toks))
		e.Position = runePos(text, toks[0].Pos)
		return nil, e
	}
	return &Query{Node: node, Text: text[toks[0].Pos:toks[len(toks)-1].End]}, nil
}

func firstWords(text string, toks []token) string {
	n := min(len(toks), 2)
	return strings.ToUpper(text[toks[0].Pos:toks[n-1].End])
}

// parseTiDB rewrites toks into TiDB text (after an optional prefix keyword)
// and parses it with TiDB, mapping syntax errors back to the original text.
func parseTiDB(text string, toks []token, prefix string) (ast.StmtNode, error) {
	items, err := buildTree(text, toks)
	if err != nil {
		return nil, err
	}
	r := &rewriter{text: text, out: make([]otok, 0, len(toks)+8)}
	if prefix != "" {
		r.emitW(prefix, toks[0].Pos)
	}
	r.seq(items)
	if r.err != nil {
		return nil, r.err
	}
	sqlText, offs := r.render()
	p := parserPool.Get().(*parser.Parser)
	stmts, _, perr := p.Parse(sqlText, "", "")
	// The returned slice is the parser's own buffer, reused by its next
	// Parse: take the statement out before the parser goes back to the pool.
	nStmts := len(stmts)
	var stmt ast.StmtNode
	if nStmts == 1 {
		stmt = stmts[0]
	}
	stmts = nil
	parserPool.Put(p)
	if perr != nil {
		return nil, mapTiDBError(text, toks, r.out, offs, sqlText, perr)
	}
	if nStmts != 1 {
		return nil, errNear(text, toks[0])
	}
	var fix paramFixer
	for i, o := range r.out {
		if o.param > 0 {
			if fix.m == nil {
				fix.m = map[int]int{}
			}
			fix.m[offs[i]] = o.param
		}
	}
	if fix.m != nil {
		stmt.Accept(&fix)
	}
	return stmt, nil
}

// paramFixer stores $n into the Order of the '?' markers emitted for
// LIMIT/OFFSET parameters, keyed by their offset in the rewritten text.
type paramFixer struct{ m map[int]int }

func (v *paramFixer) Enter(n ast.Node) (ast.Node, bool) {
	if p, ok := n.(*test_driver.ParamMarkerExpr); ok {
		if k, ok := v.m[p.Offset]; ok {
			p.Order = k
		}
	}
	return n, false
}

func (v *paramFixer) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// mapTiDBError turns a TiDB parse error into a 42601 error naming the
// original token nearest to where TiDB stopped.
func mapTiDBError(text string, toks []token, out []otok, offs []int, sqlText string, perr error) error {
	msg := perr.Error()
	end := toks[len(toks)-1].End
	col := -1
	if k := strings.Index(msg, "column "); k >= 0 {
		rest := msg[k+len("column "):]
		n := 0
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		col, _ = strconv.Atoi(rest[:n])
	}
	if col < 0 || !strings.Contains(msg, "near") {
		e := types.Errorf(types.CodeSyntaxError, "syntax error: %s", msg)
		return e
	}
	near := ""
	if k := strings.Index(msg, "near \""); k >= 0 {
		near = msg[k+6:]
	}
	if near == "\" " || near == "\"" || near == "" || col >= len(sqlText) && strings.HasPrefix(near, "\"") && len(strings.TrimSpace(near)) <= 1 {
		return errAtEnd(text, end)
	}
	// The failing output token is the one containing byte col-1.
	idx := 0
	for i, o := range offs {
		if o <= col-1 {
			idx = i
		} else {
			break
		}
	}
	pos := out[idx].pos
	for _, t := range toks {
		if t.Pos == pos {
			return errNear(text, t)
		}
	}
	return syntaxErr(text, pos, "syntax error at or near \"%s\"", clip(text[pos:end]))
}

// errAtEnd reports a syntax error at the end of a token range ending at byte
// end: "at end of input", or near the next token when the range was part of
// a larger statement (a DEFAULT expression, a view's query).
func errAtEnd(text string, end int) error {
	if rest, err := lex(text[end:]); err == nil && rest[0].Kind != tkEOF && !rest[0].isP(";") {
		t := rest[0]
		t.Pos += end
		t.End += end
		return errNear(text, t)
	}
	return syntaxErr(text, end, "syntax error at end of input")
}
