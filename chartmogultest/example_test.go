package chartmogultest_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

// A test would call NewServer(t); Start serves the same fake outside tests.
func ExampleStart() {
	clock := func() time.Time { return time.Date(2024, 3, 21, 6, 46, 23, 137e6, time.UTC) }
	srv, err := chartmogultest.Start(chartmogultest.WithClock(clock))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client, _ := generated.NewClientWithResponses(srv.URL(), generated.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error { r.SetBasicAuth(srv.APIKey(), ""); return nil }))

	var body generated.CreateOpportunity
	body.EstimatedCloseDate = "2024-04-21"
	body.CustomerUUID = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"
	body.Owner, body.Pipeline, body.PipelineStage = "test1@example.org", "New Business", "Discovery"
	body.Currency, body.AmountInCents = "USD", 100000

	// The next create is applied, but its response is lost.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: http.StatusBadGateway, Apply: true})
	resp, _ := client.CreateOpportunityWithResponse(context.Background(), body)
	fmt.Println(resp.StatusCode(), len(srv.Opportunities()))

	resp, _ = client.CreateOpportunityWithResponse(context.Background(), body)
	fmt.Println(resp.StatusCode(), resp.JSON201.CreatedAt.Format(time.RFC3339Nano), len(srv.Opportunities()))
	fmt.Println(srv.Requests(chartmogultest.OpCreate), srv.Applied(chartmogultest.OpCreate))
	// Output:
	// 502 1
	// 201 2024-03-21T06:46:23.137Z 2
	// 2 2
}
