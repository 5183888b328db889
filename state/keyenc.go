package state

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// Marker bytes that start every ascending key encoding of a datum.
const (
	keyNull     byte = 0x00
	keyNotNull  byte = 0x01
	keyNullHigh byte = 0x02 // NULL sorting after every value (before inversion)
)

// Class bytes of a numeric key after the not-NULL marker.
const (
	decNegInf byte = 0x02
	decNeg    byte = 0x03
	decZero   byte = 0x04
	decPos    byte = 0x05
	decPosInf byte = 0x06
	decNaN    byte = 0x07
)

// floatNaNKey is the encoding of every NaN: above +Inf (0xFFF0...).
const floatNaNKey = math.MaxUint64

// usPerDay is the number of microseconds in a day, as PostgreSQL counts it
// when comparing intervals.
const usPerDay = 86400 * 1000000

// AppendKey appends the memcomparable encoding of d (of type t) to buf and
// returns the extended buffer. With desc the encoding sorts in descending
// order. NULL sorts first ascending and last descending. The encoding is
// prefix-free, so encodings of several columns may be concatenated.
func AppendKey(buf []byte, t types.T, d types.Datum, desc bool) []byte {
	start := len(buf)
	buf = appendKeyAsc(buf, t, &d)
	if desc {
		invert(buf[start:])
	}
	return buf
}

// AppendKeyNulls is AppendKey with the position of NULL chosen explicitly:
// nullsLast puts NULL after every value in the final (ascending or
// descending) order, as PostgreSQL's default for ASC; otherwise NULL comes
// before every value. DecodeKey decodes either form.
func AppendKeyNulls(buf []byte, t types.T, d types.Datum, desc, nullsLast bool) []byte {
	if d.Null && nullsLast != desc {
		m := keyNullHigh
		if desc {
			m = ^m
		}
		return append(buf, m)
	}
	return AppendKey(buf, t, d, desc)
}

func invert(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

func appendKeyAsc(buf []byte, t types.T, d *types.Datum) []byte {
	if d.Null {
		return append(buf, keyNull)
	}
	buf = append(buf, keyNotNull)
	switch t.Family.Physical() {
	case types.PhysBool:
		if d.B {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.PhysInt:
		return binary.BigEndian.AppendUint64(buf, uint64(d.I)^(1<<63))
	case types.PhysFloat:
		return binary.BigEndian.AppendUint64(buf, floatKeyBits(d.F))
	case types.PhysDecimal:
		return appendDecimalKey(buf, &d.D)
	case types.PhysBytes:
		return appendEscapedBytes(buf, d.S)
	case types.PhysInterval:
		hi, lo := intervalSpan(d.Iv)
		buf = binary.BigEndian.AppendUint64(buf, uint64(hi)^(1<<63))
		buf = binary.BigEndian.AppendUint64(buf, lo)
		buf = binary.BigEndian.AppendUint32(buf, uint32(d.Iv.Months)^(1<<31))
		return binary.BigEndian.AppendUint32(buf, uint32(d.Iv.Days)^(1<<31))
	}
	return buf
}

func floatKeyBits(f float64) uint64 {
	if f != f {
		return floatNaNKey
	}
	if f == 0 {
		f = 0 // -0 → +0
	}
	b := math.Float64bits(f)
	if b&(1<<63) == 0 {
		return b ^ (1 << 63)
	}
	return ^b
}

func floatFromKeyBits(b uint64) float64 {
	if b == floatNaNKey {
		return math.NaN()
	}
	if b&(1<<63) != 0 {
		return math.Float64frombits(b ^ (1 << 63))
	}
	return math.Float64frombits(^b)
}

// intervalSpan returns PostgreSQL's comparison span of an interval,
// (months*30 + days)*usPerDay + micros, as a signed 128-bit integer.
func intervalSpan(iv types.IntervalValue) (hi int64, lo uint64) {
	x := int64(iv.Months)*30 + int64(iv.Days)
	neg := x < 0
	ux := uint64(x)
	if neg {
		ux = uint64(-x)
	}
	phi, plo := bits.Mul64(ux, usPerDay)
	if neg {
		// two's complement negate of (phi, plo)
		plo = ^plo + 1
		phi = ^phi
		if plo == 0 {
			phi++
		}
	}
	// add sign-extended micros
	m := uint64(iv.Micros)
	var mhi uint64
	if iv.Micros < 0 {
		mhi = math.MaxUint64
	}
	var carry uint64
	lo, carry = bits.Add64(plo, m, 0)
	uhi, _ := bits.Add64(phi, mhi, carry)
	return int64(uhi), lo
}

func appendEscapedBytes(buf, s []byte) []byte {
	for {
		i := indexByte0(s)
		if i < 0 {
			buf = append(buf, s...)
			break
		}
		buf = append(buf, s[:i]...)
		buf = append(buf, 0x00, 0xFF)
		s = s[i+1:]
	}
	return append(buf, 0x00, 0x01)
}

func indexByte0(s []byte) int {
	for i, c := range s {
		if c == 0 {
			return i
		}
	}
	return -1
}

// appendDecimalKey encodes a non-NULL numeric: class byte; for finite non-zero
// values the adjusted exponent E (value = 0.d1d2…dn × 10^E, d1 ≠ 0, dn ≠ 0) as
// a sign-flipped big-endian int32, then the digits in pairs, each pair p as
// byte p+1 (1..100), an odd last digit padded with 0, then a 0x00 terminator.
// Negative values complement everything after the class byte.
func appendDecimalKey(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, decNaN)
	case apd.Infinite:
		if d.Negative {
			return append(buf, decNegInf)
		}
		return append(buf, decPosInf)
	}
	if d.Coeff.Sign() == 0 {
		return append(buf, decZero)
	}
	var scratch [40]byte
	digits := d.Coeff.Append(scratch[:0], 10)
	// Strip trailing zeros: they only change the scale.
	n := len(digits)
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	e := int64(d.Exponent) + int64(len(digits))
	if e > math.MaxInt32 {
		e = math.MaxInt32
	} else if e < math.MinInt32 {
		e = math.MinInt32
	}
	digits = digits[:n]
	if d.Negative {
		buf = append(buf, decNeg)
	} else {
		buf = append(buf, decPos)
	}
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(int32(e))^(1<<31))
	for i := 0; i < len(digits); i += 2 {
		p := (digits[i] - '0') * 10
		if i+1 < len(digits) {
			p += digits[i+1] - '0'
		}
		buf = append(buf, p+1)
	}
	buf = append(buf, 0)
	if d.Negative {
		invert(buf[start:])
	}
	return buf
}

