package tables

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Bound is one end of an index range.
type Bound struct {
	Val       types.Datum
	Inclusive bool
}

// Path selects the rows a scan reads; nil or zero reads every row.
type Path struct {
	PKPoints [][]types.Datum
	Index    *IndexDesc
	IndexEq  []types.Datum
	Lo, Hi   *Bound
	Empty    bool
}

// Scan reads a table's rows from r (a snapshot) as chunks of every column.
type Scan struct {
	r    state.Reader
	d    *Desc
	path *Path
	out  *exec.Chunk
	row  []types.Datum
	// filled counts the rows of out set so far in this Next.
	filled int
	// arena holds the bytes of the current chunk's text values.
	arena []byte

	// full or index scan state
	it     *state.Iter
	ranges [][2][]byte
	ri     int
	// point lookups
	pi  int
	key []byte
}

// NewScan returns an operator producing d's rows selected by path.
func NewScan(r state.Reader, d *Desc, path *Path) *Scan {
	return &Scan{r: r, d: d, path: path}
}

// Types implements exec.Operator.
func (s *Scan) Types() []types.T { return s.d.Types }

// Init implements exec.Operator.
func (s *Scan) Init(ctx context.Context) error {
	s.out = exec.NewChunk(s.d.Types)
	s.row = make([]types.Datum, len(s.d.Types))
	p := s.path
	switch {
	case p == nil || (p.Index == nil && p.PKPoints == nil && !p.Empty && p.Lo == nil && p.Hi == nil):
		tp := state.TablePrefix(s.d.ID)
		s.ranges = [][2][]byte{{tp, state.PrefixEnd(tp)}}
	case p.Index == nil && p.PKPoints == nil && !p.Empty:
		s.ranges = s.pkRanges()
	case p.Empty || p.PKPoints != nil:
	default:
		s.ranges = s.indexRanges()
	}
	return nil
}

// pkRanges bounds the first primary-key column in every vnode: rows are
// ordered by key within a vnode, and a key range spans all of them.
func (s *Scan) pkRanges() [][2][]byte {
	p := s.path
	t := s.d.Types[s.d.PK[0]]
	out := make([][2][]byte, 0, state.VNodeCount)
	for vn := 0; vn < state.VNodeCount; vn++ {
		base := state.VNodePrefix(s.d.ID, uint16(vn))
		lo, hi := base, state.PrefixEnd(base)
		if p.Lo != nil {
			lo = state.AppendKey(append([]byte(nil), base...), t, p.Lo.Val, false)
			if !p.Lo.Inclusive {
				lo = state.PrefixEnd(lo)
			}
		}
		if p.Hi != nil {
			hi = state.AppendKey(append([]byte(nil), base...), t, p.Hi.Val, false)
			if p.Hi.Inclusive {
				hi = state.PrefixEnd(hi)
			}
		}
		out = append(out, [2][]byte{lo, hi})
	}
	return out
}

func (s *Scan) indexRanges() [][2][]byte {
	p := s.path
	ix := p.Index
	var vnodes []uint16
	if len(p.IndexEq) == len(ix.Cols) {
		vnodes = []uint16{indexVNode(s.d, ix, p.IndexEq)}
	} else {
		vnodes = make([]uint16, state.VNodeCount)
		for i := range vnodes {
			vnodes[i] = uint16(i)
		}
	}
	k := len(p.IndexEq)
	var out [][2][]byte
	for _, vn := range vnodes {
		base := indexPrefix(nil, s.d, ix, vn, p.IndexEq)
		lo, hi := base, state.PrefixEnd(base)
		if k < len(ix.Cols) && (p.Lo != nil || p.Hi != nil) {
			t := s.d.Types[ix.Cols[k]]
			desc := ix.Desc[k]
			enc := func(b *Bound) []byte {
				return state.AppendKey(append([]byte(nil), base...), t, b.Val, desc)
			}
			first, last := p.Lo, p.Hi // in key order
			if desc {
				first, last = p.Hi, p.Lo
			}
			if first != nil {
				lo = enc(first)
				if !first.Inclusive {
					lo = state.PrefixEnd(lo)
				}
			}
			if last != nil {
				hi = enc(last)
				if last.Inclusive {
					hi = state.PrefixEnd(hi)
				}
			}
		}
		out = append(out, [2][]byte{lo, hi})
	}
	return out
}

