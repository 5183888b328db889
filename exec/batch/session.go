package batch

import (
	"cmp"
	"context"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// SessionGapCheck validates a time for session windowing: infinite
// timestamps have no session (22008), as they have no tumbling window.
func SessionGapCheck(ts int64) error {
	if !types.IsFiniteTimestamp(ts) {
		return types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range: an infinite timestamp has no session window")
	}
	return nil
}

// SameSession reports whether times prev <= t belong to one session of the
// given gap: t - prev < gap (both finite).
func SameSession(prev, t, gap int64) bool { return t-prev < gap }

// session is the SESSION window table function: rows are grouped by the
// partition columns, sorted by the time column, and a new session starts
// wherever a row's time is at least gap after the previous row's. Each row
// is output with window_start (the session's first time) and window_end
// (its last time plus gap), of the time column's type. Rows whose time is
// NULL are dropped. It buffers its whole input.
type session struct {
	in    exec.Operator
	ctx   context.Context
	col   int
	keys  []int
	gap   int64
	ts    []types.T
	st    *store
	perm  []int
	start []int64 // per position in perm
	end   []int64
	pos   int
	out   *exec.Chunk
	done  bool
	buf   []int
	sel   []int
}

// NewSession returns a session window over in's time column col,
// partitioned by columns keys, with the given gap (µs, > 0).
func NewSession(in exec.Operator, col int, keys []int, gap int64) exec.Operator {
	ts := append(append([]types.T(nil), in.Types()...), in.Types()[col], in.Types()[col])
	return &session{in: in, col: col, keys: keys, gap: gap, ts: ts}
}

func (s *session) Types() []types.T { return s.ts }

func (s *session) Init(ctx context.Context) error {
	s.ctx = ctx
	s.st = newStore(s.in.Types())
	s.out = exec.NewChunk(s.ts)
	s.done, s.pos, s.perm = false, 0, nil
	return s.in.Init(ctx)
}

func (s *session) Close() error { return s.in.Close() }

func (s *session) load() error {
	for {
		c, err := pull(s.ctx, s.in)
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		tv := c.Cols[s.col]
		s.sel = s.sel[:0]
		for _, r := range visibleRows(c, &s.buf) {
			if tv.Nulls.IsNull(r) {
				continue
			}
			if err := SessionGapCheck(tv.Int[r]); err != nil {
				return err
			}
			s.sel = append(s.sel, r)
		}
		s.st.appendRows(c, nil, s.sel)
	}
	perm := make([]int, s.st.n)
	for i := range perm {
		perm[i] = i
	}
	sk := make([]SortKey, 0, len(s.keys))
	for _, k := range s.keys {
		sk = append(sk, SortKey{Col: k})
	}
	same := rowsCmp(s.st.cols, sk)
	if len(sk) == 0 {
		same = func(int, int) int { return 0 }
	}
	tv := s.st.cols[s.col]
	slices.SortFunc(perm, func(i, j int) int {
		if r := same(i, j); r != 0 {
			return r
		}
		if r := cmp.Compare(tv.Int[i], tv.Int[j]); r != 0 {
			return r
		}
		return cmp.Compare(i, j)
	})
	s.perm = perm
	s.start = make([]int64, len(perm))
	s.end = make([]int64, len(perm))
	for i := 0; i < len(perm); {
		j := i + 1
		for j < len(perm) && same(perm[j-1], perm[j]) == 0 && SameSession(tv.Int[perm[j-1]], tv.Int[perm[j]], s.gap) {
			j++
		}
		e, err := WindowEnd(tv.Int[perm[j-1]], s.gap)
		if err != nil {
			return err
		}
		for k := i; k < j; k++ {
			s.start[k], s.end[k] = tv.Int[perm[i]], e
		}
		i = j
	}
	return nil
}

func (s *session) Next() (*exec.Chunk, error) {
	if !s.done {
		if err := s.load(); err != nil {
			return nil, err
		}
		s.done = true
	}
	if s.pos >= len(s.perm) {
		return nil, nil
	}
	end := min(len(s.perm), s.pos+exec.DefaultChunkSize)
	rows := s.perm[s.pos:end]
	s.out.Reset()
	s.out.SetLen(len(rows))
	nin := len(s.ts) - 2
	for i := 0; i < nin; i++ {
		gather(s.out.Cols[i], 0, s.st.cols[i], rows, nil)
	}
	ws, we := s.out.Cols[nin], s.out.Cols[nin+1]
	for k := range rows {
		ws.Int[k] = s.start[s.pos+k]
		we.Int[k] = s.end[s.pos+k]
	}
	s.pos = end
	return s.out, nil
}
