// Package datagen implements the datagen source connector with RisingWave's
// option names (docs.risingwave.com, "Datagen connector"): each column is
// generated either as a sequence (start, start+1, ..., end) or as
// deterministic pseudo-random values.
//
// Options (keys are case-insensitive):
//
//	fields.<col>.kind           'random' (default) or 'sequence'
//	fields.<col>.start, .end    sequence bounds, inclusive (defaults 0 and 32767)
//	fields.<col>.min, .max      random bounds, inclusive for integers (defaults 0 and 32767)
//	fields.<col>.length         random varchar length (default 10)
//	fields.<col>.seed           random seed (default: the column's position)
//	fields.<col>.max_past       random timestamp/date: how far before the base time (default '1 day')
//	fields.<col>.max_past_mode  'absolute' (default: relative to the time the source was
//	                            created, deterministic) or 'relative' (to the wall clock
//	                            when the row is generated)
//	datagen.rows.per.second     total rate over all readers; '0' = as fast as possible (default 10)
//	datagen.split.num           suggested number of readers (default 1)
//	datagen.rows.total          stop after this many rows (also number.of.rows / number-of-rows)
//
// Row i (0-based, counted over the whole source) has value start+i in every
// sequence column and, in every random column, a value that depends only on
// (seed, i). Reader split of splits produces rows i with i % splits == split,
// so sequences are gap-free and duplicate-free across readers and random
// columns are the same however the source is split. The source ends after
// the shortest sequence (or datagen.rows.total); without either it is
// unbounded.
//
// Supported types: smallint, integer, bigint, real, double precision,
// numeric, varchar/text, boolean, timestamp, timestamptz and date. Sequences
// apply to the number types and to varchar/text (the decimal text of the
// counter); booleans, timestamps and dates are random only.
package datagen

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Kind is how a column's values are generated.
type Kind uint8

const (
	// Random draws deterministic pseudo-random values from (seed, row).
	Random Kind = iota
	// Sequence counts from Start to End.
	Sequence
)

// Field is the generator of one column.
type Field struct {
	Name string
	Type types.T
	Kind Kind
	// Start and End bound a sequence (inclusive). For numeric columns the
	// decimal bounds are in DecStart/DecEnd; for real/double in FStart/FEnd.
	Start, End       int64
	FStart, FEnd     float64
	DecStart, DecEnd apd.Decimal
	// Min and Max bound random integers (inclusive); FMin and FMax random
	// real, double and numeric values.
	Min, Max   int64
	FMin, FMax float64
	// Length is the length of random strings.
	Length int
	// Seed seeds random values.
	Seed uint64
	// MaxPast is how far (µs) before the base time random timestamps and
	// dates may lie; MaxPastRelative measures it from the wall clock at
	// generation time instead of Config.BaseTime.
	MaxPast         int64
	MaxPastRelative bool
}

// Config is a parsed datagen source.
type Config struct {
	Fields []Field
	// RowsPerSecond paces the whole source (all readers together); 0 means
	// as fast as possible.
	RowsPerSecond uint64
	// SplitNum is the number of readers the source asks for.
	SplitNum int
	// TotalRows bounds the source (0 = no explicit bound).
	TotalRows uint64
	// BaseTime (µs since the Unix epoch) anchors absolute max_past
	// timestamps; Parse sets it to the current time, truncated to seconds.
	BaseTime int64
}

// Rows returns the number of rows the source produces and whether it is
// bounded: the length of the shortest sequence, capped by TotalRows.
func (c *Config) Rows() (n uint64, bounded bool) {
	n = math.MaxUint64
	if c.TotalRows > 0 {
		n, bounded = c.TotalRows, true
	}
	for i := range c.Fields {
		f := &c.Fields[i]
		if f.Kind != Sequence {
			continue
		}
		var l uint64
		switch f.Type.Family {
		case types.Float32, types.Float64:
			l = uint64(math.Floor(f.FEnd-f.FStart)) + 1
		case types.Numeric:
			var d apd.Decimal
			apd.BaseContext.Sub(&d, &f.DecEnd, &f.DecStart)
			apd.BaseContext.Floor(&d, &d)
			v, err := d.Int64()
			if err != nil {
				v = math.MaxInt64
			}
			l = uint64(v) + 1
		default:
			l = uint64(f.End-f.Start) + 1
		}
		if l < n {
			n = l
		}
		bounded = true
	}
	return n, bounded
}

func optErr(format string, a ...any) error {
	return types.Errorf(types.CodeInvalidParameterValue, "datagen: "+format, a...)
}

