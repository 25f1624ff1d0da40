package wrapper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// The friendly enum constants are hand-written names; every value the spec
// lists must have one, so a value added to openapi.yaml fails here by name.
func TestEnumValuesHaveFriendlyNames(t *testing.T) {
	friendly := map[string][]string{
		"type": {string(wrapper.TypeRecurring), string(wrapper.TypeOneTime)},
		"forecast_category": {string(wrapper.ForecastPipeline), string(wrapper.ForecastBestCase),
			string(wrapper.ForecastCommitted), string(wrapper.ForecastLost), string(wrapper.ForecastWon)},
	}
	for _, props := range [][]generated.Property{generated.CreateOpportunityProperties(), generated.UpdateOpportunityProperties()} {
		for _, p := range props {
			for _, v := range p.Enum {
				require.Contains(t, friendly[p.Name], v, "%s value %q has no constant in wrapper/types.go", p.Name, v)
			}
		}
	}
	// And no constant names a value the spec does not list.
	for field, values := range friendly {
		for _, props := range [][]generated.Property{generated.CreateOpportunityProperties()} {
			for _, p := range props {
				if p.Name == field {
					require.ElementsMatch(t, p.Enum, values, field)
				}
			}
		}
	}
}
