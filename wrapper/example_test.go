package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// startFake starts the in-process fake API for an example; real code passes
// its API key and no base URL.
func startFake() (*chartmogultest.Server, *wrapper.Client) {
	clock := func() time.Time { return time.Date(2024, 3, 20, 9, 55, 50, 156_000_000, time.UTC) }
	srv, err := chartmogultest.Start(chartmogultest.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	client, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}
	return srv, client
}

func ExampleClient_Create() {
	srv, client := startFake()
	defer srv.Close()

	o, err := client.Create(context.Background(), wrapper.NewOpportunity(
		"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", 100000).
		WithType(wrapper.TypeRecurring).
		WithForecastCategory(wrapper.ForecastBestCase).
		WithWinLikelihood(40).
		WithCustom(map[string]any{"seats": 3, "marketing_campaign": "Facebook"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Pipeline, "/", o.PipelineStage, o.AmountInCents, o.Currency, o.EstimatedCloseDate)
	fmt.Println(o.Type, o.ForecastCategory, *o.WinLikelihood)
	fmt.Printf("seats: %v (%T), campaign: %v\n", o.Custom["seats"], o.Custom["seats"], o.Custom["marketing_campaign"])
	fmt.Println(o.CreatedAt.Format(time.RFC3339Nano))
	// Output:
	// New Business / Discovery 100000 USD 2024-04-21
	// recurring best_case 40
	// seats: 3 (int64), campaign: Facebook
	// 2024-03-20T09:55:50.156Z
}

func ExampleClient_Update() {
	srv, client := startFake()
	defer srv.Close()
	ctx := context.Background()
	o, err := client.Create(ctx, wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		"test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100000).WithWinLikelihood(40))
	if err != nil {
		log.Fatal(err)
	}

	// Only what is set is sent: an explicit 0 is a value, not "leave it alone".
	o, err = client.Update(ctx, o.UUID, wrapper.NewUpdate().SetPipelineStage("Lost").SetWinLikelihood(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.PipelineStage, *o.WinLikelihood, o.AmountInCents)
	// Output: Lost 0 100000
}

func ExampleClient_All() {
	srv, client := startFake()
	defer srv.Close()
	ctx := context.Background()
	for i, stage := range []string{"Discovery", "Demo", "Proposal"} {
		_, err := client.Create(ctx, wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
			"test1@example.org", "New Business", stage, "2024-04-21", "USD", int64(i+1)*1000))
		if err != nil {
			log.Fatal(err)
		}
	}

	// One page of two at a time; All follows the cursors. Newest first.
	for o, err := range client.All(ctx, wrapper.ListParams{Pipeline: "New Business", PerPage: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(o.PipelineStage, o.AmountInCents)
	}
	// Output:
	// Proposal 3000
	// Demo 2000
	// Discovery 1000
}

func ExampleAPIError() {
	srv, client := startFake()
	defer srv.Close()

	_, err := client.Get(context.Background(), "bb544336-e74e-11ee-800c-effc264f19ed")
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	fmt.Println(wrapper.IsNotFound(err))
	// Output:
	// 404 Opportunity not found
	// true
}

func ExampleValidationError() {
	srv, client := startFake()
	defer srv.Close()

	_, err := client.Create(context.Background(), wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		"test1@example.org", "New Business", "Discovery", "2024-04-31", "usd", 100).
		WithWinLikelihood(120).
		WithCustom(map[string]any{"tags": []string{"a"}}))
	var invalid *wrapper.ValidationError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			fmt.Printf("%s: %s\n", p.Field, p.Problem)
		}
	}
	fmt.Println("requests sent:", srv.Requests(chartmogultest.OpCreate))
	// Output:
	// estimated_close_date: must be a date as YYYY-MM-DD (format date), got "2024-04-31"
	// currency: must match the pattern ^[A-Z]{3}$, got "usd"
	// win_likelihood: must be between 0 and 100 (minimum, maximum), got 120
	// custom.tags: value of type []string is not supported; want a string, bool, integer or float
	// requests sent: 0
}
