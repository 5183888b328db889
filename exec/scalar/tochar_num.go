package scalar

import (
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamsql/streamsql/types"
)

// toCharNumeric formats d by a numeric to_char template: digit positions
// 9 (blank when unused) and 0 (always a digit), the decimal point . or D,
// group separators , or G, and the FM prefix (no padding, no trailing
// fractional zeros for 9 positions). The sign takes one leading column.
func toCharNumeric(d *apd.Decimal, f string) string {
	fm := false
	if strings.HasPrefix(strings.ToUpper(f), "FM") {
		fm, f = true, f[2:]
	}
	intPat, fracPat := f, ""
	if k := strings.IndexAny(f, ".D"); k >= 0 {
		intPat, fracPat = f[:k], f[k+1:]
	}
	fracDigits := 0
	for _, c := range fracPat {
		if c == '9' || c == '0' {
			fracDigits++
		}
	}
	var r apd.Decimal
	ctx := apd.BaseContext.WithPrecision(1000)
	ctx.Rounding = apd.RoundHalfUp
	ctx.Quantize(&r, d, int32(-fracDigits))
	neg := r.Negative && !r.IsZero()
	r.Negative = false
	txt := r.Text('f')
	intDigits, fracText := txt, ""
	if k := strings.IndexByte(txt, '.'); k >= 0 {
		intDigits, fracText = txt[:k], txt[k+1:]
	}
	if intDigits == "0" {
		intDigits = ""
	}
	nInt := 0
	firstZero := -1
	for i, c := range intPat {
		if c == '9' || c == '0' {
			if c == '0' && firstZero < 0 {
				firstZero = nInt
			}
			nInt++
		}
		_ = i
	}
	var out []byte
	if len(intDigits) > nInt {
		// overflow: PostgreSQL prints # in every digit position
		var b strings.Builder
		b.WriteByte(' ')
		for _, c := range f {
			switch c {
			case '9', '0':
				b.WriteByte('#')
			case '.', 'D':
				b.WriteByte('.')
			default:
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	// digit positions left to right; position p holds a digit when
	// p >= nInt-len(intDigits) or zero padding starts at or before it.
	pad := nInt - len(intDigits)
	p := 0
	started := false
	for _, c := range intPat {
		switch c {
		case '9', '0':
			switch {
			case p >= pad:
				out = append(out, intDigits[p-pad])
				started = true
			case firstZero >= 0 && p >= firstZero:
				out = append(out, '0')
				started = true
			default:
				if !fm {
					out = append(out, ' ')
				}
			}
			p++
		case ',', 'G':
			if started {
				out = append(out, ',')
			} else if !fm {
				out = append(out, ' ')
			}
		default:
			out = append(out, string(c)...)
		}
	}
	// the sign goes just before the first digit
	sign := byte(' ')
	if neg {
		sign = '-'
	}
	lead := 0
	for lead < len(out) && out[lead] == ' ' {
		lead++
	}
	if fm {
		if neg {
			out = append([]byte{'-'}, out...)
		}
	} else {
		out = append(out[:lead], append([]byte{sign}, out[lead:]...)...)
	}
	if fracPat != "" || strings.ContainsAny(f, ".D") {
		out = append(out, '.')
		fi := 0
		var frac []byte
		for _, c := range fracPat {
			if c == '9' || c == '0' {
				if fi < len(fracText) {
					frac = append(frac, fracText[fi])
				} else {
					frac = append(frac, '0')
				}
				fi++
			} else {
				frac = append(frac, string(c)...)
			}
		}
		if fm {
			// trailing zeros of 9 positions go
			k := len(frac)
			pi := len(fracPat) - 1
			for k > 0 && pi >= 0 && frac[k-1] == '0' && fracPat[pi] == '9' {
				k--
				pi--
			}
			frac = frac[:k]
		}
		out = append(out, frac...)
	}
	return string(out)
}

func init() {
	reg("to_char", sig(tNum, tT), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		return retStr(arena, toCharNumeric(&a[0].D, string(a[1].S))), nil
	}))
}
