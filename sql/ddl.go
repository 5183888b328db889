package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/types"
)

// ColumnDef is one column of CREATE TABLE / CREATE SOURCE.
type ColumnDef struct {
	Name       string
	Type       types.T
	NotNull    bool
	PrimaryKey bool
	Unique     bool
	// Default is the DEFAULT expression, nil if none; DefaultText is its
	// original text.
	Default     ast.ExprNode
	DefaultText string
	// Proctime marks a column declared AS PROCTIME(): a timestamptz
	// generated column holding the time the row was ingested.
	Proctime bool
}

// WatermarkDef is WATERMARK FOR Column AS Expr.
type WatermarkDef struct {
	Column string
	Expr   ast.ExprNode
	// Text is the original text of Expr.
	Text string
}

// IncludeDef is an INCLUDE key|partition|offset|timestamp|header [AS alias]
// clause of a connector-backed table or source.
type IncludeDef struct {
	Kind  string
	Alias string
}

// CreateTable is CREATE TABLE. A table-level PRIMARY KEY (..) constraint and
// column-level PRIMARY KEY both fill PrimaryKey (and set the columns'
// PrimaryKey flags); Unique lists table-level UNIQUE constraints.
type CreateTable struct {
	Name          string
	Schema        string
	IfNotExists   bool
	Columns       []ColumnDef
	PrimaryKey    []string
	Unique        [][]string
	AppendOnly    bool
	Include       []IncludeDef
	With          map[string]string
	Format        string
	Encode        string
	FormatOptions map[string]string
	Watermark     *WatermarkDef
	// AsQuery is set for CREATE TABLE ... AS query.
	AsQuery *Query
}

// CreateSource is CREATE SOURCE: like a table, without storage of its own.
type CreateSource struct {
	Name          string
	Schema        string
	IfNotExists   bool
	Columns       []ColumnDef
	PrimaryKey    []string
	Include       []IncludeDef
	With          map[string]string
	Format        string
	Encode        string
	FormatOptions map[string]string
	Watermark     *WatermarkDef
}

// CreateView is CREATE [OR REPLACE] [MATERIALIZED] VIEW.
type CreateView struct {
	Name              string
	Schema            string
	Materialized      bool
	IfNotExists       bool
	OrReplace         bool
	Columns           []string
	Query             *Query
	EmitOnWindowClose bool
}

// IndexColumn is one key column of CREATE INDEX.
type IndexColumn struct {
	Name string
	Desc bool
}

// CreateIndex is CREATE [UNIQUE] INDEX.
type CreateIndex struct {
	Name        string
	Table       string
	Unique      bool
	IfNotExists bool
	Columns     []IndexColumn
	Include     []string
}

// CreateSink is CREATE SINK name FROM relation | AS query WITH (...).
type CreateSink struct {
	Name        string
	Schema      string
	IfNotExists bool
	From        string
	Query       *Query
	// EmitOnWindowClose is set by EMIT ON WINDOW CLOSE after the query.
	EmitOnWindowClose bool
	With              map[string]string
	Format            string
	Encode            string
	FormatOptions     map[string]string
}

// Drop is DROP kind [IF EXISTS] names [CASCADE]. Kind is one of "TABLE",
// "VIEW", "MATERIALIZED VIEW", "INDEX", "SOURCE", "SINK".
type Drop struct {
	Kind     string
	Names    []string
	IfExists bool
	Cascade  bool
}

// Set is SET [SESSION|LOCAL] name = value, SET TIME ZONE value, or RESET
// name (Reset set; RESET ALL has Name "all"). Name is lower case ("timezone"
// for TIME ZONE); Value is the value text, several values joined by ", ",
// and "DEFAULT" for DEFAULT.
type Set struct {
	Name  string
	Value string
	Local bool
	Reset bool
}

// Show is SHOW name: a setting ("all" for SHOW ALL) or one of "tables",
// "materialized views", "views", "sources", "sinks", "indexes", "columns",
// "databases", "schemas". Target is the relation of SHOW INDEXES/COLUMNS FROM t.
type Show struct {
	Name   string
	Target string
}

