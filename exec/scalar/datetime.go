package scalar

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

var (
	tDate  = types.TDate
	tTime  = types.TTime
	tTS    = types.TTimestamp
	tTSTZ  = types.TTimestamptz
	tIv    = types.TInterval
	tF8    = types.TFloat8
	tNum   = types.TNumeric
	usDay  = types.MicrosPerDay
	minDay = int64(-2440588)             // Julian day 0
	maxDay = int64(2147483494 - 2440588) // exclusive
)

func errDateRange() error { return types.Errorf(types.CodeDatetimeFieldOverflow, "date out of range") }
func errTSRange() error {
	return types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range")
}

// kern2 adapts a two-argument per-row function over the physical slices of
// the argument vectors (no per-row interface values).
func kern2[A, B2, R any](get1 func(*exec.Vec) []A, get2 func(*exec.Vec) []B2, put func(*exec.Vec) []R, f func(a A, b B2) (R, error)) KernelFn {
	return func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		x, y, o := get1(args[0]), get2(args[1]), put(out)
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			v, err := f(x[r], y[r])
			if err != nil {
				return err
			}
			o[r] = v
		}
		return nil
	}
}

func ints64(v *exec.Vec) []int64            { return v.Int }
func floats(v *exec.Vec) []float64          { return v.Float }
func ivs(v *exec.Vec) []types.IntervalValue { return v.Iv }
func swap[A, B2, R any](f func(A, B2) (R, error)) func(B2, A) (R, error) {
	return func(b B2, a A) (R, error) { return f(a, b) }
}

func dateAddDays(d, n int64) (int64, error) {
	if !types.IsFiniteDate(d) {
		return d, nil
	}
	r := d + n
	if r < minDay || r >= maxDay {
		return 0, errDateRange()
	}
	return r, nil
}

func dateToTS(d int64) (int64, error) { return types.TimestampFromDate(d) }

