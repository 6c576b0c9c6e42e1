package wire

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// Limits of one span. A span over any of them is refused as a whole with a
// *FieldError naming the field (nothing is truncated): the receiver answers
// 400, `spantree ingest` skips the line. They bound what one span can make
// the receiver hold and store, whatever the sender.
const (
	// MaxNameLen bounds a span's name and location, an error's type and a
	// link's ref, in bytes.
	MaxNameLen = 1 << 10
	// MaxAttrKeyLen bounds an attribute key, of a span or of an event.
	MaxAttrKeyLen = 256
	// MaxValueLen bounds an attribute value (a string's length, or the
	// size of the JSON of a number, array or object), an event's message
	// and an error's message.
	MaxValueLen = 8 << 10
	// MaxAttrs bounds the attributes of a span, and of an event.
	MaxAttrs = 128
	// MaxEvents bounds the events of a span, MaxHandledErrors its handled
	// errors and MaxLinks its links.
	MaxEvents        = 1024
	MaxHandledErrors = 128
	MaxLinks         = 128
	// MaxStackLen bounds an error's stack, in bytes.
	MaxStackLen = 64 << 10
)

// The times a span may carry: what time.Time.UnixNano can hold, from the
// Unix epoch on. The store keeps times as int64 nanoseconds.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// timeRangeMsg says which times are taken.
var timeRangeMsg = fmt.Sprintf("outside %s..%s (nanoseconds since 1970 in an int64)", minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339Nano))

// checkTime reports a time the store cannot hold. The zero time (absent) is
// not checked.
func checkTime(t time.Time) error {
	if t.IsZero() || (!t.Before(minTime) && !t.After(maxTime)) {
		return nil
	}
	return fmt.Errorf("%s %s", t.UTC().Format(time.RFC3339Nano), timeRangeMsg)
}

// checkLimits checks d against the limits above and the time range. It
// returns the field over a limit, spelled as in the wire format relative to
// the span ("attrs[\"k\"]", "events[3].msg"), and what is wrong.
func checkLimits(d *spantree.SpanData) (field, msg string) {
	switch {
	case len(d.Name) > MaxNameLen:
		return "name", tooLong(len(d.Name), MaxNameLen)
	case len(d.Location) > MaxNameLen:
		return "location", tooLong(len(d.Location), MaxNameLen)
	}
	if err := checkTime(d.Start); err != nil {
		return "start", err.Error()
	}
	if err := checkTime(d.End); err != nil {
		return "end", err.Error()
	}
	if f, m := checkAttrs(d.Attrs); m != "" {
		return "attrs" + f, m
	}
	if d.Error != nil {
		if f, m := checkError(d.Error); f != "" {
			return "error." + f, m
		}
	}
	if len(d.HandledErrors) > MaxHandledErrors {
		return "handled_errors", tooMany(len(d.HandledErrors), MaxHandledErrors)
	}
	for i := range d.HandledErrors {
		if f, m := checkError(&d.HandledErrors[i]); f != "" {
			return fmt.Sprintf("handled_errors[%d].%s", i, f), m
		}
	}
	if len(d.Events) > MaxEvents {
		return "events", tooMany(len(d.Events), MaxEvents)
	}
	for i := range d.Events {
		e := &d.Events[i]
		if err := checkTime(e.Time); err != nil {
			return fmt.Sprintf("events[%d].time", i), err.Error()
		}
		if len(e.Msg) > MaxValueLen {
			return fmt.Sprintf("events[%d].msg", i), tooLong(len(e.Msg), MaxValueLen)
		}
		if f, m := checkAttrs(e.Attrs); m != "" {
			return fmt.Sprintf("events[%d].attrs%s", i, f), m
		}
	}
	if len(d.Links) > MaxLinks {
		return "links", tooMany(len(d.Links), MaxLinks)
	}
	for i := range d.Links {
		if len(d.Links[i].Ref) > MaxNameLen {
			return fmt.Sprintf("links[%d].ref", i), tooLong(len(d.Links[i].Ref), MaxNameLen)
		}
	}
	return "", ""
}

func checkError(e *spantree.ErrorInfo) (field, msg string) {
	switch {
	case len(e.Type) > MaxNameLen:
		return "type", tooLong(len(e.Type), MaxNameLen)
	case len(e.Message) > MaxValueLen:
		return "message", tooLong(len(e.Message), MaxValueLen)
	case len(e.Stack) > MaxStackLen:
		return "stack", tooLong(len(e.Stack), MaxStackLen)
	}
	return "", ""
}

// checkAttrs checks a map of attributes; when msg is not empty, field is
// empty (too many) or the bad key in brackets.
func checkAttrs(attrs map[string]any) (field, msg string) {
	if len(attrs) > MaxAttrs {
		return "", tooMany(len(attrs), MaxAttrs)
	}
	ok := true
	for k, v := range attrs {
		if len(k) > MaxAttrKeyLen || valueSize(v, MaxValueLen) > MaxValueLen {
			ok = false
			break
		}
	}
	if ok {
		return "", ""
	}
	// Sorted, so that the key reported is the same on every run.
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) > MaxAttrKeyLen {
			return fmt.Sprintf("[%.40q]", k), "key " + tooLong(len(k), MaxAttrKeyLen)
		}
		if n := valueSize(attrs[k], MaxValueLen); n > MaxValueLen {
			return "[" + strconv.Quote(k) + "]", "value over the limit of " + strconv.Itoa(MaxValueLen) + " bytes"
		}
	}
	return "", ""
}

// valueSize returns about how many bytes v takes as JSON, stopping as soon
// as the count passes limit.
func valueSize(v any, limit int) int {
	switch v := v.(type) {
	case string:
		return len(v) + 2
	case []any:
		n := 2
		for _, x := range v {
			if n += valueSize(x, limit-n) + 1; n > limit {
				return n
			}
		}
		return n
	case map[string]any:
		n := 2
		for k, x := range v {
			if n += len(k) + 4 + valueSize(x, limit-n); n > limit {
				return n
			}
		}
		return n
	case nil, bool:
		return 5
	default: // float64, json.Number, ints from OTLP
		return 24
	}
}

func tooLong(n, limit int) string {
	return fmt.Sprintf("%d bytes, at most %d", n, limit)
}

func tooMany(n, limit int) string {
	return fmt.Sprintf("%d entries, at most %d", n, limit)
}