// Describe is DESCRIBE name.
type Describe struct{ Name string }

// Flush is FLUSH: wait until all pending changes are visible.
type Flush struct{}

// Begin is BEGIN or START TRANSACTION.
type Begin struct{}

// Commit is COMMIT or END.
type Commit struct{}

// Rollback is ROLLBACK or ABORT.
type Rollback struct{}

// Discard is DISCARD ALL.
type Discard struct{}

// Deallocate is DEALLOCATE [PREPARE] name | ALL.
type Deallocate struct {
	Name string
	All  bool
}

func (*CreateTable) statement()  {}
func (*CreateSource) statement() {}
func (*CreateView) statement()   {}
func (*CreateIndex) statement()  {}
func (*CreateSink) statement()   {}
func (*Drop) statement()         {}
func (*Set) statement()          {}
func (*Show) statement()         {}
func (*Describe) statement()     {}
func (*Flush) statement()        {}
func (*Begin) statement()        {}
func (*Commit) statement()       {}
func (*Rollback) statement()     {}
func (*Discard) statement()      {}
func (*Deallocate) statement()   {}

// dparser is the recursive-descent parser for non-query statements over
// the tokens of one statement (toks ends with an EOF token).
type dparser struct {
	text string
	toks []token
	i    int
}

func (p *dparser) peek() token { return p.toks[p.i] }
func (p *dparser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *dparser) next() token {
	t := p.toks[p.i]
	if t.Kind != tkEOF {
		p.i++
	}
	return t
}
func (p *dparser) accept(kws ...string) bool {
	for k, kw := range kws {
		if !p.peekN(k).is(kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}
func (p *dparser) acceptP(s string) bool {
	if p.peek().isP(s) {
		p.i++
		return true
	}
	return false
}
func (p *dparser) fail() error { return errNear(p.text, p.peek()) }
func (p *dparser) expect(kws ...string) error {
	if !p.accept(kws...) {
		return p.fail()
	}
	return nil
}
func (p *dparser) expectP(s string) error {
	if !p.acceptP(s) {
		return p.fail()
	}
	return nil
}

// ident reads one identifier.
func (p *dparser) ident() (string, error) {
	t := p.peek()
	if t.Kind != tkWord {
		return "", p.fail()
	}
	p.i++
	return t.Val, nil
}

// qname reads a possibly qualified name and returns (schema, name).
func (p *dparser) qname() (string, string, error) {
	n, err := p.ident()
	if err != nil {
		return "", "", err
	}
	schema := ""
	for p.peek().isP(".") && p.peekN(1).Kind == tkWord {
		p.i++
		schema = n
		n = p.next().Val
	}
	return schema, n, nil
}

func (p *dparser) atEnd() bool { return p.peek().Kind == tkEOF }

func (p *dparser) end() error {
	if !p.atEnd() {
		return p.fail()
	}
	return nil
}

// rest returns the tokens from the current one to the end (without EOF).
func (p *dparser) rest() []token { return p.toks[p.i : len(p.toks)-1] }

// parseStatement parses one statement (toks without the terminator).
func parseStatement(text string, toks []token) (Statement, error) {
	first := toks[0]
	if first.Kind != tkWord || first.Quoted {
		return parseQuery(text, toks)
	}
	all := make([]token, len(toks)+1)
	copy(all, toks)
	last := toks[len(toks)-1]
	all[len(toks)] = token{Kind: tkEOF, Pos: last.End, End: last.End}
	p := &dparser{text: text, toks: all}
	switch first.Val {
	case "create":
		return p.create()
	case "drop":
		return p.drop()
	case "set":
		return p.set()
	case "reset":
		p.next()
		if p.accept("all") {
			return &Set{Name: "all", Reset: true}, p.end()
		}
		name, err := p.settingName()
		if err != nil {
			return nil, err
		}
		return &Set{Name: name, Reset: true}, p.end()
	case "show":
		return p.show()
	case "describe", "desc":
		p.next()
		_, n, err := p.qname()
		if err != nil {
			return nil, err
		}
		return &Describe{Name: n}, p.end()
	case "explain":
		p.next()
		ex := &Explain{}
		for {
			if p.accept("analyze") || p.accept("analyse") {
				ex.Analyze = true
			} else if p.accept("verbose") {
				ex.Verbose = true
			} else if p.peek().isP("(") && p.peekN(1).Kind == tkWord && !p.peekN(1).is("select") && !p.peekN(1).is("values") && !p.peekN(1).is("with") {
				p.next()
				for !p.acceptP(")") {
					if p.atEnd() {
						return nil, p.fail()
					}
					t := p.next()
					if t.is("analyze") {
						ex.Analyze = !(p.peek().is("false") || p.peek().is("off"))
					} else if t.is("verbose") {
						ex.Verbose = !(p.peek().is("false") || p.peek().is("off"))
					}
				}
			} else {
				break
			}
		}
		if p.atEnd() {
			return nil, p.fail()
		}
		st, err := parseStatement(text, p.rest())
		if err != nil {
			return nil, err
		}
		ex.Stmt = st
		return ex, nil
	case "flush":
		p.next()
		return &Flush{}, p.end()
	case "begin", "start":
		p.next()
		if first.Val == "start" {
			if err := p.expect("transaction"); err != nil {
				return nil, err
			}
		} else {
			_ = p.accept("transaction") || p.accept("work")
		}
		// Transaction modes (ISOLATION LEVEL ..., READ ONLY) are accepted and ignored.
		for !p.atEnd() {
			if t := p.next(); t.Kind != tkWord && !t.isP(",") {
				return nil, errNear(text, t)
			}
		}
		return &Begin{}, nil
	case "commit", "end":
		p.next()
		_ = p.accept("transaction") || p.accept("work")
		return &Commit{}, p.end()
	case "rollback", "abort":
		p.next()
		_ = p.accept("transaction") || p.accept("work")
		return &Rollback{}, p.end()
	case "discard":
		p.next()
		if !(p.accept("all") || p.accept("plans") || p.accept("temp") || p.accept("temporary") || p.accept("sequences")) {
			return nil, p.fail()
		}
		return &Discard{}, p.end()
	case "deallocate":
		p.next()
		p.accept("prepare")
		if p.accept("all") {
			return &Deallocate{All: true}, p.end()
		}
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &Deallocate{Name: n}, p.end()
	}
	return parseQuery(text, toks)
}

func (p *dparser) create() (Statement, error) {
	p.next()
	orReplace := p.accept("or", "replace")
	switch {
	case p.accept("materialized", "view"):
		return p.createView(true, orReplace)
	case p.accept("view"):
		return p.createView(false, orReplace)
	case p.accept("table"):
		return p.createTable(false)
	case p.accept("source"):
		return p.createTable(true)
	case p.accept("sink"):
		return p.createSink()
	case p.accept("unique", "index"):
		return p.createIndex(true)
	case p.accept("index"):
		return p.createIndex(false)
	}
	return nil, p.fail()
}

func (p *dparser) ifNotExists() bool { return p.accept("if", "not", "exists") }

func (p *dparser) identList() ([]string, error) {
	if err := p.expectP("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.acceptP(")") {
			return out, nil
		}
		if err := p.expectP(","); err != nil {
			return nil, err
		}
	}
}

