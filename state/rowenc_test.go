package state

import (
	"math"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// sameDatum reports whether a and b hold the same value exactly (decimals
// with the same scale, floats bit-equal up to NaN payloads).
func sameDatum(t types.T, a, b types.Datum) bool {
	if a.Null || b.Null {
		return a.Null == b.Null
	}
	switch t.Family.Physical() {
	case types.PhysFloat:
		if math.IsNaN(a.F) {
			return math.IsNaN(b.F)
		}
		return math.Float64bits(a.F) == math.Float64bits(b.F)
	case types.PhysDecimal:
		return a.D.Form == b.D.Form && a.D.Negative == b.D.Negative && a.D.Exponent == b.D.Exponent && a.D.Coeff.Cmp(&b.D.Coeff) == 0
	case types.PhysInterval:
		return a.Iv == b.Iv
	}
	return refCompare(t, a, b) == 0
}

func TestRowRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var dst []types.Datum
	for iter := 0; iter < 2000; iter++ {
		n := r.Intn(20)
		ts := make([]types.T, n)
		row := make([]types.Datum, n)
		for i := range ts {
			ts[i] = allTypes[r.Intn(len(allTypes))]
			row[i] = randDatum(r, ts[i])
		}
		buf := AppendRow([]byte{0xEE}, ts, row)[1:]
		var err error
		dst, err = DecodeRow(buf, ts, dst)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := DecodeRowCopy(buf, ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ts {
			if !sameDatum(ts[i], row[i], dst[i]) || !sameDatum(ts[i], row[i], cp[i]) {
				t.Fatalf("col %d %s: %s -> %s", i, ts[i], fmtDatum(ts[i], row[i]), fmtDatum(ts[i], dst[i]))
			}
		}
		// DecodeRowCopy does not alias.
		for i := range buf {
			buf[i] = 0xCC
		}
		for i := range ts {
			if !sameDatum(ts[i], row[i], cp[i]) {
				t.Fatalf("DecodeRowCopy aliases buf")
			}
		}
		// Truncations error or decode, never panic.
		enc := AppendRow(nil, ts, row)
		for k := 0; k < len(enc); k++ {
			_, _ = DecodeRow(enc[:k], ts, nil)
		}
	}
}

func TestRowAllTypesAndNulls(t *testing.T) {
	row := []types.Datum{
		types.NewBool(true), types.NewInt(-32768), types.NewInt(math.MinInt32), types.NewInt(math.MaxInt64),
		types.NewFloat(float64(float32(1.25))), types.NewFloat(math.Inf(-1)),
		{}, types.NewString("héllo"), types.NewBytes([]byte{0, 1, 2}), types.NewInt(types.DateInfinity),
		types.NewInt(86399999999), types.NewInt(types.TimestampNegInfinity), types.NewInt(1700000000000000),
		types.NewInterval(types.IntervalValue{Months: -1, Days: 2, Micros: -3}), types.NewString(`{"a": 1}`),
	}
	d := mustDec("-123.4500")
	row[6] = types.NewDecimal(&d)
	for mask := 0; mask < 3; mask++ {
		in := append([]types.Datum(nil), row...)
		for i := range in {
			if (mask == 1 && i%2 == 0) || mask == 2 {
				in[i] = types.Null
			}
		}
		out, err := DecodeRow(AppendRow(nil, allTypes, in), allTypes, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range in {
			if !sameDatum(allTypes[i], in[i], out[i]) {
				t.Errorf("mask %d col %d %s: %s -> %s", mask, i, allTypes[i], fmtDatum(allTypes[i], in[i]), fmtDatum(allTypes[i], out[i]))
			}
		}
	}
	if out, _ := DecodeRow(AppendRow(nil, allTypes, row), allTypes, nil); out[6].D.String() != "-123.4500" {
		t.Errorf("numeric scale lost: %s", out[6].D.String())
	}
}

func TestRowAddedColumnsDecodeNull(t *testing.T) {
	old := []types.T{types.TInt8, types.TText}
	buf := AppendRow(nil, old, []types.Datum{types.NewInt(1), types.NewString("a")})
	now := append(old, types.TFloat8, types.TNumeric)
	out, err := DecodeRow(buf, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || out[0].I != 1 || string(out[1].S) != "a" || !out[2].Null || !out[3].Null {
		t.Errorf("got %+v", out)
	}
	if _, err := DecodeRow(buf, old[:1], nil); err == nil {
		t.Error("more columns than schema decoded")
	}
}
