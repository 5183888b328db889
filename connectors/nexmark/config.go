// Package nexmark generates the Nexmark auction event stream (persons,
// auctions and bids) as described in /work/shared/nexmark/SPEC.md, writing
// columnar exec.Chunks directly.
//
// The stream is a pure function of the event number: the event with a given
// id always has the same content and timestamp (per-event seeding, SPEC §8),
// so the stream can be split across any number of readers, resumed from an
// offset, and checked against GenEvent row by row. Each Generator produces
// one table (Person, Auction or Bid), i.e. one type-filtered view of the one
// global sequence (SPEC §9.3); reader `split` of `splits` produces the table
// rows whose index i satisfies i % splits == split (SPEC §9.2 interleaving).
//
// Timestamps advance by the configured event-time rate from a base time,
// independently of how fast events are produced; Config.EmitRate optionally
// paces production against the wall clock.
package nexmark

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Constants shared by both reference generators (SPEC §3, §4).
const (
	FirstPersonID   = 1000 // offset added to base-0 person ids
	FirstAuctionID  = 1000 // offset added to base-0 auction ids
	FirstCategoryID = 10   // categories are FirstCategoryID + uniform{0..NumCategories-1}
	PersonIDLead    = 10   // how far past the last person a random reference may reach
	AuctionIDLead   = 10   // how far past the last auction a random reference may reach
	HotSellerBlock  = 100  // hot seller = first person of the current block of 100
	HotAuctionBlock = 100  // hot auction = first auction of the current block of 100
	HotBidderBlock  = 100  // hot bidder = second person of the current block of 100
	NumChannels     = 10000
	// DefaultBaseTime is the default base time in ms since the Unix epoch,
	// 2015-07-15 00:00:00 UTC (RisingWave's fixed base time and
	// nexmark-bench's default), chosen so that output is reproducible.
	DefaultBaseTime = 1_436_918_400_000
)

// Style selects the spelling of the vocabularies and the shape of random
// strings (SPEC §7.1, §7.2).
type Style uint8

const (
	// StyleFlink (the default) follows Flink-nexmark: Capitalized first
	// names, last names and cities ("Los Angeles"), UPPERCASE states ("OR"),
	// random strings of length 3..max-1 with ~1/13 spaces, trimmed. The
	// q3 literals in QUERIES.md ('OR', 'ID', 'CA') match this style.
	StyleFlink Style = iota
	// StyleRisingWave follows nexmark-rs / nexmark-bench: all-lowercase
	// vocabularies and random strings of exactly max lowercase letters.
	StyleRisingWave
)

// Config is the generator configuration (SPEC §10.1). The zero value of a
// field means "default"; call EnsureDefaults (NewGenerator does) to fill
// them in.
type Config struct {
	// EventCount is the number of events of the combined stream to generate
	// (nexmark.event.num); 0 means unbounded. Each table gets its share:
	// with N events, the Person table has the persons among event numbers
	// 0..N-1, and so on.
	EventCount uint64
	// Rate is the event-time rate in events per second
	// (nexmark.first.event.rate, default 10,000): event number n has
	// timestamp BaseTime + round(n*1000/Rate) ms, however fast events are
	// actually produced.
	Rate uint64
	// EmitRate paces production against the wall clock, in events per
	// second of the combined stream summed over all readers; 0 (default)
	// means as fast as possible. Setting EmitRate = Rate makes event time
	// track wall time (nexmark.use.real.time).
	EmitRate uint64
	// FirstEventID is added to the event number to form the event id
	// (nexmark.first.event.id, default 0).
	FirstEventID uint64
	// BaseTime is the timestamp of event number 0 in ms since the Unix
	// epoch; 0 means DefaultBaseTime.
	BaseTime int64
	// PersonProportion, AuctionProportion and BidProportion are the
	// event-kind proportions (default 1 : 3 : 46).
	PersonProportion, AuctionProportion, BidProportion uint64
	// HotAuctionRatio, HotSellersRatio, HotBiddersRatio and HotChannelRatio
	// are the "hot" coin ratios (defaults 2, 4, 4, 2): a value r makes the
	// hot choice with probability 1 - 1/r. A ratio of 1 disables the skew.
	HotAuctionRatio, HotSellersRatio, HotBiddersRatio, HotChannelRatio uint64
	// AvgPersonByteSize, AvgAuctionByteSize and AvgBidByteSize steer the
	// length of the extra padding column (defaults 200, 500, 100).
	AvgPersonByteSize, AvgAuctionByteSize, AvgBidByteSize int
	// NumActivePeople is how many recent persons random person references
	// are drawn from (default 1000).
	NumActivePeople uint64
	// NumInFlightAuctions is how many recent auctions random auction
	// references are drawn from (default 100); it also sets auction length.
	NumInFlightAuctions uint64
	// NumCategories is the number of auction categories (default 5).
	NumCategories uint64
	// OutOfOrderGroupSize shuffles events within groups of this many event
	// numbers (SPEC §5.3, default 1 = in order). It must not be a multiple
	// of 953.
	OutOfOrderGroupSize uint64
	// Style selects vocabulary casing and random-string shape.
	Style Style
}

