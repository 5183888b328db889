package types

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// CanCast reports whether PostgreSQL allows an explicit cast from `from` to
// `to` among the streamsql types.
func CanCast(from, to T) bool {
	f, t := from.Family, to.Family
	if f == t || f == Unknown || t == Text || f == Text {
		return true
	}
	switch f {
	case Int16, Int32, Int64, Float32, Float64, Numeric:
		if to.IsNumeric() {
			return true
		}
		return f == Int32 && t == Bool
	case Bool:
		return t == Int32
	case Date:
		return t == Timestamp || t == Timestamptz
	case Timestamp, Timestamptz:
		return t == Date || t == Time || t == Timestamp || t == Timestamptz
	case Time:
		return t == Interval
	case Interval:
		return t == Time
	case Jsonb:
		return t == Bool || to.IsNumeric()
	}
	return false
}

// ImplicitCastOK reports whether PostgreSQL applies the cast implicitly (in
// expressions and function/operator resolution): numeric widening
// int2→int4→int8→numeric→float4→float8, date→timestamp→timestamptz,
// time→interval, unknown→anything, and between text types.
func ImplicitCastOK(from, to T) bool {
	f, t := from.Family, to.Family
	if f == t || f == Unknown {
		return true
	}
	rank := func(x Family) int {
		switch x {
		case Int16:
			return 1
		case Int32:
			return 2
		case Int64:
			return 3
		case Numeric:
			return 4
		case Float32:
			return 5
		case Float64:
			return 6
		}
		return 0
	}
	if rf, rt := rank(f), rank(t); rf > 0 && rt > 0 {
		return rf < rt
	}
	switch f {
	case Date:
		return t == Timestamp || t == Timestamptz
	case Timestamp:
		return t == Timestamptz
	case Time:
		return t == Interval
	}
	return false
}

func cannotCast(from, to T) error {
	return Errorf(CodeCannotCoerce, "cannot cast type %s to %s", from, to)
}

func outOfRange(t T) error {
	return Errorf(CodeNumericOutOfRange, "%s out of range", t.Family.rangeName())
}

func (f Family) rangeName() string {
	switch f {
	case Int16:
		return "smallint"
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	}
	return "value"
}

