package session

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// TestNetChanges: a parallel push's changes, in whatever order the actors
// sent them, become their net change with the deletes first.
func TestNetChanges(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText}
	chunk := func(ops []exec.Op, rows ...[]types.Datum) *exec.Chunk {
		c := exec.NewChunk(ts)
		for _, r := range rows {
			c.AppendDatums(r)
		}
		c.Ops = ops
		return c
	}
	row := func(id int64, s string) []types.Datum { return []types.Datum{types.NewInt(id), types.NewString(s)} }
	ins, del := exec.OpInsert, exec.OpDelete
	got := netChanges(ts, []*exec.Chunk{
		chunk([]exec.Op{ins, ins}, row(1, "new"), row(2, "x")), // actor A: id 1's new row, a row that comes and goes
		chunk([]exec.Op{del, del, ins}, row(1, "old"), row(2, "x"), row(3, "y")),
		chunk([]exec.Op{ins, ins}, row(3, "y"), row(4, "z")),
		chunk([]exec.Op{exec.OpUpdateDelete}, row(4, "w")),
	})
	var lines []string
	for i := 0; i < got.Len(); i++ {
		r := got.Row(i)
		op := "+"
		if got.Ops[r] == del {
			op = "-"
		}
		d := got.RowDatums(r)
		lines = append(lines, op+types.FormatDatum(ts[0], d[0])+"|"+types.FormatDatum(ts[1], d[1]))
	}
	want := "-1|old,-4|w,+1|new,+3|y,+3|y,+4|z"
	if strings.Join(lines, ",") != want {
		t.Fatalf("net changes %s, want %s", strings.Join(lines, ","), want)
	}
}
