package exec

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// Nulls is a null bitmap. A nil Nulls (or one with no bits set and
// MaybeNulls false) means "no NULLs", so the common case costs nothing.
type Nulls struct {
	bits       []uint64
	MaybeNulls bool
}

// IsNull reports whether row i is NULL.
func (n *Nulls) IsNull(i int) bool {
	if !n.MaybeNulls {
		return false
	}
	w := i >> 6
	return w < len(n.bits) && n.bits[w]&(1<<(uint(i)&63)) != 0
}

// SetNull marks row i NULL.
func (n *Nulls) SetNull(i int) {
	w := i >> 6
	for len(n.bits) <= w {
		n.bits = append(n.bits, 0)
	}
	n.bits[w] |= 1 << (uint(i) & 63)
	n.MaybeNulls = true
}

// UnsetNull marks row i not NULL.
func (n *Nulls) UnsetNull(i int) {
	w := i >> 6
	if w < len(n.bits) {
		n.bits[w] &^= 1 << (uint(i) & 63)
	}
}

// Reset clears every bit.
func (n *Nulls) Reset() {
	for i := range n.bits {
		n.bits[i] = 0
	}
	n.MaybeNulls = false
}

// Vec is one column of a chunk: a typed slice chosen by the type's physical
// layout (types.Family.Physical) plus a null bitmap. Exactly one of the
// slices is in use; its length is the vector's length. The value slot of a
// NULL row is unspecified (but always valid to read).
type Vec struct {
	Typ   types.T
	Nulls Nulls
	Bool  []bool
	Int   []int64
	Float []float64
	Dec   []apd.Decimal
	Bytes [][]byte
	Iv    []types.IntervalValue
	// n is the length, kept separately for PhysNone vectors (all NULL).
	n int
}

// NewVec returns a vector of type t with length n (all values zero, not NULL).
func NewVec(t types.T, n int) *Vec {
	v := &Vec{Typ: t}
	v.Resize(n)
	return v
}

// Len returns the number of rows.
func (v *Vec) Len() int { return v.n }

// Resize sets the length to n, keeping existing values and clearing the null
// bits of new rows.
func (v *Vec) Resize(n int) {
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		v.Bool = growTo(v.Bool, n)
	case types.PhysInt:
		v.Int = growTo(v.Int, n)
	case types.PhysFloat:
		v.Float = growTo(v.Float, n)
	case types.PhysDecimal:
		v.Dec = growTo(v.Dec, n)
	case types.PhysBytes:
		v.Bytes = growTo(v.Bytes, n)
	case types.PhysInterval:
		v.Iv = growTo(v.Iv, n)
	case types.PhysNone:
		for i := v.n; i < n; i++ {
			v.Nulls.SetNull(i)
		}
	}
	if v.Nulls.MaybeNulls && v.Typ.Family.Physical() != types.PhysNone {
		for i := v.n; i < n; i++ {
			v.Nulls.UnsetNull(i)
		}
	}
	v.n = n
}

func growTo[E any](s []E, n int) []E {
	if cap(s) >= n {
		old := len(s)
		s = s[:n]
		var zero E
		for i := old; i < n; i++ {
			s[i] = zero
		}
		return s
	}
	ns := make([]E, n, max(n, 2*cap(s)))
	copy(ns, s)
	return ns
}

// Reset empties the vector, keeping its capacity.
func (v *Vec) Reset() {
	v.Nulls.Reset()
	v.Bool = v.Bool[:0]
	v.Int = v.Int[:0]
	v.Float = v.Float[:0]
	v.Dec = v.Dec[:0]
	v.Bytes = v.Bytes[:0]
	v.Iv = v.Iv[:0]
	v.n = 0
}

// Get returns row i as a Datum. Bytes are not copied.
func (v *Vec) Get(i int) types.Datum {
	if v.Nulls.IsNull(i) {
		return types.Null
	}
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		return types.Datum{B: v.Bool[i]}
	case types.PhysInt:
		return types.Datum{I: v.Int[i]}
	case types.PhysFloat:
		return types.Datum{F: v.Float[i]}
	case types.PhysDecimal:
		var d types.Datum
		d.D.Set(&v.Dec[i])
		return d
	case types.PhysBytes:
		return types.Datum{S: v.Bytes[i]}
	case types.PhysInterval:
		return types.Datum{Iv: v.Iv[i]}
	}
	return types.Null
}

// Set stores d at row i (which must be < Len). Bytes are not copied.
func (v *Vec) Set(i int, d types.Datum) {
	if d.Null {
		v.Nulls.SetNull(i)
		return
	}
	v.Nulls.UnsetNull(i)
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		v.Bool[i] = d.B
	case types.PhysInt:
		v.Int[i] = d.I
	case types.PhysFloat:
		v.Float[i] = d.F
	case types.PhysDecimal:
		v.Dec[i].Set(&d.D)
	case types.PhysBytes:
		v.Bytes[i] = d.S
	case types.PhysInterval:
		v.Iv[i] = d.Iv
	}
}

// Append adds d as a new last row.
func (v *Vec) Append(d types.Datum) {
	n := v.n
	v.Resize(n + 1)
	v.Set(n, d)
}

// CopyRow copies row i of src into row j of v (same physical layout).
func (v *Vec) CopyRow(j int, src *Vec, i int) {
	if src.Nulls.IsNull(i) {
		v.Nulls.SetNull(j)
		return
	}
	v.Nulls.UnsetNull(j)
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		v.Bool[j] = src.Bool[i]
	case types.PhysInt:
		v.Int[j] = src.Int[i]
	case types.PhysFloat:
		v.Float[j] = src.Float[i]
	case types.PhysDecimal:
		v.Dec[j].Set(&src.Dec[i])
	case types.PhysBytes:
		v.Bytes[j] = src.Bytes[i]
	case types.PhysInterval:
		v.Iv[j] = src.Iv[i]
	}
}

// Slice returns a vector that shares v's storage and has the first n rows.
func (v *Vec) Slice(n int) *Vec {
	s := &Vec{Typ: v.Typ, Nulls: v.Nulls, n: n}
	switch v.Typ.Family.Physical() {
	case types.PhysBool:
		s.Bool = v.Bool[:n]
	case types.PhysInt:
		s.Int = v.Int[:n]
	case types.PhysFloat:
		s.Float = v.Float[:n]
	case types.PhysDecimal:
		s.Dec = v.Dec[:n]
	case types.PhysBytes:
		s.Bytes = v.Bytes[:n]
	case types.PhysInterval:
		s.Iv = v.Iv[:n]
	}
	return s
}
