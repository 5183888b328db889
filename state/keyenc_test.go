package state

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"sort"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

var allTypes = []types.T{
	types.TBool, types.TInt2, types.TInt4, types.TInt8, types.TFloat4, types.TFloat8,
	types.TNumeric, types.TText, types.TBytea, types.TDate, types.TTime,
	types.TTimestamp, types.TTimestamptz, types.TInterval, types.TJsonb,
}

func mustDec(s string) apd.Decimal {
	var d apd.Decimal
	if _, _, err := d.SetString(s); err != nil {
		panic(err)
	}
	return d
}

var decEdge = []string{
	"0", "-0", "0.000", "1", "-1", "1.0", "1.50", "1.5", "10", "100", "0.1", "0.01", "-0.01",
	"123456789012345678901234567890.123456789", "-123456789012345678901234567890",
	"1e100", "-1e100", "1e-100", "9.99", "99", "101", "1.01", "NaN", "Infinity", "-Infinity",
	"18446744073709551615", "18446744073709551616", "0.5", "5", "50", "-5", "-50", "-0.5",
}

var floatEdge = []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0.5, -0.5}

var intEdge = []int64{0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32, 255, 256, -256}

// randDatum returns a random datum of type t; 1 in 10 is NULL.
func randDatum(r *rand.Rand, t types.T) types.Datum {
	if r.Intn(10) == 0 {
		return types.Null
	}
	switch t.Family {
	case types.Bool:
		return types.NewBool(r.Intn(2) == 1)
	case types.Int16:
		return types.NewInt(int64(int16(r.Uint64())))
	case types.Int32, types.Date:
		if r.Intn(4) == 0 {
			return types.NewInt(int64(r.Intn(7) - 3))
		}
		return types.NewInt(int64(int32(r.Uint64())))
	case types.Int64, types.Time, types.Timestamp, types.Timestamptz:
		switch r.Intn(4) {
		case 0:
			return types.NewInt(intEdge[r.Intn(len(intEdge))])
		case 1:
			return types.NewInt(int64(r.Intn(7) - 3))
		}
		return types.NewInt(int64(r.Uint64()))
	case types.Float32:
		if r.Intn(3) == 0 {
			return types.NewFloat(float64(float32(floatEdge[r.Intn(len(floatEdge))])))
		}
		return types.NewFloat(float64(float32(r.NormFloat64() * 1000)))
	case types.Float64:
		switch r.Intn(3) {
		case 0:
			return types.NewFloat(floatEdge[r.Intn(len(floatEdge))])
		case 1:
			return types.NewFloat(math.Float64frombits(r.Uint64()))
		}
		return types.NewFloat(r.NormFloat64() * 1e6)
	case types.Numeric:
		if r.Intn(3) == 0 {
			d := mustDec(decEdge[r.Intn(len(decEdge))])
			return types.NewDecimal(&d)
		}
		var d apd.Decimal
		n := r.Intn(30) + 1
		digits := make([]byte, n)
		for i := range digits {
			digits[i] = byte('0' + r.Intn(10))
		}
		d.Coeff.SetString(string(digits), 10)
		d.Exponent = int32(r.Intn(40) - 20)
		d.Negative = r.Intn(2) == 0
		return types.NewDecimal(&d)
	case types.Text, types.Bytea, types.Jsonb:
		n := r.Intn(6)
		b := make([]byte, n)
		for i := range b {
			// Small alphabet with 0x00 and 0xFF, to stress escaping and prefixes.
			b[i] = []byte{0x00, 0x01, 0xFF, 'a', 'b'}[r.Intn(5)]
		}
		return types.NewBytes(b)
	case types.Interval:
		switch r.Intn(3) {
		case 0:
			return types.NewInterval(types.IntervalValue{Months: int32(r.Intn(5) - 2), Days: int32(r.Intn(61) - 30), Micros: int64(r.Intn(5)-2) * usPerDay})
		case 1:
			return types.NewInterval(types.IntervalValue{Months: int32(r.Uint32()), Days: int32(r.Uint32()), Micros: int64(r.Uint64())})
		}
		return types.NewInterval(types.IntervalValue{Months: int32(r.Intn(100) - 50), Days: int32(r.Intn(100) - 50), Micros: r.Int63n(1e12) - 5e11})
	}
	return types.Null
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

func bigSpan(iv types.IntervalValue) *big.Int {
	x := big.NewInt(int64(iv.Months)*30 + int64(iv.Days))
	x.Mul(x, big.NewInt(usPerDay))
	return x.Add(x, big.NewInt(iv.Micros))
}

// refCompare is the reference order of key encodings: NULL first, then the
// values as types.Compare orders them, intervals ties broken by components.
func refCompare(t types.T, a, b types.Datum) int {
	switch {
	case a.Null && b.Null:
		return 0
	case a.Null:
		return -1
	case b.Null:
		return 1
	}
	switch t.Family.Physical() {
	case types.PhysFloat:
		return types.CompareFloat(a.F, b.F)
	case types.PhysDecimal:
		return types.CompareDecimal(&a.D, &b.D)
	case types.PhysInterval:
		if c := bigSpan(a.Iv).Cmp(bigSpan(b.Iv)); c != 0 {
			return c
		}
		if a.Iv.Months != b.Iv.Months {
			return sign(int(a.Iv.Months) - int(b.Iv.Months))
		}
		return sign(int(a.Iv.Days) - int(b.Iv.Days))
	case types.PhysBool:
		if a.B == b.B {
			return 0
		} else if !a.B {
			return -1
		}
		return 1
	case types.PhysInt:
		if a.I < b.I {
			return -1
		} else if a.I > b.I {
			return 1
		}
		return 0
	case types.PhysBytes:
		return bytes.Compare(a.S, b.S)
	}
	return 0
}

func fmtDatum(t types.T, d types.Datum) string {
	if d.Null {
		return "NULL"
	}
	switch t.Family.Physical() {
	case types.PhysBool:
		return fmt.Sprint(d.B)
	case types.PhysInt:
		return fmt.Sprint(d.I)
	case types.PhysFloat:
		return fmt.Sprint(d.F)
	case types.PhysDecimal:
		return d.D.String()
	case types.PhysBytes:
		return fmt.Sprintf("%q", d.S)
	case types.PhysInterval:
		return fmt.Sprintf("%+v", d.Iv)
	}
	return "?"
}

func TestKeyOrderAndRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, typ := range allTypes {
		for _, desc := range []bool{false, true} {
			vals := make([]types.Datum, 300)
			for i := range vals {
				vals[i] = randDatum(r, typ)
			}
			encs := make([][]byte, len(vals))
			for i, v := range vals {
				encs[i] = AppendKey([]byte{0xAB}, typ, v, desc)[1:]
				// Round trip, with a trailing byte that must come back as rest.
				buf := append(append([]byte(nil), encs[i]...), 0x77)
				got, rest, err := DecodeKey(buf, typ, desc)
				if err != nil {
					t.Fatalf("%s desc=%v %s: decode: %v", typ, desc, fmtDatum(typ, v), err)
				}
				if !bytes.Equal(rest, []byte{0x77}) {
					t.Fatalf("%s desc=%v %s: rest %x", typ, desc, fmtDatum(typ, v), rest)
				}
				if refCompare(typ, got, v) != 0 || (typ.Family == types.Interval && got.Iv != v.Iv) {
					t.Fatalf("%s desc=%v: round trip %s -> %s", typ, desc, fmtDatum(typ, v), fmtDatum(typ, got))
				}
				if typ.Family.Physical() == types.PhysFloat && !v.Null && math.IsNaN(v.F) != math.IsNaN(got.F) {
					t.Fatalf("NaN lost")
				}
			}
			for i := range vals {
				for j := range vals {
					want := refCompare(typ, vals[i], vals[j])
					if desc {
						want = -want
					}
					if got := bytes.Compare(encs[i], encs[j]); got != want {
						t.Fatalf("%s desc=%v: compare(%s, %s) = %d, want %d (%x vs %x)", typ, desc,
							fmtDatum(typ, vals[i]), fmtDatum(typ, vals[j]), got, want, encs[i], encs[j])
					}
				}
			}
		}
	}
}

