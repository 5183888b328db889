package stream

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/types"
)

var setOpTypes = []types.T{types.TInt8, types.TText}

// setOpRow draws from a small domain (with NULLs) so that both sides
// share rows often.
func setOpRow(r *rand.Rand) []types.Datum {
	return []types.Datum{rInt(r, 3), rText(r)}
}

// TestSetOpDifferential checks, after every random delta on either side,
// that the emitted rows sum to the batch operator's result over the
// current inputs.
func TestSetOpDifferential(t *testing.T) {
	for _, kind := range []SetOpKind{Intersect, Except} {
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/all=%v", kind, all), func(t *testing.T) {
				for seed := int64(1); seed <= 3; seed++ {
					e := newEnv(t, seed)
					op := NewSetOp(6000, setOpTypes, kind, all)
					got := newMset(setOpTypes)
					sides := [2]*gen{
						{ts: setOpTypes, mk: setOpRow, delPct: 35},
						{ts: setOpTypes, mk: setOpRow, delPct: 35},
					}
					bk := batch.Intersect
					if kind == Except {
						bk = batch.Except
					}
					for step := 0; step < 300; step++ {
						p := e.rng.Intn(2)
						if err := op.Push(e.ctx, p, sides[p].next(e.rng, 6), got.apply); err != nil {
							t.Fatalf("seed %d step %d: %v", seed, step, err)
						}
						e.maybeCommit()
						rows := drain(t, batch.NewSetOp(bk, all, batch.NewValues(setOpTypes, sides[0].rows), batch.NewValues(setOpTypes, sides[1].rows)))
						if d := diff(got, msetOf(setOpTypes, rows)); d != "" {
							t.Fatalf("seed %d step %d:\n%s", seed, step, d)
						}
					}
				}
			})
		}
	}
}

func TestSetOpDeleteMissing(t *testing.T) {
	e := newEnv(t, 1)
	op := NewSetOp(6001, setOpTypes, Except, false)
	c := exec.NewChunk(setOpTypes)
	c.AppendDatums([]types.Datum{types.NewInt(1), types.Null})
	c.Ops = []exec.Op{exec.OpDelete}
	discard := func(*exec.Chunk) error { return nil }
	if err := op.Push(e.ctx, 1, c, discard); err == nil {
		t.Fatal("deleting a row never inserted: no error")
	}
}

// TestSetOpLeftRepresentation: rows equal as in DISTINCT but printed
// differently (1.50 and 1.5) come out as the left input has them, as in
// the batch operator, and retractions carry what was emitted.
func TestSetOpLeftRepresentation(t *testing.T) {
	e := newEnv(t, 1)
	ts := []types.T{types.TNumeric}
	num := func(coef int64, exp int32) []types.Datum {
		var d types.Datum
		d.D.SetFinite(coef, exp)
		return []types.Datum{d}
	}
	op := NewSetOp(6002, ts, Intersect, false)
	got := newMset(ts)
	push := func(port int, row []types.Datum, o exec.Op) {
		t.Helper()
		c := exec.NewChunk(ts)
		c.AppendDatums(row)
		c.Ops = []exec.Op{o}
		if err := op.Push(e.ctx, port, c, got.apply); err != nil {
			t.Fatal(err)
		}
	}
	push(1, num(150, -2), exec.OpInsert) // right: 1.50
	push(0, num(15, -1), exec.OpInsert)  // left: 1.5
	if d := diff(got, msetOf(ts, [][]types.Datum{num(15, -1)})); d != "" {
		t.Fatalf("after the left insert:\n%s", d)
	}
	push(1, num(150, -2), exec.OpDelete)
	if d := diff(got, newMset(ts)); d != "" {
		t.Fatalf("after the right delete:\n%s", d)
	}
}
