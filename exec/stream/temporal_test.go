package stream

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// nowMinus is the bound expression now() - k µs.
type nowMinus struct{ k int64 }

func (e *nowMinus) Type() types.T { return types.TTimestamptz }
func (e *nowMinus) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	v := exec.NewVec(types.TTimestamptz, c.N)
	for i := 0; i < c.N; i++ {
		v.Int[i] = types.TimestampFromTime(ec.Now) - e.k
	}
	return v, nil
}
func (e *nowMinus) String() string { return fmt.Sprintf("now() - %dus", e.k) }

// TestTemporalFilterRandom pushes random inserts and deletes of rows with
// random times while a clock advances, and checks after every tick that
// the output holds exactly the input rows whose time is above the bound
// (for > and >=), each expired once.
func TestTemporalFilterRandom(t *testing.T) {
	ts := []types.T{types.TInt8, types.TTimestamp}
	for _, strict := range []bool{true, false} {
		for seed := int64(0); seed < 20; seed++ {
			e := newEnv(t, seed)
			base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			now := base
			f := NewTemporalFilter(3000, ts, 1, strict, &nowMinus{k: 10})
			f.SetClock(func() time.Time { return now })
			in, out := newMset(ts), newMset(ts)
			var live [][]types.Datum
			emit := func(c *exec.Chunk) error { return out.apply(c) }
			for step := 0; step < 60; step++ {
				c := exec.NewChunk(ts)
				for k := e.rng.Intn(5); k > 0; k-- {
					if len(live) > 0 && e.rng.Intn(3) == 0 {
						j := e.rng.Intn(len(live))
						c.AppendDatums(live[j])
						c.Ops = append(c.Ops, exec.OpDelete)
						if err := in.add(live[j], -1); err != nil {
							t.Fatal(err)
						}
						live = append(live[:j], live[j+1:]...)
						continue
					}
					tsv := types.Null
					if e.rng.Intn(10) != 0 {
						// Around the bound: from 30 µs ago to 30 µs ahead.
						tsv = types.NewInt(types.TimestampFromTime(now) - 10 + int64(e.rng.Intn(61)-30))
					}
					row := []types.Datum{types.NewInt(int64(e.rng.Intn(3))), tsv}
					c.AppendDatums(row)
					c.Ops = append(c.Ops, exec.OpInsert)
					if err := in.add(row, 1); err != nil {
						t.Fatal(err)
					}
					live = append(live, row)
				}
				if err := f.Push(e.ctx, 0, c, emit); err != nil {
					t.Fatal(err)
				}
				now = now.Add(time.Duration(e.rng.Intn(8)) * time.Microsecond)
				if e.rng.Intn(3) == 0 {
					if err := f.Tick(e.ctx, emit); err != nil {
						t.Fatal(err)
					}
					b := types.TimestampFromTime(now) - 10
					want := newMset(ts)
					for k, n := range in.cnt {
						row := in.rows[k]
						if row[1].Null || row[1].I < b || (strict && row[1].I == b) {
							continue
						}
						if err := want.add(row, n); err != nil {
							t.Fatal(err)
						}
					}
					if d := diff(out, want); d != "" {
						t.Fatalf("strict=%v seed %d step %d: output differs after a tick:\n%s", strict, seed, step, d)
					}
				}
				e.maybeCommit()
			}
		}
	}
}
