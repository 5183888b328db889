package kafka

import (
	"fmt"
	"strconv"

	"github.com/streamsql/streamsql/connectors/format"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// IncludeKind names a Kafka record attribute an INCLUDE clause adds as a
// column.
type IncludeKind uint8

// INCLUDE kinds.
const (
	IncludeKey       IncludeKind = iota // the message key
	IncludePartition                    // the partition number
	IncludeOffset                       // the record offset
	IncludeTimestamp                    // the record timestamp
)

// Include is one INCLUDE column: attribute Kind stored in chunk column Col.
//
// The column type decides the form: key into bytea, text (must be UTF-8)
// or jsonb (must be JSON); partition and offset into integer types or text
// (decimal digits, RisingWave's varchar); timestamp into timestamptz or
// timestamp (UTC). A NULL key stays NULL.
type Include struct {
	Kind IncludeKind
	Col  int
}

// FillIncludes stores the INCLUDE attributes of rec into physical row row
// of c.
func FillIncludes(c *exec.Chunk, row int, rec *Record, incs []Include) error {
	for _, in := range incs {
		v := c.Cols[in.Col]
		var d types.Datum
		switch in.Kind {
		case IncludeKey:
			if rec.Key == nil {
				d = types.Null
				break
			}
			switch v.Typ.Family {
			case types.Jsonb:
				b, err := types.CanonicalJSON(rec.Key)
				if err != nil {
					return err
				}
				d = types.NewBytes(b)
			case types.Text:
				var err error
				if d, err = types.ParseText(v.Typ, string(rec.Key)); err != nil {
					return err
				}
			default:
				d = types.NewBytes(rec.Key)
			}
		case IncludePartition, IncludeOffset:
			x := rec.Offset
			if in.Kind == IncludePartition {
				x = int64(rec.Partition)
			}
			if v.Typ.Family.Physical() == types.PhysBytes {
				d = types.NewBytes(strconv.AppendInt(nil, x, 10))
			} else {
				d = types.NewInt(x)
			}
		case IncludeTimestamp:
			d = types.NewInt(types.TimestampFromTime(rec.Timestamp))
		}
		v.Set(row, d)
	}
	return nil
}

// RecordError is a record that a decoder rejected.
type RecordError struct {
	Split  string
	Offset int64
	Err    error
}

// Error names the record and the decoder's reason.
func (e *RecordError) Error() string {
	return fmt.Sprintf("kafka record at partition %s offset %d: %v", e.Split, e.Offset, e.Err)
}

// Unwrap returns the decoder's error (a *types.Error).
func (e *RecordError) Unwrap() error { return e.Err }

// DecodeRecords decodes recs into c with dec, one row per record (a CSV
// payload may give several), filling the INCLUDE columns incs of each row.
// The decoder must have been built for the leading payload columns of c;
// INCLUDE columns come after them. A rejected record adds no row and is
// reported in errs; decoding goes on with the next record.
func DecodeRecords(dec format.Decoder, recs []Record, c *exec.Chunk, incs []Include) (errs []*RecordError) {
	for i := range recs {
		rec := &recs[i]
		n := c.N
		err := dec.Decode(rec.Value, rec.Key, c)
		for r := n; err == nil && r < c.N; r++ {
			err = FillIncludes(c, r, rec, incs)
		}
		if err != nil {
			if c.N > n {
				for _, v := range c.Cols {
					v.Resize(n)
				}
				c.N = n
				if len(c.Ops) > n {
					c.Ops = c.Ops[:n]
				}
			}
			errs = append(errs, &RecordError{Split: rec.Split, Offset: rec.Offset, Err: err})
		}
	}
	return errs
}
