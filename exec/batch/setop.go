package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

// The set operations.
const (
	Union SetOpKind = iota
	Intersect
	Except
)

// String returns the SQL keyword of the set operation.
func (k SetOpKind) String() string {
	switch k {
	case Union:
		return "UNION"
	case Intersect:
		return "INTERSECT"
	case Except:
		return "EXCEPT"
	}
	return "?"
}

type setOp struct {
	kind        SetOpKind
	all         bool
	left, right exec.Operator
	ctx         context.Context
	cols        []int

	ht      *hashTable
	rcount  []int64 // per group: right-side rows not yet consumed
	emitted []bool
	built   bool
	onRight bool // UNION: reading the right input
	buf     []int
	gids    []int32
	sel     []int
	out     exec.Chunk
}

// NewSetOp returns left UNION/INTERSECT/EXCEPT [ALL] right with PostgreSQL
// semantics: without ALL the result has no duplicates (NULLs equal each
// other); INTERSECT ALL keeps min(m, n) copies of a row that appears m times
// on the left and n times on the right, EXCEPT ALL max(m-n, 0). UNION ALL
// concatenates without buffering. Both inputs have the same column types
// (the planner casts); the output uses the left input's types.
func NewSetOp(kind SetOpKind, all bool, left, right exec.Operator) exec.Operator {
	cols := make([]int, len(left.Types()))
	for i := range cols {
		cols[i] = i
	}
	return &setOp{kind: kind, all: all, left: left, right: right, cols: cols}
}

func (s *setOp) Init(ctx context.Context) error {
	s.ctx = ctx
	s.ht = newHashTable(s.left.Types())
	s.rcount, s.emitted = nil, nil
	s.built, s.onRight = false, false
	if err := s.left.Init(ctx); err != nil {
		return err
	}
	return s.right.Init(ctx)
}

func (s *setOp) grow() {
	n := s.ht.len()
	s.rcount = growSlice(s.rcount, n)
	s.emitted = growSlice(s.emitted, n)
}

func (s *setOp) emit(c *exec.Chunk) *exec.Chunk {
	s.out = *c
	s.out.Sel = s.sel
	return &s.out
}

func (s *setOp) Next() (*exec.Chunk, error) {
	if s.kind == Union {
		return s.nextUnion()
	}
	if !s.built {
		for {
			c, err := pull(s.ctx, s.right)
			if err != nil {
				return nil, err
			}
			if c == nil {
				break
			}
			rows := visibleRows(c, &s.buf)
			s.gids = s.ht.findOrInsert(c, s.cols, rows, true, s.gids)
			s.grow()
			for _, g := range s.gids {
				s.rcount[g]++
			}
		}
		s.built = true
	}
	for {
		c, err := s.left.Next()
		if c == nil || err != nil {
			return nil, err
		}
		rows := visibleRows(c, &s.buf)
		s.gids = s.ht.findOrInsert(c, s.cols, rows, true, s.gids)
		s.grow()
		s.sel = s.sel[:0]
		for k, g := range s.gids {
			keep := false
			switch {
			case s.kind == Intersect && s.all:
				if s.rcount[g] > 0 {
					s.rcount[g]--
					keep = true
				}
			case s.kind == Intersect:
				keep = s.rcount[g] > 0 && !s.emitted[g]
			case s.all: // EXCEPT ALL
				if s.rcount[g] > 0 {
					s.rcount[g]--
				} else {
					keep = true
				}
			default: // EXCEPT
				keep = s.rcount[g] == 0 && !s.emitted[g]
			}
			if keep {
				s.emitted[g] = true
				s.sel = append(s.sel, rows[k])
			}
		}
		if len(s.sel) > 0 {
			return s.emit(c), nil
		}
	}
}

func (s *setOp) nextUnion() (*exec.Chunk, error) {
	for {
		in := s.left
		if s.onRight {
			in = s.right
		}
		c, err := in.Next()
		if err != nil {
			return nil, err
		}
		if c == nil {
			if s.onRight {
				return nil, nil
			}
			s.onRight = true
			continue
		}
		if s.all {
			return c, nil
		}
		rows := visibleRows(c, &s.buf)
		before := int32(s.ht.len())
		s.gids = s.ht.findOrInsert(c, s.cols, rows, true, s.gids)
		s.sel = s.sel[:0]
		for k, g := range s.gids {
			if g == before {
				before++
				s.sel = append(s.sel, rows[k])
			}
		}
		if len(s.sel) > 0 {
			return s.emit(c), nil
		}
	}
}

func (s *setOp) Close() error {
	err := s.left.Close()
	if err2 := s.right.Close(); err == nil {
		err = err2
	}
	return err
}

func (s *setOp) Types() []types.T { return s.left.Types() }
