package stream

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

type aggKind uint8

const (
	akCount     aggKind = iota // count(*), count(x)
	akSumInt                   // sum/avg of int2/int4/int8: exact decimal sum
	akSumDec                   // sum/avg of numeric
	akSumFloat                 // sum/avg of float4/float8
	akSumIv                    // sum/avg of interval
	akMinMax                   // min/max: multiset of values
	akExtreme                  // min/max of an append-only input: the extreme so far
	akBool                     // bool_and/every/bool_or: counts of true/false
	akStringAgg                // string_agg: multiset of (value, separator)
	akVarDec                   // variance/stddev of integers and numerics
)

// aggInfo is one aggregate of a HashAgg with its resolved implementation.
type aggInfo struct {
	spec   batch.AggSpec
	kind   aggKind
	avg    bool // avg instead of sum
	max    bool // max instead of min
	or     bool // bool_or instead of bool_and
	f4     bool // sum(real): result rounded to float4
	intRet bool // sum(int2/int4): bigint result
	samp   bool // sample (not population) variance
	sqrt   bool // stddev
	ms     bool // keeps a per-group multiset of its arguments
	argTs  []types.T
}

// accFields is the number of value columns each aggregate's accumulator
// occupies in the group state row (see HashAgg).
const accFields = 7

// acc is the accumulator of one aggregate in one group. Every field is
// retractable (a delete subtracts exactly what the insert added).
type acc struct {
	cnt     int64       // rows (or distinct values) counted
	sum     apd.Decimal // exact sum (ints, numerics, floats, interval µs); Σx for variance
	sxx     apd.Decimal // Σx² (variance)
	a, b, c int64       // NaN/+Inf/-Inf counts; true/false counts; interval months/days
	scales  []int64     // numeric sums: number of values per display scale
	// ext is the extreme so far of an akExtreme aggregate (kept in the
	// state row's bytea field instead of scales); hasExt is false until
	// the first value, or for a group stored by a version that kept the
	// values' multiset (see extreme).
	ext    types.Datum
	hasExt bool
}

func (a *acc) reset() {
	a.cnt, a.a, a.b, a.c = 0, 0, 0, 0
	a.sum.SetInt64(0)
	a.sxx.SetInt64(0)
	a.scales = a.scales[:0]
	a.ext, a.hasExt = types.Null, false
}

// HashAgg is an incremental GROUP BY: its output is the group columns
// followed by one column per aggregate, exactly the rows the batch
// HashAggregate would return over the current input multiset.
//
// State (table stateID):
//
//	group:     stateID | vnode(group) | memcmp(group)
//	           → state.AppendRow([rows int8] ++ group ++ 7 fields per aggregate)
//	multiset:  stateID | vnode(group) | memcmp(group) | uint16 agg index | memcmp(args)
//	           → uvarint count ++ state.AppendRow(args)
//
// vnode(group) is state.VNodeOf(state.HashDatums(group types, group)).
// rows is the number of input rows in the group; the group is deleted when
// it reaches 0. The 7 accumulator fields are cnt int8, sum numeric, sxx
// numeric, a int8, b int8, c int8 and scales bytea (uvarint counts per
// numeric display scale). Multisets are kept for min/max (the values),
// string_agg (value, separator) and every DISTINCT aggregate (its
// arguments; the accumulator then sees a value when its count goes 0→1 and
// loses it on 1→0).
//
// Over an append-only input (SetAppendOnlyInput), min and max keep only
// the extreme so far, in the bytea field, and no multiset.
//
// A watermark on a group column deletes the groups below it (OnWatermark);
// with SetEmitOnWindowClose the aggregation emits nothing from Push and
// each group's final row once its window closes.
type HashAgg struct {
	vnodeRange
	id        uint32
	inTypes   []types.T
	groupCols []int
	gts       []types.T
	aggs      []aggInfo
	ts        []types.T
	rowTs     []types.T
	out       *output

	works   []aggWork
	index   map[string]int
	rowBuf  []types.Datum
	argBuf  []types.Datum
	keyBuf  []byte
	valBuf  []byte
	scratch []byte
	oldBuf  []byte
	cur     groupState
	oldRow  []types.Datum
	newRow  []types.Datum
	oldEnc  []byte
	newEnc  []byte

	// Watermarks (see OnWatermark).
	// deferInitial and emittedGlobal implement DeferInitialOutput.
	deferInitial, emittedGlobal bool
	eowc                        bool            // EMIT ON WINDOW CLOSE
	eowcPos                     int             // position in groupCols of the window column
	cfgErr                      error           // bad SetEmitOnWindowClose, reported by Push
	wms                         []types.Datum   // per group position: current watermark (Null: none)
	hasWM                       bool            // some wms[i] is set
	dropped                     int64           // late rows dropped by Push
	keyD                        []types.Datum   // decoded group keys
	closed                      [][]types.Datum // EOWC rows finalized by one watermark
}

