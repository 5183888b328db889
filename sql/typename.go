package sql

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// baseTypes maps single- and multi-word PostgreSQL type names (lower case,
// single-spaced) to types.
var baseTypes = map[string]types.T{
	"bool": types.TBool, "boolean": types.TBool,
	"smallint": types.TInt2, "int2": types.TInt2,
	"int": types.TInt4, "integer": types.TInt4, "int4": types.TInt4, "serial": types.TInt4,
	"bigint": types.TInt8, "int8": types.TInt8, "bigserial": types.TInt8,
	"real": types.TFloat4, "float4": types.TFloat4,
	"float": types.TFloat8, "float8": types.TFloat8, "double precision": types.TFloat8, "double": types.TFloat8,
	"numeric": types.TNumeric, "decimal": types.TNumeric, "dec": types.TNumeric,
	"text": types.TText, "varchar": types.TText, "character varying": types.TText, "string": types.TText,
	"char": types.TText, "character": types.TText, "bpchar": types.TText, "name": types.TText,
	"bytea":                       types.TBytea,
	"date":                        types.TDate,
	"time":                        types.TTime,
	"time without time zone":      types.TTime,
	"timestamp":                   types.TTimestamp,
	"timestamp without time zone": types.TTimestamp,
	"timestamptz":                 types.TTimestamptz,
	"timestamp with time zone":    types.TTimestamptz,
	"interval":                    types.TInterval,
	"jsonb":                       types.TJsonb, "json": types.TJsonb,
}

// typeWordsAfter lists which words may continue a multi-word type name.
var typeWordsAfter = map[string][]string{
	"double":    {"precision"},
	"character": {"varying"},
	"char":      {"varying"},
	"timestamp": {"with", "without"},
	"time":      {"with", "without"},
}

// ParseTypeName parses a PostgreSQL type name such as "integer",
// "varchar(20)", "double precision", "numeric(10,2)" or
// "timestamp with time zone". Unknown names yield a 42704 error
// `type "x" does not exist`.
func ParseTypeName(name string) (types.T, error) {
	toks, err := lex(name)
	if err != nil {
		return types.T{}, err
	}
	t, next, err := scanTypeToks(name, toks, 0)
	if err != nil {
		return types.T{}, err
	}
	if toks[next].Kind != tkEOF {
		return types.T{}, types.Errorf(types.CodeUndefinedObject, "type \"%s\" does not exist", strings.TrimSpace(name))
	}
	return t, nil
}

// scanTypeToks reads a type name starting at toks[i] and returns the type and
// the index of the first token after it.
func scanTypeToks(text string, toks []token, i int) (types.T, int, error) {
	if toks[i].Kind != tkWord {
		return types.T{}, i, syntaxErr(text, toks[i].Pos, "syntax error at or near \"%s\"", tokText(text, toks[i]))
	}
	// Skip a pg_catalog. / public. qualification.
	if toks[i+1].isP(".") && toks[i+2].Kind == tkWord {
		i += 2
	}
	first := toks[i]
	words := []string{first.Val}
	j := i + 1
	if conts, ok := typeWordsAfter[first.Val]; ok && !first.Quoted {
		for _, c := range conts {
			if toks[j].is(c) {
				words = append(words, c)
				j++
				if c == "with" || c == "without" {
					if toks[j].is("time") && toks[j+1].is("zone") {
						words = append(words, "time", "zone")
						j += 2
					} else {
						return types.T{}, j, syntaxErr(text, toks[j].Pos, "syntax error at or near \"%s\"", tokText(text, toks[j]))
					}
				}
				break
			}
		}
	}
	// Modifiers: (n) or (p, s).
	var mods []int32
	if toks[j].isP("(") {
		k := j + 1
		for {
			if toks[k].Kind != tkNumber {
				return types.T{}, k, syntaxErr(text, toks[k].Pos, "syntax error at or near \"%s\"", tokText(text, toks[k]))
			}
			v, err := strconv.ParseInt(toks[k].Val, 10, 32)
			if err != nil {
				return types.T{}, k, syntaxErr(text, toks[k].Pos, "syntax error at or near \"%s\"", tokText(text, toks[k]))
			}
			mods = append(mods, int32(v))
			k++
			if toks[k].isP(",") {
				k++
				continue
			}
			if toks[k].isP(")") {
				k++
				break
			}
			return types.T{}, k, syntaxErr(text, toks[k].Pos, "syntax error at or near \"%s\"", tokText(text, toks[k]))
		}
		j = k
		// "timestamp(3) with time zone"
		if (first.Val == "timestamp" || first.Val == "time") && len(words) == 1 && (toks[j].is("with") || toks[j].is("without")) && toks[j+1].is("time") && toks[j+2].is("zone") {
			words = append(words, toks[j].Val, "time", "zone")
			j += 3
		}
	}
	full := strings.Join(words, " ")
	t, ok := baseTypes[full]
	if !ok {
		return types.T{}, j, &types.Error{Code: types.CodeUndefinedObject, Message: "type \"" + full + "\" does not exist", Position: runePos(text, first.Pos)}
	}
	if toks[j].isP("[") {
		return types.T{}, j, &types.Error{Code: types.CodeFeatureNotSupported, Message: "array types are not supported", Position: runePos(text, toks[j].Pos)}
	}
	switch t.Family {
	case types.Text:
		if len(mods) > 0 && (first.Val == "varchar" || first.Val == "character" || first.Val == "char") {
			t.Width = mods[0]
		}
	case types.Numeric:
		if len(mods) > 0 {
			t.Precision = mods[0]
		}
		if len(mods) > 1 {
			t.Scale = mods[1]
		}
	}
	if len(mods) > 2 || (len(mods) > 0 && t.Family != types.Text && t.Family != types.Numeric && t.Family != types.Timestamp && t.Family != types.Timestamptz && t.Family != types.Time && t.Family != types.Interval && full != "float") {
		return types.T{}, j, syntaxErr(text, first.Pos, "type modifier is not allowed for type \"%s\"", full)
	}
	if full == "float" && len(mods) == 1 && mods[0] <= 24 {
		t = types.TFloat4
	}
	return t, j, nil
}

func runePos(text string, pos int) int {
	return syntaxErr(text, pos, "").Position
}

// tokText returns the original text of a token (or "end of input").
func tokText(text string, t token) string {
	if t.Kind == tkEOF {
		return ""
	}
	return text[t.Pos:t.End]
}

// typeCanon is the canonical name of a type as written into __pg_cast
// markers; ParseTypeName reads it back to the same T.
func typeCanon(t types.T) string {
	switch t.Family {
	case types.Text:
		if t.Width > 0 {
			return "varchar(" + strconv.Itoa(int(t.Width)) + ")"
		}
		return "text"
	case types.Numeric:
		if t.Precision > 0 {
			return "numeric(" + strconv.Itoa(int(t.Precision)) + "," + strconv.Itoa(int(t.Scale)) + ")"
		}
		return "numeric"
	case types.Time:
		return "time"
	case types.Timestamp:
		return "timestamp"
	case types.Timestamptz:
		return "timestamptz"
	}
	return t.String()
}
