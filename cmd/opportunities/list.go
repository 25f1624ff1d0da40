package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

func listCommand(e *env) *cobra.Command {
	var p wrapper.ListParams
	var all bool
	out := &output{}
	cmd := command("list [filters] [--per-page N] [--cursor C] [--all]", "list opportunities, one page or all of them", noArgs,
		func(cmd *cobra.Command, _ []string) int {
			if err := checkList(p, cmd.Flags().Changed("per-page")); err != nil {
				return e.fail(err, true)
			}
			return e.call(out, true, func(ctx context.Context, c *wrapper.Client) (any, error) {
				if all {
					return nil, e.printAll(out, c.All(ctx, p))
				}
				return c.List(ctx, p)
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

// checkList holds p to the spec's rules before anything is sent (nil, or a
// *wrapper.ValidationError). The wrapper takes PerPage 0 as "the API's
// default", so it does not refuse --per-page 0: given, it is refused here.
func checkList(p wrapper.ListParams, perPageGiven bool) error {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	q := generated.ListOpportunitiesParams{CustomerUUID: str(p.CustomerUUID), Owner: str(p.Owner), Pipeline: str(p.Pipeline),
		PipelineStage: str(p.PipelineStage), EstimatedCloseDateOnOrAfter: str(p.EstimatedCloseDateOnOrAfter),
		EstimatedCloseDateOnOrBefore: str(p.EstimatedCloseDateOnOrBefore), Cursor: str(p.Cursor)}
	if perPageGiven {
		q.PerPage = &p.PerPage
	}
	var ve wrapper.ValidationError
	for _, v := range q.Validate() {
		ve.Problems = append(ve.Problems, wrapper.FieldError{Field: v.Field, Problem: v.Problem})
	}
	if len(ve.Problems) == 0 {
		return nil
	}
	return &ve
}