// Parse builds a Config for columns cols of types ts from the WITH options.
// Options outside the fields.* and datagen.* namespaces (connector, format
// options, ...) are ignored. Errors are *types.Error: 42601 for a malformed
// option key, 22023 for an unknown column or option, a bad value, a kind the
// column's type does not support, or inconsistent bounds.
func Parse(cols []string, ts []types.T, with map[string]string) (*Config, error) {
	c := &Config{RowsPerSecond: 10, SplitNum: 1, BaseTime: time.Now().Unix() * 1_000_000}
	idx := map[string]int{}
	for i, name := range cols {
		idx[strings.ToLower(name)] = i
		f := Field{Name: name, Type: ts[i], Seed: uint64(i), Start: 0, End: 32767, Min: 0, Max: 32767,
			FStart: 0, FEnd: 32767, FMin: 0, FMax: 32767, Length: 10, MaxPast: 86_400_000_000}
		f.DecEnd.SetInt64(32767)
		switch ts[i].Family {
		case types.Int16, types.Int32, types.Int64, types.Float32, types.Float64, types.Numeric,
			types.Text, types.Bool, types.Timestamp, types.Timestamptz, types.Date:
		default:
			return nil, types.Errorf(types.CodeFeatureNotSupported, "datagen: column %q has unsupported type %s", name, ts[i])
		}
		c.Fields = append(c.Fields, f)
	}
	// Options per column, applied after kind is known.
	perCol := make([]map[string]string, len(cols))
	for k, v := range with {
		lk := strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(lk, "fields."):
			rest := lk[len("fields."):]
			dot := strings.LastIndexByte(rest, '.')
			if dot <= 0 || dot == len(rest)-1 {
				return nil, types.Errorf(types.CodeSyntaxError, "datagen: malformed option %q: expected fields.<column>.<parameter>", k)
			}
			col, attr := rest[:dot], rest[dot+1:]
			i, ok := idx[col]
			if !ok {
				return nil, optErr("option %q names unknown column %q", k, col)
			}
			if perCol[i] == nil {
				perCol[i] = map[string]string{}
			}
			perCol[i][attr] = v
		case strings.HasPrefix(lk, "datagen."), lk == "number-of-rows", lk == "number.of.rows":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, optErr("invalid value %q for option %s: expected a non-negative integer", v, k)
			}
			switch lk {
			case "datagen.rows.per.second":
				c.RowsPerSecond = n
			case "datagen.split.num":
				if n < 1 || n > 1<<16 {
					return nil, optErr("datagen.split.num must be between 1 and 65536, got %s", v)
				}
				c.SplitNum = int(n)
			case "datagen.rows.total", "datagen.total.rows", "number-of-rows", "number.of.rows":
				c.TotalRows = n
			default:
				return nil, optErr("unknown option %q", k)
			}
		}
	}
	for i, opts := range perCol {
		if err := parseField(&c.Fields[i], opts); err != nil {
			return nil, err
		}
	}
	return c, nil
}

var fieldAttrs = map[string]bool{"kind": true, "start": true, "end": true, "min": true, "max": true,
	"length": true, "seed": true, "max_past": true, "max_past_mode": true}

