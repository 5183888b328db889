package batch

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	op := NewSort(NewValues(itTypes, intRows(10, 0)), []SortKey{{Col: 0}})
	if err := op.Init(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err := op.Next()
	if e, ok := err.(*types.Error); !ok || e.Code != types.CodeQueryCanceled {
		t.Fatalf("err = %v, want 57014", err)
	}
	op.Close()
}

func TestUnknownAggregateAtInit(t *testing.T) {
	op := NewHashAggregate(NewValues(itTypes, nil), nil, []AggSpec{{Name: "nosuch", FilterCol: -1}})
	_, err := Drain(op)
	if e, ok := err.(*types.Error); !ok || e.Code != types.CodeUndefinedFunction {
		t.Fatalf("err = %v, want 42883", err)
	}
}

func TestSumInt4Overflow(t *testing.T) {
	// sum(int4) accumulates in bigint; feed bigint-sized values through an
	// int4-typed spec to exercise the overflow check.
	ts := []types.T{types.TInt4}
	rows := [][]types.Datum{{I(1 << 62)}, {I(1 << 62)}}
	op := NewHashAggregate(NewValues(ts, rows), nil, []AggSpec{{Name: "sum", Args: []int{0}, ArgTypes: ts, Ret: types.TInt8, FilterCol: -1}})
	_, err := Drain(op)
	if e, ok := err.(*types.Error); !ok || e.Code != types.CodeNumericOutOfRange {
		t.Fatalf("err = %v, want 22003", err)
	}
}
