package kafka

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// TestMain fails the run if goroutines (clients, brokers) outlive the tests.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			fmt.Fprintf(os.Stderr, "leaked %d goroutines:\n%s\n", n-before, buf[:runtime.Stack(buf, true)])
			code = 1
		}
	}
	os.Exit(code)
}

// cluster starts an in-process broker with the given topics of 3 partitions.
func cluster(t *testing.T, topics ...string) Options {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	o, err := ParseOptions(map[string]string{
		"connector": "kafka", "topic": topics[0],
		"properties.bootstrap.server": strings.Join(c.ListenAddrs(), ","),
		"scan.startup.mode":           "earliest",
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// produce writes values to partition p (keys are "k<i>" unless keys given).
func produce(t *testing.T, o Options, p int32, ts time.Time, vals ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.Brokers...), kgo.DefaultProduceTopic(o.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i, v := range vals {
		r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)), Partition: p, Timestamp: ts}
		if v != "<tombstone>" {
			r.Value = []byte(v)
		}
		recs = append(recs, r)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// readN polls until n records arrived (failing after a few seconds).
func readN(t *testing.T, r *Reader, n, max int) []Record {
	t.Helper()
	var out []Record
	deadline := time.Now().Add(5 * time.Second)
	for len(out) < n {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		recs, err := r.Poll(ctx, max)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %d records, want %d", len(out), n)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

// expectNothing checks that no record arrives within a short wait.
func expectNothing(t *testing.T, r *Reader) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	recs, err := r.Poll(ctx, 0)
	if len(recs) > 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unexpected records %v (%v)", values(recs), err)
	}
}

func values(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Value))
	}
	return out
}

func dump(c *exec.Chunk) string {
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

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]string{"connector": "kafka", "topic": "t", "properties.bootstrap.servers": "a:1, b:2",
		"scan.startup.timestamp.millis": "1700000000000", "properties.group.id": "g", "properties.linger.ms": "5", "type": "append-only"})
	if err != nil || o.Topic != "t" || len(o.Brokers) != 2 || o.StartupMode != StartTimestamp ||
		o.StartupTimestamp.UnixMilli() != 1700000000000 || o.GroupID != "g" || len(o.Ignored) != 1 {
		t.Fatalf("%+v %v", o, err)
	}
	for _, c := range []struct {
		with map[string]string
		code string
		msg  string
	}{
		{map[string]string{"properties.bootstrap.server": "x"}, "42601", `Kafka option "topic" is required`},
		{map[string]string{"topic": "t"}, "42601", `Kafka option "properties.bootstrap.server" is required`},
		{map[string]string{"topic": "t", "properties.bootstrap.server": "x", "scan.startup.mode": "middle"}, "22023",
			`invalid value for scan.startup.mode: "middle" (expected earliest, latest or timestamp)`},
		{map[string]string{"topic": "t", "properties.bootstrap.server": "x", "scan.startup.mode": "timestamp"}, "42601",
			`scan.startup.mode = 'timestamp' requires scan.startup.timestamp.millis`},
		{map[string]string{"topic": "t", "properties.bootstrap.server": "x", "scan.startup.timestamp.millis": "soon"}, "22023",
			`invalid value for scan.startup.timestamp.millis: "soon" (expected milliseconds since the Unix epoch)`},
		{map[string]string{"topic": "t", "properties.bootstrap.server": "x", "tpoic": "t"}, "22023", `unrecognized Kafka option "tpoic"`},
		{map[string]string{"connector": "kinesis", "topic": "t", "properties.bootstrap.server": "x"}, "22023", `connector "kinesis" is not kafka`},
	} {
		_, err := ParseOptions(c.with)
		var te *types.Error
		if !errors.As(err, &te) || te.Code != c.code || te.Message != c.msg {
			t.Errorf("%v: got %v, want %s %s", c.with, err, c.code, c.msg)
		}
	}
}

func TestOpenMissingTopic(t *testing.T) {
	o := cluster(t, "t")
	o.Topic = "nope"
	_, err := Open(context.Background(), o)
	if err == nil || err.Error() != `kafka topic "nope" does not exist` {
		t.Fatal(err)
	}
}

