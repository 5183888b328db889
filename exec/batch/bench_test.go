package batch

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// benchChunks builds n rows of (key int8 in [0, keys), val int8) in full
// chunks.
func benchChunks(n, keys int, seed int64) []*exec.Chunk {
	rnd := rand.New(rand.NewSource(seed))
	ts := []types.T{types.TInt8, types.TInt8}
	var cs []*exec.Chunk
	for i := 0; i < n; i += exec.DefaultChunkSize {
		m := min(exec.DefaultChunkSize, n-i)
		c := exec.NewChunk(ts)
		c.SetLen(m)
		for j := 0; j < m; j++ {
			c.Cols[0].Int[j] = int64(rnd.Intn(keys))
			c.Cols[1].Int[j] = int64(rnd.Intn(1000))
		}
		cs = append(cs, c)
	}
	return cs
}

func runOp(b *testing.B, op exec.Operator) int {
	if err := op.Init(context.Background()); err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		c, err := op.Next()
		if err != nil {
			b.Fatal(err)
		}
		if c == nil {
			break
		}
		n += c.Len()
	}
	op.Close()
	return n
}

func BenchmarkHashAgg1M(b *testing.B) {
	ts := []types.T{types.TInt8, types.TInt8}
	cs := benchChunks(1<<20, 10000, 1)
	specs := []AggSpec{
		{Name: "count", FilterCol: -1, Ret: types.TInt8},
		{Name: "sum", Args: []int{1}, ArgTypes: []types.T{types.TInt8}, Ret: types.TNumeric, FilterCol: -1},
		{Name: "max", Args: []int{1}, ArgTypes: []types.T{types.TInt8}, Ret: types.TInt8, FilterCol: -1},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOp(b, NewHashAggregate(NewChunkSource(ts, cs), []int{0}, specs))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(1<<20), "ns/row")
}

func BenchmarkHashJoin1Mx100k(b *testing.B) {
	ts := []types.T{types.TInt8, types.TInt8}
	probe := benchChunks(1<<20, 200000, 2)
	build := benchChunks(100000, 200000, 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOp(b, NewHashJoin(NewChunkSource(ts, probe), NewChunkSource(ts, build), []int{0}, []int{0}, InnerJoin, nil, ec))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(1<<20), "ns/probe-row")
}

func BenchmarkSort1M(b *testing.B) {
	ts := []types.T{types.TInt8, types.TInt8}
	cs := benchChunks(1<<20, 1<<30, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOp(b, NewSort(NewChunkSource(ts, cs), []SortKey{{Col: 0}}))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(1<<20), "ns/row")
}

func BenchmarkHashAggText1M(b *testing.B) {
	ts := []types.T{types.TText, types.TInt8}
	ints := benchChunks(1<<20, 10000, 5)
	var cs []*exec.Chunk
	for _, ic := range ints {
		c := exec.NewChunk(ts)
		c.SetLen(ic.N)
		for j := 0; j < ic.N; j++ {
			c.Cols[0].Bytes[j] = []byte(fmt.Sprintf("key-%06d", ic.Cols[0].Int[j]))
			c.Cols[1].Int[j] = ic.Cols[1].Int[j]
		}
		cs = append(cs, c)
	}
	specs := []AggSpec{{Name: "count", FilterCol: -1, Ret: types.TInt8}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOp(b, NewHashAggregate(NewChunkSource(ts, cs), []int{0}, specs))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(1<<20), "ns/row")
}
