package stream

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// gtExpr is col > k (NULL when col is NULL): a tiny test expression.
type gtExpr struct {
	col int
	k   int64
	out *exec.Vec
}

func (e *gtExpr) Type() types.T { return types.TBool }
func (e *gtExpr) Eval(_ *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	e.out = exec.NewVec(types.TBool, c.N)
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		v := c.Cols[e.col]
		if v.Nulls.IsNull(r) {
			e.out.Nulls.SetNull(r)
			continue
		}
		e.out.Bool[r] = v.Int[r] > e.k
	}
	return e.out, nil
}
func (e *gtExpr) String() string { return fmt.Sprintf("#%d > %d", e.col, e.k) }

// addExpr is col + k.
type addExpr struct {
	col int
	k   int64
}

func (e *addExpr) Type() types.T { return types.TInt8 }
func (e *addExpr) Eval(_ *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	out := exec.NewVec(types.TInt8, c.N)
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		v := c.Cols[e.col]
		if v.Nulls.IsNull(r) {
			out.Nulls.SetNull(r)
			continue
		}
		out.Int[r] = v.Int[r] + e.k
	}
	return out, nil
}
func (e *addExpr) String() string { return fmt.Sprintf("#%d + %d", e.col, e.k) }

var ftTypes = []types.T{types.TInt4, types.TText, types.TInt8}

func ftRow(r *rand.Rand) []types.Datum { return []types.Datum{rInt(r, 6), rText(r), rInt(r, 4)} }

// TestFilterProjectMaterialize pushes random deltas through
// Filter(#0 > 2) → Project(#2 + 1, #1, #0) → Materialize and compares both
// the emitted deltas and the view read back by NewMaterializedScan with the
// naive query over the current input.
func TestFilterProjectMaterialize(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		e := newEnv(t, seed)
		filter := NewFilter(&gtExpr{col: 0, k: 2}).SetTypes(ftTypes)
		proj := NewProject([]exec.Expr{&addExpr{col: 2, k: 1}, &exec.ColRef{Idx: 1, Typ: types.TText}, &exec.ColRef{Idx: 0, Typ: types.TInt4}})
		mat := NewMaterialize(2000, proj.Types())
		got := newMset(proj.Types())
		g := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
		for step := 0; step < 300; step++ {
			c := g.next(e.rng, 20)
			err := filter.Push(e.ctx, 0, c, func(fc *exec.Chunk) error {
				return proj.Push(e.ctx, 0, fc, func(pc *exec.Chunk) error {
					return mat.Push(e.ctx, 0, pc, got.apply)
				})
			})
			if err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			e.maybeCommit()
			want := newMset(proj.Types())
			for _, r := range g.rows {
				if !r[0].Null && r[0].I > 2 {
					x := types.Null
					if !r[2].Null {
						x = types.NewInt(r[2].I + 1)
					}
					want.add([]types.Datum{x, r[1], r[0]}, 1)
				}
			}
			if d := diff(got, want); d != "" {
				t.Fatalf("seed %d step %d deltas:\n%s", seed, step, d)
			}
			if step%10 == 0 {
				view := msetOf(mat.Types(), drain(t, NewMaterializedScan(e.b, 2000, mat.Types())))
				if d := diff(view, want); d != "" {
					t.Fatalf("seed %d step %d scan:\n%s", seed, step, d)
				}
			}
		}
	}
}

func TestUnionAll(t *testing.T) {
	e := newEnv(t, 1)
	u := NewUnionAll(ftTypes)
	got := newMset(ftTypes)
	g1 := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
	g2 := &gen{ts: ftTypes, mk: ftRow, delPct: 35}
	for step := 0; step < 100; step++ {
		if err := u.Push(e.ctx, 0, g1.next(e.rng, 10), got.apply); err != nil {
			t.Fatal(err)
		}
		if err := u.Push(e.ctx, 1, g2.next(e.rng, 10), got.apply); err != nil {
			t.Fatal(err)
		}
		want := msetOf(ftTypes, append(append([][]types.Datum{}, g1.rows...), g2.rows...))
		if d := diff(got, want); d != "" {
			t.Fatalf("step %d:\n%s", step, d)
		}
	}
}

// TestMaterializeDeleteMissing checks that a delete of an absent row fails.
func TestMaterializeDeleteMissing(t *testing.T) {
	e := newEnv(t, 1)
	m := NewMaterialize(2000, ftTypes)
	c := exec.NewChunk(ftTypes)
	c.AppendDatums([]types.Datum{types.NewInt(1), types.NewString("a"), types.Null})
	c.Ops = []exec.Op{exec.OpDelete}
	if err := m.Push(e.ctx, 0, c, nil); err == nil {
		t.Fatal("expected an error")
	}
}
