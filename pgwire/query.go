package pgwire

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgproto3/v2"
	"github.com/streamsql/streamsql/types"
)

// Codec entry points, variables so tests can stand in for codecs that are
// not written yet.
var (
	appendText   = types.AppendText
	appendBinary = types.AppendBinary
	parseText    = types.ParseText
	parseBinary  = types.ParseBinary
)

// beginRun makes the context of one backend call: canceled by a
// CancelRequest, by the connection ending or by Server.Close, and carrying
// the connection's NoticeSender.
func (c *serverConn) beginRun() (context.Context, func()) {
	ctx, cancel := context.WithCancel(c.s.ctx)
	ctx = WithNoticeSender(ctx, c)
	c.mu.Lock()
	c.runCancel = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.runCancel = nil
		c.mu.Unlock()
		cancel()
	}
}

// cancelRunning cancels the statement running on the connection, if any.
func (c *serverConn) cancelRunning() {
	c.mu.Lock()
	if c.runCancel != nil {
		c.runCancel()
	}
	c.mu.Unlock()
}

// SendNotice implements NoticeSender.
func (c *serverConn) SendNotice(severity string, n *types.Error) {
	if n == nil {
		return
	}
	if severity == "" {
		severity = "NOTICE"
	}
	c.mu.Lock()
	c.notices = append(c.notices, pendingNotice{severity: severity, err: n})
	c.mu.Unlock()
}

// flushNotices writes the queued notices (into the write buffer).
func (c *serverConn) flushNotices() {
	c.mu.Lock()
	ns := c.notices
	c.notices = nil
	c.mu.Unlock()
	for _, n := range ns {
		code := n.err.Code
		if code == "" {
			code = types.CodeSuccessfulCompletion
		}
		c.send(&pgproto3.NoticeResponse{
			Severity:            n.severity,
			SeverityUnlocalized: n.severity,
			Code:                code,
			Message:             n.err.Message,
			Detail:              n.err.Detail,
			Hint:                n.err.Hint,
			Position:            int32(n.err.Position),
		})
	}
}

// toPGError maps any error to the *types.Error reported to the client.
func (c *serverConn) toPGError(err error) *types.Error {
	var te *types.Error
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if c.s.ctx.Err() != nil {
			return types.Errorf(types.CodeAdminShutdown, "terminating connection due to administrator command")
		}
		return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
	}
	return &types.Error{Code: types.CodeInternal, Message: err.Error()}
}

func (c *serverConn) sendErr(severity string, e *types.Error) {
	if c.bw == nil {
		return
	}
	c.flushNotices()
	code := e.Code
	if code == "" {
		code = types.CodeInternal
	}
	c.send(&pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            int32(e.Position),
	})
}

func (c *serverConn) sendError(err error) {
	c.sendErr("ERROR", c.toPGError(err))
}

// extError reports an error in extended-query mode: everything up to the
// next Sync is then discarded.
func (c *serverConn) extError(err error) {
	c.sendError(err)
	c.ignoreTillSync = true
}

func (c *serverConn) sendReady() {
	c.flushNotices()
	status := c.sess.TxStatus()
	if status != 'T' && status != 'E' {
		status = 'I'
	}
	c.send(&pgproto3.ReadyForQuery{TxStatus: status})
}

// afterCommand reports parameters a SET/RESET/DISCARD changed.
func (c *serverConn) afterCommand(tag string) {
	if tag != "SET" && tag != "RESET" && !strings.HasPrefix(tag, "DISCARD") {
		return
	}
	for k, v := range c.sess.ParameterStatus() {
		if old, ok := c.sentParams[k]; !ok || old != v {
			c.sentParams[k] = v
			c.send(&pgproto3.ParameterStatus{Name: k, Value: v})
		}
	}
}

func (c *serverConn) closeUnnamed() {
	if p := c.portals[""]; p != nil {
		delete(c.portals, "")
		p.close()
	}
	if p := c.stmts[""]; p != nil {
		delete(c.stmts, "")
		p.close()
	}
}

// isEmptyQuery reports whether q holds no statement at all.
func isEmptyQuery(q string) bool {
	return strings.TrimFunc(q, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == ';'
	}) == ""
}

// ---- simple query ----

