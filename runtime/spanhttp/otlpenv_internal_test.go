package spanhttp

import (
	"reflect"
	"testing"
)

func TestParseOTLPHeaders(t *testing.T) {
	tests := []struct {
		in       string
		want     map[string]string
		warnings int
	}{
		{"", map[string]string{}, 0},
		{"x-honeycomb-team=abc123", map[string]string{"x-honeycomb-team": "abc123"}, 0},
		{" api-key = k1 , Authorization=Basic%20dXNlcjpwYXNz ,", map[string]string{"api-key": "k1", "Authorization": "Basic dXNlcjpwYXNz"}, 0},
		{"a=1=2", map[string]string{"a": "1=2"}, 0},
		{"novalue,=x,b=%zz,c=3", map[string]string{"c": "3"}, 3},
	}
	for _, tt := range tests {
		warnings := 0
		got := parseOTLPHeaders(tt.in, func(string) { warnings++ })
		if !reflect.DeepEqual(got, tt.want) || warnings != tt.warnings {
			t.Errorf("parseOTLPHeaders(%q) = %v with %d warnings; want %v with %d", tt.in, got, warnings, tt.want, tt.warnings)
		}
	}
}
