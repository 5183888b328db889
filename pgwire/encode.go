package pgwire

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/jackc/pgproto3/v2"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// typeSize is pg_type.typlen: the fixed width of a type, -1 if variable.
func typeSize(t types.T) int16 {
	switch t.Family {
	case types.Bool:
		return 1
	case types.Int16:
		return 2
	case types.Int32, types.Float32, types.Date:
		return 4
	case types.Int64, types.Float64, types.Time, types.Timestamp, types.Timestamptz:
		return 8
	case types.Interval:
		return 16
	}
	return -1
}

// typeModifier is the atttypmod of t: varchar(n) and numeric(p,s) carry
// theirs, as PostgreSQL encodes them.
func typeModifier(t types.T) int32 {
	switch t.Family {
	case types.Text:
		if t.Width > 0 {
			return t.Width + 4
		}
	case types.Numeric:
		if t.Precision > 0 {
			return (t.Precision<<16 | t.Scale&0xffff) + 4
		}
	}
	return -1
}

func (c *serverConn) sendRowDescription(cols []Column, formats []int16) {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		f := int16(0)
		if formats != nil {
			f = formats[i]
		}
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.ColNum),
			DataTypeOID:          col.Type.OID(),
			DataTypeSize:         typeSize(col.Type),
			TypeModifier:         typeModifier(col.Type),
			Format:               f,
		}
	}
	c.send(&pgproto3.RowDescription{Fields: fields})
}

// emitter returns the Run callback sending a chunk's rows as DataRows and
// flushing the socket once per chunk.
func (c *serverConn) emitter(cols []Column, formats []int16) func(*exec.Chunk) error {
	return func(ch *exec.Chunk) error {
		c.flushNotices()
		if err := c.writeRows(ch, cols, formats); err != nil {
			return err
		}
		return c.flush()
	}
}

// rowFlushSize is how many encoded bytes are gathered before they are
// handed to the socket writer.
const rowFlushSize = 64 << 10

// writeRows encodes the visible rows of ch as DataRow messages.
func (c *serverConn) writeRows(ch *exec.Chunk, cols []Column, formats []int16) error {
	if len(ch.Cols) != len(cols) {
		return fmt.Errorf("pgwire: chunk has %d columns, statement describes %d", len(ch.Cols), len(cols))
	}
	buf := c.rowBuf[:0]
	ncol := len(cols)
	n := ch.Len()
	for i := 0; i < n; i++ {
		r := ch.Row(i)
		start := len(buf)
		buf = append(buf, 'D', 0, 0, 0, 0, byte(ncol>>8), byte(ncol))
		for j, v := range ch.Cols {
			if v.Nulls.IsNull(r) {
				buf = append(buf, 0xff, 0xff, 0xff, 0xff)
				continue
			}
			lenAt := len(buf)
			buf = append(buf, 0, 0, 0, 0)
			bin := formats != nil && formats[j] == 1
			buf = appendValue(buf, cols[j].Type, v, r, bin)
			binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
		}
		binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
		if len(buf) >= rowFlushSize {
			if _, err := c.bw.Write(buf); err != nil {
				c.rowBuf = buf[:0]
				return err
			}
			buf = buf[:0]
		}
	}
	c.rowBuf = buf[:0]
	if len(buf) > 0 {
		if _, err := c.bw.Write(buf); err != nil {
			return err
		}
	}
	if cap(c.rowBuf) > 4*rowFlushSize {
		c.rowBuf = nil // do not pin a buffer grown by one huge row
	}
	return nil
}

// appendValue encodes row r of v (not NULL) as type t. The common types
// take a fast path that matches the codecs byte for byte.
func appendValue(buf []byte, t types.T, v *exec.Vec, r int, bin bool) []byte {
	switch t.Family {
	case types.Text:
		if v.Bytes != nil {
			return append(buf, v.Bytes[r]...)
		}
	case types.Int16, types.Int32, types.Int64:
		if v.Int != nil {
			x := v.Int[r]
			if !bin {
				return strconv.AppendInt(buf, x, 10)
			}
			switch t.Family {
			case types.Int16:
				return binary.BigEndian.AppendUint16(buf, uint16(x))
			case types.Int32:
				return binary.BigEndian.AppendUint32(buf, uint32(x))
			}
			return binary.BigEndian.AppendUint64(buf, uint64(x))
		}
	case types.Bool:
		if v.Bool != nil {
			b := v.Bool[r]
			switch {
			case bin && b:
				return append(buf, 1)
			case bin:
				return append(buf, 0)
			case b:
				return append(buf, 't')
			}
			return append(buf, 'f')
		}
	}
	if bin {
		return appendBinary(buf, t, v.Get(r))
	}
	return appendText(buf, t, v.Get(r))
}
