// Package format turns the payloads of external records (Kafka messages,
// file lines) into rows of columnar exec.Chunks, and rows back into payloads
// for sinks.
//
// # Decoding
//
// A Decoder appends exactly one row per accepted record (CSV payloads may hold
// several lines, each one a row). A rejected record leaves the chunk exactly
// as it was: the values appended so far are rolled back, so a caller can
// report the error (for example to a dead-letter destination) and go on with
// the next record using the same chunk. Errors are *types.Error with a
// SQLSTATE (22P02 for malformed input, 22003 for out-of-range numbers,
// 22007/22008 for datetimes) and name the cause precisely:
//
//	invalid JSON at offset 12: expected ':' after object key
//	column "price": invalid input syntax for type integer: "abc"
//	column "price": value "99999999999" is out of range for type integer
//
// Decoders write byte values (text, bytea, jsonb) into private slabs that
// they never reuse, so the values stay valid after the chunk is reset and
// after the payload buffer is reused by the caller.
//
// JSON (NewJSON): the payload must be one JSON object. Keys map to columns
// by name: an exact match first, then the lower-cased key (so "Price" fills
// column price). Missing keys and JSON null give NULL, unknown keys are
// validated and ignored, duplicate keys: the last one wins. Values convert
// as follows:
//
//   - JSON numbers into integer columns must be integer literals (PostgreSQL
//     text input rules: 1.5 and 1e3 are rejected) and fit the type; into
//     real/double they are parsed as floats; into numeric(p,s) exactly, with
//     the typmod applied. A number into timestamp/timestamptz is a Unix epoch
//     whose unit is guessed from its magnitude like RisingWave's
//     guess_number_unit: |v| < 1e11 seconds, < 1e14 milliseconds, < 1e17
//     microseconds, else nanoseconds.
//   - JSON strings are parsed with the PostgreSQL text input of the column
//     type (types.ParseText): "2024-01-02 03:04:05", "12.50", "\x0102" for
//     bytea, "1 day" for interval... so numbers may also be quoted.
//   - JSON true/false fill boolean columns (and text columns as "true"/"false").
//   - Objects and arrays fill jsonb columns with their canonical jsonb text
//     (types.CanonicalJSON) and text columns with the same text. Any JSON
//     value fills a jsonb column; a scalar into a text column keeps its
//     literal text (numbers) or its unescaped contents (strings).
//
// CSV (NewCSV): fields map to columns by position, or by header name when
// CSVOptions.WithHeader is set (then the first line ever decoded is the
// header and produces no row). An unquoted empty field is NULL, a quoted
// empty field ("") is the empty string. Missing trailing fields are NULL and
// extra fields are ignored. Every field is parsed with types.ParseText.
//
// Upsert (NewUpsertJSON): FORMAT UPSERT ENCODE JSON. The message key carries
// the primary key (a JSON object, or a bare JSON scalar when the key has one
// column); an empty or JSON-null value is a tombstone that deletes that key.
//
// # Encoding
//
// An Encoder turns one chunk row into a payload. NewJSONEncoder writes
// {"col": value, ...} in column order: integers, floats and numerics as JSON
// numbers (NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity"), booleans as true/false, jsonb columns embedded as JSON,
// NULL as null, and every other type (text, bytea, date, time, timestamp,
// timestamptz, interval) as a JSON string holding the PostgreSQL text output
// (timestamptz in UTC, e.g. "2024-01-02 03:04:05.5+00").
//
// With the WithOpField option the encoder adds a Debezium-lite change field
// as the last key: "__op": "insert" for inserts and the new half of an
// update, "__op": "delete" for deletes and the old half of an update. A
// consumer that replays the records in order and applies inserts and deletes
// by value reconstructs the relation. Without that option deletes cannot be
// represented and Encode fails with 0A000 for them (append-only sinks).
package format

import (
	"github.com/streamsql/streamsql/exec"
)

// Decoder decodes one external record into rows appended to a chunk.
//
// payload is the record body (the Kafka value) and key the record key (nil
// if none); decoders that do not use the key ignore it. The chunk's columns
// must have the types the decoder was built with, in the same leading
// positions; further columns (INCLUDE columns) get a zero, non-NULL value in
// the new row for the caller to fill. Columns that receive no value are
// NULL; a chunk decoded without any NULL keeps Nulls.MaybeNulls false. On
// error the chunk is left unchanged. Decoders are not safe for concurrent use: give each reader its
// own.
type Decoder interface {
	Decode(payload []byte, key []byte, c *exec.Chunk) error
}

// Encoder encodes one chunk row (a physical row index) with its change op
// into a record payload. The returned slice is freshly allocated and owned
// by the caller. Encoders are not safe for concurrent use.
type Encoder interface {
	Encode(c *exec.Chunk, row int, op exec.Op) ([]byte, error)
}
