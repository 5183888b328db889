package pgwire

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) {
	if !codecsReady() {
		fmt.Fprintln(os.Stderr, "pgwire tests: types codecs not ready, using fake codecs")
		installFakeCodecs()
	}
	os.Exit(m.Run())
}

// logCapture is a slog handler remembering the messages logged at Error.
type logCapture struct {
	mu   sync.Mutex
	errs []string
}

func (h *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "panic" {
				msg += fmt.Sprintf(" (%v)", a.Value)
			}
			return true
		})
		h.mu.Lock()
		h.errs = append(h.errs, msg)
		h.mu.Unlock()
	}
	return nil
}
func (h *logCapture) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCapture) WithGroup(string) slog.Handler      { return h }

func (h *logCapture) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.errs...)
}

type testServer struct {
	srv  *Server
	be   *fakeBackend
	log  *logCapture
	addr string
	done chan error
}

func startServer(tb testing.TB, opts Options) *testServer {
	tb.Helper()
	ts := &testServer{be: &fakeBackend{}, log: &logCapture{}, done: make(chan error, 1)}
	opts.Logger = slog.New(ts.log)
	ts.srv = NewServer(ts.be, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { ts.done <- ts.srv.Serve(ln) }()
	tb.Cleanup(func() { ts.close(tb) })
	return ts
}

func (ts *testServer) close(tb testing.TB) {
	tb.Helper()
	if ts.srv == nil {
		return
	}
	if err := ts.srv.Close(); err != nil {
		tb.Errorf("Close: %v", err)
	}
	if err := <-ts.done; err != nil {
		tb.Errorf("Serve: %v", err)
	}
	ts.srv = nil
	if n := ts.be.open(); n != 0 {
		tb.Errorf("%d sessions left open after Close", n)
	}
}

func (ts *testServer) connString(extra string) string {
	host, port, _ := net.SplitHostPort(ts.addr)
	return fmt.Sprintf("host=%s port=%s user=alice database=db sslmode=disable %s", host, port, extra)
}

func (ts *testServer) connect(tb testing.TB, extra string, mode pgx.QueryExecMode) *pgx.Conn {
	tb.Helper()
	cfg, err := pgx.ParseConfig(ts.connString(extra))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type row struct {
	id   int64
	name *string
	ok   bool
}

func readTable(t *testing.T, rows pgx.Rows) []row {
	t.Helper()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.ok); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkTable(t *testing.T, got []row, fromID int64) {
	t.Helper()
	var want []row
	for _, r := range tableRows {
		if r[0].I <= fromID {
			continue
		}
		w := row{id: r[0].I, ok: r[2].B}
		if !r[1].Null {
			s := string(r[1].S)
			w.name = &s
		}
		want = append(want, w)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.id != w.id || g.ok != w.ok || (g.name == nil) != (w.name == nil) || (g.name != nil && *g.name != *w.name) {
			t.Fatalf("row %d: got %+v, want %+v", i, g, w)
		}
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestSimpleProtocol(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, "", pgx.QueryExecModeSimpleProtocol)
	ctx := ctxT(t)

	rows, err := conn.Query(ctx, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, readTable(t, rows), 0)

	// A statement error reaches the client with its SQLSTATE; the session survives.
	_, err = conn.Exec(ctx, "select error")
	if pgCode(err) != "22012" {
		t.Fatalf("got %v, want 22012", err)
	}
	_, err = conn.Exec(ctx, "no such statement")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42601" || pe.Position != 1 || pe.Severity != "ERROR" {
		t.Fatalf("got %#v, want 42601 at position 1", err)
	}

	// Several statements in one Query; the first error stops the rest.
	results, err := conn.PgConn().Exec(ctx, "create table x; select * from t; select error; create table x").ReadAll()
	if pgCode(err) != "22012" {
		t.Fatalf("got %v, want 22012", err)
	}
	if len(results) != 3 || results[0].CommandTag.String() != "CREATE TABLE" || len(results[1].Rows) != 5 || results[1].CommandTag.String() != "SELECT 5" {
		t.Fatalf("unexpected results %+v", results)
	}
	if len(results[0].FieldDescriptions) != 0 || len(results[1].FieldDescriptions) != 3 || results[1].FieldDescriptions[0].Name != "id" {
		t.Fatalf("bad field descriptions %+v", results[1].FieldDescriptions)
	}

	// Empty query.
	results, err = conn.PgConn().Exec(ctx, " ; ").ReadAll()
	if err != nil || len(results) != 1 || results[0].CommandTag.String() != "" {
		t.Fatalf("empty query: %v %+v", err, results)
	}
	// Split errors are reported too.
	if _, err := conn.Exec(ctx, "splitfail"); pgCode(err) != "42601" {
		t.Fatalf("got %v", err)
	}

	// ParameterStatus after SET.
	if _, err := conn.Exec(ctx, "set application_name = 'changed'"); err != nil {
		t.Fatal(err)
	}
	if got := conn.PgConn().ParameterStatus("application_name"); got != "changed" {
		t.Fatalf("application_name = %q", got)
	}
	if got := conn.PgConn().ParameterStatus("server_version"); got != "16.0" {
		t.Fatalf("server_version = %q", got)
	}
	if pid := conn.PgConn().PID(); pid == 0 {
		t.Fatal("no BackendKeyData")
	}
}

func TestExtendedProtocol(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.connect(t, "", mode)
			ctx := ctxT(t)
			for i := 0; i < 3; i++ { // repeat to use cached statements
				rows, err := conn.Query(ctx, "select * from t where id > $1", int64(2))
				if err != nil {
					t.Fatal(err)
				}
				checkTable(t, readTable(t, rows), 2)
			}
			var n *int64
			var s *string
			if err := conn.QueryRow(ctx, "select $1::int8, $2::text", nil, "hi").Scan(&n, &s); err != nil {
				t.Fatal(err)
			}
			if n != nil || s == nil || *s != "hi" {
				t.Fatalf("got %v %v", n, s)
			}
			if err := conn.QueryRow(ctx, "select $1::int8, $2::text", int64(-7), nil).Scan(&n, &s); err != nil {
				t.Fatal(err)
			}
			if n == nil || *n != -7 || s != nil {
				t.Fatalf("got %v %v", n, s)
			}
			_, err := conn.Exec(ctx, "select error")
			if pgCode(err) != "22012" {
				t.Fatalf("got %v", err)
			}
			if _, err := conn.Exec(ctx, "create table x"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestExtendedFormats(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, "", pgx.QueryExecModeCacheStatement)
	pc := conn.PgConn()
	ctx := ctxT(t)
	eight := []byte{0, 0, 0, 0, 0, 0, 0, 42}
	for _, tc := range []struct {
		name          string
		params        [][]byte
		paramFormats  []int16
		resultFormats []int16
		want          [][]byte
	}{
		{"text/text", [][]byte{[]byte("42"), []byte("x")}, nil, nil, [][]byte{[]byte("42"), []byte("x")}},
		{"binary params", [][]byte{eight, []byte("x")}, []int16{1, 1}, []int16{0}, [][]byte{[]byte("42"), []byte("x")}},
		{"all binary", [][]byte{eight, []byte("x")}, []int16{1}, []int16{1}, [][]byte{eight, []byte("x")}},
		{"mixed", [][]byte{[]byte("42"), nil}, []int16{0, 1}, []int16{1, 0}, [][]byte{eight, nil}},
	} {
		res := pc.ExecParams(ctx, "select $1::int8, $2::text", tc.params, nil, tc.paramFormats, tc.resultFormats).Read()
		if res.Err != nil {
			t.Fatalf("%s: %v", tc.name, res.Err)
		}
		if len(res.Rows) != 1 || !equalRow(res.Rows[0], tc.want) {
			t.Fatalf("%s: got %q, want %q", tc.name, res.Rows, tc.want)
		}
		for i, fd := range res.FieldDescriptions {
			want := int16(0)
			if len(tc.resultFormats) > 0 {
				want = tc.resultFormats[min(i, len(tc.resultFormats)-1)]
			}
			if fd.Format != want {
				t.Fatalf("%s: column %d format %d, want %d", tc.name, i, fd.Format, want)
			}
		}
	}
	// Errors in Bind.
	res := pc.ExecParams(ctx, "select $1::int8, $2::text", [][]byte{[]byte("x")}, nil, nil, nil).Read()
	if pgCode(res.Err) != "08P01" {
		t.Fatalf("param count: %v", res.Err)
	}
	res = pc.ExecParams(ctx, "select $1::int8, $2::text", [][]byte{[]byte("nan"), nil}, nil, nil, nil).Read()
	if pgCode(res.Err) != "22P02" {
		t.Fatalf("bad int: %v", res.Err)
	}
	res = pc.ExecParams(ctx, "select $1::int8, $2::text", [][]byte{{1, 2}, nil}, nil, []int16{1}, nil).Read()
	if pgCode(res.Err) != "22P03" {
		t.Fatalf("bad binary int: %v", res.Err)
	}
	// Named statements.
	if _, err := pc.Prepare(ctx, "s1", "select * from t where id > $1", nil); err != nil {
		t.Fatal(err)
	}
	_, err := pc.Prepare(ctx, "s1", "select * from t", nil)
	if pgCode(err) != "42P05" {
		t.Fatalf("duplicate statement: %v", err)
	}
	sd, err := pc.Prepare(ctx, "s2", "select * from t where id > $1", []uint32{23})
	if err != nil || len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 23 || len(sd.Fields) != 3 || sd.Fields[2].DataTypeOID != 16 {
		t.Fatalf("describe: %v %+v", err, sd)
	}
	_, err = pc.Prepare(ctx, "s3", "select * from t", []uint32{999999})
	if pgCode(err) != "42704" {
		t.Fatalf("unknown oid: %v", err)
	}
	sd, err = pc.Prepare(ctx, "s4", "create table x", nil)
	if err != nil || len(sd.Fields) != 0 {
		t.Fatalf("no-data statement: %v %+v", err, sd)
	}
	res = pc.ExecPrepared(ctx, "s2", [][]byte{[]byte("4")}, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 || string(res.Rows[0][0]) != "5" {
		t.Fatalf("exec prepared: %v %q", res.Err, res.Rows)
	}
	if err := pc.Deallocate(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	res = pc.ExecPrepared(ctx, "s2", [][]byte{[]byte("4")}, nil, nil).Read()
	if pgCode(res.Err) != "26000" {
		t.Fatalf("closed statement: %v", res.Err)
	}
}

func equalRow(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// rawConn is a hand-driven protocol client.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, ts *testServer) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	rc := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "bob"}})
	rc.until("Z")
	return rc
}

func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	for _, m := range msgs {
		if err := rc.fe.Send(m); err != nil {
			rc.t.Fatal(err)
		}
	}
}

// until reads messages up to one of type stop and returns a compact trace.
func (rc *rawConn) until(stop string) []string {
	rc.t.Helper()
	var trace []string
	for {
		msg, err := rc.fe.Receive()
		if err != nil {
			rc.t.Fatalf("after %v: %v", trace, err)
		}
		var s string
		switch m := msg.(type) {
		case *pgproto3.DataRow:
			s = "D:" + string(m.Values[0])
		case *pgproto3.CommandComplete:
			s = "C:" + string(m.CommandTag)
		case *pgproto3.ErrorResponse:
			s = "E:" + m.Code
		case *pgproto3.ReadyForQuery:
			s = "Z"
		case *pgproto3.PortalSuspended:
			s = "s"
		case *pgproto3.ParseComplete:
			s = "1"
		case *pgproto3.BindComplete:
			s = "2"
		case *pgproto3.CloseComplete:
			s = "3"
		case *pgproto3.RowDescription:
			s = "T"
		case *pgproto3.NoData:
			s = "n"
		case *pgproto3.ParameterDescription:
			s = "t"
		case *pgproto3.EmptyQueryResponse:
			s = "I"
		case *pgproto3.NoticeResponse:
			s = "N:" + m.Message
		default:
			s = fmt.Sprintf("%T", msg)
		}
		trace = append(trace, s)
		if strings.HasPrefix(s, stop) && s != "" {
			return trace
		}
	}
}

func expectTrace(t *testing.T, got []string, want string) {
	t.Helper()
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("got  %s\nwant %s", g, want)
	}
}

func TestPortalSuspendAndPipeline(t *testing.T) {
	ts := startServer(t, Options{})
	rc := dialRaw(t, ts)
	rc.send(
		&pgproto3.Parse{Name: "", Query: "select * from t"},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
	)
	expectTrace(t, rc.until("Z"), "1 2 T D:1 D:2 s D:3 D:4 s D:5 C:SELECT 5 C:SELECT 0 Z")

	// Named portal, exact multiple of max rows, then Close.
	rc.send(
		&pgproto3.Parse{Name: "st", Query: "select * from t where id > $1", ParameterOIDs: []uint32{20}},
		&pgproto3.Describe{ObjectType: 'S', Name: "st"},
		&pgproto3.Bind{PreparedStatement: "st", DestinationPortal: "p", Parameters: [][]byte{[]byte("3")}},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Close{ObjectType: 'P', Name: "p"},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Sync{},
	)
	expectTrace(t, rc.until("Z"), "1 t T 2 D:4 D:5 C:SELECT 2 C:SELECT 0 3 E:34000 Z")

	// After an error, everything up to Sync is skipped.
	rc.send(
		&pgproto3.Parse{Query: "bogus"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "create table x"},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: ""},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	expectTrace(t, rc.until("Z"), "E:42601 Z")
	expectTrace(t, rc.until("Z"), "1 2 n C:CREATE TABLE 1 2 I Z")

	// Errors at Execute; statement still usable afterwards.
	rc.send(
		&pgproto3.Parse{Name: "e", Query: "select error"},
		&pgproto3.Bind{PreparedStatement: "e"},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
		&pgproto3.Bind{PreparedStatement: "e", ResultFormatCodes: []int16{1, 1}},
		&pgproto3.Sync{},
		&pgproto3.Bind{PreparedStatement: "nope"},
		&pgproto3.Sync{},
		&pgproto3.Close{ObjectType: 'S', Name: "e"},
		&pgproto3.Close{ObjectType: 'S', Name: "e"},
		&pgproto3.Sync{},
		&pgproto3.Describe{ObjectType: 'X'},
		&pgproto3.Sync{},
	)
	expectTrace(t, rc.until("Z"), "1 2 E:22012 Z")
	expectTrace(t, rc.until("Z"), "E:08P01 Z")
	expectTrace(t, rc.until("Z"), "E:26000 Z")
	expectTrace(t, rc.until("Z"), "3 3 Z")
	expectTrace(t, rc.until("Z"), "E:08P01 Z")

	// Notices go out before the command completes; Flush works without Sync.
	rc.send(&pgproto3.Query{String: "notice"})
	expectTrace(t, rc.until("Z"), "N:hello from the backend C:DO Z")
	rc.send(&pgproto3.Parse{Name: "f", Query: "select 1"}, &pgproto3.Flush{})
	expectTrace(t, rc.until("1"), "1")
	rc.send(&pgproto3.Terminate{})
	if _, err := rc.nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after Terminate: %v", err)
	}
}

func TestCancel(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		conn := ts.connect(t, "", mode)
		ctx := ctxT(t)
		errc := make(chan error, 1)
		go func() {
			_, err := conn.Exec(context.Background(), "select sleep")
			errc <- err
		}()
		var err error
	wait:
		for {
			select {
			case err = <-errc:
				break wait
			case <-time.After(20 * time.Millisecond):
				if cerr := conn.PgConn().CancelRequest(ctx); cerr != nil {
					t.Fatal(cerr)
				}
			}
		}
		if pgCode(err) != "57014" {
			t.Fatalf("%v: got %v, want 57014", mode, err)
		}
		// The connection is still usable.
		if _, err := conn.Exec(ctx, "create table x"); err != nil {
			t.Fatal(err)
		}
	}
	// A cancel with a wrong key does nothing.
	conn := ts.connect(t, "", pgx.QueryExecModeSimpleProtocol)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := (&pgproto3.CancelRequest{ProcessID: conn.PgConn().PID(), SecretKey: binary.BigEndian.Uint32(conn.PgConn().SecretKey()) + 1}).Encode(nil)
	nc.Write(buf)
	nc.Read(make([]byte, 1))
	nc.Close()
	if _, err := conn.Exec(ctxT(t), "create table x"); err != nil {
		t.Fatal(err)
	}
}

func TestCloseWithRunningStatements(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, "", pgx.QueryExecModeSimpleProtocol)
	idle := ts.connect(t, "", pgx.QueryExecModeCacheStatement)
	_ = idle
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "select sleep")
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	closed := make(chan struct{})
	go func() { ts.close(t); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := <-errc; err == nil {
		t.Fatal("statement survived Close")
	}
}

