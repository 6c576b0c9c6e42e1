package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Histogram counts durations in fixed log-scale buckets: bucket i > 0 holds
// the durations in [2^((i-1)/16), 2^(i/16)) nanoseconds, each about 4.4%
// wider than the one before, and bucket 0 the durations of zero or less.
// Quantiles estimated from it are within about 2.2% of the exact ones.
// Histograms of the same span in different minutes merge by adding counts,
// which is what the per-minute rollups need. The zero value is empty.
type Histogram struct {
	b []bucket // sorted by index, no zero counts
}

type bucket struct {
	i uint16
	n uint64
}

// bucketsPerDoubling is the resolution of a Histogram.
const (
	bucketsPerDoubling = 16
	maxBucket          = 63 * bucketsPerDoubling
)

// histVersion leads the binary form, so the layout can change later.
const histVersion = 1

func bucketOf(d time.Duration) uint16 {
	if d <= 0 {
		return 0
	}
	i := int(math.Floor(bucketsPerDoubling*math.Log2(float64(d)))) + 1
	return uint16(min(max(i, 1), maxBucket))
}

// bounds returns the durations bucket i covers, in nanoseconds.
func bounds(i uint16) (lo, hi float64) {
	if i == 0 {
		return 0, 0
	}
	return math.Exp2(float64(i-1) / bucketsPerDoubling), math.Exp2(float64(i) / bucketsPerDoubling)
}

// Add counts one duration.
func (h *Histogram) Add(d time.Duration) { h.add(bucketOf(d), 1) }

// AddN counts n durations of d (the calls of a folded span, at their mean).
func (h *Histogram) AddN(d time.Duration, n uint64) {
	if n > 0 {
		h.add(bucketOf(d), n)
	}
}

func (h *Histogram) add(i uint16, n uint64) {
	if h.b == nil {
		h.b = make([]bucket, 0, 8) // spans of one name mostly fill a few
	}
	k, ok := slices.BinarySearchFunc(h.b, i, func(b bucket, i uint16) int { return int(b.i) - int(i) })
	if ok {
		h.b[k].n += n
		return
	}
	h.b = slices.Insert(h.b, k, bucket{i, n})
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if len(h.b) == 0 {
		h.b = slices.Clone(o.b)
		return
	}
	out := make([]bucket, 0, len(h.b)+len(o.b))
	a, b := h.b, o.b
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].i < b[0].i:
			out, a = append(out, a[0]), a[1:]
		case a[0].i > b[0].i:
			out, b = append(out, b[0]), b[1:]
		default:
			out = append(out, bucket{a[0].i, a[0].n + b[0].n})
			a, b = a[1:], b[1:]
		}
	}
	h.b = append(append(out, a...), b...)
}

// Count returns how many durations h counts.
func (h *Histogram) Count() uint64 {
	var n uint64
	for _, b := range h.b {
		n += b.n
	}
	return n
}

// Quantile estimates the nearest-rank p-th quantile (0 < p <= 1),
// interpolating geometrically inside the bucket that holds that rank.
// It returns 0 for an empty histogram.
func (h *Histogram) Quantile(p float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(max(math.Ceil(p*float64(n)), 1))
	var below uint64
	for _, b := range h.b {
		if below+b.n >= rank {
			lo, hi := bounds(b.i)
			if b.i == 0 {
				return 0
			}
			frac := (float64(rank-below) - 0.5) / float64(b.n)
			return time.Duration(math.Round(lo * math.Pow(hi/lo, frac)))
		}
		below += b.n
	}
	lo, _ := bounds(h.b[len(h.b)-1].i)
	return time.Duration(lo)
}

// Above estimates how many durations are longer than d, taking the
// durations inside d's bucket as spread like Quantile assumes.
func (h *Histogram) Above(d time.Duration) uint64 {
	i := bucketOf(d)
	var n float64
	for _, b := range h.b {
		switch {
		case b.i > i:
			n += float64(b.n)
		case b.i == i && i > 0:
			lo, hi := bounds(i)
			frac := math.Log(float64(d)/lo) / math.Log(hi/lo) // share of the bucket at or below d
			n += min(max(float64(b.n)-(frac*float64(b.n)+0.5), 0), float64(b.n))
		}
	}
	return uint64(max(math.Round(n), 0))
}

// AppendBinary appends h's compact form: a version byte, then per non-empty
// bucket the index (as the difference from the previous one) and the count,
// as uvarints.
func (h *Histogram) AppendBinary(buf []byte) ([]byte, error) {
	buf = append(buf, histVersion)
	var prev uint16
	for _, b := range h.b {
		buf = binary.AppendUvarint(buf, uint64(b.i-prev))
		buf = binary.AppendUvarint(buf, b.n)
		prev = b.i
	}
	return buf, nil
}

// MarshalBinary returns h's compact form (see AppendBinary).
func (h *Histogram) MarshalBinary() ([]byte, error) { return h.AppendBinary(nil) }

// UnmarshalBinary replaces h with the histogram of data, as written by
// AppendBinary; empty data is an empty histogram.
func (h *Histogram) UnmarshalBinary(data []byte) error {
	h.b = h.b[:0]
	if len(data) == 0 {
		return nil
	}
	if data[0] != histVersion {
		return fmt.Errorf("histogram: unknown version %d", data[0])
	}
	data = data[1:]
	var idx uint64
	for first := true; len(data) > 0; first = false {
		di, k := binary.Uvarint(data)
		if k <= 0 {
			return errors.New("histogram: bad bucket index")
		}
		data = data[k:]
		n, k := binary.Uvarint(data)
		if k <= 0 {
			return errors.New("histogram: bad bucket count")
		}
		data = data[k:]
		if !first && di == 0 {
			return errors.New("histogram: bucket indexes out of order")
		}
		idx += di
		if idx > maxBucket {
			return fmt.Errorf("histogram: bucket index %d out of range", idx)
		}
		if n > 0 {
			h.b = append(h.b, bucket{uint16(idx), n})
		}
	}
	return nil
}
