package bulk_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// A CRM sync creates its deals as opportunities: the rows come from its own
// data, identified by a stable number, and a journal makes a rerun safe.
func Example() {
	srv, err := chartmogultest.Start() // the fake API, on 127.0.0.1
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	budget, err := wrapper.NewRateBudget(wrapper.ChartMogulRequestsPerSecond) // share it per API key
	if err != nil {
		log.Fatal(err)
	}
	client, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), wrapper.WithRateBudget(budget))
	if err != nil {
		log.Fatal(err)
	}

	deals := []struct {
		id     int
		amount int64
		seats  int
	}{{101, 50000, 3}, {102, 75000, 5}, {103, 12000, 1}}
	rows := func(yield func(bulk.Row, error) bool) {
		for _, d := range deals {
			in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
				"New Business", "Discovery", "2024-04-21", "USD", d.amount).
				WithCustom(map[string]any{"seats": d.seats})
			if !yield(bulk.Row{Line: d.id, Input: in}, nil) {
				return
			}
		}
	}

	journal := &bulk.MemoryJournal{} // bulk.OpenJournal(path, ...) keeps it on disk
	summary, err := bulk.Run(context.Background(), client, rows, bulk.Options{
		Journal:     journal,
		Concurrency: 1, // in order, for the example's output
		OnOutcome:   func(o bulk.Outcome) { fmt.Println(o.Line, o.State) },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("created %d of %d\n", summary.Created, summary.Total)

	// A second run with the same journal sends nothing.
	summary, _ = bulk.Run(context.Background(), client, rows, bulk.Options{Journal: journal})
	fmt.Printf("skipped %d, created %d\n", summary.Skipped, summary.Created)
	// Output:
	// 101 created
	// 102 created
	// 103 created
	// created 3 of 3
	// skipped 3, created 0
}
