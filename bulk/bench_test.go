package bulk_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mogulkit/opportunities/bulk"
)

// BenchmarkCheck checks the rows of a CSV file, as Run's first pass does;
// it reports rows per second. (The peak memory of checking 500,000 and
// 1,000,000 rows is measured on the command, in a process of its own:
// BenchmarkImportCheckMemory in cmd/opportunities.)
func BenchmarkCheck(b *testing.B) {
	const rows = 20_000
	path := filepath.Join(b.TempDir(), "rows.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,type,win_likelihood,custom.seats")
	for i := range rows {
		fmt.Fprintf(w, "cus_f466e33d-ff2b-4a11-8f85-%012d,owner%d@example.org,New Business,Discovery,2024-04-21,USD,%d,recurring,%d,%d\n",
			i, i%1000, 100000+i, i%101, i%50)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		sum, err := bulk.Run(context.Background(), nil, bulk.File(path, bulk.FormatCSV), bulk.Options{Journal: &bulk.MemoryJournal{}, CheckOnly: true})
		if err != nil || sum.Total != rows {
			b.Fatal(err, sum)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
