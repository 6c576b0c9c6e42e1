package spantree

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/runtime/internal/diag"
)

// Config is the runtime's configuration, read once from the environment
// (SPANTREE_*) when the first span starts, or set with Configure before that.
type Config struct {
	// Sink is SPANTREE_SINK: tree | json | off | json:PATH |
	// http(s)://HOST[:PORT] | otlp+http(s)://HOST[:PORT]. Empty means tree on
	// a terminal, else json on stderr.
	Sink string
	// APIKey is SPANTREE_API_KEY, sent to the receiver as X-API-Key.
	APIKey string
	// Service is SPANTREE_SERVICE, the service tag (default: the binary's name).
	Service string
	// Tags is SPANTREE_TAGS, k=v,k=v.
	Tags map[string]string
	// Sample is SPANTREE_SAMPLE, the share of traces kept, 0 to 1 (default 1).
	// Failed and slow traces are always kept; the decision is taken when the
	// root ends.
	Sample float64
	// Slow is SPANTREE_SLOW (default 100ms): a span at least this long is
	// marked slow, and a trace whose root is this slow is always kept.
	Slow time.Duration
	// Fold is SPANTREE_FOLD (default 200µs; 0 or "off" disables folding): a
	// function whose calls keep ending faster than this, without errors, has
	// its calls under one parent beyond the first three folded, with
	// everything they call, into one span with counts.
	Fold time.Duration
	// MaxSpans is SPANTREE_MAX_SPANS (default 10000): spans kept per trace (per
	// publication of a long-running trace); the rest are counted and dropped.
	MaxSpans int
	// Publish is SPANTREE_PUBLISH (default 10s): a trace whose root runs longer
	// than this publishes its finished spans, and its running ones with status
	// started, every Publish.
	Publish time.Duration
	// Queue is SPANTREE_QUEUE (default 1024): traces waiting per sink; when
	// full, new ones are dropped and counted.
	Queue int
	// Signals is SPANTREE_SIGNALS (default on; "off" turns it off): SIGTERM
	// and SIGINT flush the sinks before the program does what it does with
	// them (see Notify).
	Signals bool
	// FlushTimeout is SPANTREE_FLUSH_TIMEOUT (default 2s): how long the flush
	// at exit waits for the sinks.
	FlushTimeout time.Duration
}

// foldAfter is how many fast calls in a row make a function foldable.
const foldAfter = 16

func defaultConfig() Config {
	return Config{
		Service:      filepath.Base(os.Args[0]),
		Sample:       1,
		Slow:         100 * time.Millisecond,
		Fold:         200 * time.Microsecond,
		MaxSpans:     10000,
		Publish:      10 * time.Second,
		Queue:        1024,
		FlushTimeout: 2 * time.Second,
		Signals:      true,
	}
}

// configFromEnv reads SPANTREE_* variables; a bad value keeps the default and
// is reported through warn, naming the variable.
func configFromEnv(getenv func(string) string, warn func(string)) Config {
	c := defaultConfig()
	c.Sink = strings.TrimSpace(getenv("SPANTREE_SINK"))
	c.APIKey = getenv("SPANTREE_API_KEY")
	if v := getenv("SPANTREE_SERVICE"); v != "" {
		c.Service = v
	}
	if v := getenv("SPANTREE_TAGS"); v != "" {
		c.Tags = map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				warn(fmt.Sprintf("SPANTREE_TAGS: %q is not k=v; ignored", kv))
				continue
			}
			c.Tags[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	dur := func(name string, dst *time.Duration) {
		v := getenv(name)
		if v == "" {
			return
		}
		if v == "off" {
			*dst = 0
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			warn(fmt.Sprintf("%s: %q is not a duration such as 100ms; using %v", name, v, *dst))
			return
		}
		*dst = d
	}
	num := func(name string, dst *int) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			warn(fmt.Sprintf("%s: %q is not a positive number; using %d", name, v, *dst))
			return
		}
		*dst = n
	}
	if v := getenv("SPANTREE_SAMPLE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			warn(fmt.Sprintf("SPANTREE_SAMPLE: %q is not a number from 0 to 1; keeping every trace", v))
		} else {
			c.Sample = f
		}
	}
	dur("SPANTREE_SLOW", &c.Slow)
	dur("SPANTREE_FOLD", &c.Fold)
	dur("SPANTREE_PUBLISH", &c.Publish)
	dur("SPANTREE_FLUSH_TIMEOUT", &c.FlushTimeout)
	switch v := getenv("SPANTREE_SIGNALS"); v {
	case "", "on":
	case "off":
		c.Signals = false
	default:
		warn(fmt.Sprintf("SPANTREE_SIGNALS: %q is neither on nor off; keeping on", v))
	}
	num("SPANTREE_MAX_SPANS", &c.MaxSpans)
	num("SPANTREE_QUEUE", &c.Queue)
	return c
}

// Tags returns the tags every batch of this process carries: service plus
// SPANTREE_TAGS. The map must not be modified.
func Tags() map[string]string {
	ensureInit()
	return state.tags
}

// warnf and warnOncef write the runtime's warnings (package diag).
var (
	warnf     = diag.Warnf
	warnOncef = diag.WarnOncef
)
