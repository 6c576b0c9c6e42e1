package store

// Kinds of an [AlertRecord].
const (
	AlertRecordRule  = "rule"  // a rule set through the API; Key is its id
	AlertRecordAlert = "alert" // an alert and what each target was told of it
	// AlertRecordEngine is the heartbeat of an alert engine on this store;
	// Key is the engine's id and Namespace is empty.
	AlertRecordEngine = "engine"
)

// AlertRecord is one piece of the alert engine's state (package alert) that
// the store keeps, so that a restarted receiver keeps the rules set through
// the API and sends no notification twice. Body is the engine's JSON; the
// store only keeps it, keyed by namespace, kind and key.
type AlertRecord struct {
	Namespace string
	Kind      string
	Key       string
	Body      []byte
}
