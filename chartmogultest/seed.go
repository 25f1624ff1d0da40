package chartmogultest

import (
	"encoding/json"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// The UUIDs of DocumentationSeed's opportunities and of their customers.
const (
	// DocRecordedUUID is the opportunity recorded in ChartMogul's
	// documentation of the API.
	DocRecordedUUID = "bb544336-e74e-11ee-800c-effc264f19ed"
	// DocRecordedCustomerUUID is DocRecordedUUID's customer.
	DocRecordedCustomerUUID = "cus_bb167600-e74e-11ee-93bd-8f1e5b698784"
	// DocCreateExampleUUID is the opportunity shown as the result on the
	// documentation page of the create call.
	DocCreateExampleUUID = "4ee13ca4-e7fe-11ee-fa7f-f303abf41acc"
	// DocCreateExampleCustomerUUID is DocCreateExampleUUID's customer.
	DocCreateExampleCustomerUUID = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"
)

// DocumentationSeed returns the two opportunities of ChartMogul's
// documentation, ready for Seed or WithSeed: the result shown on the
// documentation page of the create call (DocCreateExampleUUID, with the
// page's obfuscated owner address replaced by test1@example.org) and the one
// recorded in the documentation of the API (DocRecordedUUID), which is the
// newer. Each call returns fresh copies.
func DocumentationSeed() []generated.Opportunity {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err) // the constants below are valid
		}
		return t
	}
	win := func(n int) *int { return &n }
	recorded := at("2024-03-21T06:46:23.137Z")
	created := at("2024-03-20T09:55:50.156Z")
	return []generated.Opportunity{
		{
			UUID:               DocCreateExampleUUID,
			CustomerUUID:       DocCreateExampleCustomerUUID,
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
			CreatedAt:          created,
			UpdatedAt:          created,
		},
		{
			UUID:               DocRecordedUUID,
			CustomerUUID:       DocRecordedCustomerUUID,
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

// WithSeed stores opps when the server starts, as Seed would, and stores
// them again, exactly as first stored (same UUIDs and timestamps), each time
// the server is Reset (POST /_fake/reset with WithAdmin). Opportunities
// stored later by Seed are not restored by a Reset. Several WithSeed options
// add up.
func WithSeed(opps ...generated.Opportunity) Option {
	copies := make([]generated.Opportunity, len(opps))
	for i, o := range opps {
		copies[i] = cloneOpportunity(o)
	}
	return func(c *config) { c.seed = append(c.seed, copies...) }
}
