package types

import (
	"math"
	"testing"
	"time"
)

func TestCompareOrders(t *testing.T) {
	// Each list is in ascending PostgreSQL order.
	orders := []struct {
		t    T
		vals []string
	}{
		{TBool, []string{"f", "t"}},
		{TInt8, []string{"-9223372036854775808", "-1", "0", "5", "9223372036854775807"}},
		{TFloat8, []string{"-Infinity", "-1e300", "-0.5", "0", "1e-300", "1", "Infinity", "NaN"}},
		{TFloat4, []string{"-Infinity", "-1", "0", "1.5", "Infinity", "NaN"}},
		{TNumeric, []string{"-Infinity", "-1e30", "-1.5", "0", "0.0001", "1", "1.0001", "1e30", "Infinity", "NaN"}},
		{TText, []string{"", "A", "B", "a", "ab", "b", "é"}},
		{TBytea, []string{"\\x", "\\x00", "\\x0000", "\\x01", "\\xff"}},
		{TDate, []string{"-infinity", "4714-11-24 BC", "0001-12-31 BC", "0001-01-01", "1969-12-31", "1970-01-01", "2020-01-02", "infinity"}},
		{TTime, []string{"00:00:00", "00:00:00.000001", "13:04:05", "24:00:00"}},
		{TTimestamp, []string{"-infinity", "1969-12-31 23:59:59.999999", "1970-01-01 00:00:00", "2020-01-02 00:00:00", "infinity"}},
		{TInterval, []string{"-1 year", "-1 day", "-00:00:01", "00:00:00", "1 day -00:00:01", "1 day", "24:00:01", "29 days", "1 mon 1 day", "1 year", "178000000 years"}},
		{TJsonb, []string{"1", "[1, 2]", "null", "{\"a\": 1}"}},
	}
	for _, o := range orders {
		ds := make([]Datum, len(o.vals))
		for i, v := range o.vals {
			d, err := ParseText(o.t, v)
			if err != nil {
				t.Fatalf("%s %q: %v", o.t, v, err)
			}
			ds[i] = d
		}
		for i := range ds {
			for j := range ds {
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := Compare(o.t, ds[i], ds[j]); got != want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d", o.t, o.vals[i], o.vals[j], got, want)
				}
			}
		}
	}
	// equal-but-different representations
	eq := []struct {
		t    T
		a, b string
	}{
		{TNumeric, "1", "1.000"}, {TFloat8, "0", "-0"}, {TFloat8, "NaN", "NaN"}, {TNumeric, "NaN", "NaN"},
		{TInterval, "1 day", "24:00:00"}, {TInterval, "1 mon", "30 days"}, {TInterval, "1 year", "360 days"},
	}
	for _, c := range eq {
		a, _ := ParseText(c.t, c.a)
		b, _ := ParseText(c.t, c.b)
		if Compare(c.t, a, b) != 0 {
			t.Errorf("%s: %q != %q", c.t, c.a, c.b)
		}
	}
	// extreme intervals must not overflow
	big := Datum{Iv: IntervalValue{Months: math.MaxInt32, Days: math.MaxInt32, Micros: math.MaxInt64}}
	small := Datum{Iv: IntervalValue{Months: math.MinInt32, Days: math.MinInt32, Micros: math.MinInt64}}
	if Compare(TInterval, big, small) != 1 || Compare(TInterval, small, big) != -1 {
		t.Error("extreme interval compare")
	}
}

func TestDatumCopy(t *testing.T) {
	d, _ := ParseText(TNumeric, "123456789012345678901234567890.5")
	d.S = []byte("abc")
	c := d.Copy()
	c.S[0] = 'x'
	c.D.Negative = true
	if string(d.S) != "abc" || d.D.Negative {
		t.Error("Copy shares memory")
	}
	if FormatDatum(TText, Null) != "NULL" {
		t.Error("FormatDatum NULL")
	}
}

