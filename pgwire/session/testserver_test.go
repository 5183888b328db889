package session

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamsql/streamsql/pgwire"
)

// testServer runs an engine on dir behind a real TCP listener.
type testServer struct {
	t    *testing.T
	eng  *Engine
	srv  *pgwire.Server
	addr string
	done chan error
}

// testParallelism is the number of actors per view in tests: more than
// the cores CI has, and odd, so that vnode ranges are uneven.
const testParallelism = 3

func startTestServer(t *testing.T, dir string) *testServer {
	t.Helper()
	return startTestServerWith(t, dir, Options{Parallelism: testParallelism})
}

// startTestServerWith is startTestServer with engine options (DataDir is
// set to dir, Parallelism defaults to testParallelism).
func startTestServerWith(t *testing.T, dir string, opts Options) *testServer {
	t.Helper()
	opts.DataDir = dir
	if opts.Parallelism == 0 {
		opts.Parallelism = testParallelism
	}
	eng, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, eng: eng, srv: pgwire.NewServer(eng, pgwire.Options{}), addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ts.done <- ts.srv.Serve(ln) }()
	return ts
}

func (ts *testServer) stop() {
	ts.srv.Close()
	<-ts.done
	if err := ts.eng.Close(); err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *testServer) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, "postgres://tester@"+ts.addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	tag, err := c.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.String()
}
