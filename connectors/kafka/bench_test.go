package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// BenchmarkSourceJSONBid measures Poll + JSON decode of nexmark-bid-like
// records from an in-process kfake broker (3 partitions, one reader), in
// 1024-row chunks. Run with -benchtime=200000x.
func BenchmarkSourceJSONBid(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "bid"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	o := Options{Topic: "bid", Brokers: c.ListenAddrs()}
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.Brokers...), kgo.DefaultProduceTopic("bid"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	batch := make([]*kgo.Record, 0, 4096)
	for i := 0; i < b.N; i++ {
		batch = append(batch, &kgo.Record{Value: fmt.Appendf(nil,
			`{"auction": %d, "bidder": %d, "price": %d, "channel": "channel-%d", "url": "https://www.nexmark.com/%d/item.htm?query=1", "date_time": "2026-11-24 19:%02d:%02d.%03d", "extra": ""}`,
			1000+i%100, 2000+i%1000, 100+i*7%10000, i%5, i%97, i/60%60, i%60, i%1000)})
		if len(batch) == cap(batch) || i == b.N-1 {
			if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	cl.Close()
	src, err := Open(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	names := []string{"auction", "bidder", "price", "channel", "url", "date_time", "extra"}
	ts := []types.T{types.TInt8, types.TInt8, types.TInt8, types.TText, types.TText, types.TTimestamp, types.TText}
	dec := format.NewJSON(names, ts)
	chunk := exec.NewChunk(ts)
	b.ResetTimer()
	r, err := src.NewReader(src.Splits(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for n < b.N {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		recs, err := r.Poll(pctx, exec.DefaultChunkSize)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		chunk.Reset()
		if errs := DecodeRecords(dec, recs, chunk, nil); len(errs) > 0 {
			b.Fatal(errs[0])
		}
		n += chunk.N
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
