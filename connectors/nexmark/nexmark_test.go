package nexmark

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// drain runs a generator to completion and returns each row as a string.
func drain(t testing.TB, g *Generator, tab Table) []string {
	_, ts := Schema(tab)
	c := exec.NewChunk(ts)
	var out []string
	for {
		c.Reset()
		n, done := g.Next(c)
		if n != c.N {
			t.Fatalf("n=%d but c.N=%d", n, c.N)
		}
		for r := 0; r < n; r++ {
			out = append(out, rowString(c, r))
		}
		if done {
			return out
		}
		if n == 0 {
			t.Fatal("unpaced generator returned 0 rows without being done")
		}
	}
}

func rowString(c *exec.Chunk, r int) string {
	var b strings.Builder
	for i, v := range c.Cols {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(types.FormatDatum(v.Typ, v.Get(r)))
	}
	return b.String()
}

func tsString(us int64) string {
	return types.FormatDatum(types.TTimestamp, types.NewInt(us))
}

func eventString(e Event) string {
	switch e.Type {
	case Person:
		p := e.Person
		return fmt.Sprintf("%d|%s|%s|%s|%s|%s|%s|%s", p.ID, p.Name, p.EmailAddress, p.CreditCard, p.City, p.State, tsString(p.DateTime), p.Extra)
	case Auction:
		a := e.Auction
		return fmt.Sprintf("%d|%s|%s|%d|%d|%s|%s|%d|%d|%s", a.ID, a.ItemName, a.Description, a.InitialBid, a.Reserve,
			tsString(a.DateTime), tsString(a.Expires), a.Seller, a.Category, a.Extra)
	default:
		b := e.Bid
		return fmt.Sprintf("%d|%d|%d|%s|%s|%s|%s", b.Auction, b.Bidder, b.Price, b.Channel, b.URL, tsString(b.DateTime), b.Extra)
	}
}

var tables = []Table{Person, Auction, Bid}

// TestGeneratorMatchesGenEvent checks the columnar generator against the
// row-level reference, for both styles and a non-zero first event id.
func TestGeneratorMatchesGenEvent(t *testing.T) {
	for _, cfg := range []Config{
		{EventCount: 20000},
		{EventCount: 7777, FirstEventID: 17, Style: StyleRisingWave, Rate: 1000},
	} {
		want := map[Table][]string{}
		cfg.EnsureDefaults()
		for i := uint64(0); i < cfg.EventCount; i++ {
			e := GenEvent(&cfg, cfg.FirstEventID+i)
			want[e.Type] = append(want[e.Type], eventString(e))
		}
		for _, tab := range tables {
			got := drain(t, NewGenerator(cfg, tab, 0, 1), tab)
			if len(got) != len(want[tab]) {
				t.Fatalf("%v: %d rows, want %d", tab, len(got), len(want[tab]))
			}
			for i := range got {
				if got[i] != want[tab][i] {
					t.Fatalf("%v row %d:\n got %s\nwant %s", tab, i, got[i], want[tab][i])
				}
			}
		}
	}
}

// TestSplits checks that 2 and 4 readers partition exactly the rows of one
// reader (reader s has indices s, s+S, ...), with and without out-of-order
// groups.
func TestSplits(t *testing.T) {
	for _, grp := range []uint64{1, 50} {
		cfg := Config{EventCount: 12345, OutOfOrderGroupSize: grp}
		for _, tab := range tables {
			one := drain(t, NewGenerator(cfg, tab, 0, 1), tab)
			for _, S := range []int{2, 4} {
				parts := make([][]string, S)
				total := 0
				for s := 0; s < S; s++ {
					parts[s] = drain(t, NewGenerator(cfg, tab, s, S), tab)
					total += len(parts[s])
				}
				if total != len(one) {
					t.Fatalf("grp %d %v splits %d: %d rows, want %d", grp, tab, S, total, len(one))
				}
				for i := range one {
					if got := parts[i%S][i/S]; got != one[i] {
						t.Fatalf("grp %d %v splits %d row %d differs", grp, tab, S, i)
					}
				}
			}
		}
	}
}

