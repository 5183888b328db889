package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// JoinType is the kind of a join.
type JoinType uint8

// The join types. Semi and anti joins output the left columns only.
const (
	InnerJoin JoinType = iota
	LeftJoin
	RightJoin
	FullJoin
	SemiJoin
	AntiJoin
	// NullAwareAntiJoin implements NOT IN: a left row qualifies when no
	// right row compares equal or unknown to it. So if the right side has a
	// NULL key no row qualifies, and a left row whose key is NULL qualifies
	// only if the right side is empty.
	NullAwareAntiJoin
)

// String returns the join type's name as EXPLAIN prints it.
func (t JoinType) String() string {
	switch t {
	case InnerJoin:
		return "Inner"
	case LeftJoin:
		return "Left"
	case RightJoin:
		return "Right"
	case FullJoin:
		return "Full"
	case SemiJoin:
		return "Semi"
	case AntiJoin:
		return "Anti"
	case NullAwareAntiJoin:
		return "Null-aware Anti"
	}
	return "?"
}

func (t JoinType) leftOnly() bool { return t >= SemiJoin }

func joinTypes(l, r []types.T, typ JoinType) []types.T {
	if typ.leftOnly() {
		return l
	}
	return append(append([]types.T{}, l...), r...)
}

// joinOutput holds the state shared by the hash and nested-loop joins to
// turn candidate pairs into output chunks.
type joinOutput struct {
	typ      JoinType
	residual exec.Expr
	ec       *exec.EvalCtx
	nl       int // number of left columns
	cand     *exec.Chunk
	sel      []int
	out      exec.Chunk
	lmatched []bool
	rmatched []bool
	pl, pr   []int // candidate pairs: left positions (into lrows), build rows
	lrows    []int
	tmp      []int
	// nullMatches counts a NULL residual result as a match (the nested-loop
	// null-aware anti join, where the residual is the whole NOT IN test).
	nullMatches bool
}

// evalPairs materialises the candidate pairs, applies the residual and
// marks matches. It returns an output chunk for inner/outer joins, or nil.
func (j *joinOutput) evalPairs(lc *exec.Chunk, build *store) (*exec.Chunk, error) {
	n := len(j.pl)
	c := j.cand
	c.Reset()
	c.SetLen(n)
	j.tmp = j.tmp[:0]
	for _, p := range j.pl {
		j.tmp = append(j.tmp, j.lrows[p])
	}
	for i := 0; i < j.nl; i++ {
		gather(c.Cols[i], 0, lc.Cols[i], j.tmp, nil)
	}
	for i := j.nl; i < len(c.Cols); i++ {
		gather(c.Cols[i], 0, build.cols[i-j.nl], j.pr, nil)
	}
	j.sel = j.sel[:0]
	if j.residual != nil {
		v, err := j.residual.Eval(j.ec, c)
		if err != nil {
			return nil, err
		}
		j.sel = selectTrue(v, c, j.sel)
		if j.nullMatches {
			j.sel = j.sel[:0]
			for k := 0; k < n; k++ {
				if v.Nulls.IsNull(k) || (v.Typ.Family.Physical() == types.PhysBool && v.Bool[k]) {
					j.sel = append(j.sel, k)
				}
			}
		}
	} else {
		for k := 0; k < n; k++ {
			j.sel = append(j.sel, k)
		}
	}
	for _, k := range j.sel {
		j.lmatched[j.pl[k]] = true
		if j.rmatched != nil {
			j.rmatched[j.pr[k]] = true
		}
	}
	j.pl, j.pr = j.pl[:0], j.pr[:0]
	if j.typ.leftOnly() || len(j.sel) == 0 {
		return nil, nil
	}
	if len(j.sel) < n {
		c.Sel = j.sel
	}
	return c, nil
}

// finishLeft returns the output owed for a fully probed left chunk:
// NULL-extended unmatched rows (left/full), matched rows (semi) or
// unmatched rows (anti). It may return nil.
func (j *joinOutput) finishLeft(lc *exec.Chunk) *exec.Chunk {
	want := false
	switch j.typ {
	case LeftJoin, FullJoin, AntiJoin, NullAwareAntiJoin:
	case SemiJoin:
		want = true
	default:
		return nil
	}
	j.sel = j.sel[:0]
	for p, m := range j.lmatched[:len(j.lrows)] {
		if m == want {
			j.sel = append(j.sel, j.lrows[p])
		}
	}
	if len(j.sel) == 0 {
		return nil
	}
	if j.typ.leftOnly() {
		j.out = *lc
		j.out.Sel = j.sel
		return &j.out
	}
	c := j.cand
	c.Reset()
	c.SetLen(len(j.sel))
	for i := 0; i < j.nl; i++ {
		gather(c.Cols[i], 0, lc.Cols[i], j.sel, nil)
	}
	for i := j.nl; i < len(c.Cols); i++ {
		setNulls(c.Cols[i], 0, len(j.sel))
	}
	return c
}

