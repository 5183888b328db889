package scalar

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// nl marks a NULL cell in test tables.
type nullT struct{}

var nl = nullT{}

func datumOf(t types.T, v any) types.Datum {
	switch x := v.(type) {
	case nullT, nil:
		return types.Null
	case bool:
		return types.NewBool(x)
	case int:
		if t.Family == types.Float64 || t.Family == types.Float32 {
			return types.NewFloat(float64(x))
		}
		return types.NewInt(int64(x))
	case int64:
		return types.NewInt(x)
	case float64:
		return types.NewFloat(x)
	case string:
		if t.Family == types.Text || t.Family == types.Unknown || t.Family == types.Bytea || t.Family == types.Jsonb {
			return types.NewString(x)
		}
		d, err := types.ParseText(t, x)
		if err != nil {
			panic(err)
		}
		return d
	case types.IntervalValue:
		return types.NewInterval(x)
	}
	panic("bad test value")
}

// mkChunk builds a chunk from columns of values.
func mkChunk(ts []types.T, cols ...[]any) *exec.Chunk {
	c := exec.NewChunk(ts)
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	for r := 0; r < n; r++ {
		row := make([]types.Datum, len(ts))
		for i := range ts {
			row[i] = datumOf(ts[i], cols[i][r])
		}
		c.AppendDatums(row)
	}
	return c
}

func col(i int, t types.T) exec.Expr { return &exec.ColRef{Idx: i, Typ: t} }

func konst(t types.T, v any) exec.Expr { return &exec.Const{Val: datumOf(t, v), Typ: t} }

func lit(s string) exec.Expr { return &exec.Const{Val: types.NewString(s), Typ: types.TUnknown} }

func nullLit() exec.Expr { return &exec.Const{Val: types.Null, Typ: types.TUnknown} }

func newEC() *exec.EvalCtx {
	return &exec.EvalCtx{Ctx: context.Background(), Now: time.Date(2024, 3, 15, 12, 30, 45, 123456000, time.UTC)}
}

// render turns visible row values into strings ("NULL" for NULL).
func render(v *exec.Vec, c *exec.Chunk) []string {
	var out []string
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		d := v.Get(r)
		if d.Null {
			out = append(out, "NULL")
			continue
		}
		if v.Typ.Family == types.Bool {
			if d.B {
				out = append(out, "t")
			} else {
				out = append(out, "f")
			}
			continue
		}
		out = append(out, string(types.AppendText(nil, v.Typ, d)))
	}
	return out
}

func call(t *testing.T, name string, args ...exec.Expr) exec.Expr {
	t.Helper()
	e, err := MakeCall(name, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func evalStrs(t *testing.T, e exec.Expr, c *exec.Chunk) []string {
	t.Helper()
	v, err := e.Eval(newEC(), c)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	if v.Len() != c.N {
		t.Fatalf("%s: result length %d, chunk %d", e, v.Len(), c.N)
	}
	return render(v, c)
}

func eq(a, b []string) bool {
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

func expectRows(t *testing.T, e exec.Expr, c *exec.Chunk, want ...string) {
	t.Helper()
	got := evalStrs(t, e, c)
	if !eq(got, want) {
		t.Errorf("%s: got %q, want %q", e, got, want)
	}
}

func expectErr(t *testing.T, e exec.Expr, c *exec.Chunk, code, msg string) {
	t.Helper()
	_, err := e.Eval(newEC(), c)
	var te *types.Error
	if !errors.As(err, &te) {
		t.Errorf("%s: want error %s %q, got %v", e, code, msg, err)
		return
	}
	if te.Code != code || (msg != "" && te.Message != msg) {
		t.Errorf("%s: got error %s %q, want %s %q", e, te.Code, te.Message, code, msg)
	}
}

// one is a one-row chunk with no columns, for constant expressions.
func one() *exec.Chunk { return &exec.Chunk{N: 1} }

// sq evaluates a scalar expression built from literals, returning its text.
func sq(t *testing.T, e exec.Expr) string {
	t.Helper()
	return evalStrs(t, e, one())[0]
}
