package scalar

import (
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
