package pgwire

import (
	"net"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
)

func encodeMsgs(msgs ...pgproto3.FrontendMessage) []byte {
	var buf []byte
	for _, m := range msgs {
		var err error
		buf, err = m.Encode(buf)
		if err != nil {
			panic(err)
		}
	}
	return buf
}

// FuzzProtocol feeds arbitrary bytes to the server after a valid startup
// message. The server must neither panic (recovered panics are logged as
// errors and fail the test) nor stop serving other clients.
func FuzzProtocol(f *testing.F) {
	f.Add(encodeMsgs(&pgproto3.Query{String: "select * from t"}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "select * from t; create table x; select error"}))
	f.Add(encodeMsgs(
		&pgproto3.Parse{Name: "s", Query: "select $1::int8, $2::text", ParameterOIDs: []uint32{20, 25}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 0, 9}, nil}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{MaxRows: 1},
		&pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Sync{},
	))
	f.Add(encodeMsgs(
		&pgproto3.Parse{Query: "select * from t"},
		&pgproto3.Bind{ResultFormatCodes: []int16{0, 1, 1}},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Flush{},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
		&pgproto3.Terminate{},
	))
	f.Add([]byte{'B', 0, 0, 0, 12, 0, 0, 0, 1, 0, 2, 0, 0})
	f.Add([]byte{'Q', 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{'p', 0, 0, 0, 5, 0})
	f.Add([]byte("\x00\x00\x00\x08\x04\xd2\x16\x2f"))

	ts := startServer(f, Options{MaxMessageSize: 1 << 16})
	startup := encodeMsgs(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "fuzz"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		before := len(ts.log.errors())
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(append(append([]byte{}, startup...), data...)); err != nil {
			return // the server may already have closed on garbage
		}
		_ = nc.(*net.TCPConn).CloseWrite()
		buf := make([]byte, 4096)
		for {
			if _, err := nc.Read(buf); err != nil {
				break
			}
		}
		if errs := ts.log.errors(); len(errs) != before {
			t.Fatalf("server logged %v", errs[before:])
		}
	})
}