// TestOutOfOrderSameEvents checks that out-of-order groups only reorder:
// each table has the same multiset of rows as the in-order stream when the
// count is a multiple of the group size.
func TestOutOfOrderSameEvents(t *testing.T) {
	for _, tab := range tables {
		a := drain(t, NewGenerator(Config{EventCount: 5000}, tab, 0, 1), tab)
		b := drain(t, NewGenerator(Config{EventCount: 5000, OutOfOrderGroupSize: 100}, tab, 0, 1), tab)
		if len(a) != len(b) {
			t.Fatalf("%v: %d vs %d rows", tab, len(a), len(b))
		}
		same := true
		for i := range a {
			same = same && a[i] == b[i]
		}
		if same && tab == Bid {
			t.Fatalf("%v: out-of-order stream is in order", tab)
		}
		sort.Strings(a)
		sort.Strings(b)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%v: different rows", tab)
			}
		}
	}
}

func TestProportionsAndIDs(t *testing.T) {
	cfg := Config{EventCount: 50_000}
	counts := map[Table]int{}
	for _, tab := range tables {
		g := NewGenerator(cfg, tab, 0, 1)
		_, ts := Schema(tab)
		c := exec.NewChunk(ts)
		want := int64(1000)
		for {
			c.Reset()
			n, done := g.Next(c)
			for r := 0; r < n; r++ {
				if tab != Bid {
					if id := c.Cols[0].Int[r]; id != want {
						t.Fatalf("%v id %d, want %d", tab, id, want)
					}
					want++
				}
			}
			counts[tab] += n
			if done {
				break
			}
		}
	}
	if counts[Person] != 1000 || counts[Auction] != 3000 || counts[Bid] != 46000 {
		t.Fatalf("counts %v, want 1000/3000/46000", counts)
	}
	// Every block of 50 has 1/3/46.
	d := cfg
	d.EnsureDefaults()
	for blk := uint64(0); blk < 40; blk++ {
		var k [3]int
		for i := uint64(0); i < 50; i++ {
			k[GenEvent(&d, blk*50+i).Type]++
		}
		if k != [3]int{1, 3, 46} {
			t.Fatalf("block %d: %v", blk, k)
		}
	}
	// A table with proportion 0 is empty, bounded or not.
	for _, n := range []uint64{0, 100} {
		nb := Config{EventCount: n, PersonProportion: 1, AuctionProportion: 1}
		if got := len(drain(t, NewGenerator(nb, Bid, 0, 1), Bid)); got != 0 {
			t.Fatalf("bids with proportion 0: %d", got)
		}
	}
	// Custom proportions.
	c2 := Config{EventCount: 1000, PersonProportion: 2, AuctionProportion: 2, BidProportion: 6}
	for tab, want := range map[Table]int{Person: 200, Auction: 200, Bid: 600} {
		if got := len(drain(t, NewGenerator(c2, tab, 0, 1), tab)); got != want {
			t.Fatalf("%v: %d rows, want %d", tab, got, want)
		}
	}
}

func TestSpecExamples(t *testing.T) {
	cfg := Config{}
	cfg.EnsureDefaults()
	base := int64(DefaultBaseTime) * 1000
	cases := []struct {
		eid  uint64
		typ  Table
		id   int64
		tsMs int64
	}{{0, Person, 1000, 0}, {1, Auction, 1000, 0}, {3, Auction, 1002, 0}, {49, Bid, 0, 5},
		{50, Person, 1001, 5}, {51, Auction, 1003, 5}, {53, Auction, 1005, 5}, {10_000, Person, 1200, 1000}}
	for _, c := range cases {
		e := GenEvent(&cfg, c.eid)
		if e.Type != c.typ {
			t.Fatalf("event %d: type %v, want %v", c.eid, e.Type, c.typ)
		}
		var id, ts int64
		switch e.Type {
		case Person:
			id, ts = e.Person.ID, e.Person.DateTime
		case Auction:
			id, ts = e.Auction.ID, e.Auction.DateTime
		default:
			id, ts = 0, e.Bid.DateTime
		}
		if id != c.id || ts != base+c.tsMs*1000 {
			t.Fatalf("event %d: id %d ts %d, want %d %d", c.eid, id, ts-base, c.id, c.tsMs*1000)
		}
	}
	// The first emitted person under Flink casing looks right.
	p := GenEvent(&cfg, 0).Person
	if !regexp.MustCompile(`^[A-Z][a-z]+ [A-Z][a-z]+$`).MatchString(p.Name) ||
		!regexp.MustCompile(`^[A-Z]{2}$`).MatchString(p.State) {
		t.Fatalf("flink casing: %+v", p)
	}
	rw := Config{Style: StyleRisingWave}
	p = GenEvent(&rw, 0).Person
	if !regexp.MustCompile(`^[a-z]+ [a-z]+$`).MatchString(p.Name) || !regexp.MustCompile(`^[a-z]{7}@[a-z]{5}\.com$`).MatchString(p.EmailAddress) {
		t.Fatalf("risingwave style: %+v", p)
	}
}

