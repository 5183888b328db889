package scalar

import (
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

func benchChunk(nulls bool) *exec.Chunk {
	c := exec.NewChunk([]types.T{types.TInt8, types.TInt8})
	c.SetLen(exec.DefaultChunkSize)
	for i := 0; i < c.N; i++ {
		c.Cols[0].Int[i] = int64(i)
		c.Cols[1].Int[i] = int64(3 * i)
		if nulls && i%7 == 0 {
			c.Cols[1].Nulls.SetNull(i)
		}
	}
	return c
}

func benchExpr(b *testing.B, name string, nulls bool, sel bool) {
	c := benchChunk(nulls)
	if sel {
		for i := 0; i < c.N; i += 2 {
			c.Sel = append(c.Sel, i)
		}
	}
	e, err := MakeCall(name, &exec.ColRef{Idx: 0, Typ: types.TInt8}, &exec.ColRef{Idx: 1, Typ: types.TInt8})
	if err != nil {
		b.Fatal(err)
	}
	ec := &exec.EvalCtx{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Eval(ec, c); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(c.N) * 8)
}

func BenchmarkInt64Add(b *testing.B)       { benchExpr(b, "+", false, false) }
func BenchmarkInt64AddNulls(b *testing.B)  { benchExpr(b, "+", true, false) }
func BenchmarkInt64AddSel(b *testing.B)    { benchExpr(b, "+", false, true) }
func BenchmarkInt64Less(b *testing.B)      { benchExpr(b, "<", false, false) }
func BenchmarkInt64LessNulls(b *testing.B) { benchExpr(b, "<", true, false) }
func BenchmarkInt64Mul(b *testing.B)       { benchExpr(b, "*", false, false) }
func BenchmarkInt64AndCompare(b *testing.B) {
	c := benchChunk(false)
	col0, col1 := &exec.ColRef{Idx: 0, Typ: types.TInt8}, &exec.ColRef{Idx: 1, Typ: types.TInt8}
	l, _ := MakeCall(">", col0, &exec.Const{Val: types.NewInt(100), Typ: types.TInt8})
	r, _ := MakeCall("<", col1, &exec.Const{Val: types.NewInt(2000), Typ: types.TInt8})
	e := NewAnd(l, r)
	ec := &exec.EvalCtx{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Eval(ec, c); err != nil {
			b.Fatal(err)
		}
	}
}
