// Package connectors is the home of streamsql's sources and sinks. Each
// connector lives in its own sub-package; the built-in generators are
// connectors/nexmark (the Nexmark auction event stream) and
// connectors/datagen (RisingWave-style per-column data generation). Both
// write columnar exec.Chunks directly, partition their output
// deterministically across parallel readers, and expose a resumable offset
// for checkpoints. connectors/kafka reads and writes Kafka topics,
// connectors/file reads JSON-lines and CSV files from a file or a directory
// with a resumable position per file, and connectors/format decodes and
// encodes the record payloads of both.
package connectors
