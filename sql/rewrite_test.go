package sql

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/types"
)

// TestRewrite checks the TiDB AST (restored to text) of PostgreSQL constructs.
func TestRewrite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// casts
		{"SELECT a::int::text FROM t", "select __pg_cast(__pg_cast(`a`, _utf8mb4'integer'), _utf8mb4'text') from `t`"},
		{"SELECT CAST(b AS double precision), t.c::varchar(3)", "select __pg_cast(`b`, _utf8mb4'double precision'),__pg_cast(`t`.`c`, _utf8mb4'varchar(3)')"},
		{"SELECT (a+1)::numeric(10,2), f(x)::bigint, $1::text, '1'::int", "select __pg_cast((`a`+1), _utf8mb4'numeric(10,2)'),__pg_cast(f(`x`), _utf8mb4'bigint'),__pg_cast(__pg_param(1), _utf8mb4'text'),__pg_cast(_utf8mb4'1', _utf8mb4'integer')"},
		{"SELECT CASE WHEN a THEN 1 ELSE 2 END::text", "select __pg_cast(case when `a` then 1 else 2 end, _utf8mb4'text')"},
		{"SELECT -1::int, x::timestamp with time zone", "select -__pg_cast(1, _utf8mb4'integer'),__pg_cast(`x`, _utf8mb4'timestamptz')"},
		{"SELECT CAST(x AS string), CAST(y AS timestamp without time zone)", "select __pg_cast(`x`, _utf8mb4'text'),__pg_cast(`y`, _utf8mb4'timestamp')"},
		// typed literals
		{"SELECT DATE '2020-01-01', TIME '10:00', TIMESTAMPTZ '2020-01-01 00:00:00+00'", "select __pg_cast(_utf8mb4'2020-01-01', _utf8mb4'date'),__pg_cast(_utf8mb4'10:00', _utf8mb4'time'),__pg_cast(_utf8mb4'2020-01-01 00:00:00+00', _utf8mb4'timestamptz')"},
		{"SELECT interval '5' SECOND, INTERVAL '1 day 2 hours', interval '5' minutes", "select __pg_cast(_utf8mb4'5 second', _utf8mb4'interval'),__pg_cast(_utf8mb4'1 day 2 hours', _utf8mb4'interval'),__pg_cast(_utf8mb4'5 minute', _utf8mb4'interval')"},
		{"SELECT boolean 'true', numeric '1.5', timestamp with time zone '2020-01-01'", "select __pg_cast(_utf8mb4'true', _utf8mb4'boolean'),__pg_cast(_utf8mb4'1.5', _utf8mb4'numeric'),__pg_cast(_utf8mb4'2020-01-01', _utf8mb4'timestamptz')"},
		{"SELECT ts + INTERVAL '1 hour' FROM t", "select `ts`+__pg_cast(_utf8mb4'1 hour', _utf8mb4'interval') from `t`"},
		// params
		{"SELECT * FROM t WHERE x = $3", "select * from `t` where `x`=__pg_param(3)"},
		// joins
		{"SELECT * FROM a FULL OUTER JOIN b ON a.x = b.x WHERE a.y > 1", "select * from `a` left join `b` on __pg_full_join(`a`.`x`=`b`.`x`) where `a`.`y`>1"},
		{"SELECT * FROM a FULL JOIN b ON a.x = b.x JOIN c ON c.z = a.x", "select * from (`a` left join `b` on __pg_full_join(`a`.`x`=`b`.`x`)) join `c` on `c`.`z`=`a`.`x`"},
		// ordering
		{"SELECT * FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST", "select * from `t` order by __pg_nulls_first(`a`) desc,__pg_nulls_last(`b`)"},
		{"SELECT rank() OVER (ORDER BY a NULLS FIRST) FROM t", "select rank() over (order by __pg_nulls_first(`a`)) from `t`"},
		// distinct
		{"SELECT a IS DISTINCT FROM b + 1, a IS NOT DISTINCT FROM NULL AND c FROM t", "select __pg_is_distinct(`a`, `b`+1),__pg_is_not_distinct(`a`, null) and `c` from `t`"},
		{"SELECT * FROM t WHERE x = 1 AND t.y + 1 IS DISTINCT FROM z", "select * from `t` where `x`=1 and __pg_is_distinct(`t`.`y`+1, `z`)"},
		{"SELECT DISTINCT ON (a, b) a, b, c FROM t", "select __pg_distinct_on(`a`, `b`),`a`,`b`,`c` from `t`"},
		// operators
		{"SELECT 2^3*4, a ^ -b, 2^3^2", "select power(2, 3)*4,power(`a`, -`b`),power(power(2, 3), 2)"},
		{"SELECT a ~~ 'x%', a !~~ 'y', a ILIKE 'z', a ~ '^x', a !~ 'q', 'a' || 'b'", "select `a` like _utf8mb4'x%',`a` not like _utf8mb4'y',`a` ilike _utf8mb4'z',`a` regexp _utf8mb4'^x',`a` not regexp _utf8mb4'q',concat(_utf8mb4'a', _utf8mb4'b')"},
		{"SELECT x # 3, x << 1, x ISNULL, x NOTNULL, now() AT TIME ZONE 'UTC' FROM t", "select `x`^3,`x`<<1,`x` is null,`x` is not null,timezone(_utf8mb4'UTC', now()) from `t`"},
		// table functions
		{"SELECT * FROM generate_series(1, 10) AS g(n)", "select * from (select __pg_table_func(_utf8mb4'generate_series', 1, 10) as `n`) as `g`"},
		{"SELECT * FROM t AS x(a, b) JOIN (SELECT 1, 2) y(c, d) ON x.a = y.c", "select * from (select * from `t` as `x` where __pg_col_aliases(_utf8mb4'a', _utf8mb4'b')) as `x` join (select * from (select 1,2) as `y` where __pg_col_aliases(_utf8mb4'c', _utf8mb4'd')) as `y` on `x`.`a`=`y`.`c`"},
		{"SELECT string_agg(s, ',' ORDER BY a DESC NULLS LAST, b), array_agg(x ORDER BY y) FROM t", "select string_agg(`s`, _utf8mb4',', __pg_agg_order(__pg_nulls_last(__pg_desc(`a`)), `b`)),array_agg(`x`, __pg_agg_order(`y`)) from `t`"},
		{"SELECT 1 UNION (SELECT 2 ORDER BY 1 LIMIT 1)", "select 1 union (select 2 order by 1 limit 1)"},
		// limits
		{"SELECT * FROM t LIMIT ALL OFFSET 5", "select * from `t` limit 5,18446744073709551615"},
		{"SELECT * FROM t OFFSET 5", "select * from `t` limit 5,18446744073709551615"},
		{"SELECT * FROM t LIMIT ALL", "select * from `t`"},
		{"SELECT * FROM t OFFSET 3 ROWS FETCH FIRST 2 ROWS ONLY", "select * from `t` limit 3,2"},
		{"SELECT * FROM t OFFSET 3 LIMIT 2", "select * from `t` limit 3,2"},
		{"SELECT * FROM t FETCH NEXT ROW ONLY", "select * from `t` limit 1"},
		// values
		{"VALUES (1, 'a'), (2, 'b')", "select 1 as `column1`,_utf8mb4'a' as `column2` union all select 2 as `column1`,_utf8mb4'b' as `column2`"},
		{"SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, name)", "select * from (select 1 as `id`,_utf8mb4'a' as `name` union all select 2 as `id`,_utf8mb4'b' as `name`) as `v`"},
		{"SELECT 1 UNION ALL VALUES (2)", "select 1 union all select 2 as `column1`"},
		{"INSERT INTO t VALUES (1, 'x'), ($1, $2)", "insert into `t` values (1,_utf8mb4'x'),(__pg_param(1),__pg_param(2))"},
		{"INSERT INTO t (a, b) SELECT * FROM (VALUES (1, 2)) v", "insert into `t` (`a`,`b`) select * from (select 1 as `column1`,2 as `column2`) as `v`"},
		// strings
		{"SELECT E'a\\tb', $$it's$$, $x$q$$y$x$, 'it''s', 'C:\\dir', U&'d\\0061t'", "select _utf8mb4'a\tb',_utf8mb4'it''s',_utf8mb4'q$$y',_utf8mb4'it''s',_utf8mb4'C:\\dir',_utf8mb4'dat'"},
		// functions
		{"SELECT count(*) FILTER (WHERE a > 1), sum(b) FILTER (WHERE c) FROM t", "select count(__pg_filter(`a`>1)),sum(__pg_filter(`c`, `b`)) from `t`"},
		{"SELECT EXTRACT(EPOCH FROM ts), date_trunc('hour', ts), SUBSTRING(s FROM 2 FOR 3), POSITION('a' IN s) FROM t", "select __pg_extract(_utf8mb4'epoch', `ts`),date_trunc(_utf8mb4'hour', `ts`),substring(`s`, 2, 3),position(_utf8mb4'a' in `s`) from `t`"},
		{"SELECT TRUE, FALSE, x IS TRUE, CURRENT_DATE FROM t GROUP BY 1", "select true,false,`x` is true,current_date() from `t` group by 1"},
		{"SELECT sum(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t", "select sum(`x`) over (partition by `k` order by `ts` rows between 1 preceding and current row) from `t`"},
		{"SELECT sum(x) OVER (ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t", "select sum(`x`) over (order by `ts` range between unbounded preceding and current row) from `t`"},
		// identifiers
		{"SELECT \"Foo\".\"BarCol\", FooBar FROM \"Foo\"", "select `Foo`.`BarCol`,`foobar` from `Foo`"},
		{"SELECT key, value, range FROM kv", "select `key`,`value`,`range` from `kv`"},
		{"SELECT interval, lag, rank, row_number() OVER (), lag(x) OVER () FROM t", "select `interval`,`lag`,`rank`,row_number() over (),lag(`x`) over () from `t`"},
		{"SELECT 'MiXed' FROM Public.T", "select _utf8mb4'MiXed' from `public`.`t`"},
		// DML
		{"UPDATE t SET a = a::int + 1 WHERE b IS DISTINCT FROM 3", "update `t` set `a`=__pg_cast(`a`, _utf8mb4'integer')+1 where __pg_is_distinct(`b`, 3)"},
		{"DELETE FROM t WHERE a = $1", "delete from `t` where `a`=__pg_param(1)"},
		{"WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x WHERE n < 5) SELECT * FROM x", "with recursive `x` (`n`) as (select 1 union all select `n`+1 from `x` where `n`<5) select * from `x`"},
	} {
		q := mustQuery(t, tc.in)
		if got := restore(t, q.Node); got != tc.want {
			t.Errorf("%s\n got: %s\nwant: %s", tc.in, got, tc.want)
		}
		if q.Text != tc.in {
			t.Errorf("Text = %q, want %q", q.Text, tc.in)
		}
	}
}

