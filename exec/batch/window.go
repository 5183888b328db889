package batch

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"slices"
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Frame is a window frame. Bounds are, in order of precedence:
// StartUnbounded (UNBOUNDED PRECEDING) / EndUnbounded (UNBOUNDED
// FOLLOWING), StartCurrent / EndCurrent (CURRENT ROW: the row itself in ROWS
// mode, its first/last peer in RANGE mode), else StartOffset / EndOffset: a
// signed offset from the current row (-n = n PRECEDING, +n = n FOLLOWING):
// in ROWS mode a number of rows; in RANGE mode a difference of values of
// the single ORDER BY column, which must be an integer-like (in its physical
// unit: days for date, microseconds for time and timestamps) or float
// column.
type Frame struct {
	Rows                         bool // ROWS; false = RANGE
	StartUnbounded, EndUnbounded bool
	StartCurrent, EndCurrent     bool
	StartOffset, EndOffset       int64
}

// DefaultFrame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, the
// frame used when WindowFunc.Frame is nil.
var DefaultFrame = Frame{StartUnbounded: true, EndCurrent: true}

// WindowFunc is one window function call of a Window operator. Args are
// input column indices, ArgTypes their types after the casts
// ResolveWindowFunc asked for, Ret its result type.
type WindowFunc struct {
	Name     string
	Args     []int
	ArgTypes []types.T
	Ret      types.T
	Frame    *Frame // nil = DefaultFrame
}

// ResolveWindowFunc returns the result type of window function name over
// args and the types to cast the arguments to. Aggregates are accepted too
// (see ResolveAggregate). Unknown functions fail with SQLSTATE 42883.
func ResolveWindowFunc(name string, args []types.T) (ret types.T, castArgs []types.T, err error) {
	castArgs = append([]types.T{}, args...)
	fail := func() (types.T, []types.T, error) { return types.T{}, nil, undefinedAgg(name, args) }
	switch name {
	case "row_number", "rank", "dense_rank":
		if len(args) != 0 {
			return fail()
		}
		return types.TInt8, castArgs, nil
	case "percent_rank", "cume_dist":
		if len(args) != 0 {
			return fail()
		}
		return types.TFloat8, castArgs, nil
	case "ntile":
		if len(args) != 1 || !(args[0].IsInteger() || args[0].Family == types.Unknown) {
			return fail()
		}
		castArgs[0] = types.TInt4
		return types.TInt4, castArgs, nil
	case "lag", "lead":
		if len(args) < 1 || len(args) > 3 {
			return fail()
		}
		if len(args) >= 2 {
			if !(args[1].IsInteger() || args[1].Family == types.Unknown) {
				return fail()
			}
			castArgs[1] = types.TInt4
		}
		t := args[0]
		if len(args) == 3 {
			if t.Family == types.Unknown {
				t = args[2]
			}
			if args[2].Family != types.Unknown && args[2].Family != t.Family {
				return fail()
			}
			castArgs[2] = t
		}
		castArgs[0] = t
		return t, castArgs, nil
	case "first_value", "last_value":
		if len(args) != 1 {
			return fail()
		}
		return args[0], castArgs, nil
	case "nth_value":
		if len(args) != 2 || !(args[1].IsInteger() || args[1].Family == types.Unknown) {
			return fail()
		}
		castArgs[1] = types.TInt4
		return args[0], castArgs, nil
	}
	return ResolveAggregate(name, args, false)
}

type window struct {
	in          exec.Operator
	ctx         context.Context
	partitionBy []int
	orderBy     []SortKey
	funcs       []WindowFunc
	ts          []types.T

	st    *store
	perm  []int
	res   []*exec.Vec // per function, indexed by sorted position
	done  bool
	pos   int
	out   *exec.Chunk
	zeros []int32
	tmp   []int
}

