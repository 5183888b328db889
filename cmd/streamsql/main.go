// Command streamsql is the streamsql server and its tools.
//
//	streamsql [serve] [--listen HOST:PORT] [--data-dir DIR]
//	streamsql slt [flags] PATH...      run sqllogictest files
//
// Plain `streamsql` means `serve`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/pgwire/session"
	"github.com/streamsql/streamsql/sqllogictest"
)

// Defaults documented in the README.
const (
	defaultListen  = "127.0.0.1:4566"
	defaultDataDir = "streamsql-data"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		os.Exit(serve(args))
	case "slt":
		os.Exit(sqllogictest.Main(args, startServer))
	case "bench":
		os.Exit(bench(args))
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "streamsql: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  streamsql [serve] [--listen HOST:PORT] [--data-dir DIR]
  streamsql slt [flags] PATH...   (streamsql slt -h for flags)
  streamsql bench nexmark --query qN[,qM...] --events N [--parallelism P] [--json FILE]
`)
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", defaultListen, "address to accept PostgreSQL connections on")
	dataDir := fs.String("data-dir", defaultDataDir, "directory holding the database")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := Start(*dataDir, *listen, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	log.Info("streamsql ready", "listen", srv.Addr().String(), "data-dir", *dataDir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	log.Info("shutting down")
	if err := srv.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// Server is a running engine with its protocol server.
type Server struct {
	engine *session.Engine
	wire   *pgwire.Server
	addr   net.Addr
	done   chan error
}

// Start opens the database in dataDir and serves it on listen.
func Start(dataDir, listen string, log *slog.Logger) (*Server, error) {
	eng, err := session.Open(session.Options{DataDir: dataDir})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		eng.Close()
		return nil, err
	}
	ws := pgwire.NewServer(eng, pgwire.Options{Logger: log})
	s := &Server{engine: eng, wire: ws, addr: ln.Addr(), done: make(chan error, 1)}
	go func() { s.done <- ws.Serve(ln) }()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.addr }

// Close stops accepting, closes every connection and closes the store.
func (s *Server) Close() error {
	err := s.wire.Close()
	if serr := <-s.done; serr != nil && !errors.Is(serr, net.ErrClosed) && err == nil {
		err = serr
	}
	if cerr := s.engine.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// startServer is the slt runner's hook for an in-process server per file.
func startServer(dataDir string) (string, func() error, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := Start(dataDir, "127.0.0.1:0", log)
	if err != nil {
		return "", nil, err
	}
	return s.Addr().String(), s.Close, nil
}

var _ = context.Background
