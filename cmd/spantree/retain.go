package main

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"
)

// pruner is a store with retention.
type pruner interface {
	Prune(ctx context.Context, cutoff time.Time) (int, error)
}

// defaultRetain is the default of serve -retain.
const defaultRetain = 14 * 24 * time.Hour

// retainEvery is how often serve deletes what is older than -retain.
const retainEvery = time.Minute

// retainFlag is serve's -retain: a duration that also takes days ("14d").
type retainFlag time.Duration

func (r *retainFlag) String() string { return formatRetain(time.Duration(*r)) }

func (r *retainFlag) Set(s string) error {
	d, err := parseRetain(s)
	if err != nil {
		return err
	}
	*r = retainFlag(d)
	return nil
}

// parseRetain reads a retention: "0" (keep for ever), a number of days
// ("14d", "1.5d"), or a Go duration ("36h").
func parseRetain(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("want a positive number of days such as 14d, or 0 to keep everything; got %q", s)
		}
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("want a duration such as 14d or 36h, or 0 to keep everything; got %q", s)
		}
	}
	if d < time.Minute {
		return 0, fmt.Errorf("%s is shorter than a minute", s)
	}
	return d, nil
}

func formatRetain(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// retain deletes, now and every retainEvery until ctx ends, the traces,
// spans and rollups older than keep (see sqlite.Store.Prune and
// clickhouse.Store.Prune, which deletes whole days); ingest goes on
// meanwhile. now is the clock.
func retain(ctx context.Context, st pruner, keep time.Duration, now func() time.Time, logger *log.Logger) {
	t := time.NewTicker(retainEvery)
	defer t.Stop()
	for {
		n, err := st.Prune(ctx, now().Add(-keep))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Printf("spantree serve: retention: %v", err)
		case n > 0:
			logger.Printf("spantree serve: retention: deleted %d rows older than %s", n, formatRetain(keep))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
