package state

// OnCommit registers f to run after the batch commits successfully (not
// when it is closed without committing). Sinks use it to wake their
// shipper once the changes they logged in the batch are durable.
func (b *Batch) OnCommit(f func()) {
	b.onClose(func(committed bool) {
		if committed {
			f()
		}
	})
}
