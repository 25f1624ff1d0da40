package main

import (
	"encoding/json"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// The opportunities the embedded fake (--fake) starts with: the one recorded
// in ChartMogul's documentation of the API, and the result shown on the
// documentation page of the create call (with the page's obfuscated owner
// address as the repository's tests have it). The help's examples name them.
const (
	fakeOpportunityUUID     = "bb544336-e74e-11ee-800c-effc264f19ed"
	fakeOpportunityCustomer = "cus_bb167600-e74e-11ee-93bd-8f1e5b698784"
	fakeSeedUUID            = "4ee13ca4-e7fe-11ee-fa7f-f303abf41acc"
	fakeSeedCustomer        = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"
)

// fakeSeed returns the embedded fake's opportunities.
func fakeSeed() []generated.Opportunity {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	win := func(n int) *int { return &n }
	recorded := at("2024-03-21T06:46:23.137Z")
	seed := at("2024-03-20T09:55:50.156Z")
	return []generated.Opportunity{
		{
			UUID:               fakeSeedUUID,
			CustomerUUID:       fakeSeedCustomer,
			Owner:              "test1@example.org",
			Pipeline:           "New Business",
			PipelineStage:      "Discovery",
			EstimatedCloseDate: "2024-04-21",
			Currency:           "USD",
			AmountInCents:      10000,
			Type:               "recurring",
			ForecastCategory:   "best_case",
			WinLikelihood:      win(40),
			Custom:             map[string]json.RawMessage{"seats": json.RawMessage(`3`), "marketing_campaign": json.RawMessage(`"Facebook"`)},
			CreatedAt:          seed,
			UpdatedAt:          seed,
		},
		{
			UUID:               fakeOpportunityUUID,
			CustomerUUID:       fakeOpportunityCustomer,
			Owner:              "kamil+pavlicko@chartmogul.com",
			Pipeline:           "New Business",
			PipelineStage:      "Discovery",
			EstimatedCloseDate: "2023-12-22",
			Currency:           "USD",
			AmountInCents:      100,
			Type:               "recurring",
			ForecastCategory:   "best_case",
			WinLikelihood:      win(3),
			Custom:             map[string]json.RawMessage{"from_campaign": json.RawMessage(`true`)},
			CreatedAt:          recorded,
			UpdatedAt:          recorded,
		},
	}
}
