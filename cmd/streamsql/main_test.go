package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// buildBinary compiles the streamsql command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "streamsql")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess runs the server binary and waits until it accepts
// connections.
func startProcess(t *testing.T, bin, dir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", dir)
	// Views run as three actors: the crash tests cover the actors' writes
	// joining the statement's batch, whatever the machine's cores.
	cmd.Env = append(os.Environ(), "STREAMSQL_PARALLELISM=3")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("server did not start")
	return nil
}

func connect(t *testing.T, addr string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), "postgres://u@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKillNineKeepsCommittedData kills the server with SIGKILL while a
// client is inserting and checks that every acknowledged statement is
// there after a restart, and that views over the data still agree.
func TestKillNineKeepsCommittedData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := startProcess(t, bin, dir, addr)
	c := connect(t, addr)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE acct (id INT PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC(12,2))",
		"CREATE INDEX acct_owner ON acct (owner)",
		"CREATE TABLE log (msg TEXT)",
		"CREATE MATERIALIZED VIEW by_owner AS SELECT owner, count(*) AS n, sum(balance) AS total FROM acct GROUP BY owner",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	acked := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			_, err := c.Exec(ctx, "INSERT INTO acct VALUES ($1, $2, $3)", i, fmt.Sprintf("o%d", i%7), float64(i)/2)
			if err != nil {
				return
			}
			if _, err := c.Exec(ctx, "INSERT INTO log VALUES ($1)", fmt.Sprint(i)); err != nil {
				acked = i // the acct row of i is acknowledged
				return
			}
			acked = i + 1
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	<-done
	c.Close(ctx)
	if acked < 10 {
		t.Fatalf("only %d inserts acknowledged before the kill", acked)
	}

	cmd = startProcess(t, bin, dir, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	c = connect(t, addr)
	defer c.Close(ctx)
	var n, minID, maxID int
	if err := c.QueryRow(ctx, "SELECT count(*), min(id), max(id) FROM acct").Scan(&n, &minID, &maxID); err != nil {
		t.Fatal(err)
	}
	// Every acknowledged row is there; at most the one in flight beyond.
	if n < acked || n > acked+1 || minID != 0 || maxID != n-1 {
		t.Fatalf("after kill -9: %d rows (ids %d..%d), %d acknowledged", n, minID, maxID, acked)
	}
	var logs int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM log").Scan(&logs); err != nil {
		t.Fatal(err)
	}
	if logs < acked-1 || logs > n {
		t.Fatalf("log has %d rows, acct %d, acknowledged %d", logs, n, acked)
	}
	// The index agrees with the table.
	var viaIndex int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acct WHERE owner = 'o3'").Scan(&viaIndex); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := 0; i < n; i++ {
		if i%7 == 3 {
			want++
		}
	}
	if viaIndex != want {
		t.Fatalf("index lookup found %d rows, want %d", viaIndex, want)
	}
	// The view committed atomically with every acknowledged insert.
	var viewN int
	var viewTotal, tableTotal float64
	if err := c.QueryRow(ctx, "SELECT sum(n)::int, sum(total)::float8 FROM by_owner").Scan(&viewN, &viewTotal); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT sum(balance)::float8 FROM acct").Scan(&tableTotal); err != nil {
		t.Fatal(err)
	}
	if viewN != n || viewTotal != tableTotal {
		t.Fatalf("after kill -9 the view counts %d rows totalling %v, the table %d totalling %v", viewN, viewTotal, n, tableTotal)
	}
	// New rows keep going without key clashes (hidden row ids continue).
	if _, err := c.Exec(ctx, "INSERT INTO log VALUES ('after')"); err != nil {
		t.Fatal(err)
	}
}

// TestPgbenchExtendedProtocol drives the server with pgbench's extended
// protocol (prepared statements with parameters) and checks that no
// transaction fails and the updates all landed.
func TestPgbenchExtendedProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		t.Skip("pgbench is not installed")
	}
	bin := buildBinary(t)
	addr := freeAddr(t)
	cmd := startProcess(t, bin, t.TempDir(), addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	c := connect(t, addr)
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "CREATE TABLE acct (id INT PRIMARY KEY, balance BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "INSERT INTO acct SELECT g, 0 FROM generate_series(1, 100) g"); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "script.sql")
	os.WriteFile(script, []byte("\\set id random(1, 100)\nUPDATE acct SET balance = balance + 1 WHERE id = :id;\nSELECT balance FROM acct WHERE id = :id;\n"), 0o644)
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(pgbench, "-h", host, "-p", port, "-U", "bench", "-n", "-M", "extended", "-f", script, "-c", "2", "-t", "250", "db").CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "number of failed transactions: 0") {
		t.Fatalf("pgbench reported failures:\n%s", out)
	}
	var total int64
	if err := c.QueryRow(context.Background(), "SELECT sum(balance) FROM acct").Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 500 {
		t.Fatalf("500 updates ran, balances sum to %d", total)
	}
}

