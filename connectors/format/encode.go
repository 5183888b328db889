package format

import (
	"math"
	"strconv"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// EncoderOption configures NewJSONEncoder.
type EncoderOption func(*jsonEncoder)

// WithOpField makes the encoder add the change kind as a last field named
// name (usually "__op"): "insert" for OpInsert and OpUpdateInsert, "delete"
// for OpDelete and OpUpdateDelete.
func WithOpField(name string) EncoderOption {
	return func(e *jsonEncoder) { e.opField = types.AppendJSONString(nil, name) }
}

type jsonEncoder struct {
	keys    [][]byte // `"name": ` per column
	ts      []types.T
	opField []byte
	size    int // last payload size, to size the next buffer
}

// NewJSONEncoder returns an encoder writing rows as JSON objects with one
// field per column (see the package documentation for value forms).
func NewJSONEncoder(names []string, ts []types.T, opts ...EncoderOption) Encoder {
	e := &jsonEncoder{ts: ts, size: 64}
	for _, n := range names {
		e.keys = append(e.keys, append(types.AppendJSONString(nil, n), ':'))
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Encode implements Encoder.
func (e *jsonEncoder) Encode(c *exec.Chunk, row int, op exec.Op) ([]byte, error) {
	del := op == exec.OpDelete || op == exec.OpUpdateDelete
	if del && e.opField == nil {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "the JSON encoder cannot encode a delete without an op field (the sink is append-only)")
	}
	b := make([]byte, 0, e.size+e.size/4)
	b = append(b, '{')
	for i, v := range c.Cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.keys[i]...)
		b = appendJSONValue(b, e.ts[i], v, row)
	}
	if e.opField != nil {
		if len(c.Cols) > 0 {
			b = append(b, ',')
		}
		b = append(b, e.opField...)
		if del {
			b = append(b, `:"delete"`...)
		} else {
			b = append(b, `:"insert"`...)
		}
	}
	b = append(b, '}')
	e.size = len(b)
	return b, nil
}

// appendJSONValue appends row r of v as a JSON value.
func appendJSONValue(b []byte, t types.T, v *exec.Vec, r int) []byte {
	if v.Nulls.IsNull(r) {
		return append(b, "null"...)
	}
	switch t.Family {
	case types.Bool:
		return strconv.AppendBool(b, v.Bool[r])
	case types.Int16, types.Int32, types.Int64:
		return strconv.AppendInt(b, v.Int[r], 10)
	case types.Float32, types.Float64:
		f := v.Float[r]
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(append(append(b, '"'), types.AppendText(nil, t, types.NewFloat(f))...), '"')
		}
		return types.AppendText(b, t, types.NewFloat(f))
	case types.Numeric:
		d := &v.Dec[r]
		if d.Form != 0 { // NaN or infinity
			return append(append(append(b, '"'), types.AppendText(nil, t, v.Get(r))...), '"')
		}
		return types.AppendText(b, t, v.Get(r))
	case types.Jsonb:
		return append(b, v.Bytes[r]...)
	case types.Text:
		return types.AppendJSONString(b, b2s(v.Bytes[r]))
	}
	return types.AppendJSONString(b, b2s(types.AppendText(nil, t, v.Get(r))))
}