func TestDatetimeHelpers(t *testing.T) {
	ts := func(s string) int64 {
		d, err := ParseText(TTimestamp, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.I
	}
	iv := func(s string) IntervalValue {
		d, err := ParseText(TInterval, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Iv
	}
	cases := []struct{ ts, iv, want string }{
		{"2020-01-31 10:00:00", "1 mon", "2020-02-29 10:00:00"},
		{"2020-01-31 10:00:00", "1 mon 1 day 01:00:00", "2020-03-01 11:00:00"},
		{"2020-03-31 00:00:00", "-1 mon", "2020-02-29 00:00:00"},
		{"2021-01-31 00:00:00", "1 year 1 mon", "2022-02-28 00:00:00"},
		{"2020-01-01 00:00:00", "-00:00:00.000001", "2019-12-31 23:59:59.999999"},
		{"0001-01-01 00:00:00", "-1 day", "0001-12-31 00:00:00 BC"},
		{"1970-01-01 00:00:00", "-1 mon", "1969-12-01 00:00:00"},
		{"infinity", "1 day", "infinity"},
	}
	for _, c := range cases {
		r, err := AddInterval(ts(c.ts), iv(c.iv))
		if err != nil {
			t.Errorf("%s + %s: %v", c.ts, c.iv, err)
			continue
		}
		if got := FormatDatum(TTimestamp, Datum{I: r}); got != c.want {
			t.Errorf("%s + %s = %s, want %s", c.ts, c.iv, got, c.want)
		}
	}
	if _, err := AddInterval(ts("2020-01-01"), IntervalValue{Micros: math.MaxInt64}); err == nil {
		t.Error("expected overflow")
	}
	if _, err := AddInterval(ts("2020-01-01"), IntervalValue{Months: math.MaxInt32}); err == nil {
		t.Error("expected overflow")
	}
	now := time.Date(2021, 5, 6, 7, 8, 9, 123456000, time.UTC)
	if got := TimeFromTimestamp(TimestampFromTime(now)); !got.Equal(now) {
		t.Errorf("time round trip: %v", got)
	}
	before := time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC)
	if got := TimeFromTimestamp(TimestampFromTime(before)); !got.Equal(before) {
		t.Errorf("pre-epoch round trip: %v", got)
	}
	if DateFromTimestamp(ts("1969-12-31 23:00:00")) != -1 {
		t.Error("DateFromTimestamp floor")
	}
	if IntervalTotalMicros(iv("1 mon 1 day 00:00:01")) != 31*MicrosPerDay+MicrosPerSecond {
		t.Error("IntervalTotalMicros")
	}
	for in, want := range map[string]string{"35 days 30:00:00": "1 mon 6 days 06:00:00", "-1 mon 1 day": "-29 days", "1 mon -1 day": "29 days"} {
		if got := FormatDatum(TInterval, Datum{Iv: JustifyInterval(iv(in))}); got != want {
			t.Errorf("justify_interval(%s) = %s want %s", in, got, want)
		}
	}
	if y, m, d := YMDFromDate(DateFromYMD(2024, 2, 29)); y != 2024 || m != 2 || d != 29 {
		t.Error("YMD round trip")
	}
}

func TestIntervalOutputExtremes(t *testing.T) {
	cases := map[IntervalValue]string{
		{Micros: math.MinInt64}:                 "-2562047788:00:54.775808",
		{Micros: math.MaxInt64}:                 "2562047788:00:54.775807",
		{Months: math.MinInt32}:                 "-178956970 years -8 mons",
		{Days: -1, Micros: 1}:                   "-1 days +00:00:00.000001",
		{Months: 1, Days: -1, Micros: -1000000}: "1 mon -1 days -00:00:01",
	}
	for iv, want := range cases {
		if got := FormatDatum(TInterval, Datum{Iv: iv}); got != want {
			t.Errorf("%+v: got %q want %q", iv, got, want)
		}
	}
}

func TestAppendTextNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 128)
	ds := []struct {
		t T
		d Datum
	}{
		{TInt8, Datum{I: -123456}}, {TFloat8, Datum{F: 1.5}}, {TTimestamptz, Datum{I: 1e15}}, {TInterval, Datum{Iv: IntervalValue{Months: 14, Days: 3, Micros: 5e9}}}, {TDate, Datum{I: 18000}}, {TBool, Datum{B: true}},
	}
	for _, c := range ds {
		n := testing.AllocsPerRun(100, func() { buf = AppendText(buf[:0], c.t, c.d) })
		if n > 0 {
			t.Errorf("%s: %v allocs", c.t, n)
		}
		m := testing.AllocsPerRun(100, func() { buf = AppendBinary(buf[:0], c.t, c.d) })
		if m > 0 {
			t.Errorf("%s binary: %v allocs", c.t, m)
		}
	}
}

func FuzzParseText(f *testing.F) {
	for _, c := range pgTextCases {
		f.Add(uint8(c.t.Family), c.in)
	}
	f.Fuzz(func(t *testing.T, fam uint8, s string) {
		typ := T{Family: Family(fam % 16)}
		d, err := ParseText(typ, s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("non-*Error: %v", err)
			}
			return
		}
		out := AppendText(nil, typ, d)
		d2, err := ParseText(typ, string(out))
		if err != nil {
			t.Fatalf("%s %q -> %q does not reparse: %v", typ, s, out, err)
		}
		if Compare(typ, d, d2) != 0 {
			t.Fatalf("%s %q -> %q reparses differently", typ, s, out)
		}
		b := AppendBinary(nil, typ, d)
		if _, err := ParseBinary(typ, b); err != nil {
			t.Fatalf("%s %q: binary round trip: %v", typ, s, err)
		}
	})
}

func FuzzParseBinary(f *testing.F) {
	for _, c := range pgTextCases {
		if c.code == "" {
			d, err := ParseText(c.t, c.in)
			if err == nil {
				f.Add(uint8(c.t.Family), AppendBinary(nil, c.t, d))
			}
		}
	}
	f.Fuzz(func(t *testing.T, fam uint8, b []byte) {
		typ := T{Family: Family(fam % 16)}
		d, err := ParseBinary(typ, b)
		if err != nil {
			return
		}
		_ = AppendText(nil, typ, d)
		_ = AppendBinary(nil, typ, d)
	})
}