func tsMinusTS(a, b int64) (types.IntervalValue, error) {
	if !types.IsFiniteTimestamp(a) || !types.IsFiniteTimestamp(b) {
		return types.IntervalValue{}, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	d := a - b
	if (b < 0 && d < a) || (b > 0 && d > a) {
		return types.IntervalValue{}, types.Errorf("22015", "interval out of range")
	}
	return types.JustifyHours(types.IntervalValue{Micros: d}), nil
}

func tsPlusIv(ts int64, iv types.IntervalValue) (int64, error) { return types.AddInterval(ts, iv) }

func tsMinusIv(ts int64, iv types.IntervalValue) (int64, error) {
	n, err := types.NegateInterval(iv)
	if err != nil {
		return 0, err
	}
	return types.AddInterval(ts, n)
}

// ivMul is PostgreSQL's interval_mul (fractional months spill into days and
// fractional days into time, rounded to µs).
func ivMul(iv types.IntervalValue, f float64) (types.IntervalValue, error) {
	errR := types.Errorf("22015", "interval out of range")
	if math.IsNaN(f) {
		return iv, errR
	}
	md := float64(iv.Months) * f
	if math.IsNaN(md) || md > math.MaxInt32 || md < math.MinInt32 {
		return iv, errR
	}
	var res types.IntervalValue
	res.Months = int32(md)
	dd := float64(iv.Days) * f
	if math.IsNaN(dd) || dd > math.MaxInt32 || dd < math.MinInt32 {
		return iv, errR
	}
	res.Days = int32(dd)
	tsround := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	monthRemDays := tsround((md - float64(res.Months)) * 30)
	secRem := tsround((dd - float64(res.Days) + monthRemDays - float64(int64(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		res.Days += int32(secRem / 86400)
		secRem -= float64(int64(secRem/86400)) * 86400
	}
	res.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)*f + secRem*1e6)
	if math.IsNaN(t) || t >= 9.223372036854775807e18 || t < -9.223372036854775808e18 {
		return iv, errR
	}
	res.Micros = int64(t)
	return res, nil
}

func ivDiv(iv types.IntervalValue, f float64) (types.IntervalValue, error) {
	if f == 0 {
		return iv, errDivByZero()
	}
	return ivMul(iv, 1/f)
}

func init() {
	reg("+", sig(tDate, tI4), tDate, kern2(ints64, ints64, ints64, dateAddDays))
	reg("+", sig(tI4, tDate), tDate, kern2(ints64, ints64, ints64, swap(dateAddDays)))
	reg("-", sig(tDate, tI4), tDate, kern2(ints64, ints64, ints64, func(d, n int64) (int64, error) { return dateAddDays(d, -n) }))
	reg("-", sig(tDate, tDate), tI4, kern2(ints64, ints64, ints64, func(a, b int64) (int64, error) {
		if !types.IsFiniteDate(a) || !types.IsFiniteDate(b) {
			return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return a - b, nil
	}))
	datePlusIv := func(d int64, iv types.IntervalValue) (int64, error) {
		ts, err := dateToTS(d)
		if err != nil {
			return 0, err
		}
		return tsPlusIv(ts, iv)
	}
	reg("+", sig(tDate, tIv), tTS, kern2(ints64, ivs, ints64, datePlusIv))
	reg("+", sig(tIv, tDate), tTS, kern2(ivs, ints64, ints64, swap(datePlusIv)))
	reg("-", sig(tDate, tIv), tTS, kern2(ints64, ivs, ints64, func(d int64, iv types.IntervalValue) (int64, error) {
		ts, err := dateToTS(d)
		if err != nil {
			return 0, err
		}
		return tsMinusIv(ts, iv)
	}))
	reg("+", sig(tDate, tTime), tTS, kern2(ints64, ints64, ints64, func(d, t int64) (int64, error) {
		ts, err := dateToTS(d)
		if err != nil || !types.IsFiniteTimestamp(ts) {
			return ts, err
		}
		return ts + t, nil
	}))
	for _, t := range []types.T{tTS, tTSTZ} {
		reg("+", sig(t, tIv), t, kern2(ints64, ivs, ints64, tsPlusIv))
		reg("+", sig(tIv, t), t, kern2(ivs, ints64, ints64, swap(tsPlusIv)))
		reg("-", sig(t, tIv), t, kern2(ints64, ivs, ints64, tsMinusIv))
		reg("-", sig(t, t), tIv, kern2(ints64, ints64, ivs, tsMinusTS))
	}
	timePlus := func(t int64, iv types.IntervalValue) (int64, error) {
		r := (t + iv.Micros%usDay) % usDay
		if r < 0 {
			r += usDay
		}
		return r, nil
	}
	reg("+", sig(tTime, tIv), tTime, kern2(ints64, ivs, ints64, timePlus))
	reg("+", sig(tIv, tTime), tTime, kern2(ivs, ints64, ints64, swap(timePlus)))
	reg("-", sig(tTime, tIv), tTime, kern2(ints64, ivs, ints64, func(t int64, iv types.IntervalValue) (int64, error) {
		return timePlus(t, types.IntervalValue{Micros: -(iv.Micros % usDay)})
	}))
	reg("-", sig(tTime, tTime), tIv, kern2(ints64, ints64, ivs, func(a, b int64) (types.IntervalValue, error) {
		return types.IntervalValue{Micros: a - b}, nil
	}))
	reg("+", sig(tIv, tIv), tIv, kern2(ivs, ivs, ivs, types.AddIntervals))
	reg("-", sig(tIv, tIv), tIv, kern2(ivs, ivs, ivs, func(a, b types.IntervalValue) (types.IntervalValue, error) {
		nb, err := types.NegateInterval(b)
		if err != nil {
			return a, err
		}
		return types.AddIntervals(a, nb)
	}))
	reg("u-", sig(tIv), tIv, func(_ *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		for k, n := 0, c.Len(); k < n; k++ {
			r := c.Row(k)
			v, err := types.NegateInterval(args[0].Iv[r])
			if err != nil {
				return err
			}
			out.Iv[r] = v
		}
		return nil
	})
	reg("u+", sig(tIv), tIv, identity)
	reg("*", sig(tIv, tF8), tIv, kern2(ivs, floats, ivs, ivMul))
	reg("*", sig(tF8, tIv), tIv, kern2(floats, ivs, ivs, swap(ivMul)))
	reg("/", sig(tIv, tF8), tIv, kern2(ivs, floats, ivs, ivDiv))

	Register(&Overload{Name: "now", Ret: tTSTZ, Volatile: true, Fn: nowFn(func(ec *exec.EvalCtx) types.Datum {
		return types.NewInt(types.TimestampFromTime(ec.Now))
	})})
	Register(&Overload{Name: "localtimestamp", Ret: tTS, Volatile: true, Fn: nowFn(func(ec *exec.EvalCtx) types.Datum {
		return types.NewInt(types.TimestampFromTime(ec.Now))
	})})
	Register(&Overload{Name: "current_date", Ret: tDate, Volatile: true, Fn: nowFn(func(ec *exec.EvalCtx) types.Datum {
		return types.NewInt(types.DateFromTimestamp(types.TimestampFromTime(ec.Now)))
	})})
	Register(&Overload{Name: "clock_timestamp", Ret: tTSTZ, Volatile: true, Fn: nowFn(func(*exec.EvalCtx) types.Datum {
		return types.NewInt(types.TimestampFromTime(time.Now()))
	})})

	for _, t := range []types.T{tTS, tTSTZ} {
		t := t
		reg("date_trunc", sig(tT, t), t, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			r, err := truncTS(strings.ToLower(string(a[0].S)), a[1].I, t)
			return types.NewInt(r), err
		}))
	}
	reg("date_trunc", sig(tT, tIv), tIv, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		r, err := truncIv(strings.ToLower(string(a[0].S)), a[1].Iv)
		return types.NewInterval(r), err
	}))
	for _, t := range []types.T{tTS, tTSTZ, tDate, tTime, tIv} {
		t := t
		reg("extract", sig(tT, t), tNum, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			return extract(strings.ToLower(string(a[0].S)), t, a[1], true)
		}))
		reg("date_part", sig(tT, t), tF8, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			return extract(strings.ToLower(string(a[0].S)), t, a[1], false)
		}))
	}
	reg("make_date", sig(tI4, tI4, tI4), tDate, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		d, err := makeDate(a[0].I, a[1].I, a[2].I)
		return types.NewInt(d), err
	}))
	reg("make_timestamp", sig(tI4, tI4, tI4, tI4, tI4, tF8), tTS, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		d, err := makeDate(a[0].I, a[1].I, a[2].I)
		if err != nil {
			return types.Null, err
		}
		h, mi, s := a[3].I, a[4].I, a[5].F
		if h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 || math.IsNaN(s) || (h == 24 && (mi > 0 || s > 0)) {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, mi, strconv.FormatFloat(s, 'g', -1, 64))
		}
		us := d*usDay + h*types.MicrosPerHour + mi*types.MicrosPerMinute + int64(math.RoundToEven(s*1e6))
		return types.NewInt(us), nil
	}))
	reg("to_timestamp", sig(tF8), tTSTZ, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		f := a[0].F
		switch {
		case math.IsNaN(f):
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(f, 1):
			return types.NewInt(types.TimestampInfinity), nil
		case math.IsInf(f, -1):
			return types.NewInt(types.TimestampNegInfinity), nil
		}
		us := math.RoundToEven(f * 1e6)
		if us < float64(minDay)*float64(usDay) || us >= 9.2233e18 {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", strconv.FormatFloat(f, 'g', -1, 64))
		}
		return types.NewInt(int64(us)), nil
	}))
	for _, t := range []types.T{tTS, tTSTZ} {
		reg("to_char", sig(t, tT), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			if !types.IsFiniteTimestamp(a[0].I) {
				return types.Null, nil
			}
			return retStr(arena, toChar(types.TimeFromTimestamp(a[0].I), string(a[1].S))), nil
		}))
	}
	reg("age", sig(tTS, tTS), tIv, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		iv, err := age(a[0].I, a[1].I)
		return types.NewInterval(iv), err
	}))
	reg("age", sig(tTSTZ, tTSTZ), tIv, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		iv, err := age(a[0].I, a[1].I)
		return types.NewInterval(iv), err
	}))
	for _, name := range []string{"justify_hours", "justify_days", "justify_interval"} {
		f := map[string]func(types.IntervalValue) types.IntervalValue{"justify_hours": types.JustifyHours,
			"justify_days": types.JustifyDays, "justify_interval": types.JustifyInterval}[name]
		reg(name, sig(tIv), tIv, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			return types.NewInterval(f(a[0].Iv)), nil
		}))
	}
}

