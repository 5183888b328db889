package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value is a trust-authentication,
// TLS-less server logging to slog.Default().
type Options struct {
	// Logger receives connection-level events (panics, protocol errors).
	// nil means slog.Default().
	Logger *slog.Logger
	// TLSConfig, when set, makes the server accept SSLRequest and upgrade
	// the connection. Without it SSLRequest is answered 'N'.
	TLSConfig *tls.Config
	// Password, when set, requires every client to authenticate with it.
	// Empty means trust: any user is accepted without a password.
	Password string
	// AuthMethod chooses how Password is checked: "scram-sha-256" (the
	// default) or "password" (cleartext; use only over TLS).
	AuthMethod string
	// MaxMessageSize bounds the size of one client message; larger ones are
	// a protocol violation. 0 means 64 MiB.
	MaxMessageSize int
	// StartupTimeout bounds the startup and authentication phase. 0 means
	// 30 seconds.
	StartupTimeout time.Duration
}

// Server is a PostgreSQL wire-protocol server in front of a Backend. Create
// it with NewServer, run it with Serve and stop it with Close.
type Server struct {
	backend Backend
	opts    Options
	log     *slog.Logger

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	ln     net.Listener
	closed bool
	conns  map[net.Conn]struct{}  // every open socket, in startup or not
	byPID  map[uint32]*serverConn // sessions that can be canceled
	wg     sync.WaitGroup

	nextPID atomic.Uint32

	scramOnce sync.Once
	scramKeys *scramKeys
	scramErr  error
}

// NewServer returns a server that hands authenticated sessions to b.
func NewServer(b Backend, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = 64 << 20
	}
	if opts.StartupTimeout <= 0 {
		opts.StartupTimeout = 30 * time.Second
	}
	if opts.AuthMethod == "" {
		opts.AuthMethod = "scram-sha-256"
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		backend: b,
		opts:    opts,
		log:     opts.Logger,
		ctx:     ctx,
		cancel:  cancel,
		conns:   make(map[net.Conn]struct{}),
		byPID:   make(map[uint32]*serverConn),
	}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	s.nextPID.Store(binary.BigEndian.Uint32(seed[:]) & 0xffff)
	return s
}

// Serve accepts connections on ln until Close is called (it then returns
// nil) or ln fails (it returns the error). Serve takes ownership of ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.wg.Add(1) // the accept loop itself, so Close waits for it too
	s.mu.Unlock()
	defer s.wg.Done()

	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if !s.track(nc) {
			nc.Close()
			return nil
		}
		go s.serveConn(nc)
	}
}

// Addr returns the listener's address, or nil before Serve is called.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting, cancels every running statement, closes every
// connection and waits until all the server's goroutines have returned.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers a new socket (and a goroutine for it); false once closed.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[nc] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}

// register assigns a process id and secret key to c for CancelRequest.
func (s *Server) register(c *serverConn) {
	var key [4]byte
	_, _ = rand.Read(key[:])
	c.secret = binary.BigEndian.Uint32(key[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		pid := s.nextPID.Add(1) & 0x7fffffff
		if _, used := s.byPID[pid]; !used && pid != 0 {
			c.pid = pid
			s.byPID[pid] = c
			return
		}
	}
}

func (s *Server) unregister(c *serverConn) {
	s.mu.Lock()
	if s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
	s.mu.Unlock()
}

// cancelRequest cancels the running statement of the session (pid, secret).
// A wrong key is ignored silently, as in PostgreSQL.
func (s *Server) cancelRequest(pid, secret uint32) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil {
		return
	}
	var a, b [4]byte
	binary.BigEndian.PutUint32(a[:], c.secret)
	binary.BigEndian.PutUint32(b[:], secret)
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return
	}
	c.cancelRunning()
}
