package batch

import (
	"bytes"
	"cmp"
	"context"
	"hash/maphash"
	"math"
	"math/bits"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Drain runs op to completion: Init, Next until nil, Close. It returns the
// rows as datums; bytes and decimals are copied, so the rows stay valid.
func Drain(op exec.Operator) ([][]types.Datum, error) {
	if err := op.Init(context.Background()); err != nil {
		op.Close()
		return nil, err
	}
	var rows [][]types.Datum
	for {
		c, err := op.Next()
		if err != nil {
			op.Close()
			return nil, err
		}
		if c == nil {
			break
		}
		n := c.Len()
		for k := 0; k < n; k++ {
			r := c.Row(k)
			row := make([]types.Datum, len(c.Cols))
			for j, v := range c.Cols {
				row[j] = copyDatum(v.Get(r))
			}
			rows = append(rows, row)
		}
	}
	return rows, op.Close()
}

func copyDatum(d types.Datum) types.Datum {
	if d.S != nil {
		d.S = append([]byte{}, d.S...)
	}
	return d
}

// arena owns copies of byte strings kept across Next calls.
type arena struct{ buf []byte }

const arenaSlab = 64 << 10

func (a *arena) copy(b []byte) []byte {
	n := len(b)
	if n == 0 {
		return []byte{}
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(arenaSlab, n))
	}
	off := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[off : off+n : off+n]
}

// store is a growing set of rows in columnar form whose bytes are owned.
type store struct {
	cols  []*exec.Vec
	n     int
	arena arena
}

func newStore(ts []types.T) *store {
	s := &store{cols: make([]*exec.Vec, len(ts))}
	for i, t := range ts {
		s.cols[i] = exec.NewVec(t, 0)
	}
	return s
}

// appendRows copies rows (physical indices) of the given columns of c.
func (s *store) appendRows(c *exec.Chunk, colIdx []int, rows []int) {
	n := s.n
	for i, v := range s.cols {
		src := c.Cols[i]
		if colIdx != nil {
			src = c.Cols[colIdx[i]]
		}
		v.Resize(n + len(rows))
		gather(v, n, src, rows, &s.arena)
	}
	s.n = n + len(rows)
}

// reset drops every row.
func (s *store) reset() {
	for _, v := range s.cols {
		v.Reset()
	}
	s.n = 0
	s.arena = arena{}
}

// visibleRows returns the physical indices of c's visible rows, using buf.
// The input's Sel is returned as is (and must not be modified); otherwise
// *buf is filled with 0..N-1.
func visibleRows(c *exec.Chunk, buf *[]int) []int {
	if c.Sel != nil {
		return c.Sel
	}
	b := (*buf)[:0]
	for i := 0; i < c.N; i++ {
		b = append(b, i)
	}
	*buf = b
	return b
}

// gather copies src rows into dst starting at dst row off (dst must be long
// enough). Bytes are copied into a when a is non-nil.
func gather(dst *exec.Vec, off int, src *exec.Vec, rows []int, a *arena) {
	hasNulls := src.Nulls.MaybeNulls
	if dst.Nulls.MaybeNulls {
		for k := range rows {
			dst.Nulls.UnsetNull(off + k)
		}
	}
	switch dst.Typ.Family.Physical() {
	case types.PhysBool:
		d, s := dst.Bool[off:off+len(rows)], src.Bool
		for k, r := range rows {
			d[k] = s[r]
		}
	case types.PhysInt:
		d, s := dst.Int[off:off+len(rows)], src.Int
		for k, r := range rows {
			d[k] = s[r]
		}
	case types.PhysFloat:
		d, s := dst.Float[off:off+len(rows)], src.Float
		for k, r := range rows {
			d[k] = s[r]
		}
	case types.PhysDecimal:
		d, s := dst.Dec[off:off+len(rows)], src.Dec
		for k, r := range rows {
			if hasNulls && src.Nulls.IsNull(r) {
				continue
			}
			d[k].Set(&s[r])
		}
	case types.PhysBytes:
		d, s := dst.Bytes[off:off+len(rows)], src.Bytes
		if a != nil {
			for k, r := range rows {
				if hasNulls && src.Nulls.IsNull(r) {
					d[k] = nil
					continue
				}
				d[k] = a.copy(s[r])
			}
		} else {
			for k, r := range rows {
				d[k] = s[r]
			}
		}
	case types.PhysInterval:
		d, s := dst.Iv[off:off+len(rows)], src.Iv
		for k, r := range rows {
			d[k] = s[r]
		}
	case types.PhysNone:
		for k := range rows {
			dst.Nulls.SetNull(off + k)
		}
		return
	}
	if hasNulls {
		for k, r := range rows {
			if src.Nulls.IsNull(r) {
				dst.Nulls.SetNull(off + k)
			}
		}
	}
}

// setNulls marks rows [from, to) of v NULL.
func setNulls(v *exec.Vec, from, to int) {
	for i := from; i < to; i++ {
		v.Nulls.SetNull(i)
	}
}

// ---- hashing ----

var hashSeed = maphash.MakeSeed()

