package livecheck

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// Config is what a check needs: where the API is, its key, and the test
// account's customer, owner, pipeline and stage.
type Config struct {
	BaseURL      string // the API's base URL, version path included
	APIKey       string
	CustomerUUID string // the test customer the opportunities are created for
	Owner        string // the e-mail of a user with a CRM seat
	Pipeline     string
	Stage        string
	Timeout      time.Duration // bound on each request; 0 for none
	UserAgent    string
	// Progress, when set, is told of each opportunity the check creates as
	// soon as its UUID is known, and of each one found by its marker during
	// the cleanup, so that a caller can print it before anything else
	// happens (a run killed outright then still leaves what is needed to
	// delete what it created).
	Progress func(Event)
}

// Event is an opportunity the check created or found.
type Event struct {
	UUID  string
	Found bool // found by the marker during the cleanup, not created by a step
}

// Check is one run of the live check. Make it with New, then call Steps and
// Finish once each, in that order.
type Check struct {
	cfg         Config
	base        string
	red         *safetext.Redactor // the key in every form a server could echo it
	hc          *http.Client
	c           *contract.Contract
	rep         *Report
	run         string
	created     []string // created and not yet deleted, in order
	lost        bool     // a create may have been applied without our knowing its UUID
	unreachable []string // found by the marker under a UUID the spec refuses: not deleted
	closeDate   [2]string
}

// RequiredError is the error of Config.Check and New for a field of Config
// the check cannot do without, left empty.
type RequiredError struct {
	Field string // the field's name in the spec: "customer_uuid" or "owner"
	Why   string // what the field is, such as "a user with a CRM seat"
}

// Error names the field and what it is.
func (e *RequiredError) Error() string {
	return "livecheck: " + e.Field + " is required: " + e.Why
}

// Check reports the first field of cfg the check cannot do without that is
// empty, CustomerUUID then Owner, as a *RequiredError; New checks it first.
// Their values, and the other fields, New checks against the spec.
func (cfg Config) Check() error {
	switch {
	case cfg.CustomerUUID == "":
		return &RequiredError{Field: "customer_uuid", Why: "the test customer to create opportunities for"}
	case cfg.Owner == "":
		return &RequiredError{Field: "owner", Why: "a user with a CRM seat"}
	}
	return nil
}

// New prepares a check of the API at cfg.BaseURL against c. Nothing is sent:
// cfg is checked first (Config.Check: a *RequiredError), then its API key,
// then the first create body against the spec: a *contract.Error names each
// field of cfg the spec refuses (customer_uuid, owner, pipeline,
// pipeline_stage).
func New(c *contract.Contract, cfg Config) (*Check, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := wrapper.CheckAPIKey(cfg.APIKey); err != nil {
		return nil, err // as the client would refuse it
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	ch := &Check{
		cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), red: safetext.NewRedactor(cfg.APIKey), c: c,
		run: hex.EncodeToString(id[:]), closeDate: [2]string{"2031-01-15", "2031-01-16"},
		hc: &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // the key goes nowhere else; a redirect is reported as it is
		}},
	}
	ch.rep = &Report{BaseURL: redactURL(ch.base), Run: ch.run, Steps: []*Step{}, Cleanup: Cleanup{LeftBehind: []string{}}}
	req := contract.Request{Method: http.MethodPost, URL: ch.base + "/opportunities", Header: ch.header(true), Body: ch.createBody(0)}
	if err := c.ValidateRequest(context.Background(), req); err != nil {
		return nil, err
	}
	return ch, nil
}

// BaseURL is the API's base URL without credentials.
func (ch *Check) BaseURL() string { return ch.rep.BaseURL }

// Run is the run's random identifier.
func (ch *Check) Run() string { return ch.run }

// Marker is the value of the custom attribute verify_string on everything
// this run creates.
func (ch *Check) Marker() string { return "opportunities-verify " + ch.run }

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(invalid URL)"
}