// Next implements exec.Operator.
func (s *Scan) Next() (*exec.Chunk, error) {
	// Size the vectors once and fill rows in place: appending row by row
	// would resize every column for every row.
	s.out.Reset()
	s.out.SetLen(exec.DefaultChunkSize)
	s.filled = 0
	s.arena = s.arena[:0]
	n := 0
	var err error
	switch {
	case s.path != nil && s.path.Empty:
	case s.path != nil && s.path.PKPoints != nil:
		n, err = s.nextPoints()
	case s.path != nil && s.path.Index != nil:
		n, err = s.nextIndex()
	default:
		n, err = s.nextFull()
	}
	if err != nil || n == 0 {
		s.out.SetLen(0)
		return nil, err
	}
	s.out.SetLen(s.filled)
	return s.out, nil
}

// appendRow decodes an encoded row into the output chunk.
func (s *Scan) appendRow(val []byte) error {
	row, err := state.DecodeRow(val, s.d.Types, s.row)
	if err != nil {
		return err
	}
	for i := range row {
		if row[i].S != nil {
			start := len(s.arena)
			s.arena = append(s.arena, row[i].S...)
			row[i].S = s.arena[start:len(s.arena):len(s.arena)]
		}
	}
	for i, v := range s.out.Cols {
		v.Set(s.filled, row[i])
	}
	s.filled++
	return nil
}

func (s *Scan) openRange() (bool, error) {
	for s.it == nil {
		if s.ri >= len(s.ranges) {
			return false, nil
		}
		r := s.ranges[s.ri]
		s.ri++
		it, err := s.r.NewIter(r[0], r[1])
		if err != nil {
			return false, err
		}
		it.First()
		if !it.Valid() {
			err := it.Error()
			it.Close()
			if err != nil {
				return false, err
			}
			continue
		}
		s.it = it
	}
	return true, nil
}

func (s *Scan) closeIter() error {
	err := s.it.Error()
	s.it.Close()
	s.it = nil
	return err
}

func (s *Scan) nextFull() (int, error) {
	n := 0
	for n < exec.DefaultChunkSize {
		ok, err := s.openRange()
		if err != nil || !ok {
			return n, err
		}
		for ; s.it.Valid() && n < exec.DefaultChunkSize; s.it.Next() {
			if err := s.appendRow(s.it.Value()); err != nil {
				return n, err
			}
			n++
		}
		if !s.it.Valid() {
			if err := s.closeIter(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *Scan) nextPoints() (int, error) {
	n := 0
	for s.pi < len(s.path.PKPoints) && n < exec.DefaultChunkSize {
		pt := s.path.PKPoints[s.pi]
		s.pi++
		s.key = rowKey(s.key[:0], s.d, pt)
		v, closer, found, err := s.r.Get(s.key)
		if err != nil {
			return n, err
		}
		if found {
			err = s.appendRow(v)
		}
		if closer != nil {
			closer.Close()
		}
		if err != nil {
			return n, err
		}
		if found {
			n++
		}
	}
	return n, nil
}

// nextIndex walks index entries and fetches the rows they point to.
func (s *Scan) nextIndex() (int, error) {
	ix := s.path.Index
	pkVals := make([]types.Datum, len(s.d.PK))
	n := 0
	for n < exec.DefaultChunkSize {
		ok, err := s.openRange()
		if err != nil || !ok {
			return n, err
		}
		for ; s.it.Valid() && n < exec.DefaultChunkSize; s.it.Next() {
			rest := s.it.Key()[len(state.VNodePrefix(ix.ID, 0)):]
			for i, c := range ix.Cols {
				if _, rest, err = state.DecodeKey(rest, s.d.Types[c], ix.Desc[i]); err != nil {
					return n, err
				}
			}
			for i, c := range s.d.PK {
				if pkVals[i], rest, err = state.DecodeKey(rest, s.d.Types[c], false); err != nil {
					return n, err
				}
			}
			s.key = rowKey(s.key[:0], s.d, pkVals)
			v, closer, found, err := s.r.Get(s.key)
			if err != nil {
				return n, err
			}
			if found {
				err = s.appendRow(v)
				n++
			}
			if closer != nil {
				closer.Close()
			}
			if err != nil {
				return n, err
			}
		}
		if !s.it.Valid() {
			if err := s.closeIter(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Close implements exec.Operator.
func (s *Scan) Close() error {
	if s.it != nil {
		s.it.Close()
		s.it = nil
	}
	return nil
}

// CountRows counts a table's rows (for the planner's estimates).
func (s *Store) CountRows(d *Desc) (int64, error) {
	snap := s.st.NewSnapshot()
	defer snap.Close()
	p := state.TablePrefix(d.ID)
	it, err := snap.NewIter(p, state.PrefixEnd(p))
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Error()
}
