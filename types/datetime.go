package types

import (
	"math"
	"time"
)

// Calendar constants. Dates are days since 1970-01-01; times are µs since
// midnight; timestamps are µs since 1970-01-01 00:00:00 UTC.
const (
	MicrosPerSecond = int64(1000000)
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
	MicrosPerDay    = 24 * MicrosPerHour

	unixEpochJDate     = 2440588 // Julian day of 1970-01-01
	postgresEpochJDate = 2451545 // Julian day of 2000-01-01
	// pgEpochDays is the number of days from 1970-01-01 to 2000-01-01.
	pgEpochDays = postgresEpochJDate - unixEpochJDate
	// pgEpochMicros is the number of µs from 1970-01-01 to 2000-01-01.
	pgEpochMicros = int64(pgEpochDays) * MicrosPerDay

	codeIntervalFieldOverflow = "22015"
)

// Special date and timestamp values ('infinity' and '-infinity').
const (
	DateNegInfinity      = int64(math.MinInt32)
	DateInfinity         = int64(math.MaxInt32)
	TimestampNegInfinity = int64(math.MinInt64)
	TimestampInfinity    = int64(math.MaxInt64)
)

// Supported ranges, as in PostgreSQL: dates from Julian day 0 (4714-11-24 BC)
// to 5874897-12-31, timestamps from 4714-11-24 BC to 294276-12-31.
const (
	minDateDays    = int64(-unixEpochJDate)             // Julian day 0
	maxDateDays    = int64(2147483494 - unixEpochJDate) // 5874898-01-01 exclusive (date2j)
	minTimestampUs = minDateDays * MicrosPerDay         // 4714-11-24 BC 00:00
	// PostgreSQL allows timestamps up to 294276-12-31; with a 1970 epoch
	// int64 µs end earlier (294247-01-10), so that is the limit here.
	maxTimestampUs   = int64(math.MaxInt64 - 1)      // inclusive
	maxTimestampDays = maxTimestampUs / MicrosPerDay // last whole day (exclusive bound for dates)
)

// date2j converts a proleptic Gregorian date (astronomical year: 1 BC = 0)
// to a Julian day number, as PostgreSQL's date2j.
func date2j(year, month, day int64) int64 {
	if month > 2 {
		month++
		year += 4800
	} else {
		month += 13
		year += 4799
	}
	century := year / 100
	julian := year*365 - 32167
	julian += year/4 - century + century/4
	julian += 7834*month/256 + day
	return julian
}

// j2date converts a Julian day number to year (astronomical), month, day.
func j2date(jd int64) (year, month, day int64) {
	julian := uint64(jd)
	julian += 32044
	quad := julian / 146097
	extra := (julian-quad*146097)*4 + 3
	julian += 60 + quad*3 + extra/146097
	quad = julian / 1461
	julian -= quad * 1461
	y := julian * 4 / 1461
	if y != 0 {
		julian = (julian+305)%365 + 123
	} else {
		julian = (julian+306)%366 + 123
	}
	y += quad * 4
	year = int64(y) - 4800
	quad = julian * 2141 / 65536
	day = int64(julian - 7834*quad/256)
	month = int64((quad+10)%12 + 1)
	return
}

// DateFromYMD returns days since 1970-01-01 of a proleptic Gregorian date;
// year is astronomical (0 = 1 BC).
func DateFromYMD(year, month, day int) int64 {
	return date2j(int64(year), int64(month), int64(day)) - unixEpochJDate
}

