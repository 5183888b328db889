package session

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaCluster starts an in-process broker with topics of parts partitions
// and returns its bootstrap address.
func kafkaCluster(t *testing.T, parts int, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(parts), topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

type kmsg struct {
	part       int32
	key, value string // value "<tombstone>" = nil value; key "" = nil key
}

func kafkaProduce(t *testing.T, addr, topic string, msgs ...kmsg) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, m := range msgs {
		r := &kgo.Record{Partition: m.part}
		if m.key != "" {
			r.Key = []byte(m.key)
		}
		if m.value != "<tombstone>" {
			r.Value = []byte(m.value)
		}
		recs = append(recs, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitRows flushes and re-runs q until its sorted rows equal want.
func waitRows(t *testing.T, c *pgx.Conn, q string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	var got []string
	for {
		mustExec(t, c, "FLUSH")
		got = queryRowsText(t, c, q)
		if reflect.DeepEqual(got, want) || (len(got) == 0 && len(want) == 0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\n got %q\nwant %q", q, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// queryRowsText returns the rows of q, values separated by spaces.
func queryRowsText(t *testing.T, c *pgx.Conn, q string) []string {
	t.Helper()
	rows, err := c.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		var f []string
		for _, v := range vals {
			f = append(f, fmt.Sprint(v))
		}
		out = append(out, strings.Join(f, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func kafkaWith(addr, topic string) string {
	return fmt.Sprintf(`WITH (connector = 'kafka', topic = '%s', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest')`, topic, addr)
}

func TestKafkaJSONAndCSV(t *testing.T) {
	addr := kafkaCluster(t, 2, "j", "c")
	kafkaProduce(t, addr, "j",
		kmsg{0, "a", `{"id": 1, "name": "one"}`}, kmsg{1, "b", `{"id": 2, "name": "two"}`},
		kmsg{0, "", `{"id": 3, "name": "three"}`})
	kafkaProduce(t, addr, "c", kmsg{0, "", "1,x"}, kmsg{1, "", "2,y\n3,z"})
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE SOURCE js (id INT, name VARCHAR) INCLUDE key AS k INCLUDE partition AS p INCLUDE offset `+
		kafkaWith(addr, "j")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW jv AS SELECT id, name, k, p, _rw_kafka_offset AS o FROM js`)
	waitRows(t, c, "SELECT id, name, k, p, o FROM jv ORDER BY id",
		"1 one [97] 0 0", "2 two [98] 1 0", "3 three <nil> 0 1")
	kafkaProduce(t, addr, "j", kmsg{1, "", `{"id": 4, "name": "four"}`})
	waitRows(t, c, "SELECT count(*), sum(id)::bigint FROM jv", "4 10")

	mustExec(t, c, `CREATE TABLE ct (id INT, s TEXT) `+kafkaWith(addr, "c")+` FORMAT PLAIN ENCODE CSV`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW cv AS SELECT count(*) AS n, sum(id)::bigint AS s FROM ct`)
	waitRows(t, c, "SELECT n, s FROM cv", "3 6")
	waitRows(t, c, "SELECT id, s FROM ct ORDER BY id", "1 x", "2 y", "3 z")
	waitRows(t, c, "SELECT count(*) FROM dead_letters", "0")

	// Errors.
	for _, x := range []struct{ q, code string }{
		{`CREATE SOURCE bad (id INT) ` + kafkaWith(addr, "nosuch") + ` FORMAT PLAIN ENCODE JSON`, "22023"},
		{`CREATE TABLE bad (id INT) ` + kafkaWith(addr, "j") + ` FORMAT UPSERT ENCODE JSON`, "42P16"},
		{`CREATE SOURCE bad (id INT PRIMARY KEY) ` + kafkaWith(addr, "j") + ` FORMAT UPSERT ENCODE JSON`, "0A000"},
		{`CREATE TABLE bad (id INT) ` + kafkaWith(addr, "j") + ` FORMAT PLAIN ENCODE AVRO`, "0A000"},
		{`CREATE TABLE bad (id INT) INCLUDE header ` + kafkaWith(addr, "j") + ` FORMAT PLAIN ENCODE JSON`, "0A000"},
		{`CREATE TABLE bad (id INT) WITH (connector = 'kafka', topic = 'j') FORMAT PLAIN ENCODE JSON`, "42601"},
	} {
		_, err := c.Exec(context.Background(), x.q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != x.code {
			t.Errorf("%s: got %v, want %s", x.q, err, x.code)
		}
	}
	waitRows(t, c, "SELECT count(*) FROM jv", "4")
}

func TestKafkaUpsert(t *testing.T) {
	addr := kafkaCluster(t, 1, "u")
	kafkaProduce(t, addr, "u",
		kmsg{0, `{"id": 1}`, `{"id": 1, "v": "a"}`},
		kmsg{0, `{"id": 2}`, `{"id": 2, "v": "b"}`},
		kmsg{0, `{"id": 1}`, `{"id": 1, "v": "a2"}`},
		kmsg{0, `{"id": 3}`, `{"v": "c"}`}, // key fills the primary key
		kmsg{0, `{"id": 2}`, `<tombstone>`},
		kmsg{0, `{"id": 9}`, `<tombstone>`}, // deleting a missing key is a no-op
	)
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE u (id INT PRIMARY KEY, v TEXT) `+kafkaWith(addr, "u")+` FORMAT UPSERT ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW uv AS SELECT count(*) AS n FROM u`)
	waitRows(t, c, "SELECT id, v FROM u ORDER BY id", "1 a2", "3 c")
	waitRows(t, c, "SELECT n FROM uv", "2")
	kafkaProduce(t, addr, "u", kmsg{0, `{"id": 1}`, ``}, kmsg{0, `{"id": 4}`, `{"id": 4, "v": "d"}`})
	waitRows(t, c, "SELECT id, v FROM u ORDER BY id", "3 c", "4 d")
	waitRows(t, c, "SELECT n FROM uv", "2")
}

func TestKafkaDeadLetters(t *testing.T) {
	addr := kafkaCluster(t, 1, "d")
	kafkaProduce(t, addr, "d",
		kmsg{0, "", `{"id": 1, "v": "a"}`},
		kmsg{0, "", `{"id": 2, "v": `}, // truncated JSON
		kmsg{0, "", `{"id": 3, "v": "c"}`},
		kmsg{0, "", `{"id": "x", "v": "d"}`}, // not an integer
		kmsg{0, "", `{"v": "e"}`},            // NOT NULL violation
		kmsg{0, "", `{"id": 6, "v": "f"}`},
	)
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE d (id INT NOT NULL, v TEXT) `+kafkaWith(addr, "d")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW dlv AS SELECT source, count(*) AS n FROM dead_letters GROUP BY source`)
	waitRows(t, c, "SELECT id, v FROM d ORDER BY id", "1 a", "3 c", "6 f")
	waitRows(t, c, `SELECT source, split, "offset", payload FROM dead_letters ORDER BY "offset"`,
		`d 0 1 {"id": 2, "v": `, `d 0 3 {"id": "x", "v": "d"}`, `d 0 4 {"v": "e"}`)
	waitRows(t, c, "SELECT source, n FROM dlv", "d 3")
	reasons := queryRowsText(t, c, `SELECT reason FROM dead_letters ORDER BY "offset"`)
	if len(reasons) != 3 || !strings.Contains(reasons[0], "JSON") || !strings.Contains(reasons[1], `"id"`) ||
		!strings.Contains(reasons[2], "not-null") {
		t.Errorf("reasons: %q", reasons)
	}
	// A bad record alone (no good row in its batch) still commits.
	kafkaProduce(t, addr, "d", kmsg{0, "", `nope`})
	waitRows(t, c, "SELECT source, n FROM dlv", "d 4")
	kafkaProduce(t, addr, "d", kmsg{0, "", `{"id": 8}`})
	waitRows(t, c, "SELECT count(*), sum(id)::bigint FROM d", "4 18")
	// Without the dead-letter table, rejected records are only logged.
	mustExec(t, c, "DROP MATERIALIZED VIEW dlv")
	mustExec(t, c, "DROP TABLE dead_letters")
	kafkaProduce(t, addr, "d", kmsg{0, "", `bad`}, kmsg{0, "", `{"id": 10}`})
	waitRows(t, c, "SELECT count(*), sum(id)::bigint FROM d", "5 28")
	mustExec(t, c, "DROP TABLE d")
}

func TestKafkaRestart(t *testing.T) {
	addr := kafkaCluster(t, 3, "r")
	batch := func(from, to int) []kmsg {
		var out []kmsg
		for i := from; i <= to; i++ {
			v := fmt.Sprintf(`{"id": %d}`, i)
			if i%50 == 0 {
				v = "garbage"
			}
			out = append(out, kmsg{int32(i % 3), "", v})
		}
		return out
	}
	sum := func(to int) (n, s int) {
		for i := 1; i <= to; i++ {
			if i%50 != 0 {
				n++
				s += i
			}
		}
		return
	}
	kafkaProduce(t, addr, "r", batch(1, 300)...)
	dir := t.TempDir()
	ts := startTestServer(t, dir)
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE r (id BIGINT) `+kafkaWith(addr, "r")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE SOURCE rs (id BIGINT) `+kafkaWith(addr, "r")+` FORMAT PLAIN ENCODE JSON`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW rv AS SELECT count(*) AS n, sum(id)::bigint AS s, count(DISTINCT id) AS d FROM rs`)
	n, s := sum(300)
	waitRows(t, c, "SELECT count(*), sum(id)::bigint, count(DISTINCT id) FROM r", fmt.Sprintf("%d %d %d", n, s, n))
	waitRows(t, c, "SELECT n, s, d FROM rv", fmt.Sprintf("%d %d %d", n, s, n))
	waitRows(t, c, "SELECT count(*) FROM dead_letters", "12") // 6 per relation
	// Produce while the engine is down, then again after it is back.
	kafkaProduce(t, addr, "r", batch(301, 350)...)
	c.Close(context.Background())
	ts.stop()
	kafkaProduce(t, addr, "r", batch(351, 500)...)
	ts = startTestServer(t, dir)
	defer ts.stop()
	c = ts.connect(t)
	kafkaProduce(t, addr, "r", batch(501, 600)...)
	n, s = sum(600)
	waitRows(t, c, "SELECT count(*), sum(id)::bigint, count(DISTINCT id) FROM r", fmt.Sprintf("%d %d %d", n, s, n))
	waitRows(t, c, "SELECT n, s, d FROM rv", fmt.Sprintf("%d %d %d", n, s, n))
	waitRows(t, c, `SELECT count(*), count(DISTINCT source || '/' || split || '/' || "offset") FROM dead_letters`, "24 24")
	time.Sleep(300 * time.Millisecond)
	waitRows(t, c, "SELECT count(*) FROM r", fmt.Sprint(n))
}

func TestKafkaStartupModes(t *testing.T) {
	addr := kafkaCluster(t, 1, "s")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("s"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.UnixMilli(1_700_000_000_000)
	var recs []*kgo.Record
	for i := 1; i <= 4; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf(`{"id": %d}`, i)), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, fmt.Sprintf(`CREATE TABLE tl (id INT) WITH (connector = 'kafka', topic = 's',
		properties.bootstrap.server = '%s', scan.startup.mode = 'latest') FORMAT PLAIN ENCODE JSON`, addr))
	mustExec(t, c, fmt.Sprintf(`CREATE TABLE tt (id INT) INCLUDE timestamp AS at WITH (connector = 'kafka', topic = 's',
		properties.bootstrap.server = '%s', scan.startup.timestamp.millis = '%d') FORMAT PLAIN ENCODE JSON`,
		addr, base.Add(2500*time.Millisecond).UnixMilli()))
	// Produced right after CREATE TABLE: 'latest' was pinned at creation.
	kafkaProduce(t, addr, "s", kmsg{0, "", `{"id": 5}`})
	waitRows(t, c, "SELECT id FROM tl", "5")
	waitRows(t, c, "SELECT id, extract(epoch FROM at)::bigint FROM tt WHERE id < 5 ORDER BY id",
		fmt.Sprintf("3 %d", base.Unix()+3), fmt.Sprintf("4 %d", base.Unix()+4))
	waitRows(t, c, "SELECT count(*) FROM tt", "3")
}
