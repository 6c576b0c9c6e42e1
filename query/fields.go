package query

import (
	"sort"
	"strings"
)

// Level says what a field is about.
type Level int

// Levels of fields.
const (
	// SpanLevel fields are about one span: terms joined by AND describe the
	// same span.
	SpanLevel Level = iota
	// TraceLevel fields are about the whole trace (its root, its app): the
	// same for every span of it.
	TraceLevel
)

// Kind is the type of a field's values, which says the operators it takes.
type Kind int

// Kinds of fields.
const (
	// Text values take ":" (equal) and ":~" (contains, ASCII case-insensitive).
	Text Kind = iota
	// Status values are started, succeeded or failed and take ":".
	Status
	// Duration values are Go durations (100ms, 1.5s) and take ":", ">",
	// ">=", "<" and "<=".
	Duration
	// Number values are whole numbers (0 or more) and take the operators
	// of durations.
	Number
)

// Field is one entry of the term table: a name users write and what the
// engines compare. Column names the engine's column (or expression) for the
// field; it comes from this table, never from the query text.
type Field struct {
	Name  string
	Level Level
	Kind  Kind
	// Prefix: the field is a family, "tag." followed by a key (tag.version).
	Prefix bool
	// SQLite and ClickHouse are the engines' expressions for the value:
	// over the span row (alias s in SQLite, the newest copy's columns
	// s_name, s_app, ... in ClickHouse) for span fields, over the trace
	// (alias t in SQLite, the folded root r in ClickHouse) for trace
	// fields. A running span's duration is NULL in SQLite and negative in
	// ClickHouse; a running root's is 0 in both.
	// Empty for the families (tag.*), which the engines handle by name.
	SQLite, ClickHouse string
	// Doc says what the field matches, for the docs and error messages.
	Doc string
}

// fields is the term table. Adding a term is one entry here, such as
//
//	{Name: "run", Level: TraceLevel, Kind: Number, SQLite: "t.run", ClickHouse: "..."}
//
// (and, for a kind of value not listed in Kind, its operators in ops and its
// comparison in the engines' dialects).
var fields = []Field{
	{Name: "service", Kind: Text, SQLite: "s.app", ClickHouse: "s_app", Doc: "the service (the service tag of the process) of a span"},
	{Name: "name", Kind: Text, SQLite: "s.name", ClickHouse: "s_name", Doc: "a span's name"},
	{Name: "location", Kind: Text, SQLite: "s.location", ClickHouse: "s_location", Doc: "a span's file:line"},
	{Name: "status", Kind: Status,
		SQLite:     "CASE WHEN s.duration IS NULL THEN 'started' WHEN s.failed THEN 'failed' ELSE 'succeeded' END",
		ClickHouse: "multiIf(s_duration < 0, 'started', s_failed = 1, 'failed', 'succeeded')",
		Doc:        "a span's status"},
	{Name: "duration", Kind: Duration, SQLite: "s.duration", ClickHouse: "s_duration", Doc: "a finished span's duration"},
	{Name: "error", Kind: Text,
		SQLite:     "CASE WHEN s.failed THEN json_extract(CAST(s.data AS TEXT), '$.error.message') END",
		ClickHouse: "if(s_failed = 1, visitParamExtractString(visitParamExtractRaw(s_data, 'error'), 'message'), '')",
		Doc:        "the error message of a failed span"},
	{Name: "error.type", Kind: Text,
		SQLite:     "CASE WHEN s.failed THEN json_extract(CAST(s.data AS TEXT), '$.error.type') END",
		ClickHouse: "if(s_failed = 1, visitParamExtractString(visitParamExtractRaw(s_data, 'error'), 'type'), '')",
		Doc:        "the error type of a failed span"},
	{Name: "fingerprint", Kind: Text, SQLite: "s.fingerprint", ClickHouse: "s_fingerprint",
		Doc: "the error group of a failed span (GET /v1/errors's fingerprint)"},
	{Name: "tag.", Prefix: true, Kind: Text, Doc: "a tag of the process that sent a span (tag.version:1.4.2)"},
	{Name: "app", Level: TraceLevel, Kind: Text, SQLite: "t.app", ClickHouse: "tupleElement(r, 3)", Doc: "the trace's app: its root span's service"},
	{Name: "root.name", Level: TraceLevel, Kind: Text, SQLite: "t.name", ClickHouse: "tupleElement(r, 2)", Doc: "the root span's name"},
	{Name: "root.service", Level: TraceLevel, Kind: Text, SQLite: "t.app", ClickHouse: "tupleElement(r, 3)", Doc: "the root span's service (the same as app)"},
	{Name: "root.status", Level: TraceLevel, Kind: Status, SQLite: "t.status", ClickHouse: "tupleElement(r, 6)", Doc: "the root span's status"},
	{Name: "root.duration", Level: TraceLevel, Kind: Duration, SQLite: "t.duration", ClickHouse: "tupleElement(r, 5)", Doc: "the root span's duration (0 while it runs)"},
	{Name: "spans", Level: TraceLevel, Kind: Number,
		SQLite: "(SELECT COUNT(*) FROM spans c INDEXED BY spans_id WHERE c.ns = t.ns AND c.trace = t.id)", ClickHouse: "n",
		Doc: "how many spans the trace has"},
	{Name: "errors", Level: TraceLevel, Kind: Number,
		SQLite: "(SELECT COUNT(*) FROM spans c INDEXED BY spans_id WHERE c.ns = t.ns AND c.trace = t.id AND c.failed)", ClickHouse: "e",
		Doc: "how many of the trace's spans failed"},
}

// Fields returns the term table, sorted by name.
func Fields() []Field {
	out := append([]Field(nil), fields...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookup finds the field of a name as written (tag.version finds tag.).
func lookup(name string) (Field, bool) {
	for _, f := range fields {
		if f.Prefix && strings.HasPrefix(name, f.Name) && len(name) > len(f.Name) {
			return f, true
		}
		if !f.Prefix && f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// fieldNames lists the names for an error message.
func fieldNames() string {
	names := make([]string, 0, len(fields))
	for _, f := range Fields() {
		n := f.Name
		if f.Prefix {
			n += "KEY"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// ops are the operators each kind takes.
var ops = map[Kind][]Op{
	Text:     {Eq, Contains},
	Status:   {Eq},
	Duration: {Eq, Gt, Ge, Lt, Le},
	Number:   {Eq, Gt, Ge, Lt, Le},
}

// Op is a term's comparison.
type Op string

// Operators.
const (
	Eq       Op = ":"
	Contains Op = ":~"
	Gt       Op = ">"
	Ge       Op = ">="
	Lt       Op = "<"
	Le       Op = "<="
)
