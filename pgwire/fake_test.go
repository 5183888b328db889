package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// fakeBackend is an in-memory engine with a fixed table t(id int8, name
// text, ok bool) and a few statements with special behaviour.
type fakeBackend struct {
	mu       sync.Mutex
	sessions int // open sessions
}

func (b *fakeBackend) Connect(ctx context.Context, info StartupInfo) (Conn, error) {
	if info.Database == "nodb" {
		return nil, types.Errorf("3D000", "database %q does not exist", info.Database)
	}
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return &fakeConn{b: b, params: map[string]string{
		"server_version":              "16.0",
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"TimeZone":                    "UTC",
		"application_name":            info.Params["application_name"],
	}}, nil
}

func (b *fakeBackend) open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

type fakeConn struct {
	b      *fakeBackend
	mu     sync.Mutex
	params map[string]string
	closed bool
}

func (c *fakeConn) ParameterStatus() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]string, len(c.params))
	for k, v := range c.params {
		m[k] = v
	}
	return m
}

func (c *fakeConn) Split(q string) ([]string, error) {
	if strings.Contains(q, "splitfail") {
		return nil, types.Errorf(types.CodeSyntaxError, "unterminated quoted string")
	}
	return strings.Split(q, ";"), nil
}

func (c *fakeConn) TxStatus() byte { return 'I' }

func (c *fakeConn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.b.mu.Lock()
		c.b.sessions--
		c.b.mu.Unlock()
	}
}

var tableCols = []Column{
	{Name: "id", Type: types.TInt8, TableOID: 16384, ColNum: 1},
	{Name: "name", Type: types.TText, TableOID: 16384, ColNum: 2},
	{Name: "ok", Type: types.TBool, TableOID: 16384, ColNum: 3},
}

// tableRows are the rows of t; the name of row 3 is NULL.
var tableRows = [][]types.Datum{
	{types.NewInt(1), types.NewString("one"), types.NewBool(true)},
	{types.NewInt(2), types.NewString("two"), types.NewBool(false)},
	{types.NewInt(3), types.Null, types.NewBool(true)},
	{types.NewInt(4), types.NewString("four"), types.NewBool(false)},
	{types.NewInt(5), types.NewString("five"), types.NewBool(true)},
}

type fakeStmt struct {
	c      *fakeConn
	kind   string
	params []types.T
	cols   []Column
	tag    string
}

func (c *fakeConn) Prepare(ctx context.Context, query string, paramTypes []types.T) (Statement, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	st := &fakeStmt{c: c, kind: q}
	switch q {
	case "select * from t":
		st.cols = tableCols
	case "select * from t where id > $1":
		st.params = []types.T{types.TInt8}
		st.cols = tableCols
	case "select $1::int8, $2::text":
		st.params = []types.T{types.TInt8, types.TText}
		st.cols = []Column{{Name: "int8", Type: types.TInt8}, {Name: "text", Type: types.TText}}
	case "select 1":
		st.cols = []Column{{Name: "?column?", Type: types.TInt4}}
	case "select big":
		st.cols = []Column{{Name: "n", Type: types.TInt8}, {Name: "s", Type: types.TText}}
	case "select error", "select sleep", "panic":
		st.cols = []Column{{Name: "x", Type: types.TInt8}}
	case "select alltypes":
		st.cols = allTypesCols
	case "create table x":
		st.tag = "CREATE TABLE"
	case "set application_name = 'changed'":
		st.tag = "SET"
	case "notice":
		st.tag = "DO"
	default:
		return nil, &types.Error{Code: types.CodeSyntaxError, Message: fmt.Sprintf("syntax error at or near %q", q), Position: 1}
	}
	// Explicit client types override inferred ones (only where they agree in count).
	for i, t := range paramTypes {
		if i < len(st.params) && t.Family != types.Unknown {
			st.params[i] = t
		}
	}
	return st, nil
}

func (s *fakeStmt) ParamTypes() []types.T { return s.params }
func (s *fakeStmt) Columns() []Column     { return s.cols }
func (s *fakeStmt) Close()                {}

func (s *fakeStmt) Bind(ctx context.Context, params []types.Datum) (Portal, error) {
	if len(params) != len(s.params) {
		return nil, types.Errorf(types.CodeProtocolViolation, "wrong number of parameters")
	}
	p := &fakePortal{s: s}
	switch s.kind {
	case "select * from t":
		p.rows = tableRows
	case "select * from t where id > $1":
		for _, r := range tableRows {
			if params[0].Null || r[0].I > params[0].I {
				p.rows = append(p.rows, r)
			}
		}
	case "select $1::int8, $2::text":
		p.rows = [][]types.Datum{{params[0], params[1]}}
	case "select 1":
		p.rows = [][]types.Datum{{types.NewInt(1)}}
	case "select alltypes":
		p.rows = [][]types.Datum{allTypesRow(), make([]types.Datum, len(allTypesCols))}
		for i := range p.rows[1] {
			p.rows[1][i] = types.Null
		}
	case "select big":
		for i := 0; i < 10000; i++ {
			p.rows = append(p.rows, []types.Datum{types.NewInt(int64(i)), types.NewString("row " + strconv.Itoa(i))})
		}
	}
	return p, nil
}

type fakePortal struct {
	s    *fakeStmt
	rows [][]types.Datum
	pos  int
}

func (p *fakePortal) Columns() []Column { return p.s.cols }
func (p *fakePortal) Close()            {}

