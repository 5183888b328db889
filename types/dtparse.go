package types

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// dtKind selects which datetime type is being parsed.
type dtKind uint8

const (
	dtDate dtKind = iota
	dtTime
	dtTimestamp
	dtTimestamptz
)

func (k dtKind) name() string {
	switch k {
	case dtDate:
		return "date"
	case dtTime:
		return "time"
	case dtTimestamp:
		return "timestamp"
	}
	return "timestamp with time zone"
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
	"october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true,
	"tues": true, "tuesday": true, "wed": true, "wednesday": true, "thu": true,
	"thur": true, "thurs": true, "thursday": true, "fri": true, "friday": true,
	"sat": true, "saturday": true,
}

type dtResult struct {
	hasDate, hasTime, hasTZ bool
	year, month, day        int64
	tod                     int64 // µs since midnight
	tzSec                   int64 // offset east of UTC in seconds
	loc                     *time.Location
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseDatetime parses date, time, timestamp and timestamptz input. It returns
// the value in the physical layout of the kind.
func parseDatetime(k dtKind, s string) (int64, error) {
	bad := func() error {
		return Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", k.name(), s)
	}
	rangeErr := func() error {
		return Errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	}
	str := strings.TrimSpace(s)
	low := strings.ToLower(str)
	switch low {
	case "infinity", "+infinity", "-infinity":
		neg := low[0] == '-'
		switch k {
		case dtDate:
			if neg {
				return DateNegInfinity, nil
			}
			return DateInfinity, nil
		case dtTimestamp, dtTimestamptz:
			if neg {
				return TimestampNegInfinity, nil
			}
			return TimestampInfinity, nil
		}
		return 0, bad()
	case "epoch":
		if k == dtTime {
			return 0, bad()
		}
		return 0, nil
	case "allballs":
		if k == dtTime {
			return 0, nil
		}
		return 0, bad()
	}
	var r dtResult
	var nums []string
	monthName := 0
	bc, ampm := false, 0
	fields := splitDatetimeFields(str)
	if fields == nil {
		return 0, bad()
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		c := f[0]
		switch {
		case (c == '+' || c == '-') && len(f) > 1 && (r.hasTime || r.hasDate):
			off, ok := parseTZOffset(f)
			if !ok || r.hasTZ {
				return 0, bad()
			}
			if off >= 16*3600 || off <= -16*3600 {
				return 0, Errorf("22009", "time zone displacement out of range: \"%s\"", s)
			}
			r.hasTZ, r.tzSec = true, off
		case strings.IndexByte(f, ':') >= 0:
			if r.hasTime {
				return 0, bad()
			}
			tod, err := parseClock(f, false)
			if err == errRange {
				return 0, rangeErr()
			}
			if err != nil {
				return 0, bad()
			}
			r.hasTime, r.tod = true, tod
		case isDigit(c):
			if strings.IndexAny(f, "-/.") >= 0 {
				if r.hasDate {
					return 0, bad()
				}
				sep := f[strings.IndexAny(f, "-/.")]
				parts := strings.Split(f, string(sep))
				if len(parts) != 3 || !allDigits(parts[0]) || !allDigits(parts[1]) || !allDigits(parts[2]) {
					return 0, bad()
				}
				a, _ := strconv.ParseInt(parts[0], 10, 64)
				b, _ := strconv.ParseInt(parts[1], 10, 64)
				cc, _ := strconv.ParseInt(parts[2], 10, 64)
				if len(parts[0]) > 2 {
					r.year, r.month, r.day = a, b, cc
				} else { // MDY
					r.month, r.day, r.year = a, b, cc
					if len(parts[2]) <= 2 {
						r.year = adjustTwoDigitYear(cc)
					}
				}
				r.hasDate = true
			} else if !allDigits(f) {
				return 0, bad()
			} else if len(f) == 8 && !r.hasDate && monthName == 0 {
				r.year, _ = strconv.ParseInt(f[:4], 10, 64)
				r.month, _ = strconv.ParseInt(f[4:6], 10, 64)
				r.day, _ = strconv.ParseInt(f[6:], 10, 64)
				r.hasDate = true
			} else {
				nums = append(nums, f)
			}
		case isAlpha(c):
			lf := strings.ToLower(f)
			if m, ok := monthNames[lf]; ok && monthName == 0 && !r.hasDate {
				monthName = m
				continue
			}
			switch {
			case weekdayNames[lf], lf == "t", lf == "ad":
			case lf == "bc":
				bc = true
			case lf == "am":
				ampm = 1
			case lf == "pm":
				ampm = 2
			case lf == "z" || lf == "utc" || lf == "gmt" || lf == "zulu" || lf == "ut":
				if r.hasTZ {
					return 0, bad()
				}
				r.hasTZ = true
			default:
				if strings.IndexByte(f, '/') < 0 {
					return 0, bad()
				}
				loc, err := time.LoadLocation(f)
				if err != nil {
					return 0, Errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", f)
				}
				r.hasTZ, r.loc = true, loc
			}
		default:
			return 0, bad()
		}
	}
	if monthName != 0 {
		if len(nums) != 2 {
			return 0, bad()
		}
		a, _ := strconv.ParseInt(nums[0], 10, 64)
		b, _ := strconv.ParseInt(nums[1], 10, 64)
		if len(nums[0]) > 2 {
			r.year, r.day = a, b
		} else {
			r.day, r.year = a, b
			if len(nums[1]) <= 2 {
				r.year = adjustTwoDigitYear(b)
			}
		}
		r.month = int64(monthName)
		r.hasDate = true
	} else if len(nums) != 0 {
		return 0, bad()
	}
	if ampm != 0 {
		if !r.hasTime {
			return 0, bad()
		}
		h := r.tod / MicrosPerHour
		if h > 12 {
			return 0, rangeErr()
		}
		if ampm == 1 && h == 12 {
			r.tod -= 12 * MicrosPerHour
		} else if ampm == 2 && h != 12 {
			r.tod += 12 * MicrosPerHour
		}
	}
	if r.hasDate {
		if r.year == 0 || r.month < 1 || r.month > 12 || r.day < 1 || r.year > 10000000 {
			return 0, rangeErr()
		}
		if bc {
			r.year = 1 - r.year
		}
		if r.day > daysInMonth(r.year, r.month) {
			return 0, rangeErr()
		}
	} else if bc {
		return 0, bad()
	}
	switch k {
	case dtTime:
		if !r.hasTime {
			return 0, bad()
		}
		return r.tod, nil
	case dtDate:
		if !r.hasDate {
			return 0, bad()
		}
		jd := date2j(r.year, r.month, r.day)
		days := jd - unixEpochJDate
		if jd < 0 || days >= maxDateDays {
			return 0, Errorf(CodeDatetimeFieldOverflow, "date out of range: \"%s\"", s)
		}
		return days, nil
	}
	if !r.hasDate {
		return 0, bad()
	}
	jd := date2j(r.year, r.month, r.day)
	days := jd - unixEpochJDate
	tsErr := Errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	if jd < 0 || days > maxTimestampDays {
		return 0, tsErr
	}
	us := days*MicrosPerDay + r.tod
	if k == dtTimestamptz && r.hasTZ {
		if r.loc != nil {
			if r.year < -200000 || r.year > 200000 {
				return 0, tsErr
			}
			sec := floorDiv(r.tod, MicrosPerSecond)
			t := time.Date(int(r.year), time.Month(r.month), int(r.day), 0, 0, int(sec), 0, r.loc)
			_, off := t.Zone()
			us -= int64(off) * MicrosPerSecond
		} else {
			us -= r.tzSec * MicrosPerSecond
		}
	}
	if !timestampInRange(us) {
		return 0, tsErr
	}
	return us, nil
}

func adjustTwoDigitYear(y int64) int64 {
	if y < 70 {
		return y + 2000
	}
	if y < 100 {
		return y + 1900
	}
	return y
}

// splitDatetimeFields splits datetime input into fields: whitespace and
// commas separate, an ISO 'T' between date and time separates, and a zone
// suffix (+hh, -hh:mm, Z) glued to a time becomes its own field.
func splitDatetimeFields(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ',' }) {
		// ISO 'T' separator: digit T digit.
		if i := strings.IndexAny(w, "Tt"); i > 0 && i+1 < len(w) && isDigit(w[i-1]) && isDigit(w[i+1]) {
			out = append(out, w[:i])
			w = w[i+1:]
		}
		if strings.IndexByte(w, ':') >= 0 && isDigit(w[0]) {
			// time with optional glued zone
			j := strings.IndexAny(w, "+-Zz")
			if j > 0 {
				out = append(out, w[:j])
				if w[j] == 'Z' || w[j] == 'z' {
					out = append(out, "z")
					if j+1 != len(w) {
						return nil
					}
				} else {
					out = append(out, w[j:])
				}
				continue
			}
		}
		if len(w) > 0 && isDigit(w[0]) {
			// trailing letters glued to a date: "2020-01-02Z"
			j := len(w)
			for j > 0 && isAlpha(w[j-1]) {
				j--
			}
			if j < len(w) && j > 0 && isDigit(w[j-1]) {
				out = append(out, w[:j], w[j:])
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

var errRange = Errorf(CodeDatetimeFieldOverflow, "range")

// parseClock parses H:M[:S[.frac]] into µs. With signed set, hours may
// exceed 23 (interval fields) and the result may not be range checked.
func parseClock(f string, interval bool) (int64, error) {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, errSyntax
	}
	if !allDigits(parts[0]) || len(parts[0]) > 12 {
		return 0, errSyntax
	}
	h, _ := strconv.ParseInt(parts[0], 10, 64)
	var m, frac int64
	var sec int64
	mstr := parts[1]
	if len(parts) == 2 {
		// H:M or, in intervals, M:S.frac
		if i := strings.IndexByte(mstr, '.'); i >= 0 {
			if !interval {
				return 0, errSyntax
			}
			// PostgreSQL reads "MM:SS.frac" when a fraction is present.
			mm, ss := h, mstr
			if !allDigits(ss[:i]) {
				return 0, errSyntax
			}
			s1, _ := strconv.ParseInt(ss[:i], 10, 64)
			fr, err := parseFraction(ss[i+1:])
			if err != nil {
				return 0, err
			}
			return mm*MicrosPerMinute + s1*MicrosPerSecond + fr, nil
		}
	}
	if !allDigits(mstr) || len(mstr) > 2 {
		return 0, errSyntax
	}
	m, _ = strconv.ParseInt(mstr, 10, 64)
	if len(parts) == 3 {
		ss := parts[2]
		if i := strings.IndexByte(ss, '.'); i >= 0 {
			var err error
			frac, err = parseFraction(ss[i+1:])
			if err != nil {
				return 0, err
			}
			ss = ss[:i]
		}
		if !allDigits(ss) || len(ss) > 2 {
			return 0, errSyntax
		}
		sec, _ = strconv.ParseInt(ss, 10, 64)
	}
	if m > 59 || sec > 60 {
		return 0, errRange
	}
	if !interval {
		if h > 24 || (h == 24 && (m != 0 || sec != 0 || frac != 0)) {
			return 0, errRange
		}
	} else if h > math.MaxInt64/MicrosPerHour-1 {
		return 0, errRange
	}
	return h*MicrosPerHour + m*MicrosPerMinute + sec*MicrosPerSecond + frac, nil
}

var errSyntax = Errorf(CodeInvalidDatetimeFormat, "syntax")

// parseFraction converts the digits after a decimal point to µs, rounding
// half to even like PostgreSQL's rint.
func parseFraction(d string) (int64, error) {
	if d == "" {
		return 0, nil
	}
	if !allDigits(d) {
		return 0, errSyntax
	}
	if len(d) > 30 {
		d = d[:30]
	}
	f, _ := strconv.ParseFloat("0."+d, 64)
	return int64(math.RoundToEven(f * 1e6)), nil
}

// parseTZOffset parses +hh, +hhmm, +hh:mm, +hh:mm:ss into seconds east.
func parseTZOffset(f string) (int64, bool) {
	sign := int64(1)
	if f[0] == '-' {
		sign = -1
	}
	f = f[1:]
	var h, m, sec int64
	parts := strings.Split(f, ":")
	switch len(parts) {
	case 1:
		if !allDigits(f) {
			return 0, false
		}
		switch len(f) {
		case 1, 2:
			h, _ = strconv.ParseInt(f, 10, 64)
		case 3, 4:
			h, _ = strconv.ParseInt(f[:len(f)-2], 10, 64)
			m, _ = strconv.ParseInt(f[len(f)-2:], 10, 64)
		default:
			return 0, false
		}
	case 2, 3:
		for _, p := range parts {
			if !allDigits(p) || len(p) > 2 {
				return 0, false
			}
		}
		h, _ = strconv.ParseInt(parts[0], 10, 64)
		m, _ = strconv.ParseInt(parts[1], 10, 64)
		if len(parts) == 3 {
			sec, _ = strconv.ParseInt(parts[2], 10, 64)
		}
	default:
		return 0, false
	}
	if h > 99 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60 + sec), true
}

// interval parsing

type ivUnit uint8

const (
	uNone ivUnit = iota
	uMicro
	uMilli
	uSecond
	uMinute
	uHour
	uDay
	uWeek
	uMonth
	uYear
	uDecade
	uCentury
	uMillennium
)

var intervalUnits = map[string]ivUnit{
	"microsecond": uMicro, "microseconds": uMicro, "us": uMicro, "usec": uMicro, "usecs": uMicro, "useconds": uMicro, "usecond": uMicro,
	"millisecond": uMilli, "milliseconds": uMilli, "ms": uMilli, "msec": uMilli, "msecs": uMilli, "mseconds": uMilli, "msecond": uMilli,
	"second": uSecond, "seconds": uSecond, "s": uSecond, "sec": uSecond, "secs": uSecond,
	"minute": uMinute, "minutes": uMinute, "m": uMinute, "min": uMinute, "mins": uMinute,
	"hour": uHour, "hours": uHour, "h": uHour, "hr": uHour, "hrs": uHour,
	"day": uDay, "days": uDay, "d": uDay,
	"week": uWeek, "weeks": uWeek, "w": uWeek,
	"month": uMonth, "months": uMonth, "mon": uMonth, "mons": uMonth,
	"year": uYear, "years": uYear, "y": uYear, "yr": uYear, "yrs": uYear,
	"decade": uDecade, "decades": uDecade, "dec": uDecade, "decs": uDecade,
	"century": uCentury, "centuries": uCentury, "c": uCentury, "cent": uCentury,
	"millennium": uMillennium, "millennia": uMillennium, "mil": uMillennium, "mils": uMillennium,
}

// ivAcc accumulates interval fields with overflow detection.
type ivAcc struct {
	months, days, micros int64
	overflow             bool
}

func (a *ivAcc) add(unit ivUnit, ip int64, frac float64) {
	mulAdd := func(dst *int64, v, scale int64) {
		if v != 0 && (v > math.MaxInt64/scale || v < math.MinInt64/scale) {
			a.overflow = true
			return
		}
		r := *dst + v*scale
		if (v > 0 && r < *dst) || (v < 0 && r > *dst) {
			a.overflow = true
		}
		*dst = r
	}
	fracMicros := func(f float64, scale int64) {
		v := math.RoundToEven(f * float64(scale))
		if math.Abs(v) > 9e18 {
			a.overflow = true
			return
		}
		mulAdd(&a.micros, int64(v), 1)
	}
	fracDays := func(f float64, scale int64) {
		// whole days, then the rest as µs (AdjustFractDays)
		d := f * float64(scale)
		whole := math.Trunc(d)
		mulAdd(&a.days, int64(whole), 1)
		fracMicros(d-whole, MicrosPerDay)
	}
	switch unit {
	case uMicro:
		mulAdd(&a.micros, ip, 1)
		a.micros += int64(math.RoundToEven(frac))
	case uMilli:
		mulAdd(&a.micros, ip, 1000)
		fracMicros(frac, 1000)
	case uSecond:
		mulAdd(&a.micros, ip, MicrosPerSecond)
		fracMicros(frac, MicrosPerSecond)
	case uMinute:
		mulAdd(&a.micros, ip, MicrosPerMinute)
		fracMicros(frac, MicrosPerMinute)
	case uHour:
		mulAdd(&a.micros, ip, MicrosPerHour)
		fracMicros(frac, MicrosPerHour)
	case uDay:
		mulAdd(&a.days, ip, 1)
		fracMicros(frac, MicrosPerDay)
	case uWeek:
		mulAdd(&a.days, ip, 7)
		fracDays(frac, 7)
	case uMonth:
		mulAdd(&a.months, ip, 1)
		fracDays(frac, 30)
	case uYear, uDecade, uCentury, uMillennium:
		scale := map[ivUnit]int64{uYear: 1, uDecade: 10, uCentury: 100, uMillennium: 1000}[unit]
		mulAdd(&a.months, ip, 12*scale)
		a.months += int64(math.RoundToEven(frac * float64(scale) * 12))
	}
}

func (a *ivAcc) result() (IntervalValue, bool) {
	if a.overflow || a.months != int64(int32(a.months)) || a.days != int64(int32(a.days)) {
		return IntervalValue{}, false
	}
	return IntervalValue{Months: int32(a.months), Days: int32(a.days), Micros: a.micros}, true
}

// splitNumber splits a signed decimal number into integer part and fraction
// (same sign). ok is false on bad syntax.
func splitNumber(s string) (ip int64, frac float64, ok bool) {
	if s == "" {
		return 0, 0, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	intStr, fracStr := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intStr, fracStr = s[:i], s[i+1:]
		if fracStr != "" && !allDigits(fracStr) {
			return 0, 0, false
		}
	}
	if intStr == "" && fracStr == "" {
		return 0, 0, false
	}
	if intStr != "" {
		if !allDigits(intStr) {
			return 0, 0, false
		}
		v, err := strconv.ParseInt(intStr, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ip = v
	}
	if fracStr != "" {
		frac, _ = strconv.ParseFloat("0."+fracStr, 64)
	}
	if neg {
		ip, frac = -ip, -frac
	}
	return ip, frac, true
}

// parseInterval parses PostgreSQL interval input (postgres style, SQL
// standard fields and ISO 8601 "P..." forms).
func parseInterval(s string) (IntervalValue, error) {
	bad := func() error {
		return Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", s)
	}
	overflow := func() error {
		return Errorf(codeIntervalFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	str := strings.TrimSpace(s)
	if str == "" {
		return IntervalValue{}, bad()
	}
	if str[0] == 'P' || str[0] == 'p' {
		return parseISOInterval(s, str)
	}
	// Tokenize: numbers, words, time fields; "1day" splits into two.
	var toks []string
	for _, w := range strings.Fields(str) {
		for w != "" {
			if isAlpha(w[0]) {
				j := 0
				for j < len(w) && isAlpha(w[j]) {
					j++
				}
				toks = append(toks, w[:j])
				w = w[j:]
				continue
			}
			if w[0] == '@' {
				w = w[1:]
				continue
			}
			j := 1
			for j < len(w) && (isDigit(w[j]) || w[j] == '.' || w[j] == ':' || w[j] == '-') {
				j++
			}
			toks = append(toks, w[:j])
			w = w[j:]
		}
	}
	var acc ivAcc
	ago := false
	unit := uNone
	timeSeen, dayDefault := false, false
	any := false
	// Right to left, as PostgreSQL's DecodeInterval: a unit names the number
	// to its left; a bare number left of a time field is days; a trailing
	// bare number is seconds.
	for i := len(toks) - 1; i >= 0; i-- {
		t := toks[i]
		c := t[0]
		if isAlpha(c) {
			lt := strings.ToLower(t)
			if lt == "ago" {
				if i != len(toks)-1 || ago {
					return IntervalValue{}, bad()
				}
				ago = true
				continue
			}
			u, ok := intervalUnits[lt]
			if !ok || unit != uNone {
				return IntervalValue{}, bad()
			}
			unit = u
			dayDefault = false
			continue
		}
		if strings.IndexByte(t, ':') >= 0 {
			if unit != uNone || timeSeen {
				return IntervalValue{}, bad()
			}
			neg := false
			body := t
			if c == '-' || c == '+' {
				neg = c == '-'
				body = t[1:]
			}
			us, err := parseClock(body, true)
			if err == errRange {
				return IntervalValue{}, overflow()
			}
			if err != nil {
				return IntervalValue{}, bad()
			}
			if neg {
				us = -us
			}
			acc.add(uMicro, us, 0)
			timeSeen, any, dayDefault = true, true, true
			continue
		}
		// year-month "1-2"
		if k := strings.IndexByte(t[1:], '-'); k >= 0 && unit == uNone {
			k++
			yStr, mStr := t[:k], t[k+1:]
			y, yf, ok1 := splitNumber(yStr)
			m, mf, ok2 := splitNumber(mStr)
			if !ok1 || !ok2 || yf != 0 || mf != 0 || mStr == "" || !isDigit(mStr[0]) {
				return IntervalValue{}, bad()
			}
			if y < 0 {
				m = -m
			}
			acc.add(uYear, y, 0)
			acc.add(uMonth, m, 0)
			any = true
			continue
		}
		ip, frac, ok := splitNumber(t)
		if !ok {
			return IntervalValue{}, bad()
		}
		u := unit
		if u == uNone {
			u = uSecond
			if dayDefault {
				u = uDay
			}
		}
		acc.add(u, ip, frac)
		any, dayDefault = true, false
		unit = uNone
	}
	if unit != uNone || !any {
		return IntervalValue{}, bad()
	}
	iv, ok := acc.result()
	if !ok {
		return IntervalValue{}, overflow()
	}
	if ago {
		var err error
		if iv, err = NegateInterval(iv); err != nil {
			return iv, overflow()
		}
	}
	return iv, nil
}

func parseISOInterval(orig, s string) (IntervalValue, error) {
	bad := func() (IntervalValue, error) {
		return IntervalValue{}, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", orig)
	}
	s = s[1:]
	var acc ivAcc
	inTime := false
	if s == "" {
		return bad()
	}
	for s != "" {
		if s[0] == 'T' || s[0] == 't' {
			if inTime {
				return bad()
			}
			inTime = true
			s = s[1:]
			if s == "" {
				return bad()
			}
			continue
		}
		j := 0
		for j < len(s) && (isDigit(s[j]) || s[j] == '.' || ((s[j] == '-' || s[j] == '+') && j == 0)) {
			j++
		}
		if j == 0 || j == len(s) {
			return bad()
		}
		ip, frac, ok := splitNumber(s[:j])
		if !ok {
			return bad()
		}
		var u ivUnit
		switch s[j] | 0x20 {
		case 'y':
			u = uYear
		case 'm':
			if inTime {
				u = uMinute
			} else {
				u = uMonth
			}
		case 'w':
			u = uWeek
		case 'd':
			u = uDay
		case 'h':
			u = uHour
		case 's':
			u = uSecond
		default:
			return bad()
		}
		if inTime != (u == uHour || u == uMinute || u == uSecond) {
			return bad()
		}
		acc.add(u, ip, frac)
		s = s[j+1:]
	}
	iv, ok := acc.result()
	if !ok {
		return iv, Errorf(codeIntervalFieldOverflow, "interval field value out of range: \"%s\"", orig)
	}
	return iv, nil
}