type aggWork struct {
	key  []byte
	rows []int
}

type groupState struct {
	rows  int64
	group []types.Datum
	accs  []acc
}

// NewHashAgg returns an incremental aggregation of an input with types
// inTypes, grouped by groupCols, computing aggs (built as for the batch
// HashAggregate: names, Args, ArgTypes and Ret from batch.ResolveAggregate,
// Distinct, FilterCol). Supported: count, sum, avg, min, max, bool_and,
// every, bool_or, string_agg, and variance/stddev (all four forms) of
// integers and numerics, each with DISTINCT and FILTER. Other aggregates
// (variance of floats) fail with SQLSTATE 0A000.
//
// Sums of floats are computed exactly (each value as its shortest decimal
// representation), so they do not depend on the order rows arrived in and
// deletes retract exactly; the result is that exact sum rounded once, which
// can differ in the last bit from PostgreSQL's running float sum.
// string_agg concatenates the values in the order of the spec's Order, ties
// and an unordered string_agg in ascending (value, separator) order;
// PostgreSQL leaves the order of an unordered string_agg unspecified.
//
// Without group columns the output is always exactly one row: the caller
// emits InitialOutput when it creates the dataflow, and every Push then
// emits a Delete of the old row and an Insert of the new one.
func NewHashAgg(stateID uint32, inTypes []types.T, groupCols []int, aggs []batch.AggSpec) (*HashAgg, error) {
	h := &HashAgg{id: stateID, inTypes: inTypes, groupCols: groupCols, index: map[string]int{}}
	for _, c := range groupCols {
		h.gts = append(h.gts, inTypes[c])
	}
	h.ts = append(h.ts, h.gts...)
	h.rowTs = append([]types.T{types.TInt8}, h.gts...)
	for _, s := range aggs {
		ai, err := resolveAgg(s, inTypes)
		if err != nil {
			return nil, err
		}
		h.aggs = append(h.aggs, ai)
		h.ts = append(h.ts, s.Ret)
		h.rowTs = append(h.rowTs, types.TInt8, types.TNumeric, types.TNumeric, types.TInt8, types.TInt8, types.TInt8, types.TBytea)
	}
	if len(h.aggs) > math.MaxUint16 {
		return nil, types.Errorf(types.CodeProgramLimitExceeded, "too many aggregates")
	}
	h.out = newOutput(h.ts)
	return h, nil
}

