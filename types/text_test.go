package types

import (
	"errors"
	"testing"
)

type textCase struct {
	t    T
	in   string
	out  string // expected text output when code == ""
	code string // expected SQLSTATE
	msg  string // expected message
}

// knownTextGaps lists PostgreSQL behaviours deliberately not reproduced.
var knownTextGaps = map[string]bool{
	"294276-12-31 23:59:59": true, // beyond the int64 1970-epoch µs range
}

func TestParseTextMatchesPostgres(t *testing.T) {
	for _, c := range pgTextCases {
		if knownTextGaps[c.in] {
			continue
		}
		d, err := ParseText(c.t, c.in)
		if c.code != "" {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s %q: want error %s %q, got %v (%q)", c.t, c.in, c.code, c.msg, err, FormatDatum(c.t, d))
				continue
			}
			if e.Code != c.code || e.Message != c.msg {
				t.Errorf("%s %q: want error %s %q, got %s %q", c.t, c.in, c.code, c.msg, e.Code, e.Message)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: unexpected error %v", c.t, c.in, err)
			continue
		}
		if got := FormatDatum(c.t, d); got != c.out {
			t.Errorf("%s %q: got %q want %q", c.t, c.in, got, c.out)
		}
		// Output must re-parse to an equal value.
		d2, err := ParseText(c.t, c.out)
		if err != nil {
			t.Errorf("%s %q: reparse of %q: %v", c.t, c.in, c.out, err)
			continue
		}
		if Compare(c.t, d, d2) != 0 {
			t.Errorf("%s %q: reparse of %q differs", c.t, c.in, c.out)
		}
	}
}