// EnsureDefaults replaces zero fields by the spec's defaults.
func (c *Config) EnsureDefaults() {
	def := func(p *uint64, v uint64) {
		if *p == 0 {
			*p = v
		}
	}
	defInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Rate, 10_000)
	if c.BaseTime == 0 {
		c.BaseTime = DefaultBaseTime
	}
	if c.PersonProportion == 0 && c.AuctionProportion == 0 && c.BidProportion == 0 {
		c.PersonProportion, c.AuctionProportion, c.BidProportion = 1, 3, 46
	}
	def(&c.HotAuctionRatio, 2)
	def(&c.HotSellersRatio, 4)
	def(&c.HotBiddersRatio, 4)
	def(&c.HotChannelRatio, 2)
	defInt(&c.AvgPersonByteSize, 200)
	defInt(&c.AvgAuctionByteSize, 500)
	defInt(&c.AvgBidByteSize, 100)
	def(&c.NumActivePeople, 1000)
	def(&c.NumInFlightAuctions, 100)
	def(&c.NumCategories, 5)
	def(&c.OutOfOrderGroupSize, 1)
}

// Validate reports a configuration the generator cannot run (after
// EnsureDefaults) as a *types.Error with SQLSTATE 22023.
func (c *Config) Validate() error {
	bad := func(f string, a ...any) error {
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark: "+f, a...)
	}
	switch {
	case c.PersonProportion == 0 || c.AuctionProportion == 0:
		return bad("person and auction proportions must be positive")
	case c.PersonProportion+c.AuctionProportion+c.BidProportion > 1<<20:
		return bad("proportions too large")
	case c.Rate > 1_000_000_000:
		return bad("event rate %d is above 10^9 events per second", c.Rate)
	case c.OutOfOrderGroupSize%953 == 0:
		return bad("out-of-order group size must not be a multiple of 953")
	case c.OutOfOrderGroupSize > 1<<30:
		return bad("out-of-order group size too large")
	case c.AvgPersonByteSize < 0 || c.AvgAuctionByteSize < 0 || c.AvgBidByteSize < 0:
		return bad("average byte sizes must not be negative")
	case c.AvgPersonByteSize > maxExtra || c.AvgAuctionByteSize > maxExtra || c.AvgBidByteSize > maxExtra:
		return bad("average byte sizes must be at most %d", maxExtra)
	case c.BaseTime < 0 || c.BaseTime > 1<<50:
		return bad("base time out of range")
	}
	return nil
}

