package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/wire"
)

// Kinds of a [Rule].
const (
	KindStatus      = "status"       // an app's status reaches WARN or ALERT
	KindNewGroup    = "new_group"    // an error group nobody judged
	KindRegression  = "regression"   // a silenced group back in a newer version
	KindFailureRate = "failure_rate" // a span name's failure rate over a threshold
	KindP95         = "p95"          // a span name's p95 over a threshold
)

// Rule is one alerting rule: POST /v1/alerts/rules, or one entry of the rules
// file. A rule yields one alert per thing it finds (an app, an error group,
// an app's span name), each with the rule's labels and its own.
type Rule struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Namespace is only read from the rules file: the namespace the rule
	// watches ("" for every one). Rules set through the API belong to the
	// namespace of the key.
	Namespace string `json:"namespace,omitempty"`
	// App restricts the rule to one app (the service tag); "" is every app.
	App string `json:"app,omitempty"`
	// Name is the span name of failure_rate and p95 rules.
	Name string `json:"name,omitempty"`
	// Threshold is "warn" or "alert" for status rules (default warn), a
	// fraction in (0, 1) for failure_rate ("0.05", or the JSON number),
	// and a duration for p95 ("250ms").
	Threshold Threshold `json:"threshold,omitempty"`
	// Window is how far back the rule looks (default 5m for failure_rate
	// and p95, 1h otherwise, the window of GET /v1/status).
	Window Duration `json:"window,omitzero"`
	// For is how long the condition must hold before the alert fires
	// (default 0: at the first evaluation that finds it).
	For Duration `json:"for,omitzero"`
	// MinCalls is the fewest calls in the window that failure_rate and p95
	// rules judge (default 1).
	MinCalls int               `json:"min_calls,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`

	// Source is "api" or "file", set by the engine.
	Source string `json:"source,omitempty"`

	level   string        // status: store.SeverityWarn or SeverityAlert
	rate    float64       // failure_rate
	latency time.Duration // p95
}

// Threshold is a rule's threshold as written: a JSON string or number.
type Threshold string

// UnmarshalJSON takes a string or a number.
func (t *Threshold) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Threshold(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number")
	}
	*t = Threshold(n.String())
	return nil
}

