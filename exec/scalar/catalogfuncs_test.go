package scalar

import "testing"

func TestFormatType(t *testing.T) {
	for _, tc := range []struct {
		oid, mod int64
		has      bool
		want     string
	}{
		{23, -1, true, "integer"},
		{1043, 24, true, "character varying(20)"},
		{1700, (10<<16 | 2) + 4, true, "numeric(10,2)"},
		{1700, -1, true, "numeric"},
		{1184, -1, true, "timestamp with time zone"},
		{25, 0, false, "text"},
		{99999, -1, true, "???"},
	} {
		if got := FormatType(tc.oid, tc.mod, tc.has); got != tc.want {
			t.Errorf("format_type(%d, %d) = %q, want %q", tc.oid, tc.mod, got, tc.want)
		}
	}
}

func TestParseArrayText(t *testing.T) {
	elems, nulls, ok := ParseArrayText(`{a,"b,c",NULL, d }`)
	if !ok || len(elems) != 4 || elems[1] != "b,c" || !nulls[2] || elems[3] != "d" {
		t.Errorf("got %q %v %v", elems, nulls, ok)
	}
	if elems, _, ok := ParseArrayText("{}"); !ok || len(elems) != 0 {
		t.Errorf("{} = %q %v", elems, ok)
	}
	if _, _, ok := ParseArrayText("x"); ok {
		t.Error("x parsed as an array")
	}
}