func nowFn(f func(ec *exec.EvalCtx) types.Datum) KernelFn {
	return func(ec *exec.EvalCtx, _ []*exec.Vec, c *exec.Chunk, out *exec.Vec) error {
		d := f(ec)
		for k, n := 0, c.Len(); k < n; k++ {
			out.Set(c.Row(k), d)
		}
		return nil
	}
}

func makeDate(y, m, d int64) (int64, error) {
	bad := func() (int64, error) {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	if y == 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return bad()
	}
	ay := y
	if ay < 0 {
		ay++ // BC: astronomical year numbering
	}
	days := int64(types.DateFromYMD(int(ay), int(m), int(d)))
	yy, mm, dd := types.YMDFromDate(days)
	if int64(yy) != ay || int64(mm) != m || int64(dd) != d {
		return bad()
	}
	if days < minDay || days >= maxDay {
		return 0, errDateRange()
	}
	return days, nil
}

// pgYear converts an astronomical year to PostgreSQL's (no year 0).
func pgYear(y int) int64 {
	if y <= 0 {
		return int64(y) - 1
	}
	return int64(y)
}

func truncTS(unit string, ts int64, typ types.T) (int64, error) {
	if !types.IsFiniteTimestamp(ts) {
		return ts, nil
	}
	days := floorDivI(ts, usDay)
	tod := ts - days*usDay
	y, m, d := types.YMDFromDate(days)
	ymd := func(y, m, d int) int64 { return int64(types.DateFromYMD(y, m, d)) * usDay }
	switch unit {
	case "microseconds", "microsecond", "us", "usec", "usecs":
		return ts, nil
	case "milliseconds", "millisecond", "ms", "msec", "msecs":
		return ts - floorModI(ts, 1000), nil
	case "second", "seconds", "sec", "secs", "s":
		return ts - floorModI(ts, types.MicrosPerSecond), nil
	case "minute", "minutes", "min", "mins", "m":
		return ts - floorModI(ts, types.MicrosPerMinute), nil
	case "hour", "hours", "h", "hr", "hrs":
		return ts - floorModI(ts, types.MicrosPerHour), nil
	case "day", "days", "d":
		return ts - tod, nil
	case "week", "weeks", "w":
		wd := int64(types.TimeFromTimestamp(ts).Weekday()) // Sunday 0
		back := (wd + 6) % 7
		return (days - back) * usDay, nil
	case "month", "months", "mon", "mons":
		return ymd(y, m, 1), nil
	case "quarter", "qtr":
		return ymd(y, (m-1)/3*3+1, 1), nil
	case "year", "years", "y", "yr", "yrs":
		return ymd(y, 1, 1), nil
	case "decade", "decades":
		py := pgYear(y)
		var dy int64
		if py > 0 {
			dy = py / 10 * 10
		} else {
			dy = -((8-(py-1))/10)*10 + 1 // PG: first year of the decade counting BC
		}
		if dy <= 0 {
			dy++
		}
		return ymd(int(dy), 1, 1), nil
	case "century", "centuries", "c", "cent":
		py := pgYear(y)
		var cy int64
		if py > 0 {
			cy = ((py+99)/100)*100 - 99
		} else {
			cy = -((99-(py-1))/100)*100 + 1
		}
		if cy < 0 {
			cy++
		}
		return ymd(int(cy), 1, 1), nil
	case "millennium", "millennia", "mil", "mils":
		py := pgYear(y)
		var my int64
		if py > 0 {
			my = ((py+999)/1000)*1000 - 999
		} else {
			my = -((999-(py-1))/1000)*1000 + 1
		}
		if my < 0 {
			my++
		}
		return ymd(int(my), 1, 1), nil
	}
	_ = d
	return 0, types.Errorf(types.CodeInvalidParameterValue, "unit \"%s\" not recognized for type %s", unit, typ)
}