// TestInvariants checks field ranges and the skew statistics of SPEC §13.
func TestInvariants(t *testing.T) {
	cfg := Config{EventCount: 500_000}
	cfg.EnsureDefaults()
	g := newGen(cfg)
	ccRe := regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`)
	// Flink-style parts are trimmed and can rarely be empty.
	emailRe := regexp.MustCompile(`^([a-z]([a-z ]*[a-z])?)?@([a-z]([a-z ]*[a-z])?)?\.com$`)
	urlRe := regexp.MustCompile(`^https://www\.nexmark\.com/[a-z_]{3,4}/[a-z_]{3,4}/[a-z_]{3,4}/item\.htm\?query=1(&channel_id=\d+)?$`)
	var persons, auctions, bids, hotSeller, hotAuction, hotBidder, hotChan, nonHotWithID, futureAuction int
	var prices []int64
	var cats [5]int
	var lenSum, horizonSum float64
	for eid := uint64(0); eid < cfg.EventCount; eid++ {
		e := g.event(eid)
		lp, la := g.lastPerson(eid), g.lastAuction(eid)
		switch e.Type {
		case Person:
			persons++
			p := e.Person
			if !ccRe.MatchString(p.CreditCard) || !emailRe.MatchString(p.EmailAddress) || len(p.Extra) > 200 {
				t.Fatalf("bad person %+v", p)
			}
		case Auction:
			auctions++
			a := e.Auction
			if a.InitialBid < 100 || a.Reserve <= a.InitialBid || a.Reserve > 2e8 {
				t.Fatalf("bad prices %+v", a)
			}
			l := (a.Expires - a.DateTime) / 1000
			horizon := (g.tsMs(eid+g.eventsForAuctions) - g.tsMs(eid))
			if l < 1 || l > 2*horizon {
				t.Fatalf("auction length %d ms outside [1, %d]", l, 2*horizon)
			}
			lenSum += float64(l)
			horizonSum += float64(horizon)
			if a.Seller == lp/100*100+1000 {
				hotSeller++
			}
			if a.Seller < 1000 || a.Seller > lp+1000+PersonIDLead {
				t.Fatalf("seller %d out of range (last person %d)", a.Seller, lp)
			}
			if a.Category < 10 || a.Category > 14 || len(a.ItemName) > 19 || len(a.Description) > 99 {
				t.Fatalf("bad auction %+v", a)
			}
			cats[a.Category-10]++
		case Bid:
			bids++
			b := e.Bid
			if b.Price < 100 || b.Price > 1e8 {
				t.Fatalf("price %d", b.Price)
			}
			prices = append(prices, b.Price)
			if b.Auction < 1000 || b.Auction > la+1000+AuctionIDLead {
				t.Fatalf("bid auction %d out of range (last %d)", b.Auction, la)
			}
			if b.Auction > la+1000 {
				futureAuction++
			}
			if b.Auction == la/100*100+1000 {
				hotAuction++
			}
			if b.Bidder == lp/100*100+1001 {
				hotBidder++
			}
			if !urlRe.MatchString(b.URL) {
				t.Fatalf("bad url %q", b.URL)
			}
			switch b.Channel {
			case "Google", "Facebook", "Baidu", "Apple":
				hotChan++
			default:
				if !strings.HasPrefix(b.Channel, "channel-") {
					t.Fatalf("bad channel %q", b.Channel)
				}
				if strings.Contains(b.URL, "channel_id=") {
					nonHotWithID++
				}
			}
			if n := len(b.Extra); n < 54 || n > 81 {
				t.Fatalf("bid extra length %d", n)
			}
		}
	}
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
		}
	}
	near("hot seller share", float64(hotSeller)/float64(auctions), 0.75, 0.02)
	near("hot auction share", float64(hotAuction)/float64(bids), 0.5, 0.02)
	near("hot bidder share", float64(hotBidder)/float64(bids), 0.75, 0.02)
	near("hot channel share", float64(hotChan)/float64(bids), 0.5, 0.02)
	near("channel_id share of non-hot", float64(nonHotWithID)/float64(bids-hotChan), 0.9, 0.02)
	near("future auction share", float64(futureAuction)/float64(bids), 0.045, 0.015)
	near("mean auction length / horizon", lenSum/horizonSum, 1, 0.05)
	for i, c := range cats {
		near(fmt.Sprint("category ", 10+i), float64(c)/float64(auctions), 0.2, 0.02)
	}
	sort.Slice(prices, func(i, j int) bool { return prices[i] < prices[j] })
	med := float64(prices[len(prices)/2])
	near("log10 median price", math.Log10(med), 5, 0.05)
}

