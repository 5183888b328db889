package batch

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// hashTable maps distinct keys (with "not distinct" equality: NULLs equal)
// to dense group ids 0, 1, 2... in order of first appearance. Keys are
// copied into an owned store.
type hashTable struct {
	keys    *store
	hashes  []uint64
	buckets []int32 // entry index + 1; 0 = empty
	next    []int32 // entry index + 1 of the next entry in the chain
	mask    uint64

	// scratch
	h       []uint64
	pending []int // chunk rows of entries inserted during the current call
	base    int   // number of entries in keys when the current call began
	pcols   []*exec.Vec
}

func newHashTable(ts []types.T) *hashTable {
	t := &hashTable{keys: newStore(ts)}
	t.buckets = make([]int32, 256)
	t.mask = 255
	return t
}

// len returns the number of groups.
func (t *hashTable) len() int { return len(t.hashes) }

func (t *hashTable) grow() {
	nb := len(t.buckets) * 2
	t.buckets = make([]int32, nb)
	t.mask = uint64(nb - 1)
	for i := range t.next {
		t.next[i] = 0
	}
	for e, h := range t.hashes {
		b := h & t.mask
		t.next[e] = t.buckets[b]
		t.buckets[b] = int32(e + 1)
	}
}

// entryEq compares the key of entry e with row r of the probe columns.
func (t *hashTable) entryEq(e int, r int) bool {
	if e >= t.base {
		pr := t.pending[e-t.base]
		for _, v := range t.pcols {
			if !eqNotDistinct(v, pr, v, r) {
				return false
			}
		}
		return true
	}
	for i, v := range t.pcols {
		if !eqNotDistinct(t.keys.cols[i], e, v, r) {
			return false
		}
	}
	return true
}

// findOrInsert looks up the keys (columns cols of c) of rows (physical
// indices) and stores the group ids in gids. When insert is true, unknown
// keys become new groups; otherwise their id is -1. It returns gids.
func (t *hashTable) findOrInsert(c *exec.Chunk, cols []int, rows []int, insert bool, gids []int32) []int32 {
	t.pcols = t.pcols[:0]
	for _, ci := range cols {
		t.pcols = append(t.pcols, c.Cols[ci])
	}
	t.h = rowHashes(c, cols, rows, t.h)
	t.base = len(t.hashes)
	t.pending = t.pending[:0]
	gids = gids[:0]
	// Fast path: one integer key without NULLs on either side.
	var ik, sk []int64
	if len(cols) == 1 && t.pcols[0].Typ.Family.Physical() == types.PhysInt &&
		!t.pcols[0].Nulls.MaybeNulls && !t.keys.cols[0].Nulls.MaybeNulls {
		ik, sk = t.pcols[0].Int, t.keys.cols[0].Int
	}
	for k, r := range rows {
		h := t.h[k]
		g := int32(-1)
		if ik != nil {
			x := ik[r]
			for e := t.buckets[h&t.mask]; e != 0; e = t.next[e-1] {
				i := int(e - 1)
				if t.hashes[i] == h {
					if i >= t.base {
						if ik[t.pending[i-t.base]] == x {
							g = e - 1
							break
						}
					} else if sk[i] == x {
						g = e - 1
						break
					}
				}
			}
		} else {
			for e := t.buckets[h&t.mask]; e != 0; e = t.next[e-1] {
				if t.hashes[e-1] == h && t.entryEq(int(e-1), r) {
					g = e - 1
					break
				}
			}
		}
		if g < 0 && insert {
			g = int32(len(t.hashes))
			t.hashes = append(t.hashes, h)
			t.pending = append(t.pending, r)
			b := h & t.mask
			t.next = append(t.next, t.buckets[b])
			t.buckets[b] = g + 1
			if len(t.hashes) > len(t.buckets) {
				t.grow()
			}
		}
		gids = append(gids, g)
	}
	if len(t.pending) > 0 {
		t.keys.appendRows(c, cols, t.pending)
		t.pending = t.pending[:0]
	}
	t.base = len(t.hashes)
	return gids
}
