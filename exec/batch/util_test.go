package batch

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// fmtDatum renders a datum for comparisons in tests.
func fmtDatum(t types.T, d types.Datum) string {
	if d.Null {
		return "NULL"
	}
	switch t.Family.Physical() {
	case types.PhysBool:
		if d.B {
			return "t"
		}
		return "f"
	case types.PhysInt:
		return fmt.Sprint(d.I)
	case types.PhysFloat:
		return fmt.Sprint(d.F)
	case types.PhysDecimal:
		return d.D.Text('f')
	case types.PhysBytes:
		return string(d.S)
	case types.PhysInterval:
		return fmt.Sprintf("%dm%dd%dus", d.Iv.Months, d.Iv.Days, d.Iv.Micros)
	}
	return "?"
}

func fmtRows(ts []types.T, rows [][]types.Datum) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, d := range r {
			parts[j] = fmtDatum(ts[j], d)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

func sorted(s []string) []string {
	s = append([]string{}, s...)
	sort.Strings(s)
	return s
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// drain runs op to completion (checking chunk invariants) and formats its
// rows.
func drain(t testing.TB, op exec.Operator) []string {
	t.Helper()
	rows, err := Drain(&checker{Operator: op, t: t})
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	return fmtRows(op.Types(), rows)
}

// checker verifies that every chunk has at most DefaultChunkSize visible
// rows, the declared number of columns, consistent lengths and layouts.
type checker struct {
	exec.Operator
	t testing.TB
}

func (c *checker) Next() (*exec.Chunk, error) {
	ch, err := c.Operator.Next()
	if ch == nil || err != nil {
		return ch, err
	}
	ts := c.Types()
	if ch.Len() > exec.DefaultChunkSize || ch.Len() == 0 {
		c.t.Fatalf("chunk with %d visible rows", ch.Len())
	}
	if len(ch.Cols) != len(ts) {
		c.t.Fatalf("chunk has %d columns, Types() %d", len(ch.Cols), len(ts))
	}
	for i, v := range ch.Cols {
		if v.Typ.Family.Physical() != ts[i].Family.Physical() {
			c.t.Fatalf("column %d has type %v, Types() says %v", i, v.Typ, ts[i])
		}
		if v.Len() < ch.N {
			c.t.Fatalf("column %d has %d rows, chunk N %d", i, v.Len(), ch.N)
		}
	}
	return ch, nil
}

func checkRows(t testing.TB, op exec.Operator, want []string, ordered bool) {
	t.Helper()
	got := drain(t, op)
	// Operators can run again after Close.
	if again := drain(t, op); !eqStrings(got, again) {
		t.Fatalf("second run differs: %d vs %d rows", len(got), len(again))
	}
	if !ordered {
		got, want = sorted(got), sorted(want)
	}
	if !eqStrings(got, want) {
		if len(got) > 40 || len(want) > 40 {
			t.Fatalf("got %d rows, want %d\ngot  %v\nwant %v", len(got), len(want), head(got), head(want))
		}
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func head(s []string) []string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func I(i int64) types.Datum   { return types.NewInt(i) }
func S(s string) types.Datum  { return types.NewString(s) }
func F(f float64) types.Datum { return types.NewFloat(f) }
func B(b bool) types.Datum    { return types.NewBool(b) }
func N() types.Datum          { return types.Null }
func Dec(s string) types.Datum {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return types.NewDecimal(d)
}

// chunked returns a source producing rows split into chunks of random
// sizes; when withSel is set, every chunk also carries hidden junk rows
// that a selection vector masks out.
func chunked(ts []types.T, rows [][]types.Datum, rnd *rand.Rand, withSel bool) exec.Operator {
	var chunks []*exec.Chunk
	for i := 0; i < len(rows); {
		n := 1 + rnd.Intn(exec.DefaultChunkSize)
		if rnd.Intn(4) == 0 {
			n = exec.DefaultChunkSize
		}
		end := min(len(rows), i+n)
		c := exec.NewChunk(ts)
		for _, r := range rows[i:end] {
			if withSel && rnd.Intn(3) == 0 {
				c.AppendDatums(junkRow(ts, rnd))
			}
			c.Sel = append(c.Sel, c.N)
			c.AppendDatums(r)
		}
		if withSel {
			c.AppendDatums(junkRow(ts, rnd))
		} else {
			c.Sel = nil
		}
		chunks = append(chunks, c)
		i = end
	}
	// The chunks must survive as given, so copy Sel (AppendDatums does not
	// touch it, but SetLen would).
	return NewChunkSource(ts, chunks)
}

func junkRow(ts []types.T, rnd *rand.Rand) []types.Datum {
	r := make([]types.Datum, len(ts))
	for i, t := range ts {
		switch t.Family.Physical() {
		case types.PhysInt:
			r[i] = I(-999999)
		case types.PhysBytes:
			r[i] = S("JUNK")
		case types.PhysFloat:
			r[i] = F(-999999)
		case types.PhysBool:
			r[i] = B(true)
		default:
			r[i] = N()
		}
	}
	return r
}

// ---- tiny test-only expressions ----

// cmpOp compares two columns (or a column and a constant) with SQL NULL
// semantics.
type cmpOp struct {
	op   string // "=", "<", ">", "<>", "<="
	a, b exec.Expr
	out  *exec.Vec
}

func (e *cmpOp) Type() types.T  { return types.TBool }
func (e *cmpOp) String() string { return fmt.Sprintf("(%s %s %s)", e.a, e.op, e.b) }
func (e *cmpOp) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	av, err := e.a.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	bv, err := e.b.Eval(ec, c)
	if err != nil {
		return nil, err
	}
	if e.out == nil {
		e.out = exec.NewVec(types.TBool, 0)
	}
	e.out.Reset()
	e.out.Resize(c.N)
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		if av.Nulls.IsNull(r) || bv.Nulls.IsNull(r) {
			e.out.Nulls.SetNull(r)
			continue
		}
		x := cmpVals(av, r, bv, r)
		var b bool
		switch e.op {
		case "=":
			b = x == 0
		case "<":
			b = x < 0
		case ">":
			b = x > 0
		case "<>":
			b = x != 0
		case "<=":
			b = x <= 0
		}
		e.out.Bool[r] = b
	}
	return e.out, nil
}

// andOp is a three-valued AND of two boolean expressions.
type andOp struct {
	a, b exec.Expr
	out  *exec.Vec
}

func (e *andOp) Type() types.T  { return types.TBool }
func (e *andOp) String() string { return "and" }
func (e *andOp) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	av, _ := e.a.Eval(ec, c)
	bv, _ := e.b.Eval(ec, c)
	if e.out == nil {
		e.out = exec.NewVec(types.TBool, 0)
	}
	e.out.Reset()
	e.out.Resize(c.N)
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		an, bn := av.Nulls.IsNull(r), bv.Nulls.IsNull(r)
		af, bf := !an && !av.Bool[r], !bn && !bv.Bool[r]
		switch {
		case af || bf:
			e.out.Bool[r] = false
		case an || bn:
			e.out.Nulls.SetNull(r)
		default:
			e.out.Bool[r] = true
		}
	}
	return e.out, nil
}

func col(i int, t types.T) exec.Expr           { return &exec.ColRef{Idx: i, Typ: t} }
func cnst(d types.Datum, t types.T) exec.Expr  { return &exec.Const{Val: d, Typ: t} }
func cmpE(op string, a, b exec.Expr) exec.Expr { return &cmpOp{op: op, a: a, b: b} }

var ec = &exec.EvalCtx{}

func nan() float64 { z := 0.0; return z / z }
