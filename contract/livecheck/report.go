package livecheck

import (
	"fmt"

	"github.com/mogulkit/opportunities/contract"
)

// Severities of findings.
const (
	SevDrift   = "drift"   // the API does not do what openapi.yaml says
	SevWarning = "warning" // worth a look, not drift (a field the spec does not know)
	SevError   = "error"   // the check could not be made
)

// Kinds of findings.
const (
	KindStatus    = "undocumented-status"    // a status the operation does not document
	KindRequired  = "missing-required-field" // a required response field is missing
	KindType      = "type-change"            // a value of another type than the spec's
	KindViolation = "violation"              // any other violation of the spec
	KindUnknown   = "unknown-field"          // a response field the spec does not declare
	KindBehaviour = "behaviour"              // documented behaviour not seen
	KindFailed    = "step-failed"            // the step could not run or got another status
)

// Finding is one thing a step found.
type Finding struct {
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	Part     string `json:"part,omitempty"`
	Field    string `json:"field,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

// Step is one request the check sent, and what it found.
type Step struct {
	Step      string    `json:"step"`
	Operation string    `json:"operation"`
	Method    string    `json:"method"`
	Path      string    `json:"path"` // the path template, not the path sent
	Status    int       `json:"status,omitempty"`
	Findings  []Finding `json:"findings"`
}

// Cleanup is what the check created and what it left behind.
type Cleanup struct {
	Created    int      `json:"created"`
	Deleted    int      `json:"deleted"`
	LeftBehind []string `json:"left_behind"`
	// OutcomeUnknown: a create may have been applied without its answer,
	// and looking for it by its marker failed (LookupError): something may
	// be left behind that is not in LeftBehind. Find it by Marker, the value
	// of the custom attribute verify_string.
	OutcomeUnknown bool   `json:"outcome_unknown"`
	LookupError    string `json:"lookup_error,omitempty"`
	Marker         string `json:"marker"`
}

// Report is the outcome of a check. Much of it comes from the server: see
// Sanitize before printing it.
type Report struct {
	BaseURL     string  `json:"base_url"` // without credentials
	Run         string  `json:"run"`
	Conforms    bool    `json:"conforms"`
	Interrupted bool    `json:"interrupted"`
	Drift       int     `json:"drift"`
	Warnings    int     `json:"warnings"`
	Errors      int     `json:"errors"`
	Steps       []*Step `json:"steps"`
	Cleanup     Cleanup `json:"cleanup"`
}

// Label is a step's verdict in one word: ok, warn, DRIFT or FAILED.
func (s *Step) Label() string {
	label := "ok"
	for _, f := range s.Findings {
		switch {
		case f.Severity == SevError:
			label = "FAILED"
		case f.Severity == SevDrift && label != "FAILED":
			label = "DRIFT"
		case f.Severity == SevWarning && label == "ok":
			label = "warn"
		}
	}
	return label
}

func (s *Step) fail(format string, args ...any) {
	s.Findings = append(s.Findings, Finding{Severity: SevError, Kind: KindFailed, Message: fmt.Sprintf(format, args...)})
}

func (s *Step) behaviour(severity, field, format string, args ...any) {
	s.Findings = append(s.Findings, Finding{Severity: severity, Kind: KindBehaviour, Part: string(contract.PartResponseBody), Field: field,
		Message: fmt.Sprintf(format, args...)})
}

func hasKind(fs []Finding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// classify turns a violation into a finding.
func classify(v contract.Violation) Finding {
	f := Finding{Severity: SevDrift, Kind: KindViolation, Part: string(v.Part), Field: v.Field, Rule: v.Rule, Message: v.Message}
	switch {
	case v.Part == contract.PartStatus:
		f.Kind = KindStatus
	case v.Rule == "required" && v.Part == contract.PartResponseBody:
		f.Kind = KindRequired
	case v.Rule == "type" || v.Rule == "nullable":
		f.Kind = KindType
	}
	return f
}

// summarize counts the findings and settles Conforms.
func (r *Report) summarize() {
	r.Drift, r.Warnings, r.Errors = 0, 0, 0
	for _, s := range r.Steps {
		for _, f := range s.Findings {
			switch f.Severity {
			case SevDrift:
				r.Drift++
			case SevWarning:
				r.Warnings++
			default:
				r.Errors++
			}
		}
	}
	r.Conforms = r.Drift == 0 && r.Errors == 0 && !r.Interrupted && len(r.Cleanup.LeftBehind) == 0 && !r.Cleanup.OutcomeUnknown
}

// Sanitize passes every string of the report through clean (for instance:
// the key redacted, control characters escaped): a server chooses much of
// what ends up here (messages, field names, UUIDs).
func (r *Report) Sanitize(clean func(string) string) {
	r.BaseURL, r.Run = clean(r.BaseURL), clean(r.Run)
	for _, s := range r.Steps {
		s.Step, s.Operation, s.Method, s.Path = clean(s.Step), clean(s.Operation), clean(s.Method), clean(s.Path)
		for i := range s.Findings {
			f := &s.Findings[i]
			f.Severity, f.Kind, f.Part, f.Field, f.Rule, f.Message = clean(f.Severity), clean(f.Kind), clean(f.Part), clean(f.Field), clean(f.Rule), clean(f.Message)
		}
	}
	r.Cleanup.Marker, r.Cleanup.LookupError = clean(r.Cleanup.Marker), clean(r.Cleanup.LookupError)
	for i, id := range r.Cleanup.LeftBehind {
		r.Cleanup.LeftBehind[i] = clean(id)
	}
}
