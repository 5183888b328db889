package pgwire

import (
	"bufio"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/streamsql/streamsql/types"
)

// serverConn is the state of one client connection; all of it except mu's
// fields belongs to the connection's goroutine.
type serverConn struct {
	s  *Server
	nc net.Conn // the socket, or the TLS connection over it

	mr *msgReader
	ew *errWriter
	bw *bufio.Writer
	be *pgproto3.Backend

	sess   Conn
	user   string
	pid    uint32
	secret uint32

	stmts          map[string]*prepared
	portals        map[string]*portal
	ignoreTillSync bool
	sentParams     map[string]string

	wbuf   []byte // encoding buffer for small messages
	rowBuf []byte // encoding buffer for DataRows

	mu        sync.Mutex
	runCancel context.CancelFunc // cancels the running statement, if any
	notices   []pendingNotice
}

type pendingNotice struct {
	severity string
	err      *types.Error
}

// prepared is a prepared statement; st is nil for an empty query.
type prepared struct {
	st         Statement
	paramTypes []types.T
	cols       []Column
}

func (p *prepared) close() {
	if p.st != nil {
		p.st.Close()
	}
}

// portal is a bound statement; p is nil for an empty query.
type portal struct {
	p       Portal
	cols    []Column
	formats []int16 // per column; nil means all text
	done    bool
	tag     string
}

func (p *portal) close() {
	if p.p != nil {
		p.p.Close()
	}
}

// errWriter remembers the first write error so the connection loop can stop.
type errWriter struct {
	w   io.Writer
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// msgReader is the pgproto3.ChunkReader of a connection. It bounds message
// sizes, hands out owned slices carved from a slab, and reads huge
// messages incrementally so a lying length header costs no memory.
type msgReader struct {
	r     *bufio.Reader
	max   int
	slab  []byte
	ioErr error // last I/O error, to tell it from a malformed message
}

var errMsgTooLarge = errors.New("message too large")

func (m *msgReader) Next(n int) ([]byte, error) {
	if n < 0 || n > m.max {
		return nil, errMsgTooLarge
	}
	var buf []byte
	switch {
	case n <= 2048:
		if len(m.slab) < n {
			m.slab = make([]byte, 8192)
		}
		buf = m.slab[:n:n]
		m.slab = m.slab[n:]
	case n <= 1<<20:
		buf = make([]byte, n)
	default:
		for len(buf) < n {
			step := min(n-len(buf), 1<<20)
			buf = slices.Grow(buf, step)
			k := len(buf) + step
			if _, err := io.ReadFull(m.r, buf[len(buf):k]); err != nil {
				m.ioErr = err
				return nil, err
			}
			buf = buf[:k]
		}
		return buf, nil
	}
	if _, err := io.ReadFull(m.r, buf); err != nil {
		m.ioErr = err
		return nil, err
	}
	return buf, nil
}

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer s.untrack(nc)
	defer nc.Close()
	c := &serverConn{
		s:          s,
		nc:         nc,
		stmts:      make(map[string]*prepared),
		portals:    make(map[string]*portal),
		sentParams: make(map[string]string),
	}
	defer c.cleanup()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("pgwire: panic serving connection", "remote", nc.RemoteAddr(), "panic", r, "stack", string(debug.Stack()))
			c.sendErr("FATAL", &types.Error{Code: types.CodeInternal, Message: fmt.Sprintf("internal error: %v", r)})
			c.flush()
		}
	}()
	c.setupIO(nc)
	if !c.startup() {
		return
	}
	c.loop()
}

func (c *serverConn) setupIO(nc net.Conn) {
	c.nc = nc
	c.mr = &msgReader{r: bufio.NewReaderSize(nc, 8192), max: c.s.opts.MaxMessageSize}
	c.ew = &errWriter{w: nc}
	c.bw = bufio.NewWriterSize(c.ew, 32<<10)
	c.be = pgproto3.NewBackend(c.mr, c.bw)
}

// cleanup releases the session and everything it holds, whatever happened.
func (c *serverConn) cleanup() {
	defer func() {
		if r := recover(); r != nil {
			c.s.log.Error("pgwire: panic closing session", "panic", r)
		}
	}()
	if c.pid != 0 {
		c.s.unregister(c)
	}
	for name, p := range c.portals {
		delete(c.portals, name)
		p.close()
	}
	for name, p := range c.stmts {
		delete(c.stmts, name)
		p.close()
	}
	if c.sess != nil {
		c.sess.Close()
	}
}

// receive reads the next message. pgproto3's decoders panic on some
// malformed input (e.g. a negative Bind parameter length): such a panic is
// a malformed message, reported as an error.
func (c *serverConn) receive(startup bool) (msg pgproto3.FrontendMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("malformed message: %v", r)
		}
	}()
	if startup {
		return c.be.ReceiveStartupMessage()
	}
	return c.be.Receive()
}

// send encodes msg into the write buffer.
func (c *serverConn) send(msg pgproto3.BackendMessage) {
	buf, err := msg.Encode(c.wbuf[:0])
	if err != nil {
		panic(fmt.Sprintf("pgwire: encoding %T: %v", msg, err))
	}
	c.wbuf = buf
	_, _ = c.bw.Write(buf)
}

func (c *serverConn) flush() error {
	return c.bw.Flush()
}

