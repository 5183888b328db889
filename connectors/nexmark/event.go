package nexmark

// Table names one of the three Nexmark event kinds / tables.
type Table uint8

// The tables, numbered like the combined stream's event_type column.
const (
	Person Table = iota
	Auction
	Bid
)

// String returns the table's SQL name.
func (t Table) String() string {
	switch t {
	case Person:
		return "person"
	case Auction:
		return "auction"
	case Bid:
		return "bid"
	}
	return "unknown"
}

// PersonEvent is a person row. Timestamps are µs since the Unix epoch (UTC),
// always whole milliseconds.
type PersonEvent struct {
	ID                                                 int64
	Name, EmailAddress, CreditCard, City, State, Extra string
	DateTime                                           int64
}

// AuctionEvent is an auction row (timestamps in µs since the Unix epoch).
type AuctionEvent struct {
	ID                           int64
	ItemName, Description, Extra string
	InitialBid, Reserve          int64
	DateTime, Expires            int64
	Seller, Category             int64
}

// BidEvent is a bid row (timestamp in µs since the Unix epoch).
type BidEvent struct {
	Auction, Bidder, Price int64
	Channel, URL, Extra    string
	DateTime               int64
}

// Event is one event of the combined stream: Type says which of Person,
// Auction and Bid is set.
type Event struct {
	Type    Table
	Person  *PersonEvent
	Auction *AuctionEvent
	Bid     *BidEvent
}

// gen holds the derived constants of a Config and generates rows.
type gen struct {
	cfg               Config
	t, p, a           uint64 // period T, P, A
	eventsForAuctions uint64
	voc               *vocab
	ch                *channels
	style             Style
	avgP, avgA, avgB  int
	hotA, hotS, hotB  uint64
	hotC              uint64
	active, inflight  int64
	cats              uint64
	base              int64 // ms
	rate              uint64
}

func newGen(cfg Config) *gen {
	cfg.EnsureDefaults()
	g := &gen{
		cfg:      cfg,
		p:        cfg.PersonProportion,
		a:        cfg.AuctionProportion,
		t:        cfg.PersonProportion + cfg.AuctionProportion + cfg.BidProportion,
		voc:      getVocab(cfg.Style),
		ch:       getChannels(),
		style:    cfg.Style,
		avgP:     cfg.AvgPersonByteSize,
		avgA:     cfg.AvgAuctionByteSize,
		avgB:     cfg.AvgBidByteSize,
		hotA:     cfg.HotAuctionRatio,
		hotS:     cfg.HotSellersRatio,
		hotB:     cfg.HotBiddersRatio,
		hotC:     cfg.HotChannelRatio,
		active:   int64(cfg.NumActivePeople),
		inflight: int64(cfg.NumInFlightAuctions),
		cats:     cfg.NumCategories,
		base:     cfg.BaseTime,
		rate:     cfg.Rate,
	}
	g.eventsForAuctions = cfg.NumInFlightAuctions * g.t / g.a
	return g
}

// kind returns the table of event id eid (SPEC §2).
func (g *gen) kind(eid uint64) Table {
	r := eid % g.t
	switch {
	case r < g.p:
		return Person
	case r < g.p+g.a:
		return Auction
	}
	return Bid
}

// tsMs is the timestamp in ms of (adjusted) event number m, rounded to the
// nearest millisecond with exact integer math (SPEC §5.1).
func (g *gen) tsMs(m uint64) int64 {
	return g.base + int64((m*1000+g.rate/2)/g.rate)
}

// lastPerson is the base-0 id of the most recent person at eid (SPEC §3).
func (g *gen) lastPerson(eid uint64) int64 {
	e, o := eid/g.t, eid%g.t
	if o >= g.p {
		o = g.p - 1
	}
	return int64(e*g.p + o)
}

// lastAuction is the base-0 id of the most recent auction at eid (-1 before
// the first auction).
func (g *gen) lastAuction(eid uint64) int64 {
	e, o := int64(eid/g.t), eid%g.t
	a := int64(g.a)
	switch {
	case o < g.p:
		return (e-1)*a + a - 1
	case o >= g.p+g.a:
		return e*a + a - 1
	}
	return e*a + int64(o-g.p)
}

func (g *gen) randPerson(eid uint64, r *rng) int64 {
	n := g.lastPerson(eid) + 1
	act := min(n, g.active)
	return n - act + r.int63n(act+PersonIDLead)
}

func (g *gen) randAuction(eid uint64, r *rng) int64 {
	mx := g.lastAuction(eid)
	mn := max(mx-g.inflight, 0)
	return mn + r.int63n(mx-mn+1+AuctionIDLead)
}

// str appends a random string with nominal maximum length max (SPEC §7.2)
// to buf and returns the new buffer and the string.
func (g *gen) str(buf []byte, r *rng, max int) ([]byte, []byte) {
	start := len(buf)
	if g.style == StyleRisingWave {
		buf = append(buf, make([]byte, max)...)
		r.fill(buf[start:], lowerLetters)
		return buf, buf[start:len(buf):len(buf)]
	}
	n := 3 + int(r.intn(uint64(max-3)))
	buf = append(buf, make([]byte, n)...)
	s := buf[start:]
	r.fill(s, flinkAlphabet)
	i, j := 0, len(s)
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	return buf, s[i:j:j]
}

// personRow is a person with string fields as byte slices (pointing into
// the arena or the shared vocabularies).
type personRow struct {
	id                                  int64
	name, email, cc, city, state, extra []byte
	ts                                  int64 // ms
}

type auctionRow struct {
	id, initialBid, reserve, seller, category int64
	item, desc, extra                         []byte
	ts, expires                               int64 // ms
}

