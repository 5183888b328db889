// Package postgres is the PostgreSQL sink: it writes a sink's changes into
// an existing table of a PostgreSQL server with pgx, exactly once through
// crashes by recording its progress in the same transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/streamsql/streamsql/types"
)

// Options are a PostgreSQL sink's settings. RisingWave's JDBC spelling
//
//	connector = 'jdbc', jdbc.url = 'jdbc:postgresql://host:port/db?user=u&password=p',
//	table.name = 't' [, schema.name = 's', user = 'u', password = 'p']
//
// and the plain one
//
//	connector = 'postgres', url = 'postgres://u:p@host:port/db', table = 't'
//
// are both accepted.
type Options struct {
	URL    string // a postgres:// URL for pgx
	Table  string
	Schema string
}

// ParseOptions parses the WITH map; engineKeys are the engine's own keys
// (type, primary_key, ...), skipped. Errors are *types.Error: 42601 for a
// missing option, 22023 for an invalid one.
func ParseOptions(with map[string]string, engineKeys map[string]bool) (Options, error) {
	var o Options
	var user, password string
	for k, v := range with {
		v = strings.TrimSpace(v)
		lk := strings.ToLower(k)
		switch {
		case lk == "connector" || engineKeys[lk]:
		case lk == "jdbc.url" || lk == "url" || lk == "connection" || lk == "connection.url":
			u, err := pgURL(v)
			if err != nil {
				return o, err
			}
			o.URL = u
		case lk == "table.name" || lk == "table":
			o.Table = v
		case lk == "schema.name" || lk == "schema":
			o.Schema = v
		case lk == "user" || lk == "username":
			user = v
		case lk == "password":
			password = v
		default:
			return o, types.Errorf(types.CodeInvalidParameterValue, "postgres sink: unrecognized option %q (supported: jdbc.url or url, table.name or table, schema.name, user, password)", k)
		}
	}
	if o.URL == "" {
		return o, types.Errorf(types.CodeSyntaxError, "postgres sink: option jdbc.url (or url) is required")
	}
	if o.Table == "" {
		return o, types.Errorf(types.CodeSyntaxError, "postgres sink: option table.name (or table) is required")
	}
	if user != "" || password != "" {
		u, _ := url.Parse(o.URL)
		if user == "" && u.User != nil {
			user = u.User.Username()
		}
		if password != "" {
			u.User = url.UserPassword(user, password)
		} else {
			u.User = url.User(user)
		}
		o.URL = u.String()
	}
	return o, nil
}

