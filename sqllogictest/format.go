package sqllogictest

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PostgreSQL type OIDs the formatter treats specially.
const (
	oidBool    = 16
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidFloat4  = 700
	oidFloat8  = 701
	oidNumeric = 1700
)

// FormatValue renders one result value the way the original SQLite runner
// does for column type typ ('I', 'R' or 'T'; anything else is treated as
// 'T'). oid is the PostgreSQL type OID of the column (0 if unknown) and
// null says whether the value is SQL NULL. Rules:
//   - NULL prints as "NULL" for every type;
//   - 'I' prints an integer with %d: numbers that are not integers are
//     truncated toward zero, booleans are 1/0, a text is read for its
//     leading number (as SQLite does) and is 0 when it has none;
//   - 'R' prints %.3f of the value read the same way;
//   - 'T' prints the text, "(empty)" for the empty string, with every byte
//     outside ' '..'~' replaced by '@'.
func FormatValue(typ byte, oid uint32, v []byte, null bool) string {
	if null {
		return "NULL"
	}
	switch typ {
	case 'I':
		switch oid {
		case oidInt2, oidInt4, oidInt8:
			return string(v)
		case oidBool:
			return boolInt(v)
		}
		return formatInt(string(v))
	case 'R':
		if oid == oidBool {
			if boolInt(v) == "1" {
				return "1.000"
			}
			return "0.000"
		}
		f, _ := leadingFloat(string(v))
		return strconv.FormatFloat(f, 'f', 3, 64)
	}
	if len(v) == 0 {
		return "(empty)"
	}
	clean := true
	for _, c := range v {
		if c < ' ' || c > '~' {
			clean = false
			break
		}
	}
	if clean {
		return string(v)
	}
	b := make([]byte, len(v))
	for i, c := range v {
		if c < ' ' || c > '~' {
			c = '@'
		}
		b[i] = c
	}
	return string(b)
}

func boolInt(v []byte) string {
	if len(v) > 0 && (v[0] == 't' || v[0] == 'T' || v[0] == '1') {
		return "1"
	}
	return "0"
}

// formatInt renders s as an integer, truncating toward zero.
func formatInt(s string) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	// A plain decimal like "-12.75": cut the fraction textually so that
	// numerics wider than float64's precision stay exact.
	if d := plainDecimalInt(s); d != "" {
		if _, err := strconv.ParseInt(d, 10, 64); err == nil {
			return d
		}
	}
	f, _ := leadingFloat(s)
	return strconv.FormatInt(floatToInt64(f), 10)
}

// plainDecimalInt returns the integer part of s when s is [+-]digits[.digits],
// normalized ("-0" becomes "0"); otherwise "".
func plainDecimalInt(s string) string {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[start:i]
	if i < len(s) {
		if s[i] != '.' {
			return ""
		}
		for j := i + 1; j < len(s); j++ {
			if s[j] < '0' || s[j] > '9' {
				return ""
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		return "0"
	}
	if neg {
		return "-" + intPart
	}
	return intPart
}

func floatToInt64(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// leadingFloat reads the longest numeric prefix of s (after leading
// spaces), as SQLite does when a text is used as a number. ok is false
// when s has no numeric prefix (the value is then 0).
func leadingFloat(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	s = strings.TrimLeft(s, " \t\n\r")
	switch strings.ToLower(s) {
	case "infinity", "+infinity":
		return math.Inf(1), true
	case "-infinity":
		return math.Inf(-1), true
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		// out of range: ParseFloat returns ±Inf with the error
		return f, true
	}
	return f, true
}

// SortValues orders the flattened values of a result with ncols columns
// as mode says, in place: RowSort sorts rows comparing their values left to
// right (byte-wise, like strcmp), ValueSort sorts all values, NoSort and
// SortDefault leave the order alone.
func SortValues(mode SortMode, values []string, ncols int) {
	switch mode {
	case ValueSort:
		slices.Sort(values)
	case RowSort:
		if ncols <= 0 || len(values)%ncols != 0 {
			return
		}
		n := len(values) / ncols
		rows := make([][]string, n)
		for i := range rows {
			rows[i] = values[i*ncols : (i+1)*ncols : (i+1)*ncols]
		}
		slices.SortStableFunc(rows, func(a, b []string) int { return slices.Compare(a, b) })
		out := make([]string, 0, len(values))
		for _, r := range rows {
			out = append(out, r...)
		}
		copy(values, out)
	}
}

// HashValues returns the md5, in hex, over every value followed by a newline
// (the "N values hashing to H" digest).
func HashValues(values []string) string {
	h := md5.New()
	buf := make([]byte, 0, 64)
	for _, v := range values {
		buf = append(buf[:0], v...)
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

var hashLineRE = regexp.MustCompile(`^\s*(\d+) values hashing to ([0-9a-fA-F]{32})\s*$`)

// ParseHashLine recognizes "N values hashing to H".
func ParseHashLine(line string) (n int, hash string, ok bool) {
	m := hashLineRE.FindStringSubmatch(line)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, "", false
	}
	return n, strings.ToLower(m[2]), true
}

// CompareResult says whether the actual values (already sorted by mode,
// ncols per row) match the expected lines of a query record. Expected
// results may be a "N values hashing to H" line, one value per line, or
// one row per line with its values separated by single spaces; sorted modes
// apply to the expected side too, so hand-written unsorted expectations
// compare like sqllogictest-rs does.
func CompareResult(mode SortMode, expected, actual []string, ncols int) bool {
	if len(expected) == 1 {
		if n, h, ok := ParseHashLine(expected[0]); ok {
			return n == len(actual) && h == HashValues(actual)
		}
	}
	if ncols <= 0 {
		ncols = 1
	}
	if len(expected) == len(actual) {
		exp := expected
		if mode == RowSort || mode == ValueSort {
			exp = slices.Clone(expected)
			SortValues(mode, exp, ncols)
		}
		if slices.Equal(exp, actual) {
			return true
		}
	}
	if ncols > 1 && len(actual)%ncols == 0 && len(expected) == len(actual)/ncols {
		rows := joinRows(actual, ncols)
		switch mode {
		case ValueSort:
			var exp []string
			for _, l := range expected {
				exp = append(exp, strings.Fields(l)...)
			}
			slices.Sort(exp)
			return slices.Equal(exp, actual)
		case RowSort:
			exp := slices.Clone(expected)
			for i := range exp {
				exp[i] = normalizeRowLine(exp[i])
			}
			slices.Sort(exp)
			slices.Sort(rows)
			return slices.Equal(exp, rows)
		default:
			for i := range expected {
				if normalizeRowLine(expected[i]) != rows[i] {
					return false
				}
			}
			return true
		}
	}
	return false
}

func normalizeRowLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func joinRows(values []string, ncols int) []string {
	rows := make([]string, 0, len(values)/ncols)
	for i := 0; i+ncols <= len(values); i += ncols {
		rows = append(rows, strings.Join(values[i:i+ncols], " "))
	}
	return rows
}
