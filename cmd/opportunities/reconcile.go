package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mogulkit/opportunities/wrapper"
)

// clockSkew is how much earlier than the journal's "sending" time an
// opportunity's created_at may be and still count as made by that attempt:
// the API's clock and this machine's need not agree.
const clockSkew = 5 * time.Minute

// pendingCheck is a row whose earlier create may or may not have been
// applied.
type pendingCheck struct {
	line  int
	in    wrapper.OpportunityInput
	since time.Time // when the earliest unresolved attempt started
}

// reconcile looks for the opportunities that unresolved attempts may have
// created. For each customer it lists the customer's opportunities once, and
// gives each row the first one that matches it, was created no earlier than
// the row's attempt (less clockSkew) and is not claimed already (by another
// row, or in the journal). It returns the UUID found per line; a row not in the
// result was not created and must be sent. claimed is updated.
func reconcile(ctx context.Context, client *wrapper.Client, checks []pendingCheck, claimed map[string]bool) (map[int]string, error) {
	byCustomer := map[string][]pendingCheck{}
	var customers []string
	for _, c := range checks {
		if _, ok := byCustomer[c.in.CustomerUUID]; !ok {
			customers = append(customers, c.in.CustomerUUID)
		}
		byCustomer[c.in.CustomerUUID] = append(byCustomer[c.in.CustomerUUID], c)
	}
	found := map[int]string{}
	for _, cus := range customers {
		var opps []wrapper.Opportunity
		for o, err := range client.All(ctx, wrapper.ListParams{CustomerUUID: cus}) {
			if err != nil {
				return nil, err
			}
			opps = append(opps, o)
		}
		// Oldest first, so that each row takes the earliest candidate.
		slices.SortStableFunc(opps, func(a, b wrapper.Opportunity) int { return a.CreatedAt.Compare(b.CreatedAt) })
		for _, c := range byCustomer[cus] {
			for _, o := range opps {
				if claimed[o.UUID] || o.CreatedAt.Before(c.since.Add(-clockSkew)) || !sameOpportunity(c.in, o) {
					continue
				}
				claimed[o.UUID] = true
				found[c.line] = o.UUID
				break
			}
		}
	}
	return found, nil
}

// sameOpportunity reports whether o holds every field in sent: the required
// ones, and the optional ones and custom attributes that were sent.
func sameOpportunity(in wrapper.OpportunityInput, o wrapper.Opportunity) bool {
	if in.CustomerUUID != o.CustomerUUID || !strings.EqualFold(in.Owner, o.Owner) ||
		in.Pipeline != o.Pipeline || in.PipelineStage != o.PipelineStage ||
		in.EstimatedCloseDate != o.EstimatedCloseDate || in.Currency != o.Currency ||
		in.AmountInCents != o.AmountInCents {
		return false
	}
	if in.Type != "" && in.Type != o.Type {
		return false
	}
	if in.ForecastCategory != "" && in.ForecastCategory != o.ForecastCategory {
		return false
	}
	if in.WinLikelihood != nil && (o.WinLikelihood == nil || *o.WinLikelihood != *in.WinLikelihood) {
		return false
	}
	for k, v := range in.Custom {
		got, ok := o.Custom[k]
		if !ok || !sameValue(v, got) {
			return false
		}
	}
	return true
}

// sameValue compares a custom value sent with one returned: numbers by
// value (3 sent as a float comes back as the integer 3), the rest exactly.
func sameValue(sent, got any) bool {
	if a, ok := asFloat(sent); ok {
		b, ok := asFloat(got)
		if !ok {
			return false
		}
		si, sInt := sent.(int64)
		gi, gInt := got.(int64)
		if sInt && gInt {
			return si == gi // exact beyond 2^53
		}
		return a == b
	}
	return sent == got
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}
