package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/iostreams"
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
				e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &stderr}, getenv: func(string) string { return "" }}
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

// BenchmarkImportSharedBudget runs whole imports at the command's defaults
// (--rate 40, --concurrency 20) against a server that allows fewer requests
// per second than that (its limit is shared with someone else, say): 10, 20
// and 40. The rate budget must slow the import down to what the server
// accepts without failing a row. It reports, per import of 15 seconds' worth
// of rows at the server's limit:
//
//   - of-limit-time: the import's time over rows/limit, the least the
//     server's limit allows (target at 20/s: at most 1.3);
//   - attempts-per-row: create requests sent per row, 429s included
//     (target at 20/s: at most 1.2);
//   - rows-failed and exit (0 expected), 429s.
//
// Run it with -benchtime=1x (each import takes about 15 s):
//
//	go test -run '^$' -bench ImportSharedBudget -benchtime 1x -count 3 ./cmd/opportunities
func BenchmarkImportSharedBudget(b *testing.B) {
	for _, limit := range []int{10, 20, 40} {
		b.Run(fmt.Sprintf("server=%d", limit), func(b *testing.B) {
			rows := 15 * limit
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
			var ofLimit, attempts, failed, rejected, exit float64
			for i := 0; b.Loop(); i++ {
				srv := chartmogultest.NewServer(b, chartmogultest.WithRateLimit(limit, false))
				var stderr bytes.Buffer
				e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, getenv: func(string) string { return "" }}
				start := time.Now()
				code := run(e, []string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "import", input,
					"--journal", filepath.Join(dir, fmt.Sprintf("j%d", i)), "--progress-interval", "0"})
				elapsed := time.Since(start)
				created := srv.Applied(chartmogultest.OpCreate)
				if code != exitOK || created != rows {
					b.Errorf("import exited %d, created %d of %d rows: %s", code, created, rows, stderr.String())
				}
				exit = float64(code)
				ofLimit = elapsed.Seconds() / (float64(rows) / float64(limit))
				attempts = float64(srv.Requests(chartmogultest.OpCreate)) / float64(rows)
				failed = float64(rows - created)
				rejected = float64(srv.Requests(chartmogultest.OpCreate) - created)
				srv.Close()
			}
			b.ReportMetric(ofLimit, "of-limit-time")
			b.ReportMetric(attempts, "attempts-per-row")
			b.ReportMetric(failed, "rows-failed")
			b.ReportMetric(rejected, "429s")
			b.ReportMetric(exit, "exit")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkImportCheckMemory checks every row of a generated CSV file of
// 500,000 and 1,000,000 rows (about 112 bytes each, 56 MB for 500,000),
// as "opportunities import --check FILE" does before sending, in a separate
// process, and reports its peak resident set (target: at most 64 MiB) and
// the rows checked per second. The file is generated in a temporary
// directory.
//
//	go test -run '^$' -bench ImportCheckMemory -benchtime 1x ./cmd/opportunities
func BenchmarkImportCheckMemory(b *testing.B) {
	for _, rows := range []int{500_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			input := filepath.Join(b.TempDir(), "rows.csv")
			if err := writeBigCSV(input, rows); err != nil {
				b.Fatal(err)
			}
			var rssMiB, rate float64
			for b.Loop() {
				cmd := exec.Command(binary, "--fake", "import", "--check", input)
				cmd.Env = cleanEnv(nil)
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = io.Discard, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%v: %s", err, stderr.String())
				}
				elapsed := time.Since(start)
				if !strings.Contains(stderr.String(), fmt.Sprintf("%d rows checked, 0 invalid", rows)) {
					b.Fatalf("unexpected output: %s", stderr.String())
				}
				rssMiB = float64(maxRSS(cmd.ProcessState)) / (1 << 20)
				rate = float64(rows) / elapsed.Seconds()
			}
			b.ReportMetric(rssMiB, "peak-RSS-MiB")
			b.ReportMetric(rate, "rows/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// writeBigCSV writes n valid rows of an import: every column filled.
func writeBigCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,type,win_likelihood,custom.seats")
	for i := range n {
		fmt.Fprintf(w, "cus_f466e33d-ff2b-4a11-8f85-%012d,owner%d@example.org,New Business,Discovery,2024-04-21,USD,%d,recurring,%d,%d\n",
			i, i%1000, 100000+i, i%101, i%50)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
