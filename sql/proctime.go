package sql

import "github.com/streamsql/streamsql/types"

// proctimeColumn applies the column option AS PROCTIME() (RisingWave's
// processing-time column) to c.
func proctimeColumn(c *ColumnDef, text string, pos int) error {
	if c.Type.Family != types.Timestamptz {
		e := types.Errorf(types.CodeDatatypeMismatch, "column %q declared AS PROCTIME() must have type timestamp with time zone, not %s", c.Name, c.Type)
		e.Position = runePos(text, pos)
		return e
	}
	if c.Default != nil || c.Proctime {
		e := types.Errorf(types.CodeSyntaxError, "both default and generation expression specified for column %q", c.Name)
		e.Position = runePos(text, pos)
		return e
	}
	c.Proctime = true
	return nil
}
