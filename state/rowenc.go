package state

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// Row value format:
//
//	uvarint ncols | null bitmap, ceil(ncols/8) bytes, bit i set = column i NULL |
//	each non-NULL column in order:
//	  bool       1 byte
//	  int16      2 bytes little-endian
//	  int32/date 4 bytes little-endian
//	  int64/time/timestamp[tz] 8 bytes little-endian
//	  real       4 bytes (float32 bits), double 8 bytes (float64 bits)
//	  numeric    1 header byte (form | negative<<2 | bigCoeff<<3), zigzag varint
//	             exponent, then uvarint coefficient, or if bigCoeff uvarint
//	             length + decimal digits
//	  text/bytea/jsonb  uvarint length + bytes
//	  interval   months 4, days 4, micros 8 (little-endian)

func errCorruptRow(msg string) error {
	return types.Errorf(types.CodeInternal, "state: corrupt row: %s", msg)
}

// AppendRow appends the value encoding of row (types ts) to buf. Integer
// values must lie in their type's range (int16, int32, date are stored
// narrower).
func AppendRow(buf []byte, ts []types.T, row []types.Datum) []byte {
	n := len(row)
	buf = binary.AppendUvarint(buf, uint64(n))
	bm := len(buf)
	for i := 0; i < (n+7)/8; i++ {
		buf = append(buf, 0)
	}
	for i := range row {
		d := &row[i]
		if d.Null {
			buf[bm+i/8] |= 1 << (i % 8)
			continue
		}
		switch ts[i].Family {
		case types.Bool:
			if d.B {
				buf = append(buf, 1)
			} else {
				buf = append(buf, 0)
			}
		case types.Int16:
			buf = binary.LittleEndian.AppendUint16(buf, uint16(d.I))
		case types.Int32, types.Date:
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d.I))
		case types.Int64, types.Time, types.Timestamp, types.Timestamptz:
			buf = binary.LittleEndian.AppendUint64(buf, uint64(d.I))
		case types.Float32:
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(d.F)))
		case types.Float64:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(d.F))
		case types.Numeric:
			buf = appendDecimalValue(buf, &d.D)
		case types.Text, types.Bytea, types.Jsonb:
			buf = binary.AppendUvarint(buf, uint64(len(d.S)))
			buf = append(buf, d.S...)
		case types.Interval:
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d.Iv.Months))
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d.Iv.Days))
			buf = binary.LittleEndian.AppendUint64(buf, uint64(d.Iv.Micros))
		}
	}
	return buf
}

func appendDecimalValue(buf []byte, d *apd.Decimal) []byte {
	h := byte(d.Form) & 3
	if d.Negative {
		h |= 4
	}
	big := !d.Coeff.IsUint64()
	if big {
		h |= 8
	}
	buf = append(buf, h)
	buf = binary.AppendVarint(buf, int64(d.Exponent))
	if !big {
		return binary.AppendUvarint(buf, d.Coeff.Uint64())
	}
	var scratch [64]byte
	digits := d.Coeff.Append(scratch[:0], 10)
	buf = binary.AppendUvarint(buf, uint64(len(digits)))
	return append(buf, digits...)
}

// DecodeRow decodes a row encoded by AppendRow into dst (reused from dst[:0],
// grown as needed) and returns it. Text, bytea and jsonb values ALIAS buf: they
// are valid only as long as buf is (use DecodeRowCopy otherwise). Columns
// missing from the encoding (the row was written before trailing columns were
// added) decode as NULL; an encoding with more columns than ts is an error.
func DecodeRow(buf []byte, ts []types.T, dst []types.Datum) ([]types.Datum, error) {
	return decodeRow(buf, ts, dst, false)
}

// DecodeRowCopy is DecodeRow whose byte values are copied (into one shared
// allocation) and never alias buf.
func DecodeRowCopy(buf []byte, ts []types.T, dst []types.Datum) ([]types.Datum, error) {
	return decodeRow(buf, ts, dst, true)
}