func resolveAgg(s batch.AggSpec, inTypes []types.T) (aggInfo, error) {
	ai := aggInfo{spec: s}
	for _, a := range s.Args {
		ai.argTs = append(ai.argTs, inTypes[a])
	}
	var f types.Family
	var argNames []string
	for _, t := range ai.argTs {
		argNames = append(argNames, t.String())
	}
	if len(s.Args) > 0 {
		f = inTypes[s.Args[0]].Family
	}
	unsupported := func() (aggInfo, error) {
		return ai, types.Errorf(types.CodeFeatureNotSupported, "aggregate %s(%s) is not supported in a materialized view", s.Name, strings.Join(argNames, ", "))
	}
	switch s.Name {
	case "count":
		ai.kind = akCount
	case "sum", "avg":
		ai.avg = s.Name == "avg"
		switch f {
		case types.Int16, types.Int32, types.Int64:
			ai.kind = akSumInt
			ai.intRet = !ai.avg && f != types.Int64
		case types.Numeric:
			ai.kind = akSumDec
		case types.Float32, types.Float64:
			ai.kind = akSumFloat
			ai.f4 = !ai.avg && f == types.Float32
		case types.Interval:
			ai.kind = akSumIv
		default:
			return unsupported()
		}
	case "min", "max":
		ai.kind, ai.max, ai.ms = akMinMax, s.Name == "max", true
	case "bool_and", "every", "bool_or":
		ai.kind, ai.or = akBool, s.Name == "bool_or"
	case "string_agg":
		if len(s.Args) != 2 {
			return unsupported()
		}
		ai.kind, ai.ms = akStringAgg, true
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		switch f {
		case types.Int16, types.Int32, types.Int64, types.Numeric:
		default:
			return unsupported()
		}
		ai.kind = akVarDec
		ai.samp = !strings.HasSuffix(s.Name, "_pop")
		ai.sqrt = strings.HasPrefix(s.Name, "stddev")
	default:
		return unsupported()
	}
	if s.Distinct && len(s.Args) > 0 {
		ai.ms = true
	}
	if len(s.Args) == 0 && ai.kind != akCount {
		return unsupported()
	}
	return ai, nil
}

// Types implements Operator: group columns then aggregate results.
func (h *HashAgg) Types() []types.T { return h.ts }

// SetAppendOnlyInput declares that the input never deletes (a source or an
// append-only table through filters and projections): min and max then
// keep the extreme so far instead of a sorted multiset of every value, and
// a delete is an error. It must be called before the first Push, the same
// way every time the view is compiled.
func (h *HashAgg) SetAppendOnlyInput() {
	for i := range h.aggs {
		if h.aggs[i].kind == akMinMax {
			h.aggs[i].kind, h.aggs[i].ms = akExtreme, false
		}
	}
}

// DeferInitialOutput is used while a view is created and backfilled: the
// global row of the empty input is not emitted up front (downstream
// expressions over it, such as 2 / count(*), could fail though the
// backfilled input is not empty). The first Push then emits only the new
// row, and EndDeferral reports whether the input stayed empty, in which
// case the caller emits InitialOutput after all.
func (h *HashAgg) DeferInitialOutput() { h.deferInitial = true }

// EndDeferral ends DeferInitialOutput; it reports whether no row was
// pushed meanwhile. st is the state the aggregation wrote to.
func (h *HashAgg) EndDeferral() (empty bool) {
	h.deferInitial = false
	return len(h.groupCols) == 0 && !h.emittedGlobal
}

// InitialOutput returns the output of the aggregation over an empty input:
// for a global aggregation (no group columns) the single row (count 0,
// other aggregates NULL) as an insert, which the caller must emit when the
// dataflow is created; nil for a grouped aggregation.
func (h *HashAgg) InitialOutput() *exec.Chunk {
	if len(h.groupCols) > 0 {
		return nil
	}
	h.cur.rows, h.cur.group = 0, nil
	h.resetAccs(&h.cur)
	row := make([]types.Datum, len(h.ts))
	for i := range h.aggs {
		row[i] = h.finalEmpty(i)
	}
	c := exec.NewChunk(h.ts)
	c.AppendDatums(row)
	c.Ops = []exec.Op{exec.OpInsert}
	return c
}

// finalEmpty is the value of aggregate i over no rows.
func (h *HashAgg) finalEmpty(i int) types.Datum {
	if h.aggs[i].kind == akCount {
		return types.NewInt(0)
	}
	return types.Null
}

func (h *HashAgg) resetAccs(g *groupState) {
	if len(g.accs) != len(h.aggs) {
		g.accs = make([]acc, len(h.aggs))
	}
	for i := range g.accs {
		g.accs[i].reset()
	}
}

