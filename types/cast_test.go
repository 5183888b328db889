package types

import (
	"errors"
	"testing"
)

type castCase struct {
	in       string
	from, to T
	out      string
	code     string
	msg      string
}

func TestCastMatchesPostgres(t *testing.T) {
	for _, c := range pgCastCases {
		d, err := ParseText(c.from, c.in)
		if err != nil {
			t.Fatalf("%s %q: %v", c.from, c.in, err)
		}
		if c.code == "" != CanCast(c.from, c.to) && c.code != "22023" && c.code != "22003" && c.code != "0A000" {
			t.Errorf("CanCast(%s, %s) disagrees with PostgreSQL", c.from, c.to)
		}
		r, err := Cast(d, c.from, c.to)
		if c.code != "" {
			var e *Error
			if !errors.As(err, &e) || e.Code != c.code || e.Message != c.msg {
				t.Errorf("%q::%s::%s: want %s %q, got %v (%q)", c.in, c.from, c.to, c.code, c.msg, err, FormatDatum(c.to, r))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q::%s::%s: %v", c.in, c.from, c.to, err)
			continue
		}
		if got := FormatDatum(c.to, r); got != c.out {
			t.Errorf("%q::%s::%s: got %q want %q", c.in, c.from, c.to, got, c.out)
		}
	}
}

func TestCastUnknownAndAssign(t *testing.T) {
	r, err := Cast(NewString("42"), TUnknown, TInt8)
	if err != nil || r.I != 42 {
		t.Errorf("unknown->int8: %v %v", r, err)
	}
	r, err = Cast(NewString("hello"), TUnknown, T{Family: Text, Width: 3})
	if err != nil || string(r.S) != "hel" {
		t.Errorf("unknown->varchar(3): %q %v", r.S, err)
	}
	_, err = CastAssign(NewString("hello"), TText, T{Family: Text, Width: 3})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeStringRightTruncation || e.Message != "value too long for type character varying(3)" {
		t.Errorf("assign varchar(3): %v", err)
	}
	r, err = CastAssign(NewString("ab   "), TText, T{Family: Text, Width: 3})
	if err != nil || string(r.S) != "ab " {
		t.Errorf("assign trailing spaces: %q %v", r.S, err)
	}
	r, err = CastAssign(NewString("héé"), TText, T{Family: Text, Width: 3})
	if err != nil || string(r.S) != "héé" {
		t.Errorf("assign multibyte fits: %q %v", r.S, err)
	}
	if r, err := Cast(Null, TInt4, TText); err != nil || !r.Null {
		t.Errorf("NULL cast: %v %v", r, err)
	}
	// infinite timestamp to time is NULL in PostgreSQL
	if r, err := Cast(Datum{I: TimestampInfinity}, TTimestamp, TTime); err != nil || !r.Null {
		t.Errorf("infinite ts -> time: %v %v", r, err)
	}
}

func TestImplicitCastOK(t *testing.T) {
	yes := [][2]T{{TInt2, TInt4}, {TInt4, TInt8}, {TInt8, TNumeric}, {TNumeric, TFloat4}, {TFloat4, TFloat8}, {TInt2, TFloat8},
		{TDate, TTimestamp}, {TTimestamp, TTimestamptz}, {TDate, TTimestamptz}, {TUnknown, TJsonb}, {TText, T{Family: Text, Width: 3}}, {TTime, TInterval}}
	no := [][2]T{{TInt8, TInt4}, {TFloat8, TNumeric}, {TTimestamptz, TTimestamp}, {TText, TInt4}, {TInt4, TText}, {TBool, TInt4}, {TJsonb, TText}}
	for _, p := range yes {
		if !ImplicitCastOK(p[0], p[1]) {
			t.Errorf("ImplicitCastOK(%s, %s) = false", p[0], p[1])
		}
	}
	for _, p := range no {
		if ImplicitCastOK(p[0], p[1]) {
			t.Errorf("ImplicitCastOK(%s, %s) = true", p[0], p[1])
		}
	}
}

func TestNumericTypmodDetail(t *testing.T) {
	_, err := ParseText(T{Family: Numeric, Precision: 5, Scale: 2}, "1000")
	var e *Error
	if !errors.As(err, &e) || e.Detail != "A field with precision 5, scale 2 must round to an absolute value less than 10^3." {
		t.Errorf("detail: %+v", err)
	}
}