func parseField(f *Field, opts map[string]string) error {
	fam := f.Type.Family
	name := f.Name
	for a := range opts {
		if !fieldAttrs[a] {
			return optErr("unknown parameter %q for column %q (expected kind, start, end, min, max, length, seed, max_past or max_past_mode)", a, name)
		}
	}
	switch k := strings.ToLower(opts["kind"]); k {
	case "", "random":
		f.Kind = Random
	case "sequence":
		f.Kind = Sequence
	default:
		return optErr("invalid kind %q for column %q: expected 'random' or 'sequence'", opts["kind"], name)
	}
	isInt := fam == types.Int16 || fam == types.Int32 || fam == types.Int64
	isFloat := fam == types.Float32 || fam == types.Float64
	number := isInt || isFloat || fam == types.Numeric
	timeish := fam == types.Timestamp || fam == types.Timestamptz || fam == types.Date
	if f.Kind == Sequence && !number && fam != types.Text {
		return optErr("column %q of type %s does not support kind 'sequence'", name, f.Type)
	}
	only := func(attr string, ok bool, what string) error {
		if _, set := opts[attr]; set && !ok {
			return optErr("parameter %s of column %q applies only to %s", attr, name, what)
		}
		return nil
	}
	for _, e := range []error{
		only("start", f.Kind == Sequence, "sequence columns"),
		only("end", f.Kind == Sequence, "sequence columns"),
		only("min", f.Kind == Random && number, "random number columns"),
		only("max", f.Kind == Random && number, "random number columns"),
		only("length", f.Kind == Random && fam == types.Text, "random varchar columns"),
		only("seed", f.Kind == Random, "random columns"),
		only("max_past", f.Kind == Random && timeish, "random timestamp and date columns"),
		only("max_past_mode", f.Kind == Random && timeish, "random timestamp and date columns"),
	} {
		if e != nil {
			return e
		}
	}
	lo, hi := intRange(fam)
	parseInt := func(attr string, dst *int64) error {
		s, ok := opts[attr]
		if !ok {
			return nil
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < lo || v > hi {
			return optErr("invalid value %q for fields.%s.%s: expected an integer between %d and %d", s, name, attr, lo, hi)
		}
		*dst = v
		return nil
	}
	parseFloat := func(attr string, dst *float64) error {
		s, ok := opts[attr]
		if !ok {
			return nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return optErr("invalid value %q for fields.%s.%s: expected a finite number", s, name, attr)
		}
		*dst = v
		return nil
	}
	if s, ok := opts["seed"]; ok {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return optErr("invalid value %q for fields.%s.seed: expected an integer", s, name)
		}
		f.Seed = uint64(v)
	}
	switch {
	case f.Kind == Sequence && (isInt || fam == types.Text):
		if fam == types.Text {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		if err := firstErr(parseInt("start", &f.Start), parseInt("end", &f.End)); err != nil {
			return err
		}
		if f.Start > f.End {
			return optErr("column %q: sequence start %d is greater than end %d", name, f.Start, f.End)
		}
		if uint64(f.End-f.Start) == math.MaxUint64 {
			f.End-- // keep the row count representable
		}
	case f.Kind == Sequence && isFloat:
		if err := firstErr(parseFloat("start", &f.FStart), parseFloat("end", &f.FEnd)); err != nil {
			return err
		}
		if f.FStart > f.FEnd {
			return optErr("column %q: sequence start %v is greater than end %v", name, f.FStart, f.FEnd)
		}
		if f.FEnd-f.FStart >= 1<<62 {
			return optErr("column %q: sequence too long", name)
		}
	case f.Kind == Sequence: // numeric
		for _, a := range []struct {
			attr string
			d    *apd.Decimal
		}{{"start", &f.DecStart}, {"end", &f.DecEnd}} {
			if s, ok := opts[a.attr]; ok {
				if _, _, err := a.d.SetString(s); err != nil || a.d.Form != apd.Finite {
					return optErr("invalid value %q for fields.%s.%s: expected a finite number", s, name, a.attr)
				}
			}
		}
		if f.DecStart.Cmp(&f.DecEnd) > 0 {
			return optErr("column %q: sequence start %s is greater than end %s", name, f.DecStart.String(), f.DecEnd.String())
		}
		var d apd.Decimal
		apd.BaseContext.Sub(&d, &f.DecEnd, &f.DecStart)
		if v, err := d.Int64(); (err != nil && d.Cmp(apd.New(1<<62, 0)) > 0) || v >= 1<<62 {
			return optErr("column %q: sequence too long", name)
		}
	case isInt:
		if err := firstErr(parseInt("min", &f.Min), parseInt("max", &f.Max)); err != nil {
			return err
		}
		if f.Min > f.Max {
			return optErr("column %q: min %d is greater than max %d", name, f.Min, f.Max)
		}
	case isFloat || fam == types.Numeric:
		if err := firstErr(parseFloat("min", &f.FMin), parseFloat("max", &f.FMax)); err != nil {
			return err
		}
		if f.FMin > f.FMax {
			return optErr("column %q: min %v is greater than max %v", name, f.FMin, f.FMax)
		}
		if fam == types.Float32 && (math.Abs(f.FMin) > math.MaxFloat32 || math.Abs(f.FMax) > math.MaxFloat32) {
			return optErr("column %q: bounds out of range for type real", name)
		}
	case fam == types.Text:
		if s, ok := opts["length"]; ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 1<<20 {
				return optErr("invalid value %q for fields.%s.length: expected an integer between 0 and 1048576", s, name)
			}
			f.Length = n
		}
		if w := int(f.Type.Width); w > 0 && f.Length > w {
			return optErr("column %q: length %d exceeds the declared width %d", name, f.Length, w)
		}
	case timeish:
		if s, ok := opts["max_past"]; ok {
			d, err := types.ParseText(types.TInterval, s)
			if err != nil {
				return optErr("invalid value %q for fields.%s.max_past: expected an interval such as '2h 37min'", s, name)
			}
			us := types.IntervalTotalMicros(d.Iv)
			if us < 0 || us > 1<<60 {
				return optErr("invalid value %q for fields.%s.max_past: must be a non-negative interval", s, name)
			}
			f.MaxPast = us
		}
		switch m := strings.ToLower(opts["max_past_mode"]); m {
		case "", "absolute":
		case "relative":
			f.MaxPastRelative = true
		default:
			return optErr("invalid value %q for fields.%s.max_past_mode: expected 'absolute' or 'relative'", opts["max_past_mode"], name)
		}
	}
	return nil
}

