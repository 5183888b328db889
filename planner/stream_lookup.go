package planner

// Temporal joins: FROM l JOIN t FOR SYSTEM_TIME AS OF PROCTIME() ON ...
// (RisingWave's syntax). The binder marks the Join Temporal; a batch query
// runs it as an ordinary join, a materialized view as a stream.LookupJoin
// that looks each left row up in t by primary key when it arrives (t is
// not an input of the view: its later changes do not touch earlier
// output).

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/exec/stream"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// temporalRight reports whether join j reads its right side FOR
// SYSTEM_TIME AS OF PROCTIME(), and lets bindTableName accept that clause
// there (checkAsOf).
func (b *Binder) temporalRight(j *ast.Join) (bool, error) {
	if !sql.IsTemporalRef(j.Right) {
		return false, nil
	}
	_, full := sql.IsFullJoin(j)
	if j.Tp == ast.RightJoin || full {
		return false, types.Errorf(types.CodeFeatureNotSupported, "FOR SYSTEM_TIME AS OF PROCTIME() is only supported in an inner or left join")
	}
	if j.NaturalJoin {
		return false, types.Errorf(types.CodeFeatureNotSupported, "FOR SYSTEM_TIME AS OF PROCTIME() is not supported in a NATURAL join")
	}
	b.temporalOK = true
	return true, nil
}

// checkAsOf rejects an AS OF clause on a table other than the right side
// of a temporal join.
func (b *Binder) checkAsOf(t *ast.TableName) error {
	if t.AsOf == nil {
		return nil
	}
	ok, err := sql.AsTemporalTable(t)
	if err != nil {
		return err
	}
	if !ok || !b.temporalOK {
		return types.Errorf(types.CodeFeatureNotSupported, "FOR SYSTEM_TIME AS OF PROCTIME() is only supported on the right side of a join")
	}
	b.temporalOK = false
	return nil
}

// pushTemporal pushes conditions into and through a temporal join without
// reordering it: ON conditions on the right side alone become filters of
// its scan (a looked-up row that fails them does not match), WHERE
// conditions on the left side alone go down the left. The rest stay.
func (o *optimizer) pushTemporal(j *Join, conds []exec.Expr) Node {
	nl := len(j.L.Schema())
	nr := len(j.R.Schema())
	var toL, toR, here, above []exec.Expr
	for _, c := range j.Conds {
		cols := colsOf(c)
		switch {
		case len(cols) > 0 && allIn(cols, nl, nl+nr):
			toR = append(toR, shift(c, func(i int) int { return i - nl }))
		case len(cols) > 0 && allIn(cols, 0, nl) && j.Kind == JoinInner:
			toL = append(toL, c)
		default:
			here = append(here, c)
		}
	}
	for _, c := range conds {
		if cols := colsOf(c); len(cols) > 0 && allIn(cols, 0, nl) {
			toL = append(toL, c)
		} else {
			above = append(above, c)
		}
	}
	nj := &Join{Kind: j.Kind, L: o.push(j.L, toL), R: o.push(j.R, toR), Conds: here, Temporal: true}
	return withFilter(nj, above)
}

func temporalErr(format string, args ...any) error {
	e := types.Errorf(types.CodeFeatureNotSupported, format, args...)
	e.Hint = "A temporal join (FOR SYSTEM_TIME AS OF PROCTIME()) looks rows up in a table by its primary key."
	return e
}