// DecodeKey decodes one datum of type t encoded by AppendKey (with the same
// desc) from the start of buf and returns it with the remaining bytes. Decoded
// bytes never alias buf. Numerics decode normalized (no trailing zeros), or
// with t.Scale digits when t is numeric(p,s).
func DecodeKey(buf []byte, t types.T, desc bool) (d types.Datum, rest []byte, err error) {
	err = decodeKeyInto(buf, t, desc, &d, &rest)
	return d, rest, err
}

func errCorrupt(format string, args ...any) error {
	return types.Errorf(types.CodeInternal, "state: corrupt key: "+format, args...)
}

func decodeKeyInto(buf []byte, t types.T, desc bool, d *types.Datum, rest *[]byte) error {
	var flip byte
	if desc {
		flip = 0xFF
	}
	if len(buf) < 1 {
		return errCorrupt("empty")
	}
	switch buf[0] ^ flip {
	case keyNull, keyNullHigh:
		*d = types.Datum{Null: true}
		*rest = buf[1:]
		return nil
	case keyNotNull:
	default:
		return errCorrupt("bad marker %#x", buf[0]^flip)
	}
	buf = buf[1:]
	*d = types.Datum{}
	switch t.Family.Physical() {
	case types.PhysBool:
		if len(buf) < 1 {
			return errCorrupt("short bool")
		}
		d.B = buf[0]^flip != 0
		*rest = buf[1:]
	case types.PhysInt:
		if len(buf) < 8 {
			return errCorrupt("short int")
		}
		u := binary.BigEndian.Uint64(buf)
		if desc {
			u = ^u
		}
		d.I = int64(u ^ (1 << 63))
		*rest = buf[8:]
	case types.PhysFloat:
		if len(buf) < 8 {
			return errCorrupt("short float")
		}
		u := binary.BigEndian.Uint64(buf)
		if desc {
			u = ^u
		}
		d.F = floatFromKeyBits(u)
		*rest = buf[8:]
	case types.PhysDecimal:
		r, err := decodeDecimalKey(buf, flip, t, &d.D)
		if err != nil {
			return err
		}
		*rest = r
	case types.PhysBytes:
		s, r, err := decodeEscapedBytes(buf, flip)
		if err != nil {
			return err
		}
		d.S = s
		*rest = r
	case types.PhysInterval:
		if len(buf) < 24 {
			return errCorrupt("short interval")
		}
		var b [24]byte
		copy(b[:], buf[:24])
		if desc {
			invert(b[:])
		}
		hi := int64(binary.BigEndian.Uint64(b[0:]) ^ (1 << 63))
		lo := binary.BigEndian.Uint64(b[8:])
		d.Iv.Months = int32(binary.BigEndian.Uint32(b[16:]) ^ (1 << 31))
		d.Iv.Days = int32(binary.BigEndian.Uint32(b[20:]) ^ (1 << 31))
		// micros = span - (months*30+days)*usPerDay; the result fits in 64 bits,
		// so the low word of the 128-bit difference is it.
		_, plo := intervalSpan(types.IntervalValue{Months: d.Iv.Months, Days: d.Iv.Days})
		_ = hi
		d.Iv.Micros = int64(lo - plo)
		*rest = buf[24:]
	default:
		*rest = buf
	}
	return nil
}

