package spantree

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) bool
		warn  string // substring of the one warning expected, or ""
	}{
		{"defaults", nil, func(c Config) bool {
			d := defaultConfig()
			return c.Sample == 1 && c.Slow == d.Slow && c.Fold == d.Fold && c.MaxSpans == d.MaxSpans
		}, ""},
		{"tags", map[string]string{"SPANTREE_TAGS": "env=prod, region = eu ,,"}, func(c Config) bool {
			return reflect.DeepEqual(c.Tags, map[string]string{"env": "prod", "region": "eu"})
		}, ""},
		{"bad tag", map[string]string{"SPANTREE_TAGS": "env=prod,oops"}, func(c Config) bool {
			return reflect.DeepEqual(c.Tags, map[string]string{"env": "prod"})
		}, `SPANTREE_TAGS: "oops" is not k=v`},
		{"service", map[string]string{"SPANTREE_SERVICE": "api"}, func(c Config) bool { return c.Service == "api" }, ""},
		{"fold off", map[string]string{"SPANTREE_FOLD": "off"}, func(c Config) bool { return c.Fold == 0 }, ""},
		{"slow", map[string]string{"SPANTREE_SLOW": "2s"}, func(c Config) bool { return c.Slow == 2*time.Second }, ""},
		{"bad slow", map[string]string{"SPANTREE_SLOW": "fast"}, func(c Config) bool { return c.Slow == defaultConfig().Slow }, `SPANTREE_SLOW: "fast" is not a duration`},
		{"sample", map[string]string{"SPANTREE_SAMPLE": "0.25"}, func(c Config) bool { return c.Sample == 0.25 }, ""},
		{"bad sample", map[string]string{"SPANTREE_SAMPLE": "2"}, func(c Config) bool { return c.Sample == 1 }, "SPANTREE_SAMPLE"},
		{"bad max", map[string]string{"SPANTREE_MAX_SPANS": "-3"}, func(c Config) bool { return c.MaxSpans == defaultConfig().MaxSpans }, "SPANTREE_MAX_SPANS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []string
			c := configFromEnv(func(k string) string { return tt.env[k] }, func(m string) { warnings = append(warnings, m) })
			if !tt.check(c) {
				t.Errorf("configFromEnv(%v) = %+v", tt.env, c)
			}
			switch {
			case tt.warn == "" && len(warnings) > 0:
				t.Errorf("warnings = %q; want none", warnings)
			case tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)):
				t.Errorf("warnings = %q; want one mentioning %q", warnings, tt.warn)
			}
		})
	}
}

func TestSinkFromSpec(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec     string
		wantType string
		fallback bool
	}{
		{"off", "<nil>", false},
		{"tree", "*spantree.Tree", false},
		{"json", "*spantree.JSON", false},
		{"json:" + filepath.Join(dir, "spans.jsonl"), "*spantree.JSON", false},
		{"json:" + filepath.Join(dir, "missing", "spans.jsonl"), "*spantree.JSON", true},
		{"carrier-pigeon", "*spantree.JSON", true},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			spec     string
			wantType string
			fallback bool
		}{"json:" + filepath.Join(ro, "spans.jsonl"), "*spantree.JSON", true})
	}
	for _, tt := range tests {
		stderr := captureStderr(t, func() {
			_, s := sinkFromSpec(Config{Sink: tt.spec})
			if got := typeString(s); got != tt.wantType {
				t.Errorf("sinkFromSpec(%q) = %s; want %s", tt.spec, got, tt.wantType)
			}
		})
		if got := strings.Contains(stderr, "SPANTREE_SINK:"); got != tt.fallback {
			t.Errorf("sinkFromSpec(%q) warned %q; want a warning naming SPANTREE_SINK: %v", tt.spec, stderr, tt.fallback)
		}
	}
}

func typeString(s Sink) string {
	if s == nil {
		return "<nil>"
	}
	return reflect.TypeOf(s).String()
}

func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	f()
	os.Stderr = old
	w.Close()
	b := make([]byte, 4096)
	n, _ := r.Read(b)
	r.Close()
	return string(b[:n])
}