// Push implements Operator.
func (h *HashAgg) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	if h.cfgErr != nil {
		return h.cfgErr
	}
	h.out.start(emit)
	clear(h.index)
	h.works = h.works[:0]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if h.hasWM && h.late(c, r) {
			h.dropped++
			continue
		}
		g := colsOf(c, r, h.groupCols, h.rowBuf)
		h.rowBuf = g
		h.keyBuf = rowKey(h.keyBuf[:0], h.id, h.gts, g)
		i, ok := h.index[string(h.keyBuf)]
		if !ok {
			i = len(h.works)
			h.index[string(h.keyBuf)] = i
			if i < cap(h.works) {
				h.works = h.works[:i+1]
				h.works[i].key = append(h.works[i].key[:0], h.keyBuf...)
				h.works[i].rows = h.works[i].rows[:0]
			} else {
				h.works = append(h.works, aggWork{key: append([]byte(nil), h.keyBuf...)})
			}
		}
		h.works[i].rows = append(h.works[i].rows, r)
	}
	for i := range h.works {
		if err := h.processGroup(ctx.State, &h.works[i], c); err != nil {
			return err
		}
	}
	return h.out.flush()
}

func (h *HashAgg) processGroup(st State, w *aggWork, c *exec.Chunk) error {
	g := &h.cur
	existed, err := h.load(st, w.key, g)
	if err != nil {
		return err
	}
	global := len(h.groupCols) == 0
	hadOld := (existed || global) && !h.eowc
	if global && h.deferInitial && !h.emittedGlobal {
		// The empty-input row was never emitted: nothing to retract.
		hadOld = false
	}
	if global {
		h.emittedGlobal = true
	}
	if hadOld {
		if h.oldRow, err = h.finalize(st, w.key, g, h.oldRow); err != nil {
			return err
		}
		h.oldEnc = state.AppendRow(h.oldEnc[:0], h.ts, h.oldRow)
	}
	if !existed {
		g.group = g.group[:0]
		for _, d := range colsOf(c, w.rows[0], h.groupCols, h.rowBuf) {
			g.group = append(g.group, copyDatum(d))
		}
	}
	for _, r := range w.rows {
		s := Sign(c, r)
		g.rows += s
		for i := range h.aggs {
			if err := h.update(st, w.key, i, &g.accs[i], c, r, s); err != nil {
				return err
			}
		}
	}
	if g.rows < 0 {
		return negativeCount()
	}
	if g.rows == 0 {
		if existed {
			if err := st.Delete(w.key); err != nil {
				return err
			}
		}
	} else if err := h.save(st, w.key, g); err != nil {
		return err
	}
	if h.eowc {
		// Emitted by OnWatermark when the window closes.
		return nil
	}
	hasNew := g.rows > 0 || global
	if hasNew {
		if h.newRow, err = h.finalize(st, w.key, g, h.newRow); err != nil {
			return err
		}
		h.newEnc = state.AppendRow(h.newEnc[:0], h.ts, h.newRow)
		if hadOld && string(h.oldEnc) == string(h.newEnc) {
			return nil
		}
	}
	if hadOld {
		if err := h.out.add(h.oldRow, exec.OpDelete); err != nil {
			return err
		}
	}
	if hasNew {
		return h.out.add(h.newRow, exec.OpInsert)
	}
	return nil
}

// copyDatum returns a deep copy of d (bytes and decimal coefficient).
func copyDatum(d types.Datum) types.Datum {
	if d.S != nil {
		d.S = append([]byte{}, d.S...)
	}
	var c types.Datum
	c.D.Set(&d.D)
	d.D = c.D
	return d
}

// load reads group key into g (reset to empty when absent).
func (h *HashAgg) load(st State, key []byte, g *groupState) (bool, error) {
	h.resetAccs(g)
	g.rows = 0
	v, found, err := st.Get(key)
	if err != nil || !found {
		return false, err
	}
	return true, h.decodeGroup(v, g)
}

