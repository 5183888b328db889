package scalar

import (
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// The expected values below were checked against PostgreSQL 15.
func TestFunctions(t *testing.T) {
	n := func(s string) exec.Expr { return konst(num, s) }
	s := func(v string) exec.Expr { return konst(txt, v) }
	i := func(v int) exec.Expr { return konst(i4, v) }
	f := func(v float64) exec.Expr { return konst(f8, v) }
	ts := func(v string) exec.Expr { return konst(types.TTimestamp, v) }
	dt := func(v string) exec.Expr { return konst(types.TDate, v) }
	iv := func(v string) exec.Expr { return konst(types.TInterval, v) }
	c := func(name string, args ...exec.Expr) exec.Expr { return call(t, name, args...) }
	cases := []struct {
		e    exec.Expr
		want string
	}{
		// math
		{c("round", n("1234.5678"), i(-2)), "1200"},
		{c("round", n("2.5")), "3"},
		{c("round", n("-2.5")), "-3"},
		{c("round", f(2.5)), "2"},
		{c("trunc", n("-1.789"), i(2)), "-1.78"},
		{c("ceil", n("-1.5")), "-1"},
		{c("floor", n("-1.5")), "-2"},
		{c("sign", n("-3.2")), "-1"},
		{c("sqrt", n("2")), "1.414213562373095"},
		{c("sqrt", n("16")), "4.000000000000000"},
		{c("exp", n("1")), "2.7182818284590452"},
		{c("ln", n("10")), "2.3025850929940457"},
		{c("log", n("100")), "2.0000000000000000"},
		{c("log", n("2"), n("8")), "3.0000000000000000"},
		{c("div", n("7"), n("2")), "3"},
		{c("mod", i(-7), i(3)), "-1"},
		{c("abs", i(-5)), "5"},
		{c("^", i(2), i(10)), "1024"},
		// date/time
		{c("+", dt("2024-03-15"), i(1)), "2024-03-16"},
		{c("-", dt("2024-03-15"), dt("2024-01-01")), "74"},
		{c("+", dt("2024-01-31"), iv("1 month")), "2024-02-29 00:00:00"},
		{c("-", ts("2024-03-15 12:00"), ts("2024-03-14 10:30")), "1 day 01:30:00"},
		{c("*", iv("1 day"), n("1.5")), "1 day 12:00:00"},
		{c("*", iv("1 month"), f(0.5)), "15 days"},
		{c("/", iv("3 days"), i(2)), "1 day 12:00:00"},
		{c("age", ts("2024-03-15"), ts("2023-01-20")), "1 year 1 mon 26 days"},
		{c("age", ts("2023-01-20"), ts("2024-03-15")), "-1 years -1 mons -26 days"},
		{c("extract", s("epoch"), ts("2024-03-15 12:30:45.123456")), "1710505845.123456"},
		{c("extract", s("second"), ts("2024-03-15 12:30:45.123456")), "45.123456"},
		{c("extract", s("milliseconds"), ts("2024-03-15 12:30:45.123456")), "45123.456"},
		{c("extract", s("microseconds"), ts("2024-03-15 12:30:45.123456")), "45123456"},
		{c("extract", s("dow"), ts("2024-03-15")), "5"},
		{c("extract", s("doy"), dt("2024-03-15")), "75"},
		{c("extract", s("week"), dt("2024-03-15")), "11"},
		{c("extract", s("epoch"), dt("2024-03-15")), "1710460800"},
		{c("extract", s("century"), dt("2024-03-15")), "21"},
		{c("extract", s("decade"), dt("2024-03-15")), "202"},
		{c("extract", s("epoch"), iv("1 year 2 days 3 hours")), "31741200.000000"},
		{c("extract", s("hour"), iv("27 hours")), "27"},
		{c("date_part", s("second"), ts("2024-03-15 12:30:45.5")), "45.5"},
		{c("date_part", s("epoch"), iv("1 month")), "2592000"},
		{c("extract", s("isodow"), dt("2024-03-17")), "7"},
		{c("extract", s("quarter"), dt("2024-08-01")), "3"},
		{c("date_trunc", s("week"), ts("2024-03-15 12:30")), "2024-03-11 00:00:00"},
		{c("date_trunc", s("quarter"), ts("2024-08-15")), "2024-07-01 00:00:00"},
		{c("date_trunc", s("hour"), iv("1 day 3 hours 25 min")), "1 day 03:00:00"},
		{c("date_trunc", s("century"), ts("2024-03-15")), "2001-01-01 00:00:00"},
		{c("date_trunc", s("decade"), ts("2024-03-15")), "2020-01-01 00:00:00"},
		{c("to_char", ts("2024-03-05 14:07:09.123"), s("YYYY-MM-DD HH24:MI:SS.MS")), "2024-03-05 14:07:09.123"},
		{c("to_char", ts("2024-03-05 14:07:09"), s("Day Mon DD HH12 AM")), "Tuesday   Mar 05 02 PM"},
		{c("make_date", i(2024), i(2), i(29)), "2024-02-29"},
		{c("make_timestamp", i(2024), i(2), i(29), i(10), i(5), f(3.5)), "2024-02-29 10:05:03.5"},
		{c("to_timestamp", f(1700000000.5)), "2023-11-14 22:13:20.5+00"},
		{c("now"), "2024-03-15 12:30:45.123456+00"},
		{c("current_date"), "2024-03-15"},
		// strings
		{c("length", s("héllo")), "5"},
		{c("octet_length", s("héllo")), "6"},
		{c("upper", s("abc")), "ABC"},
		{c("initcap", s("hello wORLD foo_bar")), "Hello World Foo_Bar"},
		{c("substr", s("hello"), i(0), i(3)), "he"},
		{c("substr", s("hello"), i(2)), "ello"},
		{c("substring", s("hello"), i(-1), i(3)), "h"},
		{c("strpos", s("hello"), s("ll")), "3"},
		{c("replace", s("abcabc"), s("b"), s("X")), "aXcaXc"},
		{c("reverse", s("abc")), "cba"},
		{c("left", s("hello"), i(-2)), "hel"},
		{c("right", s("hello"), i(2)), "lo"},
		{c("right", s("hello"), i(-1)), "ello"},
		{c("lpad", s("hi"), i(5), s("xy")), "xyxhi"},
		{c("rpad", s("hello"), i(3)), "hel"},
		{c("ltrim", s("  x  ")), "x  "},
		{c("btrim", s("xxhixx"), s("x")), "hi"},
		{c("concat", s("a"), nullLit(), i(1), konst(bl, true)), "a1t"},
		{c("concat_ws", s("-"), s("a"), nullLit(), i(2)), "a-2"},
		{c("split_part", s("a,b,c"), s(","), i(2)), "b"},
		{c("split_part", s("a,b,c"), s(","), i(-1)), "c"},
		{c("repeat", s("ab"), i(3)), "ababab"},
		{c("md5", s("abc")), "900150983cd24fb0d6963f7d28e17f72"},
		{c("to_hex", i(255)), "ff"},
		{c("to_hex", i(-1)), "ffffffff"},
		{c("ascii", s("A")), "65"},
		{c("chr", i(65)), "A"},
		{c("starts_with", s("hello"), s("he")), "t"},
		{c("format", s("%s and %I and %L and %L"), s("x"), s("Foo"), s("it's"), nullLit()), `x and "Foo" and 'it''s' and NULL`},
		{c("||", c("||", lit("a"), i(1)), konst(bl, true)), "a1true"},
		{c("||", lit("a"), lit("b")), "ab"},
		// pattern matching
		{c("like", s("abc"), s("a%")), "t"},
		{c("like", s("abc"), s("_b_")), "t"},
		{c("like", s("abc"), s(`a\%`)), "f"},
		{c("like", s("a%c"), s(`a\%c`)), "t"},
		{c("ilike", s("ABC"), s("a%")), "t"},
		{c("not like", s("abc"), s("%d")), "t"},
		{c("~", s("abc"), s("^a.c$")), "t"},
		{c("~*", s("ABC"), s("b")), "t"},
		{c("!~", s("abc"), s("z")), "t"},
		{c("like", s("xyz"), s("%y%")), "t"},
		{c("like", s("xyz"), s("x%z")), "t"},
		{c("like", s(""), s("%")), "t"},
		{c("like", s("aXbXc"), s("a%b_c")), "t"},
		{c("like", s("abcbd"), s("a%b%d")), "t"},
		{c("like", s("ab"), s("a_%_")), "f"},
		{c("like", s("héllo"), s("h_llo")), "t"},
	}
	for _, cs := range cases {
		got := sq(t, cs.e)
		if got != cs.want {
			t.Errorf("%s = %q, want %q", cs.e, got, cs.want)
		}
	}
}

func TestFunctionErrors(t *testing.T) {
	c := func(name string, args ...exec.Expr) exec.Expr { return call(t, name, args...) }
	cases := []struct {
		e          exec.Expr
		code, msgs string
	}{
		{c("sqrt", konst(f8, -1.0)), "2201F", "cannot take square root of a negative number"},
		{c("ln", konst(f8, 0.0)), "2201E", "cannot take logarithm of zero"},
		{c("like", konst(txt, "a"), konst(txt, `a\`)), "22025", "LIKE pattern must not end with escape character"},
		{c("substr", konst(txt, "a"), konst(i4, 1), konst(i4, -1)), "22011", "negative substring length not allowed"},
		{c("split_part", konst(txt, "a"), konst(txt, ","), konst(i4, 0)), "22023", "field position must not be zero"},
		{c("make_date", konst(i4, 2023), konst(i4, 2), konst(i4, 29)), "22008", "date field value out of range: 2023-02-29"},
		{c("abs", konst(i4, -2147483648)), "22003", "integer out of range"},
		{c("/", konst(types.TInterval, "1 day"), konst(f8, 0.0)), "22012", "division by zero"},
	}
	for _, cs := range cases {
		expectErr(t, cs.e, one(), cs.code, cs.msgs)
	}
}

func TestStrictNullsAndSel(t *testing.T) {
	ch := mkChunk([]types.T{txt, i4}, []any{"hello", nl, "abc", "zz"}, []any{2, 1, nl, -1})
	e := call(t, "substr", col(0, txt), col(1, i4), konst(i4, 2))
	expectRows(t, e, ch, "el", "NULL", "NULL", "")
	ch.Sel = []int{0, 2}
	expectRows(t, e, ch, "el", "NULL")
	// concat is not strict
	expectRows(t, call(t, "concat", col(0, txt), col(1, i4)), ch, "hello2", "abc")
	// a hidden row that would fail must not
	ch.Sel = []int{0}
	expectRows(t, call(t, "substr", col(0, txt), konst(i4, 1), col(1, i4)), ch, "he")
}

func TestJSON(t *testing.T) {
	j := func(s string) exec.Expr { return konst(types.TJsonb, s) }
	cases := []struct {
		e    exec.Expr
		want string
	}{
		{call(t, "->", j(`{"a": {"b": 1}}`), lit("a")), `{"b": 1}`},
		{call(t, "->>", j(`{"a": "x"}`), lit("a")), `x`},
		{call(t, "->>", j(`{"a": null}`), lit("a")), `NULL`},
		{call(t, "->", j(`[1, 2, 3]`), konst(i4, -1)), `3`},
		{call(t, "->>", j(`[1, "two"]`), konst(i4, 1)), `two`},
		{call(t, "->", j(`{"a": 1}`), lit("zz")), `NULL`},
	}
	for _, cs := range cases {
		if got := sq(t, cs.e); got != cs.want {
			t.Errorf("%s = %q, want %q", cs.e, got, cs.want)
		}
	}
}

func TestDateTimeMore(t *testing.T) {
	s := func(v string) exec.Expr { return konst(txt, v) }
	ts := func(v string) exec.Expr { return konst(types.TTimestamp, v) }
	dt := func(v string) exec.Expr { return konst(types.TDate, v) }
	iv := func(v string) exec.Expr { return konst(types.TInterval, v) }
	tm := func(v string) exec.Expr { return konst(types.TTime, v) }
	c := func(name string, args ...exec.Expr) exec.Expr { return call(t, name, args...) }
	for _, cs := range []struct {
		e    exec.Expr
		want string
	}{
		{c("date_part", s("hour"), dt("2024-01-01")), "0"},
		{c("extract", s("epoch"), iv("-1 day 2 hours")), "-79200.000000"},
		{c("extract", s("second"), iv("1 min 30.5 sec")), "30.500000"},
		{c("extract", s("year"), ts("infinity")), "Infinity"},
		{c("extract", s("month"), ts("infinity")), "NULL"},
		{c("-", ts("2024-01-01"), ts("2023-01-01 12:00")), "364 days 12:00:00"},
		{c("*", iv("1 mon"), konst(num, "1.1")), "1 mon 3 days"},
		{c("/", iv("1 hour"), konst(i4, 3)), "00:20:00"},
		{c("-", tm("10:00"), tm("12:30")), "-02:30:00"},
		{c("+", tm("23:00"), iv("2 hours")), "01:00:00"},
		{c("extract", s("epoch"), tm("01:00:01.5")), "3601.500000"},
		{c("extract", s("julian"), dt("2024-01-01")), "2460311"},
		{c("make_date", konst(i4, -44), konst(i4, 3), konst(i4, 15)), "0044-03-15 BC"},
		{c("extract", s("year"), dt("0044-03-15 BC")), "-44"},
		{c("date_trunc", s("millennium"), ts("2024-01-01")), "2001-01-01 00:00:00"},
	} {
		if got := sq(t, cs.e); got != cs.want {
			t.Errorf("%s = %q, want %q", cs.e, got, cs.want)
		}
	}
	expectErr(t, c("extract", s("hour"), dt("2024-01-01")), one(), "0A000", `unit "hour" not supported for type date`)
	expectErr(t, c("date_trunc", s("foo"), ts("2024-01-01")), one(), "22023", `unit "foo" not recognized for type timestamp without time zone`)
	expectErr(t, c("extract", s("foo"), ts("2024-01-01")), one(), "22023", `unit "foo" not recognized for type timestamp without time zone`)
	expectErr(t, c("date_trunc", s("week"), iv("1 day")), one(), "0A000", `unit "week" not supported for type interval`)
	expectErr(t, c("-", dt("2024-01-01"), dt("infinity")), one(), "22008", "cannot subtract infinite dates")
}
