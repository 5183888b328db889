package session

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeCommitted reads topic from the start as a read_committed consumer
// until it has want records (then a little longer, to catch extras):
// "key|value" per record, <nil> for a nil key or a tombstone, in offset
// order per partition (partitions concatenated in partition order).
func consumeCommitted(t *testing.T, addr, topic string, want int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	byPart := map[int32][]string{}
	n := 0
	deadline := time.Now().Add(30 * time.Second)
	for idle := 0; idle < 3; {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		got := 0
		fs.EachRecord(func(r *kgo.Record) {
			got++
			k, v := "<nil>", "<nil>"
			if r.Key != nil {
				k = string(r.Key)
			}
			if r.Value != nil {
				v = string(r.Value)
			}
			byPart[r.Partition] = append(byPart[r.Partition], k+"|"+v)
		})
		n += got
		if got == 0 && n >= want {
			idle++
		}
		if time.Now().After(deadline) {
			break
		}
	}
	var parts []int32
	for p := range byPart {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var out []string
	for _, p := range parts {
		out = append(out, byPart[p]...)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestKafkaSinkAppendOnlyExactlyOnceAcrossRestart(t *testing.T) {
	addr := kafkaCluster(t, 2, "ao")
	data := t.TempDir()
	ts := startTestServer(t, data)
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE ev (id INT, name VARCHAR) APPEND ONLY`)
	mustExec(t, c, `INSERT INTO ev VALUES (1, 'one'), (2, 'two')`)
	mustExec(t, c, fmt.Sprintf(`CREATE SINK ks FROM ev WITH (connector = 'kafka', topic = 'ao', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, addr))
	for i := 3; i <= 20; i++ {
		mustExec(t, c, `INSERT INTO ev VALUES ($1, $2)`, i, fmt.Sprintf("n%d", i))
	}
	waitSinks(t, ts)
	ts.stop()
	// After a restart the sink goes on after what Kafka holds.
	ts = startTestServer(t, data)
	defer ts.stop()
	c = ts.connect(t)
	for i := 21; i <= 30; i++ {
		mustExec(t, c, `INSERT INTO ev VALUES ($1, $2)`, i, fmt.Sprintf("n%d", i))
	}
	waitSinks(t, ts)
	got := sorted(consumeCommitted(t, addr, "ao", 30))
	var want []string
	for i := 1; i <= 30; i++ {
		name := fmt.Sprintf("n%d", i)
		switch i {
		case 1:
			name = "one"
		case 2:
			name = "two"
		}
		want = append(want, fmt.Sprintf(`<nil>|{"id":%d,"name":"%s"}`, i, name))
	}
	want = sorted(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestKafkaSinkUpsertWithDeletes(t *testing.T) {
	addr := kafkaCluster(t, 1, "up", "dbz")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE t (k INT PRIMARY KEY, v TEXT)`)
	mustExec(t, c, `INSERT INTO t VALUES (1, 'a'), (2, 'b')`)
	// The key defaults to the table's primary key.
	mustExec(t, c, fmt.Sprintf(`CREATE SINK up FROM t WITH (connector = 'kafka', topic = 'up', properties.bootstrap.server = '%s', type = 'upsert')`, addr))
	mustExec(t, c, fmt.Sprintf(`CREATE SINK dbz AS SELECT v, count(*) AS n FROM t GROUP BY v WITH (connector = 'kafka', topic = 'dbz', properties.bootstrap.server = '%s', primary_key = 'v') FORMAT DEBEZIUM ENCODE JSON`, addr))
	waitSinks(t, ts)
	mustExec(t, c, `UPDATE t SET v = 'b' WHERE k = 1`)
	waitSinks(t, ts)
	mustExec(t, c, `DELETE FROM t WHERE k = 2`)
	waitSinks(t, ts)
	mustExec(t, c, `INSERT INTO t VALUES (3, 'c')`)
	waitSinks(t, ts)
	got := consumeCommitted(t, addr, "up", 5)
	want := []string{
		`{"k":1}|{"k":1,"v":"a"}`, `{"k":2}|{"k":2,"v":"b"}`, // backfill
		`{"k":1}|{"k":1,"v":"b"}`, // update: one upsert
		`{"k":2}|<nil>`,           // delete: tombstone
		`{"k":3}|{"k":3,"v":"c"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("upsert records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = consumeCommitted(t, addr, "dbz", 6)
	want = []string{
		`{"v":"a"}|{"before":null,"after":{"v":"a","n":1},"op":"c"}`, `{"v":"b"}|{"before":null,"after":{"v":"b","n":1},"op":"c"}`,
		`{"v":"a"}|{"before":{"v":"a","n":1},"after":null,"op":"d"}`, `{"v":"b"}|{"before":null,"after":{"v":"b","n":2},"op":"c"}`,
		`{"v":"b"}|{"before":null,"after":{"v":"b","n":1},"op":"c"}`,
		`{"v":"c"}|{"before":null,"after":{"v":"c","n":1},"op":"c"}`,
	}
	if strings.Join(sorted(got[:2]), "\n") != strings.Join(want[:2], "\n") || strings.Join(sorted(got[2:4]), "\n") != strings.Join(want[2:4], "\n") ||
		strings.Join(got[4:], "\n") != strings.Join(want[4:], "\n") {
		t.Fatalf("debezium records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An append-only sink over the retracting table is refused.
	wantErrCode(t, c, fmt.Sprintf(`CREATE SINK bad FROM t WITH (connector = 'kafka', topic = 'up', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, addr), "22023", "append-only")
	wantErrCode(t, c, fmt.Sprintf(`CREATE SINK bad FROM t WITH (connector = 'kafka', topic = 'nosuch', properties.bootstrap.server = '%s', type = 'upsert')`, addr), "22023", "nosuch")
}

// TestKafkaSinkProgressInKafkaWins checks the recovery path of a crash
// between the Kafka commit and the deletion of the shipped log entries:
// the entries are still in the log, and Kafka's record of the last
// shipped sequence number keeps them from being sent twice.
func TestKafkaSinkProgressInKafkaWins(t *testing.T) {
	addr := kafkaCluster(t, 1, "pk")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	var fails atomic.Int32
	hook := func(name string) error {
		if name == "ks" && fails.Load() < 2 {
			fails.Add(1)
			return errors.New("injected crash before trim")
		}
		return nil
	}
	testSinkBeforeTrim.Store(&hook)
	defer testSinkBeforeTrim.Store(nil)
	mustExec(t, c, `CREATE TABLE ev (id INT) APPEND ONLY`)
	mustExec(t, c, fmt.Sprintf(`CREATE SINK ks FROM ev WITH (connector = 'kafka', topic = 'pk', properties.bootstrap.server = '%s')`, addr))
	mustExec(t, c, `INSERT INTO ev VALUES (1), (2)`)
	waitSinks(t, ts)
	mustExec(t, c, `INSERT INTO ev VALUES (3)`)
	waitSinks(t, ts)
	if fails.Load() != 2 {
		t.Fatalf("injected %d failures", fails.Load())
	}
	got := consumeCommitted(t, addr, "pk", 3)
	want := []string{`<nil>|{"id":1}`, `<nil>|{"id":2}`, `<nil>|{"id":3}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUpsertSinkFromParallelView moves every row of a join view's input
// to another join key: the view's actors emit each row's delete and its
// new version from different actors, in either order, and the upsert
// sink must still leave every key at its new row.
func TestUpsertSinkFromParallelView(t *testing.T) {
	addr := kafkaCluster(t, 1, "moves")
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE u (k INT PRIMARY KEY, name TEXT)`)
	mustExec(t, c, `CREATE TABLE t (id INT PRIMARY KEY, k INT)`)
	mustExec(t, c, `INSERT INTO u SELECT g, 'n' || g FROM generate_series(0, 49) AS g`)
	mustExec(t, c, `INSERT INTO t SELECT g, g % 50 FROM generate_series(1, 300) AS g`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW tu AS SELECT t.id, u.name FROM t JOIN u ON t.k = u.k`)
	mustExec(t, c, fmt.Sprintf(`CREATE SINK moves FROM tu WITH (connector = 'kafka', topic = 'moves', properties.bootstrap.server = '%s', type = 'upsert', primary_key = 'id')`, addr))
	for i := 0; i < 3; i++ {
		mustExec(t, c, `UPDATE t SET k = (k + 7) % 50`)
	}
	waitSinks(t, ts)
	final := map[string]string{}
	// At least the backfill and one upsert per row: the sink may ship the
	// three updates' changes together, compacted by key.
	for _, rec := range consumeCommitted(t, addr, "moves", 600) {
		k, v, _ := strings.Cut(rec, "|")
		if v == "<nil>" {
			delete(final, k)
		} else {
			final[k] = v
		}
	}
	var got []string
	for k, v := range final {
		got = append(got, k+"|"+v)
	}
	var want []string
	for _, r := range rowsOf(t, c, `SELECT id, name FROM tu`) {
		id, name, _ := strings.Cut(r, "|")
		want = append(want, fmt.Sprintf(`{"id":%s}|{"id":%s,"name":"%s"}`, id, id, name))
	}
	if strings.Join(sorted(got), "\n") != strings.Join(sorted(want), "\n") {
		t.Fatalf("the topic's upserts leave %d keys, the view has %d rows; first differences:\n%s", len(got), len(want), firstDiff(sorted(got), sorted(want)))
	}
}

// firstDiff shows the first lines where two sorted lists differ.
func firstDiff(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("got  %s\nwant %s", g, w)
		}
	}
	return ""
}