// NewWindow evaluates window functions over in: it sorts the rows by
// partitionBy (ascending) then orderBy, and outputs them in that order with
// one column appended per function. The default frame is RANGE UNBOUNDED
// PRECEDING .. CURRENT ROW (so peers share a value); ROWS and RANGE frames
// with UNBOUNDED, CURRENT ROW and offset bounds are supported (see Frame).
// Aggregates over frames are incremental when consecutive frames share their
// start and grow, recomputed otherwise. Ranking functions ignore frames, as
// in PostgreSQL.
func NewWindow(in exec.Operator, partitionBy []int, orderBy []SortKey, funcs []WindowFunc) exec.Operator {
	ts := append([]types.T{}, in.Types()...)
	for _, f := range funcs {
		ts = append(ts, f.Ret)
	}
	return &window{in: in, partitionBy: partitionBy, orderBy: orderBy, funcs: funcs, ts: ts}
}

func (w *window) Init(ctx context.Context) error {
	w.ctx = ctx
	if err := CheckWindowFuncs(w.in.Types(), w.orderBy, w.funcs); err != nil {
		return err
	}
	w.st = newStore(w.in.Types())
	w.done, w.pos = false, 0
	w.out = exec.NewChunk(w.ts)
	return w.in.Init(ctx)
}

func (w *window) compute() error {
	var buf []int
	for {
		c, err := pull(w.ctx, w.in)
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		w.st.appendRows(c, nil, visibleRows(c, &buf))
	}
	n := w.st.n
	keys := make([]SortKey, 0, len(w.partitionBy)+len(w.orderBy))
	for _, p := range w.partitionBy {
		keys = append(keys, SortKey{Col: p})
	}
	keys = append(keys, w.orderBy...)
	w.perm = make([]int, n)
	for i := range w.perm {
		w.perm[i] = i
	}
	sortPerm(w.perm, w.st.cols, keys)
	breakTies(w.perm, w.st.cols, keys)
	return w.evaluate()
}

// breakTies reorders the runs of perm (sorted by keys) whose rows are equal
// on keys by TieKey, so that rows tying on the window's PARTITION BY and
// ORDER BY keys get their row numbers, frames and neighbours in an order
// that depends on their values only, not on the order they arrived in.
// The incremental over-window operator of materialized views orders
// partitions the same way, which keeps a view equal to its query.
func breakTies(perm []int, cols []*exec.Vec, keys []SortKey) {
	if len(perm) < 2 {
		return
	}
	c := rowsCmp(cols, keys)
	if len(keys) == 0 {
		c = func(int, int) int { return 0 }
	}
	ts := make([]types.T, len(cols))
	for i, v := range cols {
		ts[i] = v.Typ
	}
	var row []types.Datum
	type tk struct {
		key []byte
		r   int
	}
	var run []tk
	for s := 0; s < len(perm); {
		e := s + 1
		for e < len(perm) && c(perm[s], perm[e]) == 0 {
			e++
		}
		if e-s > 1 {
			run = run[:0]
			for _, r := range perm[s:e] {
				row = row[:0]
				for _, v := range cols {
					row = append(row, v.Get(r))
				}
				run = append(run, tk{TieKey(nil, ts, row), r})
			}
			slices.SortStableFunc(run, func(a, b tk) int { return bytes.Compare(a.key, b.key) })
			for i, x := range run {
				perm[s+i] = x.r
			}
		}
		s = e
	}
}

// TieKey appends the key that orders rows tying on a window's sort keys:
// the row's value encoding (state.AppendRow). The order it gives is
// arbitrary but depends only on the values; stream.TopN and
// stream.OverWindow key their state by sort key then this encoding, so they
// order ties the same way.
func TieKey(buf []byte, ts []types.T, row []types.Datum) []byte {
	return state.AppendRow(buf, ts, row)
}

