package scalar

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// jsonGet looks up a key (object) or index (array, negative counts from
// the end) in jsonb text; ok is false when absent.
func jsonGet(doc []byte, key []byte, idx int64, byIndex bool) (types.JSONValue, bool, error) {
	v, err := types.ParseJSON(doc)
	if err != nil {
		return v, false, err
	}
	if byIndex {
		if v.Kind != types.JSONArray {
			return v, false, nil
		}
		if idx < 0 {
			idx += int64(len(v.Elems))
		}
		if idx < 0 || idx >= int64(len(v.Elems)) {
			return v, false, nil
		}
		return v.Elems[idx], true, nil
	}
	if v.Kind != types.JSONObject {
		return v, false, nil
	}
	for i, k := range v.Keys {
		if k == string(key) {
			return v.Elems[i], true, nil
		}
	}
	return v, false, nil
}

func jsonOp(asText, byIndex bool) KernelFn {
	return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		v, ok, err := jsonGet(a[0].S, a[1].S, a[1].I, byIndex)
		if err != nil || !ok {
			return types.Null, err
		}
		if asText {
			switch v.Kind {
			case types.JSONNull:
				return types.Null, nil
			case types.JSONString:
				return retStr(arena, v.Str), nil
			}
		}
		s := len(*arena)
		*arena = types.AppendJSON(*arena, &v)
		return types.NewBytes((*arena)[s:len(*arena):len(*arena)]), nil
	})
}

func init() {
	j := types.TJsonb
	reg("->", sig(j, tT), j, jsonOp(false, false))
	reg("->", sig(j, tI4), j, jsonOp(false, true))
	reg("->>", sig(j, tT), tT, jsonOp(true, false))
	reg("->>", sig(j, tI4), tT, jsonOp(true, true))
	reg("jsonb_typeof", sig(j), tT, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		v, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Null, err
		}
		return retStr(arena, v.Kind.String()), nil
	}))
}

// jsonPathArg parses a text[] literal such as '{addr,city}' (arrays are
// not a streamsql type; the #> and #>> path arguments and the ?| ?& key
// lists take their text form).
func jsonPathArg(s []byte) ([]string, error) {
	t := strings.TrimSpace(string(s))
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, types.Errorf(types.CodeInvalidTextRepr, "malformed array literal: \"%s\"", string(s))
	}
	t = t[1 : len(t)-1]
	if strings.TrimSpace(t) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(t, ",") {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			p = strings.ReplaceAll(p[1:len(p)-1], `\"`, `"`)
		}
		out = append(out, p)
	}
	return out, nil
}

func jsonPath(v types.JSONValue, path []string) (types.JSONValue, bool) {
	for _, k := range path {
		switch v.Kind {
		case types.JSONObject:
			found := false
			for i, key := range v.Keys {
				if key == k {
					v, found = v.Elems[i], true
					break
				}
			}
			if !found {
				return v, false
			}
		case types.JSONArray:
			idx, err := strconv.Atoi(k)
			if err != nil {
				return v, false
			}
			if idx < 0 {
				idx += len(v.Elems)
			}
			if idx < 0 || idx >= len(v.Elems) {
				return v, false
			}
			v = v.Elems[idx]
		default:
			return v, false
		}
	}
	return v, true
}

func retJSON(arena *[]byte, v *types.JSONValue) types.Datum {
	s := len(*arena)
	*arena = types.AppendJSON(*arena, v)
	return types.NewBytes((*arena)[s:len(*arena):len(*arena)])
}

func jsonScalarEq(a, b *types.JSONValue) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case types.JSONNull:
		return true
	case types.JSONBool:
		return a.Bool == b.Bool
	case types.JSONNumber:
		return a.Num.Cmp(&b.Num) == 0
	case types.JSONString:
		return a.Str == b.Str
	}
	return false
}

