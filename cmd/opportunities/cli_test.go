package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/iostreams"
)

// What a new user found missing (issue 12): a version, completion,
// suggestions, flag errors spelled as the help spells them, output for
// people, --verbose, and messages that say what works.

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		r := cli(t, args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		require.Regexp(t, `^opportunities \S+\n$`, r.stdout, args)
	}
	for shell, want := range map[string]string{"bash": "__start_opportunities", "zsh": "#compdef opportunities",
		"fish": "complete -c opportunities", "powershell": "Register-ArgumentCompleter"} {
		r := cli(t, "completion", shell)
		require.Equal(t, 0, r.code, "%s: %s", shell, r.stderr)
		require.Contains(t, r.stdout, want, shell)
	}
	// Completion of flag values the spec enumerates.
	r := cli(t, "__complete", "create", "--forecast", "")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "best_case\n")
	r = cli(t, "__complete", "list", "--output", "")
	require.Contains(t, r.stdout, "table\n")
	// The other field flags offer no file names (directive 4, NoFileComp).
	for _, flag := range []string{"--currency", "--win-likelihood", "--custom"} {
		r = cli(t, "__complete", "update", fakeSeedUUID, flag, "")
		require.Equal(t, ":4\n", strings.SplitAfter(r.stdout, "\n")[0], flag)
	}
}

func TestMistakesAreNamedAsTheHelpNamesThem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"crate"}, "unknown command \"crate\" for \"opportunities\"\n\nDid you mean this?\n\tcreate"},
		{[]string{"lst"}, "\tlist\n"},
		{[]string{"list", "--colour", "red"}, "unknown flag: --colour"},
		{[]string{"--fake", "list", "--per-page", "x"}, `invalid argument "x" for "--per-page" flag`},
		{[]string{"--fake", "list", "--per-page", "0"}, "per_page (--per-page): must be at least 1 (minimum), got 0"},
		{[]string{"--fake", "get", "--output", "xml", missingUUID}, "--output must be json or table"},
		{[]string{"--fake", "update", missingUUID, "--custom", "seats"}, `invalid argument "seats" for "--custom" flag`},
		{[]string{"--base-url", "http://example.com/v1", "--api-key", "k3y", "list"},
			"http is only allowed on a loopback address (127.0.0.1, [::1] or localhost, such as http://127.0.0.1:12111/v1"},
	} {
		r := cli(t, c.args...)
		require.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.want, c.args)
		require.NotContains(t, r.stderr, "WithInsecureHTTP", "a Go option a shell user cannot reach")
		require.Empty(t, r.stdout)
	}
	// Each problem once, under one line that says nothing was sent.
	r := cli(t, "--fake", "list", "--per-page", "0", "--close-date-on-or-after", "yesterday")
	require.Equal(t, 2, r.code)
	require.Equal(t, "opportunities list: invalid input, nothing was sent:\n"+
		"  estimated_close_date_on_or_after (--close-date-on-or-after): must be a date as YYYY-MM-DD (format date), got \"yesterday\"\n"+
		"  per_page (--per-page): must be at least 1 (minimum), got 0\n", r.stderr)
}