// unmatchedRight emits build rows never matched (right/full joins),
// starting at *pos; nil when done.
func (j *joinOutput) unmatchedRight(build *store, pos *int) *exec.Chunk {
	j.tmp = j.tmp[:0]
	for *pos < build.n && len(j.tmp) < exec.DefaultChunkSize {
		if !j.rmatched[*pos] {
			j.tmp = append(j.tmp, *pos)
		}
		*pos++
	}
	if len(j.tmp) == 0 {
		return nil
	}
	c := j.cand
	c.Reset()
	c.SetLen(len(j.tmp))
	for i := 0; i < j.nl; i++ {
		setNulls(c.Cols[i], 0, len(j.tmp))
	}
	for i := j.nl; i < len(c.Cols); i++ {
		gather(c.Cols[i], 0, build.cols[i-j.nl], j.tmp, nil)
	}
	return c
}

func (j *joinOutput) init(typ JoinType, lt, rt []types.T) {
	j.typ = typ
	j.nl = len(lt)
	j.cand = exec.NewChunk(append(append([]types.T{}, lt...), rt...))
	j.rmatched = nil
}

func (j *joinOutput) startLeft(lc *exec.Chunk) {
	j.lrows = append(j.lrows[:0], visibleRowsCopy(lc)...)
	j.lmatched = growSlice(j.lmatched[:0], len(j.lrows))
	for i := range j.lmatched {
		j.lmatched[i] = false
	}
}

func visibleRowsCopy(c *exec.Chunk) []int {
	if c.Sel != nil {
		return c.Sel
	}
	r := make([]int, c.N)
	for i := range r {
		r[i] = i
	}
	return r
}

type hashJoin struct {
	joinOutput
	left, right exec.Operator
	ctx         context.Context
	lk, rk      []int
	lt, rt, ts  []types.T

	build    *store
	hashes   []uint64
	buckets  []int32
	next     []int32
	mask     uint64
	nullRows []int // build rows with a NULL key
	built    bool

	lc       *exec.Chunk
	lki, rki []int64 // single integer key: the key slices (fast path)
	lh       []uint64
	lnull    []bool
	lpos     int
	cur      int32 // chain cursor (entry+1); -1 = row not started
	scan     int   // secondary scan position (null-aware anti join)
	inScan   bool
	rpos     int
	leftEOF  bool
}

// NewHashJoin joins left and right on leftKeys[i] = rightKeys[i] (NULL keys
// never match), building a hash table on the right input. residual, if not
// nil, is a further predicate over left columns ++ right columns that is
// part of the ON condition. The output is left ++ right columns (NULL-
// extended for outer rows), or the left columns only for semi/anti joins.
func NewHashJoin(left, right exec.Operator, leftKeys, rightKeys []int, typ JoinType, residual exec.Expr, ec *exec.EvalCtx) exec.Operator {
	h := &hashJoin{left: left, right: right, lk: leftKeys, rk: rightKeys,
		lt: left.Types(), rt: right.Types()}
	h.typ, h.residual, h.ec = typ, residual, ec
	h.ts = joinTypes(h.lt, h.rt, typ)
	return h
}

func (h *hashJoin) Init(ctx context.Context) error {
	h.ctx = ctx
	h.init(h.typ, h.lt, h.rt)
	h.build = newStore(h.rt)
	h.built, h.lc, h.leftEOF, h.rpos = false, nil, false, 0
	h.nullRows = nil
	if err := h.left.Init(ctx); err != nil {
		return err
	}
	return h.right.Init(ctx)
}

func (h *hashJoin) doBuild() error {
	var buf []int
	for {
		c, err := pull(h.ctx, h.right)
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		h.build.appendRows(c, nil, visibleRows(c, &buf))
	}
	n := h.build.n
	nb := 16
	for nb < n {
		nb *= 2
	}
	h.buckets = make([]int32, nb)
	h.mask = uint64(nb - 1)
	h.next = make([]int32, n)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	bc := exec.Chunk{Cols: h.build.cols, N: n}
	h.hashes = rowHashes(&bc, h.rk, all, nil)
	for i := n - 1; i >= 0; i-- {
		if h.anyNull(h.build.cols, h.rk, i) {
			continue
		}
		b := h.hashes[i] & h.mask
		h.next[i] = h.buckets[b]
		h.buckets[b] = int32(i + 1)
	}
	for i := 0; i < n; i++ {
		if h.anyNull(h.build.cols, h.rk, i) {
			h.nullRows = append(h.nullRows, i)
		}
	}
	if h.typ == RightJoin || h.typ == FullJoin {
		h.rmatched = make([]bool, n)
	}
	h.built = true
	return nil
}

func (h *hashJoin) anyNull(cols []*exec.Vec, keys []int, r int) bool {
	for _, k := range keys {
		if cols[k].Nulls.IsNull(r) {
			return true
		}
	}
	return false
}