// ParseOptions builds a Config from RisingWave-style connector options
// (SPEC §10.1): nexmark.event.num, nexmark.first.event.rate (alias
// nexmark.event.rate), nexmark.max.emit.rate (wall-clock pacing, events/s,
// 0 = unpaced), nexmark.use.real.time, nexmark.min.event.gap.in.ns (per
// reader, given the reader count splits), nexmark.first.event.id,
// nexmark.base.time (ms since epoch), nexmark.{person,auction,bid}.proportion,
// nexmark.hot.{auction,seller,sellers,bidder,bidders,channel}.ratio,
// nexmark.avg.{person,auction,bid}.byte.size, nexmark.active.people,
// nexmark.in.flight.auctions, nexmark.num.categories,
// nexmark.out.of.order.group.size and nexmark.style ('flink' or
// 'risingwave'). Options without the "nexmark." prefix are ignored;
// unknown nexmark.* options and bad values are *types.Error 22023.
func ParseOptions(with map[string]string, splits int) (Config, error) {
	var c Config
	u := map[string]*uint64{
		"nexmark.event.num":                &c.EventCount,
		"nexmark.first.event.rate":         &c.Rate,
		"nexmark.event.rate":               &c.Rate,
		"nexmark.max.emit.rate":            &c.EmitRate,
		"nexmark.first.event.id":           &c.FirstEventID,
		"nexmark.person.proportion":        &c.PersonProportion,
		"nexmark.auction.proportion":       &c.AuctionProportion,
		"nexmark.bid.proportion":           &c.BidProportion,
		"nexmark.hot.auction.ratio":        &c.HotAuctionRatio,
		"nexmark.hot.seller.ratio":         &c.HotSellersRatio,
		"nexmark.hot.sellers.ratio":        &c.HotSellersRatio,
		"nexmark.hot.bidder.ratio":         &c.HotBiddersRatio,
		"nexmark.hot.bidders.ratio":        &c.HotBiddersRatio,
		"nexmark.hot.channel.ratio":        &c.HotChannelRatio,
		"nexmark.active.people":            &c.NumActivePeople,
		"nexmark.in.flight.auctions":       &c.NumInFlightAuctions,
		"nexmark.num.categories":           &c.NumCategories,
		"nexmark.out.of.order.group.size":  &c.OutOfOrderGroupSize,
		"nexmark.min.event.gap.in.ns":      nil,
		"nexmark.avg.person.byte.size":     nil,
		"nexmark.avg.auction.byte.size":    nil,
		"nexmark.avg.bid.byte.size":        nil,
		"nexmark.base.time":                nil,
		"nexmark.use.real.time":            nil,
		"nexmark.style":                    nil,
		"nexmark.threads":                  nil,
		"nexmark.split.num":                nil,
		"nexmark.max.chunk.size":           nil,
		"nexmark.table.type":               nil,
		"nexmark.rate.shape":               nil,
		"nexmark.rate.period":              nil,
		"nexmark.first.event.number":       nil,
		"nexmark.next.event.rate":          nil,
		"nexmark.sine.approx.steps":        nil,
		"nexmark.person.id.lead":           nil,
		"nexmark.auction.id.lead":          nil,
		"nexmark.first.person.id":          nil,
		"nexmark.first.auction.id":         nil,
		"nexmark.first.category.id":        nil,
		"nexmark.generate.event.ids":       nil,
		"nexmark.num.event.generators":     nil,
		"nexmark.max.emit.speed":           nil,
		"nexmark.hot.channels.ratio":       &c.HotChannelRatio,
		"nexmark.num.active.people":        &c.NumActivePeople,
		"nexmark.num.in.flight.auctions":   &c.NumInFlightAuctions,
		"nexmark.out.of.order.group":       &c.OutOfOrderGroupSize,
		"nexmark.event.count":              &c.EventCount,
		"nexmark.events.num":               &c.EventCount,
		"nexmark.first.event.rate.per.sec": &c.Rate,
	}
	bad := func(k, v, why string) error {
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark: invalid value %q for option %s: %s", v, k, why)
	}
	var gapNs, realTime = uint64(0), false
	for k, v := range with {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "nexmark.") {
			continue
		}
		p, known := u[lk]
		if !known {
			return c, types.Errorf(types.CodeInvalidParameterValue, "nexmark: unknown option %s", k)
		}
		v = strings.TrimSpace(v)
		if p != nil {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return c, bad(k, v, "expected a non-negative integer")
			}
			*p = n
			continue
		}
		switch lk {
		case "nexmark.avg.person.byte.size", "nexmark.avg.auction.byte.size", "nexmark.avg.bid.byte.size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, bad(k, v, "expected a non-negative integer")
			}
			switch lk {
			case "nexmark.avg.person.byte.size":
				c.AvgPersonByteSize = n
			case "nexmark.avg.auction.byte.size":
				c.AvgAuctionByteSize = n
			default:
				c.AvgBidByteSize = n
			}
		case "nexmark.base.time":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return c, bad(k, v, "expected milliseconds since the Unix epoch")
			}
			c.BaseTime = n
		case "nexmark.min.event.gap.in.ns":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return c, bad(k, v, "expected a non-negative integer")
			}
			gapNs = n
		case "nexmark.use.real.time":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, bad(k, v, "expected true or false")
			}
			realTime = b
		case "nexmark.style":
			switch strings.ToLower(v) {
			case "flink":
				c.Style = StyleFlink
			case "risingwave", "rw", "nexmark-rs":
				c.Style = StyleRisingWave
			default:
				return c, bad(k, v, "expected 'flink' or 'risingwave'")
			}
		case "nexmark.rate.shape":
			if s := strings.ToLower(v); s != "sine" && s != "square" {
				return c, bad(k, v, "expected 'sine' or 'square'")
			}
		case "nexmark.max.emit.speed":
			if _, err := strconv.ParseBool(v); err != nil {
				return c, bad(k, v, "expected true or false")
			}
		default:
			// Accepted for compatibility; constant in this generator
			// (rate shapes, id offsets, thread counts, chunk sizes).
		}
	}
	if gapNs > 0 && c.EmitRate == 0 {
		c.EmitRate = uint64(math.Max(1, math.Round(1e9/float64(gapNs)*float64(max(splits, 1)))))
	}
	c.EnsureDefaults()
	if realTime {
		c.EmitRate = c.Rate
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// String renders the configuration for logs and EXPLAIN.
func (c Config) String() string {
	return fmt.Sprintf("nexmark(events=%d rate=%d emit=%d first=%d base=%s p:a:b=%d:%d:%d)",
		c.EventCount, c.Rate, c.EmitRate, c.FirstEventID,
		time.UnixMilli(c.BaseTime).UTC().Format(time.RFC3339), c.PersonProportion, c.AuctionProportion, c.BidProportion)
}
