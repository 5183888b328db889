package stream

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/types"
)

// leExpr is #a <= #b over int columns (NULL if either is NULL).
type leExpr struct{ a, b int }

func (e *leExpr) Type() types.T { return types.TBool }
func (e *leExpr) Eval(_ *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	out := exec.NewVec(types.TBool, c.N)
	va, vb := c.Cols[e.a], c.Cols[e.b]
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		if va.Nulls.IsNull(r) || vb.Nulls.IsNull(r) {
			out.Nulls.SetNull(r)
			continue
		}
		out.Bool[r] = va.Int[r] <= vb.Int[r]
	}
	return out, nil
}
func (e *leExpr) String() string { return fmt.Sprintf("#%d <= #%d", e.a, e.b) }

var (
	jlTypes = []types.T{types.TInt4, types.TText, types.TInt8}
	jrTypes = []types.T{types.TInt4, types.TInt8, types.TText}
)

func jlRow(r *rand.Rand) []types.Datum { return []types.Datum{rInt(r, 5), rText(r), rInt(r, 4)} }
func jrRow(r *rand.Rand) []types.Datum { return []types.Datum{rInt(r, 5), rInt(r, 4), rText(r)} }

func TestHashJoinDifferential(t *testing.T) {
	kinds := []struct {
		k JoinKind
		b batch.JoinType
	}{{Inner, batch.InnerJoin}, {Left, batch.LeftJoin}, {Right, batch.RightJoin},
		{Full, batch.FullJoin}, {Semi, batch.SemiJoin}, {Anti, batch.AntiJoin}}
	for _, kd := range kinds {
		for _, withRes := range []bool{false, true} {
			for _, twoKeys := range []bool{false, true} {
				name := fmt.Sprintf("%v/res=%v/two=%v", kd.b, withRes, twoKeys)
				t.Run(name, func(t *testing.T) {
					lk, rk := []int{0}, []int{0}
					if twoKeys {
						lk, rk = []int{0, 1}, []int{0, 2}
					}
					var res func() exec.Expr
					if withRes {
						res = func() exec.Expr { return &leExpr{a: 2, b: 3 + 1} }
					}
					testJoin(t, int64(kd.k)*10+3, kd.k, kd.b, lk, rk, res, 120)
				})
			}
		}
	}
}

func testJoin(t *testing.T, seed int64, kind JoinKind, bk batch.JoinType, lk, rk []int, res func() exec.Expr, steps int) {
	e := newEnv(t, seed)
	var r1, r2 exec.Expr
	if res != nil {
		r1, r2 = res(), res()
	}
	op := NewHashJoin(3000, jlTypes, jrTypes, lk, rk, kind, r1)
	got := newMset(op.Types())
	gl := &gen{ts: jlTypes, mk: jlRow, delPct: 35}
	gr := &gen{ts: jrTypes, mk: jrRow, delPct: 35}
	for step := 0; step < steps; step++ {
		port := e.rng.Intn(2)
		var c *exec.Chunk
		if port == 0 {
			c = gl.next(e.rng, 6)
		} else {
			c = gr.next(e.rng, 6)
		}
		if err := op.Push(e.ctx, port, c, got.apply); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		e.maybeCommit()
		bj := batch.NewHashJoin(batch.NewValues(jlTypes, gl.rows), batch.NewValues(jrTypes, gr.rows), lk, rk, bk, r2, &exec.EvalCtx{})
		want := msetOf(op.Types(), drain(t, bj))
		if d := diff(got, want); d != "" {
			t.Fatalf("seed %d step %d (%d left, %d right rows):\n%s", seed, step, len(gl.rows), len(gr.rows), d)
		}
	}
}
