package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/spantree/spantree/alert"
)

// Alerts. The routes under /v1/alerts read and change the rules of the
// receiver's alert engine (Options.Alerts) in the namespace of the key, and
// list its alerts. A receiver without an engine answers them 404, but for
// the reads of server.Local, which answers from the database.

// maxRuleBody bounds the body of POST /v1/alerts/rules: a rule is small.
const maxRuleBody = 64 << 10

// alertRules is GET /v1/alerts/rules: {"rules":[...]}, those of the rules
// file ("source":"file") and those set through the API, by id.
func (s *server) alertRules(w http.ResponseWriter, r *http.Request, ns string) error {
	en, err := s.alertsRead(r)
	if err != nil {
		return err
	}
	rules := en.Rules(ns)
	if rules == nil {
		rules = []*alert.Rule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rules})
	return nil
}

// setAlertRule is POST /v1/alerts/rules: a rule (alert.ParseRule), added
// or replacing the namespace's rule of the same id: 200 and the rule as
// kept. A bad rule is 400 naming the field; the id of a rule of the rules
// file is 409.
func (s *server) setAlertRule(w http.ResponseWriter, r *http.Request, ns string) error {
	en, err := s.alerts()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRuleBody)
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	rule, err := alert.ParseRule(body, "", "")
	if err != nil {
		return err
	}
	if rule.Namespace != "" && rule.Namespace != ns {
		return badRequest("namespace", "%q is not the namespace of the key (leave it out)", rule.Namespace)
	}
	if err := en.SetRule(ns, rule); err != nil {
		return ruleError(rule.ID, err)
	}
	for _, kept := range en.Rules(ns) {
		if kept.ID == rule.ID {
			writeJSON(w, http.StatusOK, kept)
			return nil
		}
	}
	return fmt.Errorf("rule %s: set, then not found", rule.ID)
}

// deleteAlertRule is DELETE /v1/alerts/rules/{id}: 204, 404 for no such
// rule, 409 for a rule of the rules file. Its alerts resolve at the next
// evaluation.
func (s *server) deleteAlertRule(w http.ResponseWriter, r *http.Request, ns string) error {
	en, err := s.alerts()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := en.DeleteRule(ns, id); err != nil {
		return ruleError(id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// alertList is GET /v1/alerts: {"alerts":[...]}, firing first, then
// pending, then those resolved in the last hour.
func (s *server) alertList(w http.ResponseWriter, r *http.Request, ns string) error {
	en, err := s.alertsRead(r)
	if err != nil {
		return err
	}
	list := en.Alerts(ns)
	if list == nil {
		list = []alert.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
	return nil
}

// alerts is the engine, or a 404 when the receiver runs none.
func (s *server) alerts() (*alert.Engine, error) {
	if s.opts.Alerts == nil {
		return nil, &httpError{status: http.StatusNotFound, msg: "alerts: this receiver runs no alert engine"}
	}
	return s.opts.Alerts, nil
}

// alertsRead is the engine for the routes that only read: the in-process
// API of a database (server.Local) reads the state the database holds
// (alert.Stored), as the engine of the receiver that evaluates saved it.
func (s *server) alertsRead(r *http.Request) (*alert.Engine, error) {
	if s.opts.Alerts == nil && s.local {
		return alert.Stored(r.Context(), s.st)
	}
	return s.alerts()
}

// ruleError gives the engine's refusals of a change to rule id their status.
func ruleError(id string, err error) error {
	if errors.Is(err, alert.ErrFileRule) {
		return &httpError{status: http.StatusConflict, msg: fmt.Sprintf("id: rule %q comes from the rules file (-alert-rules); change it there", id)}
	}
	return err
}
