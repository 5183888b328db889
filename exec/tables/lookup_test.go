package tables

import (
	"bytes"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// PKKey must address exactly where Writer.Insert stores a row.
func TestPKKeyMatchesRowKey(t *testing.T) {
	d := &Desc{ID: 1234, Types: []types.T{types.TText, types.TInt8, types.TInt4}, PK: []int{2, 0}}
	row := []types.Datum{types.NewString("k"), types.NewInt(7), types.NewInt(-3)}
	want := rowKey(nil, d, pick(row, d.PK))
	got := PKKey(nil, d.ID, pkTypes(d), pick(row, d.PK))
	if !bytes.Equal(got, want) {
		t.Fatalf("PKKey = %x, row key = %x", got, want)
	}
}
