package stream

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// env is an in-memory store with a current indexed batch used as State;
// maybeCommit commits it now and then, so operators read both committed
// state and their batch's own writes.
type env struct {
	t     testing.TB
	rng   *rand.Rand
	store *state.Store
	b     *state.Batch
	ctx   *Ctx
}

func newEnv(t testing.TB, seed int64) *env {
	s, err := state.Open("", state.Options{InMemory: true, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, rng: rand.New(rand.NewSource(seed)), store: s}
	e.b = s.NewBatch()
	e.ctx = &Ctx{EC: &exec.EvalCtx{}, State: NewBatchState(e.b)}
	t.Cleanup(func() {
		e.b.Close()
		s.Close()
	})
	return e
}

func (e *env) maybeCommit() {
	if e.rng.Intn(4) != 0 {
		return
	}
	if err := e.b.Commit(false); err != nil {
		e.t.Fatal(err)
	}
	e.b = e.store.NewBatch()
	e.ctx.State = NewBatchState(e.b)
}

// mset is a multiset of rows keyed by their exact value encoding.
type mset struct {
	ts   []types.T
	cnt  map[string]int64
	rows map[string][]types.Datum
}

func newMset(ts []types.T) *mset {
	return &mset{ts: ts, cnt: map[string]int64{}, rows: map[string][]types.Datum{}}
}

func (m *mset) add(row []types.Datum, s int64) error {
	canon := make([]types.Datum, len(row))
	for i, d := range row {
		if d.F != d.F { // NaN payloads differ; PostgreSQL has one NaN
			d.F = nan
		}
		canon[i] = d
	}
	k := string(state.AppendRow(nil, m.ts, canon))
	m.cnt[k] += s
	switch n := m.cnt[k]; {
	case n < 0:
		return fmt.Errorf("output multiset: negative count for %s", fmtRow(m.ts, row))
	case n == 0:
		delete(m.cnt, k)
		delete(m.rows, k)
	default:
		if _, ok := m.rows[k]; !ok {
			cp := make([]types.Datum, len(row))
			for i, d := range row {
				cp[i] = copyDatum(d)
			}
			m.rows[k] = cp
		}
	}
	return nil
}

// apply folds a delta chunk into m.
func (m *mset) apply(c *exec.Chunk) error {
	if len(c.Cols) != len(m.ts) {
		return fmt.Errorf("delta has %d columns, want %d", len(c.Cols), len(m.ts))
	}
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		if c.Ops != nil && c.Ops[r] != exec.OpInsert && c.Ops[r] != exec.OpDelete {
			return fmt.Errorf("output op %d not normalised", c.Ops[r])
		}
		if err := m.add(rowOf(c, r, nil), Sign(c, r)); err != nil {
			return err
		}
	}
	return nil
}

func msetOf(ts []types.T, rows [][]types.Datum) *mset {
	m := newMset(ts)
	for _, r := range rows {
		m.add(r, 1)
	}
	return m
}

func fmtRow(ts []types.T, row []types.Datum) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for i, d := range row {
		if i > 0 {
			sb.WriteString(", ")
		}
		if d.Null {
			sb.WriteString("NULL")
		} else {
			sb.Write(types.AppendText(nil, ts[i], d))
		}
	}
	sb.WriteByte(')')
	return sb.String()
}

// diff describes the differences between got and want ("" if equal).
func diff(got, want *mset) string {
	var out []string
	for k, n := range want.cnt {
		if got.cnt[k] != n {
			out = append(out, fmt.Sprintf("want %s ×%d, got ×%d", fmtRow(want.ts, want.rows[k]), n, got.cnt[k]))
		}
	}
	for k, n := range got.cnt {
		if _, ok := want.cnt[k]; !ok {
			out = append(out, fmt.Sprintf("unexpected %s ×%d", fmtRow(got.ts, got.rows[k]), n))
		}
	}
	sort.Strings(out)
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("... %d more", len(out)-12))
	}
	return strings.Join(out, "\n")
}

// gen produces random deltas over a current multiset of input rows.
type gen struct {
	ts     []types.T
	rows   [][]types.Datum
	mk     func(r *rand.Rand) []types.Datum
	delPct int
	// insertOnly makes every visible row an insert (append-only input).
	insertOnly bool
}