// decodeGroup decodes group state value v into g (accumulators reset).
func (h *HashAgg) decodeGroup(v []byte, g *groupState) error {
	row, err := state.DecodeRowCopy(v, h.rowTs, h.rowBuf[:0])
	if err != nil {
		return err
	}
	h.rowBuf = row
	g.rows = row[0].I
	ng := len(h.gts)
	g.group = g.group[:0]
	for _, d := range row[1 : 1+ng] {
		g.group = append(g.group, copyDatum(d))
	}
	for i := range h.aggs {
		f := row[1+ng+i*accFields:]
		a := &g.accs[i]
		a.cnt = f[0].I
		a.sum.Set(&f[1].D)
		a.sxx.Set(&f[2].D)
		a.a, a.b, a.c = f[3].I, f[4].I, f[5].I
		b := f[6].S
		if h.aggs[i].kind == akExtreme {
			if len(b) > 0 {
				ext, err := state.DecodeRowCopy(b, h.aggs[i].argTs[:1], nil)
				if err != nil {
					return err
				}
				a.ext, a.hasExt = ext[0], true
			}
			continue
		}
		for len(b) > 0 {
			x, k := binary.Uvarint(b)
			if k <= 0 {
				return corrupt("aggregate scales")
			}
			a.scales = append(a.scales, int64(x))
			b = b[k:]
		}
	}
	return nil
}

func (h *HashAgg) save(st State, key []byte, g *groupState) error {
	row := append(h.rowBuf[:0], types.NewInt(g.rows))
	row = append(row, g.group...)
	for i := range g.accs {
		a := &g.accs[i]
		var sc []byte
		for _, x := range a.scales {
			sc = binary.AppendUvarint(sc, uint64(x))
		}
		if a.hasExt {
			sc = state.AppendRow(nil, h.aggs[i].argTs[:1], []types.Datum{a.ext})
		}
		if sc == nil {
			sc = []byte{}
		}
		row = append(row, types.NewInt(a.cnt), types.NewDecimal(&a.sum), types.NewDecimal(&a.sxx),
			types.NewInt(a.a), types.NewInt(a.b), types.NewInt(a.c), types.NewBytes(sc))
	}
	h.rowBuf = row
	h.valBuf = state.AppendRow(h.valBuf[:0], h.rowTs, row)
	return st.Set(key, h.valBuf)
}

// msKey appends the multiset key prefix of aggregate i of group key gkey.
func msPrefix(buf, gkey []byte, i int) []byte {
	buf = append(buf, gkey...)
	return binary.BigEndian.AppendUint16(buf, uint16(i))
}

// update folds physical row r of c (multiplicity change s) into aggregate i.
func (h *HashAgg) update(st State, gkey []byte, i int, a *acc, c *exec.Chunk, r int, s int64) error {
	ai := &h.aggs[i]
	if fc := ai.spec.FilterCol; fc >= 0 {
		fv := c.Cols[fc]
		if fv.Typ.Family.Physical() != types.PhysBool || fv.Nulls.IsNull(r) || !fv.Bool[r] {
			return nil
		}
	}
	if len(ai.spec.Args) == 0 {
		a.cnt += s
		return nil
	}
	args := colsOf(c, r, ai.spec.Args, h.argBuf)
	h.argBuf = args
	if args[0].Null {
		return nil
	}
	if ai.kind == akExtreme {
		return h.extreme(st, gkey, i, a, args[0], s)
	}
	if ai.ms {
		h.keyBuf = msPrefix(h.keyBuf[:0], gkey, i)
		if ai.kind == akStringAgg {
			// ORDER BY of the aggregate first: the multiset scan then
			// concatenates in that order (ties by value).
			for _, o := range ai.spec.Order {
				col := c.Cols[o.Col]
				h.keyBuf = state.AppendKeyNulls(h.keyBuf, col.Typ, col.Get(r), o.Desc, !o.NullsFirst)
			}
		}
		h.keyBuf = state.AppendKeys(h.keyBuf, ai.argTs, args, nil)
		before, after, old, err := addCountOld(st, h.keyBuf, s, ai.argTs, args, &h.scratch, &h.oldBuf)
		if err != nil {
			return err
		}
		if ai.kind == akMinMax || ai.kind == akStringAgg {
			a.cnt += s
			return nil
		}
		// DISTINCT: the accumulator sees each distinct value once.
		switch {
		case before == 0 && after > 0:
			return h.apply(ai, a, args[0], 1)
		case before > 0 && after == 0:
			stored, err := state.DecodeRow(old, ai.argTs, h.argBuf[:0])
			if err != nil {
				return err
			}
			h.argBuf = stored
			return h.apply(ai, a, stored[0], -1)
		}
		return nil
	}
	return h.apply(ai, a, args[0], s)
}