// YMDFromDate splits days since 1970-01-01 into astronomical year, month
// and day.
func YMDFromDate(days int64) (year, month, day int) {
	y, m, d := j2date(days + unixEpochJDate)
	return int(y), int(m), int(d)
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// TimestampFromTime converts a Go time to µs since 1970-01-01 UTC.
func TimestampFromTime(t time.Time) int64 {
	return t.Unix()*MicrosPerSecond + int64(t.Nanosecond()/1000)
}

// TimeFromTimestamp converts µs since 1970-01-01 UTC to a Go time in UTC.
func TimeFromTimestamp(us int64) time.Time {
	return time.Unix(floorDiv(us, MicrosPerSecond), floorMod(us, MicrosPerSecond)*1000).UTC()
}

// DateFromTimestamp returns the date (days since 1970-01-01) of a timestamp,
// mapping infinities to date infinities.
func DateFromTimestamp(us int64) int64 {
	switch us {
	case TimestampInfinity:
		return DateInfinity
	case TimestampNegInfinity:
		return DateNegInfinity
	}
	return floorDiv(us, MicrosPerDay)
}

// TimestampFromDate returns midnight of a date as a timestamp, mapping
// infinities; 22008 when the date is beyond the timestamp range.
func TimestampFromDate(days int64) (int64, error) {
	switch days {
	case DateInfinity:
		return TimestampInfinity, nil
	case DateNegInfinity:
		return TimestampNegInfinity, nil
	}
	if days >= maxTimestampDays || days < minDateDays {
		return 0, Errorf(CodeDatetimeFieldOverflow, "date out of range for timestamp")
	}
	return days * MicrosPerDay, nil
}

// TimeOfTimestamp returns the time of day (µs since midnight) of a timestamp.
func TimeOfTimestamp(us int64) int64 { return floorMod(us, MicrosPerDay) }

// IsFiniteTimestamp reports whether a timestamp is neither infinity.
func IsFiniteTimestamp(us int64) bool {
	return us != TimestampInfinity && us != TimestampNegInfinity
}

// IsFiniteDate reports whether a date is neither infinity.
func IsFiniteDate(days int64) bool { return days != DateInfinity && days != DateNegInfinity }

func timestampInRange(us int64) bool {
	return us >= minTimestampUs && us <= maxTimestampUs
}

// AddInterval adds an interval to a timestamp the way PostgreSQL's
// timestamp_pl_interval does: months via the calendar (clamping the day to
// the month's end), then days, then µs. Infinite timestamps stay infinite.
// Errors are 22008 "timestamp out of range".
func AddInterval(ts int64, iv IntervalValue) (int64, error) {
	if !IsFiniteTimestamp(ts) {
		return ts, nil
	}
	errRange := Errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
	if iv.Months != 0 {
		days := floorDiv(ts, MicrosPerDay)
		tod := ts - days*MicrosPerDay
		y, m, d := j2date(days + unixEpochJDate)
		mon := y*12 + (m - 1) + int64(iv.Months)
		y = floorDiv(mon, 12)
		m = floorMod(mon, 12) + 1
		if y < -4713 || y > 294277 {
			return 0, errRange
		}
		if dim := daysInMonth(y, m); d > dim {
			d = dim
		}
		ts = (date2j(y, m, d)-unixEpochJDate)*MicrosPerDay + tod
	}
	if iv.Days != 0 {
		days := floorDiv(ts, MicrosPerDay)
		tod := ts - days*MicrosPerDay
		days += int64(iv.Days)
		ts = days*MicrosPerDay + tod
	}
	r := ts + iv.Micros
	if (iv.Micros > 0 && r < ts) || (iv.Micros < 0 && r > ts) || !timestampInRange(r) {
		return 0, errRange
	}
	return r, nil
}

// IntervalTotalMicros returns the span of an interval in µs counting a month
// as 30 days and a day as 24 hours (PostgreSQL's interval_cmp_value),
// saturating at the int64 range. Use CompareInterval for exact ordering.
func IntervalTotalMicros(iv IntervalValue) int64 {
	days := int64(iv.Months)*30 + int64(iv.Days)
	f := float64(days)*float64(MicrosPerDay) + float64(iv.Micros)
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	if f <= math.MinInt64 {
		return math.MinInt64
	}
	if days > -100000000 && days < 100000000 {
		// exact in int64
		r := days*MicrosPerDay + iv.Micros
		if (iv.Micros > 0 && r >= days*MicrosPerDay) || (iv.Micros <= 0 && r <= days*MicrosPerDay) {
			return r
		}
	}
	return int64(f)
}

// CompareInterval orders intervals by total span (months as 30 days, days as
// 24 hours) exactly, like PostgreSQL's interval_cmp.
func CompareInterval(a, b IntervalValue) int {
	ad, ar := intervalSpan(a)
	bd, br := intervalSpan(b)
	switch {
	case ad < bd:
		return -1
	case ad > bd:
		return 1
	case ar < br:
		return -1
	case ar > br:
		return 1
	}
	return 0
}

func intervalSpan(iv IntervalValue) (days, rem int64) {
	days = int64(iv.Months)*30 + int64(iv.Days) + floorDiv(iv.Micros, MicrosPerDay)
	return days, floorMod(iv.Micros, MicrosPerDay)
}

// JustifyHours moves whole 24-hour periods of the µs part into days
// (PostgreSQL's justify_hours).
func JustifyHours(iv IntervalValue) IntervalValue {
	d := iv.Micros / MicrosPerDay
	iv.Micros -= d * MicrosPerDay
	iv.Days += int32(d)
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += MicrosPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= MicrosPerDay
		iv.Days++
	}
	return iv
}

// JustifyDays moves whole 30-day periods of the days part into months
// (PostgreSQL's justify_days).
func JustifyDays(iv IntervalValue) IntervalValue {
	m := iv.Days / 30
	iv.Days -= m * 30
	iv.Months += m
	if iv.Months > 0 && iv.Days < 0 {
		iv.Days += 30
		iv.Months--
	} else if iv.Months < 0 && iv.Days > 0 {
		iv.Days -= 30
		iv.Months++
	}
	return iv
}

// JustifyInterval applies JustifyHours then JustifyDays with consistent
// signs (PostgreSQL's justify_interval).
func JustifyInterval(iv IntervalValue) IntervalValue {
	m := iv.Days / 30
	iv.Days -= m * 30
	iv.Months += m
	d := iv.Micros / MicrosPerDay
	iv.Micros -= d * MicrosPerDay
	iv.Days += int32(d)
	m = iv.Days / 30
	iv.Days -= m * 30
	iv.Months += m
	if iv.Months > 0 && (iv.Days < 0 || (iv.Days == 0 && iv.Micros < 0)) {
		iv.Days += 30
		iv.Months--
	} else if iv.Months < 0 && (iv.Days > 0 || (iv.Days == 0 && iv.Micros > 0)) {
		iv.Days -= 30
		iv.Months++
	}
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += MicrosPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= MicrosPerDay
		iv.Days++
	}
	return iv
}