// next returns a delta of 1..maxN visible rows (inserts of new or duplicate
// rows, deletes of current rows), sometimes with hidden junk rows behind a
// selection vector, and applies it to g.rows.
func (g *gen) next(rng *rand.Rand, maxN int) *exec.Chunk {
	if rng.Intn(30) == 0 && !g.insertOnly {
		g.delPct = []int{10, 35, 50, 75}[rng.Intn(4)]
	}
	n := 1 + rng.Intn(maxN)
	c := exec.NewChunk(g.ts)
	var ops []exec.Op
	var sel []int
	useSel := rng.Intn(4) == 0
	allIns := true
	for i := 0; i < n; i++ {
		if useSel && rng.Intn(3) == 0 {
			c.AppendDatums(g.mk(rng)) // hidden: must be ignored
			ops = append(ops, exec.OpDelete)
		}
		var row []types.Datum
		var op exec.Op
		switch {
		case len(g.rows) > 0 && rng.Intn(100) < g.delPct:
			j := rng.Intn(len(g.rows))
			row = g.rows[j]
			g.rows[j] = g.rows[len(g.rows)-1]
			g.rows = g.rows[:len(g.rows)-1]
			op = exec.OpDelete
			if rng.Intn(2) == 0 {
				op = exec.OpUpdateDelete
			}
			allIns = false
		case len(g.rows) > 0 && rng.Intn(4) == 0:
			row = g.rows[rng.Intn(len(g.rows))]
			g.rows = append(g.rows, row)
		default:
			row = g.mk(rng)
			g.rows = append(g.rows, row)
		}
		if op == exec.OpInsert && rng.Intn(2) == 0 && !g.insertOnly {
			op = exec.OpUpdateInsert
			allIns = false
		}
		if useSel {
			sel = append(sel, c.N)
		}
		c.AppendDatums(row)
		ops = append(ops, op)
	}
	c.Ops = ops
	if useSel {
		if sel == nil {
			sel = []int{}
		}
		c.Sel = sel
		allIns = false
	}
	if allIns && rng.Intn(3) == 0 {
		c.Ops = nil
	}
	return c
}

// Random datums: small domains so that groups, join keys and duplicates
// collide often; NULLs one time in eight.

func nullish(r *rand.Rand) bool { return r.Intn(8) == 0 }

func rInt(r *rand.Rand, n int) types.Datum {
	if nullish(r) {
		return types.Null
	}
	return types.NewInt(int64(r.Intn(n)))
}

var words = []string{"", "a", "b", "ab", "ba", "abc", "z"}

func rText(r *rand.Rand) types.Datum {
	if nullish(r) {
		return types.Null
	}
	return types.NewString(words[r.Intn(len(words))])
}

func rBool(r *rand.Rand) types.Datum {
	if nullish(r) {
		return types.Null
	}
	return types.NewBool(r.Intn(2) == 0)
}

// rFloat: multiples of 0.5 (exact sums), rarely ±Inf or NaN.
func rFloat(r *rand.Rand) types.Datum {
	if nullish(r) {
		return types.Null
	}
	switch r.Intn(60) {
	case 0:
		return types.NewFloat(posInf)
	case 1:
		return types.NewFloat(-posInf)
	case 2:
		return types.NewFloat(nan)
	}
	return types.NewFloat(float64(r.Intn(21)-10) / 2)
}

var posInf, nan = func() (float64, float64) {
	z := 0.0
	return 1 / z, z / z
}()

// rNumeric: k/4 with a scale that depends only on the value (so equal
// values have one representation): integers scale 0, halves 1, else 2.
func rNumeric(r *rand.Rand) types.Datum {
	if nullish(r) {
		return types.Null
	}
	k := int64(r.Intn(41) - 20)
	var d types.Datum
	switch {
	case k%4 == 0:
		d.D.SetFinite(k/4, 0)
	case k%2 == 0:
		d.D.SetFinite(k/2*5, -1)
	default:
		d.D.SetFinite(k*25, -2)
	}
	return d
}

func rInterval(r *rand.Rand) types.Datum {
	if nullish(r) {
		return types.Null
	}
	return types.NewInterval(types.IntervalValue{Days: int32(r.Intn(4)), Micros: int64(r.Intn(5)) * 1_000_000})
}

// sortRowsBy sorts rows by the memcomparable encoding of cols.
func sortRowsBy(ts []types.T, rows [][]types.Datum, cols []int) [][]types.Datum {
	out := append([][]types.Datum(nil), rows...)
	key := func(row []types.Datum) string {
		var b []byte
		for _, c := range cols {
			b = state.AppendKey(b, ts[c], row[c], false)
		}
		return string(b)
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func drain(t testing.TB, op exec.Operator) [][]types.Datum {
	rows, err := batch.Drain(op)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
