package format

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

func rows(c *exec.Chunk) string {
	var sb strings.Builder
	for r := 0; r < c.N; r++ {
		if c.Ops != nil && c.Ops[r] == exec.OpDelete {
			sb.WriteString("- ")
		}
		for i, v := range c.Cols {
			if i > 0 {
				sb.WriteString(" | ")
			}
			sb.WriteString(types.FormatDatum(v.Typ, v.Get(r)))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func code(err error) string {
	if te, ok := err.(*types.Error); ok {
		return te.Code
	}
	return "?"
}

var (
	allNames = []string{"i", "s", "f", "n", "b", "ts", "tz", "d", "j", "price", "iv", "by"}
	allTypes = []types.T{types.TInt4, types.TText, types.TFloat8, {Family: types.Numeric, Precision: 6, Scale: 2},
		types.TBool, types.TTimestamp, types.TTimestamptz, types.TDate, types.TJsonb, types.TInt8, types.TInterval, types.TBytea}
)

func TestJSONDecode(t *testing.T) {
	d := NewJSON(allNames, allTypes)
	c := exec.NewChunk(allTypes)
	good := []string{
		`{"i": 1, "s": "a\"b\u00e9\ud83d\ude00", "f": 1.5e3, "n": 12.345, "b": true, "ts": "2024-01-02 03:04:05.123456", "tz": "2024-01-02T03:04:05Z", "d": "2024-02-29", "j": {"b": [1, 2.50], "a": null}, "PRICE": "77", "iv": "1 day 02:00", "by": "\\x0aff"}`,
		`{"extra": {"deep": [1, {"x": "y"}]}, "i": null, "s": 12.50, "j": "str", "tz": "2024-01-02 03:04:05+02:30", "ts": 1700000000123}`,
		`  {}  `,
		`{"i": -2147483648, "s": true, "j": 1.0e2, "ts": "2024-12-31 23:59:59", "tz": "2024-01-02 03:04:05.5", "i": 7}`,
	}
	for _, g := range good {
		if err := d.Decode([]byte(g), nil, c); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
	}
	want := "1 | a\"bé😀 | 1500 | 12.35 | t | 2024-01-02 03:04:05.123456 | 2024-01-02 03:04:05+00 | 2024-02-29 | {\"a\": null, \"b\": [1, 2.50]} | 77 | 1 day 02:00:00 | \\x0aff\n" +
		"NULL | 12.50 | NULL | NULL | NULL | 2023-11-14 22:13:20.123 | 2024-01-02 00:34:05+00 | NULL | \"str\" | NULL | NULL | NULL\n" +
		"NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL\n" +
		"7 | true | NULL | NULL | NULL | 2024-12-31 23:59:59 | 2024-01-02 03:04:05.5+00 | NULL | 100 | NULL | NULL | NULL\n"
	if got := rows(c); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	bad := []struct{ in, code, msg string }{
		{`{"i": 1, "s" 2}`, "22P02", `invalid JSON at offset 13: expected ':' after object key`},
		{`{"i": "abc"}`, "22P02", `column "i": invalid input syntax for type integer: "abc"`},
		{`{"i": 1.5}`, "22P02", `column "i": invalid input syntax for type integer: "1.5"`},
		{`{"i": 99999999999}`, "22003", `column "i": value "99999999999" is out of range for type integer`},
		{`{"n": 123456.7}`, "22003", `column "n": numeric field overflow`},
		{`{"ts": "soon"}`, "22007", `column "ts": invalid input syntax for type timestamp: "soon"`},
		{`{"i": {"a": 1}}`, "22P02", `column "i": cannot convert a JSON object to type integer`},
		{`{"b": 3}`, "22P02", `column "b": invalid input syntax for type boolean: "3"`},
		{`[1, 2]`, "22P02", `invalid JSON at offset 0: record is not a JSON object`},
		{`{"i": 1} x`, "22P02", `invalid JSON at offset 9: unexpected data after the JSON value`},
		{`{"s": "abc`, "22P02", `invalid JSON at offset 10: unterminated string`},
		{`{"zz": [1, }`, "22P02", `invalid JSON at offset 11: unexpected character '}'`},
		{`{"s": "\u0000"}`, "22P02", `invalid JSON at offset 7: \u0000 cannot be converted to text`},
		{``, "22P02", `empty record`},
	}
	for _, b := range bad {
		err := d.Decode([]byte(b.in), nil, c)
		if err == nil || code(err) != b.code || err.Error() != b.msg {
			t.Errorf("%s: got %v (%s), want %s (%s)", b.in, err, code(err), b.msg, b.code)
		}
		if c.N != 4 {
			t.Fatalf("partial row left after %s", b.in)
		}
		for _, v := range c.Cols {
			if v.Len() != 4 {
				t.Fatalf("column length %d after %s", v.Len(), b.in)
			}
		}
	}
	// The chunk is still usable after rejections.
	if err := d.Decode([]byte(`{"i": 5}`), nil, c); err != nil || c.N != 5 || c.Cols[0].Get(4).I != 5 || !c.Cols[1].Nulls.IsNull(4) {
		t.Fatalf("after errors: %v\n%s", err, rows(c))
	}
}

func TestFastTimestampMatchesParseText(t *testing.T) {
	for _, s := range []string{"2024-01-02 03:04:05", "1999-12-31T23:59:59.999999", "0001-01-01 00:00:00", "2024-06-15 12:00:00.5+05:30",
		"2024-06-15 12:00:00-08", "2024-06-15 12:00:00Z", "2024-06-15 12:00:00.1234567", "2024-06-30 12:00:00", "2024-02-29 00:00:00", "2023-02-29 00:00:00", "1900-02-29 00:00:00", "2000-02-29 00:00:00", "2024-12-31 23:59:59", "2024-04-31 00:00:00"} {
		for _, tz := range []bool{false, true} {
			typ := types.TTimestamp
			if tz {
				typ = types.TTimestamptz
			}
			us, ok := fastTimestamp([]byte(s), tz)
			want, err := types.ParseText(typ, s)
			if ok && (err != nil || want.I != us) {
				t.Errorf("%s tz=%v: fast %d, ParseText %d %v", s, tz, us, want.I, err)
			}
		}
	}
}

func TestNoNullsKeepsFastPath(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText, types.TTimestamp}
	c := exec.NewChunk(append(ts, types.TInt8))
	d := NewJSON([]string{"a", "b", "c"}, ts)
	for i := 0; i < 3; i++ {
		if err := d.Decode([]byte(`{"a": 1, "b": "x", "c": "2024-01-01 00:00:00"}`), nil, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Decode([]byte(`{"a": 1, "b": 2, "c": "bad"}`), nil, c); err == nil {
		t.Fatal("want error")
	}
	for i, v := range c.Cols {
		if v.Nulls.MaybeNulls || v.Len() != 3 {
			t.Fatalf("column %d: MaybeNulls %v len %d", i, v.Nulls.MaybeNulls, v.Len())
		}
	}
}

func TestCSVDecode(t *testing.T) {
	names := []string{"id", "name", "at"}
	ts := []types.T{types.TInt8, types.TText, types.TTimestamp}
	d := NewCSV(names, ts, CSVOptions{})
	c := exec.NewChunk(ts)
	for _, in := range []string{"1,bob,2024-01-01 00:00:00\n", `2,"a, ""q""",`, "3,\"\"\r\n4,x,2024-01-01 10:00:00,extra\n5"} {
		if err := d.Decode([]byte(in), nil, c); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
	}
	want := "1 | bob | 2024-01-01 00:00:00\n2 | a, \"q\" | NULL\n3 |  | NULL\n4 | x | 2024-01-01 10:00:00\n5 | NULL | NULL\n"
	if got := rows(c); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	err := d.Decode([]byte("6,a\nx,b"), nil, c)
	if err == nil || err.Error() != `CSV line 2: column "id": invalid input syntax for type bigint: "x"` || c.N != 5 {
		t.Fatalf("bad line: %v, N=%d", err, c.N)
	}
	if err := d.Decode([]byte(`7,"abc`), nil, c); err == nil || c.N != 5 {
		t.Fatalf("unterminated: %v", err)
	}

	h := NewCSV(names, ts, CSVOptions{Delimiter: ';', WithHeader: true})
	c.Reset()
	for _, in := range []string{"AT;junk;id", "2024-05-05 05:05:05;zz;9"} {
		if err := h.Decode([]byte(in), nil, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := rows(c); got != "9 | NULL | 2024-05-05 05:05:05\n" {
		t.Fatalf("header mapping: %s", got)
	}
}

func TestUpsert(t *testing.T) {
	names := []string{"id", "region", "v"}
	ts := []types.T{types.TInt8, types.TText, types.TInt4}
	u := NewUpsertJSON(names, ts, []int{0, 1})
	c := exec.NewChunk(ts)
	steps := []struct {
		key, val string
		del      bool
		err      string
	}{
		{`{"id": 1, "region": "eu"}`, `{"v": 10}`, false, ""},
		{``, `{"id": 2, "region": "us", "v": 20}`, false, ""},
		{`{"id": 1, "region": "eu"}`, ``, true, ""},
		{`{"id": 2, "region": "us"}`, `null`, true, ""},
		{`{"id": 3}`, ``, true, `missing primary key column "region"`},
		{``, ``, true, `upsert tombstone without a key`},
		{`{"id": 4, "region": "x"}`, `{"v": "z"}`, false, `column "v": invalid input syntax for type integer: "z"`},
	}
	for _, s := range steps {
		del, err := u.DecodeUpsert([]byte(s.key), []byte(s.val), c)
		if s.err != "" {
			if err == nil || err.Error() != s.err {
				t.Fatalf("%v: got %v want %s", s, err, s.err)
			}
			continue
		}
		if err != nil || del != s.del {
			t.Fatalf("%v: %v %v", s, del, err)
		}
	}
	want := "1 | eu | 10\n2 | us | 20\n- 1 | eu | NULL\n- 2 | us | NULL\n"
	if got := rows(c); got != want || len(c.Ops) != c.N {
		t.Fatalf("got\n%s", got)
	}
	// Single-column key as a bare scalar.
	u1 := NewUpsertJSON(names, ts, []int{0})
	c.Reset()
	if del, err := u1.DecodeUpsert([]byte(`42`), nil, c); err != nil || !del || c.Cols[0].Get(0).I != 42 {
		t.Fatal(del, err)
	}
}

func TestJSONEncode(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText, types.TFloat8, types.TNumeric, types.TTimestamp, types.TJsonb, types.TBool, types.TDate}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	c := exec.NewChunk(ts)
	row := []types.Datum{types.NewInt(1), types.NewString("x\"y"), types.NewFloat(2.5), {}, {}, types.NewString(`{"k": [1]}`), types.NewBool(true), types.Null}
	row[3], _ = types.ParseText(types.TNumeric, "12.30")
	row[4], _ = types.ParseText(types.TTimestamp, "2024-01-02 03:04:05.5")
	c.AppendDatums(row)
	nan, _ := types.ParseText(types.TFloat8, "NaN")
	c.AppendDatums([]types.Datum{types.Null, types.Null, nan, types.Null, types.Null, types.Null, types.Null, types.Null})
	e := NewJSONEncoder(names, ts)
	b, err := e.Encode(c, 0, exec.OpInsert)
	want := `{"a":1,"b":"x\"y","c":2.5,"d":12.30,"e":"2024-01-02 03:04:05.5","f":{"k": [1]},"g":true,"h":null}`
	if err != nil || string(b) != want {
		t.Fatalf("got %s %v", b, err)
	}
	if _, err := e.Encode(c, 0, exec.OpDelete); err == nil || code(err) != "0A000" {
		t.Fatal(err)
	}
	e = NewJSONEncoder(names, ts, WithOpField("__op"))
	b, _ = e.Encode(c, 1, exec.OpUpdateDelete)
	if string(b) != `{"a":null,"b":null,"c":"NaN","d":null,"e":null,"f":null,"g":null,"h":null,"__op":"delete"}` {
		t.Fatal(string(b))
	}
	// Round trip through the decoder.
	d := NewJSON(names, ts)
	c2 := exec.NewChunk(ts)
	b, _ = e.Encode(c, 0, exec.OpInsert)
	if err := d.Decode(b, nil, c2); err != nil || rows(c2) != rows(&exec.Chunk{Cols: c.Cols, N: 1}) {
		t.Fatalf("%v\n%s", err, rows(c2))
	}
}
