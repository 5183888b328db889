// Package kafka is streamsql's Kafka connector: a source reading a topic's
// partitions from checkpointed offsets, and a sink producing records, with
// an exactly-once transactional mode tied to checkpoints. It is built on
// franz-go (kgo, kadm); its tests run against kfake, franz-go's in-process
// broker speaking the real Kafka protocol.
//
// # Options
//
// ParseOptions reads the WITH clause (RisingWave spellings):
//
//	connector = 'kafka'
//	topic = 'bids'                                  -- required
//	properties.bootstrap.server = 'host:9092,...'   -- required (also .servers)
//	scan.startup.mode = 'earliest' | 'latest' | 'timestamp'   -- default earliest
//	scan.startup.timestamp.millis = '1700000000000' -- implies mode timestamp
//	properties.group.id = '...'                     -- accepted, never used for offsets
//	properties.client.id = '...'
//	properties.transactional.id = 'prefix'          -- sink: exactly-once mode
//
// Other properties.* keys are accepted and ignored (listed in
// Options.Ignored); any other unknown key is an error (22023), a missing
// topic or broker list is 42601.
//
// # Source
//
// Open discovers the partitions; each partition is a split named by its
// number ("0", "1", ...). Source.NewReader reads a set of splits from
// explicit offsets with kgo.ConsumePartitions (no consumer group, no offset
// commits): the offsets come from the engine's checkpoint (Reader.Offsets
// is exactly what to store), and splits without one start where the startup
// mode says, resolved to concrete offsets when the reader is created (so a
// checkpoint taken before the first record already pins "latest"). Readers
// are read_committed, so records of aborted transactions never appear.
// Several readers (one per source actor) read disjoint split sets in
// parallel.
//
// DecodeRecords turns polled records into chunk rows with a format.Decoder
// and FillIncludes adds INCLUDE key/partition/offset/timestamp columns; a
// rejected record becomes a RecordError naming its partition and offset, and
// the following records are still decoded.
//
// # Sink
//
// TxnSink delivers numbered batches of records exactly once for
// read_committed consumers: each batch is one Kafka transaction under the
// sink's fixed transactional id, and every record carries the batch's
// sequence number in a header, so Recover reads back from the topic how far
// the sink got.
//
// Limitations: partitions added to a topic after Open are not read; there is
// no SASL/TLS configuration yet; a checkpointed offset that retention has
// already deleted resumes silently at the log start (the deleted records are
// a gap), while data lost by the broker is reported once by Poll.
package kafka