// extreme folds value v (multiplicity change s) into append-only min/max
// aggregate i.
func (h *HashAgg) extreme(st State, gkey []byte, i int, a *acc, v types.Datum, s int64) error {
	ai := &h.aggs[i]
	if s < 0 {
		return types.Errorf(types.CodeInternal, "stream: aggregation over an append-only input received a delete")
	}
	if !a.hasExt && a.cnt > 0 {
		// Stored by a version that kept the multiset: start from it.
		cur, err := h.scanMultiset(st, gkey, i)
		if err != nil {
			return err
		}
		a.ext, a.hasExt = cur, !cur.Null
	}
	a.cnt += s
	t := ai.argTs[0]
	if !a.hasExt || (ai.max && types.Compare(t, v, a.ext) > 0) || (!ai.max && types.Compare(t, v, a.ext) < 0) {
		a.ext, a.hasExt = copyDatum(v), true
	}
	return nil
}

// addCountOld is addCount that also returns the stored row encoding (copied
// into *old) when the count drops to 0.
func addCountOld(st State, key []byte, delta int64, ts []types.T, row []types.Datum, scratch, old *[]byte) (before, after int64, oldRow []byte, err error) {
	if delta < 0 {
		v, found, err := st.Get(key)
		if err != nil {
			return 0, 0, nil, err
		}
		if found {
			n, rest, err := decodeCount(v)
			if err != nil {
				return 0, 0, nil, err
			}
			if n+delta == 0 {
				*old = append((*old)[:0], rest...)
				oldRow = *old
			}
		}
	}
	before, after, err = addCount(st, key, delta, ts, row, scratch)
	return before, after, oldRow, err
}

// apply adds (s = +1) or removes (s = -1) value d to/from accumulator a.
func (h *HashAgg) apply(ai *aggInfo, a *acc, d types.Datum, s int64) error {
	a.cnt += s
	var x apd.Decimal
	addDec := func(dst, v *apd.Decimal) error {
		var err error
		if s > 0 {
			_, err = exactCtx.Add(dst, dst, v)
		} else {
			_, err = exactCtx.Sub(dst, dst, v)
		}
		return err
	}
	switch ai.kind {
	case akCount:
	case akSumInt:
		x.SetInt64(d.I)
		return addDec(&a.sum, &x)
	case akVarDec:
		if ai.argTs[0].Family == types.Numeric {
			x.Set(&d.D)
		} else {
			x.SetInt64(d.I)
		}
		var x2 apd.Decimal
		if _, err := exactCtx.Mul(&x2, &x, &x); err != nil {
			return err
		}
		if err := addDec(&a.sum, &x); err != nil {
			return err
		}
		return addDec(&a.sxx, &x2)
	case akSumDec:
		switch d.D.Form {
		case apd.NaN, apd.NaNSignaling:
			a.a += s
		case apd.Infinite:
			if d.D.Negative {
				a.c += s
			} else {
				a.b += s
			}
		default:
			sc := dscale(&d.D)
			for len(a.scales) <= sc {
				a.scales = append(a.scales, 0)
			}
			a.scales[sc] += s
			for len(a.scales) > 0 && a.scales[len(a.scales)-1] == 0 {
				a.scales = a.scales[:len(a.scales)-1]
			}
			return addDec(&a.sum, &d.D)
		}
	case akSumFloat:
		f := d.F
		switch {
		case math.IsNaN(f):
			a.a += s
		case math.IsInf(f, 1):
			a.b += s
		case math.IsInf(f, -1):
			a.c += s
		default:
			if _, err := x.SetFloat64(f); err != nil {
				return err
			}
			return addDec(&a.sum, &x)
		}
	case akSumIv:
		a.a += s * int64(d.Iv.Months)
		a.b += s * int64(d.Iv.Days)
		x.SetInt64(d.Iv.Micros)
		return addDec(&a.sum, &x)
	case akBool:
		if d.B {
			a.a += s
		} else {
			a.b += s
		}
	}
	return nil
}