// insertUntilKilled calls insert with the next row number until the server
// process is killed with SIGKILL (after 1.5 s) and insert fails; insert
// returns how many rows it added. It closes c and returns the number of
// rows acknowledged before the kill.
func insertUntilKilled(t *testing.T, cmd *exec.Cmd, c *pgx.Conn, insert func(i int) (int, error)) int {
	t.Helper()
	acked := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; {
			n, err := insert(i)
			if err != nil {
				return
			}
			i += n
			acked = i
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	<-done
	c.Close(context.Background())
	if acked < 10 {
		t.Fatalf("only %d rows acknowledged before the kill", acked)
	}
	return acked
}

// crashWhileInserting starts the server on a new data directory, runs
// setup, inserts with insert until the server is killed with SIGKILL
// (insertUntilKilled), restarts it and runs after. It returns a
// connection to the restarted server (stopped with the test), the number
// of rows in table ev, and the number of rows acknowledged before the
// kill.
func crashWhileInserting(t *testing.T, setup []string, insert func(c *pgx.Conn, i int) (int, error), after string) (c *pgx.Conn, rows, acked int) {
	t.Helper()
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := startProcess(t, bin, dir, addr)
	c = connect(t, addr)
	ctx := context.Background()
	for _, q := range setup {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	first := c
	acked = insertUntilKilled(t, cmd, c, func(i int) (int, error) { return insert(first, i) })
	cmd = startProcess(t, bin, dir, addr)
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	c = connect(t, addr)
	t.Cleanup(func() { c.Close(ctx) })
	if _, err := c.Exec(ctx, after); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM ev").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return c, rows, acked
}

// TestKillNineKafkaSinkExactlyOnce kills the server with SIGKILL while a
// client inserts into a table that a Kafka sink ships, restarts it, and
// checks with a read_committed consumer that the topic holds every row of
// the table exactly once: nothing lost, nothing doubled by the crash.
func TestKillNineKafkaSinkExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "sunk"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	brokers := strings.Join(kc.ListenAddrs(), ",")
	ctx := context.Background()
	c, n, acked := crashWhileInserting(t, []string{
		"CREATE TABLE ev (id INT, note TEXT) APPEND ONLY",
		"INSERT INTO ev VALUES (-1, 'before the sink')",
		"CREATE SINK ks FROM ev WITH (connector = 'kafka', topic = 'sunk', properties.bootstrap.server = '" + brokers + "') FORMAT PLAIN ENCODE JSON",
	}, func(c *pgx.Conn, i int) (int, error) {
		_, err := c.Exec(ctx, "INSERT INTO ev VALUES ($1, 'x')", i)
		return 1, err
	}, "INSERT INTO ev VALUES (1000000, 'after the restart')")
	if n < acked+2 {
		t.Fatalf("table has %d rows, %d acknowledged", n, acked+2)
	}
	// Wait until the sink has delivered everything.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var name, conn, typ string
		var delivered, pending *int64
		var lastErr *string
		if err := c.QueryRow(ctx, "SHOW SINKS", pgx.QueryExecModeSimpleProtocol).Scan(&name, &conn, &typ, &delivered, &pending, &lastErr); err != nil {
			t.Fatal(err)
		}
		if pending != nil && *pending == 0 && delivered != nil && *delivered > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink not drained: pending %v, last error %v", pending, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics("sunk"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]int{}
	total := 0
	for idle := 0; idle < 5 && total <= n; {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		got := 0
		fs.EachRecord(func(r *kgo.Record) {
			got++
			seen[string(r.Value)]++
		})
		total += got
		if got == 0 {
			idle++
		}
	}
	for v, k := range seen {
		if k != 1 {
			t.Errorf("record %s delivered %d times", v, k)
		}
	}
	if total != n || len(seen) != n {
		t.Fatalf("topic holds %d records (%d distinct), the table %d rows", total, len(seen), n)
	}
	for _, v := range []string{`{"id":-1,"note":"before the sink"}`, `{"id":0,"note":"x"}`, `{"id":1000000,"note":"after the restart"}`} {
		if seen[v] != 1 {
			t.Fatalf("record %s missing", v)
		}
	}
}

// TestKillNineFileSinkExactlyOnce kills the server with SIGKILL while a
// client inserts into a table that a partitioned file sink writes, restarts
// it, and checks that the files hold every row of the table exactly once.
func TestKillNineFileSinkExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	out := t.TempDir()
	ctx := context.Background()
	_, n, acked := crashWhileInserting(t, []string{
		"CREATE TABLE ev (id INT, g INT) APPEND ONLY",
		"CREATE SINK fs FROM ev WITH (connector = 'file', path = '" + out + "', format = 'csv', partition_by = 'g')",
	}, func(c *pgx.Conn, i int) (int, error) {
		_, err := c.Exec(ctx, "INSERT INTO ev VALUES ($1, $1 % 5), ($1 + 1, ($1 + 1) % 5)", i)
		return 2, err
	}, "INSERT INTO ev VALUES (-1, 0)")
	if n < acked+1 {
		t.Fatalf("table has %d rows, %d acknowledged", n, acked+1)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		seen := map[string]int{}
		total := 0
		err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			part := filepath.Base(filepath.Dir(p))
			for _, l := range strings.Fields(string(b)) {
				f := strings.Split(l, ",")
				if len(f) != 2 || "g="+f[1] != part {
					return fmt.Errorf("line %q in %s", l, part)
				}
				seen[f[0]]++
				total++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("row %s written %d times", id, k)
			}
		}
		if total == n && seen["-1"] == 1 {
			break
		}
		if total > n || time.Now().After(deadline) {
			t.Fatalf("files hold %d rows, the table %d", total, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
