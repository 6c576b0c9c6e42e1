package store_test

import (
	"testing"
	"time"

	"github.com/spantree/spantree/store"
)

func TestSeriesStep(t *testing.T) {
	tests := []struct {
		window, want time.Duration
	}{
		{time.Hour, time.Minute},
		{4 * time.Hour, time.Minute},
		{6 * time.Hour, 2 * time.Minute},
		{24 * time.Hour, 10 * time.Minute},
		{7 * 24 * time.Hour, time.Hour},
		{365 * 24 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := store.SeriesStep(tt.window); got != tt.want {
			t.Errorf("SeriesStep(%v) = %v; want %v", tt.window, got, tt.want)
		}
	}
}
