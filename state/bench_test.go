package state

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/types"
)

var benchTypes = []types.T{types.TInt8, types.TText, types.TFloat8, types.TTimestamptz, types.TNumeric, types.TInt4}

func benchRow() []types.Datum {
	d := mustDec("12345.67")
	return []types.Datum{types.NewInt(123456789), types.NewString("some user name"), types.NewFloat(3.25),
		types.NewInt(1700000000000000), types.NewDecimal(&d), types.Null}
}

func BenchmarkAppendRow(b *testing.B) {
	row := benchRow()
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendRow(buf[:0], benchTypes, row)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeRow(b *testing.B) {
	buf := AppendRow(nil, benchTypes, benchRow())
	var dst []types.Datum
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		var err error
		if dst, err = DecodeRow(buf, benchTypes, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendKey(b *testing.B) {
	row := benchRow()
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for j, t := range benchTypes {
			buf = AppendKey(buf, t, row[j], j%2 == 1)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeKey(b *testing.B) {
	row := benchRow()
	var buf []byte
	for j, t := range benchTypes {
		buf = AppendKey(buf, t, row[j], false)
	}
	var dst []types.Datum
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		var err error
		if dst, _, err = DecodeKeys(buf, benchTypes, nil, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashDatums(b *testing.B) {
	ts := []types.T{types.TInt8, types.TText}
	ds := []types.Datum{types.NewInt(42), types.NewString("key")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = VNodeOf(HashDatums(ts, ds))
	}
}

func BenchmarkStateTableInsertFlush(b *testing.B) {
	s := openMem(b)
	sch := TableSchema{ID: FirstUserTableID, Columns: benchTypes, PK: []int{0}}
	st, err := NewStateTable(s, sch)
	if err != nil {
		b.Fatal(err)
	}
	row := benchRow()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		row[0] = types.NewInt(int64(i))
		st.Insert(row)
		if i%10000 == 9999 {
			batch := s.NewWriteBatch()
			if err := st.Flush(batch); err != nil {
				b.Fatal(err)
			}
			if err := batch.Commit(false); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStateTableGet(b *testing.B) {
	s := openMem(b)
	sch := TableSchema{ID: FirstUserTableID, Columns: benchTypes, PK: []int{0}}
	st, _ := NewStateTable(s, sch)
	row := benchRow()
	const n = 10000
	for i := 0; i < n; i++ {
		row[0] = types.NewInt(int64(i))
		st.Insert(row)
	}
	batch := s.NewWriteBatch()
	_ = st.Flush(batch)
	_ = batch.Commit(false)
	pk := []types.Datum{{}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pk[0] = types.NewInt(int64(i % n))
		if _, ok, err := st.Get(pk); !ok || err != nil {
			b.Fatal(fmt.Sprint("missing ", i, err))
		}
	}
}