func (c *serverConn) simpleQuery(q string) {
	c.closeUnnamed()
	ctx, done := c.beginRun()
	err := c.runSimple(ctx, q)
	done()
	if err != nil && c.ew.err == nil {
		c.sendError(err)
	}
	c.sendReady()
	c.flush()
}

func (c *serverConn) runSimple(ctx context.Context, q string) error {
	stmts, err := c.sess.Split(q)
	if err != nil {
		return err
	}
	ran := false
	for _, sql := range stmts {
		if isEmptyQuery(sql) {
			continue
		}
		ran = true
		if err := c.runOne(ctx, sql); err != nil {
			return err
		}
		if c.ew.err != nil {
			return nil
		}
	}
	if !ran {
		c.send(&pgproto3.EmptyQueryResponse{})
	}
	return nil
}

func (c *serverConn) runOne(ctx context.Context, sql string) error {
	st, err := c.sess.Prepare(ctx, sql, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.Bind(ctx, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	cols := p.Columns()
	if cols != nil {
		c.sendRowDescription(cols, nil)
	}
	tag, _, err := p.Run(ctx, 0, c.emitter(cols, nil))
	if err != nil {
		return err
	}
	c.flushNotices()
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	c.afterCommand(tag)
	return nil
}

// ---- extended query ----

func (c *serverConn) parse(m *pgproto3.Parse) {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			c.extError(types.Errorf("42P05", "prepared statement %q already exists", m.Name))
			return
		}
	} else if old := c.stmts[""]; old != nil {
		delete(c.stmts, "")
		old.close()
	}
	pts := make([]types.T, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		t, ok := types.FromOID(oid)
		if !ok {
			c.extError(types.Errorf(types.CodeUndefinedObject, "type with OID %d does not exist", oid))
			return
		}
		pts[i] = t
	}
	ps := &prepared{}
	if !isEmptyQuery(m.Query) {
		ctx, done := c.beginRun()
		st, err := c.sess.Prepare(ctx, m.Query, pts)
		done()
		if err != nil {
			c.extError(err)
			return
		}
		ps.st, ps.paramTypes, ps.cols = st, st.ParamTypes(), st.Columns()
	}
	c.stmts[m.Name] = ps
	c.send(&pgproto3.ParseComplete{})
}

// formatFor returns the format code of item i given a Bind format list.
func formatFor(codes []int16, i int) int16 {
	switch len(codes) {
	case 0:
		return 0
	case 1:
		return codes[0]
	}
	return codes[i]
}

func (c *serverConn) bind(m *pgproto3.Bind) {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		c.extError(types.Errorf(types.CodeInvalidSQLStatement, "prepared statement %q does not exist", m.PreparedStatement))
		return
	}
	if m.DestinationPortal == "" {
		if old := c.portals[""]; old != nil {
			delete(c.portals, "")
			old.close()
		}
	} else if _, ok := c.portals[m.DestinationPortal]; ok {
		c.extError(types.Errorf("42P03", "portal %q already exists", m.DestinationPortal))
		return
	}
	n := len(ps.paramTypes)
	if len(m.Parameters) != n {
		c.extError(types.Errorf(types.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, n))
		return
	}
	if pf := len(m.ParameterFormatCodes); pf > 1 && pf != n {
		c.extError(types.Errorf(types.CodeProtocolViolation, "bind message has %d parameter formats but %d parameters", pf, n))
		return
	}
	ncols := len(ps.cols)
	if rf := len(m.ResultFormatCodes); rf > 1 && rf != ncols {
		c.extError(types.Errorf(types.CodeProtocolViolation, "bind message has %d result formats but query has %d columns", rf, ncols))
		return
	}
	var formats []int16
	for i := 0; i < ncols && len(m.ResultFormatCodes) > 0; i++ {
		f := formatFor(m.ResultFormatCodes, i)
		if f != 0 && f != 1 {
			c.extError(types.Errorf(types.CodeInvalidParameterValue, "unsupported format code: %d", f))
			return
		}
		if f == 1 && formats == nil {
			formats = make([]int16, ncols)
		}
		if formats != nil {
			formats[i] = f
		}
	}
	params := make([]types.Datum, n)
	for i, raw := range m.Parameters {
		if raw == nil {
			params[i] = types.Null
			continue
		}
		t := ps.paramTypes[i]
		if t.Family == types.Unknown {
			t = types.TText
		}
		d, err := decodeParam(t, formatFor(m.ParameterFormatCodes, i), raw, i+1)
		if err != nil {
			c.extError(err)
			return
		}
		params[i] = d
	}
	pt := &portal{formats: formats}
	if ps.st != nil {
		ctx, done := c.beginRun()
		p, err := ps.st.Bind(ctx, params)
		done()
		if err != nil {
			c.extError(err)
			return
		}
		pt.p, pt.cols = p, p.Columns()
		if len(pt.formats) != len(pt.cols) {
			pt.formats = nil // a portal whose shape differs from its statement's
		}
	}
	c.portals[m.DestinationPortal] = pt
	c.send(&pgproto3.BindComplete{})
}

