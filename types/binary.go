package types

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// Numeric binary sign words.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// AppendBinary appends the PostgreSQL binary wire form of d to buf.
func AppendBinary(buf []byte, t T, d Datum) []byte {
	switch t.Family {
	case Bool:
		if d.B {
			return append(buf, 1)
		}
		return append(buf, 0)
	case Int16:
		return binary.BigEndian.AppendUint16(buf, uint16(d.I))
	case Int32:
		return binary.BigEndian.AppendUint32(buf, uint32(d.I))
	case Int64, Time:
		return binary.BigEndian.AppendUint64(buf, uint64(d.I))
	case Float32:
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(d.F)))
	case Float64:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(d.F))
	case Numeric:
		return appendNumericBinary(buf, &d.D)
	case Text, Bytea, Unknown:
		return append(buf, d.S...)
	case Jsonb:
		buf = append(buf, 1)
		return append(buf, d.S...)
	case Date:
		v := d.I
		switch v {
		case DateInfinity:
			v = math.MaxInt32
		case DateNegInfinity:
			v = math.MinInt32
		default:
			v -= pgEpochDays
		}
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v)))
	case Timestamp, Timestamptz:
		v := d.I
		if IsFiniteTimestamp(v) {
			v -= pgEpochMicros
		}
		return binary.BigEndian.AppendUint64(buf, uint64(v))
	case Interval:
		buf = binary.BigEndian.AppendUint64(buf, uint64(d.Iv.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(d.Iv.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(d.Iv.Months))
	}
	return buf
}

func appendNumericBinary(buf []byte, d *apd.Decimal) []byte {
	put := func(ndigits, weight int, sign uint16, dscale int) {
		buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
		buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
		buf = binary.BigEndian.AppendUint16(buf, sign)
		buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		put(0, 0, numericNaN, 0)
		return buf
	case apd.Infinite:
		// PostgreSQL 15 sends dscale 0x20 for infinities.
		if d.Negative {
			put(0, 0, numericNInf, 0x20)
		} else {
			put(0, 0, numericPInf, 0x20)
		}
		return buf
	}
	var scratch [64]byte
	digits := d.Coeff.Append(scratch[:0], 10)
	exp := int(d.Exponent)
	dscale := 0
	if exp < 0 {
		dscale = -exp
	}
	sign := uint16(numericPos)
	if d.Negative && !d.IsZero() {
		sign = numericNeg
	}
	if d.IsZero() {
		put(0, 0, sign, dscale)
		return buf
	}
	// digits * 10^exp. Position of the decimal point relative to digits:
	// intLen = len(digits) + exp (may be <= 0 or > len).
	intLen := len(digits) + exp
	// Pad on the left so that intLen is a multiple of 4, on the right so
	// that the total length is a multiple of 4.
	padL := (4 - floorModInt(intLen, 4)) % 4
	// digit string: padL zeros + digits + (exp>0 ? exp zeros) + right pad
	total := padL + len(digits)
	if exp > 0 {
		total += exp
	}
	padR := (4 - total%4) % 4
	total += padR
	ngroups := total / 4
	weight := (intLen+padL)/4 - 1
	digitAt := func(i int) int {
		i -= padL
		if i < 0 || i >= len(digits) {
			return 0
		}
		return int(digits[i] - '0')
	}
	groups := make([]uint16, 0, ngroups)
	for g := 0; g < ngroups; g++ {
		v := digitAt(4*g)*1000 + digitAt(4*g+1)*100 + digitAt(4*g+2)*10 + digitAt(4*g+3)
		groups = append(groups, uint16(v))
	}
	// strip leading and trailing zero groups
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	put(len(groups), weight, sign, dscale)
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf
}