func intFits(v int64, f Family) bool {
	switch f {
	case Int16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case Int32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// Cast converts a non-NULL datum from type `from` to type `to` with
// PostgreSQL's explicit-cast rules (rounding float to int, range checks with
// 22003, text parsing with 22P02, numeric(p,s) coercion, varchar(n)
// truncation). Impossible casts fail with 42846.
func Cast(d Datum, from, to T) (Datum, error) {
	return castImpl(d, from, to, true)
}

// CastAssign converts like Cast but with assignment semantics (INSERT,
// UPDATE): a string longer than varchar(n) fails with 22001 unless the
// excess characters are spaces.
func CastAssign(d Datum, from, to T) (Datum, error) {
	return castImpl(d, from, to, false)
}

func castImpl(d Datum, from, to T, explicit bool) (Datum, error) {
	if d.Null {
		return d, nil
	}
	ft, tt := from.Family, to.Family
	if ft == Unknown {
		r, err := ParseText(to, string(d.S))
		if err != nil {
			return r, err
		}
		if tt == Text {
			return coerceWidth(r, to, explicit)
		}
		return r, nil
	}
	if tt == Text {
		var r Datum
		switch ft {
		case Text:
			r = d
		case Bool:
			if d.B {
				r.S = []byte("true")
			} else {
				r.S = []byte("false")
			}
		default:
			r.S = AppendText(nil, from, d)
		}
		return coerceWidth(r, to, explicit)
	}
	if ft == Text {
		return ParseText(to, string(d.S))
	}
	switch tt {
	case Bool:
		switch ft {
		case Bool:
			return d, nil
		case Int32:
			return Datum{B: d.I != 0}, nil
		case Jsonb:
			v, err := ParseJSON(d.S)
			if err != nil {
				return Datum{}, err
			}
			if v.Kind != JSONBool {
				return Datum{}, jsonbCastErr(v.Kind, to)
			}
			return Datum{B: v.Bool}, nil
		}
	case Int16, Int32, Int64:
		switch ft {
		case Bool:
			if tt != Int32 {
				break
			}
			if d.B {
				return Datum{I: 1}, nil
			}
			return Datum{I: 0}, nil
		case Int16, Int32, Int64:
			if !intFits(d.I, tt) {
				return Datum{}, outOfRange(to)
			}
			return Datum{I: d.I}, nil
		case Float32, Float64:
			return floatToInt(d.F, to)
		case Numeric:
			return decimalToInt(&d.D, to)
		case Jsonb:
			return jsonbToNumber(d, to)
		}
	case Float32, Float64:
		switch ft {
		case Int16, Int32, Int64:
			if tt == Float32 {
				return Datum{F: float64(float32(d.I))}, nil
			}
			return Datum{F: float64(d.I)}, nil
		case Float32:
			return Datum{F: d.F}, nil
		case Float64:
			if tt == Float64 {
				return d, nil
			}
			return float8ToFloat4(d.F)
		case Numeric:
			return decimalToFloat(&d.D, tt)
		case Jsonb:
			return jsonbToNumber(d, to)
		}
	case Numeric:
		var r Datum
		switch ft {
		case Int16, Int32, Int64:
			r.D.SetInt64(d.I)
		case Float32, Float64:
			if err := floatToDecimal(&r.D, d.F, ft == Float32); err != nil {
				return Datum{}, err
			}
		case Numeric:
			r.D.Set(&d.D)
		case Jsonb:
			return jsonbToNumber(d, to)
		default:
			return Datum{}, cannotCast(from, to)
		}
		if to.Precision > 0 {
			if err := applyNumericTypmod(&r.D, to); err != nil {
				return Datum{}, err
			}
		}
		return r, nil
	case Bytea, Jsonb, Interval:
		if ft == tt {
			return d, nil
		}
		if tt == Interval && ft == Time {
			return Datum{Iv: IntervalValue{Micros: d.I}}, nil
		}
	case Date:
		switch ft {
		case Date:
			return d, nil
		case Timestamp, Timestamptz:
			return Datum{I: DateFromTimestamp(d.I)}, nil
		}
	case Time:
		switch ft {
		case Time:
			return d, nil
		case Timestamp, Timestamptz:
			if !IsFiniteTimestamp(d.I) {
				return Null, nil
			}
			return Datum{I: TimeOfTimestamp(d.I)}, nil
		case Interval:
			return Datum{I: floorMod(d.Iv.Micros, MicrosPerDay)}, nil
		}
	case Timestamp, Timestamptz:
		switch ft {
		case Timestamp, Timestamptz:
			return d, nil
		case Date:
			v, err := TimestampFromDate(d.I)
			return Datum{I: v}, err
		}
	}
	return Datum{}, cannotCast(from, to)
}

// coerceWidth applies varchar(n): explicit casts truncate, assignment fails
// with 22001 unless only spaces would be cut.
func coerceWidth(d Datum, to T, explicit bool) (Datum, error) {
	if to.Width <= 0 || len(d.S) <= int(to.Width) {
		return d, nil
	}
	n := 0
	for i := range string(d.S) {
		if n == int(to.Width) {
			if !explicit {
				for _, c := range d.S[i:] {
					if c != ' ' {
						return Datum{}, Errorf(CodeStringRightTruncation, "value too long for type character varying(%d)", to.Width)
					}
				}
			}
			return Datum{S: d.S[:i]}, nil
		}
		n++
	}
	return d, nil
}

// TruncateChars returns the first n characters (UTF-8 code points) of b.
func TruncateChars(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	i := 0
	for c := 0; c < n && i < len(b); c++ {
		_, sz := utf8.DecodeRune(b[i:])
		i += sz
	}
	return b[:i]
}

func floatToInt(f float64, to T) (Datum, error) {
	r := math.RoundToEven(f)
	if math.IsNaN(r) {
		return Datum{}, outOfRange(to)
	}
	var lo, hi float64
	switch to.Family {
	case Int16:
		lo, hi = math.MinInt16, math.MaxInt16+1
	case Int32:
		lo, hi = math.MinInt32, math.MaxInt32+1
	default:
		lo, hi = -9223372036854775808.0, 9223372036854775808.0
	}
	if r < lo || r >= hi {
		return Datum{}, outOfRange(to)
	}
	return Datum{I: int64(r)}, nil
}

func float8ToFloat4(f float64) (Datum, error) {
	r := float32(f)
	if math.IsInf(float64(r), 0) && !math.IsInf(f, 0) {
		return Datum{}, Errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	if r == 0 && f != 0 {
		return Datum{}, Errorf(CodeNumericOutOfRange, "value out of range: underflow")
	}
	return Datum{F: float64(r)}, nil
}

var bigCtx = apd.Context{Precision: 200000, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Rounding: apd.RoundHalfUp}

func decimalToInt(d *apd.Decimal, to T) (Datum, error) {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return Datum{}, Errorf(CodeFeatureNotSupported, "cannot convert NaN to %s", to.Family.rangeName())
	case apd.Infinite:
		return Datum{}, Errorf(CodeFeatureNotSupported, "cannot convert infinity to %s", to.Family.rangeName())
	}
	// Quick bound check before rounding to avoid huge work.
	if int64(d.NumDigits())+int64(d.Exponent) > 20 {
		return Datum{}, outOfRange(to)
	}
	var r apd.Decimal
	if _, err := bigCtx.Quantize(&r, d, 0); err != nil {
		return Datum{}, outOfRange(to)
	}
	v, err := r.Int64()
	if err != nil || !intFits(v, to.Family) {
		return Datum{}, outOfRange(to)
	}
	return Datum{I: v}, nil
}

func decimalToFloat(d *apd.Decimal, to Family) (Datum, error) {
	bits, name := 64, "double precision"
	if to == Float32 {
		bits, name = 32, "real"
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return Datum{F: math.NaN()}, nil
	case apd.Infinite:
		if d.Negative {
			return Datum{F: math.Inf(-1)}, nil
		}
		return Datum{F: math.Inf(1)}, nil
	}
	s := d.Text('E')
	f, err := strconv.ParseFloat(s, bits)
	if err != nil || (f == 0 && !d.IsZero()) {
		return Datum{}, Errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type %s", appendDecimal(nil, d), name)
	}
	return Datum{F: f}, nil
}

// floatToDecimal converts like float8_numeric/float4_numeric: through the
// text form with DBL_DIG (15) or FLT_DIG (6) significant digits.
func floatToDecimal(dst *apd.Decimal, f float64, is4 bool) error {
	switch {
	case math.IsNaN(f):
		dst.Set(&apd.Decimal{Form: apd.NaN})
		return nil
	case math.IsInf(f, 1):
		dst.Set(&apd.Decimal{Form: apd.Infinite})
		return nil
	case math.IsInf(f, -1):
		dst.Set(&apd.Decimal{Form: apd.Infinite, Negative: true})
		return nil
	}
	var s string
	if is4 {
		s = strconv.FormatFloat(f, 'g', 6, 32)
	} else {
		s = strconv.FormatFloat(f, 'g', 15, 64)
	}
	return parseDecimal(dst, s)
}

// applyNumericTypmod rounds d to t.Scale (half away from zero) and checks
// that it fits t.Precision (22003 "numeric field overflow").
func applyNumericTypmod(d *apd.Decimal, t T) error {
	p, s := t.Precision, t.Scale
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return nil
	case apd.Infinite:
		e := Errorf(CodeNumericOutOfRange, "numeric field overflow")
		e.Detail = "A field with precision " + strconv.Itoa(int(p)) + ", scale " + strconv.Itoa(int(s)) + " cannot hold an infinite value."
		return e
	}
	if _, err := bigCtx.Quantize(d, d, -s); err != nil {
		return Errorf(CodeNumericOutOfRange, "numeric field overflow")
	}
	if d.IsZero() {
		d.Negative = false
		return nil
	}
	intDigits := int64(d.NumDigits()) + int64(d.Exponent)
	if intDigits > int64(p-s) {
		e := Errorf(CodeNumericOutOfRange, "numeric field overflow")
		maxd := p - s
		if maxd > 0 {
			e.Detail = "A field with precision " + strconv.Itoa(int(p)) + ", scale " + strconv.Itoa(int(s)) + " must round to an absolute value less than 10^" + strconv.Itoa(int(maxd)) + "."
		} else {
			e.Detail = "A field with precision " + strconv.Itoa(int(p)) + ", scale " + strconv.Itoa(int(s)) + " must round to an absolute value less than 1."
		}
		return e
	}
	return nil
}

func jsonbCastErr(k JSONKind, to T) error {
	name := k.String()
	if k == JSONNumber {
		name = "numeric"
	}
	return Errorf(CodeInvalidParameterValue, "cannot cast jsonb %s to type %s", name, to)
}

func jsonbToNumber(d Datum, to T) (Datum, error) {
	v, err := ParseJSON(d.S)
	if err != nil {
		return Datum{}, err
	}
	if v.Kind != JSONNumber {
		return Datum{}, jsonbCastErr(v.Kind, to)
	}
	var n Datum
	n.D.Set(&v.Num)
	return Cast(n, TNumeric, to)
}
