package nexmark

import (
	"math"
	"math/bits"
)

// rng is a SplitMix64 stream. Each event gets its own stream seeded from its
// event id (SPEC §8), so an event's content is a pure function of
// (config, event id).
type rng struct{ s uint64 }

const golden = 0x9E3779B97F4A7C15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// newRng returns the stream of event eid (salted so that different uses of
// the same number, e.g. channel tables, do not share streams).
func newRng(eid, salt uint64) rng { return rng{s: mix64(eid*golden + salt)} }

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a uniform value in [0, n) (n > 0), by Lemire's multiply-high.
func (r *rng) intn(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// int63n is intn for a positive int64 bound.
func (r *rng) int63n(n int64) int64 { return int64(r.intn(uint64(n))) }

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * (1.0 / (1 << 53)) }

const ln10x6 = 6 * math.Ln10

// price is round(10^(u*6) * 100), log-uniform in [100, 10^8] cents (SPEC §6).
func (r *rng) price() int64 { return int64(math.Round(math.Exp(r.float()*ln10x6) * 100)) }

// fill writes len(dst) characters drawn uniformly from alphabet, extracting
// several characters from each 64-bit draw (multiply-shift "dice").
func (r *rng) fill(dst []byte, alphabet string) {
	n := uint64(len(alphabet))
	per := 64 / bits.Len64(n) // characters per 64-bit draw
	x, left := uint64(0), 0
	for i := range dst {
		if left == 0 {
			x, left = r.next(), per
		}
		var hi uint64
		hi, x = bits.Mul64(x, n)
		dst[i] = alphabet[hi]
		left--
	}
}