const nullHash = 0x9e3779b97f4a7c15

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashVec folds the hash of rows of v into h (h[k] belongs to rows[k]).
// v must have no NULLs (rowHashes handles those).
func hashVec(v *exec.Vec, rows []int, h []uint64) {
	hasNulls := v.Nulls.MaybeNulls
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		s := v.Bool
		for k, r := range rows {
			x := uint64(0)
			if s[r] {
				x = 1
			}
			h[k] = mix64(h[k]*31 + x + 7)
		}
	case types.PhysInt:
		s := v.Int
		for k, r := range rows {
			h[k] = mix64(h[k]*31 + uint64(s[r]))
		}
	case types.PhysFloat:
		s := v.Float
		for k, r := range rows {
			h[k] = mix64(h[k]*31 + floatKey(s[r]))
		}
	case types.PhysDecimal:
		s := v.Dec
		for k, r := range rows {
			if hasNulls && v.Nulls.IsNull(r) {
				continue
			}
			h[k] = mix64(h[k]*31 + hashDecimal(&s[r]))
		}
	case types.PhysBytes:
		s := v.Bytes
		for k, r := range rows {
			h[k] = mix64(h[k]*31 + maphash.Bytes(hashSeed, s[r]))
		}
	case types.PhysInterval:
		s := v.Iv
		for k, r := range rows {
			d, us := ivSpan(s[r])
			h[k] = mix64(h[k]*31 + uint64(d)*0x100000001b3 + uint64(us))
		}
	case types.PhysNone:
		for k := range rows {
			h[k] = mix64(h[k]*31 + nullHash)
		}
		return
	}
}

// rowHashes returns the combined hash of the key columns cols for each row.
func rowHashes(c *exec.Chunk, cols []int, rows []int, h []uint64) []uint64 {
	h = h[:0]
	for range rows {
		h = append(h, 0)
	}
	for _, ci := range cols {
		v := c.Cols[ci]
		if !v.Nulls.MaybeNulls {
			hashVec(v, rows, h)
			continue
		}
		// Split NULL rows from the others.
		for k, r := range rows {
			if v.Nulls.IsNull(r) {
				h[k] = mix64(h[k]*31 + nullHash)
			} else {
				hashOne(v, r, &h[k])
			}
		}
	}
	return h
}

func hashOne(v *exec.Vec, r int, h *uint64) {
	var x uint64
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		if v.Bool[r] {
			x = 1
		}
		x += 7
	case types.PhysInt:
		x = uint64(v.Int[r])
	case types.PhysFloat:
		x = floatKey(v.Float[r])
	case types.PhysDecimal:
		x = hashDecimal(&v.Dec[r])
	case types.PhysBytes:
		x = maphash.Bytes(hashSeed, v.Bytes[r])
	case types.PhysInterval:
		d, us := ivSpan(v.Iv[r])
		x = uint64(d)*0x100000001b3 + uint64(us)
	default:
		x = nullHash
	}
	*h = mix64(*h*31 + x)
}

func floatKey(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

func hashDecimal(d *apd.Decimal) uint64 {
	if d.IsZero() {
		return 0
	}
	var r apd.Decimal
	r.Reduce(d)
	h := uint64(r.Exponent)*0x9e3779b1 + uint64(r.Form)
	if r.Negative {
		h ^= 0xabcdef
	}
	for _, w := range r.Coeff.Bits() {
		h = mix64(h*31 + uint64(w))
	}
	return h
}

const usPerDay = 86400_000_000

// ivSpan returns the interval as (days, micros within day), the total span
// PostgreSQL compares (a month counts 30 days).
func ivSpan(iv types.IntervalValue) (int64, int64) {
	d := int64(iv.Months)*30 + int64(iv.Days) + iv.Micros/usPerDay
	us := iv.Micros % usPerDay
	if us < 0 {
		us += usPerDay
		d--
	}
	return d, us
}

func cmpInterval(a, b types.IntervalValue) int {
	ad, au := ivSpan(a)
	bd, bu := ivSpan(b)
	if c := cmp.Compare(ad, bd); c != 0 {
		return c
	}
	return cmp.Compare(au, bu)
}

// cmpFloat orders floats as PostgreSQL: NaN above everything, NaN = NaN.
func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	if a == b {
		return 0
	}
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	default:
		return -1
	}
}

// cmpVals compares row i of a with row j of b, both non-NULL, same layout.
func cmpVals(a *exec.Vec, i int, b *exec.Vec, j int) int {
	switch a.Typ.Family.Physical() {
	case types.PhysBool:
		x, y := a.Bool[i], b.Bool[j]
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	case types.PhysInt:
		return cmp.Compare(a.Int[i], b.Int[j])
	case types.PhysFloat:
		return cmpFloat(a.Float[i], b.Float[j])
	case types.PhysDecimal:
		return a.Dec[i].Cmp(&b.Dec[j])
	case types.PhysBytes:
		return bytes.Compare(a.Bytes[i], b.Bytes[j])
	case types.PhysInterval:
		return cmpInterval(a.Iv[i], b.Iv[j])
	}
	return 0
}

// eqNotDistinct reports whether row i of a and row j of b are not distinct
// (NULLs equal each other).
func eqNotDistinct(a *exec.Vec, i int, b *exec.Vec, j int) bool {
	an, bn := a.Nulls.IsNull(i), b.Nulls.IsNull(j)
	if an || bn {
		return an && bn
	}
	switch a.Typ.Family.Physical() {
	case types.PhysInt:
		return a.Int[i] == b.Int[j]
	case types.PhysBytes:
		return bytes.Equal(a.Bytes[i], b.Bytes[j])
	case types.PhysNone:
		return true
	}
	return cmpVals(a, i, b, j) == 0
}

func addOverflows(a, b int64) bool {
	s := a + b
	return (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0)
}

var _ = bits.Add64

// pull returns in's next chunk, first failing with SQLSTATE 57014 when ctx
// is canceled; buffering operators use it so that long inputs can be
// interrupted.
func pull(ctx context.Context, in exec.Operator) (*exec.Chunk, error) {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return nil, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
	}
	return in.Next()
}
