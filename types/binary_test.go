package types

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestBinaryPgxInterop encodes each successfully parsed PostgreSQL case with
// pgx (from its PostgreSQL text form) and checks that our binary encoding is
// byte-identical and that our decoder reads pgx's bytes back to the same value.
func TestBinaryPgxInterop(t *testing.T) {
	m := pgtype.NewMap()
	for _, c := range pgTextCases {
		if c.code != "" || knownTextGaps[c.in] {
			continue
		}
		d, err := ParseText(c.t, c.in)
		if err != nil {
			t.Fatalf("%s %q: %v", c.t, c.in, err)
		}
		ours := AppendBinary(nil, c.t, d)
		back, err := ParseBinary(c.t, ours)
		if err != nil {
			t.Errorf("%s %q: ParseBinary(own): %v", c.t, c.in, err)
			continue
		}
		if Compare(c.t, d, back) != 0 || FormatDatum(c.t, back) != c.out {
			t.Errorf("%s %q: own binary round trip gave %q", c.t, c.in, FormatDatum(c.t, back))
		}
		val := pgxValue(c.t)
		if err := m.Scan(c.t.OID(), pgtype.TextFormatCode, []byte(c.out), val); err != nil {
			t.Logf("%s %q: pgx text scan: %v", c.t, c.out, err)
			continue
		}
		theirs, err := m.Encode(c.t.OID(), pgtype.BinaryFormatCode, val, nil)
		if err != nil {
			// pgx cannot encode every text form from a string (e.g. BC dates).
			t.Logf("%s %q: pgx encode: %v", c.t, c.out, err)
			continue
		}
		// pgx writes numerics non-canonically (leading zero digit groups,
		// weight -1 for zero) and jsonb through encoding/json, so bytes are
		// compared only for the other types; numeric values are compared
		// below and canonical numeric bytes in TestBinaryNumericEdge.
		if c.t.Family != Numeric && c.t.Family != Jsonb && !bytes.Equal(ours, theirs) {
			t.Errorf("%s %q: binary differs\n ours   %x\n theirs %x", c.t, c.in, ours, theirs)
		}
		d2, err := ParseBinary(c.t, theirs)
		if err != nil {
			t.Errorf("%s %q: ParseBinary(pgx): %v", c.t, c.in, err)
			continue
		}
		if got := FormatDatum(c.t, d2); got != c.out && c.t.Family != Jsonb {
			t.Errorf("%s %q: decoded pgx bytes as %q want %q", c.t, c.in, got, c.out)
		}
	}
}

// TestBinaryPgxGoValues decodes our bytes with pgx into Go values.
func TestBinaryPgxGoValues(t *testing.T) {
	m := pgtype.NewMap()
	ts := time.Date(2020, 1, 2, 13, 4, 5, 500000000, time.UTC)
	d := Datum{I: TimestampFromTime(ts)}
	var got time.Time
	if err := m.Scan(OIDTimestamptz, pgtype.BinaryFormatCode, AppendBinary(nil, TTimestamptz, d), &got); err != nil || !got.Equal(ts) {
		t.Errorf("timestamptz: %v %v", got, err)
	}
	var iv pgtype.Interval
	if err := m.Scan(OIDInterval, pgtype.BinaryFormatCode, AppendBinary(nil, TInterval, Datum{Iv: IntervalValue{Months: 14, Days: -3, Micros: 5}}), &iv); err != nil || iv.Months != 14 || iv.Days != -3 || iv.Microseconds != 5 {
		t.Errorf("interval: %+v %v", iv, err)
	}
	var f float32
	if err := m.Scan(OIDFloat4, pgtype.BinaryFormatCode, AppendBinary(nil, TFloat4, Datum{F: 1.5}), &f); err != nil || f != 1.5 {
		t.Errorf("float4: %v %v", f, err)
	}
	var dt pgtype.Date
	if err := m.Scan(OIDDate, pgtype.BinaryFormatCode, AppendBinary(nil, TDate, Datum{I: DateInfinity}), &dt); err != nil || dt.InfinityModifier != pgtype.Infinity {
		t.Errorf("date infinity: %+v %v", dt, err)
	}
	var n pgtype.Numeric
	dd, _ := ParseText(TNumeric, "-12345.678900")
	if err := m.Scan(OIDNumeric, pgtype.BinaryFormatCode, AppendBinary(nil, TNumeric, dd), &n); err != nil || n.Int.String() != "-12345678900" || n.Exp != -6 {
		t.Errorf("numeric: %+v %v", n, err)
	}
	var js map[string]any
	jd, _ := ParseText(TJsonb, `{"a": [1, 2]}`)
	if err := m.Scan(OIDJsonb, pgtype.BinaryFormatCode, AppendBinary(nil, TJsonb, jd), &js); err != nil || len(js["a"].([]any)) != 2 {
		t.Errorf("jsonb: %v %v", js, err)
	}
}

