package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/spantree/spantree/internal/atomicfile"
)

// stateVersion is the version of the state file's format.
const stateVersion = 1

// state is the state file: the rules set through the API, per namespace,
// and every alert with what each target acknowledged of it.
type state struct {
	Version int                          `json:"version"`
	Rules   map[string][]json.RawMessage `json:"rules"`
	Alerts  []*Alert                     `json:"alerts"`
}

// load reads the state file; a missing file is an empty state.
func (e *Engine) load() error {
	b, err := os.ReadFile(e.opts.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("alert state %s: %w", e.opts.StatePath, err)
	}
	if s.Version != stateVersion {
		return fmt.Errorf("alert state %s: version %d, want %d", e.opts.StatePath, s.Version, stateVersion)
	}
	for ns, rules := range s.Rules {
		for i, raw := range rules {
			r, err := ParseRule(raw, fmt.Sprintf("rules[%q][%d].", ns, i), "")
			if err != nil {
				return fmt.Errorf("alert state %s: %w", e.opts.StatePath, err)
			}
			r.Source = SourceAPI
			if e.api[ns] == nil {
				e.api[ns] = map[string]*Rule{}
			}
			e.api[ns][r.ID] = r
		}
	}
	for _, a := range s.Alerts {
		inst := map[string]string{}
		for _, k := range []string{"app", "fingerprint", "name"} {
			if v, ok := a.Labels[k]; ok {
				inst[k] = v
			}
		}
		a.key = alertKey(a.Namespace, a.Rule, inst)
		e.alerts[a.key] = a
	}
	return nil
}

// saveLocked writes the state file atomically; e.mu is held.
func (e *Engine) saveLocked() error {
	if e.opts.StatePath == "" {
		return nil
	}
	s := state{Version: stateVersion, Rules: map[string][]json.RawMessage{}, Alerts: e.sortedAlerts()}
	for _, ns := range slices.Sorted(maps.Keys(e.api)) {
		for _, id := range slices.Sorted(maps.Keys(e.api[ns])) {
			c := *e.api[ns][id]
			c.Source = ""
			b, err := json.Marshal(&c)
			if err != nil {
				return fmt.Errorf("alert state: %w", err)
			}
			s.Rules[ns] = append(s.Rules[ns], b)
		}
	}
	b, err := json.MarshalIndent(&s, "", "\t")
	if err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	if err := atomicfile.Write(e.opts.StatePath, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	return nil
}
