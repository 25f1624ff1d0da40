// Command demo walks through every operation of the Opportunities API against
// the in-process fake server (package chartmogultest): no API key, no network.
//
//	go run ./cmd/demo
//
// It creates the opportunity from ChartMogul's documentation, updates it,
// lists it, retrieves it and deletes it, printing each step.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv, err := chartmogultest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "Fake ChartMogul API at %s (in this process; nothing leaves the machine)\n\n", srv.URL())

	client, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), wrapper.WithTimeout(10*time.Second))
	if err != nil {
		return err
	}

	// The create call from ChartMogul's documentation.
	seed := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", 100000).
		WithType(wrapper.TypeRecurring).
		WithForecastCategory(wrapper.ForecastBestCase).
		WithWinLikelihood(40).
		WithCustom(map[string]any{"seats": 3, "marketing_campaign": "Facebook"})

	created, err := client.Create(ctx, seed)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	show(out, "1. Created", created)

	updated, err := client.Update(ctx, created.UUID, wrapper.NewUpdate().
		SetPipelineStage("Proposal").
		SetForecastCategory(wrapper.ForecastCommitted).
		SetWinLikelihood(0).
		SetCustom(map[string]any{"seats": 5}))
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	show(out, "2. Updated (stage Proposal, committed, win likelihood 0, 5 seats)", updated)

	fmt.Fprintf(out, "3. Listed the customer's opportunities:\n")
	n := 0
	for o, err := range client.All(ctx, wrapper.ListParams{CustomerUUID: created.CustomerUUID}) {
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		n++
		fmt.Fprintf(out, "   - %s  %s / %s  %s %s\n", o.UUID, o.Pipeline, o.PipelineStage, money(o.AmountInCents), o.Currency)
	}
	fmt.Fprintf(out, "   found: %d\n\n", n)

	got, err := client.Get(ctx, created.UUID)
	if err != nil {
		return fmt.Errorf("retrieve: %w", err)
	}
	show(out, "4. Retrieved", got)

	if err := client.Delete(ctx, created.UUID); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	fmt.Fprintf(out, "5. Deleted %s\n", created.UUID)

	_, err = client.Get(ctx, created.UUID)
	if !wrapper.IsNotFound(err) {
		return fmt.Errorf("retrieve after delete: want not found, got %v", err)
	}
	fmt.Fprintf(out, "6. Retrieving it again fails as it should: %v\n", err)

	_, err = client.Create(ctx, wrapper.NewOpportunity("f466e33d", "nobody", "", "Discovery", "21/04/2024", "usd", 1).WithWinLikelihood(140))
	fmt.Fprintf(out, "7. Bad input is refused before sending:\n   %v\n", err)
	return nil
}

func show(out io.Writer, title string, o wrapper.Opportunity) {
	wl := "not set"
	if o.WinLikelihood != nil {
		wl = fmt.Sprintf("%d %%", *o.WinLikelihood)
	}
	keys := make([]string, 0, len(o.Custom))
	for k := range o.Custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	custom := make([]string, 0, len(keys))
	for _, k := range keys {
		custom = append(custom, fmt.Sprintf("%s=%v (%T)", k, o.Custom[k], o.Custom[k]))
	}
	fmt.Fprintf(out, "%s:\n", title)
	fmt.Fprintf(out, "   uuid            %s\n", o.UUID)
	fmt.Fprintf(out, "   customer        %s\n", o.CustomerUUID)
	fmt.Fprintf(out, "   owner           %s\n", o.Owner)
	fmt.Fprintf(out, "   pipeline/stage  %s / %s\n", o.Pipeline, o.PipelineStage)
	fmt.Fprintf(out, "   amount          %s %s, closes %s\n", money(o.AmountInCents), o.Currency, o.EstimatedCloseDate)
	fmt.Fprintf(out, "   type/forecast   %s / %s, win likelihood %s\n", o.Type, o.ForecastCategory, wl)
	fmt.Fprintf(out, "   custom          %s\n", strings.Join(custom, ", "))
	fmt.Fprintf(out, "   updated at      %s\n\n", o.UpdatedAt.Format("2006-01-02T15:04:05.000Z07:00"))
}

func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
