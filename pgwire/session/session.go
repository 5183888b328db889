package session

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// session is one client connection's state.
type session struct {
	e *Engine
	// syncWait, set by a DML statement that committed under the write
	// lock, waits for its durability once the lock is released (group
	// commit: see state.Batch.CommitNoSyncWait).
	syncWait func() error
	info     pgwire.StartupInfo
	settings map[string]string
	tx       byte // 'I' idle, 'T' in a transaction block
	// wroteInTx records that a statement inside BEGIN..COMMIT changed data;
	// every statement commits on its own, so ROLLBACK cannot undo it.
	wroteInTx bool
}

var defaultSettings = map[string]string{
	"server_version":                "15.0",
	"server_version_num":            "150000",
	"server_encoding":               "UTF8",
	"client_encoding":               "UTF8",
	"datestyle":                     "ISO, MDY",
	"intervalstyle":                 "postgres",
	"timezone":                      "UTC",
	"integer_datetimes":             "on",
	"standard_conforming_strings":   "on",
	"application_name":              "",
	"is_superuser":                  "on",
	"extra_float_digits":            "1",
	"search_path":                   "\"$user\", public",
	"default_transaction_isolation": "serializable",
	"transaction_isolation":         "serializable",
	"rw_implicit_flush":             "true",
	"streaming_parallelism":         "0",
	"max_identifier_length":         "63",
}

// reported are the settings sent as ParameterStatus at startup, with
// PostgreSQL's capitalisation.
var reported = map[string]string{
	"server_version": "server_version", "server_encoding": "server_encoding",
	"client_encoding": "client_encoding", "datestyle": "DateStyle",
	"intervalstyle": "IntervalStyle", "timezone": "TimeZone",
	"integer_datetimes": "integer_datetimes", "standard_conforming_strings": "standard_conforming_strings",
	"application_name": "application_name", "is_superuser": "is_superuser",
}

func newSession(e *Engine, info pgwire.StartupInfo) *session {
	s := &session{e: e, info: info, settings: map[string]string{}, tx: 'I'}
	for k, v := range defaultSettings {
		s.settings[k] = v
	}
	for k, v := range info.Params {
		k = strings.ToLower(k)
		if k == "user" || k == "database" || k == "options" || k == "replication" {
			continue
		}
		s.settings[k] = v
	}
	s.settings["session_authorization"] = info.User
	return s
}

func (s *session) ParameterStatus() map[string]string {
	out := map[string]string{"session_authorization": s.info.User}
	for k, name := range reported {
		out[name] = s.settings[k]
	}
	return out
}

func (s *session) Split(query string) ([]string, error) { return sql.Split(query) }

func (s *session) TxStatus() byte { return s.tx }

func (s *session) Close() { s.e.sessions.Add(-1) }

