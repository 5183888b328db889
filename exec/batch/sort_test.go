package batch

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// refCmp compares datum rows by keys like the sort operator should.
func refCmp(ts []types.T, keys []SortKey, a, b []types.Datum) int {
	for _, k := range keys {
		va, vb := exec.NewVec(ts[k.Col], 1), exec.NewVec(ts[k.Col], 1)
		va.Set(0, a[k.Col])
		vb.Set(0, b[k.Col])
		an, bn := a[k.Col].Null, b[k.Col].Null
		var c int
		switch {
		case an && bn:
		case an:
			c = 1
			if k.NullsFirst {
				c = -1
			}
		case bn:
			c = -1
			if k.NullsFirst {
				c = 1
			}
		default:
			c = cmpVals(va, 0, vb, 0)
			if k.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func randRows(rnd *rand.Rand, n int) [][]types.Datum {
	rows := make([][]types.Datum, n)
	for i := range rows {
		r := []types.Datum{I(int64(rnd.Intn(50))), S(string(rune('a' + rnd.Intn(5)))), F(float64(rnd.Intn(4)) - 1), I(int64(i))}
		if rnd.Intn(10) == 0 {
			r[0] = N()
		}
		if rnd.Intn(10) == 0 {
			r[1] = N()
		}
		switch rnd.Intn(10) {
		case 0:
			r[2] = F(math.NaN())
		case 1:
			r[2] = F(math.Copysign(0, -1))
		case 2:
			r[2] = N()
		}
		rows[i] = r
	}
	return rows
}

var sortTypes = []types.T{types.TInt8, types.TText, types.TFloat8, types.TInt8}

func TestSortTopN(t *testing.T) {
	keySets := [][]SortKey{
		{{Col: 0}},
		{{Col: 0, Desc: true, NullsFirst: true}},
		{{Col: 1, NullsFirst: true}, {Col: 2, Desc: true}},
		{{Col: 2}, {Col: 0, Desc: true}},
	}
	for _, n := range sizes {
		rnd := rand.New(rand.NewSource(int64(n) + 7))
		rows := randRows(rnd, n)
		for _, keys := range keySets {
			ref := append([][]types.Datum{}, rows...)
			sort.SliceStable(ref, func(i, j int) bool { return refCmp(sortTypes, keys, ref[i], ref[j]) < 0 })
			want := fmtRows(sortTypes, ref)
			checkRows(t, NewSort(chunked(sortTypes, rows, rnd, true), keys), want, true)
			for _, lim := range []int64{0, 1, 10, 1024, 3000, 10000} {
				w := want
				if int64(len(w)) > lim {
					w = w[:lim]
				}
				checkRows(t, NewTopN(chunked(sortTypes, rows, rnd, true), keys, lim), w, true)
			}
		}
	}
}
