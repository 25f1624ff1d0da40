package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// listCommand is list: one page, or every page with --all.
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

// checkList is p.Validate, but a --per-page 0 given is held to the spec's
// per_page rule: the wrapper takes PerPage 0 as the API's default.
func checkList(p wrapper.ListParams, perPageGiven bool) error {
	err := p.Validate()
	if !perPageGiven || p.PerPage != 0 {
		return err
	}
	ve := &wrapper.ValidationError{}
	errors.As(err, &ve)
	for _, v := range (&generated.ListOpportunitiesParams{PerPage: &p.PerPage}).Validate() {
		ve.Problems = append(ve.Problems, wrapper.FieldError{Field: v.Field, Problem: v.Problem})
	}
	return ve
}
