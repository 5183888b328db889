package scalar

// PostgreSQL catalog functions that psql and other clients call while
// describing objects (pg_get_userbyid, format_type, pg_get_indexdef, ...),
// plus the text form of the reg* casts. streamsql represents oid, regclass
// and friends as bigint, "char" and name as text, and arrays (int2vector,
// oid[], aclitem[], ...) as text in PostgreSQL's external array format
// ('{a,b}').
//
// Functions that need object definitions (pg_get_indexdef,
// pg_get_constraintdef, regclass) read the CatalogInfo the planner publishes
// with SetCatalogInfo whenever it builds a pg_catalog table. The snapshot is
// process-wide: with several engines in one process (tests), the most
// recently published one wins.

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/streamsql/streamsql/types"
)

// CatalogInfo is the object information the catalog functions read.
type CatalogInfo struct {
	// RelName maps the oid of a relation or index to its name.
	RelName map[int64]string
	// NamespaceName maps namespace oids to names.
	NamespaceName map[int64]string
	// IndexDef maps an index oid to its CREATE INDEX statement.
	IndexDef map[int64]string
	// IndexCols maps an index oid to its key column names (in order).
	IndexCols map[int64][]string
	// ConstraintDef maps a constraint oid to its definition
	// ("PRIMARY KEY (id)").
	ConstraintDef map[int64]string
}

var catInfo atomic.Pointer[CatalogInfo]

// SetCatalogInfo publishes the object information the catalog functions use.
func SetCatalogInfo(ci *CatalogInfo) { catInfo.Store(ci) }

func currentCatalogInfo() *CatalogInfo {
	if ci := catInfo.Load(); ci != nil {
		return ci
	}
	return &CatalogInfo{}
}

// BootstrapSuperuserOID is the oid of the single role streamsql reports.
const BootstrapSuperuserOID = 10

// SuperuserName is the role name streamsql reports as every object's owner.
const SuperuserName = "streamsql"

// typeNames maps PostgreSQL type oids to format_type's names (without
// modifiers).
var typeNames = map[int64]string{
	16: "boolean", 17: "bytea", 18: "\"char\"", 19: "name", 20: "bigint", 21: "smallint",
	22: "int2vector", 23: "integer", 24: "regproc", 25: "text", 26: "oid", 114: "json",
	194: "pg_node_tree", 700: "real", 701: "double precision", 705: "unknown",
	1033: "aclitem", 1042: "character", 1043: "character varying", 1082: "date",
	1083: "time without time zone", 1114: "timestamp without time zone",
	1184: "timestamp with time zone", 1186: "interval", 1700: "numeric",
	2205: "regclass", 2206: "regtype", 4089: "regnamespace", 3802: "jsonb",
	1005: "smallint[]", 1007: "integer[]", 1016: "bigint[]", 1009: "text[]", 1028: "oid[]",
	1000: "boolean[]", 1021: "real[]", 1022: "double precision[]", 1231: "numeric[]",
	1015: "character varying[]", 1034: "aclitem[]", 1002: "\"char\"[]", 1003: "name[]",
	30: "oidvector",
}

// FormatType renders a type oid and typmod as PostgreSQL's format_type does.
func FormatType(oid int64, typmod int64, hasMod bool) string {
	name, ok := typeNames[oid]
	if !ok {
		return "???"
	}
	if !hasMod || typmod < 0 {
		if oid == 1042 && hasMod {
			return "character(1)"
		}
		if oid == 1042 {
			return "bpchar"
		}
		return name
	}
	switch oid {
	case 1042, 1043:
		return name + "(" + strconv.FormatInt(typmod-4, 10) + ")"
	case 1700:
		m := typmod - 4
		return "numeric(" + strconv.FormatInt((m>>16)&0xffff, 10) + "," + strconv.FormatInt(m&0xffff, 10) + ")"
	case 1083, 1114, 1184:
		// time(p) [with|without time zone]
		p := strconv.FormatInt(typmod, 10)
		switch oid {
		case 1083:
			return "time(" + p + ") without time zone"
		case 1114:
			return "timestamp(" + p + ") without time zone"
		}
		return "timestamp(" + p + ") with time zone"
	}
	return name
}

