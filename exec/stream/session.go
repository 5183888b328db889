package stream

import (
	"bytes"
	"math"
	"sort"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Session is the incremental SESSION window table function: its output is
// every input row (without NULL time) followed by window_start and
// window_end of its session, exactly what batch.NewSession returns over
// the current input multiset. Rows t1 <= t2 of one partition are in one
// session when t2 - t1 < gap; window_start is the first time of the
// session, window_end its last time plus gap.
//
// State (table id), the input multiset ordered by partition and time:
//
//	id | vnode(partition) | memcmp(partition) | memcmp(time) | memcmp(row) → count ++ row
//
// A delta is applied per partition: the sessions it can touch (those with
// a row within gap of a changed time, grown to whole sessions) are read
// before and after the change, and the rows whose annotation changed are
// emitted as a Delete with the old window and an Insert with the new one:
// an insert that bridges two sessions re-annotates both, a delete that
// splits one re-annotates its rows. A downstream HashAgg on (keys,
// window_start, window_end) then retracts and updates its groups.
//
// Watermarks: a watermark W on the time column makes every session whose
// window_end is <= W final (a later row at time >= W starts or joins a
// session ending after W, and merging only moves ends later), so its rows
// are deleted from the state, rows below W are dropped (see Dropped), and
// W + 1µs holds on window_end: every row emitted afterwards has a
// window_end above W. No watermark holds on window_start (a merge can move
// a session's start earlier) nor on the time column (a re-annotated row
// keeps its old time). Watermarks on partition columns pass through.
type Session struct {
	id     uint32
	in     []types.T
	ts     []types.T
	col    int
	keys   []int
	keyTs  []types.T
	gap    int64
	out    *output
	wm     types.Datum
	hasWM  bool
	drop   int64
	keyBuf []byte
	lo, hi []byte
	scr    []byte
	row    []types.Datum
	kd     []types.Datum
	parts  map[string]*sessPart
	order  []*sessPart
}

// sessPart is the delta of one partition within a Push.
type sessPart struct {
	prefix []byte // id | vnode | memcmp(partition)
	deltas []sessDelta
}

type sessDelta struct {
	t    int64
	sign int64
	row  []types.Datum
}

// sessEvent is one stored row of a partition.
type sessEvent struct {
	key    []byte
	t      int64
	count  int64
	row    []types.Datum
	ws, we int64
}

// NewSession returns a session window over input columns inTypes with
// time column col (timestamp or timestamptz), partitioned by columns
// keys, with gap µs (> 0), keeping its state in table id.
func NewSession(id uint32, inTypes []types.T, col int, keys []int, gap int64) *Session {
	ts := append(append([]types.T(nil), inTypes...), inTypes[col], inTypes[col])
	s := &Session{id: id, in: inTypes, ts: ts, col: col, keys: keys, gap: gap, out: newOutput(ts), wm: types.Null}
	for _, k := range keys {
		s.keyTs = append(s.keyTs, inTypes[k])
	}
	return s
}

// Types implements Operator.
func (s *Session) Types() []types.T { return s.ts }

// Dropped returns the number of input rows dropped because their time was
// below the watermark.
func (s *Session) Dropped() int64 { return s.drop }

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

// timeKey appends prefix | memcmp(t).
func (s *Session) timeKey(buf, prefix []byte, t int64) []byte {
	buf = append(buf[:0], prefix...)
	return state.AppendKey(buf, s.in[s.col], types.Datum{I: t}, false)
}

// Push implements Operator.
func (s *Session) Push(ctx *Ctx, _ int, c *exec.Chunk, emit func(*exec.Chunk) error) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	if s.parts == nil {
		s.parts = map[string]*sessPart{}
	}
	s.order = s.order[:0]
	clear(s.parts)
	tv := c.Cols[s.col]
	for k := 0; k < n; k++ {
		r := c.Row(k)
		if tv.Nulls.IsNull(r) {
			continue
		}
		t := tv.Int[r]
		if err := batch.SessionGapCheck(t); err != nil {
			return err
		}
		if s.hasWM && t < s.wm.I {
			s.drop++
			continue
		}
		s.kd = colsOf(c, r, s.keys, s.kd)
		s.keyBuf = state.AppendTablePrefix(s.keyBuf[:0], s.id, state.VNodeOf(state.HashDatums(s.keyTs, s.kd)))
		s.keyBuf = state.AppendKeys(s.keyBuf, s.keyTs, s.kd, nil)
		p := s.parts[string(s.keyBuf)]
		if p == nil {
			p = &sessPart{prefix: append([]byte(nil), s.keyBuf...)}
			s.parts[string(s.keyBuf)] = p
			s.order = append(s.order, p)
		}
		row := make([]types.Datum, len(c.Cols))
		for i, v := range c.Cols {
			row[i] = copyDatum(v.Get(r))
		}
		p.deltas = append(p.deltas, sessDelta{t: t, sign: Sign(c, r), row: row})
	}
	s.out.start(emit)
	for _, p := range s.order {
		if err := s.pushPartition(ctx.State, p); err != nil {
			return err
		}
	}
	return s.out.flush()
}