// pgURL turns a jdbc:postgresql:// or postgres[ql]:// URL into a pgx URL
// (JDBC's user and password query parameters are understood by pgx too).
func pgURL(v string) (string, error) {
	s := strings.TrimPrefix(v, "jdbc:")
	if strings.HasPrefix(s, "postgresql://") {
		s = "postgres://" + strings.TrimPrefix(s, "postgresql://")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "postgres" || u.Host == "" {
		return "", types.Errorf(types.CodeInvalidParameterValue, "postgres sink: invalid URL %q (expected jdbc:postgresql://host:port/db or postgres://user@host:port/db)", v)
	}
	return u.String(), nil
}

// ProgressTable is the table, in the target database, where each sink
// records the sequence number of the last change it wrote.
const ProgressTable = "_streamsql_sink_progress"

// Change is one row to write: Delete removes the row with its key, else
// the row is inserted (append-only) or upserted. Values are PostgreSQL
// text forms, nil for NULL.
type Change struct {
	Delete bool
	Vals   []*string
}

// Sink writes to one table.
type Sink struct {
	o      Options
	key    string
	conn   *pgx.Conn
	cols   []string
	pk     []int
	upsert bool
	insert string
	delete string
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Open connects, creates the progress table if needed and checks that the
// target table has the columns (by name) of the sink. key identifies the
// sink in the progress table; pk are the key column ordinals (upsert).
func Open(ctx context.Context, o Options, key string, cols []string, pk []int, upsert bool) (*Sink, error) {
	conn, err := pgx.Connect(ctx, o.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres sink: connect: %w", err)
	}
	s := &Sink{o: o, key: key, conn: conn, cols: cols, pk: pk, upsert: upsert}
	if err := s.prepare(ctx); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *Sink) prepare(ctx context.Context) error {
	if _, err := s.conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+ProgressTable+" (sink text PRIMARY KEY, seq bigint NOT NULL)"); err != nil {
		return fmt.Errorf("postgres sink: create %s: %w", ProgressTable, err)
	}
	table := quoteIdent(s.o.Table)
	if s.o.Schema != "" {
		table = quoteIdent(s.o.Schema) + "." + table
	}
	rows, err := s.conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return tableErr(table, err)
	}
	typ := map[string]string{}
	defer rows.Close()
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return err
		}
		typ[n] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return tableErr(table, err)
	}
	var names, vals, sets []string
	for i, c := range s.cols {
		t, ok := typ[c]
		if !ok {
			return types.Errorf(types.CodeUndefinedColumn, "postgres sink: table %s of the target database has no column %q", table, c)
		}
		names = append(names, quoteIdent(c))
		vals = append(vals, fmt.Sprintf("CAST($%d::text AS %s)", i+1, t))
	}
	isKey := map[int]bool{}
	var keyNames, conds []string
	for k, i := range s.pk {
		isKey[i] = true
		keyNames = append(keyNames, quoteIdent(s.cols[i]))
		conds = append(conds, fmt.Sprintf("%s = CAST($%d::text AS %s)", quoteIdent(s.cols[i]), k+1, typ[s.cols[i]]))
	}
	for i, c := range s.cols {
		if !isKey[i] {
			sets = append(sets, quoteIdent(c)+" = EXCLUDED."+quoteIdent(c))
		}
	}
	s.insert = "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
	if s.upsert {
		if len(sets) == 0 {
			s.insert += " ON CONFLICT (" + strings.Join(keyNames, ", ") + ") DO NOTHING"
		} else {
			s.insert += " ON CONFLICT (" + strings.Join(keyNames, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
		}
		s.delete = "DELETE FROM " + table + " WHERE " + strings.Join(conds, " AND ")
	}
	return nil
}

func tableErr(table string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return types.Errorf(types.CodeUndefinedTable, "postgres sink: table %s does not exist in the target database", table)
	}
	return fmt.Errorf("postgres sink: table %s: %w", table, err)
}

// Close closes the connection.
func (s *Sink) Close() { s.conn.Close(context.Background()) }

// Recover returns the sequence number of the last change written (0 if
// none).
func (s *Sink) Recover(ctx context.Context) (uint64, error) {
	var seq int64
	err := s.conn.QueryRow(ctx, "SELECT seq FROM "+ProgressTable+" WHERE sink = $1", s.key).Scan(&seq)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres sink: read progress: %w", err)
	}
	return uint64(seq), nil
}

// Deliver writes changes and records seq as the progress, in one
// transaction.
func (s *Sink) Deliver(ctx context.Context, changes []Change, seq uint64) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres sink: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	for _, c := range changes {
		if c.Delete {
			if !s.upsert {
				continue
			}
			args := make([]any, len(s.pk))
			for k, i := range s.pk {
				args[k] = textArg(c.Vals[i])
			}
			b.Queue(s.delete, args...)
			continue
		}
		args := make([]any, len(c.Vals))
		for i, v := range c.Vals {
			args[i] = textArg(v)
		}
		b.Queue(s.insert, args...)
	}
	b.Queue("INSERT INTO "+ProgressTable+" (sink, seq) VALUES ($1, $2) ON CONFLICT (sink) DO UPDATE SET seq = EXCLUDED.seq", s.key, int64(seq))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres sink: write: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres sink: commit: %w", err)
	}
	return nil
}

func textArg(v *string) any {
	if v == nil {
		return nil
	}
	return *v
}
