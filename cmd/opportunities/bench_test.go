package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// BenchmarkImportThroughput runs whole imports in-process against the fake
// with ChartMogul's server-side limit of 40 requests per second (the fake
// counts them in fixed one-second windows, each opened by the first request
// after the previous one ended, and answers 429 beyond the limit). It
// reports the rows created per second, the requests sent per second (429s
// and their retries included), rows/s as a fraction of the client's
// configured --rate, the 429s the server sent, and the rows that ran out of
// retries (possible only above the server's limit).
// Run it with -benchtime=1x (each import takes a few seconds):
//
//	go test -run '^$' -bench ImportThroughput -benchtime 1x -count 5 ./cmd/opportunities
func BenchmarkImportThroughput(b *testing.B) {
	const serverLimit = 40
	for _, rate := range []int{20, 40, 60} {
		b.Run(fmt.Sprintf("client=%d/server=%d", rate, serverLimit), func(b *testing.B) {
			rows := 3 * rate // about three seconds of sending
			dir := b.TempDir()
			var body strings.Builder
			for i := range rows {
				fmt.Fprintf(&body, `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"test1@example.org",`+
					`"pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2024-04-21",`+
					`"currency":"USD","amount_in_cents":%d,"custom":[{"key":"seats","value":3}]}`+"\n", i)
			}
			input := filepath.Join(dir, "rows.jsonl")
			if err := os.WriteFile(input, []byte(body.String()), 0o600); err != nil {
				b.Fatal(err)
			}
			var achieved, sent, rejected, failed float64
			for i := 0; b.Loop(); i++ {
				srv := chartmogultest.NewServer(b, chartmogultest.WithRateLimit(serverLimit, false))
				var stderr bytes.Buffer
				e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
				start := time.Now()
				code := run(e, []string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "import", input,
					"--journal", filepath.Join(dir, fmt.Sprintf("j%d", i)), "--rate", fmt.Sprint(rate),
					"--concurrency", "20", "--progress-interval", "0"})
				elapsed := time.Since(start)
				created := srv.Applied(chartmogultest.OpCreate)
				// Within the server's limit every row must be created; above
				// it a row may run out of retries on 429s (exit 1, counted).
				if rate <= serverLimit && (code != exitOK || created != rows) {
					b.Fatalf("import exited %d, created %d of %d rows: %s", code, created, rows, stderr.String())
				}
				if code == exitUsage {
					b.Fatalf("import exited %d: %s", code, stderr.String())
				}
				failed = float64(rows - created)
				achieved = float64(created) / elapsed.Seconds()
				sent = float64(srv.Requests(chartmogultest.OpCreate)) / elapsed.Seconds()
				rejected = float64(srv.Requests(chartmogultest.OpCreate) - srv.Applied(chartmogultest.OpCreate))
				srv.Close()
			}
			b.ReportMetric(achieved, "rows/s")
			b.ReportMetric(sent, "requests/s")
			b.ReportMetric(achieved/float64(rate), "of-configured")
			b.ReportMetric(rejected, "429s")
			b.ReportMetric(failed, "rows-failed")
			b.ReportMetric(0, "ns/op") // a whole import per op: the rate is the measure
		})
	}
}
