package format

import (
	"bytes"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// UpsertJSON decodes FORMAT UPSERT ENCODE JSON records: the message key
// holds the primary key and the value the whole row, and an empty or JSON
// null value (a Kafka tombstone) deletes the row with that key.
//
// The key is a JSON object whose fields name primary-key columns (other
// fields are ignored), or, when the primary key has a single column, a bare
// JSON value such as 42 or "abc". For an upsert, key fields override the
// same columns of the value; the value alone suffices when it carries every
// primary-key column and the key is empty. A row whose primary key is
// incomplete (a key column NULL or absent) is rejected with 23502.
type UpsertJSON struct {
	names []string
	pk    []int
	val   jsonDecoder
	key   jsonDecoder
}

// NewUpsertJSON returns an upsert decoder for columns names of types ts
// with primary-key columns pk (indexes into names). It panics if pk is
// empty or out of range.
func NewUpsertJSON(names []string, ts []types.T, pk []int) *UpsertJSON {
	if len(pk) == 0 {
		panic("format: upsert needs a primary key")
	}
	kn := make([]string, len(pk))
	kt := make([]types.T, len(pk))
	for i, c := range pk {
		kn[i], kt[i] = names[c], ts[c]
	}
	rs := new(rowSeen)
	u := &UpsertJSON{names: names, pk: pk, val: jsonDecoder{sc: newSchema(names, ts), rs: rs}}
	u.key = jsonDecoder{sc: newSchema(kn, kt), cols: pk, rs: rs}
	return u
}

// Decode implements Decoder: it appends the row like DecodeUpsert, marking
// deletes in c.Ops.
func (u *UpsertJSON) Decode(payload, key []byte, c *exec.Chunk) error {
	_, err := u.DecodeUpsert(key, payload, c)
	return err
}

// DecodeUpsert appends one row to c: for an upsert the decoded row, for a
// tombstone a row holding only the primary key (other columns NULL), with
// isDelete true. The row's op is recorded in c.Ops (materialized as all
// inserts on the first delete): OpInsert for an upsert, OpDelete for a
// tombstone. On error the chunk is unchanged.
func (u *UpsertJSON) DecodeUpsert(key, payload []byte, c *exec.Chunk) (isDelete bool, err error) {
	v := bytes.TrimSpace(payload)
	isDelete = len(v) == 0 || string(v) == "null"
	n := beginRow(c, u.val.rs)
	if isDelete {
		if len(bytes.TrimSpace(key)) == 0 {
			err = types.Errorf(types.CodeNotNullViolation, "upsert tombstone without a key")
		} else {
			err = u.key.object(key, c, n, len(u.pk) == 1)
		}
	} else {
		err = u.val.object(payload, c, n, false)
		if err == nil && len(bytes.TrimSpace(key)) > 0 {
			err = u.key.object(key, c, n, len(u.pk) == 1)
		}
	}
	if err == nil {
		finishRow(c, n, u.val.rs, len(u.names))
		for _, k := range u.pk {
			if c.Cols[k].Nulls.IsNull(n) {
				err = types.Errorf(types.CodeNotNullViolation, "missing primary key column %q", u.names[k])
				break
			}
		}
	}
	if err != nil {
		rollback(c, n)
		return isDelete, err
	}
	op := exec.OpInsert
	if isDelete {
		op = exec.OpDelete
	}
	commitRow(c, op)
	return isDelete, nil
}