func TestTimestampsMonotoneAndRate(t *testing.T) {
	cfg := Config{EventCount: 100_000, Rate: 3333, BaseTime: 1_700_000_000_000}
	for _, tab := range tables {
		for s := 0; s < 3; s++ {
			g := NewGenerator(cfg, tab, s, 3)
			_, ts := Schema(tab)
			c := exec.NewChunk(ts)
			col := 5
			if tab == Person {
				col = 6
			}
			last := int64(math.MinInt64)
			for {
				c.Reset()
				n, done := g.Next(c)
				for r := 0; r < n; r++ {
					v := c.Cols[col].Int[r]
					if v < last {
						t.Fatalf("%v split %d: timestamps decrease", tab, s)
					}
					last = v
				}
				if done {
					break
				}
			}
			// The last event number is ~100k: ~30 s of event time at 3333/s.
			if want := int64(1_700_000_000_000+30_000) * 1000; last > want+10_000 || last < want-1000_000 {
				t.Fatalf("%v: last ts %d, want about %d", tab, last, want)
			}
		}
	}
	// Exact formula: event n at base + round(n*1000/rate).
	cfg.EnsureDefaults()
	for _, n := range []uint64{0, 1, 2, 3, 4, 99_999} {
		e := GenEvent(&cfg, n)
		var ts int64
		switch e.Type {
		case Person:
			ts = e.Person.DateTime
		case Auction:
			ts = e.Auction.DateTime
		default:
			ts = e.Bid.DateTime
		}
		want := (cfg.BaseTime + int64(math.Round(float64(n)*1000/3333))) * 1000
		if ts != want {
			t.Fatalf("event %d ts %d, want %d", n, ts, want)
		}
	}
}

func TestSeekResumes(t *testing.T) {
	for _, grp := range []uint64{1, 50} {
		cfg := Config{EventCount: 40_000, OutOfOrderGroupSize: grp}
		for _, tab := range tables {
			for _, S := range []int{1, 3} {
				for s := 0; s < S; s++ {
					all := drain(t, NewGenerator(cfg, tab, s, S), tab)
					g := NewGenerator(cfg, tab, s, S)
					_, ts := Schema(tab)
					c := exec.NewChunk(ts)
					g.Next(c)
					off := g.Offset()
					if off%uint64(S) != uint64(s) {
						t.Fatalf("offset %d not of split %d/%d", off, s, S)
					}
					h := NewGenerator(cfg, tab, s, S)
					h.Seek(off)
					rest := drain(t, h, tab)
					if len(rest)+c.N != len(all) || (len(rest) > 0 && (rest[0] != all[c.N] || rest[len(rest)-1] != all[len(all)-1])) {
						t.Fatalf("grp %d %v %d/%d: resume mismatch", grp, tab, s, S)
					}
					// Seeking to an index of another reader rounds up.
					h.Seek(off + 1)
					if S > 1 && h.Offset() != off+uint64(S) {
						t.Fatalf("seek rounding: %d, want %d", h.Offset(), off+uint64(S))
					}
				}
			}
		}
	}
}