func floorModI(a, b int64) int64 { return a - floorDivI(a, b)*b }

func truncIv(unit string, iv types.IntervalValue) (types.IntervalValue, error) {
	var r types.IntervalValue
	switch unit {
	case "microseconds", "microsecond", "us":
		return iv, nil
	case "milliseconds", "millisecond", "ms":
		r = iv
		r.Micros -= iv.Micros % 1000
	case "second", "seconds", "sec", "s":
		r = iv
		r.Micros -= iv.Micros % types.MicrosPerSecond
	case "minute", "minutes", "min", "m":
		r = iv
		r.Micros -= iv.Micros % types.MicrosPerMinute
	case "hour", "hours", "h":
		r = iv
		r.Micros -= iv.Micros % types.MicrosPerHour
	case "day", "days", "d":
		r = types.IntervalValue{Months: iv.Months, Days: iv.Days}
	case "month", "months", "mon":
		r = types.IntervalValue{Months: iv.Months}
	case "quarter":
		r = types.IntervalValue{Months: iv.Months / 3 * 3}
	case "year", "years", "y":
		r = types.IntervalValue{Months: iv.Months / 12 * 12}
	case "decade", "decades":
		r = types.IntervalValue{Months: iv.Months / 120 * 120}
	case "century", "centuries":
		r = types.IntervalValue{Months: iv.Months / 1200 * 1200}
	case "millennium", "millennia":
		r = types.IntervalValue{Months: iv.Months / 12000 * 12000}
	case "week", "weeks", "w":
		return r, &types.Error{Code: types.CodeFeatureNotSupported,
			Message: "unit \"week\" not supported for type interval", Detail: "Months usually have fractional weeks."}
	default:
		return r, types.Errorf(types.CodeInvalidParameterValue, "unit \"%s\" not recognized for type interval", unit)
	}
	return r, nil
}

