package batch

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var sizes = []int{0, 1, 1023, 1024, 1025, 5000}

func intRows(n int, nullEvery int) [][]types.Datum {
	rows := make([][]types.Datum, n)
	for i := range rows {
		var b types.Datum
		if nullEvery > 0 && i%nullEvery == 0 {
			b = N()
		} else {
			b = S(fmt.Sprintf("s%d", i%7))
		}
		rows[i] = []types.Datum{I(int64(i)), b}
	}
	return rows
}

var itTypes = []types.T{types.TInt8, types.TText}

func TestValuesProjectFilterLimit(t *testing.T) {
	for _, n := range sizes {
		for _, withSel := range []bool{false, true} {
			rnd := rand.New(rand.NewSource(int64(n)))
			rows := intRows(n, 5)
			want := fmtRows(itTypes, rows)
			checkRows(t, chunked(itTypes, rows, rnd, withSel), want, true)
			checkRows(t, NewValues(itTypes, rows), want, true)

			// Project: swap columns.
			var pw []string
			for _, r := range rows {
				pw = append(pw, fmtDatum(types.TText, r[1])+"|"+fmtDatum(types.TInt8, r[0]))
			}
			p := NewProject(chunked(itTypes, rows, rnd, withSel), []exec.Expr{col(1, types.TText), col(0, types.TInt8)}, ec)
			checkRows(t, p, pw, true)

			// Filter: i % 3 rows via i < n/2 and s <> 's1' (NULL s filtered out).
			var fw []string
			for _, r := range rows {
				if r[0].I < int64(n/2) && !r[1].Null && string(r[1].S) != "s1" {
					fw = append(fw, fmtRows(itTypes, [][]types.Datum{r})[0])
				}
			}
			pred := &andOp{a: cmpE("<", col(0, types.TInt8), cnst(I(int64(n/2)), types.TInt8)),
				b: cmpE("<>", col(1, types.TText), cnst(S("s1"), types.TText))}
			checkRows(t, NewFilter(chunked(itTypes, rows, rnd, withSel), pred, ec), fw, true)

			for _, lo := range [][2]int64{{-1, 0}, {0, 0}, {10, 0}, {1500, 1000}, {-1, 1024}, {5, 4998}} {
				var lw []string
				for i := range want {
					if int64(i) >= lo[1] && (lo[0] < 0 || int64(i) < lo[1]+lo[0]) {
						lw = append(lw, want[i])
					}
				}
				checkRows(t, NewLimit(chunked(itTypes, rows, rnd, withSel), lo[0], lo[1]), lw, true)
			}
		}
	}
}