type fakeClock struct {
	now    time.Time
	sleeps int
	slept  time.Duration
}

func (f *fakeClock) Now() time.Time { return f.now }
func (f *fakeClock) Sleep(d time.Duration) {
	f.sleeps++
	f.slept += d
	f.now = f.now.Add(d)
}

func TestPacing(t *testing.T) {
	// 10,000 events/s of the combined stream, over 2 readers of bids: each
	// reader should produce ~4,600 bids per second of (fake) wall time.
	cfg := Config{EmitRate: 10_000}
	for s := 0; s < 2; s++ {
		g := NewGenerator(cfg, Bid, s, 2)
		clk := &fakeClock{now: time.Unix(1000, 0)}
		g.SetClock(clk)
		_, ts := Schema(Bid)
		c := exec.NewChunk(ts)
		rows, i := 0, 0
		for clk.now.Before(time.Unix(1010, 0)) {
			c.Reset()
			n, done := g.Next(c)
			if done {
				t.Fatal("unbounded generator done")
			}
			if n > exec.DefaultChunkSize {
				t.Fatal("chunk too large")
			}
			rows += n
			if i++; i%2 == 0 {
				clk.now = clk.now.Add(time.Millisecond) // work takes time too
			}
		}
		if rows < 45_000 || rows > 47_000 {
			t.Fatalf("split %d: %d bids in 10 s, want ~46,000", s, rows)
		}
		if clk.sleeps == 0 {
			t.Fatal("pacing never slept")
		}
	}
	// A very slow rate returns empty chunks after bounded sleeps.
	g := NewGenerator(Config{EmitRate: 1}, Person, 0, 1)
	clk := &fakeClock{now: time.Unix(0, 0)}
	g.SetClock(clk)
	_, ts := Schema(Person)
	c := exec.NewChunk(ts)
	if n, _ := g.Next(c); n != 1 {
		t.Fatalf("first row should be due at once, got %d", n)
	}
	c.Reset()
	if n, done := g.Next(c); n != 0 || done || clk.slept != MaxSleep {
		t.Fatalf("got %d rows done=%v slept %v", n, done, clk.slept)
	}
}

func TestParseOptions(t *testing.T) {
	c, err := ParseOptions(map[string]string{"connector": "nexmark", "nexmark.event.num": "1000",
		"nexmark.first.event.rate": "500", "nexmark.min.event.gap.in.ns": "100000", "nexmark.style": "risingwave",
		"nexmark.avg.bid.byte.size": "80"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.EventCount != 1000 || c.Rate != 500 || c.EmitRate != 20_000 || c.Style != StyleRisingWave || c.AvgBidByteSize != 80 || c.HotAuctionRatio != 2 {
		t.Fatalf("%+v", c)
	}
	c, _ = ParseOptions(map[string]string{"nexmark.use.real.time": "true"}, 1)
	if c.EmitRate != 10_000 {
		t.Fatalf("real time: %+v", c)
	}
	for _, bad := range []map[string]string{
		{"nexmark.event.num": "-1"},
		{"nexmark.bogus": "1"},
		{"nexmark.style": "beam"},
		{"nexmark.person.proportion": "0", "nexmark.auction.proportion": "0", "nexmark.bid.proportion": "5"},
		{"nexmark.out.of.order.group.size": "1906"},
	} {
		_, err := ParseOptions(bad, 1)
		if e, ok := err.(*types.Error); !ok || e.Code != types.CodeInvalidParameterValue {
			t.Fatalf("%v: got %v", bad, err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, tab := range tables {
		b.Run(tab.String(), func(b *testing.B) {
			g := NewGenerator(Config{}, tab, 0, 1)
			_, ts := Schema(tab)
			c := exec.NewChunk(ts)
			rows := 0
			b.ReportAllocs()
			b.ResetTimer()
			for rows < b.N {
				c.Reset()
				n, _ := g.Next(c)
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