// extract computes EXTRACT (numeric result) or date_part (float8) of field
// from a value of type t.
func extract(field string, t types.T, d types.Datum, numeric bool) (types.Datum, error) {
	// value = num / 10^scale
	var num int64
	var scale int32
	var inf int // ±1 for infinite results
	field = canonField(field)
	unsupported := func() (types.Datum, error) {
		return types.Null, unitError(field, t)
	}
	switch t.Family {
	case types.Interval:
		iv := d.Iv
		years := int64(iv.Months) / 12
		switch field {
		case "epoch":
			// months as 365.25/12 days, as PostgreSQL
			secsMonths := (int64(iv.Months)/12)*int64(365.25*86400) + (int64(iv.Months)%12)*30*86400
			num = (secsMonths+int64(iv.Days)*86400)*1000000 + iv.Micros
			scale = 6
		case "year":
			num = years
		case "month":
			num = int64(iv.Months) % 12
		case "day":
			num = int64(iv.Days)
		case "hour":
			num = iv.Micros / types.MicrosPerHour
		case "minute":
			num = iv.Micros / types.MicrosPerMinute % 60
		case "second":
			num, scale = iv.Micros%types.MicrosPerMinute, 6
		case "millisecond":
			num, scale = iv.Micros%types.MicrosPerMinute, 3
		case "microsecond":
			num = iv.Micros % types.MicrosPerMinute
		case "quarter":
			num = int64(iv.Months)%12/3 + 1
		case "decade":
			num = years / 10
		case "century":
			num = years / 100
		case "millennium":
			num = years / 1000
		default:
			return unsupported()
		}
	case types.Time:
		us := d.I
		switch field {
		case "epoch":
			num, scale = us, 6
		case "hour":
			num = us / types.MicrosPerHour
		case "minute":
			num = us / types.MicrosPerMinute % 60
		case "second":
			num, scale = us%types.MicrosPerMinute, 6
		case "millisecond":
			num, scale = us%types.MicrosPerMinute, 3
		case "microsecond":
			num = us % types.MicrosPerMinute
		default:
			return unsupported()
		}
	default:
		var ts int64
		if t.Family == types.Date {
			switch field {
			case "hour", "minute", "second", "millisecond", "microsecond":
				if numeric {
					return unsupported()
				}
			}
			if !types.IsFiniteDate(d.I) {
				inf = 1
				if d.I == types.DateNegInfinity {
					inf = -1
				}
			} else {
				ts = d.I * usDay
			}
		} else {
			ts = d.I
			if !types.IsFiniteTimestamp(ts) {
				inf = 1
				if ts == types.TimestampNegInfinity {
					inf = -1
				}
			}
		}
		if inf != 0 {
			switch field {
			case "epoch", "year", "decade", "century", "millennium", "isoyear", "julian":
				if numeric {
					var r types.Datum
					r.D.Form = apd.Infinite
					r.D.Negative = inf < 0
					return r, nil
				}
				return types.NewFloat(math.Inf(inf)), nil
			}
			return types.Null, nil
		}
		tm := types.TimeFromTimestamp(ts)
		year := pgYear(tm.Year())
		tod := floorModI(ts, usDay)
		switch field {
		case "epoch":
			num, scale = ts, 6
			if t.Family == types.Date {
				num, scale = ts/1000000, 0
			}
		case "year":
			num = year
		case "month":
			num = int64(tm.Month())
		case "day":
			num = int64(tm.Day())
		case "hour":
			num = tod / types.MicrosPerHour
		case "minute":
			num = tod / types.MicrosPerMinute % 60
		case "second":
			num, scale = tod%types.MicrosPerMinute, 6
		case "millisecond":
			num, scale = tod%types.MicrosPerMinute, 3
		case "microsecond":
			num = tod % types.MicrosPerMinute
		case "dow":
			num = int64(tm.Weekday())
		case "isodow":
			num = int64(tm.Weekday())
			if num == 0 {
				num = 7
			}
		case "doy":
			num = int64(tm.YearDay())
		case "week":
			_, w := tm.ISOWeek()
			num = int64(w)
		case "isoyear":
			y, _ := tm.ISOWeek()
			num = pgYear(y)
		case "quarter":
			num = (int64(tm.Month())-1)/3 + 1
		case "decade":
			if year >= 0 {
				num = year / 10
			} else {
				num = -((8 - (year - 1)) / 10)
			}
		case "century":
			if year > 0 {
				num = (year + 99) / 100
			} else {
				num = -((99 - (year - 1)) / 100)
			}
		case "millennium":
			if year > 0 {
				num = (year + 999) / 1000
			} else {
				num = -((999 - (year - 1)) / 1000)
			}
		case "julian":
			num = floorDivI(ts, usDay) + 2440588
			if t.Family != types.Date {
				// fraction of the day
				f := float64(num) + float64(tod)/float64(usDay)
				if !numeric {
					return types.NewFloat(f), nil
				}
				var r types.Datum
				_, _, err := r.D.SetString(strconv.FormatFloat(f, 'f', -1, 64))
				return r, err
			}
		case "timezone", "timezone_hour", "timezone_minute":
			if t.Family != types.Timestamptz {
				return unsupported()
			}
			num = 0
		default:
			return unsupported()
		}
	}
	if numeric {
		// milliseconds: µs/1000 with scale 3 means num is in µs; adjust
		var r types.Datum
		switch {
		case scale == 0:
			r.D.SetInt64(num)
		case scale == 3:
			r.D.SetFinite(num, -3)
		case scale == 6:
			r.D.SetFinite(num, -6)
		}
		return r, nil
	}
	switch scale {
	case 3:
		return types.NewFloat(float64(num) / 1000), nil
	case 6:
		return types.NewFloat(float64(num) / 1e6), nil
	}
	return types.NewFloat(float64(num)), nil
}