func (ch *Check) header(body bool) http.Header {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(ch.cfg.APIKey, "")
	if body {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("User-Agent", ch.cfg.UserAgent)
	return r.Header
}

// createBody is the create request of opportunity i (0 or 1): the first
// with every optional field and custom values of each type.
func (ch *Check) createBody(i int) []byte {
	body := map[string]any{
		"customer_uuid": ch.cfg.CustomerUUID, "owner": ch.cfg.Owner, "pipeline": ch.cfg.Pipeline, "pipeline_stage": ch.cfg.Stage,
		"estimated_close_date": ch.closeDate[i], "currency": "USD", "amount_in_cents": 123456 + i,
		"custom": []map[string]any{{"key": "verify_string", "value": ch.Marker()}},
	}
	if i == 0 {
		body["type"], body["forecast_category"], body["win_likelihood"] = "recurring", "pipeline", 35
		body["custom"] = []map[string]any{
			{"key": "verify_string", "value": ch.Marker()},
			{"key": "verify_integer", "value": 42},
			{"key": "verify_decimal", "value": 12.5},
			{"key": "verify_boolean", "value": true},
		}
	} else {
		body["win_likelihood"] = 0
	}
	data, _ := json.Marshal(body)
	return data
}

// exchange is one request sent and checked.
type exchange struct {
	step   *Step
	status int
	body   map[string]any // the decoded JSON object, when it is one
	ok     bool           // the request got the status the step expected
	unsent bool           // the request never reached a server (see wrapper.MayHaveBeenApplied)
}

// request is one step's request.
type request struct {
	name, op, method, pathTemplate, path string
	query                                url.Values
	body                                 []byte
}

// do sends one request and checks it: the exchange against the spec, the
// fields the spec does not know, and the status the step expects.
func (ch *Check) do(ctx context.Context, r request, want ...int) *exchange {
	step := &Step{Step: r.name, Operation: r.op, Method: r.method, Path: r.pathTemplate, Findings: []Finding{}}
	ch.rep.Steps = append(ch.rep.Steps, step)
	ex := &exchange{step: step}
	u := ch.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		step.fail("building the request: %v", err)
		ex.unsent = true
		return ex
	}
	req.Header = ch.header(r.body != nil)
	resp, err := ch.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is already in the report
		}
		step.fail("%v", err)
		ex.unsent = !wrapper.MayHaveBeenApplied(err) // a refused connection, a name that did not resolve
		return ex
	}
	got, err := contract.ReadResponse(resp)
	resp.Body.Close()
	if err != nil {
		step.fail("reading the response: %v", err)
		return ex
	}
	ex.status, step.Status = got.Status, got.Status
	if !ch.checkExchange(ctx, step, contract.Request{Method: r.method, URL: u, Header: req.Header, Body: r.body}, got) {
		return ex
	}
	_ = json.Unmarshal(got.Body, &ex.body)
	for _, w := range want {
		if got.Status == w {
			ex.ok = true
		}
	}
	if !ex.ok && !hasKind(step.Findings, KindStatus) {
		step.fail("expected status %v, got %d%s", want, got.Status, ch.apiMessage(ex.body))
	}
	return ex
}

// checkExchange adds to step what the contract finds wrong with an exchange
// and the response fields the spec does not declare; false when the check
// could not be made.
func (ch *Check) checkExchange(ctx context.Context, step *Step, req contract.Request, got contract.Response) bool {
	if err := ch.c.ValidateExchange(context.WithoutCancel(ctx), req, got); err != nil {
		var ce *contract.Error
		if !errors.As(err, &ce) {
			step.fail("checking the exchange: %v", err)
			return false
		}
		for _, viol := range ce.Violations {
			step.Findings = append(step.Findings, classify(viol))
		}
	}
	for _, f := range ch.c.UndocumentedFields(req, got) {
		step.Findings = append(step.Findings, Finding{Severity: SevWarning, Kind: KindUnknown, Part: string(contract.PartResponseBody),
			Field: f, Message: "the spec's schema does not declare this field"})
	}
	return true
}

// apiMessage quotes the message of an error body, if it has one. The key is
// redacted before the message is cut or quoted, so that neither a cut nor
// quoting can leave part of it in a form the redactor would not know.
func (ch *Check) apiMessage(body map[string]any) string {
	for _, k := range []string{"message", "error"} {
		if s, ok := body[k].(string); ok && s != "" {
			s = ch.red.String(s)
			if len(s) > 200 {
				s = string(ch.red.TrimPartial([]byte(s[:200]))) + "..."
			}
			return fmt.Sprintf(" (%q)", s)
		}
	}
	return ""
}

func (ch *Check) tell(id string, found bool) {
	if ch.cfg.Progress != nil {
		ch.cfg.Progress(Event{UUID: id, Found: found})
	}
}
