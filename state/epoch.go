package state

import (
	"encoding/binary"
	"errors"
)

// System key names used by this package.
const (
	committedEpochName = "streamsql/epoch"
	sourceOffsetPrefix = "streamsql/srcoff/"
)

// SetCommittedEpoch records in b that epoch is committed. The coordinator
// calls it on the batch holding every actor's flushed writes of the epoch
// (and the source offsets), then commits b: the state, the offsets and the
// epoch number become durable and visible together. Store.CommittedEpoch
// reflects it once b is committed.
func SetCommittedEpoch(b *Batch, epoch uint64) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], epoch)
	if err := b.Set(SystemKey(committedEpochName), v[:]); err != nil {
		return err
	}
	b.mu.Lock()
	b.epoch, b.hasEpoch = epoch, true
	b.mu.Unlock()
	return nil
}

// CommittedEpoch returns the last committed epoch (0 if none ever was). It is
// read from disk at Open, so after a restart it says which epoch the state is
// at.
func (s *Store) CommittedEpoch() uint64 { return s.committedEpoch.Load() }

func readCommittedEpoch(r Reader) (uint64, error) {
	v, found, err := GetValue(r, SystemKey(committedEpochName))
	if err != nil || !found {
		return 0, err
	}
	if len(v) != 8 {
		return 0, errors.New("state: corrupt committed epoch")
	}
	return binary.BigEndian.Uint64(v), nil
}

func sourceOffsetKey(sourceID uint32, split string) []byte {
	k := SystemKey(sourceOffsetPrefix)
	k = binary.BigEndian.AppendUint32(k, sourceID)
	return append(k, split...)
}

// SetSourceOffset records in b the offset a source split has been read up to
// (opaque bytes, e.g. the next Kafka offset), to commit with the epoch.
func SetSourceOffset(b *Batch, sourceID uint32, split string, offset []byte) error {
	return b.Set(sourceOffsetKey(sourceID, split), offset)
}

// DeleteSourceOffsets removes every recorded offset of a source (DROP SOURCE).
func DeleteSourceOffsets(b *Batch, sourceID uint32) error {
	p := sourceOffsetKey(sourceID, "")
	return b.DeleteRange(p, PrefixEnd(p))
}

// SourceOffsets returns the committed offsets of every split of a source,
// keyed by split. Offsets are copies.
func (s *Store) SourceOffsets(sourceID uint32) (map[string][]byte, error) {
	return ReadSourceOffsets(s, sourceID)
}

// ReadSourceOffsets is SourceOffsets through any Reader (e.g. a Snapshot).
func ReadSourceOffsets(r Reader, sourceID uint32) (map[string][]byte, error) {
	p := sourceOffsetKey(sourceID, "")
	it, err := r.NewIter(p, PrefixEnd(p))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte)
	for ok := it.First(); ok; ok = it.Next() {
		out[string(it.Key()[len(p):])] = append([]byte(nil), it.Value()...)
	}
	return out, it.Close()
}
