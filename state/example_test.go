package state_test

import (
	"fmt"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// An operator's epoch: buffer writes, flush at the barrier, and let the
// coordinator commit the epoch with the source offsets.
func ExampleStateTable() {
	s, err := state.Open("example", state.Options{InMemory: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// count(*) GROUP BY k: (k text, n int8), PK (k).
	counts, _ := state.NewStateTable(s, state.TableSchema{
		ID:      state.FirstUserTableID,
		Columns: []types.T{types.TText, types.TInt8},
		PK:      []int{0},
	})
	for _, k := range []string{"a", "b", "a"} {
		pk := []types.Datum{types.NewString(k)}
		old, found, _ := counts.Get(pk) // reads its own buffered writes
		if found {
			counts.Update(old, []types.Datum{pk[0], types.NewInt(old[1].I + 1)})
		} else {
			counts.Insert([]types.Datum{pk[0], types.NewInt(1)})
		}
	}

	// Barrier of epoch 1: every actor flushes into the epoch's batch, then the
	// coordinator records the epoch and offsets and commits atomically.
	b := s.NewWriteBatch()
	_ = counts.Flush(b)
	_ = state.SetSourceOffset(b, 1, "partition-0", []byte("3"))
	_ = state.SetCommittedEpoch(b, 1)
	if err := b.Commit(true); err != nil {
		panic(err)
	}

	// A SELECT reads a snapshot: a consistent cut of committed epochs.
	snap := s.NewSnapshot()
	defer snap.Close()
	view, _ := state.OpenTable(snap, counts.Schema())
	it, _ := view.Scan()
	for it.Next() {
		row := it.Row()
		fmt.Printf("%s=%d\n", row[0].S, row[1].I)
	}
	_ = it.Close()
	offs, _ := s.SourceOffsets(1)
	fmt.Println("epoch", s.CommittedEpoch(), "offset", string(offs["partition-0"]))
	// Unordered output:
	// a=2
	// b=1
	// epoch 1 offset 3
}
