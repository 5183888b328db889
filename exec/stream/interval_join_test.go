package stream

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// bandExpr is #l >= #r + lo AND #l <= #r + hi over int columns.
type bandExpr struct{ l, r, lo, hi int }

func (e *bandExpr) Type() types.T { return types.TBool }
func (e *bandExpr) Eval(_ *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	out := exec.NewVec(types.TBool, c.N)
	vl, vr := c.Cols[e.l], c.Cols[e.r]
	for k := 0; k < c.Len(); k++ {
		r := c.Row(k)
		if vl.Nulls.IsNull(r) || vr.Nulls.IsNull(r) {
			out.Nulls.SetNull(r)
			continue
		}
		out.Bool[r] = vl.Int[r] >= vr.Int[r]+int64(e.lo) && vl.Int[r] <= vr.Int[r]+int64(e.hi)
	}
	return out, nil
}
func (e *bandExpr) String() string { return fmt.Sprintf("#%d in #%d + [%d, %d]", e.l, e.r, e.lo, e.hi) }

// TestIntervalJoinRandom streams rows with advancing times and watermarks
// into both sides of an interval join (inserts and deletes at or above
// the watermarks): the output always equals the batch join of the live
// rows, every output row respects the watermarks the join emitted before
// it, and the state stays far below the number of rows streamed.
func TestIntervalJoinRandom(t *testing.T) {
	ts := []types.T{types.TInt4, types.TInt8}
	for seed := int64(0); seed < 12; seed++ {
		e := newEnv(t, seed)
		lo, hi := -e.rng.Intn(8), e.rng.Intn(5)
		op := NewHashJoin(3000, ts, ts, []int{0}, []int{0}, Inner, &bandExpr{l: 1, r: 3, lo: lo, hi: hi})
		op.SetIntervalBounds(IntervalBounds{LeftCol: 1, RightCol: 1, Lo: int64(lo), Hi: int64(hi), HasLo: true, HasHi: true})
		got := newMset(op.Types())
		outWM := map[int]int64{}
		check := func(c *exec.Chunk) error {
			for k := 0; k < c.Len(); k++ {
				r := c.Row(k)
				for col, w := range outWM {
					if v := c.Cols[col].Get(r); !v.Null && v.I < w {
						return fmt.Errorf("output row with column %d = %d below the emitted watermark %d", col, v.I, w)
					}
				}
			}
			return got.apply(c)
		}
		var live [2][][]types.Datum
		var maxTS, wm [2]int64
		wm = [2]int64{-1 << 40, -1 << 40}
		streamed := 0
		for step := 0; step < 400; step++ {
			p := e.rng.Intn(2)
			c := exec.NewChunk(ts)
			for k := 1 + e.rng.Intn(3); k > 0; k-- {
				if len(live[p]) > 0 && e.rng.Intn(4) == 0 {
					j := e.rng.Intn(len(live[p]))
					if row := live[p][j]; row[1].Null || row[1].I >= wm[p] {
						c.AppendDatums(row)
						c.Ops = append(c.Ops, exec.OpDelete)
						live[p] = append(live[p][:j], live[p][j+1:]...)
						continue
					}
				}
				v := types.NewInt(max(wm[p], maxTS[p]-3) + int64(e.rng.Intn(5)))
				if e.rng.Intn(20) == 0 {
					v = types.Null
				}
				row := []types.Datum{types.NewInt(int64(e.rng.Intn(3))), v}
				c.AppendDatums(row)
				c.Ops = append(c.Ops, exec.OpInsert)
				live[p] = append(live[p], row)
				streamed++
				if !v.Null {
					maxTS[p] = max(maxTS[p], v.I)
				}
			}
			if err := op.Push(e.ctx, p, c, check); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			if nw := maxTS[p] - int64(e.rng.Intn(4)); nw > wm[p] {
				wm[p] = nw
				out, err := op.OnWatermark(e.ctx, p, Watermark{Col: 1, Val: types.NewInt(nw)}, check)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range out {
					outWM[w.Col] = w.Val.I
				}
			}
			e.maybeCommit()
			want := newMset(op.Types())
			for _, l := range live[0] {
				for _, r := range live[1] {
					if l[0].I == r[0].I && !l[1].Null && !r[1].Null && l[1].I >= r[1].I+int64(lo) && l[1].I <= r[1].I+int64(hi) {
						if err := want.add(append(append([]types.Datum{}, l...), r...), 1); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if d := diff(got, want); d != "" {
				t.Fatalf("seed %d step %d (lo %d hi %d):\n%s", seed, step, lo, hi, d)
			}
		}
		if len(outWM) != 2 {
			t.Fatalf("seed %d: the join emitted watermarks on %d output columns, want 2", seed, len(outWM))
		}
		keys := 0
		p := state.TablePrefix(3000)
		it, err := e.ctx.State.NewIter(p, state.PrefixEnd(p))
		if err != nil {
			t.Fatal(err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			keys++
		}
		it.Close()
		if keys == 0 || keys > streamed/4 {
			t.Fatalf("seed %d: %d state keys after %d rows streamed", seed, keys, streamed)
		}
	}
}