// finalize computes the output row of group g (key gkey) into dst.
func (h *HashAgg) finalize(st State, gkey []byte, g *groupState, dst []types.Datum) ([]types.Datum, error) {
	dst = append(dst[:0], g.group...)
	for i := range h.aggs {
		d, err := h.result(st, gkey, i, &g.accs[i])
		if err != nil {
			return nil, err
		}
		dst = append(dst, d)
	}
	return dst, nil
}

func specialDec(a *acc) (types.Datum, bool) {
	var d types.Datum
	switch {
	case a.a > 0 || (a.b > 0 && a.c > 0):
		d.D.Form = apd.NaN
	case a.b > 0:
		d.D.Form = apd.Infinite
	case a.c > 0:
		d.D.Form = apd.Infinite
		d.D.Negative = true
	default:
		return d, false
	}
	return d, true
}

func (h *HashAgg) result(st State, gkey []byte, i int, a *acc) (types.Datum, error) {
	ai := &h.aggs[i]
	if ai.kind == akCount {
		return types.NewInt(a.cnt), nil
	}
	if a.cnt == 0 {
		return types.Null, nil
	}
	var cnt apd.Decimal
	cnt.SetInt64(a.cnt)
	switch ai.kind {
	case akSumInt:
		if ai.intRet {
			v, err := a.sum.Int64()
			if err != nil {
				return types.Null, types.Errorf(types.CodeNumericOutOfRange, "bigint out of range")
			}
			return types.NewInt(v), nil
		}
		var d types.Datum
		if ai.avg {
			numericDiv(&d.D, &a.sum, &cnt)
		} else {
			d.D.Set(&a.sum)
		}
		return d, nil
	case akSumDec:
		if d, ok := specialDec(a); ok {
			return d, nil
		}
		var sum apd.Decimal
		sum.Set(&a.sum)
		if err := quantize(&sum, len(a.scales)-1); err != nil {
			return types.Null, err
		}
		var d types.Datum
		if ai.avg {
			numericDiv(&d.D, &sum, &cnt)
		} else {
			d.D.Set(&sum)
		}
		return d, nil
	case akSumFloat:
		var f float64
		switch {
		case a.a > 0 || (a.b > 0 && a.c > 0):
			f = math.NaN()
		case a.b > 0:
			f = math.Inf(1)
		case a.c > 0:
			f = math.Inf(-1)
		default:
			bits := 64
			if ai.f4 {
				bits = 32
			}
			var err error
			f, err = strconv.ParseFloat(a.sum.String(), bits)
			if err != nil && !math.IsInf(f, 0) {
				return types.Null, err
			}
			if ai.avg {
				f /= float64(a.cnt)
			}
		}
		return types.NewFloat(f), nil
	case akSumIv:
		micros, err := a.sum.Int64()
		if err != nil || a.a != int64(int32(a.a)) || a.b != int64(int32(a.b)) {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
		}
		iv := types.IntervalValue{Months: int32(a.a), Days: int32(a.b), Micros: micros}
		if ai.avg {
			iv = intervalDiv(iv, float64(a.cnt))
		}
		return types.NewInterval(iv), nil
	case akBool:
		if ai.or {
			return types.NewBool(a.a > 0), nil
		}
		return types.NewBool(a.b == 0), nil
	case akVarDec:
		return varResult(ai, a), nil
	case akMinMax, akStringAgg:
		return h.scanMultiset(st, gkey, i)
	case akExtreme:
		if !a.hasExt {
			return h.scanMultiset(st, gkey, i)
		}
		return a.ext, nil
	}
	return types.Null, nil
}