// Prepare parses and binds one statement.
func (s *session) Prepare(ctx context.Context, query string, paramTypes []types.T) (pgwire.Statement, error) {
	stmts, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return &utilStmt{tag: ""}, nil
	}
	if len(stmts) > 1 {
		return nil, types.Errorf(types.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	return s.prepareStmt(stmts[0], query, paramTypes)
}

func (s *session) prepareStmt(st sql.Statement, query string, paramTypes []types.T) (pgwire.Statement, error) {
	switch x := st.(type) {
	case *sql.Query:
		return s.prepareQuery(x, paramTypes)
	case *sql.Explain:
		return s.prepareExplain(x)
	case *sql.Begin:
		return s.util("BEGIN", func() error {
			s.tx, s.wroteInTx = 'T', false
			return nil
		}), nil
	case *sql.Commit:
		return s.util("COMMIT", func() error {
			s.tx = 'I'
			return nil
		}), nil
	case *sql.Rollback:
		return s.util("ROLLBACK", func() error {
			wrote := s.wroteInTx && s.tx == 'T'
			s.tx, s.wroteInTx = 'I', false
			if wrote {
				e := types.Errorf(types.CodeFeatureNotSupported, "ROLLBACK cannot undo the changes made in this transaction block")
				e.Detail = "streamsql commits every statement on its own; the statements before ROLLBACK are already committed."
				return e
			}
			return nil
		}), nil
	case *sql.Set:
		return s.util("SET", func() error { return s.set(x) }), nil
	case *sql.Show:
		return s.prepareShow(x)
	case *sql.Describe:
		return s.prepareDescribe(x.Name)
	case *sql.Flush:
		// Tables commit synchronously: once a statement has returned its
		// effects are visible. Connectors commit in the background: FLUSH
		// makes every reader commit what it has produced so far.
		return &utilStmt{tag: "FLUSH", run: s.e.FlushSources}, nil
	case *sql.Discard:
		return s.util("DISCARD ALL", func() error {
			for k, v := range defaultSettings {
				s.settings[k] = v
			}
			return nil
		}), nil
	case *sql.Deallocate:
		// Named statements live in the protocol layer; SQL-level PREPARE is
		// not supported, so there is nothing to deallocate here.
		return s.util("DEALLOCATE", func() error { return nil }), nil
	case *sql.CreateTable:
		if x.AsQuery != nil {
			u := &utilStmt{tag: "SELECT 0"}
			u.run = func(ctx context.Context) error {
				if s.tx == 'T' {
					s.wroteInTx = true
				}
				tag, err := s.createTableAs(ctx, x)
				if err == nil {
					u.tag = tag
				}
				return err
			}
			return u, nil
		}
		return s.ddl("CREATE TABLE", func() error { return s.createTable(x) }), nil
	case *sql.CreateView:
		if x.Materialized {
			// Takes the write lock itself, only around its short steps:
			// the backfill runs while writers go on.
			return &utilStmt{tag: "CREATE MATERIALIZED VIEW", run: func(context.Context) error {
				return s.createMaterializedView(x)
			}}, nil
		}
		return s.ddl("CREATE VIEW", func() error { return s.createView(x) }), nil
	case *sql.CreateIndex:
		return s.ddl("CREATE INDEX", func() error { return s.createIndex(x) }), nil
	case *sql.Drop:
		return s.ddl("DROP "+x.Kind, func() error { return s.drop(x) }), nil
	case *sql.CreateSource:
		return s.ddl("CREATE SOURCE", func() error { return s.createSource(x, query) }), nil
	case *sql.CreateSink:
		// Takes the write lock itself: the backfill runs while writers go on.
		return &utilStmt{tag: "CREATE SINK", run: func(context.Context) error {
			return s.createSink(x, query)
		}}, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "statement %T is not supported", st)
}

func (s *session) util(tag string, run func() error) *utilStmt {
	return &utilStmt{tag: tag, run: func(context.Context) error { return run() }}
}

// ddl runs a definition change under the write lock.
func (s *session) ddl(tag string, run func() error) *utilStmt {
	return &utilStmt{tag: tag, run: func(context.Context) error {
		s.e.writeMu.Lock()
		defer s.e.writeMu.Unlock()
		if s.tx == 'T' {
			s.wroteInTx = true
		}
		return run()
	}}
}

func (s *session) set(x *sql.Set) error {
	name := strings.ToLower(x.Name)
	if x.Reset {
		if name == "all" {
			for k, v := range defaultSettings {
				s.settings[k] = v
			}
			return nil
		}
		if v, ok := defaultSettings[name]; ok {
			s.settings[name] = v
		} else {
			delete(s.settings, name)
		}
		return nil
	}
	switch name {
	case "timezone", "time zone":
		v := strings.Trim(x.Value, "'")
		if !strings.EqualFold(v, "utc") && !strings.EqualFold(v, "gmt") && v != "0" && !strings.EqualFold(v, "default") && !strings.EqualFold(v, "local") {
			if _, err := time.LoadLocation(v); err != nil {
				return types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
			}
			return types.Errorf(types.CodeFeatureNotSupported, "time zone %q is not supported: streamsql sessions run in UTC", v)
		}
		s.settings["timezone"] = "UTC"
		return nil
	case "rw_implicit_flush":
		// RisingWave's "DML waits until its changes are visible". streamsql's
		// views are maintained inside the DML statement's own batch, so a
		// statement's changes are always visible when it returns: the
		// setting is accepted and reported, and changes nothing.
		v := strings.ToLower(strings.TrimSpace(strings.Trim(x.Value, "'")))
		switch v {
		case "true", "on", "yes", "1", "t", "y":
			s.settings[name] = "true"
		case "false", "off", "no", "0", "f", "n":
			s.settings[name] = "false"
		case "default":
			s.settings[name] = defaultSettings[name]
		default:
			return types.Errorf(types.CodeInvalidParameterValue, "parameter %q requires a Boolean value", name)
		}
		return nil
	case "client_encoding":
		v := strings.ToUpper(strings.Trim(x.Value, "'"))
		if v != "UTF8" && v != "UTF-8" && v != "UNICODE" {
			return types.Errorf(types.CodeFeatureNotSupported, "client_encoding %q is not supported; use UTF8", v)
		}
		s.settings[name] = "UTF8"
		return nil
	}
	s.settings[name] = strings.Trim(x.Value, "'")
	return nil
}

// ---- statements ----

// utilStmt is a statement without result rows, or with a small result
// computed when it runs.
type utilStmt struct {
	tag  string
	cols []pgwire.Column
	run  func(ctx context.Context) error
	rows func(ctx context.Context) ([][]types.Datum, error)
}

func (u *utilStmt) ParamTypes() []types.T    { return nil }
func (u *utilStmt) Columns() []pgwire.Column { return u.cols }
func (u *utilStmt) Close()                   {}
func (u *utilStmt) Bind(ctx context.Context, params []types.Datum) (pgwire.Portal, error) {
	if len(params) > 0 {
		return nil, types.Errorf(types.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement requires 0", len(params))
	}
	return &utilPortal{u: u}, nil
}

type utilPortal struct {
	u    *utilStmt
	done bool
	rows [][]types.Datum
	sent int
}

func (p *utilPortal) Columns() []pgwire.Column { return p.u.cols }
func (p *utilPortal) Close()                   {}
func (p *utilPortal) Run(ctx context.Context, maxRows int, emit func(*exec.Chunk) error) (string, bool, error) {
	if !p.done {
		p.done = true
		if p.u.run != nil {
			if err := p.u.run(ctx); err != nil {
				return "", true, err
			}
		}
		if p.u.rows != nil {
			rows, err := p.u.rows(ctx)
			if err != nil {
				return "", true, err
			}
			p.rows = rows
		}
	}
	if p.u.cols == nil {
		return p.u.tag, true, nil
	}
	ts := make([]types.T, len(p.u.cols))
	for i, c := range p.u.cols {
		ts[i] = c.Type
	}
	end := len(p.rows)
	if maxRows > 0 && p.sent+maxRows < end {
		end = p.sent + maxRows
	}
	if end > p.sent {
		c := exec.NewChunk(ts)
		for _, r := range p.rows[p.sent:end] {
			c.AppendDatums(r)
		}
		if err := emit(c); err != nil {
			return "", true, err
		}
		p.sent = end
	}
	if p.sent < len(p.rows) {
		return "", false, nil
	}
	tag := p.u.tag
	if tag == "SHOW" || tag == "SELECT" || tag == "EXPLAIN" || tag == "DESCRIBE" {
		if tag != "SHOW" && tag != "EXPLAIN" {
			tag = fmt.Sprintf("SELECT %d", len(p.rows))
		}
	}
	return tag, true, nil
}

func textCols(names ...string) []pgwire.Column {
	cols := make([]pgwire.Column, len(names))
	for i, n := range names {
		cols[i] = pgwire.Column{Name: n, Type: types.TText}
	}
	return cols
}

func (s *session) prepareShow(x *sql.Show) (pgwire.Statement, error) {
	name := strings.ToLower(x.Name)
	listKind := func(kinds ...string) (pgwire.Statement, error) {
		return &utilStmt{tag: "SHOW", cols: textCols("Name"), rows: func(context.Context) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range s.e.cat.List() {
				for _, k := range kinds {
					if string(r.Kind) == k {
						out = append(out, []types.Datum{types.NewString(r.Name)})
					}
				}
			}
			return out, nil
		}}, nil
	}
	switch name {
	case "tables":
		return listKind("table")
	case "views":
		return listKind("view")
	case "materialized views", "materialized_views":
		return listKind("materialized view")
	case "sources":
		return listKind("source")
	case "sinks":
		cols := textCols("Name", "connector", "type")
		cols = append(cols, pgwire.Column{Name: "delivered_seq", Type: types.TInt8}, pgwire.Column{Name: "pending_entries", Type: types.TInt8}, pgwire.Column{Name: "last_error", Type: types.TText})
		return &utilStmt{tag: "SHOW", cols: cols, rows: func(context.Context) ([][]types.Datum, error) {
			return s.e.sinkStatusRows(), nil
		}}, nil
	case "state":
		return &utilStmt{tag: "SHOW", cols: append(textCols("view", "operator_state"), pgwire.Column{Name: "state_table", Type: types.TInt8}, pgwire.Column{Name: "keys", Type: types.TInt8}, pgwire.Column{Name: "approximate_bytes", Type: types.TInt8}), rows: func(context.Context) ([][]types.Datum, error) {
			return s.e.stateRows()
		}}, nil
	case "all":
		return &utilStmt{tag: "SHOW", cols: textCols("name", "setting", "description"), rows: func(context.Context) ([][]types.Datum, error) {
			keys := make([]string, 0, len(s.settings))
			for k := range s.settings {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var out [][]types.Datum
			for _, k := range keys {
				out = append(out, []types.Datum{types.NewString(k), types.NewString(s.settings[k]), types.NewString("")})
			}
			return out, nil
		}}, nil
	}
	if name == "time zone" {
		name = "timezone"
	}
	if name == "transaction isolation level" {
		name = "transaction_isolation"
	}
	v, ok := s.settings[name]
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter %q", x.Name)
	}
	colName := name
	if n, ok := reported[name]; ok {
		colName = n
	}
	return &utilStmt{tag: "SHOW", cols: textCols(colName), rows: func(context.Context) ([][]types.Datum, error) {
		return [][]types.Datum{{types.NewString(v)}}, nil
	}}, nil
}

func (s *session) prepareDescribe(name string) (pgwire.Statement, error) {
	rel := s.e.cat.Get(name)
	if rel == nil {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	return &utilStmt{tag: "DESCRIBE", cols: textCols("Name", "Type", "Is Hidden", "Description"), rows: func(context.Context) ([][]types.Datum, error) {
		var out [][]types.Datum
		pk := map[int]bool{}
		for _, c := range rel.PK {
			pk[c] = true
		}
		for i, c := range rel.Columns {
			desc := ""
			if pk[i] && rel.DeclaredPK {
				desc = "primary key"
			}
			out = append(out, []types.Datum{types.NewString(c.Name), types.NewString(c.Type.String()), types.NewString(fmt.Sprint(c.Hidden)), types.NewString(desc)})
		}
		for _, ix := range rel.Indexes {
			var cols []string
			for k, c := range ix.Columns {
				n := rel.Columns[c].Name
				if ix.Desc[k] {
					n += " DESC"
				}
				cols = append(cols, n)
			}
			out = append(out, []types.Datum{types.NewString(ix.Name), types.NewString("index(" + strings.Join(cols, ", ") + ")"), types.NewString("false"), types.NewString("")})
		}
		return out, nil
	}}, nil
}

func (s *session) prepareExplain(x *sql.Explain) (pgwire.Statement, error) {
	if cv, ok := x.Stmt.(*sql.CreateView); ok && cv.Materialized {
		return s.explainStream(cv)
	}
	q, ok := x.Stmt.(*sql.Query)
	if !ok {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "EXPLAIN is supported for queries and CREATE MATERIALIZED VIEW")
	}
	b := &planner.Binder{Cat: s.e.cat, Phys: &planner.PhysBuilder{}}
	bq, err := b.BindQuery(q.Node)
	if err != nil {
		return nil, err
	}
	root := planner.Optimize(bq.Root, s.e.rowEstimate)
	text := planner.Explain(root)
	return &utilStmt{tag: "EXPLAIN", cols: textCols("QUERY PLAN"), rows: func(context.Context) ([][]types.Datum, error) {
		var out [][]types.Datum
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			out = append(out, []types.Datum{types.NewString(l)})
		}
		return out, nil
	}}, nil
}
