package livecheck_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/contract/livecheck"
)

func TestWriteText(t *testing.T) {
	t.Parallel()
	rep := &livecheck.Report{
		Drift: 1, Warnings: 1, Errors: 1, Interrupted: true,
		Steps: []*livecheck.Step{
			{Step: "create (every field)", Method: "POST", Path: "/opportunities", Status: 201, Findings: []livecheck.Finding{}},
			{Step: "retrieve", Method: "GET", Path: "/opportunities/{uuid}", Status: 200, Findings: []livecheck.Finding{
				{Severity: livecheck.SevDrift, Kind: livecheck.KindType, Part: "response body", Field: "amount_in_cents", Message: "must be an integer"},
				{Severity: livecheck.SevWarning, Kind: livecheck.KindUnknown, Part: "response body", Field: "probability", Message: "not declared"},
			}},
			{Step: "list", Method: "GET", Path: "/opportunities", Findings: []livecheck.Finding{
				{Severity: livecheck.SevError, Kind: livecheck.KindFailed, Message: "context canceled"},
			}},
		},
		Cleanup: livecheck.Cleanup{Created: 2, Deleted: 1, LeftBehind: []string{"a", "b"}, OutcomeUnknown: true,
			LookupError: "502", Marker: "opportunities-verify 0123456789ab"},
	}
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	require.Equal(t, `ok     create (every field)                       POST   /opportunities -> 201
DRIFT  retrieve                                   GET    /opportunities/{uuid} -> 200
         drift type-change: response body amount_in_cents: must be an integer
         warning unknown-field: response body probability: not declared
FAILED list                                       GET    /opportunities -> -
         error step-failed: context canceled

Cleanup: created 2, deleted 1, LEFT BEHIND: a, b; outcome unknown: a create may have been applied and looking for it failed (502), `+
		`so an opportunity may be LEFT BEHIND; find it by its custom attribute verify_string "opportunities-verify 0123456789ab" and delete it
Interrupted: not every step ran.
Result: 1 drift, 1 warning(s), 1 failed step(s): the API does NOT conform to openapi.yaml, or the check could not complete
`, b.String())
}

func TestWriteTextConforming(t *testing.T) {
	t.Parallel()
	rep := &livecheck.Report{Conforms: true, Steps: []*livecheck.Step{{Step: "delete", Method: "DELETE", Path: "/opportunities/{uuid}", Status: 200}},
		Cleanup: livecheck.Cleanup{Created: 2, Deleted: 2, LeftBehind: []string{}}}
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	require.Equal(t, `ok     delete                                     DELETE /opportunities/{uuid} -> 200

Cleanup: created 2, deleted 2, nothing left behind
Result: 0 drift, 0 warning(s), 0 failed step(s): the API conforms to openapi.yaml
`, b.String())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextReturnsTheWriteError(t *testing.T) {
	t.Parallel()
	require.EqualError(t, (&livecheck.Report{}).WriteText(failingWriter{}), "disk full")
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	ch, err := livecheck.New(cc, livecheck.Config{BaseURL: "https://user:secret@api.example.com/v1", APIKey: "k",
		CustomerUUID: customer, Owner: "test1@example.org", Pipeline: "New Business", Stage: "Discovery"})
	require.NoError(t, err)
	run := ch.Run()
	require.Equal(t, `Verifying https://user:xxxxx@api.example.com/v1 against openapi.yaml (run `+run+
		`, marker: verify_string "opportunities-verify `+run+`")`, ch.StartLine())
	require.Equal(t, `Created 0b5e (marker "opportunities-verify `+run+`")`, ch.EventLine(livecheck.Event{UUID: "0b5e"}))
	require.Equal(t, "Found 0b5e by its marker", ch.EventLine(livecheck.Event{UUID: "0b5e", Found: true}))
}