// evaluate computes every function over the rows of w.st in w.perm order
// (sorted by partition, then ORDER BY keys).
func (w *window) evaluate() error {
	n := len(w.perm)
	if w.zeros == nil || len(w.zeros) < n {
		w.zeros = make([]int32, n)
	}
	w.res = make([]*exec.Vec, len(w.funcs))
	for i, f := range w.funcs {
		w.res[i] = exec.NewVec(f.Ret, n)
	}
	cols := w.st.cols
	same := func(a, b int, cs []int) bool {
		for _, c := range cs {
			if !eqNotDistinct(cols[c], a, cols[c], b) {
				return false
			}
		}
		return true
	}
	ocols := make([]int, len(w.orderBy))
	for i, k := range w.orderBy {
		ocols[i] = k.Col
	}
	// Partition and peer-group boundaries, per sorted position.
	peerStart := make([]int, n)
	peerEnd := make([]int, n)
	for s := 0; s < n; {
		e := s + 1
		for e < n && same(w.perm[s], w.perm[e], w.partitionBy) {
			e++
		}
		for ps := s; ps < e; {
			pe := ps + 1
			for pe < e && same(w.perm[ps], w.perm[pe], ocols) {
				pe++
			}
			for k := ps; k < pe; k++ {
				peerStart[k], peerEnd[k] = ps, pe
			}
			ps = pe
		}
		for i, f := range w.funcs {
			if err := w.evalPartition(f, w.res[i], s, e, peerStart, peerEnd); err != nil {
				return err
			}
		}
		s = e
	}
	return nil
}

