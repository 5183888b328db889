package datagen

import (
	"github.com/cockroachdb/apd/v3"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var (
	cols = []string{"id", "s", "i2", "i4", "r", "d", "n", "v", "b", "ts", "tz", "dt", "sv"}
	tys  = []types.T{types.TInt8, types.TInt4, types.TInt2, types.TInt4, types.TFloat4, types.TFloat8,
		{Family: types.Numeric, Precision: 10, Scale: 3}, {Family: types.Text, Width: 20}, types.TBool,
		types.TTimestamp, types.TTimestamptz, types.TDate, types.TText}
)

func baseOpts() map[string]string {
	return map[string]string{
		"connector":               "datagen",
		"fields.id.kind":          "sequence",
		"fields.id.start":         "1",
		"fields.id.end":           "5000",
		"fields.s.kind":           "sequence",
		"fields.s.start":          "-100",
		"fields.s.end":            "100000",
		"fields.i2.min":           "-5",
		"fields.i2.max":           "5",
		"fields.i4.max":           "1000000",
		"fields.r.min":            "-1.5",
		"fields.r.max":            "1.5",
		"fields.d.min":            "10",
		"fields.d.max":            "20",
		"fields.n.min":            "0",
		"fields.n.max":            "100",
		"fields.v.length":         "16",
		"fields.v.seed":           "42",
		"fields.ts.max_past":      "2h 37min",
		"fields.tz.max_past_mode": "absolute",
		"fields.sv.kind":          "sequence",
		"fields.sv.start":         "7",
		"datagen.rows.per.second": "0",
	}
}

func drain(t *testing.T, g *Generator) []string {
	c := exec.NewChunk(tys)
	var out []string
	for {
		c.Reset()
		n, done := g.Next(c)
		for r := 0; r < n; r++ {
			var b strings.Builder
			for j, v := range c.Cols {
				if j > 0 {
					b.WriteByte('|')
				}
				b.WriteString(types.FormatDatum(v.Typ, v.Get(r)))
			}
			out = append(out, b.String())
		}
		if done {
			return out
		}
		if n == 0 {
			t.Fatal("0 rows without pacing")
		}
	}
}

func mustParse(t *testing.T, with map[string]string) *Config {
	t.Helper()
	c, err := Parse(cols, tys, with)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseTime = 1_700_000_000_000_000
	return c
}

func TestSplitsAndSequences(t *testing.T) {
	cfg := mustParse(t, baseOpts())
	if n, b := cfg.Rows(); n != 5000 || !b {
		t.Fatalf("rows %d %v", n, b)
	}
	one := drain(t, NewGenerator(cfg, 0, 1))
	if len(one) != 5000 {
		t.Fatalf("%d rows", len(one))
	}
	for _, S := range []int{2, 4} {
		var all []string
		for s := 0; s < S; s++ {
			part := drain(t, NewGenerator(cfg, s, S))
			for i, r := range part {
				if r != one[s+i*S] {
					t.Fatalf("split %d/%d row %d differs", s, S, i)
				}
			}
			all = append(all, part...)
		}
		// The id sequence is gap-free and duplicate-free across readers.
		ids := make([]string, len(all))
		for i, r := range all {
			ids[i] = r[:strings.IndexByte(r, '|')]
		}
		sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
		for i, id := range ids {
			if want := types.FormatDatum(types.TInt8, types.NewInt(int64(i+1))); id != want {
				t.Fatalf("splits %d: id %d is %s", S, i, id)
			}
		}
	}
	if !strings.HasPrefix(one[0], "1|-100|") || !strings.HasSuffix(one[0], "|7") || !strings.HasSuffix(one[4999], "|5006") {
		t.Fatalf("first/last rows %q %q", one[0], one[4999])
	}
}

func TestRandomValues(t *testing.T) {
	cfg := mustParse(t, baseOpts())
	g := NewGenerator(cfg, 0, 1)
	c := exec.NewChunk(tys)
	n, _ := g.Next(c)
	var trues int
	seen := map[int64]bool{}
	for r := 0; r < n; r++ {
		if v := c.Cols[2].Int[r]; v < -5 || v > 5 {
			t.Fatalf("i2 %d", v)
		} else {
			seen[v] = true
		}
		if v := c.Cols[3].Int[r]; v < 0 || v > 1_000_000 {
			t.Fatalf("i4 %d", v)
		}
		if v := c.Cols[4].Float[r]; v < -1.5 || v > 1.5 {
			t.Fatalf("r %v", v)
		}
		if v := c.Cols[5].Float[r]; v < 10 || v > 20 {
			t.Fatalf("d %v", v)
		}
		if d := c.Cols[6].Dec[r]; d.Negative || d.Exponent != -3 || d.Cmp(apd.New(100, 0)) > 0 {
			t.Fatalf("n %s", d.String())
		}
		if v := c.Cols[7].Bytes[r]; len(v) != 16 {
			t.Fatalf("v %q", v)
		}
		if c.Cols[8].Bool[r] {
			trues++
		}
		ts := c.Cols[9].Int[r]
		if ts > cfg.BaseTime || ts < cfg.BaseTime-(2*3600+37*60)*1_000_000 {
			t.Fatalf("ts %d", ts)
		}
		if tz := c.Cols[10].Int[r]; tz > cfg.BaseTime || tz < cfg.BaseTime-86_400_000_000 {
			t.Fatalf("tz %d", tz)
		}
		if d := c.Cols[11].Int[r]; d != types.DateFromTimestamp(cfg.BaseTime) && d != types.DateFromTimestamp(cfg.BaseTime)-1 {
			t.Fatalf("date %d", d)
		}
	}
	if len(seen) != 11 || trues < n/3 || trues > 2*n/3 {
		t.Fatalf("poor spread: %d distinct i2, %d/%d true", len(seen), trues, n)
	}
	// Same seed → same values; other seed → other values.
	o := baseOpts()
	o["fields.v.seed"] = "43"
	other := drain(t, NewGenerator(mustParse(t, o), 0, 1))
	same := drain(t, NewGenerator(mustParse(t, baseOpts()), 0, 1))
	first := drain(t, NewGenerator(cfg, 0, 1))
	if strings.Join(first, "\n") != strings.Join(same, "\n") {
		t.Fatal("not deterministic")
	}
	if strings.Split(first[0], "|")[7] == strings.Split(other[0], "|")[7] {
		t.Fatal("seed has no effect")
	}
}

func TestSeekAndTotal(t *testing.T) {
	o := baseOpts()
	o["datagen.rows.total"] = "3000"
	cfg := mustParse(t, o)
	for _, S := range []int{1, 3} {
		for s := 0; s < S; s++ {
			all := drain(t, NewGenerator(cfg, s, S))
			g := NewGenerator(cfg, s, S)
			c := exec.NewChunk(tys)
			g.Next(c)
			h := NewGenerator(cfg, s, S)
			h.Seek(g.Offset())
			rest := drain(t, h)
			if c.N+len(rest) != len(all) || (len(rest) > 0 && rest[0] != all[c.N]) {
				t.Fatalf("%d/%d: resume mismatch", s, S)
			}
		}
	}
	if got := len(drain(t, NewGenerator(cfg, 0, 1))); got != 3000 {
		t.Fatalf("%d rows, want 3000", got)
	}
	// No sequence, no total: unbounded.
	u, err := Parse([]string{"x"}, []types.T{types.TInt8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, b := u.Rows(); b {
		t.Fatal("bounded")
	}
	if u.RowsPerSecond != 10 {
		t.Fatalf("default rate %d", u.RowsPerSecond)
	}
}

type fakeClock struct {
	now   time.Time
	slept int
}

func (f *fakeClock) Now() time.Time        { return f.now }
func (f *fakeClock) Sleep(d time.Duration) { f.slept++; f.now = f.now.Add(d) }

func TestPacing(t *testing.T) {
	cfg, err := Parse([]string{"x"}, []types.T{types.TInt8}, map[string]string{"datagen.rows.per.second": "1000"})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 2; s++ {
		g := NewGenerator(cfg, s, 2)
		clk := &fakeClock{now: time.Unix(0, 0)}
		g.SetClock(clk)
		c := exec.NewChunk([]types.T{types.TInt8})
		rows := 0
		for clk.now.Before(time.Unix(10, 0)) {
			c.Reset()
			n, _ := g.Next(c)
			rows += n
		}
		if rows < 4900 || rows > 5100 || clk.slept == 0 {
			t.Fatalf("split %d: %d rows in 10 s (want ~5000), %d sleeps", s, rows, clk.slept)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		with map[string]string
		code string
		msg  string
	}{
		{map[string]string{"fields.nope.kind": "random"}, "22023", `unknown column "nope"`},
		{map[string]string{"fields.id": "1"}, "42601", "malformed option"},
		{map[string]string{"fields.id.kind": "zigzag"}, "22023", "invalid kind"},
		{map[string]string{"fields.i4.min": "10", "fields.i4.max": "5"}, "22023", "min 10 is greater than max 5"},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "10", "fields.id.end": "5"}, "22023", "start 10 is greater than end 5"},
		{map[string]string{"fields.i2.max": "40000"}, "22023", "between -32768 and 32767"},
		{map[string]string{"fields.i4.min": "abc"}, "22023", "expected an integer"},
		{map[string]string{"fields.id.colour": "red"}, "22023", `unknown parameter "colour"`},
		{map[string]string{"fields.id.length": "3"}, "22023", "applies only to random varchar"},
		{map[string]string{"fields.id.start": "3"}, "22023", "applies only to sequence"},
		{map[string]string{"fields.b.kind": "sequence"}, "22023", "does not support kind 'sequence'"},
		{map[string]string{"fields.v.length": "30"}, "22023", "exceeds the declared width 20"},
		{map[string]string{"fields.ts.max_past": "soon"}, "22023", "expected an interval"},
		{map[string]string{"fields.ts.max_past_mode": "sideways"}, "22023", "absolute"},
		{map[string]string{"datagen.rows.per.second": "fast"}, "22023", "non-negative integer"},
		{map[string]string{"datagen.bogus": "1"}, "22023", "unknown option"},
		{map[string]string{"datagen.split.num": "0"}, "22023", "split.num"},
		{map[string]string{"fields.r.max": "1e300"}, "22023", "out of range for type real"},
		{map[string]string{"fields.n.kind": "sequence", "fields.n.start": "x"}, "22023", "finite number"},
	}
	for _, c := range cases {
		_, err := Parse(cols, tys, c.with)
		e, ok := err.(*types.Error)
		if !ok || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%v: got %v, want %s %q", c.with, err, c.code, c.msg)
		}
	}
	if _, err := Parse([]string{"x"}, []types.T{types.TBytea}, nil); err == nil || err.(*types.Error).Code != "0A000" {
		t.Errorf("bytea: %v", err)
	}
	// Column names and keys are case-insensitive.
	if _, err := Parse([]string{"ID"}, []types.T{types.TInt8}, map[string]string{"FIELDS.id.KIND": "Sequence"}); err != nil {
		t.Error(err)
	}
}

func TestNumericAndFloatSequences(t *testing.T) {
	c, err := Parse([]string{"n", "f"}, []types.T{types.TNumeric, types.TFloat8}, map[string]string{
		"fields.n.kind": "sequence", "fields.n.start": "1.56", "fields.n.end": "4.6",
		"fields.f.kind": "sequence", "fields.f.start": "0.5", "fields.f.end": "100", "datagen.rows.per.second": "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Rows(); n != 4 {
		t.Fatalf("rows %d", n)
	}
	ch := exec.NewChunk([]types.T{types.TNumeric, types.TFloat8})
	n, done := NewGenerator(c, 0, 1).Next(ch)
	if n != 4 || !done || ch.Cols[0].Dec[3].String() != "4.56" || ch.Cols[1].Float[3] != 3.5 {
		t.Fatalf("%d %v %s %v", n, done, ch.Cols[0].Dec[3].String(), ch.Cols[1].Float[3])
	}
}

func BenchmarkDatagen(b *testing.B) {
	cfg, err := Parse([]string{"id", "v", "x"}, []types.T{types.TInt8, types.TText, types.TFloat8},
		map[string]string{"fields.id.kind": "sequence", "fields.id.end": "9223372036854775806", "datagen.rows.per.second": "0"})
	if err != nil {
		b.Fatal(err)
	}
	g := NewGenerator(cfg, 0, 1)
	c := exec.NewChunk([]types.T{types.TInt8, types.TText, types.TFloat8})
	rows := 0
	b.ResetTimer()
	for rows < b.N {
		c.Reset()
		n, _ := g.Next(c)
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(0, "ns/op")
}