func decodeRow(buf []byte, ts []types.T, dst []types.Datum, copyBytes bool) ([]types.Datum, error) {
	if copyBytes {
		// One allocation for every byte value: at most len(buf) bytes.
		buf = append([]byte(nil), buf...)
	}
	n64, k := binary.Uvarint(buf)
	if k <= 0 {
		return dst[:0], errCorruptRow("bad column count")
	}
	if n64 > uint64(len(ts)) {
		return dst[:0], errCorruptRow("more columns than the schema")
	}
	n := int(n64)
	buf = buf[k:]
	nb := (n + 7) / 8
	if len(buf) < nb {
		return dst[:0], errCorruptRow("short null bitmap")
	}
	bm := buf[:nb]
	buf = buf[nb:]
	if cap(dst) >= len(ts) {
		dst = dst[:len(ts)]
	} else {
		dst = make([]types.Datum, len(ts))
	}
	for i := range ts {
		d := &dst[i]
		if i >= n || bm[i/8]&(1<<(i%8)) != 0 {
			*d = types.Datum{Null: true}
			continue
		}
		*d = types.Datum{}
		var need int
		switch ts[i].Family {
		case types.Bool:
			need = 1
		case types.Int16:
			need = 2
		case types.Int32, types.Date, types.Float32:
			need = 4
		case types.Int64, types.Time, types.Timestamp, types.Timestamptz, types.Float64:
			need = 8
		case types.Interval:
			need = 16
		}
		if len(buf) < need {
			return dst, errCorruptRow("short value")
		}
		switch ts[i].Family {
		case types.Bool:
			d.B = buf[0] != 0
		case types.Int16:
			d.I = int64(int16(binary.LittleEndian.Uint16(buf)))
		case types.Int32, types.Date:
			d.I = int64(int32(binary.LittleEndian.Uint32(buf)))
		case types.Int64, types.Time, types.Timestamp, types.Timestamptz:
			d.I = int64(binary.LittleEndian.Uint64(buf))
		case types.Float32:
			d.F = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf)))
		case types.Float64:
			d.F = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		case types.Interval:
			d.Iv.Months = int32(binary.LittleEndian.Uint32(buf))
			d.Iv.Days = int32(binary.LittleEndian.Uint32(buf[4:]))
			d.Iv.Micros = int64(binary.LittleEndian.Uint64(buf[8:]))
		case types.Numeric:
			r, err := decodeDecimalValue(buf, &d.D)
			if err != nil {
				return dst, err
			}
			buf = r
		case types.Text, types.Bytea, types.Jsonb:
			l, k := binary.Uvarint(buf)
			if k <= 0 || uint64(len(buf)-k) < l {
				return dst, errCorruptRow("short bytes")
			}
			d.S = buf[k : k+int(l) : k+int(l)]
			buf = buf[k+int(l):]
		}
		buf = buf[need:]
	}
	return dst, nil
}

func decodeDecimalValue(buf []byte, d *apd.Decimal) ([]byte, error) {
	if len(buf) < 1 {
		return nil, errCorruptRow("short numeric")
	}
	h := buf[0]
	buf = buf[1:]
	exp, k := binary.Varint(buf)
	if k <= 0 || exp < math.MinInt32 || exp > math.MaxInt32 {
		return nil, errCorruptRow("bad numeric exponent")
	}
	buf = buf[k:]
	if h&8 == 0 {
		u, k := binary.Uvarint(buf)
		if k <= 0 {
			return nil, errCorruptRow("bad numeric coefficient")
		}
		d.Coeff.SetUint64(u)
		buf = buf[k:]
	} else {
		l, k := binary.Uvarint(buf)
		if k <= 0 || uint64(len(buf)-k) < l {
			return nil, errCorruptRow("bad numeric coefficient")
		}
		if _, ok := d.Coeff.SetString(string(buf[k:k+int(l)]), 10); !ok {
			return nil, errCorruptRow("bad numeric digits")
		}
		buf = buf[k+int(l):]
	}
	d.Form = apd.Form(h & 3)
	d.Negative = h&4 != 0
	d.Exponent = int32(exp)
	return buf, nil
}
