package batch

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func wf(t *testing.T, name string, args []int, in []types.T, fr *Frame) WindowFunc {
	t.Helper()
	var at []types.T
	for _, a := range args {
		at = append(at, in[a])
	}
	ret, cast, err := ResolveWindowFunc(name, at)
	if err != nil {
		t.Fatal(err)
	}
	return WindowFunc{Name: name, Args: args, ArgTypes: cast, Ret: ret, Frame: fr}
}

func TestWindow(t *testing.T) {
	// Columns: p text, x int8, two int4 (= 2), minus one int8 (= -1), n int4 (= 2).
	ts := []types.T{types.TText, types.TInt8, types.TInt4, types.TInt8}
	row := func(p string, x types.Datum) []types.Datum { return []types.Datum{S(p), x, I(2), I(-1)} }
	rows := [][]types.Datum{row("a", I(3)), row("b", I(5)), row("a", N()), row("a", I(2)), row("a", I(1)), row("a", I(2))}
	rows1 := &Frame{Rows: true, StartOffset: -1, EndCurrent: true}
	all := &Frame{StartUnbounded: true, EndUnbounded: true}
	funcs := []WindowFunc{
		wf(t, "row_number", nil, ts, nil),
		wf(t, "rank", nil, ts, nil),
		wf(t, "dense_rank", nil, ts, nil),
		wf(t, "percent_rank", nil, ts, nil),
		wf(t, "cume_dist", nil, ts, nil),
		wf(t, "sum", []int{1}, ts, nil),
		wf(t, "sum", []int{1}, ts, rows1),
		wf(t, "count", nil, ts, all),
		wf(t, "lag", []int{1}, ts, nil),
		wf(t, "lead", []int{1, 2, 3}, ts, nil),
		wf(t, "first_value", []int{1}, ts, nil),
		wf(t, "last_value", []int{1}, ts, nil),
		wf(t, "nth_value", []int{1, 2}, ts, nil),
		wf(t, "ntile", []int{2}, ts, nil),
		wf(t, "avg", []int{1}, ts, all),
	}
	want := []string{
		"a|1|1|1|1|0|0.2|1|1|5|NULL|2|1|1|NULL|1|2",
		"a|2|2|2|2|0.25|0.6|5|3|5|1|3|1|2|2|1|2",
		"a|2|3|2|2|0.25|0.6|5|4|5|2|NULL|1|2|2|1|2",
		"a|3|4|4|3|0.75|0.8|8|5|5|2|-1|1|3|2|2|2",
		"a|NULL|5|5|4|1|1|8|3|5|3|-1|1|NULL|2|2|2",
		"b|5|1|1|1|0|1|5|5|1|NULL|-1|5|5|NULL|1|5",
	}
	for i := range want {
		// Append the constant columns to the expectation.
		parts := strings.SplitN(want[i], "|", 3)
		want[i] = parts[0] + "|" + parts[1] + "|2|-1|" + parts[2]
	}
	// avg of 1,2,2,3 = 2.0000000000000000; of 5 = 5.0000000000000000.
	for i := range want {
		j := strings.LastIndex(want[i], "|")
		if want[i][0] == 'a' {
			want[i] = want[i][:j] + "|2.0000000000000000"
		} else {
			want[i] = want[i][:j] + "|5.0000000000000000"
		}
	}
	rnd := rand.New(rand.NewSource(9))
	op := NewWindow(chunked(ts, rows, rnd, true), []int{0}, []SortKey{{Col: 1}}, funcs)
	checkRows(t, op, want, true)
}

func TestWindowLarge(t *testing.T) {
	// Running count and row_number over 5000 rows in 3 partitions, with a
	// sliding ROWS frame; checks chunk boundaries.
	ts := []types.T{types.TInt8, types.TInt8}
	var rows [][]types.Datum
	for i := 0; i < 5000; i++ {
		rows = append(rows, []types.Datum{I(int64(i % 3)), I(int64(i))})
	}
	slide := &Frame{Rows: true, StartOffset: -2, EndOffset: 2}
	funcs := []WindowFunc{wf(t, "row_number", nil, ts, nil), wf(t, "count", nil, ts, slide), wf(t, "max", []int{1}, ts, slide)}
	rnd := rand.New(rand.NewSource(10))
	got := drain(t, NewWindow(chunked(ts, rows, rnd, true), []int{0}, []SortKey{{Col: 1, Desc: true}}, funcs))
	if len(got) != 5000 {
		t.Fatalf("%d rows", len(got))
	}
	if got[0] != "0|4998|1|3|4998" || got[1] != "0|4995|2|4|4998" || got[2] != "0|4992|3|5|4998" || got[3] != "0|4989|4|5|4995" {
		t.Fatalf("got %v", got[:4])
	}
	if got[4999] != "2|2|1666|3|8" {
		t.Fatalf("last %v", got[4999])
	}
}

func TestResolveWindowFunc(t *testing.T) {
	if r, _, err := ResolveWindowFunc("rank", nil); err != nil || r != types.TInt8 {
		t.Fatal(r, err)
	}
	if r, c, err := ResolveWindowFunc("lag", []types.T{types.TText, types.TInt8, types.TUnknown}); err != nil || r != types.TText || c[1] != types.TInt4 || c[2] != types.TText {
		t.Fatal(r, c, err)
	}
	if _, _, err := ResolveWindowFunc("nosuch", nil); err == nil {
		t.Fatal("want error")
	}
}

func TestWindowRangeOffset(t *testing.T) {
	ts := []types.T{types.TInt8}
	rows := [][]types.Datum{{I(4)}, {I(2)}, {N()}, {I(1)}, {I(7)}, {I(2)}}
	around := &Frame{StartOffset: -1, EndOffset: 1}
	upto := &Frame{StartUnbounded: true, EndOffset: -2}
	funcs := []WindowFunc{wf(t, "sum", []int{0}, ts, around), wf(t, "sum", []int{0}, ts, upto)}
	checkRows(t, NewWindow(NewValues(ts, rows), nil, []SortKey{{Col: 0}}, funcs),
		[]string{"1|5|NULL", "2|5|NULL", "2|5|NULL", "4|4|5", "7|7|9", "NULL|NULL|16"}, true)
	checkRows(t, NewWindow(NewValues(ts, rows), nil, []SortKey{{Col: 0, Desc: true, NullsFirst: true}}, funcs[:1]),
		[]string{"NULL|NULL", "7|7", "4|4", "2|5", "2|5", "1|5"}, true)
	// Two ORDER BY columns: 42P20.
	op := NewWindow(NewValues(ts, rows), nil, []SortKey{{Col: 0}, {Col: 0}}, funcs)
	if _, err := Drain(op); err == nil {
		t.Fatal("want error")
	}
}