// scanMultiset computes min/max or string_agg from aggregate i's multiset.
func (h *HashAgg) scanMultiset(st State, gkey []byte, i int) (types.Datum, error) {
	ai := &h.aggs[i]
	lower := msPrefix(nil, gkey, i)
	it, err := st.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return types.Null, err
	}
	defer it.Close()
	if ai.kind == akMinMax || ai.kind == akExtreme {
		ok := it.First()
		if ai.max {
			ok = it.Last()
		}
		if !ok {
			return types.Null, it.Error()
		}
		_, rest, err := decodeCount(it.Value())
		if err != nil {
			return types.Null, err
		}
		row, err := state.DecodeRowCopy(rest, ai.argTs, nil)
		if err != nil {
			return types.Null, err
		}
		return row[0], nil
	}
	var buf []byte
	first := true
	var row []types.Datum
	for ok := it.First(); ok; ok = it.Next() {
		n, rest, err := decodeCount(it.Value())
		if err != nil {
			return types.Null, err
		}
		if ai.spec.Distinct {
			n = 1
		}
		row, err = state.DecodeRow(rest, ai.argTs, row[:0])
		if err != nil {
			return types.Null, err
		}
		for ; n > 0; n-- {
			if !first && !row[1].Null {
				buf = append(buf, row[1].S...)
			}
			first = false
			buf = append(buf, row[0].S...)
		}
	}
	if err := it.Error(); err != nil {
		return types.Null, err
	}
	if first {
		return types.Null, nil
	}
	if buf == nil {
		buf = []byte{}
	}
	return types.NewBytes(buf), nil
}

// quantize sets d's scale to sc (≥ 0) fractional digits; d must be exactly
// representable at that scale or be rounded half away from zero.
func quantize(d *apd.Decimal, sc int) error {
	sc = max(sc, 0)
	if d.Exponent == int32(-sc) {
		return nil
	}
	ctx := apd.BaseContext
	ctx.Rounding = apd.RoundHalfUp
	e := int64(d.Exponent)
	ctx.Precision = uint32(int64(d.NumDigits()) + max(e, -e) + int64(sc) + 2)
	_, err := ctx.Quantize(d, d, int32(-sc))
	return err
}

// varResult is the batch decVarAgg finalisation.
func varResult(ai *aggInfo, a *acc) types.Datum {
	n := a.cnt
	if n == 0 || (ai.samp && n == 1) {
		return types.Null
	}
	var vn, num, t, den apd.Decimal
	vn.SetInt64(n)
	exactCtx.Mul(&t, &a.sum, &a.sum)
	exactCtx.Mul(&num, &vn, &a.sxx)
	exactCtx.Sub(&num, &num, &t)
	var d types.Datum
	if num.Sign() <= 0 {
		d.D.SetInt64(0)
		return d
	}
	if ai.samp {
		den.SetInt64(n * (n - 1))
	} else {
		den.SetInt64(n * n)
	}
	rs := selectDivScale(&num, &den)
	var q apd.Decimal
	divScale(&q, &num, &den, rs)
	if ai.sqrt {
		ctx := apd.BaseContext
		ctx.Precision = uint32(int64(q.NumDigits()) + int64(rs) + 10)
		ctx.Sqrt(&q, &q)
		ctx.Rounding = apd.RoundHalfUp
		ctx.Quantize(&q, &q, int32(-rs))
	}
	d.D.Set(&q)
	return d
}