func (h *hashJoin) keysEq(r, b int) bool {
	if h.lki != nil {
		return h.lki[r] == h.rki[b]
	}
	for i, k := range h.lk {
		lv, rv := h.lc.Cols[k], h.build.cols[h.rk[i]]
		if !eqNotDistinct(lv, r, rv, b) {
			return false
		}
	}
	return true
}

// compat reports whether left row r and build row b are equal or unknown
// on every key (the NOT IN comparison is not FALSE).
func (h *hashJoin) compat(r, b int) bool {
	for i, k := range h.lk {
		lv, rv := h.lc.Cols[k], h.build.cols[h.rk[i]]
		if lv.Nulls.IsNull(r) || rv.Nulls.IsNull(b) {
			continue
		}
		if cmpVals(lv, r, rv, b) != 0 {
			return false
		}
	}
	return true
}

// fill generates candidate pairs for the current left chunk until the
// batch is full or the chunk is exhausted.
func (h *hashJoin) fill() {
	existsOnly := h.residual == nil && h.typ.leftOnly()
	naaj := h.typ == NullAwareAntiJoin
	for h.lpos < len(h.lrows) && len(h.pl) < exec.DefaultChunkSize {
		p := h.lpos
		r := h.lrows[p]
		if h.cur < 0 && !h.inScan {
			if h.lnull[p] {
				if !naaj {
					h.lpos++
					continue
				}
				h.inScan, h.scan = true, 0
			} else {
				h.cur = h.buckets[h.lh[p]&h.mask]
			}
		}
		// Chain walk.
		for !h.inScan && h.cur > 0 && len(h.pl) < exec.DefaultChunkSize {
			b := int(h.cur - 1)
			h.cur = h.next[b]
			if h.hashes[b] == h.lh[p] && h.keysEq(r, b) {
				if existsOnly {
					h.lmatched[p] = true
					h.cur = 0
					break
				}
				h.pl = append(h.pl, p)
				h.pr = append(h.pr, b)
			}
		}
		if !h.inScan && h.cur > 0 {
			return // batch full
		}
		if naaj && !h.inScan && !(existsOnly && h.lmatched[p]) {
			h.inScan, h.scan = true, 0
		}
		if h.inScan {
			// Null-aware anti join: right rows with NULL keys (or all rows
			// when the left key has a NULL) that compare unknown.
			list, n := h.nullRows, len(h.nullRows)
			if h.lnull[p] {
				list, n = nil, h.build.n
			}
			for h.scan < n && len(h.pl) < exec.DefaultChunkSize {
				b := h.scan
				if list != nil {
					b = list[h.scan]
				}
				h.scan++
				if h.compat(r, b) {
					if existsOnly {
						h.lmatched[p] = true
						h.scan = n
						break
					}
					h.pl = append(h.pl, p)
					h.pr = append(h.pr, b)
				}
			}
			if h.scan < n {
				return
			}
			h.inScan = false
		}
		h.cur = -1
		h.lpos++
	}
}

func (h *hashJoin) Next() (*exec.Chunk, error) {
	if !h.built {
		if err := h.doBuild(); err != nil {
			return nil, err
		}
	}
	for {
		if h.leftEOF {
			if h.rmatched == nil {
				return nil, nil
			}
			return h.unmatchedRight(h.build, &h.rpos), nil
		}
		if h.lc == nil {
			c, err := h.left.Next()
			if err != nil {
				return nil, err
			}
			if c == nil {
				h.leftEOF = true
				continue
			}
			if h.build.n == 0 && (h.typ == InnerJoin || h.typ == RightJoin || h.typ == SemiJoin) {
				continue
			}
			h.lc = c
			h.startLeft(c)
			h.lh = rowHashes(c, h.lk, h.lrows, h.lh)
			h.lnull = growSlice(h.lnull[:0], len(h.lrows))
			for p, r := range h.lrows {
				h.lnull[p] = h.anyNull(c.Cols, h.lk, r)
			}
			h.lpos, h.cur, h.inScan = 0, -1, false
			h.lki, h.rki = nil, nil
			if len(h.lk) == 1 && c.Cols[h.lk[0]].Typ.Family.Physical() == types.PhysInt {
				// NULL keys never reach keysEq on the chain walk.
				h.lki, h.rki = c.Cols[h.lk[0]].Int, h.build.cols[h.rk[0]].Int
			}
		}
		h.fill()
		if len(h.pl) > 0 {
			out, err := h.evalPairs(h.lc, h.build)
			if err != nil {
				return nil, err
			}
			if out != nil {
				return out, nil
			}
			continue
		}
		if h.lpos >= len(h.lrows) {
			out := h.finishLeft(h.lc)
			h.lc = nil
			if out != nil {
				return out, nil
			}
		}
	}
}

func (h *hashJoin) Close() error {
	err := h.left.Close()
	if err2 := h.right.Close(); err == nil {
		err = err2
	}
	return err
}

func (h *hashJoin) Types() []types.T { return h.ts }