var knownFields = map[string]bool{"epoch": true, "year": true, "month": true, "day": true, "hour": true,
	"minute": true, "second": true, "millisecond": true, "microsecond": true, "dow": true, "isodow": true,
	"doy": true, "week": true, "isoyear": true, "quarter": true, "decade": true, "century": true,
	"millennium": true, "julian": true, "timezone": true, "timezone_hour": true, "timezone_minute": true}

// unitError is PostgreSQL's error for an EXTRACT field: 0A000 "not
// supported" for a known field the type lacks, 22023 "not recognized"
// otherwise.
func unitError(field string, t types.T) error {
	if knownFields[field] {
		return types.Errorf(types.CodeFeatureNotSupported, "unit \"%s\" not supported for type %s", field, t)
	}
	return types.Errorf(types.CodeInvalidParameterValue, "unit \"%s\" not recognized for type %s", field, t)
}

func canonField(f string) string {
	switch f {
	case "epoch":
		return f
	case "years", "y", "yr", "yrs":
		return "year"
	case "months", "mon", "mons":
		return "month"
	case "days", "d":
		return "day"
	case "hours", "h", "hr", "hrs":
		return "hour"
	case "minutes", "min", "mins", "m":
		return "minute"
	case "seconds", "sec", "secs", "s":
		return "second"
	case "milliseconds", "ms", "msec", "msecs", "millisecon":
		return "millisecond"
	case "microseconds", "us", "usec", "usecs":
		return "microsecond"
	case "weeks", "w":
		return "week"
	case "decades":
		return "decade"
	case "centuries", "c", "cent":
		return "century"
	case "millennia", "mil", "mils":
		return "millennium"
	case "qtr":
		return "quarter"
	}
	return f
}

