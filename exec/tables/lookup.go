package tables

import (
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// PKKey appends the key under which the row of table id with primary-key
// values pkVals (of types pkTypes) is stored: what a point lookup by
// primary key reads (stream lookup joins use it on the writer's batch).
func PKKey(buf []byte, id uint32, pkTypes []types.T, pkVals []types.Datum) []byte {
	vnode := state.VNodeOf(state.HashDatums(pkTypes, pkVals))
	buf = append(buf, state.VNodePrefix(id, vnode)...)
	for i, v := range pkVals {
		buf = state.AppendKey(buf, pkTypes[i], v, false)
	}
	return buf
}
