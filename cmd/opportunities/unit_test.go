package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/iostreams"
)

// In-process tests of the pieces the end-to-end tests cannot reach easily.

func TestResumeArgs(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.log")
	require.NoError(t, os.WriteFile(journal, []byte("\n"+`{"line":2,"state":"sending","at":"2024-03-21T06:46:23Z"}`+"\n"), 0o644))
	input := filepath.Join(dir, "deals.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(`{"customer_uuid":"cus_x","line":3,"state":"sending"}`+"\n"), 0o644))
	csv := filepath.Join(dir, "deals.csv")
	require.NoError(t, os.WriteFile(csv, []byte("customer_uuid,owner\n"), 0o644))
	v2 := filepath.Join(dir, "run-2.log") // a journal of today's format
	j, err := bulk.OpenJournal(v2, bulk.JournalOptions{Source: "deals.jsonl"})
	require.NoError(t, err)
	require.NoError(t, j.Close())

	root := newRoot(&env{ios: &iostreams.IO{}, getenv: func(string) string { return "" }})
	for _, c := range []struct{ in, want []string }{
		{[]string{"--resume", "deals.csv.journal", "deals.csv"}, []string{"--resume=deals.csv.journal", "deals.csv"}},
		{[]string{"-resume", "x.journal"}, []string{"--resume=x.journal"}},
		{[]string{"deals.csv", "--resume", "x.journal"}, []string{"deals.csv", "--resume=x.journal"}},
		{[]string{"--resume", journal, input}, []string{"--resume=" + journal, input}},
		{[]string{"--resume", input}, []string{"--resume", input}},
		{[]string{"--resume", csv}, []string{"--resume", csv}},
		{[]string{"--resume", "-"}, []string{"--resume", "-"}},
		{[]string{"--resume", "--skip-invalid", "x.journal"}, []string{"--resume", "--skip-invalid", "x.journal"}},
		{[]string{"--resume=a.journal", "b.journal"}, []string{"--resume=a.journal", "b.journal"}},
		{[]string{"--journal", "--resume", "x.journal"}, []string{"--journal", "--resume", "x.journal"}},
		{[]string{"--format", "jsonl", "--skip-invalid", "--fake", "--resume", "x.journal"}, []string{"--format", "jsonl", "--skip-invalid", "--fake", "--resume=x.journal"}},
		{[]string{"--timeout", "1s", "--resume", "x.journal"}, []string{"--timeout", "1s", "--resume=x.journal"}},
		{[]string{"--", "--resume", "x.journal"}, []string{"--", "--resume", "x.journal"}},
		{[]string{"--colour", "--resume", "x.journal"}, []string{"--colour", "--resume=x.journal"}},
		{[]string{"-h", "--resume", "x.journal"}, []string{"-h", "--resume=x.journal"}},
		{[]string{"-journal", "j", "-skip-invalid", "-resume", "x.journal"}, []string{"--journal", "j", "--skip-invalid", "--resume=x.journal"}},
		{[]string{"--resume"}, []string{"--resume"}},
		{[]string{"--resume", v2, input}, []string{"--resume=" + v2, input}},
	} {
		require.Equal(t, append([]string{"import"}, c.want...), normalizeArgs(root, append([]string{"import"}, c.in...)), "%q", c.in)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFailRedactsTheKey(t *testing.T) {
	var buf bytes.Buffer
	e := &env{ios: &iostreams.IO{Err: &buf, Key: "sk_live_s3cr3t_key"}, cmd: "get"}
	require.Equal(t, exitError, e.fail(errors.New("dial https://sk_live_s3cr3t_key@host: refused"), false))
	require.Equal(t, "opportunities get: dial https://[redacted]@host: refused\n", buf.String())

	buf.Reset()
	e.ios.Key = "k" // however short, a key is redacted; a message may be mangled
	require.Equal(t, exitUsage, e.fail(cmdutil.Usagef("bad kind"), false))
	require.Equal(t, "opportunities get: bad [redacted]ind\nRun 'opportunities get --help' for usage.\n", buf.String())

	buf.Reset()
	e.ios.Key = "sk_live_s3cr3t_key"
	echo := base64.StdEncoding.EncodeToString([]byte(e.ios.Key + ":"))
	require.Equal(t, exitError, e.fail(errors.New("proxy: bad header Basic "+echo+"\x1b]0;pwned\x07"), false))
	require.Equal(t, "opportunities get: proxy: bad header Basic [redacted]\\x1b]0;pwned\\x07\n", buf.String())
}

// A problem with a list parameter names the flag that sets it, and that flag
// is flagName's: every parameter of the spec's list operation has one.
func TestListFlagsAreNamedAfterTheParameters(t *testing.T) {
	root := newRoot(&env{ios: &iostreams.IO{}, getenv: func(string) string { return "" }})
	list, _, err := root.Find([]string{"list"})
	require.NoError(t, err)
	params := reflect.TypeFor[generated.ListOpportunitiesParams]()
	for i := range params.NumField() {
		name, _, _ := strings.Cut(params.Field(i).Tag.Get("form"), ",")
		require.NotNil(t, list.Flags().Lookup(flagName(name)), "list parameter %s: no flag --%s", name, flagName(name))
	}
	require.Equal(t, "estimated_close_date_on_or_after (--close-date-on-or-after)", fieldWithFlag(list.Flags(), "estimated_close_date_on_or_after"))
	require.Equal(t, "customer_uuid (--customer-uuid)", fieldWithFlag(list.Flags(), "customer_uuid"))
	require.Equal(t, "pipeline_stage", fieldWithFlag(nil, "pipeline_stage"))
	update, _, err := root.Find([]string{"update"})
	require.NoError(t, err)
	require.Equal(t, "custom.seats (--custom)", fieldWithFlag(update.Flags(), "custom.seats"))
	require.Equal(t, "uuid", fieldWithFlag(update.Flags(), "uuid"), "no flag sets it: the argument does")
	require.Equal(t, "update", fieldWithFlag(update.Flags(), "update"))
}

// The global flags a client uses are checked by the commands that make one
// (import under --check, and verify, too); version, help and completion
// take any value, as they always did. A subcommand is named whole.
func TestGlobalFlagsAreCheckedWhereTheyAreUsed(t *testing.T) {
	for _, args := range [][]string{{"--retries", "-1", "version"}, {"--timeout", "-1s", "completion", "bash"}, {"--retries", "-1", "help", "get"}} {
		r := cli(t, args...)
		require.Equal(t, 0, r.code, "%q: %s", args, r.stderr)
	}
	for _, args := range [][]string{{"--fake", "--retries", "-1", "get", "x"}, {"--fake", "--timeout", "-1s", "verify", "--customer-uuid", "cus_x", "--owner", "a@example.org"},
		{"--fake", "--retries", "100", "import", "--check", "../../examples/deals.csv"}} {
		r := cli(t, args...)
		require.Equal(t, exitUsage, r.code, "%q: %s", args, r.stderr)
		require.Regexp(t, `--(retries|timeout) must`, r.stderr)
	}
	r := cli(t, "completion", "bash", "extra")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "opportunities completion bash: ")
	require.Contains(t, r.stderr, "Run 'opportunities completion bash --help'")
}

// A flag that fails to parse before --api-key is reached is reported with
// the key redacted all the same.
func TestAParseErrorBeforeTheKeyIsRedacted(t *testing.T) {
	const key = "sk_live_SECRET123"
	keyFile := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(keyFile, []byte(key+"\n"), 0o600))
	for _, args := range [][]string{{"--timeout", key, "--api-key", key, "list"}, {"--retries", key, "--api-key=" + key, "list"},
		{"--timeout", key, "--api-key-file", keyFile, "list"}, {"--timeout", key, "--api-key-file=" + keyFile, "list"},
		{"--api-key", "sk_other_1", "--timeout", key, "--api-key", key, "list"}, {"---api-key=" + key, "list"},
		{"\u2014api-key=" + key, "list"}, {"list", "\u2013api-key", key}} {
		r := cli(t, args...)
		require.Equal(t, exitUsage, r.code, r.stderr)
		require.NotContains(t, r.stdout+r.stderr, "SECRET123", "%q", args)
	}
}
