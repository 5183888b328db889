package stream

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/tables"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// TestLookupJoinRandom drives a lookup join over a retractable left input
// while the looked-up table changes: every insert joins with the table as
// it is at that moment (a model decides what is expected), and every
// delete retracts exactly an output its left row produced earlier, never
// what the table holds now. Left and inner joins, with a residual.
func TestLookupJoinRandom(t *testing.T) {
	for _, left := range []bool{false, true} {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("left=%v/seed=%d", left, seed), func(t *testing.T) {
				testLookupJoin(t, seed, left)
			})
		}
	}
}

func testLookupJoin(t *testing.T, seed int64, leftJoin bool) {
	e := newEnv(t, seed)
	const tableID = 500
	lt := []types.T{types.TInt8, types.TInt4} // (id, key)
	rt := []types.T{types.TInt4, types.TText} // (k PRIMARY KEY, v)
	pkTypes := []types.T{types.TInt4}
	keys := []exec.Expr{&exec.ColRef{Idx: 1, Typ: types.TInt4}}
	// residual: v <> 'x'
	ne, _, err := scalar.Resolve("<>", []types.T{types.TText, types.TText})
	if err != nil {
		t.Fatal(err)
	}
	residual := scalar.NewFunc(ne, []exec.Expr{&exec.ColRef{Idx: 3, Typ: types.TText}, &exec.Const{Val: types.NewString("x"), Typ: types.TText}})
	j := NewLookupJoin(lt, rt, keys, tableID, pkTypes, leftJoin, residual)
	j.SetRetractable(501)
	outTs := append(append([]types.T(nil), lt...), rt...)
	got := newMset(outTs)
	table := map[int64]string{}
	setRow := func(k int64, v string, del bool) {
		key := tables.PKKey(nil, tableID, pkTypes, []types.Datum{types.NewInt(k)})
		if del {
			delete(table, k)
			if err := e.b.Delete(key); err != nil {
				t.Fatal(err)
			}
			return
		}
		table[k] = v
		if err := e.b.Set(key, state.AppendRow(nil, rt, []types.Datum{types.NewInt(k), types.NewString(v)})); err != nil {
			t.Fatal(err)
		}
	}
	// produced[id] are the outputs of the live copies of left row (id, key).
	produced := map[[2]int64][][]types.Datum{}
	var live [][2]int64
	for step := 0; step < 400; step++ {
		switch e.rng.Intn(3) {
		case 0: // change the table
			k := int64(e.rng.Intn(5))
			vals := []string{"a", "b", "x", "c"}
			setRow(k, vals[e.rng.Intn(len(vals))], e.rng.Intn(4) == 0)
		default:
			c := exec.NewChunk(lt)
			var want [][]types.Datum
			for n := e.rng.Intn(6) + 1; n > 0; n-- {
				if len(live) > 0 && e.rng.Intn(3) == 0 {
					i := e.rng.Intn(len(live))
					l := live[i]
					live = append(live[:i], live[i+1:]...)
					c.AppendDatums([]types.Datum{types.NewInt(l[0]), types.NewInt(l[1])})
					c.Ops = append(c.Ops, exec.OpDelete)
					continue
				}
				l := [2]int64{int64(e.rng.Intn(4)), int64(e.rng.Intn(6))}
				live = append(live, l)
				c.AppendDatums([]types.Datum{types.NewInt(l[0]), types.NewInt(l[1])})
				c.Ops = append(c.Ops, exec.OpInsert)
				row := []types.Datum{types.NewInt(l[0]), types.NewInt(l[1]), types.Null, types.Null}
				v, ok := table[l[1]]
				if ok && v != "x" {
					row[2], row[3] = types.NewInt(l[1]), types.NewString(v)
				} else if !leftJoin {
					row = nil
				}
				produced[l] = append(produced[l], row)
				if row != nil {
					want = append(want, row)
				}
			}
			var ins [][]types.Datum
			err := j.Push(e.ctx, 0, c, func(out *exec.Chunk) error {
				for k := 0; k < out.Len(); k++ {
					r := out.Row(k)
					row := rowOf(out, r, nil)
					for i := range row {
						row[i] = row[i].Copy()
					}
					if Sign(out, r) > 0 {
						ins = append(ins, row)
						continue
					}
					// A delete must be an output its left row produced.
					l := [2]int64{row[0].I, row[1].I}
					found := false
					for i, p := range produced[l] {
						if p != nil && string(state.AppendRow(nil, outTs, p)) == string(state.AppendRow(nil, outTs, row)) {
							produced[l] = append(produced[l][:i], produced[l][i+1:]...)
							found = true
							break
						}
					}
					if !found {
						return fmt.Errorf("step %d: retracted %s, never produced for its left row", step, fmtRow(outTs, row))
					}
				}
				return got.apply(out)
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(msetOf(outTs, ins), msetOf(outTs, want)); d != "" {
				t.Fatalf("step %d: inserts differ from the table's rows now:\n%s", step, d)
			}
		}
		e.maybeCommit()
	}
	// Deleting every live row empties the output.
	c := exec.NewChunk(lt)
	for _, l := range live {
		c.AppendDatums([]types.Datum{types.NewInt(l[0]), types.NewInt(l[1])})
		c.Ops = append(c.Ops, exec.OpDelete)
	}
	if err := j.Push(e.ctx, 0, c, got.apply); err != nil {
		t.Fatal(err)
	}
	if len(got.cnt) != 0 {
		t.Fatalf("%d output rows left after deleting every input row", len(got.cnt))
	}
}
