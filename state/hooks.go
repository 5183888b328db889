package state

import "github.com/cockroachdb/pebble/v2"

// OnCommit registers f to run after the batch commits successfully (not
// when it is closed without committing): once its writes are visible,
// which with CommitNoSyncWait is before they are durable (see SyncWAL).
// Sinks use it to wake their shipper.
func (b *Batch) OnCommit(f func()) {
	b.onClose(func(committed bool) {
		if committed {
			f()
		}
	})
}

// SyncWAL makes every write applied so far durable: a synced WAL record
// after them flushes and syncs the log up to it. Readers that act outside
// the store on what they see (a sink shipping its log) call it first, since
// a batch committed with CommitNoSyncWait is visible before it is durable.
func (s *Store) SyncWAL() error {
	return s.db.LogData(nil, pebble.Sync)
}
