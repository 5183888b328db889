package format

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var bidNames = []string{"auction", "bidder", "price", "channel", "url", "date_time", "extra"}
var bidTypes = []types.T{types.TInt8, types.TInt8, types.TInt8, types.TText, types.TText, types.TTimestamp, types.TText}

func bidRecords(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"auction": %d, "bidder": %d, "price": %d, "channel": "channel-%d", "url": "https://www.nexmark.com/%d/item.htm?query=1&channel_id=%d", "date_time": "2026-11-24 19:%02d:%02d.%03d", "extra": ""}`,
			1000+i%100, 2000+i%1000, 100+i*7%10000, i%5, i%97, i%1234, i/60%60, i%60, i%1000)
	}
	return out
}

// BenchmarkJSONDecodeBid decodes nexmark-bid-like JSON records into
// 1024-row chunks; the rows/s metric is per goroutine (one core).
func BenchmarkJSONDecodeBid(b *testing.B) {
	recs := bidRecords(4096)
	d := NewJSON(bidNames, bidTypes)
	c := exec.NewChunk(bidTypes)
	var bytes int64
	for _, r := range recs {
		bytes += int64(len(r))
	}
	b.SetBytes(bytes / int64(len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c.N == exec.DefaultChunkSize {
			c.Reset()
		}
		if err := d.Decode(recs[i%len(recs)], nil, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkJSONEncodeBid encodes the same rows back to JSON.
func BenchmarkJSONEncodeBid(b *testing.B) {
	recs := bidRecords(exec.DefaultChunkSize)
	d := NewJSON(bidNames, bidTypes)
	c := exec.NewChunk(bidTypes)
	for _, r := range recs {
		if err := d.Decode(r, nil, c); err != nil {
			b.Fatal(err)
		}
	}
	e := NewJSONEncoder(bidNames, bidTypes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Encode(c, i%c.N, exec.OpInsert); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVDecodeBid decodes the bid row as CSV.
func BenchmarkCSVDecodeBid(b *testing.B) {
	line := []byte(`1001,2002,4321,channel-3,https://www.nexmark.com/3/item.htm?query=1&channel_id=77,2026-11-24 19:01:02.345,`)
	d := NewCSV(bidNames, bidTypes, CSVOptions{})
	c := exec.NewChunk(bidTypes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c.N == exec.DefaultChunkSize {
			c.Reset()
		}
		if err := d.Decode(line, nil, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