func TestKeyEdgeCases(t *testing.T) {
	enc := func(typ types.T, d types.Datum, desc bool) []byte { return AppendKey(nil, typ, d, desc) }
	// -0 and 0 encode identically, NaN above +Inf, NaNs equal.
	if !bytes.Equal(enc(types.TFloat8, types.NewFloat(0), false), enc(types.TFloat8, types.NewFloat(math.Copysign(0, -1)), false)) {
		t.Error("-0 != 0")
	}
	if bytes.Compare(enc(types.TFloat8, types.NewFloat(math.NaN()), false), enc(types.TFloat8, types.NewFloat(math.Inf(1)), false)) <= 0 {
		t.Error("NaN not above +Inf")
	}
	if !bytes.Equal(enc(types.TFloat8, types.NewFloat(math.NaN()), false), enc(types.TFloat8, types.NewFloat(-math.NaN()), false)) {
		t.Error("NaNs differ")
	}
	// Decimals equal regardless of scale.
	for _, p := range [][2]string{{"1.5", "1.50"}, {"0", "-0.000"}, {"100", "1E2"}, {"-2.10", "-2.1"}} {
		a, b := mustDec(p[0]), mustDec(p[1])
		if !bytes.Equal(enc(types.TNumeric, types.NewDecimal(&a), false), enc(types.TNumeric, types.NewDecimal(&b), false)) {
			t.Errorf("%s and %s encode differently", p[0], p[1])
		}
	}
	// numeric(p,s) gets its scale back.
	d := mustDec("1.5")
	got, _, err := DecodeKey(enc(types.TNumeric, types.NewDecimal(&d), false), types.T{Family: types.Numeric, Precision: 10, Scale: 3}, false)
	if err != nil || got.D.String() != "1.500" {
		t.Errorf("numeric(10,3) decode = %s, %v", got.D.String(), err)
	}
	// NULL first ascending, last descending.
	for _, typ := range allTypes {
		v := randDatum(rand.New(rand.NewSource(3)), typ)
		v.Null = false
		if bytes.Compare(enc(typ, types.Null, false), enc(typ, v, false)) >= 0 {
			t.Errorf("%s: NULL not first ascending", typ)
		}
		if bytes.Compare(enc(typ, types.Null, true), enc(typ, v, true)) <= 0 {
			t.Errorf("%s: NULL not last descending", typ)
		}
	}
	// Corrupt input errors, no panic.
	for _, typ := range allTypes {
		v := randDatum(rand.New(rand.NewSource(4)), typ)
		v.Null = false
		e := enc(typ, v, false)
		for n := 0; n < len(e); n++ {
			if _, _, err := DecodeKey(e[:n], typ, false); err == nil && n < len(e) && typ.Family != types.Unknown {
				// A strict prefix of a prefix-free encoding never decodes.
				t.Errorf("%s: prefix %x of %x decoded", typ, e[:n], e)
			}
		}
	}
}

