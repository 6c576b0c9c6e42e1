package store

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name string
		durs func(r *rand.Rand) []time.Duration
	}{
		{"1..100ms", func(*rand.Rand) []time.Duration {
			var d []time.Duration
			for i := 1; i <= 100; i++ {
				d = append(d, time.Duration(i)*time.Millisecond)
			}
			return d
		}},
		{"log-normal", func(r *rand.Rand) []time.Duration {
			d := make([]time.Duration, 10000)
			for i := range d {
				d[i] = time.Duration(math.Exp(r.NormFloat64()*2 + 12))
			}
			return d
		}},
		{"two clusters", func(r *rand.Rand) []time.Duration {
			d := make([]time.Duration, 1000)
			for i := range d {
				d[i] = time.Duration(100+r.IntN(10)) * time.Microsecond
				if i%10 == 0 {
					d[i] = time.Duration(2+r.IntN(3)) * time.Second
				}
			}
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			durs := tt.durs(rand.New(rand.NewPCG(1, 2)))
			var h Histogram
			for _, d := range durs {
				h.Add(d)
			}
			slices.Sort(durs)
			if h.Count() != uint64(len(durs)) {
				t.Fatalf("Count = %d; want %d", h.Count(), len(durs))
			}
			for _, p := range []float64{0.5, 0.9, 0.95, 0.99} {
				exact := durs[int(math.Ceil(p*float64(len(durs))))-1]
				got := h.Quantile(p)
				if rel := math.Abs(float64(got-exact)) / float64(exact); rel > 0.045 {
					t.Errorf("Quantile(%v) = %v; exact %v (off by %.1f%%)", p, got, exact, rel*100)
				}
			}
		})
	}
}

func TestHistogramAbove(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Add(time.Duration(i) * time.Millisecond)
	}
	for _, d := range []time.Duration{0, 10 * time.Millisecond, 500 * time.Millisecond, 990 * time.Millisecond, 2 * time.Second} {
		exact := float64(max(0, 1000-int(d/time.Millisecond)))
		got := float64(h.Above(d))
		if math.Abs(got-exact) > 0.05*1000 {
			t.Errorf("Above(%v) = %v; want about %v", d, got, exact)
		}
	}
}

func TestHistogramMergeAndBinary(t *testing.T) {
	var a, b, all Histogram
	for i := range 500 {
		d := time.Duration(i*i) * time.Microsecond
		all.Add(d)
		if i%3 == 0 {
			a.Add(d)
		} else {
			b.Add(d)
		}
	}
	a.Merge(&b)
	opt := cmp.AllowUnexported(Histogram{}, bucket{})
	if diff := cmp.Diff(all, a, opt); diff != "" {
		t.Errorf("merged halves differ from the whole (-want +got):\n%s", diff)
	}
	data, err := all.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := back.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, back, opt); diff != "" {
		t.Errorf("binary round trip (-want +got):\n%s", diff)
	}
}

func TestHistogramBadBinary(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"unknown version", []byte{9, 1, 1}},
		{"truncated count", []byte{1, 5}},
		{"truncated index", []byte{1, 0x80}},
		{"repeated index", []byte{1, 5, 1, 0, 1}},
		{"index out of range", []byte{1, 0xff, 0x7f, 1}},
	}
	for _, tt := range tests {
		var h Histogram
		if err := h.UnmarshalBinary(tt.data); err == nil {
			t.Errorf("%s: UnmarshalBinary(%v) = nil; want an error", tt.name, tt.data)
		}
	}
}
