package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestPrimesBelow(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want []int
	}{
		{name: "none below 2", n: 2, want: nil},
		{name: "below 10", n: 10, want: []int{2, 3, 5, 7}},
		{name: "below 30", n: 30, want: []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := primesBelow(tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("primesBelow(%d) = %v; want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestRoundTrips(t *testing.T) {
	docs, err := roundTrips(sampleUsers())
	if err != nil {
		t.Fatalf("roundTrips: %v", err)
	}
	if len(docs) != 3 {
		t.Errorf("roundTrips returned %d documents; want 3 (yaml, toml, json)", len(docs))
	}
}

func TestFetchUsers(t *testing.T) {
	srv := httptest.NewServer(newMux(sampleUsers()))
	defer srv.Close()
	got, err := fetchUsers(context.Background(), srv.URL+"/users")
	if err != nil {
		t.Fatalf("fetchUsers: %v", err)
	}
	if want := sampleUsers(); !slices.Equal(got, want) {
		t.Errorf("fetchUsers = %v; want %v", got, want)
	}
	if _, err := fetchUsers(context.Background(), srv.URL+"/missing"); err == nil {
		t.Errorf("fetchUsers(/missing) succeeded; want an error")
	}
}

func TestSyncUsers(t *testing.T) {
	tests := []struct {
		name    string
		users   []User
		wantErr error
	}{
		{name: "all valid", users: sampleUsers()[:2]},
		{name: "one without email", users: sampleUsers(), wantErr: errNoEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := syncUsers(context.Background(), tt.users)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("syncUsers = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestLoadSettingsFallsBack(t *testing.T) {
	if _, err := parseSettings(userSettings); err == nil {
		t.Fatalf("parseSettings(%q) succeeded; want an error", userSettings)
	}
	if got, want := loadSettings(), defaultSettings(); got != want {
		t.Errorf("loadSettings() = %+v; want %+v", got, want)
	}
}
