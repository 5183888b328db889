package planner

// The pg_catalog system tables psql's meta-commands (\d, \dt, \di, \l, \dn,
// ...) read, computed from the catalog. Representation: oid-like columns
// (oid, regclass, regproc, ...) are bigint, "char" and name are text, and
// arrays (int2vector, oid[], aclitem[], ...) are text in PostgreSQL's array
// format. Objects get these oids: relations and secondary indexes their
// catalog ids; a table's primary-key index pkIndexOID(id) and its
// constraint pkConstraintOID(id); namespaces and types PostgreSQL's own.

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// Namespace oids (pg_catalog and public are PostgreSQL's).
const (
	nspPgCatalog   = 11
	nspPublic      = 2200
	nspInfoSchema  = 13000
	amHeap         = 2
	amBtree        = 403
	tablespaceDflt = 1663
	databaseOID    = 16384
	databaseName   = "streamsql"
	ownerOID       = scalar.BootstrapSuperuserOID
	collDefault    = 100
)

func pkIndexOID(rel uint32) int64      { return 1<<31 | int64(rel) }
func pkConstraintOID(rel uint32) int64 { return 3<<30 | int64(rel) }
func uniqueConOID(ix uint32) int64     { return 5<<29 | int64(ix) }

// vcol is a column of a system table; kind is one of o (oid, bigint), t
// (text), b (bool), s (int2), i (int4), f (float4).
type vcol struct{ name, kind string }

func vcols(spec string) []vcol {
	var out []vcol
	for _, f := range strings.Fields(spec) {
		n, k, _ := strings.Cut(f, ":")
		out = append(out, vcol{n, k})
	}
	return out
}

func (c vcol) typ() types.T {
	switch c.kind {
	case "o":
		return types.TInt8
	case "b":
		return types.TBool
	case "s":
		return types.TInt2
	case "i":
		return types.TInt4
	case "f":
		return types.TFloat4
	}
	return types.TText
}

