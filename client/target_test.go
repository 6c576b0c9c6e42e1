package client

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalNamespace checks how -db resolves -ns by the documented rules
// (docs/architecture.md, "Command line"): with several namespaces -ns is
// required, and an unknown one is an error.
func TestLocalNamespace(t *testing.T) {
	tests := []struct {
		name  string
		have  []string // namespaces in the database
		want  string   // -ns
		got   string
		isErr bool
	}{
		{name: "empty database", got: DefaultNamespace},
		{name: "empty database, named", want: "prod", isErr: true},
		{name: "the only one", have: []string{"prod"}, got: "prod"},
		{name: "named", have: []string{"prod", "staging"}, want: "staging", got: "staging"},
		{name: "several, none named", have: []string{"prod", "staging"}, isErr: true},
		{name: "unknown", have: []string{"prod"}, want: "prd", isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := OpenLocal(context.Background(), filepath.Join(t.TempDir(), "ns.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			for _, ns := range tt.have {
				if _, err := l.st.CreateKey(ctx, ns); err != nil {
					t.Fatal(err)
				}
			}
			got, err := l.Namespace(ctx, tt.want)
			var nsErr *NamespaceError
			if tt.isErr {
				if !errors.As(err, &nsErr) {
					t.Errorf("Namespace(%q) = %q, %v; want a *NamespaceError", tt.want, got, err)
				}
				return
			}
			if err != nil || got != tt.got {
				t.Errorf("Namespace(%q) = %q, %v; want %q", tt.want, got, err, tt.got)
			}
		})
	}
}

func TestOpenExistingMissing(t *testing.T) {
	if _, err := OpenExisting(context.Background(), filepath.Join(t.TempDir(), "typo.db")); err == nil {
		t.Error("OpenExisting(missing file) succeeded; want an error")
	}
}

// TestTargetEnvironment checks that -addr and -key fall back to
// $SPANTREE_ADDR and $SPANTREE_API_KEY without being the flags' defaults,
// which -h prints.
func TestTargetEnvironment(t *testing.T) {
	t.Setenv("SPANTREE_ADDR", "10.0.0.1:7070")
	t.Setenv("SPANTREE_API_KEY", "sk-secret")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	var tg Target
	tg.Flags(fs)
	fs.PrintDefaults()
	if strings.Contains(help.String(), "sk-secret") {
		t.Errorf("PrintDefaults shows the key:\n%s", help.String())
	}
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c := tg.Remote()
	if c.Base != "http://10.0.0.1:7070" || c.Key != "sk-secret" {
		t.Errorf("Remote() = %q, %q; want the environment's address and key", c.Base, c.Key)
	}
	if err := fs.Parse([]string{"-addr", "h:1", "-key", "k"}); err != nil {
		t.Fatal(err)
	}
	if c := tg.Remote(); c.Base != "http://h:1" || c.Key != "k" {
		t.Errorf("Remote() with flags = %q, %q; want the flags' address and key", c.Base, c.Key)
	}
}