func TestMultiColumnKeyOrder(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	ts := []types.T{types.TText, types.TInt8, types.TNumeric}
	desc := []bool{false, true, false}
	type tuple struct {
		ds  []types.Datum
		enc []byte
	}
	var tups []tuple
	for i := 0; i < 400; i++ {
		ds := []types.Datum{randDatum(r, ts[0]), randDatum(r, ts[1]), randDatum(r, ts[2])}
		if r.Intn(2) == 0 && len(tups) > 0 { // share prefixes
			ds[0] = tups[r.Intn(len(tups))].ds[0]
		}
		tups = append(tups, tuple{ds, AppendKeys(nil, ts, ds, desc)})
	}
	cmpT := func(a, b tuple) int {
		for i := range ts {
			c := refCompare(ts[i], a.ds[i], b.ds[i])
			if desc[i] {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	sort.Slice(tups, func(i, j int) bool { return bytes.Compare(tups[i].enc, tups[j].enc) < 0 })
	for i := 1; i < len(tups); i++ {
		if cmpT(tups[i-1], tups[i]) > 0 {
			t.Fatalf("tuple order broken at %d", i)
		}
	}
	for _, tp := range tups {
		got, rest, err := DecodeKeys(tp.enc, ts, desc, nil)
		if err != nil || len(rest) != 0 || cmpT(tuple{got, nil}, tp) != 0 {
			t.Fatalf("DecodeKeys: %v %x", err, rest)
		}
	}
}

func TestHashDatums(t *testing.T) {
	a, b := mustDec("1.5"), mustDec("1.500")
	ts := []types.T{types.TNumeric, types.TFloat8, types.TText}
	h1 := HashDatums(ts, []types.Datum{types.NewDecimal(&a), types.NewFloat(0), types.NewString("x")})
	h2 := HashDatums(ts, []types.Datum{types.NewDecimal(&b), types.NewFloat(math.Copysign(0, -1)), types.NewString("x")})
	if h1 != h2 {
		t.Error("equal datums hash differently")
	}
	// Pin the format: a change here reshuffles every vnode on disk.
	h := HashDatums([]types.T{types.TInt8, types.TText}, []types.Datum{types.NewInt(42), types.NewString("streamsql")})
	const want = uint64(0xfb22e1b832235e22)
	if h != want {
		t.Errorf("HashDatums golden = %#x, want %#x", h, want)
	}
	if v := VNodeOf(h); v >= VNodeCount {
		t.Errorf("vnode %d", v)
	}
	// Vnodes spread.
	seen := map[uint16]bool{}
	for i := 0; i < 5000; i++ {
		seen[VNodeOf(HashDatums([]types.T{types.TInt8}, []types.Datum{types.NewInt(int64(i))}))] = true
	}
	if len(seen) != VNodeCount {
		t.Errorf("only %d vnodes used", len(seen))
	}
}

func TestPrefixHelpers(t *testing.T) {
	if got := PrefixEnd([]byte{1, 2, 0xFF}); !bytes.Equal(got, []byte{1, 3}) {
		t.Errorf("PrefixEnd = %x", got)
	}
	if got := PrefixEnd([]byte{0xFF, 0xFF}); got != nil {
		t.Errorf("PrefixEnd all-FF = %x", got)
	}
	k := AppendKey(VNodePrefix(77, 300), types.TInt8, types.NewInt(5), false)
	id, vn, rest, ok := DecodeTablePrefix(k)
	if !ok || id != 77 || vn != 300 || len(rest) != 9 {
		t.Errorf("DecodeTablePrefix = %d %d %x %v", id, vn, rest, ok)
	}
	if !bytes.HasPrefix(k, TablePrefix(77)) || bytes.Compare(k, PrefixEnd(TablePrefix(77))) >= 0 {
		t.Error("table prefix bounds")
	}
	if !bytes.HasPrefix(SystemKey("x"), TablePrefix(SystemTableID)) {
		t.Error("system key")
	}
}

func TestAppendKeyNulls(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for _, typ := range allTypes {
		for _, desc := range []bool{false, true} {
			for _, nullsLast := range []bool{false, true} {
				vals := make([]types.Datum, 60)
				for i := range vals {
					vals[i] = randDatum(r, typ)
				}
				for i := range vals {
					ei := AppendKeyNulls(nil, typ, vals[i], desc, nullsLast)
					got, rest, err := DecodeKey(ei, typ, desc)
					if err != nil || len(rest) != 0 || refCompare(typ, got, vals[i]) != 0 {
						t.Fatalf("%s: round trip %s: %v", typ, fmtDatum(typ, vals[i]), err)
					}
					for j := range vals {
						ej := AppendKeyNulls(nil, typ, vals[j], desc, nullsLast)
						var want int
						a, b := vals[i], vals[j]
						switch {
						case a.Null && b.Null:
						case a.Null:
							want = -1
							if nullsLast {
								want = 1
							}
						case b.Null:
							want = 1
							if nullsLast {
								want = -1
							}
						default:
							want = refCompare(typ, a, b)
							if desc {
								want = -want
							}
						}
						if got := bytes.Compare(ei, ej); got != want {
							t.Fatalf("%s desc=%v nullsLast=%v: %s vs %s = %d, want %d", typ, desc, nullsLast,
								fmtDatum(typ, a), fmtDatum(typ, b), got, want)
						}
					}
				}
			}
		}
	}
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