func TestMalformedMessages(t *testing.T) {
	ts := startServer(t, Options{MaxMessageSize: 1 << 20})
	for _, tc := range []struct {
		name  string
		bytes []byte
		code  string // expected ErrorResponse code, "" for none
	}{
		{"unknown type", []byte{'y', 0, 0, 0, 4}, "08P01"},
		{"negative length", []byte{'Q', 0xff, 0xff, 0xff, 0xf0}, "08P01"},
		{"huge length", []byte{'Q', 0x7f, 0xff, 0xff, 0xf0, 'x'}, "08P01"},
		{"bad bind", []byte{'B', 0, 0, 0, 6, 0, 0}, "08P01"},
		{"truncated", []byte{'Q', 0, 0, 0, 100, 's', 'e'}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, ts)
			rc.nc.Write(tc.bytes)
			if tc.name == "truncated" {
				rc.nc.(*net.TCPConn).CloseWrite()
			}
			var codes []string
			for {
				msg, err := rc.fe.Receive()
				if err != nil {
					break
				}
				if e, ok := msg.(*pgproto3.ErrorResponse); ok {
					codes = append(codes, e.Code)
				}
			}
			if tc.code == "" && len(codes) != 0 || tc.code != "" && (len(codes) == 0 || codes[0] != tc.code) {
				t.Fatalf("got errors %v, want %q", codes, tc.code)
			}
		})
	}
	// Garbage instead of a startup message.
	for _, junk := range [][]byte{
		{0, 0, 0, 8, 1, 2, 3, 4},
		{0xff, 0xff, 0xff, 0xff},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	} {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		nc.Write(junk)
		io.ReadAll(nc)
		nc.Close()
	}
	// The server still serves.
	conn := ts.connect(t, "", pgx.QueryExecModeCacheStatement)
	rows, err := conn.Query(ctxT(t), "select * from t")
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, readTable(t, rows), 0)
	if errs := ts.log.errors(); len(errs) != 0 {
		t.Fatalf("server logged errors: %v", errs)
	}
}

