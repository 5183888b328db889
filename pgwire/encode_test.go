package pgwire

import (
	"bufio"
	"io"
	"strconv"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

func benchChunk() (*exec.Chunk, []Column) {
	cols := []Column{
		{Name: "id", Type: types.TInt8},
		{Name: "name", Type: types.TText},
		{Name: "ok", Type: types.TBool},
		{Name: "n", Type: types.TInt4},
	}
	ch := exec.NewChunk([]types.T{types.TInt8, types.TText, types.TBool, types.TInt4})
	for i := 0; i < exec.DefaultChunkSize; i++ {
		name := types.NewString("name " + strconv.Itoa(i))
		if i%10 == 0 {
			name = types.Null
		}
		ch.AppendDatums([]types.Datum{types.NewInt(int64(i)), name, types.NewBool(i%2 == 0), types.NewInt(int64(-i))})
	}
	return ch, cols
}

func discardConn() *serverConn {
	return &serverConn{bw: bufio.NewWriterSize(io.Discard, 32<<10)}
}

// TestWriteRowsNoAllocs guards the hot path: encoding rows of the common
// types allocates nothing once the buffers are warm.
func TestWriteRowsNoAllocs(t *testing.T) {
	ch, cols := benchChunk()
	c := discardConn()
	for _, formats := range [][]int16{nil, {1, 1, 1, 1}} {
		allocs := testing.AllocsPerRun(20, func() {
			if err := c.writeRows(ch, cols, formats); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("formats %v: %v allocations per chunk", formats, allocs)
		}
	}
}

func BenchmarkWriteRows(b *testing.B) {
	ch, cols := benchChunk()
	c := discardConn()
	b.ReportAllocs()
	b.SetBytes(int64(ch.Len()))
	for b.Loop() {
		if err := c.writeRows(ch, cols, nil); err != nil {
			b.Fatal(err)
		}
	}
}