// toChar formats a timestamp with a subset of PostgreSQL's to_char
// patterns: YYYY YYY YY Y MM DD D DDD HH24 HH12 HH MI SS MS US AM PM am pm
// Mon MON mon Month MONTH month Dy DY dy Day DAY day Q WW IW; text in
// double quotes is copied.
func toChar(t time.Time, f string) string {
	var b strings.Builder
	pad := func(v, w int) {
		s := strconv.Itoa(v)
		for i := len(s); i < w; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	hp := func(p string) bool { return strings.HasPrefix(f, p) }
	fm := false
	for len(f) > 0 {
		switch {
		case f[0] == '"':
			end := strings.IndexByte(f[1:], '"')
			if end < 0 {
				b.WriteString(f[1:])
				f = ""
				continue
			}
			b.WriteString(f[1 : 1+end])
			f = f[2+end:]
			continue
		case hp("FM"):
			fm = true
			f = f[2:]
			continue
		case hp("YYYY"):
			pad(t.Year(), 4)
			f = f[4:]
		case hp("YYY"):
			pad(t.Year()%1000, 3)
			f = f[3:]
		case hp("YY"):
			pad(t.Year()%100, 2)
			f = f[2:]
		case hp("HH24"):
			pad(t.Hour(), 2)
			f = f[4:]
		case hp("HH12"), hp("HH"):
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h, 2)
			if hp("HH12") {
				f = f[4:]
			} else {
				f = f[2:]
			}
		case hp("MI"):
			pad(t.Minute(), 2)
			f = f[2:]
		case hp("SS"):
			pad(t.Second(), 2)
			f = f[2:]
		case hp("MS"):
			pad(t.Nanosecond()/1e6, 3)
			f = f[2:]
		case hp("US"):
			pad(t.Nanosecond()/1e3, 6)
			f = f[2:]
		case hp("AM"), hp("PM"), hp("am"), hp("pm"):
			s := "AM"
			if t.Hour() >= 12 {
				s = "PM"
			}
			if f[0] == 'a' || f[0] == 'p' {
				s = strings.ToLower(s)
			}
			b.WriteString(s)
			f = f[2:]
		case hp("MONTH"), hp("Month"), hp("month"):
			s := t.Month().String()
			switch f[:5] {
			case "MONTH":
				s = strings.ToUpper(s)
			case "month":
				s = strings.ToLower(s)
			}
			if !fm {
				s += strings.Repeat(" ", 9-len(s))
			}
			b.WriteString(s)
			f = f[5:]
		case hp("MON"), hp("Mon"), hp("mon"):
			s := t.Month().String()[:3]
			switch f[:3] {
			case "MON":
				s = strings.ToUpper(s)
			case "mon":
				s = strings.ToLower(s)
			}
			b.WriteString(s)
			f = f[3:]
		case hp("MM"):
			pad(int(t.Month()), 2)
			f = f[2:]
		case hp("DAY"), hp("Day"), hp("day"):
			s := t.Weekday().String()
			switch f[:3] {
			case "DAY":
				s = strings.ToUpper(s)
			case "day":
				s = strings.ToLower(s)
			}
			if !fm {
				s += strings.Repeat(" ", 9-len(s))
			}
			b.WriteString(s)
			f = f[3:]
		case hp("DY"), hp("Dy"), hp("dy"):
			s := t.Weekday().String()[:3]
			switch f[:2] {
			case "DY":
				s = strings.ToUpper(s)
			case "dy":
				s = strings.ToLower(s)
			}
			b.WriteString(s)
			f = f[2:]
		case hp("DDD"):
			pad(t.YearDay(), 3)
			f = f[3:]
		case hp("DD"):
			pad(t.Day(), 2)
			f = f[2:]
		case hp("D"):
			pad(int(t.Weekday())+1, 1)
			f = f[1:]
		case hp("IW"):
			_, w := t.ISOWeek()
			pad(w, 2)
			f = f[2:]
		case hp("WW"):
			pad((t.YearDay()-1)/7+1, 2)
			f = f[2:]
		case hp("Q"):
			pad((int(t.Month())-1)/3+1, 1)
			f = f[1:]
		case hp("Y"):
			pad(t.Year()%10, 1)
			f = f[1:]
		default:
			b.WriteByte(f[0])
			f = f[1:]
		}
	}
	return b.String()
}

// age is PostgreSQL's age(a, b): a symbolic difference in years, months and
// days.
func age(a, b int64) (types.IntervalValue, error) {
	if !types.IsFiniteTimestamp(a) || !types.IsFiniteTimestamp(b) {
		return types.IntervalValue{}, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	neg := a < b
	if neg {
		a, b = b, a
	}
	ta, tb := types.TimeFromTimestamp(a), types.TimeFromTimestamp(b)
	years := ta.Year() - tb.Year()
	months := int(ta.Month()) - int(tb.Month())
	days := ta.Day() - tb.Day()
	tod := floorModI(a, usDay) - floorModI(b, usDay)
	if tod < 0 {
		tod += usDay
		days--
	}
	if days < 0 {
		// borrow the length of the earlier timestamp's month, as PostgreSQL
		pm := time.Date(tb.Year(), tb.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		days += pm.Day()
		months--
	}
	if months < 0 {
		months += 12
		years--
	}
	iv := types.IntervalValue{Months: int32(years*12 + months), Days: int32(days), Micros: tod}
	if neg {
		return types.NegateInterval(iv)
	}
	return iv, nil
}

func init() {
	// make_interval(years, months, weeks, days, hours, mins, secs); the
	// rewriter turns the named notation (days => 3) into positions.
	reg("make_interval", sig(tI4, tI4, tI4, tI4, tI4, tI4, tF8), tIv, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		months := a[0].I*12 + a[1].I
		days := a[2].I*7 + a[3].I
		secs := a[6].F
		micros := float64(a[4].I)*3600e6 + float64(a[5].I)*60e6 + math.RoundToEven(secs*1e6)
		if months > math.MaxInt32 || months < math.MinInt32 || days > math.MaxInt32 || days < math.MinInt32 ||
			math.IsNaN(micros) || micros >= 9.2233720368547758e18 || micros <= -9.2233720368547758e18 {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
		}
		return types.NewInterval(types.IntervalValue{Months: int32(months), Days: int32(days), Micros: int64(micros)}), nil
	}))
}

