package planner

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/types"
)

// buildOverWindow compiles a Window node (window functions that are not the
// top-N-per-group pattern buildTopNRank takes) into incremental OverWindow
// operators: one per run of consecutive calls sharing PARTITION BY and
// ORDER BY, chained like the batch plan's window operators, each appending
// its calls' columns.
func (sb *streamBuilder) buildOverWindow(x *Window, parent *StreamNode, port int) error {
	var runs []windowRun
	for _, c := range x.Calls {
		if n := len(runs); n > 0 && reflect.DeepEqual(runs[n-1].part, c.PartitionBy) && reflect.DeepEqual(runs[n-1].order, c.OrderBy) {
			runs[n-1].calls = append(runs[n-1].calls, c)
			continue
		}
		runs = append(runs, windowRun{part: c.PartitionBy, order: c.OrderBy, calls: []WindowCall{c}})
	}
	// Operator i reads the input's columns plus the columns of runs < i.
	inTs := make([][]types.T, len(runs))
	ts := colTypes(x.In.Schema())
	for i, r := range runs {
		inTs[i] = append([]types.T(nil), ts...)
		for _, c := range r.calls {
			ts = append(ts, c.Ret)
		}
	}
	target, tport := parent, port
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		fs := make([]batch.WindowFunc, len(r.calls))
		names := make([]string, len(r.calls))
		for k, c := range r.calls {
			fs[k] = batch.WindowFunc{Name: c.Name, Args: c.Args, ArgTypes: c.ArgTypes, Ret: c.Ret, Frame: toFrame(c.Frame)}
			names[k] = c.Name + frameDesc(c.Frame)
		}
		id, err := sb.alloc()
		if err != nil {
			return err
		}
		op, err := stream.NewOverWindow(id, inTs[i], r.part, toSortKeys(r.order), fs)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("OverWindow [%s] partition by %v order by %s (state %d, distribution: partition key, output: retract)",
			strings.Join(names, ", "), r.part, sortKeysDesc(r.order), id)
		target = sb.attach(op, desc, id, target, tport)
		tport = 0
	}
	return sb.build(x.In, target, tport)
}

// windowRun is a run of window calls sharing PARTITION BY and ORDER BY.
type windowRun struct {
	part  []int
	order []SortKey
	calls []WindowCall
}

func frameDesc(f *WindowFrame) string {
	if f == nil {
		return ""
	}
	bound := func(unb, cur bool, off int64, start bool) string {
		switch {
		case unb && start:
			return "UNBOUNDED PRECEDING"
		case unb:
			return "UNBOUNDED FOLLOWING"
		case cur:
			return "CURRENT ROW"
		case off < 0:
			return fmt.Sprintf("%d PRECEDING", -off)
		}
		return fmt.Sprintf("%d FOLLOWING", off)
	}
	mode := "RANGE"
	if f.Rows {
		mode = "ROWS"
	}
	return fmt.Sprintf(" %s BETWEEN %s AND %s", mode, bound(f.StartUnbounded, f.StartCurrent, f.StartOffset, true), bound(f.EndUnbounded, f.EndCurrent, f.EndOffset, false))
}

func sortKeysDesc(ks []SortKey) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprint(k.Col)
		if k.Desc {
			parts[i] += " desc"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