func firstErr(es ...error) error {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

func intRange(f types.Family) (int64, int64) {
	switch f {
	case types.Int16:
		return math.MinInt16, math.MaxInt16
	case types.Int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// Clock is the time source for pacing and relative timestamps; tests inject
// a fake one.
type Clock interface {
	Now() time.Time
	Sleep(time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// MaxSleep bounds one pacing sleep inside Next; Next then returns 0 rows
// (not done) so that the caller can handle barriers.
const MaxSleep = 100 * time.Millisecond

// Generator produces the rows of one reader.
type Generator struct {
	cfg           *Config
	split, splits uint64
	total         uint64
	bounded       bool
	k             uint64 // next row index of this reader
	clock         Clock
	started       bool
	paceStart     time.Time
	paceRow       uint64
	idx           []uint64 // row indices of the current chunk
}

// NewGenerator returns the generator of reader split of splits (0 <= split
// < splits); it produces rows i with i % splits == split, in increasing i.
func NewGenerator(cfg *Config, split, splits int) *Generator {
	if splits < 1 || split < 0 || split >= splits {
		panic("datagen: bad split")
	}
	g := &Generator{cfg: cfg, split: uint64(split), splits: uint64(splits), clock: realClock{}}
	g.total, g.bounded = cfg.Rows()
	g.k = g.split
	return g
}

// SetClock replaces the wall clock (for tests).
func (g *Generator) SetClock(c Clock) { g.clock = c; g.started = false }

// Offset returns the index of the next row this reader will produce, to be
// stored in a checkpoint and passed to Seek.
func (g *Generator) Offset() uint64 { return g.k }

// Seek makes the next row the one with index offset, rounded up to the next
// index of this reader.
func (g *Generator) Seek(offset uint64) {
	if r := offset % g.splits; r != g.split {
		offset += (g.split + g.splits - r) % g.splits
	}
	g.k = offset
	g.started = false
}

// Done reports whether the reader has produced all its rows.
func (g *Generator) Done() bool { return g.bounded && g.k >= g.total }

// Next appends up to exec.DefaultChunkSize rows to c, which must be empty
// and typed like the source's columns, and reports the number of rows and
// whether the reader is exhausted. With a rate it sleeps until rows are due
// (at most MaxSleep per call) and may return 0 rows without being done.
func (g *Generator) Next(c *exec.Chunk) (n int, done bool) {
	if g.Done() {
		return 0, true
	}
	limit := uint64(exec.DefaultChunkSize)
	if g.bounded {
		limit = min(limit, (g.total-g.k+g.splits-1)/g.splits)
	}
	if rps := g.cfg.RowsPerSecond; rps > 0 {
		if !g.started {
			g.started, g.paceStart, g.paceRow = true, g.clock.Now(), g.k
		}
		// Global row i is due (i - paceRow) / rps seconds after paceStart;
		// allowed counts this reader's rows that are due at now.
		allowed := func(now time.Time) uint64 {
			el := max(now.Sub(g.paceStart), 0)
			hi, lo := bits.Mul64(uint64(el), rps)
			if hi >= 1e9 {
				return math.MaxUint64
			}
			due, _ := bits.Div64(hi, lo, 1e9)
			end := g.paceRow + due + 1
			if end < g.paceRow || g.k >= end {
				if end < g.paceRow {
					return math.MaxUint64
				}
				return 0
			}
			return (end-1-g.k)/g.splits + 1
		}
		now := g.clock.Now()
		a := allowed(now)
		if a == 0 {
			// Row k is due (k - paceRow) / rps seconds after the start.
			hi, lo := bits.Mul64(g.k-g.paceRow, 1e9)
			var wait time.Duration
			if hi < rps {
				ns, _ := bits.Div64(hi, lo, rps)
				wait = g.paceStart.Add(time.Duration(ns)).Sub(now)
			} else {
				wait = MaxSleep
			}
			g.clock.Sleep(min(max(wait, 0), MaxSleep))
			if a = allowed(g.clock.Now()); a == 0 {
				return 0, false
			}
		}
		limit = min(limit, a)
	}
	n = int(limit)
	c.SetLen(n)
	g.idx = g.idx[:0]
	for i := uint64(0); i < limit; i++ {
		g.idx = append(g.idx, g.k+i*g.splits)
	}
	var now int64
	for j := range g.cfg.Fields {
		f := &g.cfg.Fields[j]
		if f.MaxPastRelative && now == 0 {
			now = types.TimestampFromTime(g.clock.Now())
		}
		g.fill(f, c.Cols[j], now)
	}
	c.N = n
	g.k += limit * g.splits
	return n, g.Done()
}

const golden = 0x9E3779B97F4A7C15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// draw returns the pseudo-random 64-bit value of (seed, row, j): the j-th
// draw of a row, a pure function of its arguments.
func draw(seed, row, j uint64) uint64 {
	return mix64(mix64(seed*golden+0x2545F4914F6CDD1D) + row*golden + j*0xD1B54A32D192ED03)
}

// uniform maps x to [0, n) (n > 0), or returns x when n is 0 (meaning 2^64).
func uniform(x, n uint64) uint64 {
	if n == 0 {
		return x
	}
	hi, _ := bits.Mul64(x, n)
	return hi
}

func unit(x uint64) float64 { return float64(x>>11) * (1.0 / (1 << 53)) }

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *Generator) fill(f *Field, v *exec.Vec, now int64) {
	idx := g.idx
	fam := f.Type.Family
	switch {
	case f.Kind == Sequence:
		switch fam {
		case types.Float32, types.Float64:
			for i, r := range idx {
				x := f.FStart + float64(r)
				if fam == types.Float32 {
					x = float64(float32(x))
				}
				v.Float[i] = x
			}
		case types.Numeric:
			var off apd.Decimal
			for i, r := range idx {
				off.SetInt64(int64(r))
				apd.BaseContext.Add(&v.Dec[i], &f.DecStart, &off)
			}
		case types.Text:
			buf := make([]byte, 0, len(idx)*8)
			for i, r := range idx {
				st := len(buf)
				buf = strconv.AppendInt(buf, f.Start+int64(r), 10)
				v.Bytes[i] = buf[st:len(buf):len(buf)]
			}
		default:
			for i, r := range idx {
				v.Int[i] = f.Start + int64(r)
			}
		}
	case fam == types.Int16 || fam == types.Int32 || fam == types.Int64:
		span := uint64(f.Max-f.Min) + 1
		for i, r := range idx {
			v.Int[i] = f.Min + int64(uniform(draw(f.Seed, r, 0), span))
		}
	case fam == types.Float32 || fam == types.Float64:
		for i, r := range idx {
			x := f.FMin + unit(draw(f.Seed, r, 0))*(f.FMax-f.FMin)
			if fam == types.Float32 {
				x = float64(float32(x))
			}
			v.Float[i] = min(max(x, f.FMin), f.FMax)
		}
	case fam == types.Numeric:
		scale := 2
		if f.Type.Precision > 0 {
			scale = int(f.Type.Scale)
		}
		var tmp []byte
		for i, r := range idx {
			x := f.FMin + unit(draw(f.Seed, r, 0))*(f.FMax-f.FMin)
			tmp = strconv.AppendFloat(tmp[:0], min(max(x, f.FMin), f.FMax), 'f', scale, 64)
			v.Dec[i].SetString(string(tmp))
		}
	case fam == types.Text:
		buf := make([]byte, len(idx)*f.Length)
		for i, r := range idx {
			s := buf[i*f.Length : (i+1)*f.Length : (i+1)*f.Length]
			var x uint64
			for j := range s {
				if j%10 == 0 {
					x = draw(f.Seed, r, uint64(j/10))
				}
				var hi uint64
				hi, x = bits.Mul64(x, uint64(len(alnum)))
				s[j] = alnum[hi]
			}
			v.Bytes[i] = s
		}
	case fam == types.Bool:
		for i, r := range idx {
			v.Bool[i] = draw(f.Seed, r, 0)&1 == 1
		}
	default: // timestamps and dates
		base := g.cfg.BaseTime
		if f.MaxPastRelative {
			base = now
		}
		for i, r := range idx {
			ts := base - int64(uniform(draw(f.Seed, r, 0), uint64(f.MaxPast)+1))
			if fam == types.Date {
				ts = types.DateFromTimestamp(ts)
			}
			v.Int[i] = ts
		}
	}
}