// buildLookupJoin compiles a temporal join into a stream.LookupJoin.
func (sb *streamBuilder) buildLookupJoin(j *Join, parent *StreamNode, port int) error {
	if j.Kind != JoinInner && j.Kind != JoinLeft {
		return temporalErr("FOR SYSTEM_TIME AS OF PROCTIME() is only supported in an inner or left join")
	}
	scan, ok := j.R.(*Scan)
	if !ok {
		return temporalErr("the right side of a temporal join must be a table")
	}
	rel := scan.Rel
	switch {
	case rel.Kind == catalog.KindTable && len(rel.PK) == 0:
		// Sources appear to views as tables without any key.
		return temporalErr("the right side of a temporal join must be a table, but %q is a source", rel.Name)
	case rel.Kind != catalog.KindTable:
		return temporalErr("the right side of a temporal join must be a table, but %q is a %s", rel.Name, rel.Kind)
	case !rel.DeclaredPK:
		return temporalErr("the right side of a temporal join must be a table with a primary key, but %q has none", rel.Name)
	}
	if err := checkExprs(j.Conds...); err != nil {
		return err
	}
	if err := checkExprs(scan.Filters...); err != nil {
		return err
	}
	nl := len(j.L.Schema())
	nr := len(j.R.Schema())
	// One equality per primary-key column gives the lookup key; every
	// other condition is checked on the looked-up row.
	keys := make([]exec.Expr, len(rel.PK))
	var residual []exec.Expr
	for _, c := range j.Conds {
		if lk, rk, ok := equiParts(c, nl, nr); ok {
			if rc, isCol := keyColumn(rk); isCol {
				used := false
				for i, p := range rel.PK {
					if rc.Idx == p && keys[i] == nil && rc.Type() == rel.Columns[p].Type {
						keys[i], used = lk, true
						break
					}
				}
				if used {
					continue
				}
			}
		}
		residual = append(residual, c)
	}
	var pkNames []string
	missing := false
	for i, p := range rel.PK {
		pkNames = append(pkNames, rel.Columns[p].Name)
		missing = missing || keys[i] == nil
	}
	if missing {
		e := types.Errorf(types.CodeInvalidColumnRef, "a temporal join needs an equality condition on every primary key column of %q (%s)", rel.Name, strings.Join(pkNames, ", "))
		e.Hint = "Write ON left_expression = " + scan.Alias + "." + pkNames[0] + " for each key column."
		return e
	}
	for _, f := range scan.Filters {
		residual = append(residual, shift(f, func(i int) int { return i + nl }))
	}
	var res exec.Expr
	if len(residual) > 0 {
		res = mkAnd(residual)
	}
	pkTypes := make([]types.T, len(rel.PK))
	for i, p := range rel.PK {
		pkTypes[i] = rel.Columns[p].Type
	}
	op := stream.NewLookupJoin(colTypes(j.L.Schema()), rel.Types(), keys, rel.ID, pkTypes, j.Kind == JoinLeft, res)
	kind := map[bool]string{true: "left", false: "inner"}[j.Kind == JoinLeft]
	desc := fmt.Sprintf("LookupJoin %s %s", kind, rel.Name)
	if scan.Alias != rel.Name {
		desc += " AS " + scan.Alias
	}
	desc += fmt.Sprintf(" key (%s) = (%s)", exprList(keys), strings.Join(pkNames, ", "))
	if res != nil {
		desc += " residual " + res.String()
	}
	var stateID uint32
	if appendOnly(j.L) {
		desc += " (stateless, output: append-only)"
	} else {
		id, err := sb.alloc()
		if err != nil {
			return err
		}
		stateID = id
		op.SetRetractable(id)
		desc += fmt.Sprintf(" (state %d, output: retract)", id)
	}
	nd := sb.attach(op, desc, stateID, parent, port)
	return sb.build(j.L, nd, 0)
}

// keyColumn returns the right-side column compared by a join key: the
// column itself, or a smaller integer column widened to the other side's
// type (the lookup then narrows the left value, which matches nothing
// when out of the column's range).
func keyColumn(rk exec.Expr) (*exec.ColRef, bool) {
	if c, ok := rk.(*exec.ColRef); ok {
		return c, true
	}
	cast, ok := rk.(*scalar.Cast)
	if !ok {
		return nil, false
	}
	c, ok := cast.Arg.(*exec.ColRef)
	if !ok || !isIntFamily(c.Type().Family) || !isIntFamily(cast.To.Family) {
		return nil, false
	}
	return c, true
}

func isIntFamily(f types.Family) bool {
	return f == types.Int16 || f == types.Int32 || f == types.Int64
}
