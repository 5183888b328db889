package batch

import (
	"context"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// series generates start, start+step, ... up to stop (inclusive), the
// integer form of PostgreSQL's generate_series.
type series struct {
	typ               types.T
	start, stop, step int64
	next              int64
	done              bool
	out               *exec.Chunk
}

// NewGenerateSeries returns generate_series(start, stop, step) over
// integers of type t (smallint, integer or bigint). step must not be zero.
func NewGenerateSeries(t types.T, start, stop, step int64) exec.Operator {
	return &series{typ: t, start: start, stop: stop, step: step}
}

func (s *series) Types() []types.T { return []types.T{s.typ} }

func (s *series) Init(ctx context.Context) error {
	if s.step == 0 {
		return types.Errorf(types.CodeInvalidParameterValue, "step size cannot equal zero")
	}
	s.next, s.done = s.start, false
	s.out = exec.NewChunk([]types.T{s.typ})
	return nil
}

func (s *series) Next() (*exec.Chunk, error) {
	if s.done {
		return nil, nil
	}
	v := s.out.Cols[0]
	v.Reset()
	v.Resize(exec.DefaultChunkSize)
	n := 0
	for n < exec.DefaultChunkSize {
		if (s.step > 0 && s.next > s.stop) || (s.step < 0 && s.next < s.stop) {
			s.done = true
			break
		}
		v.Int[n] = s.next
		n++
		nx := s.next + s.step
		// Stop instead of wrapping around at the ends of int64.
		if (s.step > 0 && nx < s.next) || (s.step < 0 && nx > s.next) {
			s.done = true
			break
		}
		s.next = nx
	}
	if n == 0 {
		return nil, nil
	}
	v.Resize(n)
	s.out.N, s.out.Sel = n, nil
	return s.out, nil
}

func (s *series) Close() error { return nil }
