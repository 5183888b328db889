package planner

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Column describes one output column of a plan node.
type Column struct {
	Name  string
	Table string // the range variable (alias) it came from, "" for computed
	Type  types.T
	// Hidden columns are not expanded by * (a table's implicit _row_id).
	Hidden bool
	// Source identifies a base-table column (for RowDescription's table OID
	// and column number); zero when computed.
	RelID  uint32
	ColNum int16
}

// Node is a logical plan node. Expressions inside a node reference the
// columns of its input (for joins: the left columns followed by the right).
type Node interface {
	Schema() []Column
}

// Scan reads a base table (or a materialized view's stored rows).
type Scan struct {
	Rel   *catalog.Relation
	Alias string
	Cols  []Column
	// Filters are conjuncts over the table's columns pushed down here; the
	// physical builder uses them to choose a point lookup or index range.
	Filters []exec.Expr
}

// Values produces constant rows.
type Values struct {
	Cols []Column
	Rows [][]exec.Expr
}

// TableFunc is a set-returning function in FROM (generate_series).
type TableFunc struct {
	Name string
	Args []exec.Expr
	Cols []Column
}

func (n *TableFunc) Schema() []Column { return n.Cols }

// Project computes expressions over its input.
type Project struct {
	In    Node
	Exprs []exec.Expr
	Cols  []Column
}

// Filter keeps the rows for which every conjunct is true.
type Filter struct {
	In    Node
	Conds []exec.Expr
}

// JoinKind is the kind of join.
type JoinKind uint8

const (
	JoinInner JoinKind = iota
	JoinLeft
	JoinRight
	JoinFull
	JoinSemi
	JoinAnti
	JoinAntiNullAware
)

// Join combines two inputs; Conds reference left columns then right columns.
// Semi and anti joins output the left columns only.
type Join struct {
	Kind  JoinKind
	L, R  Node
	Conds []exec.Expr
	// Temporal marks R FOR SYSTEM_TIME AS OF PROCTIME() (inner or left
	// join): a view looks each left row up in the table R as it is then
	// (see stream_lookup.go); a batch query joins as usual.
	Temporal bool
}

// AggCall is one aggregate of an Aggregate node.
type AggCall struct {
	Name     string
	Args     []exec.Expr
	Distinct bool
	Filter   exec.Expr // FILTER (WHERE ...), nil if none
	Ret      types.T
}

// Aggregate groups its input; output = group expressions then aggregates.
type Aggregate struct {
	In     Node
	Groups []exec.Expr
	Aggs   []AggCall
	Cols   []Column
}

// SortKey orders by an input column.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// WindowCall is one window function; its partition and order columns are
// input columns (the binder projects expressions first).
type WindowCall struct {
	Name        string
	Args        []int
	ArgTypes    []types.T
	Ret         types.T
	PartitionBy []int
	OrderBy     []SortKey
	Frame       *WindowFrame
}

// WindowFrame is a ROWS/RANGE frame; nil means the default frame.
type WindowFrame struct {
	Rows                         bool
	StartUnbounded, EndUnbounded bool
	StartCurrent, EndCurrent     bool
	StartOffset, EndOffset       int64 // PRECEDING offsets are negative
}

// Window appends one column per call to its input's columns.
type Window struct {
	In    Node
	Calls []WindowCall
	Cols  []Column
}

// Sort orders its input.
type Sort struct {
	In   Node
	Keys []SortKey
}

// Limit skips Offset rows then returns at most Count rows. Both are
// constant bigint expressions (possibly parameters) evaluated at run time;
// nil means no limit / no offset.
type Limit struct {
	In            Node
	Count, Offset exec.Expr
}

// Distinct removes duplicate rows; with On set, keeps the first row of each
// group of equal On columns (DISTINCT ON), relying on its input's order.
type Distinct struct {
	In Node
	On []int
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

const (
	SetUnion SetOpKind = iota
	SetIntersect
	SetExcept
)

// SetOp combines two inputs with identical column types.
type SetOp struct {
	Kind SetOpKind
	All  bool
	L, R Node
	Cols []Column
}

func (n *Scan) Schema() []Column    { return n.Cols }
func (n *Values) Schema() []Column  { return n.Cols }
func (n *Project) Schema() []Column { return n.Cols }
func (n *Filter) Schema() []Column  { return n.In.Schema() }
func (n *Join) Schema() []Column {
	if n.Kind == JoinSemi || n.Kind == JoinAnti || n.Kind == JoinAntiNullAware {
		return n.L.Schema()
	}
	l, r := n.L.Schema(), n.R.Schema()
	out := make([]Column, 0, len(l)+len(r))
	return append(append(out, l...), r...)
}
func (n *Aggregate) Schema() []Column { return n.Cols }
func (n *Window) Schema() []Column    { return n.Cols }
func (n *Sort) Schema() []Column      { return n.In.Schema() }
func (n *Limit) Schema() []Column     { return n.In.Schema() }
func (n *Distinct) Schema() []Column  { return n.In.Schema() }
func (n *SetOp) Schema() []Column     { return n.Cols }

func colTypes(cols []Column) []types.T {
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	return ts
}
