package bulk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/wrapper"
)

const customer = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"

func base() wrapper.OpportunityInput {
	return wrapper.NewOpportunity(customer, "test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100)
}

// created is the opportunity the API would return for in.
func created(in wrapper.OpportunityInput) wrapper.Opportunity {
	o := wrapper.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: in.CustomerUUID, Owner: in.Owner,
		Pipeline: in.Pipeline, PipelineStage: in.PipelineStage, EstimatedCloseDate: in.EstimatedCloseDate, Currency: in.Currency,
		AmountInCents: in.AmountInCents, Type: in.Type, ForecastCategory: in.ForecastCategory, WinLikelihood: in.WinLikelihood,
		Custom: map[string]any{}}
	for k, v := range in.Custom {
		o.Custom[k] = v
	}
	return o
}

func TestMatchesIsExact(t *testing.T) {
	win := func(n int) *int { return &n }
	withSeats := base().WithCustom(map[string]any{"seats": 3})
	for _, tt := range []struct {
		name  string
		in    wrapper.OpportunityInput
		o     func(o *wrapper.Opportunity)
		match bool
	}{
		{"identical", withSeats, nil, true},
		{"the issue's case: a row without custom.seats and an opportunity with seats=3", base(), func(o *wrapper.Opportunity) { o.Custom["seats"] = int64(3) }, false},
		{"a custom key the row did not send", withSeats, func(o *wrapper.Opportunity) { o.Custom["vip"] = true }, false},
		{"a custom key missing", withSeats, func(o *wrapper.Opportunity) { delete(o.Custom, "seats") }, false},
		{"another custom value", withSeats, func(o *wrapper.Opportunity) { o.Custom["seats"] = int64(4) }, false},
		{"a string for a number", withSeats, func(o *wrapper.Opportunity) { o.Custom["seats"] = "3" }, false},
		{"3 equals 3.0", base().WithCustom(map[string]any{"ratio": 3.0}), func(o *wrapper.Opportunity) { o.Custom["ratio"] = int64(3) }, true},
		{"big integers exactly", base().WithCustom(map[string]any{"n": int64(1<<53 + 1)}), func(o *wrapper.Opportunity) { o.Custom["n"] = int64(1 << 53) }, false},
		{"an optional field the row did not send", base(), func(o *wrapper.Opportunity) { o.Type = wrapper.TypeRecurring }, false},
		{"a forecast the row did not send", base(), func(o *wrapper.Opportunity) { o.ForecastCategory = wrapper.ForecastWon }, false},
		{"another type", base().WithType(wrapper.TypeOneTime), func(o *wrapper.Opportunity) { o.Type = wrapper.TypeRecurring }, false},
		{"win_likelihood filled by the stage default", base(), func(o *wrapper.Opportunity) { o.WinLikelihood = win(40) }, true},
		{"win_likelihood sent and different", base().WithWinLikelihood(40), func(o *wrapper.Opportunity) { o.WinLikelihood = win(41) }, false},
		{"win_likelihood 0 sent, none returned", base().WithWinLikelihood(0), func(o *wrapper.Opportunity) { o.WinLikelihood = nil }, false},
		{"e-mail case", base(), func(o *wrapper.Opportunity) { o.Owner = "Test1@Example.org" }, true},
		{"pipeline case", base(), func(o *wrapper.Opportunity) { o.Pipeline = "new business" }, false},
		{"another amount", base(), func(o *wrapper.Opportunity) { o.AmountInCents = 101 }, false},
		{"another customer", base(), func(o *wrapper.Opportunity) { o.CustomerUUID = "cus_bb167600-e74e-11ee-93bd-8f1e5b698784" }, false},
		{"no custom and {}", base(), nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := created(tt.in)
			if tt.o != nil {
				tt.o(&o)
			}
			require.Equal(t, tt.match, bulk.Matches(tt.in, o))
		})
	}
	require.False(t, bulk.Matches(wrapper.OpportunityInput{}, created(base())), "an invalid input matches nothing")
}