func TestFlagsOfEarlierVersionsKeepWorking(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	srv.Seed(fakeSeed()...)
	// One dash, as Go's flag package took them; global flags after the
	// command; --flag=value.
	for _, args := range [][]string{
		{"-base-url", srv.URL(), "-api-key", srv.APIKey(), "list", "-per-page", "1"},
		{"list", "--per-page=1", "--base-url=" + srv.URL(), "--api-key", srv.APIKey(), "--retries", "0", "--timeout", "5s"},
		{"list", "-per-page", "1", "-base-url", srv.URL(), "-api-key", srv.APIKey()},
	} {
		r := cli(t, args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		require.Len(t, decode(t, r.stdout)["entries"], 1, args)
	}
}

// TestOutputForPeople runs the commands in-process as on a terminal: a
// table for list, a block for get, and JSON still with --output json.
func TestOutputForPeople(t *testing.T) {
	t.Parallel()
	term := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: &stdout, Err: &stderr, OutTTY: true}, getenv: func(string) string { return "" }}
		return run(e, args), stdout.String(), stderr.String()
	}
	code, out, errs := term("--fake", "list")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^UUID +CUSTOMER +PIPELINE / STAGE +AMOUNT +CLOSE DATE +FORECAST +WIN %$`, lines[0])
	require.Regexp(t, `^bb544336-e74e-11ee-800c-effc264f19ed +cus_bb167600-e74e-11ee-93bd-8f1e5b698784 +New Business / Discovery +1\.00 USD +2023-12-22 +best_case +3$`, lines[1])
	require.Contains(t, lines[2], "100.00 USD")

	code, out, _ = term("--fake", "list", "--per-page", "1")
	require.Equal(t, 0, code)
	require.Contains(t, out, "\nMore: --cursor ")

	code, out, _ = term("--fake", "get", fakeOpportunityUUID)
	require.Equal(t, 0, code)
	require.Contains(t, out, "uuid:                 "+fakeOpportunityUUID+"\n")
	require.Contains(t, out, "custom.from_campaign: true\n")

	code, out, _ = term("--fake", "list", "--all", "-o", "json")
	require.Equal(t, 0, code)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		require.True(t, json.Valid([]byte(l)), l)
	}
	code, out, _ = term("--fake", "delete", fakeSeedUUID)
	require.Equal(t, 0, code)
	require.Equal(t, "Deleted "+fakeSeedUUID+"\n", out)

	// Piped, the default is JSON exactly as before; --output table asks.
	r := cli(t, "--fake", "list", "--all", "--output", "table")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "UUID "), r.stdout)
}

// A server's text reaches a table escaped, like every other output.
func TestOutputForPeopleIsInert(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	o := fakeSeed()[0]
	o.Pipeline = "Evil\x1b[2J\tPipe"
	srv.Seed(o)
	r := cli(t, "--base-url", srv.URL(), "--api-key", srv.APIKey(), "list", "-o", "table")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `Evil\x1b[2J\tPipe / Discovery`)
	require.NotContains(t, r.stdout, "\x1b")
}

// A base URL without the version path gets every call answered 404 by
// ChartMogul: the command says why before sending; one with a path does not.
func TestBaseURLWithoutVersionPathIsWarnedAbout(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	root := strings.TrimSuffix(srv.URL(), "/v1")
	r := cli(t, "--base-url", root+"/", "--api-key", srv.APIKey(), "list")
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: the base URL "+root+"/ has no version path; ChartMogul's API is under /v1 (https://api.chartmogul.com/v1)")
	r = cli(t, "--base-url", srv.URL(), "--api-key", srv.APIKey(), "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "warning")
}

func TestVerboseLogsRequestsAndRetriesNeverTheKey(t *testing.T) {
	t.Parallel()
	const key = "sk_live_verbose_s3cret_9911"
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	srv.Seed(fakeSeed()...)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503})
	r := cli(t, "--verbose", "--base-url", srv.URL(), "--api-key", key, "get", fakeSeedUUID)
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `msg=request method=GET path=/v1/opportunities/`+fakeSeedUUID+` status=503`, r.stderr)
	require.Regexp(t, `msg="chartmogul: retrying" method=GET path=/v1/opportunities/`+fakeSeedUUID+` attempt=1 wait=\S+`, r.stderr)
	require.Regexp(t, `msg=request method=GET path=/v1/opportunities/`+fakeSeedUUID+` status=200`, r.stderr)
	require.NotContains(t, r.stderr, "time=", "one short line a request")
	require.NotContains(t, r.stdout+r.stderr, key)
	require.True(t, json.Valid([]byte(r.stdout)), "stdout stays JSON")

	quiet := cli(t, "--base-url", srv.URL(), "--api-key", key, "get", fakeSeedUUID)
	require.Empty(t, quiet.stderr, "silent without --verbose")
}

func TestCtrlCExits130AndSIGTERM143(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	srv.Seed(fakeSeed()...)
	for sig, want := range map[os.Signal]int{os.Interrupt: 130, syscall.SIGTERM: 143} {
		srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Delay: time.Minute})
		before := srv.Requests(chartmogultest.OpRetrieve)
		s := startCLI(t, "--base-url", srv.URL(), "--api-key", srv.APIKey(), "get", fakeSeedUUID)
		eventually(t, 20*time.Second, "the request", func() bool { return srv.Requests(chartmogultest.OpRetrieve) > before })
		require.NoError(t, s.cmd.Process.Signal(sig))
		r := s.wait(t, 20*time.Second)
		require.Equal(t, want, r.code, "%v: %s", sig, r.stderr)
		require.Contains(t, r.stderr, "interrupted")
	}
}

// Data on stdout is never corrupted by redacting a key that cannot have been
// echoed (--fake sends none) or that is too short to tell from ordinary text;
// a real-length key sent to a server is still redacted from data.
func TestShortOrUnsentKeysDoNotCorruptData(t *testing.T) {
	for _, args := range [][]string{
		{"--fake", "--api-key", "USD", "get", fakeSeedUUID, "-o", "json"},
		{"--fake", "--api-key", "a", "get", fakeSeedUUID, "-o", "json"},
	} {
		r := cli(t, args...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, `"currency":"USD"`)
		require.Contains(t, r.stdout, `"amount_in_cents":`)
		require.NotContains(t, r.stdout, "redacted")
	}

	key := "sk_live_0123456789abcdef"
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	o := generated.Opportunity{CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", Owner: "test1@example.org",
		Pipeline: key, PipelineStage: "Discovery", EstimatedCloseDate: "2024-04-21", Currency: "USD", AmountInCents: 1}
	stored := srv.Seed(o)
	r := cli(t, "--base-url", srv.URL(), "--api-key", key, "get", stored[0].UUID, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stdout, key, "a server that echoes a real key in data")
	require.Contains(t, r.stdout, `"currency":"USD"`)
}

// An interrupted import's last progress line counts only the rows it
// handled, never the ones it did not send.
func TestInterruptedImportProgressCountsOnlyRowsHandled(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	var b strings.Builder
	b.WriteString("customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\n")
	for i := range 40 {
		fmt.Fprintf(&b, "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7,test1@example.org,P,S,2024-04-21,USD,%d\n", i+1)
	}
	file := writeFile(t, "deals.csv", b.String())
	s := startCLI(t, "--base-url", srv.URL(), "--api-key", srv.APIKey(), "import", "--rate", "4", "--progress-interval", "100ms", file)
	eventually(t, 20*time.Second, "a few creates", func() bool { return srv.Applied(chartmogultest.OpCreate) >= 2 })
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 130, r.code, r.stderr)
	var last string
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(line, "progress: ") {
			last = line
		}
	}
	require.NotEmpty(t, last, r.stderr)
	var done, total int
	_, err := fmt.Sscanf(last, "progress: %d/%d", &done, &total)
	require.NoError(t, err, last)
	require.Equal(t, 40, total)
	require.Equal(t, srv.Applied(chartmogultest.OpCreate), done, "the last progress line counts what was created: %s", last)
}

// Usage mistakes the hostile pass found exit 2 with a message in words.
func TestCompletionAndNumberFlagMistakes(t *testing.T) {
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion"}} {
		r := cli(t, args...)
		require.Equal(t, 2, r.code, "%v: %s", args, r.stdout+r.stderr)
	}
	r := cli(t, "--fake", "list", "--per-page", "abc")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, `invalid argument "abc" for "--per-page" flag: want a whole number`)
	require.NotContains(t, r.stderr, "strconv")
}