func firstField(t *testing.T, text string) ast.ExprNode {
	t.Helper()
	q := mustQuery(t, text)
	return q.Node.(*ast.SelectStmt).Fields.Fields[0].Expr
}

func TestDecoders(t *testing.T) {
	// AsCast
	arg, typ, ok := AsCast(firstField(t, "SELECT a::varchar(20)"))
	if !ok || typ != (types.T{Family: types.Text, Width: 20}) || arg.(*ast.ColumnNameExpr).Name.Name.O != "a" {
		t.Errorf("AsCast: %v %v %v", arg, typ, ok)
	}
	arg, typ, ok = AsCast(firstField(t, "SELECT INTERVAL '5' MINUTE"))
	if s, _ := stringValue(arg); !ok || typ != types.TInterval || s != "5 minute" {
		t.Errorf("AsCast interval: %q %v %v", s, typ, ok)
	}
	if _, _, ok := AsCast(firstField(t, "SELECT f(a, 'int')")); ok {
		t.Error("AsCast matched a plain call")
	}
	// AsParam
	if n, ok := AsParam(firstField(t, "SELECT $12")); !ok || n != 12 {
		t.Errorf("AsParam: %d %v", n, ok)
	}
	sel0 := mustQuery(t, "SELECT * FROM t WHERE a = $3 LIMIT $2 OFFSET $1").Node.(*ast.SelectStmt)
	if n, ok := AsParam(sel0.Limit.Count); !ok || n != 2 {
		t.Errorf("LIMIT $2: %d %v", n, ok)
	}
	if n, ok := AsParam(sel0.Limit.Offset); !ok || n != 1 {
		t.Errorf("OFFSET $1: %d %v", n, ok)
	}
	// IsFullJoin
	q := mustQuery(t, "SELECT * FROM a FULL JOIN b ON a.x = b.y")
	j := q.Node.(*ast.SelectStmt).From.TableRefs
	cond, ok := IsFullJoin(j)
	if !ok || j.Tp != ast.LeftJoin {
		t.Fatalf("IsFullJoin: %v", ok)
	}
	if _, ok := cond.(*ast.BinaryOperationExpr); !ok {
		t.Errorf("IsFullJoin cond %T", cond)
	}
	if _, ok := IsFullJoin(mustQuery(t, "SELECT * FROM a LEFT JOIN b ON a.x = b.y").Node.(*ast.SelectStmt).From.TableRefs); ok {
		t.Error("IsFullJoin on LEFT JOIN")
	}
	// AsNullsOrder
	q = mustQuery(t, "SELECT * FROM t ORDER BY a DESC NULLS LAST, b NULLS FIRST, c")
	items := q.Node.(*ast.SelectStmt).OrderBy.Items
	in, first, ok := AsNullsOrder(items[0].Expr)
	if !ok || first || !items[0].Desc || in.(*ast.ColumnNameExpr).Name.Name.O != "a" {
		t.Errorf("AsNullsOrder 0")
	}
	if _, first, ok := AsNullsOrder(items[1].Expr); !ok || !first || items[1].Desc {
		t.Errorf("AsNullsOrder 1")
	}
	if _, _, ok := AsNullsOrder(items[2].Expr); ok {
		t.Errorf("AsNullsOrder 2")
	}
	// AsIsDistinct
	a, b, not, ok := AsIsDistinct(firstField(t, "SELECT x + 1 IS NOT DISTINCT FROM y * 2"))
	if !ok || !not {
		t.Fatalf("AsIsDistinct")
	}
	if _, ok := a.(*ast.BinaryOperationExpr); !ok {
		t.Errorf("left %T", a)
	}
	if _, ok := b.(*ast.BinaryOperationExpr); !ok {
		t.Errorf("right %T", b)
	}
	// AsDistinctOn
	sel := mustQuery(t, "SELECT DISTINCT ON (a, b + 1) a, c FROM t").Node.(*ast.SelectStmt)
	exprs, ok := AsDistinctOn(sel)
	if !ok || len(exprs) != 2 || len(sel.Fields.Fields) != 2 {
		t.Errorf("AsDistinctOn: %v %d %d", ok, len(exprs), len(sel.Fields.Fields))
	}
	// AsFilter
	agg := firstField(t, "SELECT count(*) FILTER (WHERE a > 1) FROM t").(*ast.AggregateFuncExpr)
	c, ok := AsFilter(agg)
	if !ok || len(agg.Args) != 1 || restore(t, agg) != "count(1)" || restore(t, c) != "`a`>1" {
		t.Errorf("AsFilter count: %v %s", ok, restore(t, agg))
	}
	agg = firstField(t, "SELECT sum(DISTINCT b) FILTER (WHERE c) FROM t").(*ast.AggregateFuncExpr)
	if c, ok := AsFilter(agg); !ok || restore(t, agg) != "sum(distinct `b`)" || restore(t, c) != "`c`" {
		t.Errorf("AsFilter sum: %v %s", ok, restore(t, agg))
	}
	// AsWindowTVF
	for _, tc := range []struct {
		q, kind, input, col, alias string
		nargs                      int
	}{
		{"SELECT * FROM TUMBLE(bids, ts, INTERVAL '5' MINUTE) AS w", "tumble", "bids", "ts", "w", 1},
		{"SELECT * FROM hop(public.bids, ts, INTERVAL '1 minute', INTERVAL '5 minutes')", "hop", "bids", "ts", "hop", 2},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTES)) w", "tumble", "bids", "ts", "w", 1},
		{"SELECT * FROM session((SELECT * FROM bids) , \"Ts\", INTERVAL '10 seconds') s", "session", "", "Ts", "s", 1},
		{"SELECT * FROM x JOIN tumble(bids, ts, INTERVAL '5' MINUTE) AS w ON true", "tumble", "bids", "ts", "w", 1},
		{"SELECT * FROM SESSION(bid PARTITION BY bidder, date_time, INTERVAL '10' SECOND)", "session", "bid", "date_time", "session", 1},
		{"SELECT * FROM SESSION(bid PARTITION BY a, b, ts, INTERVAL '10' SECOND) s", "session", "bid", "ts", "s", 1},
		{"SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY (a, b), DESCRIPTOR(ts), INTERVAL '10' SECOND))", "session", "bid", "ts", "session", 1},
	} {
		sel := mustQuery(t, tc.q).Node.(*ast.SelectStmt)
		var src ast.ResultSetNode = sel.From.TableRefs.Left
		if sel.From.TableRefs.Right != nil {
			src = sel.From.TableRefs.Right
		}
		w, ok := AsWindowTVF(src)
		if !ok {
			t.Errorf("%s: not decoded", tc.q)
			continue
		}
		if w.Kind != tc.kind || w.TimeCol != tc.col || w.Alias != tc.alias || len(w.Args) != tc.nargs {
			t.Errorf("%s: %+v", tc.q, w)
		}
		var keys []string
		for _, k := range w.PartitionBy {
			keys = append(keys, restore(t, k))
		}
		wantKeys := ""
		if strings.Contains(tc.q, "PARTITION BY bidder") {
			wantKeys = "`bidder`"
		} else if strings.Contains(tc.q, "PARTITION BY") {
			wantKeys = "`a`,`b`"
		}
		if strings.Join(keys, ",") != wantKeys {
			t.Errorf("%s: partition keys %v, want %s", tc.q, keys, wantKeys)
		}
		if tn, ok := w.Input.(*ast.TableName); ok {
			if tn.Name.O != tc.input {
				t.Errorf("%s: input %s", tc.q, tn.Name.O)
			}
		} else if _, ok := w.Input.(*ast.SelectStmt); !ok || tc.input != "" {
			t.Errorf("%s: input %T", tc.q, w.Input)
		}
	}
	if _, ok := AsWindowTVF(mustQuery(t, "SELECT * FROM (SELECT * FROM t WHERE x) AS s").Node.(*ast.SelectStmt).From.TableRefs.Left); ok {
		t.Error("AsWindowTVF matched a plain subquery")
	}
}

