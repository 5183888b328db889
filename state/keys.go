package state

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
	"github.com/streamsql/streamsql/types"
)

// VNodeCount is the number of virtual nodes state is partitioned into. It is
// part of the on-disk format: changing it reshuffles every key.
const VNodeCount = 256

// Reserved table ids. Ids below FirstUserTableID are never handed out to user
// tables, materialized views or operator state.
const (
	// SystemTableID holds store metadata: the committed epoch, source offsets
	// and any other named system key (SystemKey).
	SystemTableID uint32 = 0
	// CatalogTableID is reserved for the catalog's durable definitions.
	CatalogTableID uint32 = 1
	// FirstUserTableID is the smallest id of a user or operator state table.
	FirstUserTableID uint32 = 1024
)

// KeyPrefixLen is the length of the tableID | vnode prefix of every key.
const KeyPrefixLen = 6

// VNodeOf maps a key hash (HashDatums) to its vnode.
func VNodeOf(keyHash uint64) uint16 {
	return uint16(keyHash % VNodeCount)
}

// HashDatums returns a stable hash of a list of datums: xxhash64 of their
// ascending memcomparable encodings, so it is identical across runs and
// platforms and equal datums (1.5 and 1.50, -0 and 0, any NaNs) hash alike.
func HashDatums(ts []types.T, ds []types.Datum) uint64 {
	var scratch [128]byte
	buf := scratch[:0]
	for i := range ds {
		buf = appendKeyAsc(buf, ts[i], &ds[i])
	}
	return xxhash.Sum64(buf)
}

// AppendTablePrefix appends tableID | vnode to buf.
func AppendTablePrefix(buf []byte, tableID uint32, vnode uint16) []byte {
	buf = binary.BigEndian.AppendUint32(buf, tableID)
	return binary.BigEndian.AppendUint16(buf, vnode)
}

// TablePrefix returns the 4-byte prefix shared by every key of a table.
func TablePrefix(tableID uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), tableID)
}

// VNodePrefix returns the 6-byte prefix of a table's keys in one vnode.
func VNodePrefix(tableID uint32, vnode uint16) []byte {
	return AppendTablePrefix(make([]byte, 0, KeyPrefixLen), tableID, vnode)
}

// DecodeTablePrefix splits a full key into its table id, vnode and
// memcomparable rest; ok is false for a key shorter than KeyPrefixLen.
func DecodeTablePrefix(key []byte) (tableID uint32, vnode uint16, rest []byte, ok bool) {
	if len(key) < KeyPrefixLen {
		return 0, 0, nil, false
	}
	return binary.BigEndian.Uint32(key), binary.BigEndian.Uint16(key[4:]), key[KeyPrefixLen:], true
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix (an exclusive upper bound), or nil if there is none (the prefix is
// empty or all 0xFF).
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// SystemKey returns the key of a named system metadata entry: SystemTableID,
// vnode 0, then the name's bytes. Names starting with "streamsql/" are used
// by this package.
func SystemKey(name string) []byte {
	return append(VNodePrefix(SystemTableID, 0), name...)
}
