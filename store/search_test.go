package store

import "testing"

func TestRunTerm(t *testing.T) {
	for _, tt := range []struct {
		term    string
		service string
		run     int64
		ok      bool
	}{
		{"run:142", "", 142, true},
		{"shop#142", "shop", 142, true},
		{"my#svc#7", "my#svc", 7, true},
		{"run:0", "", 0, false},
		{"run:-3", "", -3, false},
		{"run:nightly", "", 0, false},
		{"env:prod", "", 0, false},
		{"#142", "", 0, false},
		{"shop#", "", 0, false},
		{"shop#x1", "", 0, false},
		{"env:a#1", "", 0, false},
		{"shop", "", 0, false},
	} {
		service, run, ok := RunTerm(tt.term)
		if ok != tt.ok || (ok && (service != tt.service || run != tt.run)) {
			t.Errorf("RunTerm(%q) = %q, %d, %v; want %q, %d, %v", tt.term, service, run, ok, tt.service, tt.run, tt.ok)
		}
	}
}

func TestRunLabel(t *testing.T) {
	for _, tt := range []struct {
		app  string
		run  int64
		want string
	}{
		{"shop", 142, "shop#142"},
		{"shop", 0, ""},
		{"", 3, "#3"},
	} {
		if got := RunLabel(tt.app, tt.run); got != tt.want {
			t.Errorf("RunLabel(%q, %d) = %q; want %q", tt.app, tt.run, got, tt.want)
		}
	}
}
