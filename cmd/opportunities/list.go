package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// listFlagNames maps list parameters to their flags.
var listFlagNames = map[string]string{
	"customer_uuid": "customer-uuid", "owner": "owner", "pipeline": "pipeline", "pipeline_stage": "stage",
	"estimated_close_date_on_or_after": "close-date-on-or-after", "estimated_close_date_on_or_before": "close-date-on-or-before",
	"per_page": "per-page", "cursor": "cursor",
}

func listCommand(e *env) *cobra.Command {
	var p wrapper.ListParams
	var all bool
	out := &output{}
	cmd := command("list [filters] [--per-page N] [--cursor C] [--all]", "list opportunities, one page or all of them", noArgs,
		func(cmd *cobra.Command, _ []string) int {
			if vs := listParams(p, cmd.Flags().Changed("per-page")).Validate(); len(vs) > 0 {
				return e.fail(violations(vs), listFlagNames)
			}
			return e.call(out, listFlagNames, func(ctx context.Context, c *wrapper.Client) (any, error) {
				if !all {
					return c.List(ctx, p)
				}
				return nil, e.printAll(out, c.All(ctx, p))
			})
		})
	f := cmd.Flags()
	f.StringVar(&p.CustomerUUID, "customer-uuid", "", "only this customer's opportunities (`cus_UUID`)")
	f.StringVar(&p.Owner, "owner", "", "only those owned by this `e-mail`")
	f.StringVar(&p.Pipeline, "pipeline", "", "only those in this `pipeline`")
	f.StringVar(&p.PipelineStage, "stage", "", "only those in this pipeline `stage`")
	f.StringVar(&p.EstimatedCloseDateOnOrAfter, "close-date-on-or-after", "", "only those expected to close on or after this `YYYY-MM-DD` date")
	f.StringVar(&p.EstimatedCloseDateOnOrBefore, "close-date-on-or-before", "", "only those expected to close on or before this `YYYY-MM-DD` date")
	f.IntVar(&p.PerPage, "per-page", 0, "entries per page, at least 1 (default: the API's; it treats more than 200 as 200)")
	f.StringVar(&p.Cursor, "cursor", "", "start at this page: the `cursor` of the previous page")
	f.BoolVar(&all, "all", false, "follow every page (JSON: one opportunity per line, JSON Lines)")
	out.register(cmd)
	return cmd
}

// listParams are the list call's parameters as the spec has them, to check
// them against its rules before anything is sent. --per-page 0 would mean
// "the API's default" to the wrapper: given on the command line, it is held
// to the rule too.
func listParams(p wrapper.ListParams, perPageGiven bool) *generated.ListOpportunitiesParams {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	w := &generated.ListOpportunitiesParams{
		CustomerUUID: str(p.CustomerUUID), Owner: str(p.Owner), Pipeline: str(p.Pipeline), PipelineStage: str(p.PipelineStage),
		EstimatedCloseDateOnOrAfter: str(p.EstimatedCloseDateOnOrAfter), EstimatedCloseDateOnOrBefore: str(p.EstimatedCloseDateOnOrBefore),
		Cursor: str(p.Cursor),
	}
	if perPageGiven {
		w.PerPage = &p.PerPage
	}
	return w
}

// violations turns the generated rules' findings into a validation error.
func violations(vs []generated.Violation) error {
	ve := &wrapper.ValidationError{}
	for _, v := range vs {
		ve.Problems = append(ve.Problems, wrapper.FieldError{Field: v.Field, Problem: v.Problem})
	}
	return ve
}
