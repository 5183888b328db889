package session

// Processing-time columns: a column declared `name TIMESTAMPTZ AS
// PROCTIME()` in CREATE SOURCE or CREATE TABLE holds the time its row was
// ingested. Connectors never see such columns: a source or connector
// table's reader fills them when it commits a batch of rows (the engine's
// clock, one value per commit), in the same chunk, and a table stores them
// like any column. INSERT fills them with the statement's time; they
// cannot be given explicit values.

import (
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

type proctimeCol struct {
	at  int
	def sql.ColumnDef
}

// splitProctime removes the AS PROCTIME() columns from cols (the
// connector's preparation must not see them); restoreProctime puts them
// back.
func splitProctime(cols []sql.ColumnDef) ([]sql.ColumnDef, []proctimeCol) {
	var rest []sql.ColumnDef
	var gen []proctimeCol
	for i, c := range cols {
		if c.Proctime {
			gen = append(gen, proctimeCol{at: i, def: c})
		} else {
			rest = append(rest, c)
		}
	}
	if gen == nil {
		return cols, nil
	}
	if len(rest) == 0 {
		// The connector will choose the columns (nexmark's defaults):
		// the processing-time columns follow them.
		for i := range gen {
			gen[i].at = -1
		}
	}
	return rest, gen
}

// restoreProctime re-inserts the columns splitProctime removed at their
// positions (after the connector's columns when it chose them itself).
func restoreProctime(cols []sql.ColumnDef, gen []proctimeCol) []sql.ColumnDef {
	if len(gen) == 0 {
		return cols
	}
	out := append([]sql.ColumnDef(nil), cols...)
	for _, g := range gen {
		at := min(g.at, len(out))
		if g.at < 0 {
			at = len(out)
		}
		out = append(out[:at], append([]sql.ColumnDef{g.def}, out[at:]...)...)
	}
	return out
}

// prepareConnectorTableProctime is prepareConnectorTable for a table whose
// column list may hold AS PROCTIME() columns.
func (s *session) prepareConnectorTableProctime(x *sql.CreateTable) error {
	rest, gen := splitProctime(x.Columns)
	x.Columns = rest
	err := s.prepareConnectorTable(x)
	x.Columns = restoreProctime(x.Columns, gen)
	return err
}

// connectorColumns returns the visible columns a connector produces and,
// when some are AS PROCTIME(), every visible column (else nil).
func connectorColumns(rel *catalog.Relation) (conn, full []int) {
	vis := rel.VisibleColumns()
	for _, i := range vis {
		if !rel.Columns[i].Proctime {
			conn = append(conn, i)
		}
	}
	if len(conn) == len(vis) {
		return vis, nil
	}
	return conn, vis
}

// layout returns the relation columns of the chunks withProctime returns.
func (r *sourceRunner) layout() []int {
	if r.full != nil {
		return r.full
	}
	return r.visible
}

// withProctime returns c (the connector's columns) with the AS PROCTIME()
// columns inserted, holding now.
func (r *sourceRunner) withProctime(c *exec.Chunk, now time.Time) *exec.Chunk {
	if r.full == nil {
		return c
	}
	out := &exec.Chunk{N: c.N, Sel: c.Sel, Ops: c.Ops}
	ts := types.NewInt(types.TimestampFromTime(now))
	j := 0
	for _, col := range r.full {
		if !r.rel.Columns[col].Proctime {
			out.Cols = append(out.Cols, c.Cols[j])
			j++
			continue
		}
		v := exec.NewVec(types.TTimestamptz, c.N)
		for k := 0; k < c.N; k++ {
			v.Set(k, ts)
		}
		out.Cols = append(out.Cols, v)
	}
	return out
}

// insertableColumns are the columns INSERT fills when it names none: the
// visible ones but the AS PROCTIME() columns (as in RisingWave).
func insertableColumns(rel *catalog.Relation) []int {
	var out []int
	for _, i := range rel.VisibleColumns() {
		if !rel.Columns[i].Proctime {
			out = append(out, i)
		}
	}
	return out
}

func generatedInsertErr(col string) error {
	e := types.Errorf("428C9", "cannot insert a non-DEFAULT value into column %q", col)
	e.Detail = "Column \"" + col + "\" is a generated column (AS PROCTIME())."
	return e
}

func generatedUpdateErr(col string) error {
	e := types.Errorf("428C9", "column %q can only be updated to DEFAULT", col)
	e.Detail = "Column \"" + col + "\" is a generated column (AS PROCTIME())."
	return e
}
