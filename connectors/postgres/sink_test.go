package postgres

import (
	"errors"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		with      map[string]string
		url, tabl string
		code      string
	}{
		{with: map[string]string{"connector": "jdbc", "jdbc.url": "jdbc:postgresql://h:5433/db?user=u&password=p", "table.name": "t"},
			url: "postgres://h:5433/db?user=u&password=p", tabl: "t"},
		{with: map[string]string{"connector": "jdbc", "jdbc.url": "jdbc:postgresql://h/db", "table.name": "t", "user": "u", "password": "p w"},
			url: "postgres://u:p%20w@h/db", tabl: "t"},
		{with: map[string]string{"connector": "postgres", "url": "postgresql://u@h:1/db", "table": "t", "type": "upsert", "primary_key": "a"},
			url: "postgres://u@h:1/db", tabl: "t"},
		{with: map[string]string{"connector": "postgres", "table": "t"}, code: "42601"},
		{with: map[string]string{"connector": "postgres", "url": "postgres://h/db"}, code: "42601"},
		{with: map[string]string{"connector": "postgres", "url": "mysql://h/db", "table": "t"}, code: "22023"},
		{with: map[string]string{"connector": "postgres", "url": "postgres://h/db", "table": "t", "bogus": "1"}, code: "22023"},
	} {
		o, err := ParseOptions(tc.with, map[string]bool{"type": true, "primary_key": true})
		if tc.code != "" {
			var te *types.Error
			if !errors.As(err, &te) || te.Code != tc.code {
				t.Errorf("%v: got %v, want SQLSTATE %s", tc.with, err, tc.code)
			}
			continue
		}
		if err != nil || o.URL != tc.url || o.Table != tc.tabl {
			t.Errorf("%v: got %+v, %v; want url %s", tc.with, o, err, tc.url)
		}
	}
}