func decodeEscapedBytes(buf []byte, flip byte) (s, rest []byte, err error) {
	out := make([]byte, 0, 16)
	for i := 0; i < len(buf); i++ {
		c := buf[i] ^ flip
		if c != 0 {
			out = append(out, c)
			continue
		}
		if i+1 >= len(buf) {
			return nil, nil, errCorrupt("unterminated bytes")
		}
		switch buf[i+1] ^ flip {
		case 0xFF:
			out = append(out, 0)
			i++
		case 0x01:
			return out, buf[i+2:], nil
		default:
			return nil, nil, errCorrupt("bad escape")
		}
	}
	return nil, nil, errCorrupt("unterminated bytes")
}

func decodeDecimalKey(buf []byte, flip byte, t types.T, d *apd.Decimal) ([]byte, error) {
	if len(buf) < 1 {
		return nil, errCorrupt("short numeric")
	}
	class := buf[0] ^ flip
	buf = buf[1:]
	switch class {
	case decNaN:
		d.Form = apd.NaN
		return buf, nil
	case decNegInf, decPosInf:
		d.Form = apd.Infinite
		d.Negative = class == decNegInf
		return buf, nil
	case decZero:
		d.SetInt64(0)
		if t.Precision > 0 && t.Scale > 0 {
			d.Exponent = -t.Scale
		}
		return buf, nil
	case decNeg, decPos:
	default:
		return nil, errCorrupt("bad numeric class %#x", class)
	}
	neg := class == decNeg
	f := flip
	if neg {
		f = ^f
	}
	if len(buf) < 5 {
		return nil, errCorrupt("short numeric")
	}
	e := int64(int32(binary.BigEndian.Uint32([]byte{buf[0] ^ f, buf[1] ^ f, buf[2] ^ f, buf[3] ^ f}) ^ (1 << 31)))
	buf = buf[4:]
	var scratch [40]byte
	digits := scratch[:0]
	i := 0
	for ; i < len(buf); i++ {
		c := buf[i] ^ f
		if c == 0 {
			break
		}
		if c > 100 {
			return nil, errCorrupt("bad numeric digit")
		}
		p := c - 1
		digits = append(digits, '0'+p/10, '0'+p%10)
	}
	if i == len(buf) {
		return nil, errCorrupt("unterminated numeric")
	}
	rest := buf[i+1:]
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	exp := e - int64(len(digits))
	if t.Precision > 0 && exp > -int64(t.Scale) {
		for exp > -int64(t.Scale) {
			digits = append(digits, '0')
			exp--
		}
	}
	if len(digits) <= 19 {
		var u uint64
		for _, c := range digits {
			u = u*10 + uint64(c-'0')
		}
		d.Coeff.SetUint64(u)
	} else if _, ok := d.Coeff.SetString(string(digits), 10); !ok {
		return nil, errCorrupt("bad numeric digits")
	}
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		return nil, errCorrupt("numeric exponent out of range")
	}
	d.Exponent = int32(exp)
	d.Negative = neg
	d.Form = apd.Finite
	return rest, nil
}

// AppendKeys appends the encodings of several columns (see AppendKey); desc
// may be nil (all ascending) or have one flag per column.
func AppendKeys(buf []byte, ts []types.T, ds []types.Datum, desc []bool) []byte {
	if len(ts) != len(ds) {
		panic(fmt.Sprintf("state: AppendKeys: %d types for %d datums", len(ts), len(ds)))
	}
	for i := range ds {
		buf = AppendKey(buf, ts[i], ds[i], desc != nil && desc[i])
	}
	return buf
}

// DecodeKeys decodes len(ts) columns encoded by AppendKeys into dst (reused
// from dst[:0]) and returns them with the remaining bytes.
func DecodeKeys(buf []byte, ts []types.T, desc []bool, dst []types.Datum) ([]types.Datum, []byte, error) {
	dst = dst[:0]
	for i, t := range ts {
		dst = append(dst, types.Datum{})
		if err := decodeKeyInto(buf, t, desc != nil && desc[i], &dst[i], &buf); err != nil {
			return dst, nil, err
		}
	}
	return dst, buf, nil
}
