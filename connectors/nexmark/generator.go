package nexmark

import (
	"math/bits"
	"sort"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Schema returns the column names and types of table t, as the person,
// auction and bid views of QUERIES.md §0 declare them (RisingWave spelling;
// timestamps are TIMESTAMP without time zone).
func Schema(t Table) (names []string, ts []types.T) {
	I, S, TS := types.TInt8, types.TText, types.TTimestamp
	switch t {
	case Person:
		return []string{"id", "name", "email_address", "credit_card", "city", "state", "date_time", "extra"},
			[]types.T{I, S, S, S, S, S, TS, S}
	case Auction:
		return []string{"id", "item_name", "description", "initial_bid", "reserve", "date_time", "expires", "seller", "category", "extra"},
			[]types.T{I, S, S, I, I, TS, TS, I, I, S}
	default:
		return []string{"auction", "bidder", "price", "channel", "url", "date_time", "extra"},
			[]types.T{I, I, I, S, S, TS, S}
	}
}

// Clock is the time source used for pacing; tests inject a fake one.
type Clock interface {
	Now() time.Time
	Sleep(time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// MaxSleep bounds a single pacing sleep inside Next: when the next row is
// due later than that, Next returns 0 rows (not done) so that the caller can
// handle barriers in the meantime.
const MaxSleep = 100 * time.Millisecond

// Generator produces the rows of one table for one reader, in columnar
// chunks. It is not safe for concurrent use; give each reader its own.
type Generator struct {
	g              *gen
	table          Table
	split, splits  uint64
	lo, cnt        uint64 // residues [lo, lo+cnt) of the period belong to table
	c0             uint64 // table events with id < FirstEventID
	grp            uint64 // out-of-order group size
	total          uint64 // table rows in the bounded stream (in-order case)
	bounded        bool
	k              uint64 // next table index of this reader
	pos            uint64 // stream position of row k (out-of-order case only)
	clock          Clock
	paceStart      time.Time
	pacePos        uint64 // stream position at paceStart
	paced, started bool
}

// NewGenerator returns the generator of table t for reader split of splits
// (0 <= split < splits): it produces the table rows whose index i (the i-th
// event of that kind in the global stream) satisfies i % splits == split, in
// increasing i. cfg's zero fields take their defaults; an invalid cfg
// panics (check it with Validate first).
func NewGenerator(cfg Config, t Table, split, splits int) *Generator {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if splits < 1 || split < 0 || split >= splits {
		panic("nexmark: bad split")
	}
	g := newGen(cfg)
	G := &Generator{g: g, table: t, split: uint64(split), splits: uint64(splits),
		grp: cfg.OutOfOrderGroupSize, clock: realClock{}, paced: cfg.EmitRate > 0}
	switch t {
	case Person:
		G.lo, G.cnt = 0, g.p
	case Auction:
		G.lo, G.cnt = g.p, g.a
	default:
		G.lo, G.cnt = g.p+g.a, cfg.BidProportion
	}
	G.c0 = G.count(cfg.FirstEventID)
	if cfg.EventCount > 0 {
		G.bounded = true
		G.total = G.count(cfg.FirstEventID+cfg.EventCount) - G.c0
	}
	G.Seek(0)
	return G
}

// SetClock replaces the wall clock used for pacing (for tests).
func (G *Generator) SetClock(c Clock) { G.clock = c; G.started = false }

// count returns the number of table events with id in [0, e).
func (G *Generator) count(e uint64) uint64 {
	t := G.g.t
	r := e % t
	var part uint64
	if r > G.lo {
		part = min(r-G.lo, G.cnt)
	}
	return e/t*G.cnt + part
}

// eidOf returns the event id of table index k in the in-order case.
func (G *Generator) eidOf(k uint64) uint64 {
	j := G.c0 + k
	return j/G.cnt*G.g.t + G.lo + j%G.cnt
}

// isMine reports whether stream position n holds an event of the table.
func (G *Generator) isMine(n uint64) bool {
	r := (G.g.cfg.FirstEventID + adjust(n, G.grp)) % G.g.t
	return r >= G.lo && r < G.lo+G.cnt
}

// locate returns the stream position of table index k (out-of-order case):
// groups are permutations of their event numbers, so whole groups are
// counted in closed form and the last one is scanned.
func (G *Generator) locate(k uint64) uint64 {
	F, grp := G.g.cfg.FirstEventID, G.grp
	before := func(q uint64) uint64 { return G.count(F+q*grp) - G.c0 } // table events in groups < q
	// Largest q with before(q) <= k.
	hiQ := (k/G.cnt+1)*G.g.t/grp + 2
	q := uint64(sort.Search(int(min(hiQ, 1<<62)), func(i int) bool { return before(uint64(i)) > k })) - 1
	seen := before(q)
	for n := q * grp; ; n++ {
		if G.isMine(n) {
			if seen == k {
				return n
			}
			seen++
		}
	}
}

// Position returns the position in the combined event stream of the next
// row this reader will produce (or the stream's end when done): readers of
// different tables of one stream compare positions to keep their event
// times close (see the engine's source alignment).
func (G *Generator) Position() uint64 {
	if G.Done() {
		return G.g.cfg.EventCount
	}
	n, _ := G.position()
	return n
}

// Offset returns the resume position: the table index of the next row this
// reader will produce. Store it in a checkpoint and pass it to Seek.
func (G *Generator) Offset() uint64 { return G.k }

// Seek makes the next row the one with table index offset, rounded up to the
// next index that belongs to this reader.
func (G *Generator) Seek(offset uint64) {
	if r := offset % G.splits; r != G.split {
		offset += (G.split + G.splits - r) % G.splits
	}
	G.k = offset
	if G.grp > 1 {
		G.pos = G.locate(offset)
	}
	G.started = false
}

// position returns the stream position and event id of table index k.
func (G *Generator) position() (n, eid uint64) {
	if G.grp > 1 {
		return G.pos, G.g.cfg.FirstEventID + adjust(G.pos, G.grp)
	}
	eid = G.eidOf(G.k)
	return eid - G.g.cfg.FirstEventID, eid
}

// advance moves to the reader's next table index.
func (G *Generator) advance() {
	G.k += G.splits
	if G.grp > 1 {
		for left := G.splits; left > 0; {
			G.pos++
			if G.isMine(G.pos) {
				left--
			}
		}
	}
}

// Done reports whether the reader has produced all its rows.
func (G *Generator) Done() bool {
	if G.cnt == 0 {
		return true // the table has proportion 0
	}
	if !G.bounded {
		return false
	}
	if G.grp > 1 {
		n, _ := G.position()
		return n >= G.g.cfg.EventCount
	}
	return G.k >= G.total
}

// allowed returns the first stream position not yet due under pacing.
func (G *Generator) allowed(now time.Time) uint64 {
	el := now.Sub(G.paceStart)
	if el < 0 {
		el = 0
	}
	hi, lo := bits.Mul64(uint64(el), G.g.cfg.EmitRate)
	if hi >= 1e9 {
		return ^uint64(0)
	}
	due, _ := bits.Div64(hi, lo, 1e9)
	return G.pacePos + due + 1
}

// dueTime is the wall time at which stream position n is due.
func (G *Generator) dueTime(n uint64) time.Time {
	d := n - G.pacePos
	hi, lo := bits.Mul64(d, 1e9)
	if hi >= G.g.cfg.EmitRate {
		return G.paceStart.Add(1 << 62)
	}
	ns, _ := bits.Div64(hi, lo, G.g.cfg.EmitRate)
	return G.paceStart.Add(time.Duration(ns))
}

// Next appends up to exec.DefaultChunkSize rows of the table to c, which
// must be empty (reset by the caller) and typed per Schema. It returns the
// number of rows and whether the reader is exhausted. Under pacing
// (Config.EmitRate) it sleeps until rows are due, at most MaxSleep per call,
// and may return 0 rows without being done. String values point into
// memory owned by the chunk's rows (a fresh arena per call) or into shared
// immutable tables; they must not be modified.
func (G *Generator) Next(c *exec.Chunk) (n int, done bool) {
	if G.Done() {
		return 0, true
	}
	limit := exec.DefaultChunkSize
	if G.bounded && G.grp <= 1 {
		left := (G.total - G.k + G.splits - 1) / G.splits
		limit = int(min(uint64(limit), left))
	}
	stop := ^uint64(0)
	if G.paced {
		if !G.started {
			G.started = true
			G.paceStart = G.clock.Now()
			G.pacePos, _ = G.position()
		}
		pos, _ := G.position()
		now := G.clock.Now()
		stop = G.allowed(now)
		if pos >= stop {
			wait := G.dueTime(pos).Sub(now)
			G.clock.Sleep(min(wait, MaxSleep))
			if stop = G.allowed(G.clock.Now()); pos >= stop {
				return 0, false
			}
		}
	}
	c.SetLen(limit)
	switch G.table {
	case Person:
		n = G.fillPersons(c, limit, stop)
	case Auction:
		n = G.fillAuctions(c, limit, stop)
	default:
		n = G.fillBids(c, limit, stop)
	}
	if n < limit {
		c.SetLen(n)
	}
	c.N = n
	return n, G.Done()
}

func (G *Generator) more(stop uint64) (n, eid uint64, ok bool) {
	n, eid = G.position()
	if n >= stop || (G.bounded && n >= G.g.cfg.EventCount) {
		return 0, 0, false
	}
	return n, eid, true
}

const us = 1000 // µs per ms

func (G *Generator) fillPersons(c *exec.Chunk, limit int, stop uint64) int {
	id, name, email, cc, city, state, ts, ex := c.Cols[0].Int, c.Cols[1].Bytes, c.Cols[2].Bytes,
		c.Cols[3].Bytes, c.Cols[4].Bytes, c.Cols[5].Bytes, c.Cols[6].Int, c.Cols[7].Bytes
	buf := make([]byte, 0, limit*48)
	i := 0
	for ; i < limit; i++ {
		n, eid, ok := G.more(stop)
		if !ok {
			break
		}
		var p personRow
		buf, p = G.g.person(eid, adjust(n, G.grp), buf)
		id[i], name[i], email[i], cc[i], city[i], state[i], ts[i], ex[i] =
			p.id, p.name, p.email, p.cc, p.city, p.state, p.ts*us, p.extra
		G.advance()
	}
	return i
}

func (G *Generator) fillAuctions(c *exec.Chunk, limit int, stop uint64) int {
	id, item, desc, ib, res, ts, exp, sel, cat, ex := c.Cols[0].Int, c.Cols[1].Bytes, c.Cols[2].Bytes,
		c.Cols[3].Int, c.Cols[4].Int, c.Cols[5].Int, c.Cols[6].Int, c.Cols[7].Int, c.Cols[8].Int, c.Cols[9].Bytes
	buf := make([]byte, 0, limit*130)
	i := 0
	for ; i < limit; i++ {
		n, eid, ok := G.more(stop)
		if !ok {
			break
		}
		var a auctionRow
		buf, a = G.g.auction(eid, adjust(n, G.grp), buf)
		id[i], item[i], desc[i], ib[i], res[i], ts[i], exp[i], sel[i], cat[i], ex[i] =
			a.id, a.item, a.desc, a.initialBid, a.reserve, a.ts*us, a.expires*us, a.seller, a.category, a.extra
		G.advance()
	}
	return i
}

func (G *Generator) fillBids(c *exec.Chunk, limit int, stop uint64) int {
	auc, bidder, price, ch, url, ts, ex := c.Cols[0].Int, c.Cols[1].Int, c.Cols[2].Int,
		c.Cols[3].Bytes, c.Cols[4].Bytes, c.Cols[5].Int, c.Cols[6].Bytes
	i := 0
	for ; i < limit; i++ {
		n, eid, ok := G.more(stop)
		if !ok {
			break
		}
		b := G.g.bid(eid, adjust(n, G.grp))
		auc[i], bidder[i], price[i], ch[i], url[i], ts[i], ex[i] =
			b.auction, b.bidder, b.price, b.channel, b.url, b.ts*us, b.extra
		G.advance()
	}
	return i
}
