package alert

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's series, served on the receiver's own /metrics
// (without a key): see [Engine.Collectors].
type metrics struct {
	sent, failed *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	firing       prometheus.GaugeFunc
}

func newMetrics(e *Engine) *metrics {
	return &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spantree_alert_notifications_sent_total",
			Help: "Alert notifications a target acknowledged, by target."}, []string{"target"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spantree_alert_notification_failures_total",
			Help: "Failed attempts to deliver an alert notification (each retry counts), by target."}, []string{"target"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spantree_alert_notifications_dropped_total",
			Help: "Alert notifications given up, by target and reason (queue_full, retries, refused)."}, []string{"target", "reason"}),
		firing: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "spantree_alerts_firing",
			Help: "Alerts firing now, over all namespaces."}, func() float64 {
			e.mu.Lock()
			defer e.mu.Unlock()
			n := 0
			for _, a := range e.alerts {
				if a.State == StateFiring {
					n++
				}
			}
			return float64(n)
		}),
	}
}

// Collectors returns the engine's Prometheus series, for the receiver's
// own registry.
func (e *Engine) Collectors() []prometheus.Collector {
	return []prometheus.Collector{e.metrics.sent, e.metrics.failed, e.metrics.dropped, e.metrics.firing}
}