func floorModInt(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func binErr(t T, format string, args ...any) error {
	e := Errorf(CodeInvalidBinaryRepr, format, args...)
	return e
}

func needLen(t T, b []byte, n int) error {
	if len(b) != n {
		return Errorf(CodeInvalidBinaryRepr, "incorrect binary data format for type %s: expected %d bytes, got %d", t, n, len(b))
	}
	return nil
}

// ParseBinary decodes the PostgreSQL binary wire form b as type t (22P03 on
// malformed input).
func ParseBinary(t T, b []byte) (Datum, error) {
	switch t.Family {
	case Bool:
		if err := needLen(t, b, 1); err != nil {
			return Datum{}, err
		}
		return Datum{B: b[0] != 0}, nil
	case Int16:
		if err := needLen(t, b, 2); err != nil {
			return Datum{}, err
		}
		return Datum{I: int64(int16(binary.BigEndian.Uint16(b)))}, nil
	case Int32:
		if err := needLen(t, b, 4); err != nil {
			return Datum{}, err
		}
		return Datum{I: int64(int32(binary.BigEndian.Uint32(b)))}, nil
	case Int64:
		if err := needLen(t, b, 8); err != nil {
			return Datum{}, err
		}
		return Datum{I: int64(binary.BigEndian.Uint64(b))}, nil
	case Float32:
		if err := needLen(t, b, 4); err != nil {
			return Datum{}, err
		}
		return Datum{F: float64(math.Float32frombits(binary.BigEndian.Uint32(b)))}, nil
	case Float64:
		if err := needLen(t, b, 8); err != nil {
			return Datum{}, err
		}
		return Datum{F: math.Float64frombits(binary.BigEndian.Uint64(b))}, nil
	case Numeric:
		var d Datum
		if err := parseNumericBinary(&d.D, b); err != nil {
			return Datum{}, err
		}
		if t.Precision > 0 {
			if err := applyNumericTypmod(&d.D, t); err != nil {
				return Datum{}, err
			}
		}
		return d, nil
	case Text, Unknown:
		if !utf8.Valid(b) {
			return Datum{}, Errorf("22021", "invalid byte sequence for encoding \"UTF8\"")
		}
		return Datum{S: append([]byte(nil), b...)}, nil
	case Bytea:
		return Datum{S: append([]byte(nil), b...)}, nil
	case Jsonb:
		if len(b) < 1 || b[0] != 1 {
			return Datum{}, Errorf(CodeInvalidBinaryRepr, "unsupported jsonb version number")
		}
		c, err := CanonicalJSON(b[1:])
		if err != nil {
			return Datum{}, err
		}
		return Datum{S: c}, nil
	case Date:
		if err := needLen(t, b, 4); err != nil {
			return Datum{}, err
		}
		v := int64(int32(binary.BigEndian.Uint32(b)))
		switch v {
		case math.MaxInt32:
			return Datum{I: DateInfinity}, nil
		case math.MinInt32:
			return Datum{I: DateNegInfinity}, nil
		}
		v += pgEpochDays
		if v < minDateDays || v >= maxDateDays {
			return Datum{}, Errorf(CodeDatetimeFieldOverflow, "date out of range")
		}
		return Datum{I: v}, nil
	case Time:
		if err := needLen(t, b, 8); err != nil {
			return Datum{}, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v < 0 || v > MicrosPerDay {
			return Datum{}, Errorf(CodeDatetimeFieldOverflow, "time out of range")
		}
		return Datum{I: v}, nil
	case Timestamp, Timestamptz:
		if err := needLen(t, b, 8); err != nil {
			return Datum{}, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v == math.MaxInt64 || v == math.MinInt64 {
			return Datum{I: v}, nil
		}
		if v < minTimestampUs-pgEpochMicros || v > maxTimestampUs-pgEpochMicros {
			return Datum{}, Errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
		}
		return Datum{I: v + pgEpochMicros}, nil
	case Interval:
		if err := needLen(t, b, 16); err != nil {
			return Datum{}, err
		}
		return Datum{Iv: IntervalValue{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}}, nil
	}
	return Datum{}, binErr(t, "cannot decode type %s", t)
}

func parseNumericBinary(d *apd.Decimal, b []byte) error {
	if len(b) < 8 {
		return Errorf(CodeInvalidBinaryRepr, "insufficient data left in message")
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	b = b[8:]
	if len(b) != 2*ndigits {
		return Errorf(CodeInvalidBinaryRepr, "insufficient data left in message")
	}
	switch sign {
	case numericNaN:
		d.Set(&apd.Decimal{Form: apd.NaN})
		return nil
	case numericPInf:
		d.Set(&apd.Decimal{Form: apd.Infinite})
		return nil
	case numericNInf:
		d.Set(&apd.Decimal{Form: apd.Infinite, Negative: true})
		return nil
	case numericPos, numericNeg:
	default:
		return Errorf(CodeInvalidBinaryRepr, "invalid sign in external \"numeric\" value")
	}
	if dscale > 0x3FFF {
		return Errorf(CodeInvalidBinaryRepr, "invalid scale in external \"numeric\" value")
	}
	s := make([]byte, 0, 4*ndigits+dscale+16)
	if sign == numericNeg {
		s = append(s, '-')
	}
	s = append(s, '0')
	for i := 0; i < ndigits; i++ {
		g := binary.BigEndian.Uint16(b[2*i:])
		if g >= 10000 {
			return Errorf(CodeInvalidBinaryRepr, "invalid digit in external \"numeric\" value")
		}
		s = append(s, byte('0'+g/1000), byte('0'+g/100%10), byte('0'+g/10%10), byte('0'+g%10))
	}
	// value = digits * 10^exp
	exp := (weight - ndigits + 1) * 4
	if ndigits == 0 {
		exp = 0
	}
	// Rescale to exactly dscale fractional digits.
	if exp > -dscale {
		for ; exp > -dscale; exp-- {
			s = append(s, '0')
		}
	} else if exp < -dscale {
		cut := -dscale - exp
		if cut > len(s) {
			cut = len(s)
		}
		s = s[:len(s)-cut]
		exp = -dscale
		if len(s) == 0 || s[len(s)-1] == '-' {
			s = append(s, '0')
		}
	}
	s = append(s, 'E')
	s = strconv.AppendInt(s, int64(exp), 10)
	if _, _, err := d.SetString(string(s)); err != nil {
		return Errorf(CodeInvalidBinaryRepr, "invalid external \"numeric\" value")
	}
	if d.IsZero() {
		d.Negative = false
	}
	return nil
}
