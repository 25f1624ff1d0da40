package wrapper_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

// problemsOf returns the field → problem map of a validation error.
func problemsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var v *wrapper.ValidationError
	require.ErrorAs(t, err, &v)
	require.True(t, wrapper.IsValidation(err))
	out := map[string]string{}
	for _, p := range v.Problems {
		out[p.Field] = p.Problem
	}
	return out
}

func TestCreateValidation(t *testing.T) {
	ok := seedInput()
	tests := []struct {
		name string
		edit func(in *wrapper.OpportunityInput)
		want map[string]string
	}{
		{"valid", func(*wrapper.OpportunityInput) {}, nil},
		{"zero amount is allowed", func(in *wrapper.OpportunityInput) { in.AmountInCents = 0 }, nil},
		{"likelihood 0 and 100", func(in *wrapper.OpportunityInput) { in.WinLikelihood = ptr(0) }, nil},
		{"missing customer", func(in *wrapper.OpportunityInput) { in.CustomerUUID = "" },
			map[string]string{"customer_uuid": "is required"}},
		{"customer without prefix", func(in *wrapper.OpportunityInput) { in.CustomerUUID = "f466e33d-ff2b-4a11-8f85-417eb02157a7" },
			map[string]string{"customer_uuid": `must match the pattern ^cus_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$, got "f466e33d-ff2b-4a11-8f85-417eb02157a7"`}},
		{"owner not an address", func(in *wrapper.OpportunityInput) { in.Owner = "Test User" },
			map[string]string{"owner": `must be an e-mail address (format email), got "Test User"`}},
		{"missing pipeline and stage", func(in *wrapper.OpportunityInput) { in.Pipeline, in.PipelineStage = "", "" },
			map[string]string{"pipeline": "is required", "pipeline_stage": "is required"}},
		{"timestamp for a date", func(in *wrapper.OpportunityInput) { in.EstimatedCloseDate = "2024-04-21T00:00:00Z" },
			map[string]string{"estimated_close_date": `must be a date as YYYY-MM-DD (format date), got "2024-04-21T00:00:00Z"`}},
		{"impossible date", func(in *wrapper.OpportunityInput) { in.EstimatedCloseDate = "2024-02-30" },
			map[string]string{"estimated_close_date": `must be a date as YYYY-MM-DD (format date), got "2024-02-30"`}},
		{"lower-case currency", func(in *wrapper.OpportunityInput) { in.Currency = "usd" },
			map[string]string{"currency": `must match the pattern ^[A-Z]{3}$, got "usd"`}},
		{"unknown type", func(in *wrapper.OpportunityInput) { in.Type = "arr" },
			map[string]string{"type": `must be one of recurring, one-time (enum), got "arr"`}},
		{"unknown forecast", func(in *wrapper.OpportunityInput) { in.ForecastCategory = "maybe" },
			map[string]string{"forecast_category": `must be one of pipeline, best_case, committed, lost, won (enum), got "maybe"`}},
		{"likelihood above 100", func(in *wrapper.OpportunityInput) { in.WinLikelihood = ptr(101) },
			map[string]string{"win_likelihood": "must be between 0 and 100 (minimum, maximum), got 101"}},
		{"likelihood below 0", func(in *wrapper.OpportunityInput) { in.WinLikelihood = ptr(-1) },
			map[string]string{"win_likelihood": "must be between 0 and 100 (minimum, maximum), got -1"}},
		{"custom object value", func(in *wrapper.OpportunityInput) { in.Custom = map[string]any{"x": struct{}{}} },
			map[string]string{"custom.x": "value of type struct {} is not supported; want a string, bool, integer or float"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.edit(&in)
			_, err := (&wrapper.Client{}).Create(context.Background(), in)
			if tt.want == nil {
				// A valid input gets past validation and only then fails, on
				// the zero client that has nowhere to send it.
				require.ErrorContains(t, err, "not made by NewClient")
				require.False(t, wrapper.IsValidation(err))
				return
			}
			require.Equal(t, tt.want, problemsOf(t, err))
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	tests := []struct {
		name string
		u    wrapper.OpportunityUpdate
		want map[string]string
	}{
		{"nothing set", wrapper.NewUpdate(), map[string]string{"update": "sets no field; nothing to change"}},
		{"empty stage", wrapper.NewUpdate().SetPipelineStage(""), map[string]string{"pipeline_stage": "must not be empty (minLength 1)"}},
		{"bad owner", wrapper.NewUpdate().SetOwner("x"), map[string]string{"owner": `must be an e-mail address (format email), got "x"`}},
		{"bad date", wrapper.NewUpdate().SetEstimatedCloseDate("21/04/2024"),
			map[string]string{"estimated_close_date": `must be a date as YYYY-MM-DD (format date), got "21/04/2024"`}},
		{"bad currency", wrapper.NewUpdate().SetCurrency("EURO"),
			map[string]string{"currency": `must match the pattern ^[A-Z]{3}$, got "EURO"`}},
		{"bad enums and likelihood", wrapper.NewUpdate().SetType("x").SetForecastCategory("y").SetWinLikelihood(200),
			map[string]string{"type": `must be one of recurring, one-time (enum), got "x"`,
				"forecast_category": `must be one of pipeline, best_case, committed, lost, won (enum), got "y"`,
				"win_likelihood":    "must be between 0 and 100 (minimum, maximum), got 200"}},
		{"bad custom", wrapper.NewUpdate().SetCustom(map[string]any{"k": []string{"a"}}),
			map[string]string{"custom.k": "value of type []string is not supported; want a string, bool, integer or float"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&wrapper.Client{}).Update(context.Background(), "bb544336-e74e-11ee-800c-effc264f19ed", tt.u)
			require.Equal(t, tt.want, problemsOf(t, err))
		})
	}
}

func TestListValidation(t *testing.T) {
	tests := []struct {
		name string
		p    wrapper.ListParams
		want map[string]string
	}{
		{"customer", wrapper.ListParams{CustomerUUID: "cus_1"},
			map[string]string{"customer_uuid": `must match the pattern ^cus_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$, got "cus_1"`}},
		{"owner", wrapper.ListParams{Owner: "nobody"}, map[string]string{"owner": `must be an e-mail address (format email), got "nobody"`}},
		{"dates", wrapper.ListParams{EstimatedCloseDateOnOrAfter: "2024-1-1", EstimatedCloseDateOnOrBefore: "tomorrow"},
			map[string]string{"estimated_close_date_on_or_after": `must be a date as YYYY-MM-DD (format date), got "2024-1-1"`,
				"estimated_close_date_on_or_before": `must be a date as YYYY-MM-DD (format date), got "tomorrow"`}},
		{"per page negative", wrapper.ListParams{PerPage: -5}, map[string]string{"per_page": "must be at least 1 (minimum), got -5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&wrapper.Client{}).List(context.Background(), tt.p)
			require.Equal(t, tt.want, problemsOf(t, err))
			require.Equal(t, tt.want, problemsOf(t, tt.p.Validate()), "Validate checks as List does")
		})
	}
}

// ListParams.Validate lists every problem in the spec's order, and takes
// PerPage 0 as the API's default, not as a problem.
func TestListParamsValidate(t *testing.T) {
	require.NoError(t, wrapper.ListParams{}.Validate())
	require.NoError(t, wrapper.ListParams{PerPage: 0, Cursor: "c", Pipeline: "New Business"}.Validate())
	err := wrapper.ListParams{PerPage: -1, Owner: "nobody", CustomerUUID: "cus_1", PipelineStage: ""}.Validate()
	var ve *wrapper.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{"customer_uuid", "owner", "per_page"}, fields)
}

func TestValidateMethodsMatchWhatTheClientChecks(t *testing.T) {
	require.NoError(t, seedInput().Validate())
	bad := seedInput().WithWinLikelihood(101)
	require.Equal(t, map[string]string{"win_likelihood": "must be between 0 and 100 (minimum, maximum), got 101"}, problemsOf(t, bad.Validate()))
	require.NoError(t, wrapper.NewUpdate().SetWinLikelihood(0).Validate())
	require.Equal(t, map[string]string{"update": "sets no field; nothing to change"}, problemsOf(t, wrapper.NewUpdate().Validate()))
}
