package batch

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// SortKey is one ORDER BY key: a column, its direction and where NULLs go.
// NullsFirst is absolute (PostgreSQL's default is NullsFirst == Desc).
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// keyCmp returns a comparator of rows i, j of v for key k.
func keyCmp(v *exec.Vec, k SortKey) func(i, j int) int {
	var base func(i, j int) int
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		s := v.Bool
		base = func(i, j int) int {
			if s[i] == s[j] {
				return 0
			}
			if !s[i] {
				return -1
			}
			return 1
		}
	case types.PhysInt:
		s := v.Int
		base = func(i, j int) int { return cmp.Compare(s[i], s[j]) }
	case types.PhysFloat:
		s := v.Float
		base = func(i, j int) int { return cmpFloat(s[i], s[j]) }
	case types.PhysDecimal:
		s := v.Dec
		base = func(i, j int) int { return s[i].Cmp(&s[j]) }
	case types.PhysBytes:
		s := v.Bytes
		base = func(i, j int) int { return bytes.Compare(s[i], s[j]) }
	case types.PhysInterval:
		s := v.Iv
		base = func(i, j int) int { return cmpInterval(s[i], s[j]) }
	default:
		base = func(i, j int) int { return 0 }
	}
	if k.Desc {
		b := base
		base = func(i, j int) int { return -b(i, j) }
	}
	if !v.Nulls.MaybeNulls {
		return base
	}
	nf := 1
	if k.NullsFirst {
		nf = -1
	}
	nulls := &v.Nulls
	return func(i, j int) int {
		in, jn := nulls.IsNull(i), nulls.IsNull(j)
		if in || jn {
			if in && jn {
				return 0
			}
			if in {
				return nf
			}
			return -nf
		}
		return base(i, j)
	}
}

// rowsCmp returns a comparator of rows of cols by keys.
func rowsCmp(cols []*exec.Vec, keys []SortKey) func(i, j int) int {
	cs := make([]func(i, j int) int, len(keys))
	for n, k := range keys {
		cs[n] = keyCmp(cols[k.Col], k)
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return func(i, j int) int {
		for _, c := range cs {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return 0
	}
}

// emitter returns rows of a store in a given order, a chunk at a time.
type emitter struct {
	st   *store
	perm []int
	pos  int
	out  *exec.Chunk
}

func (e *emitter) next() *exec.Chunk {
	if e.pos >= len(e.perm) {
		return nil
	}
	end := min(len(e.perm), e.pos+exec.DefaultChunkSize)
	rows := e.perm[e.pos:end]
	e.out.Reset()
	e.out.SetLen(len(rows))
	for i, v := range e.out.Cols {
		gather(v, 0, e.st.cols[i], rows, nil)
	}
	e.pos = end
	return e.out
}

type sortOp struct {
	in   exec.Operator
	ctx  context.Context
	keys []SortKey
	topN int64 // < 0: full sort
	st   *store
	em   emitter
	done bool
	buf  []int
}

// NewSort returns a stable sort of in by keys. It buffers its whole input.
func NewSort(in exec.Operator, keys []SortKey) exec.Operator {
	return &sortOp{in: in, keys: keys, topN: -1}
}

// NewTopN returns the first n rows of in in the order of keys (stable), as
// for ORDER BY ... LIMIT n. It keeps O(n) rows, compacting its buffer with
// a partial sort whenever it grows past max(2n, 4096) rows.
func NewTopN(in exec.Operator, keys []SortKey, n int64) exec.Operator {
	return &sortOp{in: in, keys: keys, topN: max(n, 0)}
}

func (s *sortOp) Init(ctx context.Context) error {
	s.ctx = ctx
	s.st = newStore(s.in.Types())
	s.done = false
	s.em = emitter{st: s.st, out: exec.NewChunk(s.in.Types())}
	return s.in.Init(ctx)
}

func (s *sortOp) sorted() []int {
	perm := make([]int, s.st.n)
	for i := range perm {
		perm[i] = i
	}
	sortPerm(perm, s.st.cols, s.keys)
	return perm
}

// sortPerm sorts perm (row indices, initially increasing) stably by keys.
func sortPerm(perm []int, cols []*exec.Vec, keys []SortKey) {
	if len(keys) == 0 {
		return
	}
	if v := cols[keys[0].Col]; len(keys) == 1 && v.Typ.Family.Physical() == types.PhysInt && !v.Nulls.MaybeNulls {
		// One integer key without NULLs: sort (key, index) pairs.
		type kv struct {
			k int64
			i int
		}
		kvs := make([]kv, len(perm))
		for n, r := range perm {
			kvs[n] = kv{v.Int[r], r}
		}
		desc := keys[0].Desc
		slices.SortFunc(kvs, func(a, b kv) int {
			if a.k != b.k {
				if (a.k < b.k) != desc {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.i, b.i)
		})
		for n := range kvs {
			perm[n] = kvs[n].i
		}
		return
	}
	// Breaking ties by row index makes the (faster) unstable sort stable.
	c := rowsCmp(cols, keys)
	slices.SortFunc(perm, func(i, j int) int {
		if r := c(i, j); r != 0 {
			return r
		}
		return cmp.Compare(i, j)
	})
}

func (s *sortOp) compact() {
	perm := s.sorted()
	if int64(len(perm)) > s.topN {
		perm = perm[:s.topN]
	}
	ns := newStore(s.in.Types())
	c := exec.Chunk{Cols: s.st.cols, N: s.st.n}
	ns.appendRows(&c, nil, perm)
	s.st = ns
}

func (s *sortOp) Next() (*exec.Chunk, error) {
	if !s.done {
		limit := int64(-1)
		if s.topN >= 0 {
			limit = max(2*s.topN, 4096)
		}
		for {
			c, err := pull(s.ctx, s.in)
			if err != nil {
				return nil, err
			}
			if c == nil {
				break
			}
			if s.topN == 0 {
				continue
			}
			s.st.appendRows(c, nil, visibleRows(c, &s.buf))
			if limit >= 0 && int64(s.st.n) > limit {
				s.compact()
			}
		}
		perm := s.sorted()
		if s.topN >= 0 && int64(len(perm)) > s.topN {
			perm = perm[:s.topN]
		}
		s.em.st, s.em.perm, s.em.pos = s.st, perm, 0
		s.done = true
	}
	return s.em.next(), nil
}

func (s *sortOp) Close() error     { return s.in.Close() }
func (s *sortOp) Types() []types.T { return s.in.Types() }