func TestAsTableFunc(t *testing.T) {
	sel := mustQuery(t, "SELECT n FROM t, generate_series(1, $1) g(n)").Node.(*ast.SelectStmt)
	tf, ok := AsTableFunc(sel.From.TableRefs.Right)
	if !ok || tf.Name != "generate_series" || len(tf.Args) != 2 || tf.Alias != "g" || tf.Column != "n" {
		t.Fatalf("%v %+v", ok, tf)
	}
	if n, ok := AsParam(tf.Args[1]); !ok || n != 1 {
		t.Errorf("arg: %v", restore(t, tf.Args[1]))
	}
	sel = mustQuery(t, "SELECT * FROM unnest(x)").Node.(*ast.SelectStmt)
	if tf, ok := AsTableFunc(sel.From.TableRefs.Left); !ok || tf.Alias != "unnest" || tf.Column != "" {
		t.Errorf("%v %+v", ok, tf)
	}
}

func TestAsColumnAliasesAndAggOrder(t *testing.T) {
	sel := mustQuery(t, "SELECT * FROM public.t AS x(a, b)").Node.(*ast.SelectStmt)
	in, alias, cols, ok := AsColumnAliases(sel.From.TableRefs.Left)
	if !ok || alias != "x" || len(cols) != 2 || cols[1] != "b" {
		t.Fatalf("%v %q %v", ok, alias, cols)
	}
	if tn, ok := in.(*ast.TableName); !ok || tn.Name.O != "t" || tn.Schema.O != "public" {
		t.Errorf("inner %T", in)
	}
	f := firstField(t, "SELECT string_agg(s, ',' ORDER BY a DESC NULLS FIRST, b)")
	items, ok := AsAggOrder(f)
	if !ok || len(items) != 2 || !items[0].Desc || items[0].NullsFirst == nil || !*items[0].NullsFirst || items[1].Desc || items[1].NullsFirst != nil {
		t.Fatalf("%v %+v", ok, items)
	}
	if got := restore(t, f); got != "string_agg(`s`, _utf8mb4',')" {
		t.Errorf("stripped: %s", got)
	}
}

