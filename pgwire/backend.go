package pgwire

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Backend is what the protocol server drives: the database engine. The
// session layer implements it; pgwire knows nothing about SQL beyond this.
type Backend interface {
	// Connect opens a session for an authenticated client.
	Connect(ctx context.Context, info StartupInfo) (Conn, error)
}

// StartupInfo is what the client sent in its startup message.
type StartupInfo struct {
	User     string
	Database string
	Params   map[string]string // every startup parameter, including user and database
}

// Conn is one client session.
type Conn interface {
	// ParameterStatus lists the parameters reported to the client after
	// authentication (server_version, client_encoding, DateStyle, ...).
	ParameterStatus() map[string]string
	// Split cuts a simple-query string into its statements. Statements are
	// then prepared and run one at a time, so a later statement may depend
	// on an earlier one (CREATE TABLE t; INSERT INTO t ...).
	Split(query string) ([]string, error)
	// Prepare parses and plans one statement. paramTypes holds the types the
	// client specified (TUnknown where it left the choice to the server);
	// the statement infers the rest.
	Prepare(ctx context.Context, query string, paramTypes []types.T) (Statement, error)
	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction
	// block, 'E' in a failed transaction block.
	TxStatus() byte
	// Close ends the session.
	Close()
}

// Column describes one result column.
type Column struct {
	Name     string
	Type     types.T
	TableOID uint32
	ColNum   int16
}

// Statement is a prepared statement.
type Statement interface {
	// ParamTypes are the inferred types of $1..$n.
	ParamTypes() []types.T
	// Columns describes the rows the statement returns; nil when it returns
	// none (DDL, DML without RETURNING).
	Columns() []Column
	// Bind fixes the parameter values and returns a portal ready to run.
	Bind(ctx context.Context, params []types.Datum) (Portal, error)
	Close()
}

// Portal is a statement with bound parameters, possibly partly executed.
type Portal interface {
	Columns() []Column
	// Run sends at most maxRows rows (0 means all) to emit. It returns
	// done=false when it stopped because of maxRows (the portal is then
	// suspended and a later Run continues), and on completion done=true with
	// the command tag ("SELECT 3", "INSERT 0 1", "CREATE TABLE").
	Run(ctx context.Context, maxRows int, emit func(*exec.Chunk) error) (tag string, done bool, err error)
	Close()
}

// NoticeSender sends NoticeResponse messages to the client of the statement
// that is running. Statements find it in their context with
// NoticeSenderFromContext. It is safe for concurrent use; notices are
// delivered before the statement's next rows or its completion.
type NoticeSender interface {
	// SendNotice queues a notice. severity is NOTICE, WARNING, INFO, LOG or
	// DEBUG ("" means NOTICE); n.Code "" means 00000.
	SendNotice(severity string, n *types.Error)
}

type noticeKey struct{}

// WithNoticeSender returns a context carrying ns. The server installs one in
// the context of every Prepare, Bind and Run call.
func WithNoticeSender(ctx context.Context, ns NoticeSender) context.Context {
	return context.WithValue(ctx, noticeKey{}, ns)
}

// NoticeSenderFromContext returns the NoticeSender of ctx, or nil.
func NoticeSenderFromContext(ctx context.Context) NoticeSender {
	ns, _ := ctx.Value(noticeKey{}).(NoticeSender)
	return ns
}