func TestPanicIsContained(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, "", pgx.QueryExecModeSimpleProtocol)
	_, err := conn.Exec(ctxT(t), "panic")
	if pgCode(err) != "XX000" {
		t.Fatalf("got %v", err)
	}
	if !conn.IsClosed() {
		// The server closed it; the next use must fail.
		if _, err := conn.Exec(ctxT(t), "create table x"); err == nil {
			t.Fatal("connection survived a panic")
		}
	}
	conn2 := ts.connect(t, "", pgx.QueryExecModeSimpleProtocol)
	if _, err := conn2.Exec(ctxT(t), "create table x"); err != nil {
		t.Fatal(err)
	}
	if errs := ts.log.errors(); len(errs) != 1 {
		t.Fatalf("logged %v", errs)
	}
}

func TestStartupErrors(t *testing.T) {
	ts := startServer(t, Options{})
	_, err := pgx.Connect(ctxT(t), ts.connString("")+" database=nodb")
	if pgCode(err) != "3D000" {
		t.Fatalf("got %v", err)
	}
	// sslmode=prefer without TLS configured falls back to plain text.
	host, port, _ := net.SplitHostPort(ts.addr)
	conn, err := pgx.Connect(ctxT(t), fmt.Sprintf("host=%s port=%s user=u sslmode=prefer", host, port))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	_, err = pgx.Connect(ctxT(t), fmt.Sprintf("host=%s port=%s user=u sslmode=require", host, port))
	if err == nil {
		t.Fatal("sslmode=require succeeded without TLS")
	}
}

