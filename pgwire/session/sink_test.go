package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// waitSinks waits until every sink of ts has delivered its log.
func waitSinks(t *testing.T, ts *testServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.eng.WaitSinks(ctx); err != nil {
		t.Fatal(err)
	}
}

func wantErrCode(t *testing.T, c *pgx.Conn, q, code, msgPart string) {
	t.Helper()
	_, err := c.Exec(context.Background(), q)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: got %v, want SQLSTATE %s", q, err, code)
	}
	if msgPart != "" && !strings.Contains(pe.Message, msgPart) {
		t.Fatalf("%s: message %q does not mention %q", q, pe.Message, msgPart)
	}
}

// fileSinkRows reads every data file under dir: "partition-dir: line".
func fileSinkRows(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(p))
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if l != "" {
				out = append(out, rel+": "+l)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestFileSinkPartitionedExactlyOnceAcrossRestart(t *testing.T) {
	data, out, out2 := t.TempDir(), t.TempDir(), t.TempDir()
	ts := startTestServer(t, data)
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE ev (id INT, g VARCHAR, v INT) APPEND ONLY`)
	mustExec(t, c, `INSERT INTO ev VALUES (1, 'a', 10), (2, 'b', 20)`)
	// Backfill: the rows already there are written first.
	mustExec(t, c, `CREATE SINK fs FROM ev WITH (connector = 'file', path = '`+out+`', format = 'csv', partition_by = 'g')`)
	mustExec(t, c, `CREATE SINK fs2 AS SELECT id, v * 2 AS w, CASE WHEN v > 15 THEN 'big' ELSE 'small' END AS size FROM ev
		WITH (connector = 'filesystem', path = '`+out2+`', format = 'json', partition_by = 'size')`)
	mustExec(t, c, `INSERT INTO ev VALUES (3, 'a', 30), (4, NULL, 40)`)
	waitSinks(t, ts)
	want := []string{"g=__NULL__: 4,,40", "g=a: 1,a,10", "g=a: 3,a,30", "g=b: 2,b,20"}
	if got := fileSinkRows(t, out); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("file sink:\n got %q\nwant %q", got, want)
	}
	want2 := []string{`size=big: {"id":2,"w":40,"size":"big"}`, `size=big: {"id":3,"w":60,"size":"big"}`,
		`size=big: {"id":4,"w":80,"size":"big"}`, `size=small: {"id":1,"w":20,"size":"small"}`}
	if got := fileSinkRows(t, out2); strings.Join(got, "|") != strings.Join(want2, "|") {
		t.Fatalf("file sink AS SELECT:\n got %q\nwant %q", got, want2)
	}
	// A batch interrupted by a crash (files beyond the progress) is
	// removed at restart and written again.
	existing, _ := filepath.Glob(filepath.Join(out, "g=a", "part-*.csv"))
	if len(existing) == 0 {
		t.Fatal("no data file under g=a")
	}
	f := strings.Split(strings.TrimSuffix(filepath.Base(existing[0]), ".csv"), "-")
	orphan := filepath.Join(out, "g=a", "part-00000000000000000099-00000000000000000100-"+f[len(f)-1]+".csv")
	if err := os.WriteFile(orphan, []byte("99,a,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another sink's file in the same directory is left alone.
	foreign := filepath.Join(out, "g=a", "part-00000000000000000099-00000000000000000100-77.csv")
	if err := os.WriteFile(foreign, []byte("77,a,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.stop()

	ts = startTestServer(t, data)
	defer ts.stop()
	c = ts.connect(t)
	mustExec(t, c, `INSERT INTO ev VALUES (5, 'b', 50)`)
	waitSinks(t, ts)
	want = []string{"g=__NULL__: 4,,40", "g=a: 1,a,10", "g=a: 3,a,30", "g=a: 77,a,0", "g=b: 2,b,20", "g=b: 5,b,50"}
	if got := fileSinkRows(t, out); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after restart:\n got %q\nwant %q", got, want)
	}
	if got := queryRowsText(t, c, `SHOW SINKS`); len(got) != 2 || !strings.HasPrefix(got[0], "fs file append-only ") || !strings.HasSuffix(got[0], " 0 <nil>") {
		t.Fatalf("SHOW SINKS: %q", got)
	}
	mustExec(t, c, `DROP SINK fs`)
	mustExec(t, c, `DROP SINK IF EXISTS fs`)
	if got := queryRowsText(t, c, `SHOW SINKS`); len(got) != 1 {
		t.Fatalf("SHOW SINKS after drop: %q", got)
	}
}

func TestBlackholeSinkAndDrop(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE t (k INT PRIMARY KEY, g TEXT, v INT)`)
	mustExec(t, c, `INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 2)`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW agg AS SELECT g, sum(v) AS s FROM t GROUP BY g`)
	mustExec(t, c, `CREATE SINK bh FROM agg WITH (connector = 'blackhole')`)
	mustExec(t, c, `CREATE SINK bh2 AS SELECT g, count(*) AS n FROM t GROUP BY g WITH (connector = 'blackhole')`)
	for i := 3; i < 50; i++ {
		mustExec(t, c, `INSERT INTO t VALUES ($1, 'x', $1)`, i)
	}
	mustExec(t, c, `UPDATE t SET v = v + 1`)
	waitSinks(t, ts)
	got := queryRowsText(t, c, `SHOW SINKS`)
	// A blackhole logs nothing: nothing pending, no error.
	if len(got) != 2 || !strings.HasPrefix(got[0], "bh blackhole append-only ") || !strings.HasSuffix(got[0], " 0 <nil>") {
		t.Fatalf("SHOW SINKS: %q", got)
	}
	// The sink reads agg: dropping agg needs CASCADE.
	wantErrCode(t, c, `DROP MATERIALIZED VIEW agg`, "2BP01", "depend")
	wantErrCode(t, c, `SELECT * FROM bh`, "42809", "sink")
	wantErrCode(t, c, `DROP TABLE bh`, "42809", "")
	mustExec(t, c, `DROP MATERIALIZED VIEW agg CASCADE`)
	wantErrCode(t, c, `DROP SINK bh`, "42704", "does not exist")
	mustExec(t, c, `DROP TABLE t CASCADE`)
	if got := queryRowsText(t, c, `SHOW SINKS`); len(got) != 0 {
		t.Fatalf("SHOW SINKS after cascade: %q", got)
	}
}

func TestSinkErrors(t *testing.T) {
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	mustExec(t, c, `CREATE TABLE t (k INT PRIMARY KEY, v INT)`)
	mustExec(t, c, `CREATE TABLE ao (k INT, v INT) APPEND ONLY`)
	mustExec(t, c, `CREATE SINK ok FROM ao WITH (connector = 'blackhole')`)
	for _, x := range []struct{ q, code, msg string }{
		{`CREATE SINK s FROM t WITH (connector = 'nosuch')`, "0A000", "nosuch"},
		{`CREATE SINK s FROM t WITH (topic = 'x')`, "42601", "connector"},
		{`CREATE SINK s FROM nosuch WITH (connector = 'blackhole')`, "42P01", "nosuch"},
		{`CREATE SINK ok FROM ao WITH (connector = 'blackhole')`, "42710", "already exists"},
		{`CREATE SINK ao FROM t WITH (connector = 'blackhole')`, "42P07", "already exists"},
		{`CREATE SINK s FROM t WITH (connector = 'kafka', properties.bootstrap.server = '127.0.0.1:1')`, "42601", "topic"},
		{`CREATE SINK s FROM t WITH (connector = 'kafka', topic = 'x')`, "42601", "bootstrap"},
		{`CREATE SINK s FROM t WITH (connector = 'jdbc', table.name = 'x')`, "42601", "url"},
		{`CREATE SINK s FROM t WITH (connector = 'postgres', url = 'mysql://x', table = 'x')`, "22023", "URL"},
		{`CREATE SINK s FROM t WITH (connector = 'file')`, "42601", "path"},
		{`CREATE SINK s FROM ao WITH (connector = 'file', path = '/tmp/x', format = 'parquet')`, "22023", "parquet"},
		{`CREATE SINK s FROM ao WITH (connector = 'file', path = '/tmp/x', partition_by = 'nosuch')`, "42703", "nosuch"},
		// Append-only over an input that retracts.
		{`CREATE SINK s AS SELECT v, count(*) AS n FROM ao GROUP BY v WITH (connector = 'file', path = '/tmp/x', type = 'append-only')`, "22023", "append-only"},
		{`CREATE SINK s FROM t WITH (connector = 'file', path = '/tmp/x')`, "42601", "type"},
		{`CREATE SINK s AS SELECT v, count(*) AS n FROM ao GROUP BY v WITH (connector = 'kafka', topic = 'x', properties.bootstrap.server = '127.0.0.1:1', type = 'upsert')`, "42601", "primary_key"},
		{`CREATE SINK s FROM t WITH (connector = 'blackhole', type = 'upsert', primary_key = 'nosuch')`, "42703", "nosuch"},
		{`CREATE SINK s FROM t WITH (connector = 'blackhole', type = 'sideways')`, "22023", "sideways"},
		{`CREATE SINK s FROM t WITH (connector = 'file', path = '/tmp/x', type = 'upsert', primary_key = 'k')`, "0A000", "append-only"},
		{`CREATE SINK s FROM t WITH (connector = 'blackhole') FORMAT PLAIN ENCODE JSON`, "0A000", "kafka"},
		{`CREATE SINK s FROM t WITH (connector = 'blackhole', streamsql.sink.type = 'upsert')`, "22023", "streamsql"},
	} {
		wantErrCode(t, c, x.q, x.code, x.msg)
	}
	// force_append_only makes a retracting input acceptable (deletes dropped).
	mustExec(t, c, `CREATE SINK forced AS SELECT v, count(*) AS n FROM ao GROUP BY v WITH (connector = 'file', path = '`+t.TempDir()+`', type = 'append-only', force_append_only = 'true')`)
	mustExec(t, c, `CREATE SINK IF NOT EXISTS forced FROM ao WITH (connector = 'blackhole')`)
	if got := queryRowsText(t, c, `SHOW SINKS`); len(got) != 2 {
		t.Fatalf("SHOW SINKS: %q", got)
	}
}

// TestSinkBackfillWhileWriting creates a sink FROM a view while another
// session keeps inserting: the sink must hold the view's rows exactly once
// (the snapshot, then every change committed after it).
func TestSinkBackfillWhileWriting(t *testing.T) {
	out := t.TempDir()
	ts := startTestServer(t, t.TempDir())
	defer ts.stop()
	c := ts.connect(t)
	w := ts.connect(t)
	mustExec(t, c, `CREATE TABLE ev (id INT, v INT) APPEND ONLY`)
	mustExec(t, c, `CREATE MATERIALIZED VIEW even AS SELECT id, v FROM ev WHERE v % 2 = 0`)
	mustExec(t, c, `INSERT INTO ev SELECT g, g FROM generate_series(1, 5000) AS g`)
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		i := 5001
		for {
			select {
			case <-stop:
				done <- i
				return
			default:
			}
			if _, err := w.Exec(context.Background(), `INSERT INTO ev VALUES ($1, $1), ($1 + 1, $1 + 1)`, i); err != nil {
				t.Error(err)
				done <- i
				return
			}
			i += 2
		}
	}()
	time.Sleep(20 * time.Millisecond)
	mustExec(t, c, `CREATE SINK fs FROM even WITH (connector = 'file', path = '`+out+`', format = 'csv')`)
	time.Sleep(50 * time.Millisecond)
	close(stop)
	last := <-done
	waitSinks(t, ts)
	got := fileSinkRows(t, out)
	want := queryRowsText(t, c, `SELECT id::text || ',' || v::text FROM even`)
	for i := range want {
		want[i] = ".: " + want[i]
	}
	sort.Strings(want)
	if len(got) != len(want) || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sink holds %d rows, the view %d (writer reached %d)", len(got), len(want), last)
	}
	if len(want) <= 2500 {
		t.Fatalf("the writer added nothing during the test: %d rows", len(want))
	}
}

// TestSinkEmitOnWindowClose: a sink AS SELECT ... EMIT ON WINDOW CLOSE
// writes each window once, when the watermark passes its end (the
// watermark reaches the sink's own dataflow), also after a restart.
func TestSinkEmitOnWindowClose(t *testing.T) {
	out, data := t.TempDir(), t.TempDir()
	ts := startTestServer(t, data)
	c := ts.connect(t)
	mustExec(t, c, "CREATE TABLE ev (id INT, ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY")
	mustExec(t, c, `CREATE SINK w AS SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
		GROUP BY window_start EMIT ON WINDOW CLOSE
		WITH (connector = 'file', path = '`+out+`', format = 'csv', type = 'append-only', force_append_only = 'true')`)
	mustExec(t, c, `INSERT INTO ev VALUES (1, '2026-01-01 00:00:01', 1), (2, '2026-01-01 00:00:09', 2), (3, '2026-01-01 00:00:12', 3)`)
	waitSinks(t, ts)
	if got := fileSinkRows(t, out); len(got) != 0 {
		t.Fatalf("window written before it closed: %q", got)
	}
	mustExec(t, c, `INSERT INTO ev VALUES (4, '2026-01-01 00:00:16', 4)`) // watermark 00:00:11
	waitSinks(t, ts)
	ts.stop()
	ts = startTestServer(t, data)
	defer ts.stop()
	c = ts.connect(t)
	mustExec(t, c, `INSERT INTO ev VALUES (5, '2026-01-01 00:00:31', 5)`) // watermark 00:00:26
	waitSinks(t, ts)
	want := []string{".: 2026-01-01 00:00:00,2,3", ".: 2026-01-01 00:00:10,2,7"}
	if got := fileSinkRows(t, out); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}