// Duration is a time.Duration written as Go writes it ("5m", "1h30m").
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`want a duration such as "5m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf(`want a duration such as "5m": %q`, s)
	}
	*d = Duration(v)
	return nil
}

// Bounds of a rule's fields.
const (
	maxWindow = 7 * 24 * time.Hour
	maxLabels = 32
	maxLabel  = 256
)

var (
	idRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	labelRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// reserved are the labels the engine sets on every alert.
var reserved = []string{"alertname", "namespace", "app", "name", "fingerprint", "kind"}

// fields are the JSON fields of a rule that may be written.
var fields = []string{"id", "kind", "namespace", "app", "name", "threshold", "window", "for", "min_calls", "labels"}

// ParseRule decodes one rule from JSON and validates it. A field it does not
// know, or a bad value, is a [*wire.FieldError] naming it (prefix is put in
// front of the field, as in "rules[2]."). id, when not "", is the id of the
// rule from the URL; a rule body with another id is refused.
func ParseRule(b []byte, prefix, id string) (*Rule, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, &wire.FieldError{Field: strings.TrimSuffix(prefix, ".") + "body", Msg: "want a JSON object: " + err.Error()}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := &Rule{}
	for _, k := range keys {
		if !slices.Contains(fields, k) {
			return nil, &wire.FieldError{Field: prefix + k, Msg: "unknown field (want one of " + strings.Join(fields, ", ") + ")"}
		}
		var dst any
		switch k {
		case "id":
			dst = &r.ID
		case "kind":
			dst = &r.Kind
		case "namespace":
			dst = &r.Namespace
		case "app":
			dst = &r.App
		case "name":
			dst = &r.Name
		case "threshold":
			dst = &r.Threshold
		case "window":
			dst = &r.Window
		case "for":
			dst = &r.For
		case "min_calls":
			dst = &r.MinCalls
		case "labels":
			dst = &r.Labels
		}
		if err := json.Unmarshal(raw[k], dst); err != nil {
			return nil, &wire.FieldError{Field: prefix + k, Msg: jsonMsg(err)}
		}
	}
	if id != "" {
		if r.ID == "" {
			r.ID = id
		} else if r.ID != id {
			return nil, &wire.FieldError{Field: prefix + "id", Msg: fmt.Sprintf("%q is not the id of the URL, %q", r.ID, id)}
		}
	}
	if err := r.validate(prefix); err != nil {
		return nil, err
	}
	return r, nil
}

// jsonMsg shortens a decoding error of one field.
func jsonMsg(err error) string {
	var te *json.UnmarshalTypeError
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		te = e
		return "want " + te.Type.String() + ", not a JSON " + te.Value
	}
	return err.Error()
}

// validate checks r and fills in its defaults and parsed threshold.
func (r *Rule) validate(prefix string) error {
	bad := func(field, format string, args ...any) error {
		return &wire.FieldError{Field: prefix + field, Msg: fmt.Sprintf(format, args...)}
	}
	if !idRE.MatchString(r.ID) {
		return bad("id", "want 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	if len(r.App) > maxLabel {
		return bad("app", "longer than %d bytes", maxLabel)
	}
	if len(r.Name) > wire.MaxNameLen {
		return bad("name", "longer than %d bytes", wire.MaxNameLen)
	}
	if r.MinCalls < 0 {
		return bad("min_calls", "negative")
	}
	if r.For < 0 || time.Duration(r.For) > maxWindow {
		return bad("for", "want 0 to %v", maxWindow)
	}
	if r.Window != 0 && (time.Duration(r.Window) < time.Minute || time.Duration(r.Window) > maxWindow) {
		return bad("window", "want 1m to %v (rollups are per minute)", maxWindow)
	}
	if len(r.Labels) > maxLabels {
		return bad("labels", "more than %d", maxLabels)
	}
	for k, v := range r.Labels {
		switch {
		case !labelRE.MatchString(k) || len(k) > maxLabel:
			return bad("labels", "%q: want a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)", k)
		case slices.Contains(reserved, k):
			return bad("labels", "%q is set by the receiver", k)
		case len(v) > maxLabel:
			return bad("labels", "%q: value longer than %d bytes", k, maxLabel)
		}
	}
	window := time.Hour
	switch r.Kind {
	case KindStatus:
		switch strings.ToLower(string(r.Threshold)) {
		case "", store.SeverityWarn:
			r.level = store.SeverityWarn
		case store.SeverityAlert:
			r.level = store.SeverityAlert
		default:
			return bad("threshold", `want "warn" or "alert" for a status rule, not %q`, r.Threshold)
		}
	case KindNewGroup, KindRegression:
		if r.Threshold != "" {
			return bad("threshold", "a %s rule takes none", r.Kind)
		}
	case KindFailureRate, KindP95:
		window = 5 * time.Minute
		if r.Name == "" {
			return bad("name", "a %s rule needs the span name", r.Kind)
		}
		if r.Threshold == "" {
			return bad("threshold", "a %s rule needs one", r.Kind)
		}
		if r.Kind == KindFailureRate {
			f, err := strconv.ParseFloat(string(r.Threshold), 64)
			if err != nil || !(f > 0 && f < 1) {
				return bad("threshold", "want a fraction of calls between 0 and 1 (0.05 is 5%%), not %q", r.Threshold)
			}
			r.rate = f
		} else {
			d, err := time.ParseDuration(string(r.Threshold))
			if err != nil || d <= 0 {
				return bad("threshold", `want a positive duration such as "250ms", not %q`, r.Threshold)
			}
			r.latency = d
		}
	case "":
		return bad("kind", "missing (want status, new_group, regression, failure_rate or p95)")
	default:
		return bad("kind", "%q: want status, new_group, regression, failure_rate or p95", r.Kind)
	}
	if r.Kind != KindFailureRate && r.Kind != KindP95 {
		if r.Name != "" {
			return bad("name", "a %s rule takes no span name", r.Kind)
		}
		if r.MinCalls != 0 {
			return bad("min_calls", "a %s rule takes none", r.Kind)
		}
	}
	if r.Window == 0 {
		r.Window = Duration(window)
	}
	if r.MinCalls == 0 && (r.Kind == KindFailureRate || r.Kind == KindP95) {
		r.MinCalls = 1
	}
	return nil
}

// File is the rules file of `spantree serve -alert-rules FILE`.
type File struct {
	Rules []json.RawMessage `json:"rules"`
}

// ParseFile decodes a rules file: {"rules":[{...},...]}. Errors name the
// rule by its index (rules[2].threshold).
func ParseFile(b []byte) ([]*Rule, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("want a JSON object {\"rules\":[...]}: %w", err)
	}
	for k := range raw {
		if k != "rules" {
			return nil, &wire.FieldError{Field: k, Msg: `unknown field (want "rules")`}
		}
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, &wire.FieldError{Field: "rules", Msg: "want an array of rules"}
	}
	var out []*Rule
	seen := map[string]bool{}
	for i, m := range f.Rules {
		prefix := fmt.Sprintf("rules[%d].", i)
		r, err := ParseRule(m, prefix, "")
		if err != nil {
			return nil, err
		}
		if seen[r.ID] {
			return nil, &wire.FieldError{Field: prefix + "id", Msg: fmt.Sprintf("%q used twice", r.ID)}
		}
		seen[r.ID] = true
		r.Source = SourceFile
		out = append(out, r)
	}
	return out, nil
}

// Sources of a rule.
const (
	SourceAPI  = "api"
	SourceFile = "file"
)

// String is d as Go writes a duration.
func (d Duration) String() string { return time.Duration(d).String() }