func TestPasswordAuth(t *testing.T) {
	for _, method := range []string{"password", "scram-sha-256"} {
		t.Run(method, func(t *testing.T) {
			ts := startServer(t, Options{Password: "s3cret", AuthMethod: method})
			conn := ts.connect(t, "password=s3cret", pgx.QueryExecModeCacheStatement)
			if _, err := conn.Exec(ctxT(t), "create table x"); err != nil {
				t.Fatal(err)
			}
			_, err := pgx.Connect(ctxT(t), ts.connString("password=wrong"))
			if pgCode(err) != "28P01" {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	ts := startServer(t, Options{TLSConfig: selfSignedTLS(t), Password: "pw"})
	host, port, _ := net.SplitHostPort(ts.addr)
	conn, err := pgx.Connect(ctxT(t), fmt.Sprintf("host=%s port=%s user=u password=pw sslmode=require", host, port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctxT(t), "select * from t")
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, readTable(t, rows), 0)
}

func TestNotice(t *testing.T) {
	ts := startServer(t, Options{})
	cfg, err := pgx.ParseConfig(ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var mu sync.Mutex
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		got = append(got, n.Severity+" "+n.Code+" "+n.Message)
		mu.Unlock()
	}
	conn, err := pgx.ConnectConfig(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctxT(t), "notice"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "NOTICE 01000 hello from the backend" {
		t.Fatalf("notices %q", got)
	}
}

func TestBigResult(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		conn := ts.connect(t, "", mode)
		rows, err := conn.Query(ctxT(t), "select big")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var i int64
			var s string
			if err := rows.Scan(&i, &s); err != nil {
				t.Fatal(err)
			}
			if i != int64(n) || s != fmt.Sprintf("row %d", n) {
				t.Fatalf("row %d: %d %q", n, i, s)
			}
			n++
		}
		if rows.Err() != nil || n != 10000 {
			t.Fatalf("%v after %d rows", rows.Err(), n)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	ts := startServer(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(context.Background(), ts.connString(""))
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(context.Background())
			for j := 0; j < 20; j++ {
				var n int64
				var s string
				if err := conn.QueryRow(context.Background(), "select $1::int8, $2::text", int64(j), "x").Scan(&n, &s); err != nil || n != int64(j) {
					t.Error(err, n)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	ts := startServer(t, Options{})
	host, port, _ := net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "-X", "-A", "-t", "-h", host, "-p", port, "-U", "alice", "-d", "db", "-c", "select * from t")
	cmd.Env = append(os.Environ(), "PGSSLMODE=prefer", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	want := "1|one|t\n2|two|f\n3||t\n4|four|f\n5|five|t\n"
	if string(out) != want {
		t.Fatalf("psql output %q, want %q", out, want)
	}
	cmd = exec.CommandContext(ctx, psql, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "db", "-c", "select error")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "division by zero") {
		t.Fatalf("psql error case: %v\n%s", err, out)
	}
}

// TestAllTypes round-trips every type through the real codecs, in text
// (simple protocol) and binary (extended protocol) result formats.
func TestAllTypes(t *testing.T) {
	if !codecsReady() {
		t.Skip("types codecs not ready")
	}
	ts := startServer(t, Options{})
	var results [2][]any
	for i, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		conn := ts.connect(t, "", mode)
		rows, err := conn.Query(ctxT(t), "select alltypes")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				results[i] = vals
			} else {
				for j, v := range vals {
					if v != nil {
						t.Fatalf("%v: NULL column %d came back as %v", mode, j, v)
					}
				}
			}
			n++
		}
		if rows.Err() != nil || n != 2 {
			t.Fatalf("%v: %v after %d rows", mode, rows.Err(), n)
		}
	}
	text, bin := fmt.Sprintf("%v", results[0]), fmt.Sprintf("%v", results[1])
	if text != bin {
		t.Fatalf("text and binary results differ:\ntext   %s\nbinary %s", text, bin)
	}
	want := "[1.5 2.5 -3 {12345 -3 false finite true} 2022-01-08 00:00:00 +0000 UTC 2022-01-08 00:00:00 +0000 UTC {3000000 2 1 true} map[a:1] [222 173] varchar]"
	if text != want {
		t.Fatalf("got  %s\nwant %s", text, want)
	}
}
