package spantree

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// state is the process-wide runtime state, set up once.
var state struct {
	once      sync.Once
	ready     atomic.Bool
	on        atomic.Bool
	cfg       Config
	tags      map[string]string
	exporters atomic.Pointer[[]*exporter]
	sample    atomic.Uint64 // float64 bits of the sampling rate
}

// setupHooks run once when the runtime is set up, with its configuration.
var setupHooks []func(Config)

// OnSetup registers f to run once, with the configuration, when the runtime
// is set up: at the first span, or at Configure. Packages that extend the
// runtime (runtime/spanhttp installs HTTP client propagation) call it from
// init, so that what they install comes after the program's own package
// initialisation.
func OnSetup(f func(Config)) { setupHooks = append(setupHooks, f) }

// SetSample changes the share of traces kept (SPANTREE_SAMPLE) while the
// program runs, for tests and benchmarks. Failed and slow traces are always
// kept.
func SetSample(rate float64) {
	ensureInit()
	if rate < 0 {
		rate = 0
	}
	if rate > 1 {
		rate = 1
	}
	state.sample.Store(math.Float64bits(rate))
}

var exportersMu sync.Mutex

func ensureInit() {
	if !state.ready.Load() {
		initFromEnv() // out of line, so that ensureInit inlines into every span
	}
}

func initFromEnv() {
	state.once.Do(func() { setup(configFromEnv(os.Getenv, func(m string) { warnf("%s", m) }), nil) })
}

// Configure sets the configuration and the sinks before the first span
// starts; with no sinks, cfg.Sink chooses them as SPANTREE_SINK would. It is
// for programs that configure tracing in code rather than the environment;
// after the first span it does nothing and returns false.
func Configure(cfg Config, sinks ...Sink) bool {
	done := false
	state.once.Do(func() {
		d := defaultConfig()
		if cfg.Service == "" {
			cfg.Service = d.Service
		}
		if cfg.MaxSpans <= 0 {
			cfg.MaxSpans = d.MaxSpans
		}
		if cfg.Queue <= 0 {
			cfg.Queue = d.Queue
		}
		if cfg.FlushTimeout <= 0 {
			cfg.FlushTimeout = d.FlushTimeout
		}
		setup(cfg, sinks)
		done = true
	})
	return done
}

func setup(cfg Config, sinks []Sink) {
	initGoid()
	calibrateTSC()
	state.cfg = cfg
	state.tags = map[string]string{"service": cfg.Service}
	for k, v := range cfg.Tags {
		state.tags[k] = v
	}
	var exps []*exporter
	for i, s := range sinks {
		exps = append(exps, newExporter(fmt.Sprintf("%T#%d", s, i), s, cfg.Queue))
	}
	if len(sinks) == 0 {
		if name, s := sinkFromSpec(cfg); s != nil {
			exps = append(exps, newExporter(name, s, cfg.Queue))
		}
	}
	state.exporters.Store(&exps)
	state.sample.Store(math.Float64bits(cfg.Sample))
	for _, h := range setupHooks {
		h(cfg)
	}
	if cfg.Signals && len(exps) > 0 {
		watchSignals()
	}
	state.ready.Store(true)
	// on last: enabled takes it as proof that the setup is complete.
	state.on.Store(len(exps) > 0)
}

// sinkFromSpec builds the sink SPANTREE_SINK names. A value it cannot use is
// reported once, naming the variable, and replaced by json on stderr: the
// program goes on and its spans are not lost.
func sinkFromSpec(cfg Config) (string, Sink) {
	spec := cfg.Sink
	fallback := func(format string, args ...any) (string, Sink) {
		warnf("SPANTREE_SINK: "+format+"; writing json to stderr instead", args...)
		return "json", NewJSON(os.Stderr).WithTags(state.tags)
	}
	switch {
	case spec == "":
		if isTerminal(os.Stderr) {
			return "tree", NewTree(os.Stderr, TreeOptions{Color: true, Slow: cfg.Slow})
		}
		return "json", NewJSON(os.Stderr).WithTags(state.tags)
	case spec == "off":
		return "off", nil
	case spec == "tree":
		return "tree", NewTree(os.Stderr, TreeOptions{Color: isTerminal(os.Stderr), Slow: cfg.Slow})
	case spec == "json":
		return "json", NewJSON(os.Stderr).WithTags(state.tags)
	case strings.HasPrefix(spec, "json:"):
		path := strings.TrimPrefix(spec, "json:")
		f, err := OpenJSONFile(path)
		if err != nil {
			return fallback("%v", err)
		}
		return spec, f.WithTags(state.tags)
	}
	for _, r := range sinkSchemes {
		if !strings.HasPrefix(spec, r.prefix) {
			continue
		}
		s, err := r.open(spec, cfg)
		if err != nil {
			return fallback("%v", err)
		}
		return spec, s
	}
	for _, p := range []string{"http://", "https://", "otlp+http://", "otlp+https://"} {
		if strings.HasPrefix(spec, p) {
			return fallback("%q needs the HTTP sinks, and this program does not link them "+
				"(it does not use net/http): import _ %q in its main package, or use json:PATH and spantree ingest", spec, HTTPPackage)
		}
	}
	return fallback("unknown value %q (want tree, json, json:PATH, off, http(s)://HOST:PORT or otlp+http(s)://HOST:PORT)", spec)
}

// HTTPPackage is the import path of the package that carries trace context
// over net/http and provides the http(s):// and otlp+http(s):// sinks.
const HTTPPackage = "github.com/spantree/spantree/runtime/spanhttp"

// sinkSchemes are the sinks packages registered (RegisterSink).
var sinkSchemes []sinkScheme

type sinkScheme struct {
	prefix string
	open   func(spec string, cfg Config) (Sink, error)
}

// RegisterSink makes SPANTREE_SINK values starting with prefix open a sink
// with open, given the whole value and the configuration. Packages that
// provide sinks call it from init (runtime/spanhttp registers "http://",
// "https://", "otlp+http://" and "otlp+https://"); a prefix registered
// later takes precedence. It must not be called after the first span.
func RegisterSink(prefix string, open func(spec string, cfg Config) (Sink, error)) {
	sinkSchemes = append([]sinkScheme{{prefix, open}}, sinkSchemes...)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// SetSinks replaces the sinks of a running process and returns a function
// that restores the previous ones. It is meant for tests (runtime/spantest);
// traces already queued go to the sinks they were queued for.
func SetSinks(sinks ...Sink) (restore func()) {
	ensureInit()
	exportersMu.Lock()
	defer exportersMu.Unlock()
	prev, prevOn := state.exporters.Load(), state.on.Load()
	next := make([]*exporter, 0, len(sinks))
	for i, s := range sinks {
		next = append(next, newExporter(fmt.Sprintf("%T#%d", s, i), s, state.cfg.Queue))
	}
	state.exporters.Store(&next)
	state.on.Store(true)
	return func() {
		exportersMu.Lock()
		defer exportersMu.Unlock()
		state.exporters.Store(prev)
		state.on.Store(prevOn)
	}
}
