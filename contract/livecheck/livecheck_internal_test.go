package livecheck

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/contract"
)

func TestOpportunityPathEscapesTheUUID(t *testing.T) {
	t.Parallel()
	require.Equal(t, "/opportunities/a%2Fb%3Fc", opportunityPath("a/b?c"))
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    contract.Violation
		kind string
	}{
		{contract.Violation{Part: contract.PartStatus}, KindStatus},
		{contract.Violation{Part: contract.PartResponseBody, Rule: "required"}, KindRequired},
		{contract.Violation{Part: contract.PartResponseBody, Rule: "type"}, KindType},
		{contract.Violation{Part: contract.PartResponseBody, Rule: "nullable"}, KindType},
		{contract.Violation{Part: contract.PartResponseBody, Rule: "pattern"}, KindViolation},
	} {
		f := classify(c.v)
		require.Equal(t, c.kind, f.Kind, c.v)
		require.Equal(t, SevDrift, f.Severity)
	}
}

func TestReportSummarizeAndLabel(t *testing.T) {
	t.Parallel()
	ok := &Step{Findings: []Finding{}}
	warn := &Step{Findings: []Finding{{Severity: SevWarning}}}
	drift := &Step{Findings: []Finding{{Severity: SevWarning}, {Severity: SevDrift}}}
	failed := &Step{Findings: []Finding{{Severity: SevDrift}, {Severity: SevError}}}
	require.Equal(t, []string{"ok", "warn", "DRIFT", "FAILED"}, []string{ok.Label(), warn.Label(), drift.Label(), failed.Label()})

	r := &Report{Steps: []*Step{ok, warn}}
	r.summarize()
	require.True(t, r.Conforms, "warnings allowed")
	r.Cleanup.OutcomeUnknown = true
	r.summarize()
	require.False(t, r.Conforms, "something may be left behind")
	r = &Report{Steps: []*Step{ok, warn, drift, failed}}
	r.summarize()
	require.Equal(t, [3]int{2, 2, 1}, [3]int{r.Drift, r.Warnings, r.Errors})
	require.False(t, r.Conforms)
}
