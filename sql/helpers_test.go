package sql

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// restore prints a TiDB node back to SQL (ANSI quotes off, lower keywords).
func restore(t testing.TB, n ast.Node) string {
	t.Helper()
	var b strings.Builder
	ctx := format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordLowercase|format.RestoreNameBackQuotes, &b)
	if err := n.Restore(ctx); err != nil {
		t.Fatalf("restore: %v", err)
	}
	return b.String()
}

func mustQuery(t testing.TB, text string) *Query {
	t.Helper()
	stmts, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	if len(stmts) != 1 {
		t.Fatalf("Parse(%q): %d statements", text, len(stmts))
	}
	q, ok := stmts[0].(*Query)
	if !ok {
		t.Fatalf("Parse(%q): %T, want *Query", text, stmts[0])
	}
	return q
}