// Typmod returns the PostgreSQL atttypmod of t (-1 for none).
func Typmod(t types.T) int64 {
	switch t.Family {
	case types.Text:
		if t.Width > 0 {
			return int64(t.Width) + 4
		}
	case types.Numeric:
		if t.Precision > 0 {
			return (int64(t.Precision)<<16 | int64(t.Scale)) + 4
		}
	}
	return -1
}

// ParseArrayText splits a one-dimensional array in PostgreSQL's text form
// ('{a,"b c",NULL}') into its elements; null reports NULL elements.
func ParseArrayText(s string) (elems []string, null []bool, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, nil, false
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return nil, nil, true
	}
	var cur strings.Builder
	quoted, inQ := false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		elems = append(elems, v)
		null = append(null, !quoted && strings.EqualFold(v, "null"))
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"':
			inQ = !inQ
			quoted = true
		case c == ',' && !inQ:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return elems, null, true
}

func rowK(f func(a []types.Datum, typs []types.T) (types.Datum, error)) KernelFn {
	return rowFn(func(a []types.Datum, _ *[]byte, typs []types.T) (types.Datum, error) { return f(a, typs) })
}

func textOrNull(s string, ok bool) types.Datum {
	if !ok {
		return types.Null
	}
	return types.NewString(s)
}

// regIntText registers name(bigint) returning text computed by f (false →
// NULL).
func regIntText(name string, f func(v int64) (string, bool)) {
	Register(&Overload{Name: name, Args: []types.T{types.TInt8}, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		return textOrNull(f(a[0].I)), nil
	})})
}

