package exec

import (
	"context"

	"github.com/streamsql/streamsql/types"
)

// Operator is a pull-based batch operator.
//
// Init is called once before the first Next. Next returns the next chunk, or
// nil when the input is exhausted; the chunk (and any []byte inside it) is
// valid only until the following call to Next. Close releases resources and
// may be called without Init having succeeded.
type Operator interface {
	Init(ctx context.Context) error
	Next() (*Chunk, error)
	Close() error
	Types() []types.T
}