// dtFields are the fields to_date / to_timestamp read.
type dtFields struct {
	year, month, day, hour, min, sec, micros int64
	pm, hasAmPm                              bool
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// parseWithFormat reads s by the to_date/to_timestamp template f (the
// common template patterns; separators in the template match any
// non-alphanumeric input character, as PostgreSQL's do).
func parseWithFormat(s, f, what string) (dtFields, error) {
	v := dtFields{year: 1, month: 1, day: 1}
	bad := func() (dtFields, error) {
		return v, types.Errorf(types.CodeInvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", s, f)
	}
	i := 0
	skipSpace := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	num := func(max int) (int64, bool) {
		skipSpace()
		j := i
		neg := false
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			neg = s[j] == '-'
			j++
		}
		k := j
		for k < len(s) && k-j < max && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == j {
			return 0, false
		}
		n, _ := strconv.ParseInt(s[j:k], 10, 64)
		i = k
		if neg {
			n = -n
		}
		return n, true
	}
	pats := []string{"YYYY", "HH24", "HH12", "MONTH", "Month", "month", "MON", "Mon", "mon", "YYY", "HH", "MI", "SS", "MS", "US", "MM", "DD", "YY", "AM", "PM", "am", "pm", "A.M.", "P.M.", "FM", "fm"}
	for p := 0; p < len(f); {
		matched := ""
		for _, pt := range pats {
			if strings.HasPrefix(f[p:], pt) {
				matched = pt
				break
			}
		}
		var ok bool
		var n int64
		switch matched {
		case "FM", "fm":
			p += 2
			continue
		case "YYYY":
			if n, ok = num(9); ok {
				v.year = n
			}
		case "YYY", "YY":
			if n, ok = num(len(matched)); ok {
				v.year = n
				if matched == "YY" && n < 100 {
					if n < 70 {
						v.year = 2000 + n
					} else {
						v.year = 1900 + n
					}
				}
			}
		case "MM":
			if n, ok = num(2); ok {
				v.month = n
			}
		case "DD":
			if n, ok = num(2); ok {
				v.day = n
			}
		case "HH24", "HH12", "HH":
			if n, ok = num(2); ok {
				v.hour = n
			}
		case "MI":
			if n, ok = num(2); ok {
				v.min = n
			}
		case "SS":
			if n, ok = num(2); ok {
				v.sec = n
			}
		case "MS":
			if n, ok = num(3); ok {
				v.micros = n * 1000
			}
		case "US":
			if n, ok = num(6); ok {
				v.micros = n
			}
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			skipSpace()
			rest := strings.ToLower(s[i:])
			for m, name := range monthNames {
				if len(matched) > 3 && strings.HasPrefix(rest, name) {
					v.month, i, ok = int64(m+1), i+len(name), true
					break
				}
				if len(matched) == 3 && strings.HasPrefix(rest, name[:3]) {
					v.month, i, ok = int64(m+1), i+3, true
					break
				}
			}
		case "AM", "PM", "am", "pm", "A.M.", "P.M.":
			skipSpace()
			rest := strings.ToUpper(s[i:])
			for _, c := range []string{"A.M.", "P.M.", "AM", "PM"} {
				if strings.HasPrefix(rest, c) {
					v.hasAmPm, v.pm, i, ok = true, c[0] == 'P', i+len(c), true
					break
				}
			}
		default:
			c := f[p]
			p++
			isAlnum := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
			if i < len(s) && (s[i] == c || !isAlnum(c) && !isAlnum(s[i])) {
				i++
			}
			continue
		}
		if !ok {
			if i >= len(s) {
				break // PostgreSQL ignores template fields past the end of input
			}
			return bad()
		}
		p += len(matched)
	}
	if v.hasAmPm {
		if v.hour < 1 || v.hour > 12 {
			return v, types.Errorf(types.CodeInvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", v.hour)
		}
		v.hour %= 12
		if v.pm {
			v.hour += 12
		}
	}
	_ = what
	return v, nil
}

func init() {
	reg("to_date", sig(tT, tT), tDate, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		v, err := parseWithFormat(string(a[0].S), string(a[1].S), "date")
		if err != nil {
			return types.Null, err
		}
		d, err := makeDate(v.year, v.month, v.day)
		return types.NewInt(d), err
	}))
	reg("to_timestamp", sig(tT, tT), tTSTZ, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		v, err := parseWithFormat(string(a[0].S), string(a[1].S), "timestamp")
		if err != nil {
			return types.Null, err
		}
		d, err := makeDate(v.year, v.month, v.day)
		if err != nil {
			return types.Null, err
		}
		if v.hour > 24 || v.min > 59 || v.sec > 60 {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", string(a[0].S))
		}
		return types.NewInt(d*usDay + (v.hour*3600+v.min*60+v.sec)*1e6 + v.micros), nil
	}))
}