// sysTable builds a VirtualTable; row values are string, int, int64, bool,
// float64 or nil (NULL).
func sysTable(spec string, rows [][]any) *VirtualTable {
	cs := vcols(spec)
	v := &VirtualTable{Cols: make([]Column, len(cs)), Rows: [][]exec.Expr{}}
	for i, c := range cs {
		v.Cols[i] = Column{Name: c.name, Type: c.typ()}
	}
	for _, r := range rows {
		row := make([]exec.Expr, len(cs))
		for i, c := range cs {
			t := c.typ()
			d := types.Null
			if i < len(r) {
				switch x := r[i].(type) {
				case string:
					d = types.NewString(x)
				case int:
					d = types.NewInt(int64(x))
				case int64:
					d = types.NewInt(x)
				case uint32:
					d = types.NewInt(int64(x))
				case bool:
					d = types.NewBool(x)
				case float64:
					d = types.NewFloat(x)
				}
			}
			row[i] = &exec.Const{Val: d, Typ: t}
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// pgTypes lists the types pg_type reports: oid, name, len, category.
var pgTypes = []struct {
	oid  int64
	name string
	len  int
	cat  string
	coll int64
}{
	{16, "bool", 1, "B", 0}, {17, "bytea", -1, "U", 0}, {18, "char", 1, "Z", 0}, {19, "name", 64, "S", 950},
	{20, "int8", 8, "N", 0}, {21, "int2", 2, "N", 0}, {23, "int4", 4, "N", 0}, {25, "text", -1, "S", collDefault},
	{26, "oid", 4, "N", 0}, {114, "json", -1, "U", 0}, {700, "float4", 4, "N", 0}, {701, "float8", 8, "N", 0},
	{1042, "bpchar", -1, "S", collDefault}, {1043, "varchar", -1, "S", collDefault}, {1082, "date", 4, "D", 0},
	{1083, "time", 8, "D", 0}, {1114, "timestamp", 8, "D", 0}, {1184, "timestamptz", 8, "D", 0},
	{1186, "interval", 16, "T", 0}, {1700, "numeric", -1, "N", 0}, {2205, "regclass", 4, "N", 0},
	{2206, "regtype", 4, "N", 0}, {3802, "jsonb", -1, "U", 0},
}

func relkind(k catalog.Kind) string {
	switch k {
	case catalog.KindTable:
		return "r"
	case catalog.KindView:
		return "v"
	case catalog.KindMaterializedView:
		return "m"
	case catalog.KindSource:
		return "f"
	}
	return ""
}

// pgRelations are the catalog relations pg_class lists (sinks are not
// relations), sorted by id.
func (b *Binder) pgRelations() []*catalog.Relation {
	var out []*catalog.Relation
	for _, r := range b.Cat.List() {
		if relkind(r.Kind) != "" {
			out = append(out, r)
		}
	}
	return out
}

// pgIndex is an index as pg_catalog sees it: a secondary index or a
// table's primary key.
type pgIndex struct {
	oid     int64
	name    string
	rel     *catalog.Relation
	cols    []int
	desc    []bool
	unique  bool
	primary bool
}

func (b *Binder) pgIndexes(rels []*catalog.Relation) []pgIndex {
	var out []pgIndex
	for _, r := range rels {
		if r.Kind == catalog.KindTable && r.DeclaredPK && len(r.PK) > 0 {
			out = append(out, pgIndex{oid: pkIndexOID(r.ID), name: r.Name + "_pkey", rel: r, cols: r.PK, unique: true, primary: true})
		}
		for _, ix := range r.Indexes {
			out = append(out, pgIndex{oid: int64(ix.ID), name: ix.Name, rel: r, cols: ix.Columns, desc: ix.Desc, unique: ix.Unique})
		}
	}
	return out
}

func quoteIdentIfNeeded(s string) string {
	ok := s != ""
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			ok = false
		}
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (ix pgIndex) colNames() []string {
	out := make([]string, len(ix.cols))
	for i, c := range ix.cols {
		if c >= 0 && c < len(ix.rel.Columns) {
			out[i] = quoteIdentIfNeeded(ix.rel.Columns[c].Name)
		}
	}
	return out
}

func (ix pgIndex) def() string {
	cols := ix.colNames()
	for i := range cols {
		if i < len(ix.desc) && ix.desc[i] {
			cols[i] += " DESC"
		}
	}
	u := ""
	if ix.unique {
		u = "UNIQUE "
	}
	return "CREATE " + u + "INDEX " + quoteIdentIfNeeded(ix.name) + " ON public." + quoteIdentIfNeeded(ix.rel.Name) + " USING btree (" + strings.Join(cols, ", ") + ")"
}

// attnums returns each column's attnum: 1.. for visible columns, negative
// for hidden ones (like PostgreSQL's system columns).
func attnums(r *catalog.Relation) []int {
	out := make([]int, len(r.Columns))
	vis, hid := 0, 0
	for i, c := range r.Columns {
		if c.Hidden {
			hid++
			out[i] = -100 - hid
		} else {
			vis++
			out[i] = vis
		}
	}
	return out
}

func typeOIDOf(t types.T) int64 { return int64(t.OID()) }

func boolArray(n int, f func(int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}

// publishCatalogInfo gives the catalog functions (pg_get_indexdef, regclass,
// ...) the current definitions.
func (b *Binder) publishCatalogInfo(rels []*catalog.Relation, idx []pgIndex) {
	ci := &scalar.CatalogInfo{
		RelName:       map[int64]string{},
		NamespaceName: map[int64]string{nspPgCatalog: "pg_catalog", nspPublic: "public", nspInfoSchema: "information_schema"},
		IndexDef:      map[int64]string{},
		IndexCols:     map[int64][]string{},
		ConstraintDef: map[int64]string{},
	}
	for _, r := range rels {
		ci.RelName[int64(r.ID)] = r.Name
	}
	for _, ix := range idx {
		ci.RelName[ix.oid] = ix.name
		ci.IndexDef[ix.oid] = ix.def()
		ci.IndexCols[ix.oid] = ix.colNames()
		if ix.primary {
			ci.ConstraintDef[pkConstraintOID(ix.rel.ID)] = "PRIMARY KEY (" + strings.Join(ix.colNames(), ", ") + ")"
		}
	}
	scalar.SetCatalogInfo(ci)
}

// pgCatalogTable returns the pg_catalog table name (schema "" or
// "pg_catalog"), or nil.
func (b *Binder) pgCatalogTable(schema, name string) *VirtualTable {
	if schema != "" && schema != "pg_catalog" || !strings.HasPrefix(name, "pg_") {
		return nil
	}
	var rels []*catalog.Relation
	var idx []pgIndex
	load := func() {
		rels = b.pgRelations()
		idx = b.pgIndexes(rels)
		b.publishCatalogInfo(rels, idx)
	}
	switch name {
	case "pg_namespace":
		return sysTable("oid:o nspname:t nspowner:o nspacl:t", [][]any{
			{nspPgCatalog, "pg_catalog", ownerOID}, {nspPublic, "public", ownerOID}, {nspInfoSchema, "information_schema", ownerOID},
		})
	case "pg_class":
		load()
		var rows [][]any
		for _, r := range rels {
			k := relkind(r.Kind)
			am := 0
			if k == "r" || k == "m" {
				am = amHeap
			}
			hasIdx := false
			for _, ix := range idx {
				if ix.rel == r {
					hasIdx = true
				}
			}
			rows = append(rows, []any{int64(r.ID), r.Name, nspPublic, 0, 0, ownerOID, am, int64(r.ID), 0, 0, -1.0, 0, 0,
				hasIdx, false, "p", k, len(r.VisibleColumns()), 0, k == "v", false, false, false, false, true, "d", false, 0, nil, nil, nil})
		}
		for _, ix := range idx {
			rows = append(rows, []any{ix.oid, ix.name, nspPublic, 0, 0, ownerOID, amBtree, ix.oid, 0, 0, -1.0, 0, 0,
				false, false, "p", "i", len(ix.cols), 0, false, false, false, false, false, true, "n", false, 0, nil, nil, nil})
		}
		return sysTable("oid:o relname:t relnamespace:o reltype:o reloftype:o relowner:o relam:o relfilenode:o reltablespace:o relpages:i reltuples:f relallvisible:i reltoastrelid:o "+
			"relhasindex:b relisshared:b relpersistence:t relkind:t relnatts:s relchecks:s relhasrules:b relhastriggers:b relhassubclass:b relrowsecurity:b relforcerowsecurity:b relispopulated:b relreplident:t relispartition:b relrewrite:o relacl:t reloptions:t relpartbound:t", rows)
	case "pg_attribute":
		load()
		var rows [][]any
		attr := func(relid int64, name string, t types.T, num int, notNull, hasDef, hidden bool) {
			coll := 0
			if t.Family == types.Text {
				coll = collDefault
			}
			rows = append(rows, []any{relid, name, typeOIDOf(t), num, scalar.Typmod(t), 0, notNull, hasDef, "", "", false, true, 0, coll, -1, nil, nil})
		}
		for _, r := range rels {
			nums := attnums(r)
			for i, c := range r.Columns {
				attr(int64(r.ID), c.Name, c.Type, nums[i], c.NotNull, c.Default != "", c.Hidden)
			}
		}
		for _, ix := range idx {
			for i, c := range ix.cols {
				if c >= 0 && c < len(ix.rel.Columns) {
					col := ix.rel.Columns[c]
					attr(ix.oid, col.Name, col.Type, i+1, col.NotNull, false, false)
				}
			}
		}
		return sysTable("attrelid:o attname:t atttypid:o attnum:s atttypmod:i attndims:s attnotnull:b atthasdef:b attidentity:t attgenerated:t attisdropped:b attislocal:b attinhcount:i attcollation:o attstattarget:i attacl:t attoptions:t", rows)
	case "pg_attrdef":
		load()
		var rows [][]any
		for _, r := range rels {
			nums := attnums(r)
			for i, c := range r.Columns {
				if c.Default != "" {
					rows = append(rows, []any{int64(r.ID)<<8 | int64(i), int64(r.ID), nums[i], c.Default})
				}
			}
		}
		return sysTable("oid:o adrelid:o adnum:s adbin:t", rows)
	case "pg_index":
		load()
		var rows [][]any
		for _, ix := range idx {
			nums := attnums(ix.rel)
			key := boolArray(len(ix.cols), func(i int) string { return strconv.Itoa(nums[ix.cols[i]]) })
			opt := boolArray(len(ix.cols), func(i int) string {
				if i < len(ix.desc) && ix.desc[i] {
					return "3"
				}
				return "0"
			})
			rows = append(rows, []any{ix.oid, int64(ix.rel.ID), len(ix.cols), len(ix.cols), ix.unique, false, ix.primary, false, true, false, true, false, true, true, false, key, opt, nil, nil})
		}
		return sysTable("indexrelid:o indrelid:o indnatts:s indnkeyatts:s indisunique:b indnullsnotdistinct:b indisprimary:b indisexclusion:b indimmediate:b indisclustered:b indisvalid:b indcheckxmin:b indisready:b indislive:b indisreplident:b indkey:t indoption:t indexprs:t indpred:t", rows)
	case "pg_constraint":
		load()
		var rows [][]any
		for _, ix := range idx {
			if !ix.primary {
				continue
			}
			nums := attnums(ix.rel)
			keys := make([]string, len(ix.cols))
			for i, c := range ix.cols {
				keys[i] = strconv.Itoa(nums[c])
			}
			rows = append(rows, []any{pkConstraintOID(ix.rel.ID), ix.name, nspPublic, "p", false, false, true, int64(ix.rel.ID), 0, ix.oid, 0, 0, " ", " ", " ", true, 0, true, "{" + strings.Join(keys, ",") + "}", nil, nil})
		}
		return sysTable("oid:o conname:t connamespace:o contype:t condeferrable:b condeferred:b convalidated:b conrelid:o contypid:o conindid:o conparentid:o confrelid:o confupdtype:t confdeltype:t confmatchtype:t conislocal:b coninhcount:i connoinherit:b conkey:t confkey:t conbin:t", rows)
	case "pg_type":
		var rows [][]any
		for _, t := range pgTypes {
			rows = append(rows, []any{t.oid, t.name, nspPgCatalog, ownerOID, t.len, t.len > 0 && t.len <= 8, "b", t.cat, false, true, ",", 0, 0, 0, t.name + "in", t.name + "out", false, 0, -1, 0, t.coll, nil})
		}
		return sysTable("oid:o typname:t typnamespace:o typowner:o typlen:s typbyval:b typtype:t typcategory:t typispreferred:b typisdefined:b typdelim:t typrelid:o typelem:o typarray:o typinput:t typoutput:t typnotnull:b typbasetype:o typtypmod:i typndims:i typcollation:o typdefault:t", rows)
	case "pg_collation":
		return sysTable("oid:o collname:t collnamespace:o collowner:o collprovider:t collisdeterministic:b collencoding:i collcollate:t collctype:t", [][]any{
			{collDefault, "default", nspPgCatalog, ownerOID, "d", true, -1}, {950, "C", nspPgCatalog, ownerOID, "c", true, -1, "C", "C"}, {951, "POSIX", nspPgCatalog, ownerOID, "c", true, -1, "POSIX", "POSIX"},
		})
	case "pg_am":
		return sysTable("oid:o amname:t amhandler:t amtype:t", [][]any{{amHeap, "heap", "heap_tableam_handler", "t"}, {amBtree, "btree", "bthandler", "i"}})
	case "pg_database":
		return sysTable("oid:o datname:t datdba:o encoding:i datlocprovider:t datistemplate:b datallowconn:b datconnlimit:i datfrozenxid:o datminmxid:o dattablespace:o datcollate:t datctype:t daticulocale:t datcollversion:t datacl:t", [][]any{
			{databaseOID, databaseName, ownerOID, 6, "c", false, true, -1, 0, 0, tablespaceDflt, "C.UTF-8", "C.UTF-8", nil, nil, nil},
		})
	case "pg_roles", "pg_authid":
		return sysTable("oid:o rolname:t rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b rolreplication:b rolconnlimit:i rolpassword:t rolvaliduntil:t rolbypassrls:b rolconfig:t", [][]any{
			{ownerOID, scalar.SuperuserName, true, true, true, true, true, true, -1, "********", nil, true, nil},
		})
	case "pg_user":
		return sysTable("usename:t usesysid:o usecreatedb:b usesuper:b userepl:b usebypassrls:b passwd:t valuntil:t useconfig:t", [][]any{
			{scalar.SuperuserName, ownerOID, true, true, true, true, "********", nil, nil},
		})
	case "pg_auth_members":
		return sysTable("oid:o roleid:o member:o grantor:o admin_option:b", nil)
	case "pg_tablespace":
		return sysTable("oid:o spcname:t spcowner:o spcacl:t spcoptions:t", [][]any{{tablespaceDflt, "pg_default", ownerOID}, {1664, "pg_global", ownerOID}})
	case "pg_description":
		return sysTable("objoid:o classoid:o objsubid:i description:t", nil)
	case "pg_shdescription":
		return sysTable("objoid:o classoid:o description:t", nil)
	case "pg_inherits":
		return sysTable("inhrelid:o inhparent:o inhseqno:i inhdetachpending:b", nil)
	case "pg_policy":
		return sysTable("oid:o polname:t polrelid:o polcmd:t polpermissive:b polroles:t polqual:t polwithcheck:t", nil)
	case "pg_trigger":
		return sysTable("oid:o tgrelid:o tgparentid:o tgname:t tgfoid:o tgtype:s tgenabled:t tgisinternal:b tgconstrrelid:o tgconstrindid:o tgconstraint:o tgdeferrable:b tginitdeferred:b tgnargs:s tgattr:t tgargs:t tgqual:t tgoldtable:t tgnewtable:t", nil)
	case "pg_rewrite":
		return sysTable("oid:o rulename:t ev_class:o ev_type:t ev_enabled:t is_instead:b ev_qual:t ev_action:t", nil)
	case "pg_statistic_ext":
		return sysTable("oid:o stxrelid:o stxname:t stxnamespace:o stxowner:o stxstattarget:i stxkeys:t stxkind:t stxexprs:t", nil)
	case "pg_publication":
		return sysTable("oid:o pubname:t pubowner:o puballtables:b pubinsert:b pubupdate:b pubdelete:b pubtruncate:b pubviaroot:b", nil)
	case "pg_publication_namespace":
		return sysTable("oid:o pnpubid:o pnnspid:o", nil)
	case "pg_publication_rel":
		return sysTable("oid:o prpubid:o prrelid:o prqual:t prattrs:t", nil)
	case "pg_foreign_table":
		return sysTable("ftrelid:o ftserver:o ftoptions:t", nil)
	case "pg_partitioned_table":
		return sysTable("partrelid:o partstrat:t partnatts:s partdefid:o partattrs:t", nil)
	case "pg_sequence":
		return sysTable("seqrelid:o seqtypid:o seqstart:o seqincrement:o seqmax:o seqmin:o seqcache:o seqcycle:b", nil)
	case "pg_depend":
		return sysTable("classid:o objid:o objsubid:i refclassid:o refobjid:o refobjsubid:i deptype:t", nil)
	case "pg_extension":
		return sysTable("oid:o extname:t extowner:o extnamespace:o extrelocatable:b extversion:t extconfig:t extcondition:t", nil)
	}
	return nil
}
