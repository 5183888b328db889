// Package types defines the SQL types and values shared by every layer of
// streamsql: the type descriptors (with their PostgreSQL OIDs and names), the
// row-level Datum used for constants, parameters and keys, and the PostgreSQL
// text and binary encodings of values.
//
// Vectors in exec/ store values by family in a few physical layouts (see
// Family.Physical); a Datum uses the same layouts so that moving a value
// between a vector and a Datum never converts it.
package types

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Family is the kind of a SQL type, independent of modifiers such as
// varchar length or numeric precision.
type Family uint8

const (
	Unknown Family = iota // the type of an untyped NULL literal or parameter
	Bool
	Int16
	Int32
	Int64
	Float32
	Float64
	Numeric
	Text // text, varchar(n), char(n)
	Bytea
	Date
	Time
	Timestamp
	Timestamptz
	Interval
	Jsonb
)

// Physical is how values of a family are laid out in vectors and datums.
type Physical uint8

const (
	PhysNone     Physical = iota // Unknown: only NULLs
	PhysBool                     // bool
	PhysInt                      // int64: ints, date (days since 1970-01-01), time (µs since midnight), timestamp[tz] (µs since 1970-01-01 UTC)
	PhysFloat                    // float64 (real is rounded to float32 precision on write)
	PhysDecimal                  // apd.Decimal
	PhysBytes                    // []byte: text, bytea, jsonb (canonical text)
	PhysInterval                 // IntervalValue
)

// Physical reports the storage layout of the family.
func (f Family) Physical() Physical {
	switch f {
	case Bool:
		return PhysBool
	case Int16, Int32, Int64, Date, Time, Timestamp, Timestamptz:
		return PhysInt
	case Float32, Float64:
		return PhysFloat
	case Numeric:
		return PhysDecimal
	case Text, Bytea, Jsonb:
		return PhysBytes
	case Interval:
		return PhysInterval
	}
	return PhysNone
}

// T is a SQL type: a family plus its modifiers.
type T struct {
	Family Family
	// Width is the declared length of varchar(n)/char(n) (0 = unbounded).
	Width int32
	// Precision and Scale of numeric(p,s); Precision 0 means unconstrained.
	Precision int32
	Scale     int32
}

// Convenience descriptors for the unmodified types.
var (
	TUnknown     = T{Family: Unknown}
	TBool        = T{Family: Bool}
	TInt2        = T{Family: Int16}
	TInt4        = T{Family: Int32}
	TInt8        = T{Family: Int64}
	TFloat4      = T{Family: Float32}
	TFloat8      = T{Family: Float64}
	TNumeric     = T{Family: Numeric}
	TText        = T{Family: Text}
	TBytea       = T{Family: Bytea}
	TDate        = T{Family: Date}
	TTime        = T{Family: Time}
	TTimestamp   = T{Family: Timestamp}
	TTimestamptz = T{Family: Timestamptz}
	TInterval    = T{Family: Interval}
	TJsonb       = T{Family: Jsonb}
)

// PostgreSQL type OIDs.
const (
	OIDBool        = 16
	OIDBytea       = 17
	OIDInt8        = 20
	OIDInt2        = 21
	OIDInt4        = 23
	OIDText        = 25
	OIDFloat4      = 700
	OIDFloat8      = 701
	OIDUnknown     = 705
	OIDBpchar      = 1042
	OIDVarchar     = 1043
	OIDDate        = 1082
	OIDTime        = 1083
	OIDTimestamp   = 1114
	OIDTimestamptz = 1184
	OIDInterval    = 1186
	OIDNumeric     = 1700
	OIDJsonb       = 3802
)

// OID returns the PostgreSQL type OID used on the wire.
func (t T) OID() uint32 {
	switch t.Family {
	case Bool:
		return OIDBool
	case Int16:
		return OIDInt2
	case Int32:
		return OIDInt4
	case Int64:
		return OIDInt8
	case Float32:
		return OIDFloat4
	case Float64:
		return OIDFloat8
	case Numeric:
		return OIDNumeric
	case Text:
		if t.Width > 0 {
			return OIDVarchar
		}
		return OIDText
	case Bytea:
		return OIDBytea
	case Date:
		return OIDDate
	case Time:
		return OIDTime
	case Timestamp:
		return OIDTimestamp
	case Timestamptz:
		return OIDTimestamptz
	case Interval:
		return OIDInterval
	case Jsonb:
		return OIDJsonb
	}
	return OIDUnknown
}

