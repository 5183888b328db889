package planner

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// Window table functions in FROM (RisingWave semantics):
//
//	TUMBLE(rel, time_col, size [, offset])
//	HOP(rel, time_col, slide, size [, offset])
//
// output every column of rel followed by window_start and window_end, of
// time_col's type (timestamp or timestamptz). Windows are aligned to the
// epoch 1970-01-01 00:00:00 (UTC for timestamptz) plus offset:
// window_start = t - ((t - offset) mod size), the remainder in [0, size).
// Sizes and offsets are interval constants without months (a day counts as
// 24 hours); rows whose time is NULL are dropped. A HOP row appears in the
// size/slide windows containing it; size must be a multiple of slide
// (22023 otherwise). SESSION is the SessionWindow node (session_window.go).
//
// TUMBLE is a Filter (time IS NOT NULL) and a Project computing the window
// bounds, so filters push through it and views maintain it as a plain
// projection. HOP is the HopWindow node (batch.NewHop / stream.NewHop).
//
// Naming: an explicit alias names the relation; without one (the rewriter
// then passes the kind as the alias) the relation keeps the input's name,
// as in RisingWave, so FROM TUMBLE(bid, ...) allows bid.price.

// HopWindow expands each input row into the hopping windows containing its
// time column; output = input columns, window_start, window_end.
type HopWindow struct {
	In                  Node
	TimeCol             int
	Slide, Size, Offset int64 // µs
	Cols                []Column
}

func (n *HopWindow) Schema() []Column { return n.Cols }

// bindWindowTVF binds a TUMBLE/HOP/SESSION call in FROM.
func (b *Binder) bindWindowTVF(w *sql.WindowTVF, parent *scope) (Node, []Column, error) {
	kind := strings.ToLower(w.Kind)
	upper := strings.ToUpper(kind)
	if kind != "tumble" && kind != "hop" && kind != "session" {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction, "window table function %s does not exist", upper)
	}
	if w.PartitionBy != nil && kind != "session" {
		return nil, nil, types.Errorf(types.CodeSyntaxError, "PARTITION BY is only allowed in SESSION, not in %s", upper)
	}
	// The enclosing SELECT's GROUP BY keys SESSION, unless its input is
	// a subquery (whose own GROUP BY must not).
	groupBy := b.sessionGroupBy
	// Bind the input.
	var in Node
	var inCols []Column
	name := ""
	switch x := w.Input.(type) {
	case *ast.TableName:
		name = x.Name.O
		var err error
		if in, inCols, err = b.bindTableName(x, name); err != nil {
			return nil, nil, err
		}
	case *ast.SelectStmt, *ast.SetOprStmt:
		q, err := b.bindQueryIn(x, nil)
		if err != nil {
			return nil, nil, err
		}
		in = q.Root
		inCols = append([]Column(nil), q.Cols...)
	default:
		return nil, nil, types.Errorf(types.CodeFeatureNotSupported, "%s over %T is not supported", upper, w.Input)
	}
	alias := w.Alias
	if alias == "" || strings.EqualFold(alias, kind) {
		alias = name
		if alias == "" {
			alias = kind
		}
	}
	// The time column.
	tc := -1
	for pass := 0; pass < 2 && tc < 0; pass++ {
		for i, c := range inCols {
			if c.Hidden && c.Name != w.TimeCol {
				continue
			}
			if c.Name == w.TimeCol || (pass == 1 && strings.EqualFold(c.Name, w.TimeCol)) {
				if tc >= 0 {
					return nil, nil, types.Errorf(types.CodeAmbiguousColumn, "column reference %q is ambiguous", w.TimeCol)
				}
				tc = i
			}
		}
	}
	if tc < 0 {
		return nil, nil, types.Errorf(types.CodeUndefinedColumn, "column %q does not exist in the input of %s", w.TimeCol, upper)
	}
	tt := inCols[tc].Type
	if tt.Family != types.Timestamp && tt.Family != types.Timestamptz {
		return nil, nil, types.Errorf(types.CodeDatatypeMismatch,
			"the time column of %s must be of type timestamp or timestamp with time zone, but column %q is of type %s",
			upper, w.TimeCol, pgTypeName(tt))
	}
	for _, c := range inCols {
		if !c.Hidden && (c.Name == "window_start" || c.Name == "window_end") {
			return nil, nil, types.Errorf(types.CodeDuplicateColumn,
				"column %q of the input of %s conflicts with the window column it adds", c.Name, upper)
		}
	}
	if kind == "session" {
		return b.bindSessionWindow(w, in, inCols, tc, alias, groupBy, parent)
	}
	// The interval arguments.
	names := []string{"size", "offset"}
	if kind == "hop" {
		names = []string{"slide", "size", "offset"}
	}
	if len(w.Args) < len(names)-1 || len(w.Args) > len(names) {
		return nil, nil, types.Errorf(types.CodeUndefinedFunction,
			"%s takes a relation, a time column, %s and an optional offset", upper, strings.Join(names[:len(names)-1], ", "))
	}
	vals := make([]int64, len(names))
	for i, a := range w.Args {
		v, err := b.windowInterval(a, upper, names[i], parent)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = v
	}
	var slide, size, offset int64
	if kind == "tumble" {
		size, offset = vals[0], vals[1]
		slide = size
	} else {
		slide, size, offset = vals[0], vals[1], vals[2]
	}
	if slide <= 0 {
		return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "window slide of %s must be positive", upper)
	}
	if size <= 0 {
		return nil, nil, types.Errorf(types.CodeInvalidParameterValue, "window size of %s must be positive", upper)
	}
	if size%slide != 0 {
		return nil, nil, types.Errorf(types.CodeInvalidParameterValue,
			"invalid arguments for HOP: window size %s is not a multiple of window slide %s",
			fmtMicros(size), fmtMicros(slide))
	}
	cols := make([]Column, 0, len(inCols)+2)
	for _, c := range inCols {
		c.Table = alias
		cols = append(cols, c)
	}
	cols = append(cols,
		Column{Name: "window_start", Table: alias, Type: tt},
		Column{Name: "window_end", Table: alias, Type: tt})
	if kind == "hop" {
		return &HopWindow{In: in, TimeCol: tc, Slide: slide, Size: size, Offset: offset, Cols: cols}, cols, nil
	}
	tref := &exec.ColRef{Idx: tc, Typ: tt, Name: inCols[tc].Name}
	filt := &Filter{In: in, Conds: []exec.Expr{&scalar.IsNull{Arg: tref, Negate: true}}}
	exprs := make([]exec.Expr, 0, len(cols))
	for i, c := range inCols {
		exprs = append(exprs, &exec.ColRef{Idx: i, Typ: c.Type, Name: c.Name})
	}
	exprs = append(exprs,
		scalar.NewFunc(tumbleOverload(false, tt, size, offset), []exec.Expr{tref}),
		scalar.NewFunc(tumbleOverload(true, tt, size, offset), []exec.Expr{tref}))
	return &Project{In: filt, Exprs: exprs, Cols: cols}, cols, nil
}

