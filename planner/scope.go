package planner

import (
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// scope is the set of columns visible to expressions at one point of a
// query (the FROM clause's columns), plus the enclosing query's scope for
// correlated references.
type scope struct {
	cols   []Column
	parent *scope
	// outer collects, for a subquery scope, the expressions (valid in the
	// parent's context) whose values the subquery reads through OuterRef.
	outer    []exec.Expr
	outerKey map[string]int
	// usingHidden marks right-hand USING columns that unqualified names
	// must not see (PostgreSQL merges them into the left one).
	usingHidden map[int]bool
}

func (s *scope) lookup(table, name string) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.Name != name {
			continue
		}
		if table != "" && c.Table != table {
			continue
		}
		if table == "" && s.usingHidden[i] {
			continue
		}
		if found >= 0 {
			return -1, types.Errorf(types.CodeAmbiguousColumn, "column reference %q is ambiguous", name)
		}
		found = i
	}
	return found, nil
}

func (s *scope) hasTable(table string) bool {
	for _, c := range s.cols {
		if c.Table == table {
			return true
		}
	}
	return false
}

// resolve finds a column by name in this scope or an enclosing one. A column
// of an enclosing scope becomes an OuterRef registered on every scope in
// between.
func (s *scope) resolve(table, name string) (exec.Expr, error) {
	i, err := s.lookup(table, name)
	if err != nil {
		return nil, err
	}
	if i >= 0 {
		c := s.cols[i]
		return &exec.ColRef{Idx: i, Typ: c.Type, Name: qualName(c.Table, c.Name)}, nil
	}
	if s.parent == nil {
		return nil, nil
	}
	pe, err := s.parent.resolve(table, name)
	if err != nil || pe == nil {
		return pe, err
	}
	key := pe.String()
	if s.outerKey == nil {
		s.outerKey = map[string]int{}
	}
	k, ok := s.outerKey[key]
	if !ok {
		k = len(s.outer)
		s.outer = append(s.outer, pe)
		s.outerKey[key] = k
	}
	return newOuterRef(k, pe.Type(), qualName(table, name)), nil
}

func qualName(table, name string) string {
	if table == "" {
		return name
	}
	return table + "." + name
}

func lower(s string) string { return strings.ToLower(s) }