// FromOID maps a wire type OID to a type; ok is false for OIDs streamsql
// does not know.
func FromOID(oid uint32) (T, bool) {
	switch oid {
	case OIDBool:
		return TBool, true
	case OIDInt2:
		return TInt2, true
	case OIDInt4:
		return TInt4, true
	case OIDInt8:
		return TInt8, true
	case OIDFloat4:
		return TFloat4, true
	case OIDFloat8:
		return TFloat8, true
	case OIDNumeric:
		return TNumeric, true
	case OIDText, OIDVarchar, OIDBpchar:
		return TText, true
	case OIDBytea:
		return TBytea, true
	case OIDDate:
		return TDate, true
	case OIDTime:
		return TTime, true
	case OIDTimestamp:
		return TTimestamp, true
	case OIDTimestamptz:
		return TTimestamptz, true
	case OIDInterval:
		return TInterval, true
	case OIDJsonb:
		return TJsonb, true
	case 0, OIDUnknown:
		return TUnknown, true
	}
	return TUnknown, false
}

// String returns the PostgreSQL name of the type, as format_type prints it.
func (t T) String() string {
	switch t.Family {
	case Bool:
		return "boolean"
	case Int16:
		return "smallint"
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	case Float32:
		return "real"
	case Float64:
		return "double precision"
	case Numeric:
		if t.Precision > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
		return "numeric"
	case Text:
		if t.Width > 0 {
			return fmt.Sprintf("character varying(%d)", t.Width)
		}
		return "text"
	case Bytea:
		return "bytea"
	case Date:
		return "date"
	case Time:
		return "time without time zone"
	case Timestamp:
		return "timestamp without time zone"
	case Timestamptz:
		return "timestamp with time zone"
	case Interval:
		return "interval"
	case Jsonb:
		return "jsonb"
	}
	return "unknown"
}

// IsInteger reports whether t is smallint, integer or bigint.
func (t T) IsInteger() bool {
	return t.Family == Int16 || t.Family == Int32 || t.Family == Int64
}

// IsNumeric reports whether t is any number type.
func (t T) IsNumeric() bool {
	switch t.Family {
	case Int16, Int32, Int64, Float32, Float64, Numeric:
		return true
	}
	return false
}

// IntervalValue is a PostgreSQL interval: months, days and microseconds are
// kept apart because their lengths vary (a month is not 30 days, a day is not
// always 24 hours across DST).
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// Datum is one SQL value, used where values travel alone: constants,
// parameters, keys, default values. Hot paths use exec vectors instead.
// The field that holds the value is chosen by the physical layout of the
// value's type (Family.Physical); the type itself travels beside the Datum.
type Datum struct {
	Null bool
	B    bool          // PhysBool
	I    int64         // PhysInt
	F    float64       // PhysFloat
	D    apd.Decimal   // PhysDecimal
	S    []byte        // PhysBytes
	Iv   IntervalValue // PhysInterval
}

// Null is the NULL datum.
var Null = Datum{Null: true}

// NewBool, NewInt, NewFloat, NewBytes, NewString, NewDecimal and NewInterval
// build non-NULL datums.
func NewBool(b bool) Datum               { return Datum{B: b} }
func NewInt(i int64) Datum               { return Datum{I: i} }
func NewFloat(f float64) Datum           { return Datum{F: f} }
func NewBytes(b []byte) Datum            { return Datum{S: b} }
func NewString(s string) Datum           { return Datum{S: []byte(s)} }
func NewInterval(iv IntervalValue) Datum { return Datum{Iv: iv} }
func NewDecimal(d *apd.Decimal) Datum {
	var x Datum
	x.D.Set(d)
	return x
}