func TestJSONSourceBadRecordAndIncludes(t *testing.T) {
	o := cluster(t, "bids")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	produce(t, o, 1, at,
		`{"auction": 1, "price": 100, "date_time": "2026-01-02 03:00:00"}`,
		`{"auction": 2, "price": "abc"}`,
		`{"auction": 3, "price": 300, "extra": {"x": 1}}`,
		`{"auction": 4,`,
		`{"AUCTION": 5, "price": null}`)
	src, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := fmt.Sprint(src.Splits()); got != "[0 1 2]" {
		t.Fatal(got)
	}
	r, err := src.NewReader([]string{"1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs := readN(t, r, 5, 0)
	names := []string{"auction", "price", "date_time"}
	ts := []types.T{types.TInt8, types.TInt4, types.TTimestamp}
	c := exec.NewChunk(append(ts, types.TBytea, types.TText, types.TInt8, types.TTimestamptz))
	incs := []Include{{IncludeKey, 3}, {IncludePartition, 4}, {IncludeOffset, 5}, {IncludeTimestamp, 6}}
	errs := DecodeRecords(format.NewJSON(names, ts), recs, c, incs)
	want := "1 | 100 | 2026-01-02 03:00:00 | \\x6b30 | 1 | 0 | 2026-01-02 03:04:05+00\n" +
		"3 | 300 | NULL | \\x6b32 | 1 | 2 | 2026-01-02 03:04:05+00\n" +
		"5 | NULL | NULL | \\x6b34 | 1 | 4 | 2026-01-02 03:04:05+00\n"
	if got := dump(c); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if len(errs) != 2 || errs[0].Offset != 1 || errs[1].Offset != 3 ||
		errs[0].Error() != `kafka record at partition 1 offset 1: column "price": invalid input syntax for type integer: "abc"` ||
		errs[1].Error() != `kafka record at partition 1 offset 3: invalid JSON at offset 14: expected string key` {
		t.Fatalf("errors: %v", errs)
	}
	var te *types.Error
	if !errors.As(errs[0], &te) || te.Code != "22P02" {
		t.Fatal(errs[0])
	}
	if off := r.Offsets(); off["1"] != 5 {
		t.Fatal(off)
	}
	if _, err := src.NewReader([]string{"3"}, nil); err == nil || err.Error() != `kafka topic "bids" has no partition 3` {
		t.Fatal(err)
	}
}

func TestCSVSource(t *testing.T) {
	o := cluster(t, "csv")
	produce(t, o, 0, time.Time{}, "1,alice,2026-01-01 00:00:00", `2,"b, ""c""",`, "x,bad,", "4,,2026-01-01 00:00:01")
	src, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.NewReader(src.Splits(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs := readN(t, r, 4, 0)
	ts := []types.T{types.TInt8, types.TText, types.TTimestamp}
	c := exec.NewChunk(ts)
	errs := DecodeRecords(format.NewCSV([]string{"id", "name", "at"}, ts, format.CSVOptions{}), recs, c, nil)
	if got := dump(c); got != "1 | alice | 2026-01-01 00:00:00\n2 | b, \"c\" | NULL\n4 | NULL | 2026-01-01 00:00:01\n" {
		t.Fatal(got)
	}
	if len(errs) != 1 || errs[0].Offset != 2 {
		t.Fatal(errs)
	}
}

func TestResumeNoGapNoDuplicate(t *testing.T) {
	o := cluster(t, "r")
	var vals []string
	for i := 0; i < 20; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	produce(t, o, 0, time.Time{}, vals[:10]...)
	produce(t, o, 2, time.Time{}, vals[10:]...)
	src, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.NewReader(src.Splits(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if off := r.Offsets(); off["0"] != 0 || off["1"] != 0 || off["2"] != 0 {
		t.Fatal(off)
	}
	first := readN(t, r, 7, 7)
	ckpt := r.Offsets() // what a checkpoint stores
	// Records read after the checkpoint are lost with the "crash".
	_, _ = r.Poll(context.Background(), 3)
	r.Close()

	r2, err := src.NewReader(src.Splits(), ckpt)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	rest := readN(t, r2, 20-len(first), 0)
	var got []string
	for _, rec := range append(first, rest...) {
		got = append(got, string(rec.Value))
	}
	sort.Slice(got, func(i, j int) bool { return len(got[i]) < len(got[j]) || len(got[i]) == len(got[j]) && got[i] < got[j] })
	if fmt.Sprint(got) != fmt.Sprint(vals) {
		t.Fatalf("got %v", got)
	}
	expectNothing(t, r2)
	if off := r2.Offsets(); off["0"] != 10 || off["1"] != 0 || off["2"] != 10 {
		t.Fatal(off)
	}
}

func TestParallelReaders(t *testing.T) {
	o := cluster(t, "p")
	for p := int32(0); p < 3; p++ {
		var vals []string
		for i := 0; i < 50; i++ {
			vals = append(vals, fmt.Sprintf("%d-%d", p, i))
		}
		produce(t, o, p, time.Time{}, vals...)
	}
	src, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var wg sync.WaitGroup
	results := make([][]Record, 3)
	for i, sp := range src.Splits() {
		r, err := src.NewReader([]string{sp}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			results[i] = readN(t, r, 50, 16)
		}()
	}
	wg.Wait()
	for i, recs := range results {
		for j, rec := range recs {
			if rec.Split != fmt.Sprint(i) || rec.Offset != int64(j) || string(rec.Value) != fmt.Sprintf("%d-%d", i, j) {
				t.Fatalf("split %d record %d: %+v", i, j, rec)
			}
		}
	}
}

func TestStartupModes(t *testing.T) {
	o := cluster(t, "s")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	produce(t, o, 0, t0, "a", "b")
	produce(t, o, 0, t0.Add(time.Hour), "c")
	ctx := context.Background()

	open := func(mode StartupMode, at time.Time) *Reader {
		o2 := o
		o2.StartupMode, o2.StartupTimestamp = mode, at
		src, err := Open(ctx, o2)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		r, err := src.NewReader([]string{"0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		return r
	}
	early := open(StartEarliest, time.Time{})
	late := open(StartLatest, time.Time{})
	byTime := open(StartTimestamp, t0.Add(30*time.Minute))
	future := open(StartTimestamp, t0.Add(100*time.Hour))
	if off := late.Offsets(); off["0"] != 3 {
		t.Fatal(off)
	}
	produce(t, o, 0, t0.Add(200*time.Hour), "d")
	for _, c := range []struct {
		r    *Reader
		want string
	}{{early, "[a b c d]"}, {late, "[d]"}, {byTime, "[c d]"}, {future, "[d]"}} {
		n := strings.Count(c.want, " ") + 1
		if got := fmt.Sprint(values(readN(t, c.r, n, 0))); got != c.want {
			t.Errorf("got %s want %s", got, c.want)
		}
	}
}

func TestUpsertSource(t *testing.T) {
	o := cluster(t, "u")
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.Brokers...), kgo.DefaultProduceTopic(o.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	kv := [][2]string{{`{"id": 1}`, `{"id": 1, "v": "a"}`}, {`{"id": 2}`, `{"v": "b"}`}, {`{"id": 1}`, ""}, {`{"id": 2}`, `{"v": "b2"}`}, {``, ``}}
	for _, p := range kv {
		r := &kgo.Record{Key: []byte(p[0])}
		if p[1] != "" {
			r.Value = []byte(p[1])
		}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	src, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.NewReader(src.Splits(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs := readN(t, r, len(kv), 0)
	ts := []types.T{types.TInt8, types.TText}
	c := exec.NewChunk(ts)
	errs := DecodeRecords(format.NewUpsertJSON([]string{"id", "v"}, ts, []int{0}), recs, c, nil)
	if got := dump(c); got != "1 | a\n2 | b\n- 1 | NULL\n2 | b2\n" {
		t.Fatal(got)
	}
	if len(errs) != 1 || errs[0].Err.Error() != "upsert tombstone without a key" {
		t.Fatal(errs)
	}
}