// region is a time range [lo, hi] of a partition holding whole sessions.
type region struct{ lo, hi int64 }

func (s *Session) pushPartition(st State, p *sessPart) error {
	times := make([]int64, len(p.deltas))
	for i, d := range p.deltas {
		times[i] = d.t
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	// Clusters of nearby changed times, each grown to whole sessions.
	var regs []region
	it, err := st.NewIter(p.prefix, state.PrefixEnd(p.prefix))
	if err != nil {
		return err
	}
	for i := 0; i < len(times); {
		a, b := times[i], times[i]
		j := i + 1
		for j < len(times) && times[j]-b < satAdd(s.gap, s.gap) {
			b = times[j]
			j++
		}
		i = j
		r, err := s.grow(it, p.prefix, a, b)
		if err != nil {
			it.Close()
			return err
		}
		if n := len(regs); n > 0 && r.lo <= regs[n-1].hi {
			regs[n-1].hi = max(regs[n-1].hi, r.hi)
			regs[n-1].lo = min(regs[n-1].lo, r.lo)
			continue
		}
		regs = append(regs, r)
	}
	if err := it.Close(); err != nil {
		return err
	}
	olds := make([][]sessEvent, len(regs))
	for i, r := range regs {
		if olds[i], err = s.load(st, p.prefix, r); err != nil {
			return err
		}
	}
	// Fold the deltas per key; each region's new rows are its old ones
	// (which hold every stored row the deltas can touch) plus these.
	net := map[string]*sessEvent{}
	var changed []*sessEvent
	for _, d := range p.deltas {
		s.scr = s.timeKey(s.scr, p.prefix, d.t)
		s.scr = state.AppendKeys(s.scr, s.in, d.row, nil)
		e := net[string(s.scr)]
		if e == nil {
			e = &sessEvent{key: append([]byte(nil), s.scr...), t: d.t, row: d.row}
			net[string(e.key)] = e
			changed = append(changed, e)
		}
		e.count += d.sign
	}
	sort.Slice(changed, func(i, j int) bool { return bytes.Compare(changed[i].key, changed[j].key) < 0 })
	for i, r := range regs {
		var in []*sessEvent
		for _, e := range changed {
			if e.t >= r.lo && e.t <= r.hi {
				in = append(in, e)
			}
		}
		news, err := s.apply(olds[i], in)
		if err != nil {
			return err
		}
		if err := s.store(st, news, in); err != nil {
			return err
		}
		if err := s.annotate(news); err != nil {
			return err
		}
		if err := s.diff(olds[i], news); err != nil {
			return err
		}
	}
	return nil
}

// store writes the new counts of the changed keys (sorted) to the state:
// their rows in news (sorted by key), or a delete for those gone.
func (s *Session) store(st State, news []sessEvent, changed []*sessEvent) error {
	j := 0
	for _, c := range changed {
		for j < len(news) && bytes.Compare(news[j].key, c.key) < 0 {
			j++
		}
		if j < len(news) && bytes.Equal(news[j].key, c.key) {
			s.scr = appendCounted(s.scr[:0], news[j].count, s.in, news[j].row)
			if err := st.Set(c.key, s.scr); err != nil {
				return err
			}
			continue
		}
		if err := st.Delete(c.key); err != nil {
			return err
		}
	}
	return nil
}

// apply returns the rows old (sorted by key) with the net count changes
// of changed (sorted by key) applied; a count going negative (a delete of
// a row not held) is an error. A row keeps its stored representation when
// it was stored already.
func (s *Session) apply(old []sessEvent, changed []*sessEvent) ([]sessEvent, error) {
	out := make([]sessEvent, 0, len(old)+len(changed))
	j := 0
	for i := range old {
		for j < len(changed) && bytes.Compare(changed[j].key, old[i].key) < 0 {
			if n := changed[j].count; n > 0 {
				out = append(out, sessEvent{key: changed[j].key, t: changed[j].t, count: n, row: changed[j].row})
			} else if n < 0 {
				return nil, negativeCount()
			}
			j++
		}
		e := old[i]
		if j < len(changed) && bytes.Equal(changed[j].key, e.key) {
			e.count += changed[j].count
			j++
		}
		if e.count < 0 {
			return nil, negativeCount()
		}
		if e.count > 0 {
			out = append(out, e)
		}
	}
	for ; j < len(changed); j++ {
		if n := changed[j].count; n > 0 {
			out = append(out, sessEvent{key: changed[j].key, t: changed[j].t, count: n, row: changed[j].row})
		} else if n < 0 {
			return nil, negativeCount()
		}
	}
	return out, nil
}

// decodeTime returns the time of a state key of the partition prefix.
func (s *Session) decodeTime(key, prefix []byte) (int64, error) {
	if len(key) < len(prefix) {
		return 0, corrupt("session key")
	}
	d, _, err := state.DecodeKey(key[len(prefix):], s.in[s.col], false)
	if err != nil {
		return 0, err
	}
	return d.I, nil
}

// grow returns the time range covering changed times [a, b] and every
// session with a row within gap of them, whole: the stored rows just
// outside it are at least gap away from everything inside.
func (s *Session) grow(it *state.Iter, prefix []byte, a, b int64) (region, error) {
	r := region{lo: a, hi: b}
	s.lo = s.timeKey(s.lo, prefix, satAdd(a, -s.gap))
	if it.SeekGE(s.lo) {
		x, err := s.decodeTime(it.Key(), prefix)
		if err != nil {
			return r, err
		}
		if x <= satAdd(b, s.gap) {
			// Walk back to the start of x's session.
			cur := x
			for it.Prev() {
				p, err := s.decodeTime(it.Key(), prefix)
				if err != nil {
					return r, err
				}
				if !batch.SameSession(p, cur, s.gap) {
					break
				}
				cur = p
			}
			r.lo = min(r.lo, cur)
		}
	}
	s.hi = s.timeKey(s.hi, prefix, satAdd(satAdd(b, s.gap), 1))
	if it.SeekLT(s.hi) {
		y, err := s.decodeTime(it.Key(), prefix)
		if err != nil {
			return r, err
		}
		if y >= satAdd(a, -s.gap) {
			cur := y
			for it.Next() {
				nx, err := s.decodeTime(it.Key(), prefix)
				if err != nil {
					return r, err
				}
				if !batch.SameSession(cur, nx, s.gap) {
					break
				}
				cur = nx
			}
			r.hi = max(r.hi, cur)
		}
	}
	return r, nil
}

// load reads the stored rows of the partition in r (sorted by key, so by
// time) and annotates them with their sessions.
func (s *Session) load(st State, prefix []byte, r region) ([]sessEvent, error) {
	s.lo = s.timeKey(s.lo, prefix, r.lo)
	s.hi = s.timeKey(s.hi, prefix, satAdd(r.hi, 1))
	if r.hi == math.MaxInt64 {
		s.hi = state.PrefixEnd(prefix)
	}
	it, err := st.NewIter(s.lo, s.hi)
	if err != nil {
		return nil, err
	}
	var evs []sessEvent
	for ok := it.First(); ok; ok = it.Next() {
		t, err := s.decodeTime(it.Key(), prefix)
		if err != nil {
			it.Close()
			return nil, err
		}
		cnt, rest, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		row, err := state.DecodeRowCopy(rest, s.in, nil)
		if err != nil {
			it.Close()
			return nil, err
		}
		evs = append(evs, sessEvent{key: append([]byte(nil), it.Key()...), t: t, count: cnt, row: row})
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return evs, s.annotate(evs)
}

// annotate sets the session bounds of evs (sorted by time, whole sessions).
func (s *Session) annotate(evs []sessEvent) error {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && batch.SameSession(evs[j-1].t, evs[j].t, s.gap) {
			j++
		}
		end, err := batch.WindowEnd(evs[j-1].t, s.gap)
		if err != nil {
			return err
		}
		for k := i; k < j; k++ {
			evs[k].ws, evs[k].we = evs[i].t, end
		}
		i = j
	}
	return nil
}

// diff emits what turns the annotated rows old into news (both sorted by
// key).
func (s *Session) diff(old, news []sessEvent) error {
	i, j := 0, 0
	for i < len(old) || j < len(news) {
		c := 0
		switch {
		case i == len(old):
			c = 1
		case j == len(news):
			c = -1
		default:
			c = bytes.Compare(old[i].key, news[j].key)
		}
		switch {
		case c < 0:
			if err := s.emitN(&old[i], old[i].count, exec.OpDelete); err != nil {
				return err
			}
			i++
		case c > 0:
			if err := s.emitN(&news[j], news[j].count, exec.OpInsert); err != nil {
				return err
			}
			j++
		default:
			o, nw := &old[i], &news[j]
			if o.ws == nw.ws && o.we == nw.we {
				if d := nw.count - o.count; d > 0 {
					if err := s.emitN(nw, d, exec.OpInsert); err != nil {
						return err
					}
				} else if d < 0 {
					if err := s.emitN(o, -d, exec.OpDelete); err != nil {
						return err
					}
				}
			} else {
				if err := s.emitN(o, o.count, exec.OpDelete); err != nil {
					return err
				}
				if err := s.emitN(nw, nw.count, exec.OpInsert); err != nil {
					return err
				}
			}
			i++
			j++
		}
	}
	return nil
}

func (s *Session) emitN(e *sessEvent, n int64, op exec.Op) error {
	s.row = append(append(s.row[:0], e.row...), types.Datum{I: e.ws}, types.Datum{I: e.we})
	for ; n > 0; n-- {
		if err := s.out.add(s.row, op); err != nil {
			return err
		}
	}
	return nil
}

// OnWatermark implements WatermarkHandler: see Session. A watermark on the
// time column deletes the state of the sessions it closes (one pass over
// the state table) and becomes one on window_end.
func (s *Session) OnWatermark(ctx *Ctx, _ int, w Watermark, _ func(*exec.Chunk) error) ([]Watermark, error) {
	if w.Val.Null {
		return nil, nil
	}
	for _, k := range s.keys {
		if k == w.Col {
			return []Watermark{w}, nil
		}
	}
	if w.Col != s.col || (s.hasWM && w.Val.I <= s.wm.I) {
		return nil, nil
	}
	s.wm, s.hasWM = types.Datum{I: w.Val.I}, true
	if err := s.closeSessions(ctx.State, w.Val.I); err != nil {
		return nil, err
	}
	v := w.Val.I
	if types.IsFiniteTimestamp(v) {
		v = satAdd(v, 1)
	}
	return []Watermark{{Col: len(s.in) + 1, Val: types.Datum{I: v}}}, nil
}

// closeSessions deletes the rows of every session whose last time plus
// gap is <= wm. Closed sessions are a prefix of each partition's.
func (s *Session) closeSessions(st State, wm int64) error {
	limit := satAdd(wm, -s.gap) // a closed session's last time is <= limit
	lower := state.TablePrefix(s.id)
	it, err := st.NewIter(lower, state.PrefixEnd(lower))
	if err != nil {
		return err
	}
	var prefix []byte
	var pending [][]byte
	var last int64
	flush := func() error {
		for _, k := range pending {
			if err := st.Delete(k); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	ok := it.First()
	for ok {
		k := it.Key()
		if prefix == nil || !bytes.HasPrefix(k, prefix) {
			// A new partition: the previous one's pending session ended.
			if err := flush(); err != nil {
				it.Close()
				return err
			}
			_, _, rest, good := state.DecodeTablePrefix(k)
			if !good {
				it.Close()
				return corrupt("session key")
			}
			var after []byte
			if s.kd, after, err = state.DecodeKeys(rest, s.keyTs, nil, s.kd); err != nil {
				it.Close()
				return err
			}
			prefix = append(prefix[:0], k[:len(k)-len(after)]...)
			last = math.MinInt64
		}
		t, err := s.decodeTime(k, prefix)
		if err != nil {
			it.Close()
			return err
		}
		if len(pending) > 0 && !batch.SameSession(last, t, s.gap) {
			// The pending session ended at or below limit: closed.
			if err := flush(); err != nil {
				it.Close()
				return err
			}
		}
		if t > limit {
			// This row's session is open, and so are the later ones.
			pending = pending[:0]
			ok = it.SeekGE(state.PrefixEnd(prefix))
			continue
		}
		pending = append(pending, append([]byte(nil), k...))
		last = t
		ok = it.Next()
	}
	if err := flush(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}