// isIOError reports whether a failed Receive failed because of the socket
// rather than because of the bytes the client sent.
func (c *serverConn) isIOError(err error) bool {
	if c.mr.ioErr != nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// fatal reports a FATAL error; the caller then closes the connection.
func (c *serverConn) fatal(code, format string, args ...any) {
	c.sendErr("FATAL", &types.Error{Code: code, Message: fmt.Sprintf(format, args...)})
	c.flush()
}

func (c *serverConn) protocolViolation(err error) {
	c.s.log.Debug("pgwire: protocol violation", "remote", c.nc.RemoteAddr(), "err", err)
	c.fatal(types.CodeProtocolViolation, "invalid frontend message: %v", err)
}

// startup runs the startup phase; false means the connection is over.
func (c *serverConn) startup() bool {
	_ = c.nc.SetDeadline(time.Now().Add(c.s.opts.StartupTimeout))
	tlsDone := false
	for {
		msg, err := c.receive(true)
		if err != nil {
			if !c.isIOError(err) {
				c.protocolViolation(err)
			}
			return false
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.mr.r.Buffered() > 0 {
				c.protocolViolation(errors.New("unencrypted data after SSL request"))
				return false
			}
			if c.s.opts.TLSConfig == nil || tlsDone {
				c.bw.WriteByte('N')
				if c.flush() != nil {
					return false
				}
				continue
			}
			c.bw.WriteByte('S')
			if c.flush() != nil {
				return false
			}
			tc := tls.Server(c.nc, c.s.opts.TLSConfig)
			if err := tc.Handshake(); err != nil {
				c.s.log.Debug("pgwire: TLS handshake failed", "remote", c.nc.RemoteAddr(), "err", err)
				return false
			}
			c.setupIO(tc)
			tlsDone = true
		case *pgproto3.GSSEncRequest:
			c.bw.WriteByte('N')
			if c.flush() != nil {
				return false
			}
		case *pgproto3.CancelRequest:
			c.s.cancelRequest(m.ProcessID, m.SecretKey)
			return false
		case *pgproto3.StartupMessage:
			return c.startSession(m)
		default:
			c.protocolViolation(fmt.Errorf("unexpected startup message %T", msg))
			return false
		}
	}
}

func (c *serverConn) startSession(m *pgproto3.StartupMessage) bool {
	params := make(map[string]string, len(m.Parameters))
	for k, v := range m.Parameters {
		params[k] = v
	}
	user := params["user"]
	if user == "" {
		c.fatal("28000", "no PostgreSQL user name specified in startup packet")
		return false
	}
	c.user = user
	db := params["database"]
	if db == "" {
		db = user
	}
	if c.s.opts.Password != "" {
		if !c.authenticate() {
			return false
		}
	}
	sess, err := c.s.backend.Connect(c.s.ctx, StartupInfo{User: user, Database: db, Params: params})
	if err != nil {
		c.sendErr("FATAL", c.toPGError(err))
		c.flush()
		return false
	}
	c.sess = sess
	_ = c.be.SetAuthType(pgproto3.AuthTypeOk)
	c.send(&pgproto3.AuthenticationOk{})
	for k, v := range sess.ParameterStatus() {
		c.sentParams[k] = v
		c.send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	c.s.register(c)
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.sendReady()
	if c.flush() != nil {
		return false
	}
	_ = c.nc.SetDeadline(time.Time{})
	return true
}

// authenticate checks the configured password; false means the connection
// is over (a FATAL error has been sent when appropriate).
func (c *serverConn) authenticate() bool {
	if strings.EqualFold(c.s.opts.AuthMethod, "password") {
		c.send(&pgproto3.AuthenticationCleartextPassword{})
		if c.flush() != nil {
			return false
		}
		_ = c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword)
		msg, err := c.receive(false)
		if err != nil {
			if !c.isIOError(err) {
				c.protocolViolation(err)
			}
			return false
		}
		pm, ok := msg.(*pgproto3.PasswordMessage)
		if !ok {
			c.protocolViolation(fmt.Errorf("expected password response, got %T", msg))
			return false
		}
		if subtle.ConstantTimeCompare([]byte(pm.Password), []byte(c.s.opts.Password)) != 1 {
			c.authFailed()
			return false
		}
		return true
	}
	return c.scramAuth()
}

func (c *serverConn) authFailed() {
	c.fatal("28P01", "password authentication failed for user %q", c.user)
}

// loop serves messages until the client leaves or the connection breaks.
func (c *serverConn) loop() {
	for {
		msg, err := c.receive(false)
		if err != nil {
			if !c.isIOError(err) {
				c.protocolViolation(err)
			}
			return
		}
		if c.ignoreTillSync {
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate:
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
		case *pgproto3.Parse:
			c.parse(m)
		case *pgproto3.Bind:
			c.bind(m)
		case *pgproto3.Describe:
			c.describe(m)
		case *pgproto3.Execute:
			c.execute(m)
		case *pgproto3.Close:
			c.closeMsg(m)
		case *pgproto3.Sync:
			c.ignoreTillSync = false
			c.sync()
		case *pgproto3.Flush:
			c.flushNotices()
			c.flush()
		case *pgproto3.Terminate:
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Ignored outside COPY, as PostgreSQL does.
		case *pgproto3.FunctionCall:
			c.extError(types.Errorf(types.CodeFeatureNotSupported, "function call protocol is not supported"))
		default:
			c.protocolViolation(fmt.Errorf("unexpected message %T", msg))
			return
		}
		if c.ew.err != nil {
			return
		}
	}
}