// TestBinaryNumericEdge checks numeric bytes against PostgreSQL 15's
// numeric_send output and that pgx decodes them to the same value.
func TestBinaryNumericEdge(t *testing.T) {
	m := pgtype.NewMap()
	for _, c := range []struct{ in, hex string }{
		{"0", "0000000000000000"},
		{"0.0000", "0000000000000004"},
		{"1", "00010000000000000001"},
		{"10000", "00010001000000000001"},
		{"100000000", "00010002000000000001"},
		{"0.0001", "0001ffff000000040001"},
		{"0.00001", "0001fffe0000000503e8"},
		{"123.456", "0002000000000003007b11d0"},
		{"-9999.9999", "0002000040000004270f270f"},
		{"1e20", "00010005000000000001"},
		{"1.000000000000000000001", "000700000000001500010000000000000000000003e8"},
		{"99999999999999999999999999.5", "00080006000000010063270f270f270f270f270f270f1388"},
		{"NaN", "00000000c0000000"},
		{"Infinity", "00000000d0000020"},
		{"-Infinity", "00000000f0000020"},
		{"0.1", "0001ffff0000000103e8"},
		{"-0.00012", "0002ffff40000005000107d0"},
		{"-12345.678900", "0003000140000006000109291a85"},
	} {
		d, err := ParseText(TNumeric, c.in)
		if err != nil {
			t.Fatal(err)
		}
		ours := AppendBinary(nil, TNumeric, d)
		if got := hex.EncodeToString(ours); got != c.hex {
			t.Errorf("%s: ours %s want %s", c.in, got, c.hex)
		}
		back, err := ParseBinary(TNumeric, ours)
		if err != nil || FormatDatum(TNumeric, back) != FormatDatum(TNumeric, d) {
			t.Errorf("%s: round trip %q %v", c.in, FormatDatum(TNumeric, back), err)
		}
		var n pgtype.Numeric
		if err := m.Scan(OIDNumeric, pgtype.BinaryFormatCode, ours, &n); err != nil {
			t.Errorf("%s: pgx scan: %v", c.in, err)
			continue
		}
		theirs, err := m.Encode(OIDNumeric, pgtype.BinaryFormatCode, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ParseBinary(TNumeric, theirs)
		if err != nil || Compare(TNumeric, d, d2) != 0 {
			t.Errorf("%s: pgx re-encoded %x decoded as %q (%v)", c.in, theirs, FormatDatum(TNumeric, d2), err)
		}
	}
}

func TestParseBinaryErrors(t *testing.T) {
	cases := []struct {
		t T
		b []byte
	}{
		{TInt4, []byte{1, 2}},
		{TInt8, nil},
		{TBool, []byte{}},
		{TNumeric, []byte{0, 1, 0, 0, 0, 0, 0, 0}},
		{TNumeric, []byte{0, 1, 0, 0, 0x12, 0x34, 0, 0, 0, 1}},
		{TNumeric, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}},
		{TJsonb, []byte{2, '1'}},
		{TJsonb, []byte{1, '{'}},
		{TText, []byte{0xff}},
		{TInterval, make([]byte, 15)},
		{TTime, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		if _, err := ParseBinary(c.t, c.b); err == nil {
			t.Errorf("%s %x: expected error", c.t, c.b)
		}
	}
	if d, err := ParseBinary(TFloat8, AppendBinary(nil, TFloat8, Datum{F: math.Inf(-1)})); err != nil || !math.IsInf(d.F, -1) {
		t.Errorf("float8 -inf: %v %v", d.F, err)
	}
}

// pgxValue returns a pointer to the pgtype value that holds type t.
func pgxValue(t T) any {
	switch t.Family {
	case Bool:
		return new(pgtype.Bool)
	case Int16:
		return new(pgtype.Int2)
	case Int32:
		return new(pgtype.Int4)
	case Int64:
		return new(pgtype.Int8)
	case Float32:
		return new(pgtype.Float4)
	case Float64:
		return new(pgtype.Float8)
	case Numeric:
		return new(pgtype.Numeric)
	case Date:
		return new(pgtype.Date)
	case Time:
		return new(pgtype.Time)
	case Timestamp:
		return new(pgtype.Timestamp)
	case Timestamptz:
		return new(pgtype.Timestamptz)
	case Interval:
		return new(pgtype.Interval)
	case Bytea:
		return new([]byte)
	case Jsonb:
		return new(any)
	}
	return new(string)
}