func init() {
	ci := currentCatalogInfo
	regIntText("pg_get_userbyid", func(v int64) (string, bool) {
		if v == BootstrapSuperuserOID {
			return SuperuserName, true
		}
		return "unknown (OID=" + strconv.FormatInt(v, 10) + ")", true
	})
	regIntText("pg_encoding_to_char", func(v int64) (string, bool) {
		if v == 6 {
			return "UTF8", true
		}
		if v == 0 {
			return "SQL_ASCII", true
		}
		return "", true
	})
	regIntText("regclass", func(v int64) (string, bool) {
		if n, ok := ci().RelName[v]; ok {
			return n, true
		}
		return strconv.FormatInt(v, 10), true
	})
	regIntText("regtype", func(v int64) (string, bool) {
		if n, ok := typeNames[v]; ok {
			return n, true
		}
		return strconv.FormatInt(v, 10), true
	})
	regIntText("regnamespace", func(v int64) (string, bool) {
		if n, ok := ci().NamespaceName[v]; ok {
			return n, true
		}
		return strconv.FormatInt(v, 10), true
	})
	// 'name'::regclass: the oid of a relation (or the number itself).
	Register(&Overload{Name: "regclass", Args: []types.T{types.TText}, Ret: types.TInt8, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		s := strings.TrimSpace(string(a[0].S))
		if n, e := strconv.ParseInt(s, 10, 64); e == nil {
			return types.NewInt(n), nil
		}
		name := s
		if k := strings.LastIndexByte(name, '.'); k >= 0 && !strings.HasPrefix(name, "\"") {
			name = name[k+1:]
		}
		name = strings.Trim(name, "\"")
		for oid, n := range ci().RelName {
			if n == name {
				return types.NewInt(oid), nil
			}
		}
		return types.Null, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", s)
	})})
	boolOf := func(name string, v bool) {
		Register(&Overload{Name: name, Args: []types.T{types.TInt8}, Ret: types.TBool, Fn: rowK(func([]types.Datum, []types.T) (types.Datum, error) {
			return types.NewBool(v), nil
		})})
	}
	boolOf("pg_table_is_visible", true)
	boolOf("pg_type_is_visible", true)
	boolOf("pg_relation_is_publishable", true)
	// Comments are not supported: every description is NULL.
	nullText := func(name string, args ...types.T) {
		Register(&Overload{Name: name, Args: args, Ret: types.TText, NullCall: true, Fn: rowK(func([]types.Datum, []types.T) (types.Datum, error) {
			return types.Null, nil
		})})
	}
	nullText("obj_description", types.TInt8)
	nullText("obj_description", types.TInt8, types.TText)
	nullText("col_description", types.TInt8, types.TInt4)
	nullText("shobj_description", types.TInt8, types.TText)
	nullText("pg_get_statisticsobjdef_columns", types.TInt8)
	nullText("pg_get_triggerdef", types.TInt8)
	nullText("pg_get_triggerdef", types.TInt8, types.TBool)
	nullText("pg_get_ruledef", types.TInt8)
	nullText("pg_get_ruledef", types.TInt8, types.TBool)

	// format_type(oid, typmod): typmod may be NULL.
	Register(&Overload{Name: "format_type", Args: []types.T{types.TInt8, types.TInt4}, Ret: types.TText, NullCall: true, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		if a[0].Null {
			return types.Null, nil
		}
		return types.NewString(FormatType(a[0].I, a[1].I, !a[1].Null)), nil
	})})

	// pg_get_expr(expr, relid [, pretty]): streamsql stores expressions
	// (column defaults) as their SQL text, which is returned as is.
	for _, args := range [][]types.T{{types.TText, types.TInt8}, {types.TText, types.TInt8, types.TBool}} {
		Register(&Overload{Name: "pg_get_expr", Args: args, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
			return types.NewString(string(a[0].S)), nil
		})})
	}

	// pg_get_indexdef(oid) and pg_get_indexdef(oid, column, pretty):
	// column 0 is the whole CREATE INDEX statement, n>0 the n-th key column.
	indexdef := func(oid, col int64) (string, bool) {
		info := ci()
		if col == 0 {
			s, ok := info.IndexDef[oid]
			return s, ok
		}
		cols, ok := info.IndexCols[oid]
		if !ok || col < 1 || col > int64(len(cols)) {
			return "", false
		}
		return cols[col-1], true
	}
	regIntText("pg_get_indexdef", func(v int64) (string, bool) { return indexdef(v, 0) })
	Register(&Overload{Name: "pg_get_indexdef", Args: []types.T{types.TInt8, types.TInt4, types.TBool}, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		return textOrNull(indexdef(a[0].I, a[1].I)), nil
	})})
	constraintdef := func(v int64) (string, bool) {
		s, ok := ci().ConstraintDef[v]
		return s, ok
	}
	regIntText("pg_get_constraintdef", constraintdef)
	Register(&Overload{Name: "pg_get_constraintdef", Args: []types.T{types.TInt8, types.TBool}, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		return textOrNull(constraintdef(a[0].I)), nil
	})})

	// Arrays in text form.
	Register(&Overload{Name: "array_to_string", Args: []types.T{types.TText, types.TText}, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		elems, nulls, ok := ParseArrayText(string(a[0].S))
		if !ok {
			return types.Null, types.Errorf("22P02", "malformed array literal: \"%s\"", string(a[0].S))
		}
		var parts []string
		for k, e := range elems {
			if !nulls[k] {
				parts = append(parts, e)
			}
		}
		return types.NewString(strings.Join(parts, string(a[1].S))), nil
	})})
	Register(&Overload{Name: "array_upper", Args: []types.T{types.TText, types.TInt4}, Ret: types.TInt4, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		elems, _, ok := ParseArrayText(string(a[0].S))
		if !ok || len(elems) == 0 || a[1].I != 1 {
			return types.Null, nil
		}
		return types.NewInt(int64(len(elems))), nil
	})})
	// a[i]: written as __pg_op('[]', a, i) by sql/.
	Register(&Overload{Name: "[]", Args: []types.T{types.TText, types.TInt4}, Ret: types.TText, Fn: rowK(func(a []types.Datum, _ []types.T) (types.Datum, error) {
		elems, nulls, ok := ParseArrayText(string(a[0].S))
		if !ok {
			return types.Null, types.Errorf("22P02", "malformed array literal: \"%s\"", string(a[0].S))
		}
		k := a[1].I - 1
		if k < 0 || k >= int64(len(elems)) || nulls[k] {
			return types.Null, nil
		}
		return types.NewString(elems[k]), nil
	})})
	// x = ANY (array): written as __pg_op('= any', x, array) by sql/.
	Register(&Overload{Name: "= any", Args: []types.T{types.TUnknown, types.TText}, Ret: types.TBool, Fn: rowK(func(a []types.Datum, typs []types.T) (types.Datum, error) {
		x := string(textOf(nil, typs[0], a[0]))
		elems, nulls, ok := ParseArrayText(string(a[1].S))
		if !ok {
			return types.Null, types.Errorf("22P02", "malformed array literal: \"%s\"", string(a[1].S))
		}
		sawNull := false
		for k, e := range elems {
			if nulls[k] {
				sawNull = true
			} else if e == x {
				return types.NewBool(true), nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return types.NewBool(false), nil
	})})
}