func BenchmarkParse(b *testing.B) {
	q := "SELECT a, b::text, count(*) FROM t JOIN u ON t.id = u.id WHERE a > $1 AND c LIKE 'x%' GROUP BY a, b ORDER BY a DESC LIMIT 10"
	for i := 0; i < b.N; i++ {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTiDBParse(b *testing.B) {
	q := "SELECT a, __pg_cast(b, 'text'), count(*) FROM t JOIN u ON t.id = u.id WHERE a > __pg_param(1) AND c LIKE 'x%' GROUP BY a, b ORDER BY a DESC LIMIT 10"
	for i := 0; i < b.N; i++ {
		p := parserPool.Get().(*parser.Parser)
		if _, _, err := p.Parse(q, "", ""); err != nil {
			b.Fatal(err)
		}
		parserPool.Put(p)
	}
}

func TestParseExpr(t *testing.T) {
	e, err := ParseExpr("now() - INTERVAL '5 seconds'")
	if err != nil {
		t.Fatal(err)
	}
	if got := restore(t, e); got != "now()-__pg_cast(_utf8mb4'5 seconds', _utf8mb4'interval')" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{"", "1,2", "1;", "select 1", "1 AS x", "(1"} {
		if _, err := ParseExpr(bad); err == nil {
			t.Errorf("ParseExpr(%q) succeeded", bad)
		} else if e, ok := err.(*types.Error); !ok || e.Code != types.CodeSyntaxError {
			t.Errorf("ParseExpr(%q): %v", bad, err)
		}
	}
}

func TestForSystemTime(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM bid B JOIN side_input FOR SYSTEM_TIME AS OF PROCTIME() AS S ON B.auction % 10000 = S.key",
			"select * from `bid` as `b` join `side_input` as `s` as of timestamp __pg_proctime() on `b`.`auction`%10000=`s`.`key`"},
		{"SELECT * FROM t LEFT JOIN public.d FOR SYSTEM_TIME AS OF proctime() ON t.k = d.k",
			"select * from `t` left join `public`.`d` as of timestamp __pg_proctime() on `t`.`k`=`d`.`k`"},
		{`SELECT * FROM t JOIN "Dim" FOR SYSTEM_TIME AS OF PROCTIME() ON t.k = "Dim".k`,
			"select * from `t` join `Dim` as of timestamp __pg_proctime() on `t`.`k`=`Dim`.`k`"},
		{"SELECT * FROM t JOIN d FOR SYSTEM_TIME AS OF PROCTIME() x ON t.k = x.k WHERE x.v > 1",
			"select * from `t` join `d` as `x` as of timestamp __pg_proctime() on `t`.`k`=`x`.`k` where `x`.`v`>1"},
	} {
		q := mustQuery(t, tc.in)
		if got := restore(t, q.Node); got != tc.want {
			t.Errorf("%s\n got: %s\nwant: %s", tc.in, got, tc.want)
		}
		sel := q.Node.(*ast.SelectStmt)
		if !IsTemporalRef(sel.From.TableRefs.Right) {
			t.Errorf("%s: right side not marked temporal", tc.in)
		}
	}
	for _, tc := range []struct{ in, code string }{
		{"SELECT * FROM t JOIN d FOR SYSTEM_TIME AS OF now() ON t.k = d.k", "0A000"},
		{"SELECT * FROM t JOIN d FOR SYSTEM_TIME AS OF PROCTIME() AS x(a, b) ON t.k = x.a", "0A000"},
		{"SELECT * FROM t JOIN d FOR SYSTEM_TIME ON t.k = d.k", "42601"},
	} {
		_, err := Parse(tc.in)
		e, ok := err.(*types.Error)
		if !ok || e.Code != tc.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", tc.in, err, tc.code)
		}
	}
	// TiDB's own AS OF TIMESTAMP is not PostgreSQL.
	q := mustQuery(t, "SELECT * FROM t AS OF TIMESTAMP now()")
	tn := q.Node.(*ast.SelectStmt).From.TableRefs.Left.(*ast.TableSource).Source.(*ast.TableName)
	if ok, err := AsTemporalTable(tn); ok || err == nil {
		t.Errorf("AS OF TIMESTAMP accepted: %v %v", ok, err)
	}
}
