package main

import (
	"strings"

	"github.com/mogulkit/opportunities/generated"
)

// createProperties and updateProperties are the request schemas' properties.
var (
	createProperties = generated.CreateOpportunityProperties()
	updateProperties = generated.UpdateOpportunityProperties()
)

// flagAliases are the short names of some fields' flags; every other
// property of the spec gets a flag named after it (customer_uuid:
// --customer-uuid), so a new property in openapi.yaml needs no edit here.
var flagAliases = map[string]string{
	"pipeline_stage":       "stage",
	"estimated_close_date": "close-date",
	"amount_in_cents":      "amount-cents",
	"forecast_category":    "forecast",
	// list's filters
	"estimated_close_date_on_or_after":  "close-date-on-or-after",
	"estimated_close_date_on_or_before": "close-date-on-or-before",
}

// flagName is the flag that sets an API field or list parameter.
func flagName(field string) string {
	if f, ok := flagAliases[field]; ok {
		return f
	}
	return strings.ReplaceAll(field, "_", "-")
}
