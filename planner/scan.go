package planner

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/batch"
	"github.com/streamsql/streamsql/exec/scalar"
	"github.com/streamsql/streamsql/types"
)

// buildScan chooses how to read a table from the filters pushed onto it:
// primary-key point lookups when every key column is fixed, else an index
// whose leading columns are fixed or ranged, else a full scan. The filters
// are always re-checked above the scan, so the access path only narrows.
func (p *PhysBuilder) buildScan(s *Scan) (exec.Operator, error) {
	path, err := p.choosePath(s)
	if err != nil {
		return nil, err
	}
	op, err := p.Store.Scan(s.Rel, path)
	if err != nil {
		return nil, err
	}
	if len(s.Filters) > 0 {
		op = batch.NewFilter(op, mkAnd(s.Filters), p.EC)
	}
	return op, nil
}

// keyPred is a usable predicate "column op value".
type keyPred struct {
	col  int
	op   string
	vals []exec.Expr // one value, or the list of an IN
}

func predsOf(filters []exec.Expr) []keyPred {
	var out []keyPred
	for _, f := range filters {
		if col, vals, ok := inListParts(f); ok {
			if c, isCol := col.(*exec.ColRef); isCol && allRuntimeConst(vals) {
				out = append(out, keyPred{col: c.Idx, op: "in", vals: vals})
			}
			continue
		}
		name, args, ok := callParts(f)
		if !ok || len(args) != 2 {
			continue
		}
		switch name {
		case "=", "<", "<=", ">", ">=":
		default:
			continue
		}
		if c, isCol := args[0].(*exec.ColRef); isCol && runtimeConst(args[1]) && args[1].Type().Family == c.Typ.Family {
			out = append(out, keyPred{col: c.Idx, op: name, vals: args[1:]})
		} else if c, isCol := args[1].(*exec.ColRef); isCol && runtimeConst(args[0]) && args[0].Type().Family == c.Typ.Family {
			out = append(out, keyPred{col: c.Idx, op: flipOp(name), vals: args[:1]})
		}
	}
	return out
}

func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// runtimeConst reports whether e has one value for the whole execution
// (constants, parameters and outer references; no columns, no volatile
// calls).
func runtimeConst(e exec.Expr) bool {
	ok := true
	scalar.Walk(e, func(x exec.Expr) bool {
		switch y := x.(type) {
		case *exec.ColRef, *scalar.Subquery:
			// (An OuterRef is fixed for one run of a correlated subquery,
			// and subqueries build their operators per run.)
			ok = false
		case *scalar.Func:
			if y.O.Volatile {
				ok = false
			}
		}
		return ok
	})
	return ok
}

func allRuntimeConst(es []exec.Expr) bool {
	for _, e := range es {
		if !runtimeConst(e) {
			return false
		}
	}
	return true
}

func (p *PhysBuilder) choosePath(s *Scan) (*AccessPath, error) {
	preds := predsOf(s.Filters)
	if len(preds) == 0 {
		return nil, nil
	}
	eval := func(e exec.Expr) (types.Datum, error) { return scalar.EvalConst(p.EC, e) }
	rel := s.Rel
	// Primary key points: every key column fixed by = or IN.
	if len(rel.PK) > 0 {
		choices := make([][]exec.Expr, len(rel.PK))
		complete := true
		for i, col := range rel.PK {
			for _, kp := range preds {
				if kp.col == col && (kp.op == "=" || kp.op == "in") {
					choices[i] = kp.vals
					break
				}
			}
			if choices[i] == nil {
				complete = false
				break
			}
		}
		if complete {
			points := [][]types.Datum{{}}
			for i, vals := range choices {
				var next [][]types.Datum
				for _, v := range vals {
					d, err := eval(v)
					if err != nil {
						return nil, err
					}
					if d.Null {
						continue
					}
					cd, err := types.Cast(d, v.Type(), rel.Columns[rel.PK[i]].Type)
					if err != nil {
						return &AccessPath{Empty: true}, nil
					}
					for _, pt := range points {
						np := append(append([]types.Datum(nil), pt...), cd)
						next = append(next, np)
					}
				}
				points = next
				if len(points) > 1024 {
					points = nil
					break
				}
			}
			if points != nil {
				if len(points) == 0 {
					return &AccessPath{Empty: true}, nil
				}
				return &AccessPath{PKPoints: points}, nil
			}
		}
	}
	// Secondary index: equality on a prefix, then a range.
	var best *AccessPath
	bestScore := 0
	// A range on the first primary-key column.
	if len(rel.PK) > 0 {
		pkPath := &AccessPath{}
		col := rel.PK[0]
		for _, kp := range preds {
			if kp.col != col || kp.op == "=" || kp.op == "in" {
				continue
			}
			d, err := eval(kp.vals[0])
			if err != nil {
				return nil, err
			}
			if d.Null {
				return &AccessPath{Empty: true}, nil
			}
			if d, err = types.Cast(d, kp.vals[0].Type(), rel.Columns[col].Type); err != nil {
				continue
			}
			switch kp.op {
			case ">", ">=":
				if pkPath.Lo == nil {
					pkPath.Lo = &Bound{Val: d, Inclusive: kp.op == ">="}
				}
			case "<", "<=":
				if pkPath.Hi == nil {
					pkPath.Hi = &Bound{Val: d, Inclusive: kp.op == "<="}
				}
			}
		}
		if pkPath.Lo != nil || pkPath.Hi != nil {
			best = pkPath
			bestScore = 1
			if pkPath.Lo != nil && pkPath.Hi != nil {
				bestScore = 2
			}
		}
	}
	for _, ix := range rel.Indexes {
		path := &AccessPath{Index: ix}
		score := 0
		for _, col := range ix.Columns {
			var eq exec.Expr
			for _, kp := range preds {
				if kp.col == col && kp.op == "=" {
					eq = kp.vals[0]
					break
				}
			}
			if eq == nil {
				for _, kp := range preds {
					if kp.col != col || kp.op == "=" || kp.op == "in" {
						continue
					}
					d, err := eval(kp.vals[0])
					if err != nil {
						return nil, err
					}
					if d.Null {
						return &AccessPath{Empty: true}, nil
					}
					d, err = types.Cast(d, kp.vals[0].Type(), rel.Columns[col].Type)
					if err != nil {
						continue
					}
					switch kp.op {
					case ">", ">=":
						if path.Lo == nil {
							path.Lo = &Bound{Val: d, Inclusive: kp.op == ">="}
							score++
						}
					case "<", "<=":
						if path.Hi == nil {
							path.Hi = &Bound{Val: d, Inclusive: kp.op == "<="}
							score++
						}
					}
				}
				break
			}
			d, err := eval(eq)
			if err != nil {
				return nil, err
			}
			if d.Null {
				return &AccessPath{Empty: true}, nil
			}
			if d, err = types.Cast(d, eq.Type(), rel.Columns[col].Type); err != nil {
				break
			}
			path.IndexEq = append(path.IndexEq, d)
			score += 3
		}
		if score > bestScore {
			best, bestScore = path, score
		}
	}
	return best, nil
}

var _ = catalog.KindTable
