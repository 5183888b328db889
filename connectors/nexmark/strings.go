package nexmark

import (
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

var (
	firstNames = []string{"peter", "paul", "luke", "john", "saul", "vicky", "kate", "julie", "sarah", "deiter", "walter"}
	lastNames  = []string{"shultz", "abrams", "spencer", "white", "bartels", "walton", "smith", "jones", "noris"}
	cities     = []string{"phoenix", "los angeles", "san francisco", "boise", "portland", "bend", "redmond", "seattle", "kent", "cheyenne"}
	states     = []string{"az", "ca", "id", "or", "wa", "wy"}
	hotChans   = []string{"Google", "Facebook", "Baidu", "Apple"}
)

const (
	lowerLetters = "abcdefghijklmnopqrstuvwxyz"
	// maxExtra bounds the average byte sizes (the extra padding is a window
	// of a shared random-letter buffer).
	maxExtra = 1 << 16
	// extraBufLen is the length of the shared padding buffer (1 MiB, as in
	// Flink-nexmark).
	extraBufLen = 1 << 20
)

// flinkAlphabet draws a space with probability 1/13, else a uniform
// lowercase letter (Flink-nexmark nextString).
var flinkAlphabet = strings.Repeat(" ", 26) + strings.Repeat(lowerLetters, 12)

// urlAlphabet draws '_' with probability 1/13, else a lowercase letter.
var urlAlphabet = strings.Repeat("_", 26) + strings.Repeat(lowerLetters, 12)

// vocab holds the per-style immutable strings that rows reference without
// copying.
type vocab struct {
	names  [][]byte // len(firstNames)*len(lastNames), "first last"
	cities [][]byte
	states [][]byte
}

func capitalize(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}

var (
	vocabOnce sync.Once
	vocabs    [2]vocab
)

func getVocab(s Style) *vocab {
	vocabOnce.Do(func() {
		for st := range vocabs {
			v := &vocabs[st]
			f := func(x string) string { return x }
			up := f
			if Style(st) == StyleFlink {
				f, up = capitalize, strings.ToUpper
			}
			for _, a := range firstNames {
				for _, b := range lastNames {
					v.names = append(v.names, []byte(f(a)+" "+f(b)))
				}
			}
			for _, c := range cities {
				v.cities = append(v.cities, []byte(f(c)))
			}
			for _, x := range states {
				v.states = append(v.states, []byte(up(x)))
			}
		}
	})
	if s > StyleRisingWave {
		s = StyleFlink
	}
	return &vocabs[s]
}

// channels holds the bid channel table (SPEC §7.4), derived
// deterministically: hot URL i and channel c's URL come from streams seeded
// with i and c.
type channels struct {
	hotName, hotURL [4][]byte
	name, url       [NumChannels][]byte
}

const (
	saltEvent   = 0
	saltHotURL  = 0x51ED2701
	saltChanURL = 0x7A11CE55
	saltChanID  = 0x3C0FFEE5
	saltExtra   = 0xE7E7A
)

func baseURL(r *rng) string {
	var b strings.Builder
	b.WriteString("https://www.nexmark.com/")
	for i := 0; i < 3; i++ {
		var d [4]byte
		n := 3 + r.intn(2)
		r.fill(d[:n], urlAlphabet)
		b.Write(d[:n])
		b.WriteByte('/')
	}
	b.WriteString("item.htm?query=1")
	return b.String()
}

var (
	chanOnce sync.Once
	chanTab  *channels
	extraBuf []byte
)

func getChannels() *channels {
	chanOnce.Do(func() {
		t := new(channels)
		for i := range t.hotName {
			r := newRng(uint64(i), saltHotURL)
			t.hotName[i] = []byte(hotChans[i])
			t.hotURL[i] = []byte(baseURL(&r))
		}
		for c := range t.name {
			r := newRng(uint64(c), saltChanURL)
			u := baseURL(&r)
			r2 := newRng(uint64(c), saltChanID)
			if r2.intn(10) > 0 {
				// abs(int32 bit reverse), widened first (nexmark-rs).
				rev := int64(int32(bits.Reverse32(uint32(c))))
				if rev < 0 {
					rev = -rev
				}
				u += "&channel_id=" + strconv.FormatInt(rev, 10)
			}
			t.name[c] = []byte("channel-" + strconv.Itoa(c))
			t.url[c] = []byte(u)
		}
		chanTab = t
		extraBuf = make([]byte, extraBufLen)
		r := newRng(0, saltExtra)
		r.fill(extraBuf, lowerLetters)
	})
	return chanTab
}

// extra returns the padding for a row whose nominal size is cur (SPEC §7.3),
// as a window of the shared letter buffer (Flink-nexmark's approach).
func extra(r *rng, cur, avg int) []byte {
	if cur > avg {
		return extraBuf[:0:0]
	}
	d := avg - cur
	delta := (d + 2) / 5
	size := d - delta
	if delta > 0 {
		size += int(r.intn(uint64(2 * delta)))
	}
	off := int(r.intn(uint64(extraBufLen - size)))
	return extraBuf[off : off+size : off+size]
}
