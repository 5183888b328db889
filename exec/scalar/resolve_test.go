package scalar

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestResolvePG checks result types and ambiguity against PostgreSQL 15.
func TestResolvePG(t *testing.T) {
	unk := types.TUnknown
	cases := []struct {
		name string
		args []types.T
		ret  string // result type, or "!" + SQLSTATE
	}{
		{"+", []types.T{types.TDate, unk}, "!42725"},
		{"+", []types.T{i4, unk}, "integer"},
		{"+", []types.T{unk, unk}, "!42725"},
		{"abs", []types.T{unk}, "double precision"},
		{"length", []types.T{unk}, "integer"},
		{"-", []types.T{types.TTimestamptz, unk}, "interval"},
		{"+", []types.T{num, i4}, "numeric"},
		{"*", []types.T{i2, i4}, "integer"},
		{"round", []types.T{num}, "numeric"},
		{"+", []types.T{types.TTimestamp, unk}, "timestamp without time zone"},
		{"||", []types.T{unk, i4}, "text"},
		{"||", []types.T{i4, i4}, "!42883"},
		{"extract", []types.T{txt, types.TDate}, "numeric"},
		{"date_trunc", []types.T{txt, types.TDate}, "timestamp with time zone"},
		{"+", []types.T{types.TFloat4, i4}, "double precision"},
		{"like", []types.T{unk, unk}, "boolean"},
		{"sqrt", []types.T{i4}, "double precision"},
		{"power", []types.T{i4, i4}, "double precision"},
		{"mod", []types.T{i4, num}, "numeric"},
		{"-", []types.T{types.TDate, i4}, "date"},
		{"<", []types.T{types.TDate, types.TTimestamptz}, "boolean"},
		{"concat", []types.T{i4, txt, bl}, "text"},
		{"concat", nil, "!42883"},
		{"now", nil, "timestamp with time zone"},
	}
	for _, c := range cases {
		o, _, err := Resolve(c.name, c.args)
		got := ""
		if err != nil {
			got = "!" + err.(*types.Error).Code
		} else {
			got = o.Ret.String()
		}
		if got != c.ret {
			t.Errorf("%s%v: got %s, want %s (%v)", c.name, c.args, got, c.ret, err)
		}
	}
}
