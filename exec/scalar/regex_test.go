package scalar

import (
	"regexp/syntax"
	"testing"
)

func TestRequiredLiteral(t *testing.T) {
	for _, tc := range []struct{ pat, lit string }{
		{`(?s)(&|^)channel_id=([^&]*)`, "channel_id="},
		{`abc`, "abc"},
		{`a(bcd)?e`, "a"},
		{`x(yz)w+`, "yz"},
		{`(?i)abc`, ""},
		{`ab|cd`, ""},
		{`(ab)*`, ""},
		{`\d+`, ""},
		{`foo.*barbaz`, "barbaz"},
	} {
		re, err := syntax.Parse(tc.pat, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(requiredLiteral(re.Simplify())); got != tc.lit {
			t.Errorf("%s: required literal %q, want %q", tc.pat, got, tc.lit)
		}
	}
}
