package kafka

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// readCommitted reads the whole topic as a read_committed consumer.
func readCommitted(t *testing.T, o Options) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.Brokers...), kgo.ConsumeTopics(o.Topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	for idle := 0; idle < 3; {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			seq := ""
			for _, h := range r.Headers {
				if h.Key == HeaderSeq {
					seq = string(h.Value)
				}
			}
			out = append(out, fmt.Sprintf("%s@%s", r.Value, seq))
		})
		if n == 0 {
			idle++
		}
	}
	sort.Strings(out)
	return out
}

func TestTxnSinkRecoverAfterCrash(t *testing.T) {
	o := cluster(t, "ts")
	ctx := context.Background()
	s, err := OpenTxnSink(ctx, o, "sink-a")
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := s.Recover(ctx); err != nil || seq != 0 {
		t.Fatalf("fresh topic: seq %d, %v", seq, err)
	}
	if err := s.Deliver(ctx, []SinkRecord{{Value: []byte("a")}, {Key: []byte("k"), Value: []byte("b")}}, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(ctx, []SinkRecord{{Value: []byte("c")}}, 7); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Another sink's records on the same topic do not count.
	other, err := OpenTxnSink(ctx, o, "sink-b")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Deliver(ctx, []SinkRecord{{Value: []byte("x")}}, 100); err != nil {
		t.Fatal(err)
	}
	other.Close()
	// A crash in the middle of the next transaction: records produced,
	// never committed.
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.Brokers...), kgo.DefaultProduceTopic(o.Topic), kgo.TransactionalID("sink-a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	rec := &kgo.Record{Value: []byte("lost"), Headers: []kgo.RecordHeader{{Key: HeaderSink, Value: []byte("sink-a")}, {Key: HeaderSeq, Value: []byte("9")}}}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close() // crash

	s, err = OpenTxnSink(ctx, o, "sink-a") // fences and aborts the open transaction
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seq, err := s.Recover(ctx)
	if err != nil || seq != 7 {
		t.Fatalf("after crash: seq %d, %v; want 7", seq, err)
	}
	if err := s.Deliver(ctx, []SinkRecord{{Value: []byte("d")}}, 9); err != nil {
		t.Fatal(err)
	}
	if seq, err := s.Recover(ctx); err != nil || seq != 9 {
		t.Fatalf("seq %d, %v; want 9", seq, err)
	}
	got := readCommitted(t, o)
	want := []string{"a@3", "b@3", "c@7", "d@9", "x@100"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read_committed: %q, want %q", got, want)
	}
}
