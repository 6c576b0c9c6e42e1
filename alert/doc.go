// Package alert is the receiver's alerting: rules ([Rule]) on an app's
// status, error groups nobody judged, silenced groups back in a newer
// version, and a span name's failure rate or p95 over a window; an
// [Engine] that evaluates them on a ticker from the store's analyses
// (per-minute rollups, error groups, the status report: never a scan of
// spans); and the targets that hear of each firing and resolution, webhooks
// ([Webhook]) and Alertmanager ([Alertmanager]).
//
// Deliveries never block evaluation or ingest: each target has a bounded
// queue and a goroutine that sends in order, retrying with exponential
// backoff ([Delivery]) and dropping, counted in the metrics, past a bound.
//
// The engine keeps the rules set through the API and, per alert and per
// target, the last state the target acknowledged in the store
// ([store.AlertRecord], on either engine), each change saved as it is
// made. A restarted engine sends what was decided but not acknowledged,
// and nothing else: no notification is sent twice, except one acknowledged
// in the instant between the target's answer and the save.
package alert
