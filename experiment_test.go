//go:build experiment

// The maintainer's experiment (make regen-experiment; CI runs it): on a copy
// of this repository, tighten a bound, add an enum value and add an optional
// property to openapi.yaml, run `go generate`, and watch every effect through
// the wrapper, the fake and the CLI, with no hand edit anywhere.
package opportunities_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"
)

func TestMaintainerExperiment(t *testing.T) {
	dir := t.TempDir()
	copyTrackedFiles(t, dir)
	editSpec(t, filepath.Join(dir, "openapi.yaml"))

	run(t, dir, "go", "generate", "./generated")

	// The wrapper: the new field can be set and read, travels through the
	// fake, and the new rules apply before sending.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wrapper", "experiment_test.go"), []byte(wrapperExperiment), 0o644))
	run(t, dir, "go", "test", "-count=1", "-run", "TestExperiment", "./wrapper")

	// Reconciliation compares the new field with no edit to package bulk.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bulk", "experiment_test.go"), []byte(bulkExperiment), 0o644))
	run(t, dir, "go", "test", "-count=1", "-run", "TestExperiment", "./bulk")

	// The CLI, against its embedded fake.
	bin := filepath.Join(dir, "opportunities")
	run(t, dir, "go", "build", "-o", bin, "./cmd/opportunities")
	body := `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"test1@example.org","pipeline":"New Business",` +
		`"pipeline_stage":"Discovery","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":100,` +
		`"forecast_category":"omitted","region":"EMEA"}`
	out, code := cli(t, dir, bin, body, "--fake", "create", "--file", "-")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, `"region":"EMEA"`, "create --file takes the new field and the output shows it")
	require.Contains(t, out, `"forecast_category":"omitted"`, "the new enum value is accepted")

	out, code = cli(t, dir, bin, "", "--fake", "create", "--customer-uuid", "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		"--owner", "test1@example.org", "--pipeline", "P", "--stage", "S", "--close-date", "2024-04-21", "--currency", "USD",
		"--amount-cents", "1", "--win-likelihood", "95", "--region", "APAC")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "win_likelihood (--win-likelihood): must be between 0 and 90", "the tightened bound")

	out, code = cli(t, dir, bin, `{"region":"LATAM"}`, "--fake", "update", "bb544336-e74e-11ee-800c-effc264f19ed", "--file", "-")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, `"region":"LATAM"`, "update --file takes the new field")

	csv := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,region\n" +
		"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7,test1@example.org,New Business,Discovery,2024-04-21,USD,100,EMEA\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "deals.csv"), []byte(csv), 0o644))
	out, code = cli(t, dir, bin, "", "--fake", "import", "deals.csv")
	require.Equal(t, 0, code, "a CSV column for the new field: %s", out)
	jsonl := `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"test1@example.org","pipeline":"P","pipeline_stage":"S","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,"region":"EMEA"}` + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "deals.jsonl"), []byte(jsonl), 0o644))
	out, code = cli(t, dir, bin, "", "--fake", "import", "deals.jsonl")
	require.Equal(t, 0, code, "a JSONL field for the new property: %s", out)
	out, code = cli(t, dir, bin, "", "import", "--help")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "win_likelihood, region", "import's help lists the new column")
}

const wrapperExperiment = `package wrapper_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

func TestExperiment(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c, err := wrapper.NewClient(chartmogultest.DefaultAPIKey, wrapper.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100).
		WithRegion("EMEA").WithForecastCategory("omitted")
	o, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "EMEA", o.Region, "set, sent, stored by the fake, returned and read")
	o, err = c.Update(context.Background(), o.UUID, wrapper.NewUpdate().SetRegion("APAC"))
	require.NoError(t, err)
	require.Equal(t, "APAC", o.Region)
	got, err := c.Get(context.Background(), o.UUID)
	require.NoError(t, err)
	require.Equal(t, "APAC", got.Region)

	err = in.WithWinLikelihood(95).Validate()
	require.ErrorContains(t, err, "win_likelihood: must be between 0 and 90")
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate), "nothing sent for the invalid input")
}
`

// editSpec makes the three changes a maintainer would.
func editSpec(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &root))
	schemas := get(t, get(t, root.Content[0], "components"), "schemas")

	maxNode := get(t, get(t, schemas, "WinLikelihood"), "maximum")
	require.Equal(t, "100", maxNode.Value)
	maxNode.Value = "90"

	enum := get(t, get(t, schemas, "ForecastCategory"), "enum")
	enum.Content = append(enum.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "omitted"})

	for _, name := range []string{"CreateOpportunity", "UpdateOpportunity", "Opportunity"} {
		props := get(t, get(t, schemas, name), "properties")
		var region yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte("type: string\ndescription: The sales region.\nexample: EMEA\n"), &region))
		props.Content = append(props.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "region"}, region.Content[0])
	}
	out, err := yaml.Marshal(&root)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, out, 0o644))
}

func get(t *testing.T, n *yaml.Node, key string) *yaml.Node {
	t.Helper()
	require.Equal(t, yaml.MappingNode, n.Kind, key)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	t.Fatalf("no %q in the spec", key)
	return nil
}

func copyTrackedFiles(t *testing.T, dst string) {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "-z").Output()
	require.NoError(t, err)
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dst, name), data, 0o644))
	}
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, out)
}

func cli(t *testing.T, dir, bin, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return buf.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return buf.String(), 0
}

// A module that imports wrapper and chartmogultest must not get the code
// generator (oapi-codegen, x/tools, the speakeasy packages) in its go.mod.
func TestImportersGetALightGoMod(t *testing.T) {
	root, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	gomod := "module example.com/importer\n\ngo 1.26.0\n\nrequire github.com/mogulkit/opportunities v0.0.0\n\n" +
		"replace github.com/mogulkit/opportunities => " + root + "\n"
	main := "package main\n\nimport (\n\t_ \"github.com/mogulkit/opportunities/chartmogultest\"\n\t_ \"github.com/mogulkit/opportunities/wrapper\"\n)\n\nfunc main() {}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644))
	run(t, dir, "go", "mod", "tidy")
	run(t, dir, "go", "build", "./...")
	got, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	for _, heavy := range []string{"oapi-codegen/oapi-codegen", "golang.org/x/tools", "speakeasy-api"} {
		require.NotContains(t, string(got), heavy, "an importer's go.mod:\n%s", got)
	}
}

// bulkExperiment runs in the copy's bulk package after the spec gained
// "region": an opportunity matches a row only with the same region, and a
// region the row did not send must be absent.
const bulkExperiment = `package bulk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/wrapper"
)

func TestExperimentRegionIsCompared(t *testing.T) {
	in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "a@example.org", "P", "S", "2024-04-21", "USD", 1)
	o := wrapper.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: in.CustomerUUID, Owner: in.Owner,
		Pipeline: in.Pipeline, PipelineStage: in.PipelineStage, EstimatedCloseDate: in.EstimatedCloseDate,
		Currency: in.Currency, AmountInCents: in.AmountInCents, Custom: map[string]any{}}
	require.True(t, bulk.Matches(in, o))
	o.Region = "EMEA"
	require.False(t, bulk.Matches(in, o), "a region the row did not send")
	require.True(t, bulk.Matches(in.WithRegion("EMEA"), o))
	require.False(t, bulk.Matches(in.WithRegion("APAC"), o))
}
`