// jsonContains implements jsonb @> (PostgreSQL's JsonbDeepContains).
func jsonContains(a, b *types.JSONValue, top bool) bool {
	switch {
	case a.Kind == types.JSONObject && b.Kind == types.JSONObject:
		for i, k := range b.Keys {
			found := false
			for j, ak := range a.Keys {
				if ak == k {
					if a.Elems[j].Kind != b.Elems[i].Kind {
						return false
					}
					if !jsonContains(&a.Elems[j], &b.Elems[i], false) {
						return false
					}
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case a.Kind == types.JSONArray && b.Kind == types.JSONArray:
		for i := range b.Elems {
			found := false
			for j := range a.Elems {
				x, y := &a.Elems[j], &b.Elems[i]
				if x.Kind == y.Kind && jsonContains(x, y, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case top && a.Kind == types.JSONArray && b.Kind != types.JSONObject:
		for j := range a.Elems {
			if jsonScalarEq(&a.Elems[j], b) {
				return true
			}
		}
		return false
	case a.Kind == types.JSONArray || a.Kind == types.JSONObject || b.Kind == types.JSONArray || b.Kind == types.JSONObject:
		return false
	}
	return jsonScalarEq(a, b)
}

// jsonHasKey implements ?: an object key, an array string element, or an
// equal top-level string.
func jsonHasKey(v *types.JSONValue, k string) bool {
	switch v.Kind {
	case types.JSONObject:
		for _, key := range v.Keys {
			if key == k {
				return true
			}
		}
	case types.JSONArray:
		for i := range v.Elems {
			if v.Elems[i].Kind == types.JSONString && v.Elems[i].Str == k {
				return true
			}
		}
	case types.JSONString:
		return v.Str == k
	}
	return false
}

// toJSONValue converts a SQL value to jsonb the way to_jsonb does.
func toJSONValue(t types.T, d types.Datum) (types.JSONValue, error) {
	if d.Null {
		return types.JSONValue{Kind: types.JSONNull}, nil
	}
	switch t.Family {
	case types.Jsonb:
		return types.ParseJSON(d.S)
	case types.Bool:
		return types.JSONValue{Kind: types.JSONBool, Bool: d.B}, nil
	case types.Int16, types.Int32, types.Int64, types.Numeric, types.Float32, types.Float64:
		txt := types.AppendText(nil, t, d)
		if v, err := types.ParseJSON(txt); err == nil && v.Kind == types.JSONNumber {
			return v, nil
		}
		return types.JSONValue{Kind: types.JSONString, Str: string(txt)}, nil
	}
	return types.JSONValue{Kind: types.JSONString, Str: string(textOf(nil, t, d))}, nil
}

func init() {
	j := types.TJsonb
	path := func(asText bool) KernelFn {
		return rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
			v, err := types.ParseJSON(a[0].S)
			if err != nil {
				return types.Null, err
			}
			p, err := jsonPathArg(a[1].S)
			if err != nil {
				return types.Null, err
			}
			r, ok := jsonPath(v, p)
			if !ok {
				return types.Null, nil
			}
			if asText {
				switch r.Kind {
				case types.JSONNull:
					return types.Null, nil
				case types.JSONString:
					return retStr(arena, r.Str), nil
				}
			}
			return retJSON(arena, &r), nil
		})
	}
	reg("#>", sig(j, tT), j, path(false))
	reg("#>>", sig(j, tT), tT, path(true))
	contains := func(swap bool) KernelFn {
		return rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			x, err := types.ParseJSON(a[0].S)
			if err != nil {
				return types.Null, err
			}
			y, err := types.ParseJSON(a[1].S)
			if err != nil {
				return types.Null, err
			}
			if swap {
				x, y = y, x
			}
			return types.NewBool(jsonContains(&x, &y, true)), nil
		})
	}
	reg("@>", sig(j, j), tB, contains(false))
	reg("<@", sig(j, j), tB, contains(true))
	reg("?", sig(j, tT), tB, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		v, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Null, err
		}
		return types.NewBool(jsonHasKey(&v, string(a[1].S))), nil
	}))
	anyAll := func(all bool) KernelFn {
		return rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
			v, err := types.ParseJSON(a[0].S)
			if err != nil {
				return types.Null, err
			}
			keys, err := jsonPathArg(a[1].S)
			if err != nil {
				return types.Null, err
			}
			for _, k := range keys {
				if jsonHasKey(&v, k) != all {
					return types.NewBool(!all), nil
				}
			}
			return types.NewBool(all), nil
		})
	}
	reg("?|", sig(j, tT), tB, anyAll(false))
	reg("?&", sig(j, tT), tB, anyAll(true))
	reg("||", sig(j, j), j, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		x, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Null, err
		}
		y, err := types.ParseJSON(a[1].S)
		if err != nil {
			return types.Null, err
		}
		var r types.JSONValue
		switch {
		case x.Kind == types.JSONObject && y.Kind == types.JSONObject:
			r = types.JSONValue{Kind: types.JSONObject}
			r.Keys = append(r.Keys, x.Keys...)
			r.Elems = append(r.Elems, x.Elems...)
			for i, k := range y.Keys {
				replaced := false
				for q := range r.Keys {
					if r.Keys[q] == k {
						r.Elems[q] = y.Elems[i]
						replaced = true
					}
				}
				if !replaced {
					r.Keys = append(r.Keys, k)
					r.Elems = append(r.Elems, y.Elems[i])
				}
			}
			// re-canonicalise key order
			txt := types.AppendJSON(nil, &r)
			if r, err = types.ParseJSON(txt); err != nil {
				return types.Null, err
			}
		default:
			r = types.JSONValue{Kind: types.JSONArray}
			for _, v := range []types.JSONValue{x, y} {
				if v.Kind == types.JSONArray {
					r.Elems = append(r.Elems, v.Elems...)
				} else {
					r.Elems = append(r.Elems, v)
				}
			}
		}
		return retJSON(arena, &r), nil
	}))
	reg("-", sig(j, tT), j, rowFn(func(a []types.Datum, arena *[]byte, _ []types.T) (types.Datum, error) {
		v, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Null, err
		}
		k := string(a[1].S)
		switch v.Kind {
		case types.JSONObject:
			var r types.JSONValue
			r.Kind = types.JSONObject
			for i, key := range v.Keys {
				if key != k {
					r.Keys = append(r.Keys, key)
					r.Elems = append(r.Elems, v.Elems[i])
				}
			}
			v = r
		case types.JSONArray:
			var r types.JSONValue
			r.Kind = types.JSONArray
			for _, e := range v.Elems {
				if !(e.Kind == types.JSONString && e.Str == k) {
					r.Elems = append(r.Elems, e)
				}
			}
			v = r
		default:
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot delete from scalar")
		}
		return retJSON(arena, &v), nil
	}))
	reg("jsonb_array_length", sig(j), tI4, rowFn(func(a []types.Datum, _ *[]byte, _ []types.T) (types.Datum, error) {
		v, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Null, err
		}
		switch v.Kind {
		case types.JSONArray:
			return types.NewInt(int64(len(v.Elems))), nil
		case types.JSONObject:
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot get array length of a non-array")
		}
		return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot get array length of a scalar")
	}))
	Register(&Overload{Name: "to_jsonb", Args: sig(tAny), Ret: j,
		Fn: rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
			v, err := toJSONValue(ts[0], a[0])
			if err != nil {
				return types.Null, err
			}
			return retJSON(arena, &v), nil
		})})
	buildObject := &Overload{Name: "jsonb_build_object", Args: sig(tAny), Ret: j, Variadic: true, NullCall: true,
		Fn: rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
			if len(a)%2 != 0 {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "argument list must have even number of elements")
			}
			r := types.JSONValue{Kind: types.JSONObject}
			for i := 0; i < len(a); i += 2 {
				if a[i].Null {
					return types.Null, types.Errorf(types.CodeInvalidParameterValue, "argument %d: key must not be null", i+1)
				}
				v, err := toJSONValue(ts[i+1], a[i+1])
				if err != nil {
					return types.Null, err
				}
				r.Keys = append(r.Keys, string(textOf(nil, ts[i], a[i])))
				r.Elems = append(r.Elems, v)
			}
			txt := types.AppendJSON(nil, &r)
			v, err := types.ParseJSON(txt)
			if err != nil {
				return types.Null, err
			}
			return retJSON(arena, &v), nil
		})}
	Register(buildObject)
	Register(&Overload{Name: "jsonb_build_object", Args: nil, Ret: j,
		Fn: rowFn(func(a []types.Datum, arena *[]byte, ts []types.T) (types.Datum, error) {
			return retStr(arena, "{}"), nil
		})})
}
