package bench

import (
	"context"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/pgwire/session"
)

func TestProbe(t *testing.T) {
	eng, err := session.Open(session.Options{DataDir: t.TempDir()})
	if err != nil { t.Fatal(err) }
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := pgwire.NewServer(eng, pgwire.Options{})
	go srv.Serve(ln)
	defer func() { srv.Close(); eng.Close() }()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, "postgres://x@"+ln.Addr().String()+"/db?sslmode=disable")
	if err != nil { t.Fatal(err) }
	for _, q := range []string{
		"CREATE TABLE seq (n bigint primary key)",
		"INSERT INTO seq VALUES (1),(2),(3)",
		"SELECT a.n + (b.n - 1) * 3 AS id FROM seq a, seq b ORDER BY id",
		"SELECT a.n + (b.n - 1) * 3 AS id FROM seq a CROSS JOIN seq b ORDER BY id",
		"CREATE TABLE src (id bigint primary key, k int, k2 int, v double precision, s text)",
		"INSERT INTO src SELECT id, id % 1000, id % 100000 + 1, (id % 7919) * 0.25, 'row-' || id FROM (SELECT a.n + (b.n - 1) * 3 AS id FROM seq a CROSS JOIN seq b) t",
		"SELECT * FROM src ORDER BY id",
		"SELECT sum(v), sum(k), sum(k2), count(s) FROM src",
		"SELECT pg_typeof(sum(k)), pg_typeof(sum(v)), pg_typeof(avg(v)), pg_typeof(count(*)) FROM src",
		"CREATE TABLE dst (id bigint primary key, k int, k2 int, v double precision, s text)",
		"INSERT INTO dst SELECT * FROM src",
		"DELETE FROM dst",
		"SELECT count(*) FROM dst",
		"DROP TABLE dst",
		"EXPLAIN SELECT count(*), sum(a.v + b.v) FROM src a JOIN src b ON a.k2 = b.id",
		"SELECT count(*), sum(a.v + b.v) FROM src a JOIN src b ON a.k2 = b.id",
		"SET enable_hashjoin = off",
		"ANALYZE src",
		"VACUUM",
		"SELECT version()",
		} {
		rows, err := c.Query(ctx, q)
		if err != nil { t.Logf("%s: ERR %v", q, err); continue }
		var out [][]any
		for rows.Next() { v, _ := rows.Values(); out = append(out, v) }
		if err := rows.Err(); err != nil { t.Logf("%s: ERR %v", q, err); continue }
		if len(out) > 5 { out = out[:5] }
		t.Logf("%s: %v %v", q, rows.CommandTag(), out)
	}
}