type bidRow struct {
	auction, bidder, price int64
	channel, url, extra    []byte
	ts                     int64 // ms
}

func (g *gen) person(eid, m uint64, buf []byte) ([]byte, personRow) {
	r := newRng(eid, saltEvent)
	var p personRow
	p.id = g.lastPerson(eid) + FirstPersonID
	p.ts = g.tsMs(m)
	v := g.voc
	p.name = v.names[r.intn(uint64(len(v.names)))]
	var s1, s2 []byte
	buf, s1 = g.str(buf, &r, 7)
	buf, s2 = g.str(buf, &r, 5)
	estart := len(buf)
	buf = append(buf, s1...)
	buf = append(buf, '@')
	buf = append(buf, s2...)
	buf = append(buf, ".com"...)
	p.email = buf[estart:len(buf):len(buf)]
	cstart := len(buf)
	for i := 0; i < 4; i++ {
		if i > 0 {
			buf = append(buf, ' ')
		}
		x := r.intn(10000)
		buf = append(buf, byte('0'+x/1000), byte('0'+x/100%10), byte('0'+x/10%10), byte('0'+x%10))
	}
	p.cc = buf[cstart:len(buf):len(buf)]
	p.city = v.cities[r.intn(uint64(len(v.cities)))]
	p.state = v.states[r.intn(uint64(len(v.states)))]
	cur := 8 + len(p.name) + len(p.email) + len(p.cc) + len(p.city) + len(p.state)
	p.extra = extra(&r, cur, g.avgP)
	return buf, p
}

func (g *gen) auction(eid, m uint64, buf []byte) ([]byte, auctionRow) {
	r := newRng(eid, saltEvent)
	var a auctionRow
	a.id = g.lastAuction(eid) + FirstAuctionID
	a.ts = g.tsMs(m)
	buf, a.item = g.str(buf, &r, 20)
	buf, a.desc = g.str(buf, &r, 100)
	a.initialBid = r.price()
	a.reserve = a.initialBid + r.price()
	horizon := g.tsMs(m+g.eventsForAuctions) - a.ts
	a.expires = a.ts + 1 + r.int63n(max(2*horizon, 1))
	if r.intn(g.hotS) > 0 {
		a.seller = g.lastPerson(eid) / HotSellerBlock * HotSellerBlock
	} else {
		a.seller = g.randPerson(eid, &r)
	}
	a.seller += FirstPersonID
	a.category = FirstCategoryID + int64(r.intn(g.cats))
	a.extra = extra(&r, 8+len(a.item)+len(a.desc)+5*8, g.avgA)
	return buf, a
}

func (g *gen) bid(eid, m uint64) bidRow {
	r := newRng(eid, saltEvent)
	var b bidRow
	if r.intn(g.hotA) > 0 {
		b.auction = g.lastAuction(eid) / HotAuctionBlock * HotAuctionBlock
	} else {
		b.auction = g.randAuction(eid, &r)
	}
	b.auction += FirstAuctionID
	if r.intn(g.hotB) > 0 {
		b.bidder = g.lastPerson(eid)/HotBidderBlock*HotBidderBlock + 1
	} else {
		b.bidder = g.randPerson(eid, &r)
	}
	b.bidder += FirstPersonID
	b.price = r.price()
	if r.intn(g.hotC) > 0 {
		i := r.intn(4)
		b.channel, b.url = g.ch.hotName[i], g.ch.hotURL[i]
	} else {
		c := r.intn(NumChannels)
		b.channel, b.url = g.ch.name[c], g.ch.url[c]
	}
	b.ts = g.tsMs(m)
	b.extra = extra(&r, 32, g.avgB)
	return b
}

// adjust is the out-of-order permutation of event numbers (SPEC §5.3).
func adjust(n, grp uint64) uint64 {
	if grp <= 1 {
		return n
	}
	return n/grp*grp + (n*953)%grp
}

// GenEvent returns the event with event id eventID (>= cfg.FirstEventID;
// ids below it are treated as FirstEventID). Its timestamp is that of event
// number eventID - FirstEventID: with out-of-order groups, this is the
// adjusted number, so content and time move together (SPEC §5.3). cfg's zero
// fields take their defaults. GenEvent is the row-level reference the
// columnar Generator is checked against.
func GenEvent(cfg *Config, eventID uint64) Event {
	g := newGen(*cfg)
	return g.event(eventID)
}

func (g *gen) event(eid uint64) Event {
	if eid < g.cfg.FirstEventID {
		eid = g.cfg.FirstEventID
	}
	m := eid - g.cfg.FirstEventID
	const us = 1000
	switch k := g.kind(eid); k {
	case Person:
		_, p := g.person(eid, m, nil)
		return Event{Type: k, Person: &PersonEvent{
			ID: p.id, Name: string(p.name), EmailAddress: string(p.email), CreditCard: string(p.cc),
			City: string(p.city), State: string(p.state), DateTime: p.ts * us, Extra: string(p.extra)}}
	case Auction:
		_, a := g.auction(eid, m, nil)
		return Event{Type: k, Auction: &AuctionEvent{
			ID: a.id, ItemName: string(a.item), Description: string(a.desc), InitialBid: a.initialBid,
			Reserve: a.reserve, DateTime: a.ts * us, Expires: a.expires * us, Seller: a.seller,
			Category: a.category, Extra: string(a.extra)}}
	default:
		b := g.bid(eid, m)
		return Event{Type: k, Bid: &BidEvent{
			Auction: b.auction, Bidder: b.bidder, Price: b.price, Channel: string(b.channel),
			URL: string(b.url), DateTime: b.ts * us, Extra: string(b.extra)}}
	}
}