// decodeParam decodes parameter number pos (1-based) of type t.
func decodeParam(t types.T, format int16, raw []byte, pos int) (d types.Datum, err error) {
	switch format {
	case 0:
		d, err = parseText(t, string(raw))
		if err != nil {
			var te *types.Error
			if !errors.As(err, &te) {
				err = types.Errorf(types.CodeInvalidTextRepr, "invalid input syntax for type %s: %q", t, raw)
			}
		}
	case 1:
		d, err = parseBinary(t, bytes.Clone(raw))
		if err != nil {
			var te *types.Error
			if !errors.As(err, &te) {
				err = types.Errorf(types.CodeInvalidBinaryRepr, "incorrect binary data format in bind parameter %d", pos)
			}
		}
	default:
		err = types.Errorf(types.CodeInvalidParameterValue, "unsupported format code: %d", format)
	}
	return d, err
}

func (c *serverConn) describe(m *pgproto3.Describe) {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			c.extError(types.Errorf(types.CodeInvalidSQLStatement, "prepared statement %q does not exist", m.Name))
			return
		}
		oids := make([]uint32, len(ps.paramTypes))
		for i, t := range ps.paramTypes {
			oids[i] = t.OID()
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if ps.cols != nil {
			c.sendRowDescription(ps.cols, nil)
		} else {
			c.send(&pgproto3.NoData{})
		}
	case 'P':
		pt, ok := c.portals[m.Name]
		if !ok {
			c.extError(types.Errorf("34000", "portal %q does not exist", m.Name))
			return
		}
		if pt.cols != nil {
			c.sendRowDescription(pt.cols, pt.formats)
		} else {
			c.send(&pgproto3.NoData{})
		}
	default:
		c.extError(types.Errorf(types.CodeProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType))
	}
}

func (c *serverConn) execute(m *pgproto3.Execute) {
	pt, ok := c.portals[m.Portal]
	if !ok {
		c.extError(types.Errorf("34000", "portal %q does not exist", m.Portal))
		return
	}
	if pt.p == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	if pt.done {
		tag := pt.tag
		if strings.HasPrefix(tag, "SELECT ") {
			tag = "SELECT 0"
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return
	}
	maxRows := int(m.MaxRows)
	if maxRows < 0 {
		maxRows = 0
	}
	ctx, done := c.beginRun()
	tag, finished, err := pt.p.Run(ctx, maxRows, c.emitter(pt.cols, pt.formats))
	done()
	if err != nil {
		if c.ew.err == nil {
			c.extError(err)
		}
		return
	}
	c.flushNotices()
	if !finished {
		c.send(&pgproto3.PortalSuspended{})
		return
	}
	pt.done, pt.tag = true, tag
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	c.afterCommand(tag)
}

func (c *serverConn) closeMsg(m *pgproto3.Close) {
	switch m.ObjectType {
	case 'S':
		if ps := c.stmts[m.Name]; ps != nil {
			delete(c.stmts, m.Name)
			ps.close()
		}
	case 'P':
		if pt := c.portals[m.Name]; pt != nil {
			delete(c.portals, m.Name)
			pt.close()
		}
	default:
		c.extError(types.Errorf(types.CodeProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType))
		return
	}
	c.send(&pgproto3.CloseComplete{})
}

func (c *serverConn) sync() {
	// Outside a transaction block Sync ends the implicit transaction, which
	// drops every portal, as in PostgreSQL.
	if c.sess.TxStatus() == 'I' {
		for name, pt := range c.portals {
			delete(c.portals, name)
			pt.close()
		}
	}
	c.sendReady()
	c.flush()
}