func (p *fakePortal) Run(ctx context.Context, maxRows int, emit func(*exec.Chunk) error) (string, bool, error) {
	switch p.s.kind {
	case "select error":
		return "", false, types.Errorf(types.CodeDivisionByZero, "division by zero")
	case "select sleep":
		<-ctx.Done()
		return "", false, ctx.Err()
	case "panic":
		panic("fake backend panic")
	case "set application_name = 'changed'":
		p.s.c.mu.Lock()
		p.s.c.params["application_name"] = "changed"
		p.s.c.mu.Unlock()
		return "SET", true, nil
	case "notice":
		ns := NoticeSenderFromContext(ctx)
		if ns == nil {
			return "", false, errors.New("no notice sender")
		}
		ns.SendNotice("", &types.Error{Code: "01000", Message: "hello from the backend"})
		return "DO", true, nil
	}
	if p.s.cols == nil {
		return p.s.tag, true, nil
	}
	ts := make([]types.T, len(p.s.cols))
	for i, c := range p.s.cols {
		ts[i] = c.Type
	}
	sent := 0
	chunkSize := 2
	if len(p.rows) > 100 {
		chunkSize = exec.DefaultChunkSize
	}
	ch := exec.NewChunk(ts)
	for p.pos < len(p.rows) {
		if maxRows > 0 && sent == maxRows {
			return "", false, nil
		}
		ch.Reset()
		for ch.N < chunkSize && p.pos < len(p.rows) && (maxRows == 0 || sent < maxRows) {
			ch.AppendDatums(p.rows[p.pos])
			p.pos++
			sent++
		}
		if err := emit(ch); err != nil {
			return "", false, err
		}
	}
	if maxRows > 0 && sent == maxRows && p.pos < len(p.rows) {
		return "", false, nil
	}
	return "SELECT " + strconv.Itoa(p.pos), true, nil
}

// fakeCodecs stands in for the types codecs while they are unwritten: just
// enough for int4, int8, text and bool.
func installFakeCodecs() {
	appendText = func(buf []byte, t types.T, d types.Datum) []byte {
		switch t.Family {
		case types.Int16, types.Int32, types.Int64:
			return strconv.AppendInt(buf, d.I, 10)
		case types.Bool:
			if d.B {
				return append(buf, 't')
			}
			return append(buf, 'f')
		}
		return append(buf, d.S...)
	}
	appendBinary = func(buf []byte, t types.T, d types.Datum) []byte {
		switch t.Family {
		case types.Int32:
			return binary.BigEndian.AppendUint32(buf, uint32(d.I))
		case types.Int64:
			return binary.BigEndian.AppendUint64(buf, uint64(d.I))
		case types.Bool:
			if d.B {
				return append(buf, 1)
			}
			return append(buf, 0)
		}
		return append(buf, d.S...)
	}
	parseText = func(t types.T, s string) (types.Datum, error) {
		switch t.Family {
		case types.Int16, types.Int32, types.Int64:
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return types.Datum{}, types.Errorf(types.CodeInvalidTextRepr, "invalid input syntax for type %s: %q", t, s)
			}
			return types.NewInt(i), nil
		case types.Bool:
			return types.NewBool(s == "t" || s == "true"), nil
		}
		return types.NewString(s), nil
	}
	parseBinary = func(t types.T, b []byte) (types.Datum, error) {
		switch t.Family {
		case types.Int64:
			if len(b) != 8 {
				return types.Datum{}, types.Errorf(types.CodeInvalidBinaryRepr, "incorrect binary data format")
			}
			return types.NewInt(int64(binary.BigEndian.Uint64(b))), nil
		case types.Int32:
			if len(b) != 4 {
				return types.Datum{}, types.Errorf(types.CodeInvalidBinaryRepr, "incorrect binary data format")
			}
			return types.NewInt(int64(int32(binary.BigEndian.Uint32(b)))), nil
		}
		return types.NewBytes(b), nil
	}
}

// codecsReady reports whether package types has real codecs yet.
func codecsReady() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	types.AppendText(nil, types.TInt8, types.NewInt(1))
	_, err := types.ParseBinary(types.TInt8, []byte{0, 0, 0, 0, 0, 0, 0, 1})
	return err == nil
}

var allTypesCols = []Column{
	{Name: "f8", Type: types.TFloat8},
	{Name: "f4", Type: types.TFloat4},
	{Name: "i2", Type: types.TInt2},
	{Name: "num", Type: types.TNumeric},
	{Name: "d", Type: types.TDate},
	{Name: "ts", Type: types.TTimestamptz},
	{Name: "iv", Type: types.TInterval},
	{Name: "j", Type: types.TJsonb},
	{Name: "b", Type: types.TBytea},
	{Name: "vc", Type: types.T{Family: types.Text, Width: 10}},
}

func allTypesRow() []types.Datum {
	num, _, _ := apd.NewFromString("12.345")
	return []types.Datum{
		types.NewFloat(1.5),
		types.NewFloat(2.5),
		types.NewInt(-3),
		types.NewDecimal(num),
		types.NewInt(19000),                // 2022-01-08
		types.NewInt(1641600000 * 1000000), // 2022-01-08 00:00:00 UTC
		types.NewInterval(types.IntervalValue{Months: 1, Days: 2, Micros: 3000000}),
		types.NewString(`{"a": 1}`),
		types.NewBytes([]byte{0xde, 0xad}),
		types.NewString("varchar"),
	}
}
