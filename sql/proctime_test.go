package sql

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestProctimeColumn(t *testing.T) {
	ct := parseOne(t, `CREATE TABLE t (a int, p_time TIMESTAMPTZ AS PROCTIME(), b text NOT NULL)`).(*CreateTable)
	if len(ct.Columns) != 3 || ct.Columns[0].Proctime || !ct.Columns[1].Proctime || ct.Columns[2].Proctime || !ct.Columns[2].NotNull {
		t.Errorf("%+v", ct.Columns)
	}
	cs := parseOne(t, `CREATE SOURCE s (a int, p timestamp with time zone as proctime(), WATERMARK FOR a AS a - 1) WITH (connector = 'datagen')`).(*CreateSource)
	if len(cs.Columns) != 2 || !cs.Columns[1].Proctime || cs.Watermark == nil {
		t.Errorf("%+v", cs)
	}
	for _, tc := range []struct{ in, code string }{
		{`CREATE TABLE t (p timestamp AS PROCTIME())`, types.CodeDatatypeMismatch},
		{`CREATE TABLE t (p timestamptz DEFAULT now() AS PROCTIME())`, types.CodeSyntaxError},
		{`CREATE TABLE t (a int, b int AS a + 1)`, types.CodeFeatureNotSupported},
	} {
		_, err := Parse(tc.in)
		if e, ok := err.(*types.Error); !ok || e.Code != tc.code {
			t.Errorf("%s: %v, want %s", tc.in, err, tc.code)
		}
	}
}