func (p *dparser) createView(mat, orReplace bool) (Statement, error) {
	v := &CreateView{Materialized: mat, OrReplace: orReplace}
	v.IfNotExists = p.ifNotExists()
	var err error
	if v.Schema, v.Name, err = p.qname(); err != nil {
		return nil, err
	}
	if p.peek().isP("(") {
		if v.Columns, err = p.identList(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	rest := p.rest()
	n := len(rest)
	if n >= 4 && rest[n-4].is("emit") && rest[n-3].is("on") && rest[n-2].is("window") && rest[n-1].is("close") {
		v.EmitOnWindowClose = true
		rest = rest[:n-4]
	}
	if len(rest) == 0 {
		return nil, p.fail()
	}
	if v.Query, err = parseQuery(p.text, rest); err != nil {
		return nil, err
	}
	return v, nil
}

// queryEnd returns the index (into p.toks) where a query starting at p.i
// ends: EOF, or a top-level WITH ( / FORMAT / EMIT that follows the query.
func (p *dparser) queryEnd() int {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		t := p.toks[j]
		switch {
		case t.Kind == tkEOF:
			return j
		case t.isP("("):
			depth++
		case t.isP(")"):
			depth--
		case depth == 0 && j > p.i && (t.is("with") && p.toks[j+1].isP("(") || t.is("format") && p.toks[j+1].Kind == tkWord && p.toks[j+2].is("encode")):
			return j
		}
	}
	return len(p.toks) - 1
}

func (p *dparser) createTable(source bool) (Statement, error) {
	t := &CreateTable{}
	t.IfNotExists = p.ifNotExists()
	var err error
	if t.Schema, t.Name, err = p.qname(); err != nil {
		return nil, err
	}
	if p.acceptP("(") && !p.acceptP(")") {
		for {
			if err := p.tableElement(t); err != nil {
				return nil, err
			}
			if p.acceptP(")") {
				break
			}
			if err := p.expectP(","); err != nil {
				return nil, err
			}
		}
	}
	for !p.atEnd() {
		switch {
		case p.accept("append", "only"):
			t.AppendOnly = true
		case p.accept("include"):
			inc := IncludeDef{}
			if inc.Kind, err = p.ident(); err != nil {
				return nil, err
			}
			if p.peek().Kind == tkString {
				p.next() // INCLUDE header 'name'
			}
			if p.accept("as") {
				if inc.Alias, err = p.ident(); err != nil {
					return nil, err
				}
			}
			t.Include = append(t.Include, inc)
		case p.peek().is("with") && p.peekN(1).isP("("):
			p.next()
			if t.With, err = p.options(); err != nil {
				return nil, err
			}
		case p.accept("format"):
			if t.Format, t.Encode, t.FormatOptions, err = p.format(); err != nil {
				return nil, err
			}
		case !source && p.accept("as"):
			if p.atEnd() {
				return nil, p.fail()
			}
			end := p.queryEnd()
			if t.AsQuery, err = parseQuery(p.text, p.toks[p.i:end]); err != nil {
				return nil, err
			}
			p.i = end
		default:
			return nil, p.fail()
		}
	}
	if source {
		return &CreateSource{Name: t.Name, Schema: t.Schema, IfNotExists: t.IfNotExists, Columns: t.Columns,
			PrimaryKey: t.PrimaryKey, Include: t.Include, With: t.With, Format: t.Format, Encode: t.Encode,
			FormatOptions: t.FormatOptions, Watermark: t.Watermark}, nil
	}
	return t, nil
}

// tableElement parses a column definition or table constraint.
func (p *dparser) tableElement(t *CreateTable) error {
	if p.accept("constraint") {
		if _, err := p.ident(); err != nil {
			return err
		}
	}
	switch {
	case p.accept("primary", "key"):
		cols, err := p.identList()
		if err != nil {
			return err
		}
		if t.PrimaryKey != nil {
			return types.Errorf(types.CodeInvalidTableDefinition, "multiple primary keys for table \"%s\" are not allowed", t.Name)
		}
		t.PrimaryKey = cols
		for i := range t.Columns {
			for _, c := range cols {
				if t.Columns[i].Name == c {
					t.Columns[i].PrimaryKey = true
				}
			}
		}
		return nil
	case p.peek().is("unique") && p.peekN(1).isP("("):
		p.next()
		cols, err := p.identList()
		if err != nil {
			return err
		}
		t.Unique = append(t.Unique, cols)
		return nil
	case p.accept("watermark", "for"):
		col, err := p.ident()
		if err != nil {
			return err
		}
		if err := p.expect("as"); err != nil {
			return err
		}
		e, txt, err := p.exprUntilComma()
		if err != nil {
			return err
		}
		t.Watermark = &WatermarkDef{Column: col, Expr: e, Text: txt}
		return nil
	case p.peek().is("check") || p.peek().is("foreign"):
		e := types.Errorf(types.CodeFeatureNotSupported, "%s constraints are not supported", strings.ToUpper(p.peek().Val))
		e.Position = runePos(p.text, p.peek().Pos)
		return e
	}
	var c ColumnDef
	var err error
	if c.Name, err = p.ident(); err != nil {
		return err
	}
	typ, next, err := scanTypeToks(p.text, p.toks, p.i)
	if err != nil {
		return err
	}
	p.i = next
	c.Type = typ
	for {
		switch {
		case p.accept("not", "null"):
			c.NotNull = true
		case p.accept("null"):
		case p.accept("primary", "key"):
			c.PrimaryKey = true
			c.NotNull = true
			if t.PrimaryKey != nil {
				return types.Errorf(types.CodeInvalidTableDefinition, "multiple primary keys for table \"%s\" are not allowed", t.Name)
			}
			t.PrimaryKey = []string{c.Name}
		case p.accept("unique"):
			c.Unique = true
		case p.accept("default"):
			if c.Default, c.DefaultText, err = p.exprUntilComma(); err != nil {
				return err
			}
		case p.accept("constraint"):
			if _, err := p.ident(); err != nil {
				return err
			}
		case p.peek().is("as") && p.peekN(1).is("proctime") && p.peekN(2).isP("(") && p.peekN(3).isP(")"):
			if err := proctimeColumn(&c, p.text, p.peek().Pos); err != nil {
				return err
			}
			p.i += 4
		case p.peek().is("check") || p.peek().is("references") || p.peek().is("generated") || p.peek().is("as") || p.peek().is("collate"):
			e := types.Errorf(types.CodeFeatureNotSupported, "column option %s is not supported", strings.ToUpper(p.peek().Val))
			e.Position = runePos(p.text, p.peek().Pos)
			return e
		default:
			t.Columns = append(t.Columns, c)
			return nil
		}
	}
}

// exprUntilComma parses an expression running to a top-level ',' or ')',
// or a column-constraint keyword.
func (p *dparser) exprUntilComma() (ast.ExprNode, string, error) {
	start := p.i
	depth := 0
	for {
		t := p.peek()
		if t.Kind == tkEOF {
			break
		}
		if depth == 0 && (t.isP(",") || t.isP(")") || t.is("not") && p.peekN(1).is("null") || t.is("primary") || t.is("unique") || t.is("constraint") || t.is("null") && p.i > start && !p.toks[p.i-1].is("is")) {
			break
		}
		if t.isP("(") {
			depth++
		} else if t.isP(")") {
			depth--
		}
		p.i++
	}
	if p.i == start {
		return nil, "", p.fail()
	}
	e, err := parseExprToks(p.text, p.toks[start:p.i])
	if err != nil {
		return nil, "", err
	}
	return e, p.text[p.toks[start].Pos:p.toks[p.i-1].End], nil
}

// options parses ( key = value, ... ). Keys may be dotted; values are
// strings, numbers or words.
func (p *dparser) options() (map[string]string, error) {
	if err := p.expectP("("); err != nil {
		return nil, err
	}
	m := map[string]string{}
	if p.acceptP(")") {
		return m, nil
	}
	for {
		var key strings.Builder
		for {
			t := p.peek()
			if t.Kind != tkWord && t.Kind != tkNumber {
				return nil, p.fail()
			}
			p.i++
			key.WriteString(t.Val)
			if !p.acceptP(".") {
				break
			}
			key.WriteByte('.')
		}
		if !p.acceptP("=") {
			// A key without value means true (WITH (x)).
			m[key.String()] = "true"
		} else {
			t := p.next()
			neg := ""
			if t.isP("-") {
				neg = "-"
				t = p.next()
			}
			switch t.Kind {
			case tkString, tkWord:
				m[key.String()] = t.Val
			case tkNumber:
				m[key.String()] = neg + t.Val
			default:
				return nil, errNear(p.text, t)
			}
		}
		if p.acceptP(")") {
			return m, nil
		}
		if err := p.expectP(","); err != nil {
			return nil, err
		}
	}
}

// format parses PLAIN|UPSERT|... ENCODE JSON|... [( options )].
func (p *dparser) format() (string, string, map[string]string, error) {
	f, err := p.ident()
	if err != nil {
		return "", "", nil, err
	}
	if err := p.expect("encode"); err != nil {
		return "", "", nil, err
	}
	e, err := p.ident()
	if err != nil {
		return "", "", nil, err
	}
	var opts map[string]string
	if p.peek().isP("(") {
		if opts, err = p.options(); err != nil {
			return "", "", nil, err
		}
	}
	return strings.ToUpper(f), strings.ToUpper(e), opts, nil
}

func (p *dparser) createSink() (Statement, error) {
	s := &CreateSink{}
	s.IfNotExists = p.ifNotExists()
	var err error
	if s.Schema, s.Name, err = p.qname(); err != nil {
		return nil, err
	}
	switch {
	case p.accept("from"):
		if _, s.From, err = p.qname(); err != nil {
			return nil, err
		}
	case p.accept("as"):
		if p.atEnd() {
			return nil, p.fail()
		}
		end := p.queryEnd()
		q := p.toks[p.i:end]
		if n := len(q); n > 4 && q[n-4].is("emit") && q[n-3].is("on") && q[n-2].is("window") && q[n-1].is("close") {
			s.EmitOnWindowClose = true
			q = q[:n-4]
		}
		if s.Query, err = parseQuery(p.text, q); err != nil {
			return nil, err
		}
		p.i = end
	default:
		return nil, p.fail()
	}
	for !p.atEnd() {
		switch {
		case p.accept("with"):
			if s.With, err = p.options(); err != nil {
				return nil, err
			}
		case p.accept("format"):
			if s.Format, s.Encode, s.FormatOptions, err = p.format(); err != nil {
				return nil, err
			}
		default:
			return nil, p.fail()
		}
	}
	return s, nil
}

func (p *dparser) createIndex(unique bool) (Statement, error) {
	ix := &CreateIndex{Unique: unique}
	ix.IfNotExists = p.ifNotExists()
	var err error
	if !p.peek().is("on") {
		if ix.Name, err = p.ident(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("on"); err != nil {
		return nil, err
	}
	if _, ix.Table, err = p.qname(); err != nil {
		return nil, err
	}
	if p.accept("using") {
		if _, err := p.ident(); err != nil {
			return nil, err
		}
	}
	if err := p.expectP("("); err != nil {
		return nil, err
	}
	for {
		var c IndexColumn
		if c.Name, err = p.ident(); err != nil {
			return nil, err
		}
		if p.accept("desc") {
			c.Desc = true
		} else {
			p.accept("asc")
		}
		ix.Columns = append(ix.Columns, c)
		if p.acceptP(")") {
			break
		}
		if err := p.expectP(","); err != nil {
			return nil, err
		}
	}
	if p.accept("include") {
		if ix.Include, err = p.identList(); err != nil {
			return nil, err
		}
	}
	if p.accept("distributed", "by") {
		if _, err = p.identList(); err != nil {
			return nil, err
		}
	}
	return ix, p.end()
}

func (p *dparser) drop() (Statement, error) {
	p.next()
	d := &Drop{}
	switch {
	case p.accept("materialized", "view"):
		d.Kind = "MATERIALIZED VIEW"
	case p.accept("table"):
		d.Kind = "TABLE"
	case p.accept("view"):
		d.Kind = "VIEW"
	case p.accept("index"):
		d.Kind = "INDEX"
	case p.accept("source"):
		d.Kind = "SOURCE"
	case p.accept("sink"):
		d.Kind = "SINK"
	default:
		return nil, p.fail()
	}
	d.IfExists = p.accept("if", "exists")
	for {
		_, n, err := p.qname()
		if err != nil {
			return nil, err
		}
		d.Names = append(d.Names, n)
		if !p.acceptP(",") {
			break
		}
	}
	if p.accept("cascade") {
		d.Cascade = true
	} else {
		p.accept("restrict")
	}
	return d, p.end()
}

// settingName reads a (possibly dotted) setting name, lower case.
func (p *dparser) settingName() (string, error) {
	if p.accept("time", "zone") {
		return "timezone", nil
	}
	if p.accept("transaction", "isolation", "level") {
		return "transaction_isolation", nil
	}
	n, err := p.ident()
	if err != nil {
		return "", err
	}
	for p.acceptP(".") {
		m, err := p.ident()
		if err != nil {
			return "", err
		}
		n += "." + m
	}
	return n, nil
}

func (p *dparser) set() (Statement, error) {
	p.next()
	s := &Set{}
	if p.accept("local") {
		s.Local = true
	} else {
		p.accept("session")
	}
	if p.accept("time", "zone") {
		s.Name = "timezone"
	} else {
		var err error
		if p.accept("session", "characteristics", "as") || p.accept("characteristics", "as") {
			if err := p.expect("transaction"); err != nil {
				return nil, err
			}
			return p.transactionModes(s)
		}
		if p.accept("transaction") {
			return p.transactionModes(s)
		}
		if s.Name, err = p.settingName(); err != nil {
			return nil, err
		}
		if !p.acceptP("=") && !p.accept("to") {
			return nil, p.fail()
		}
	}
	var vals []string
	for {
		t := p.next()
		switch {
		case t.Kind == tkString:
			vals = append(vals, t.Val)
		case t.Kind == tkNumber:
			vals = append(vals, t.Val)
		case t.isP("-") && p.peek().Kind == tkNumber:
			vals = append(vals, "-"+p.next().Val)
		case t.is("default"):
			vals = append(vals, "DEFAULT")
		case t.is("local") && s.Name == "timezone":
			vals = append(vals, "DEFAULT")
		case t.Kind == tkWord:
			vals = append(vals, t.Val)
		default:
			return nil, errNear(p.text, t)
		}
		if !p.acceptP(",") {
			break
		}
	}
	s.Value = strings.Join(vals, ", ")
	return s, p.end()
}

func (p *dparser) show() (Statement, error) {
	p.next()
	s := &Show{}
	switch {
	case p.accept("materialized", "views"):
		s.Name = "materialized views"
	case p.accept("indexes") || p.accept("index") || p.accept("columns"):
		s.Name = "indexes"
		if p.toks[p.i-1].Val == "columns" {
			s.Name = "columns"
		}
		if p.accept("from") || p.accept("on") || p.accept("in") {
			_, n, err := p.qname()
			if err != nil {
				return nil, err
			}
			s.Target = n
		}
	default:
		n, err := p.settingName()
		if err != nil {
			return nil, err
		}
		s.Name = n
		if (n == "tables" || n == "views" || n == "sources" || n == "sinks") && (p.accept("from") || p.accept("in")) {
			_, s.Target, err = p.qname()
			if err != nil {
				return nil, err
			}
		}
	}
	return s, p.end()
}

// transactionModes parses the modes of SET [SESSION CHARACTERISTICS AS]
// TRANSACTION: ISOLATION LEVEL x sets transaction_isolation, READ ONLY /
// READ WRITE sets transaction_read_only.
func (p *dparser) transactionModes(s *Set) (Statement, error) {
	for !p.atEnd() {
		switch {
		case p.accept("isolation", "level"):
			var words []string
			for p.peek().Kind == tkWord && !p.peek().is("read") || (p.peek().is("read") && (p.peekN(1).is("committed") || p.peekN(1).is("uncommitted"))) {
				words = append(words, p.next().Val)
			}
			if len(words) == 0 {
				return nil, p.fail()
			}
			s.Name, s.Value = "transaction_isolation", strings.Join(words, " ")
		case p.accept("read", "only"):
			s.Name, s.Value = "transaction_read_only", "on"
		case p.accept("read", "write"):
			s.Name, s.Value = "transaction_read_only", "off"
		case p.acceptP(","), p.accept("not", "deferrable"), p.accept("deferrable"):
		default:
			return nil, p.fail()
		}
	}
	if s.Name == "" {
		return nil, p.fail()
	}
	return s, nil
}
