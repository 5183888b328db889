package types

// Placeholders replaced by the codec implementation (text.go, binary.go).

// AppendText appends the PostgreSQL text output form of d (of type t) to buf.
// The caller handles NULL.
func AppendText(buf []byte, t T, d Datum) []byte { panic("todo: AppendText") }

// ParseText parses the PostgreSQL text input form s as a value of type t.
// Errors are *Error with SQLSTATE 22P02 (bad syntax), 22003 (out of range),
// 22007/22008 (datetime).
func ParseText(t T, s string) (Datum, error) { panic("todo: ParseText") }

// AppendBinary appends the PostgreSQL binary wire form of d to buf.
func AppendBinary(buf []byte, t T, d Datum) []byte { panic("todo: AppendBinary") }

// ParseBinary decodes the PostgreSQL binary wire form b as type t (22P03 on
// malformed input).
func ParseBinary(t T, b []byte) (Datum, error) { panic("todo: ParseBinary") }

// Compare orders two non-NULL datums of type t: -1, 0, +1. Text compares
// bytewise (C collation); floats order NaN above every other value, as in
// PostgreSQL.
func Compare(t T, a, b Datum) int { panic("todo: Compare") }

// Cast converts a non-NULL datum from type `from` to type `to` with
// PostgreSQL's rules (rounding float to int, range checks with 22003,
// text parsing with 22P02, numeric(p,s) and varchar(n) coercion).
func Cast(d Datum, from, to T) (Datum, error) { panic("todo: Cast") }