// NegateInterval returns -iv (22015 on overflow).
func NegateInterval(iv IntervalValue) (IntervalValue, error) {
	if iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Micros == math.MinInt64 {
		return iv, Errorf(codeIntervalFieldOverflow, "interval out of range")
	}
	return IntervalValue{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}, nil
}

// AddIntervals returns a+b field by field (22015 on overflow).
func AddIntervals(a, b IntervalValue) (IntervalValue, error) {
	m := int64(a.Months) + int64(b.Months)
	d := int64(a.Days) + int64(b.Days)
	us := a.Micros + b.Micros
	if m != int64(int32(m)) || d != int64(int32(d)) || (b.Micros > 0 && us < a.Micros) || (b.Micros < 0 && us > a.Micros) {
		return a, Errorf(codeIntervalFieldOverflow, "interval out of range")
	}
	return IntervalValue{Months: int32(m), Days: int32(d), Micros: us}, nil
}

// appendDate appends YYYY-MM-DD[ BC] of days since 1970-01-01 (ISO style).
func appendDate(buf []byte, days int64) []byte {
	switch days {
	case DateInfinity:
		return append(buf, "infinity"...)
	case DateNegInfinity:
		return append(buf, "-infinity"...)
	}
	y, m, d := j2date(days + unixEpochJDate)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, '-')
	buf = appendPadded(buf, d, 2)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

func appendPadded(buf []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	for n := len(tmp) - i; n < width; n++ {
		buf = append(buf, '0')
	}
	return append(buf, tmp[i:]...)
}

// appendTimeOfDay appends HH:MM:SS[.ffffff] (trailing zeros trimmed).
func appendTimeOfDay(buf []byte, us int64) []byte {
	h := us / MicrosPerHour
	us -= h * MicrosPerHour
	mi := us / MicrosPerMinute
	us -= mi * MicrosPerMinute
	buf = appendPadded(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, mi, 2)
	buf = append(buf, ':')
	return appendSeconds(buf, us)
}

// appendSeconds appends SS[.ffffff] for a non-negative µs count below 60 s
// (or any count for interval hours overflow-safe use).
func appendSeconds(buf []byte, us int64) []byte {
	s := us / MicrosPerSecond
	f := us % MicrosPerSecond
	buf = appendPadded(buf, s, 2)
	if f != 0 {
		buf = append(buf, '.')
		n := len(buf)
		buf = appendPadded(buf, f, 6)
		for len(buf) > n && buf[len(buf)-1] == '0' {
			buf = buf[:len(buf)-1]
		}
	}
	return buf
}

// appendTimestamp appends the ISO form of a timestamp; tz adds "+00".
func appendTimestamp(buf []byte, us int64, tz bool) []byte {
	switch us {
	case TimestampInfinity:
		return append(buf, "infinity"...)
	case TimestampNegInfinity:
		return append(buf, "-infinity"...)
	}
	days := floorDiv(us, MicrosPerDay)
	y, m, d := j2date(days + unixEpochJDate)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, '-')
	buf = appendPadded(buf, d, 2)
	buf = append(buf, ' ')
	buf = appendTimeOfDay(buf, us-days*MicrosPerDay)
	if tz {
		buf = append(buf, "+00"...)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendInterval appends the "postgres" IntervalStyle form.
func appendInterval(buf []byte, iv IntervalValue) []byte {
	year := int64(iv.Months / 12)
	mon := int64(iv.Months % 12)
	day := int64(iv.Days)
	t := iv.Micros
	// Work on magnitudes of the time part to avoid overflow at MinInt64.
	neg := t < 0
	var ut uint64
	if neg {
		ut = uint64(-(t + 1)) + 1
	} else {
		ut = uint64(t)
	}
	hour := ut / uint64(MicrosPerHour)
	rest := int64(ut % uint64(MicrosPerHour))
	min := rest / MicrosPerMinute
	secus := rest % MicrosPerMinute

	isZero, isBefore := true, false
	addPart := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && v > 0 {
			buf = append(buf, '+')
		}
		buf = appendInt(buf, v)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		isBefore = v < 0
		isZero = false
	}
	addPart(year, "year")
	addPart(mon, "mon")
	addPart(day, "day")
	if isZero || t != 0 {
		if !isZero {
			buf = append(buf, ' ')
		}
		if neg {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		buf = appendPadded(buf, int64(hour), 2)
		buf = append(buf, ':')
		buf = appendPadded(buf, min, 2)
		buf = append(buf, ':')
		buf = appendSeconds(buf, secus)
	}
	return buf
}

func appendInt(buf []byte, v int64) []byte {
	if v < 0 {
		buf = append(buf, '-')
		return appendPadded(buf, -v, 1)
	}
	return appendPadded(buf, v, 1)
}