// CheckWindowFuncs reports the errors NewWindow's Init would for funcs over
// columns of types ts ordered by orderBy (a RANGE frame with an offset needs
// a single numeric or temporal ORDER BY column).
func CheckWindowFuncs(ts []types.T, orderBy []SortKey, funcs []WindowFunc) error {
	for _, f := range funcs {
		fr := f.Frame
		if fr != nil && rangeOffset(fr) {
			if len(orderBy) != 1 {
				return types.Errorf(types.CodeWindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
			}
			switch ts[orderBy[0].Col].Family.Physical() {
			case types.PhysInt, types.PhysFloat:
			default:
				return types.Errorf(types.CodeFeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", ts[orderBy[0].Col])
			}
		}
	}
	return nil
}

// EvalWindowPartition evaluates funcs over one partition whose n rows are
// the columns cols, already in window order (ORDER BY keys, ties broken by
// TieKey), and returns one result vector per function, indexed by row. It
// is what NewWindow computes for a partition; incremental operators use it
// to recompute a partition's outputs.
func EvalWindowPartition(cols []*exec.Vec, n int, orderBy []SortKey, funcs []WindowFunc) ([]*exec.Vec, error) {
	w := &window{orderBy: orderBy, funcs: funcs, st: &store{cols: cols, n: n}}
	w.perm = make([]int, n)
	for i := range w.perm {
		w.perm[i] = i
	}
	if err := w.evaluate(); err != nil {
		return nil, err
	}
	return w.res, nil
}

func rangeOffset(fr *Frame) bool {
	return !fr.Rows && ((!fr.StartUnbounded && !fr.StartCurrent) || (!fr.EndUnbounded && !fr.EndCurrent))
}

// framer computes window frames within one partition.
type framer struct {
	fr                 *Frame
	ps, pe             int
	peerStart, peerEnd []int
	// RANGE offset mode: the single ORDER BY column, its direction and the
	// partition's non-NULL range [nnS, nnE) of sorted positions.
	ov         *exec.Vec
	desc       bool
	perm       []int
	nnS, nnE   int
	offsetMode bool
}

func (w *window) newFramer(fr *Frame, ps, pe int, peerStart, peerEnd []int) *framer {
	if fr == nil {
		fr = &DefaultFrame
	}
	f := &framer{fr: fr, ps: ps, pe: pe, peerStart: peerStart, peerEnd: peerEnd}
	if rangeOffset(fr) {
		k := w.orderBy[0]
		f.offsetMode, f.ov, f.desc, f.perm = true, w.st.cols[k.Col], k.Desc, w.perm
		f.nnS, f.nnE = ps, pe
		for f.nnS < pe && f.ov.Nulls.IsNull(w.perm[f.nnS]) {
			f.nnS++
		}
		for f.nnE > f.nnS && f.ov.Nulls.IsNull(w.perm[f.nnE-1]) {
			f.nnE--
		}
	}
	return f
}

// rangeBound returns the first sorted position in the partition's non-NULL
// range whose value lies beyond x+off in sort order (after is false: at or
// beyond).
func (f *framer) rangeBound(k int, off int64, after bool) int {
	r := f.perm[k]
	s := 1
	if f.desc {
		s = -1
	}
	var c func(i int) int // compares the value at sorted position i with the bound, in sort order
	if f.ov.Typ.Family.Physical() == types.PhysInt {
		x := f.ov.Int[r]
		o := off * int64(s)
		b := x + o
		if (o > 0 && b < x) || (o < 0 && b > x) { // saturate on overflow
			if o > 0 {
				b = math.MaxInt64
			} else {
				b = math.MinInt64
			}
		}
		c = func(i int) int { return s * cmp.Compare(f.ov.Int[f.perm[i]], b) }
	} else {
		b := f.ov.Float[r] + float64(off)*float64(s)
		c = func(i int) int { return s * cmpFloat(f.ov.Float[f.perm[i]], b) }
	}
	n := sort.Search(f.nnE-f.nnS, func(i int) bool {
		if after {
			return c(f.nnS+i) > 0
		}
		return c(f.nnS+i) >= 0
	})
	return f.nnS + n
}

// frame returns the frame [fs, fe) of sorted position k.
func (f *framer) frame(k int) (int, int) {
	fr, ps, pe := f.fr, f.ps, f.pe
	clamp := func(x int64) int { return int(min(max(x, int64(ps)), int64(pe))) }
	isNull := f.offsetMode && f.ov.Nulls.IsNull(f.perm[k])
	var fs, fe int
	switch {
	case fr.StartUnbounded:
		fs = ps
	case fr.StartCurrent:
		fs = k
		if !fr.Rows {
			fs = f.peerStart[k]
		}
	case fr.Rows:
		fs = clamp(int64(k) + fr.StartOffset)
	case isNull:
		fs = f.peerStart[k]
	default:
		fs = f.rangeBound(k, fr.StartOffset, false)
	}
	switch {
	case fr.EndUnbounded:
		fe = pe
	case fr.EndCurrent:
		fe = k + 1
		if !fr.Rows {
			fe = f.peerEnd[k]
		}
	case fr.Rows:
		fe = clamp(int64(k) + fr.EndOffset + 1)
	case isNull:
		fe = f.peerEnd[k]
	default:
		fe = f.rangeBound(k, fr.EndOffset, true)
	}
	return fs, max(fe, fs)
}

func (w *window) evalPartition(f WindowFunc, out *exec.Vec, ps, pe int, peerStart, peerEnd []int) error {
	cols := w.st.cols
	argVal := func(i, k int) *exec.Vec { return cols[f.Args[i]] }
	setInt := func(k int, x int64) { out.Int[k] = x }
	switch f.Name {
	case "row_number":
		for k := ps; k < pe; k++ {
			setInt(k, int64(k-ps+1))
		}
		return nil
	case "rank":
		for k := ps; k < pe; k++ {
			setInt(k, int64(peerStart[k]-ps+1))
		}
		return nil
	case "dense_rank":
		d := int64(0)
		for k := ps; k < pe; k++ {
			if peerStart[k] == k {
				d++
			}
			setInt(k, d)
		}
		return nil
	case "percent_rank":
		for k := ps; k < pe; k++ {
			if pe-ps <= 1 {
				out.Float[k] = 0
			} else {
				out.Float[k] = float64(peerStart[k]-ps) / float64(pe-ps-1)
			}
		}
		return nil
	case "cume_dist":
		for k := ps; k < pe; k++ {
			out.Float[k] = float64(peerEnd[k]-ps) / float64(pe-ps)
		}
		return nil
	case "ntile":
		total := int64(pe - ps)
		for k := ps; k < pe; k++ {
			v := argVal(0, k)
			r := w.perm[k]
			if v.Nulls.IsNull(r) || v.Typ.Family.Physical() != types.PhysInt {
				out.Nulls.SetNull(k)
				continue
			}
			nb := v.Int[r]
			if nb <= 0 {
				return types.Errorf("22014", "argument of ntile must be greater than zero")
			}
			q, rem := total/nb, total%nb
			i := int64(k - ps)
			var b int64
			if i < rem*(q+1) {
				b = i/(q+1) + 1
			} else {
				b = (i-rem*(q+1))/q + rem + 1
			}
			setInt(k, b)
		}
		return nil
	case "lag", "lead":
		for k := ps; k < pe; k++ {
			r := w.perm[k]
			off := int64(1)
			if len(f.Args) >= 2 {
				ov := argVal(1, k)
				if ov.Nulls.IsNull(r) || ov.Typ.Family.Physical() != types.PhysInt {
					out.Nulls.SetNull(k)
					continue
				}
				off = ov.Int[r]
			}
			if f.Name == "lag" {
				off = -off
			}
			t := int64(k) + off
			if t >= int64(ps) && t < int64(pe) {
				out.CopyRow(k, argVal(0, k), w.perm[t])
			} else if len(f.Args) == 3 {
				out.CopyRow(k, argVal(2, k), r)
			} else {
				out.Nulls.SetNull(k)
			}
		}
		return nil
	case "first_value", "last_value", "nth_value":
		fm := w.newFramer(f.Frame, ps, pe, peerStart, peerEnd)
		for k := ps; k < pe; k++ {
			fs, fe := fm.frame(k)
			t := -1
			switch f.Name {
			case "first_value":
				t = fs
			case "last_value":
				t = fe - 1
			default:
				nv := argVal(1, k)
				r := w.perm[k]
				if nv.Nulls.IsNull(r) || nv.Typ.Family.Physical() != types.PhysInt {
					break
				}
				if nv.Int[r] <= 0 {
					return types.Errorf("22016", "argument of nth_value must be greater than zero")
				}
				t = fs + int(nv.Int[r]) - 1
			}
			if t >= fs && t < fe && t >= 0 {
				out.CopyRow(k, argVal(0, k), w.perm[t])
			} else {
				out.Nulls.SetNull(k)
			}
		}
		return nil
	}
	// An aggregate over the frame.
	spec := AggSpec{Name: f.Name, Args: f.Args, ArgTypes: f.ArgTypes, Ret: f.Ret, FilterCol: -1}
	agg, err := newAggFunc(spec)
	if err != nil {
		return err
	}
	agg.grow(1)
	fm := w.newFramer(f.Frame, ps, pe, peerStart, peerEnd)
	sc := exec.Chunk{Cols: cols, N: w.st.n}
	accS, accE := -1, -1
	for k := ps; k < pe; k++ {
		fs, fe := fm.frame(k)
		if fs == accS && fe >= accE {
			if fe > accE {
				if err := agg.update(&sc, w.perm[accE:fe], w.zeros[:fe-accE]); err != nil {
					return err
				}
			}
		} else {
			agg.reset(0)
			if err := agg.update(&sc, w.perm[fs:fe], w.zeros[:fe-fs]); err != nil {
				return err
			}
		}
		accS, accE = fs, fe
		if err := agg.result(out, 0, k); err != nil {
			return err
		}
	}
	return nil
}

func (w *window) Next() (*exec.Chunk, error) {
	if !w.done {
		if err := w.compute(); err != nil {
			return nil, err
		}
		w.done = true
	}
	if w.pos >= len(w.perm) {
		return nil, nil
	}
	end := min(len(w.perm), w.pos+exec.DefaultChunkSize)
	w.out.Reset()
	w.out.SetLen(end - w.pos)
	rows := w.perm[w.pos:end]
	nin := len(w.st.cols)
	for i := 0; i < nin; i++ {
		gather(w.out.Cols[i], 0, w.st.cols[i], rows, nil)
	}
	w.tmp = w.tmp[:0]
	for k := w.pos; k < end; k++ {
		w.tmp = append(w.tmp, k)
	}
	for i, v := range w.res {
		gather(w.out.Cols[nin+i], 0, v, w.tmp, nil)
	}
	w.pos = end
	return w.out, nil
}

func (w *window) Close() error     { return w.in.Close() }
func (w *window) Types() []types.T { return w.ts }