// windowInterval binds a constant interval argument and returns it in µs.
func (b *Binder) windowInterval(a ast.ExprNode, fn, what string, parent *scope) (int64, error) {
	e, err := b.bindExpr(a, &scope{parent: parent}, nil)
	if err != nil {
		return 0, err
	}
	if f := e.Type().Family; f != types.Interval && f != types.Unknown && f != types.Text {
		return 0, types.Errorf(types.CodeDatatypeMismatch, "window %s of %s must be an interval, not %s", what, fn, pgTypeName(e.Type()))
	}
	if e, err = coerce(e, types.TInterval); err != nil {
		return 0, err
	}
	if !isConstExpr(e) {
		return 0, types.Errorf(types.CodeFeatureNotSupported, "window %s of %s must be a constant", what, fn)
	}
	d, err := scalar.EvalConst(&exec.EvalCtx{}, e)
	if err != nil {
		return 0, err
	}
	if d.Null {
		return 0, types.Errorf(types.CodeInvalidParameterValue, "window %s of %s must not be NULL", what, fn)
	}
	iv := d.Iv
	if iv.Months != 0 {
		return 0, types.Errorf(types.CodeFeatureNotSupported,
			"window %s of %s must not contain months or years (their length varies)", what, fn)
	}
	return int64(iv.Days)*types.MicrosPerDay + iv.Micros, nil
}

func fmtMicros(us int64) string {
	return types.FormatDatum(types.TInterval, types.Datum{Iv: types.IntervalValue{Micros: us}})
}

// tumbleOverload is the kernel computing a tumbling window's start (or end)
// from the time column; size and offset are fixed.
func tumbleOverload(end bool, t types.T, size, offset int64) *scalar.Overload {
	o := newTumbleOverload(end, t, size, offset)
	tumbleSpecs.Store(o, tumbleSpec{size: size, offset: offset, end: end})
	return o
}

// tumbleSpec lets the stream builder derive watermarks on window_start and
// window_end from one on the time column.
type tumbleSpec struct {
	size, offset int64
	end          bool
}

var tumbleSpecs sync.Map // *scalar.Overload -> tumbleSpec

func newTumbleOverload(end bool, t types.T, size, offset int64) *scalar.Overload {
	name := "tumble_start"
	if end {
		name = "tumble_end"
	}
	return &scalar.Overload{
		Name: fmt.Sprintf("%s[%s,%s]", name, fmtMicros(size), fmtMicros(offset)),
		Args: []types.T{t}, Ret: t,
		Fn: func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
			in := args[0]
			for k, n := 0, c.Len(); k < n; k++ {
				r := c.Row(k)
				s, err := batch.WindowStart(in.Int[r], size, offset)
				if err != nil {
					return err
				}
				if end {
					if s, err = batch.WindowEnd(s, size); err != nil {
						return err
					}
				}
				out.Int[r] = s
			}
			return nil
		},
	}
}
