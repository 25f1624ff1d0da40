package main

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// The key from a file or stdin, and nothing a hostile server sends gets out
// of the command.

const echoedKey = "sk_live_hostile-Key"

// opportunityJSON is the fake's seeded opportunity as the API returns it.
const opportunityJSON = `{"uuid":"` + fakeOpportunityUUID + `","customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",` +
	`"owner":"a@example.org","pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2024-04-21",` +
	`"currency":"USD","amount_in_cents":1,"custom":{},"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`

func keyForms(key string) []string {
	userinfo := []byte(key + ":")
	return []string{key, base64.StdEncoding.EncodeToString(userinfo), base64.RawStdEncoding.EncodeToString(userinfo), url.QueryEscape(key)}
}

func keyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	require.NoError(t, os.Chmod(p, mode))
	return p
}

func TestTheKeyFromAFileOrStdin(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(echoedKey))
	srv.Seed(fakeSeed()...)
	base := []string{"--base-url", srv.URL(), "--retries", "0"}

	r := cli(t, append(base, "--api-key-file", keyFile(t, "  "+echoedKey+" \nignored second line\n", 0o600), "list")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr, "no warning for a private file")
	require.Contains(t, r.stdout, `"entries"`)

	r = cli(t, append(base, "list", "--api-key-file", keyFile(t, echoedKey, 0o644))...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "can be read by other users (mode 0644)")
	require.NotContains(t, r.stderr, echoedKey)

	r = cliWith(t, runOpts{stdin: echoedKey + "\n"}, append(base, "--api-key-file", "-", "list")...)
	require.Equal(t, 0, r.code, r.stderr)

	// The first line of stdin is the key, the rest the body of --file -.
	body := `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"a@example.org","pipeline":"New Business",` +
		`"pipeline_stage":"Discovery","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1}`
	r = cliWith(t, runOpts{stdin: echoedKey + "\n" + body}, append(base, "--api-key-file", "-", "create", "--file", "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"uuid":"`)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--api-key-file", keyFile(t, "\n"+echoedKey, 0o600)}, "the first line is empty"},
		{[]string{"--api-key-file", filepath.Join(t.TempDir(), "missing")}, "--api-key-file"},
		{[]string{"--api-key-file", keyFile(t, echoedKey, 0o600), "--api-key", echoedKey}, "cannot be combined"},
		{[]string{"--api-key-file="}, "--api-key-file needs a path (- for stdin)"}, // not $CHARTMOGUL_API_KEY instead
	} {
		r = cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=" + echoedKey}}, append(append(base, tt.args...), "list")...)
		require.Equal(t, 2, r.code, r.stderr)
		require.Contains(t, r.stderr, tt.want)
		require.NotContains(t, r.stderr, echoedKey)
		require.Equal(t, 0, srv.Requests(chartmogultest.OpList)-3, "nothing was sent")
	}
}

func TestHelpSaysTheKeyFlagIsVisibleToOtherUsers(t *testing.T) {
	r := cli(t, "help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "Visible to every user of this machine in the process list (ps)")
	require.Contains(t, r.stdout, "--api-key-file")
}

func TestNothingAHostileServerSendsGetsOut(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(echoedKey))
	srv.Seed(fakeSeed()...)
	env := runOpts{env: []string{"CHARTMOGUL_API_KEY=" + echoedKey}}
	args := []string{"--base-url", srv.URL(), "--retries", "0"}

	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 401, EchoAuthorization: true, EscapeSequences: true, MessageBytes: 5 << 20})
	r := cliWith(t, env, append(args, "list")...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "Authorization: Basic [redacted]")
	require.Contains(t, r.stderr, `\x1b[2J`)
	require.NotContains(t, r.stderr, "\x1b")
	require.NotContains(t, r.stderr, "\u009b")
	require.Less(t, len(r.stderr), 2<<10, "the 5 MB message is cut")
	for _, form := range keyForms(echoedKey) {
		require.NotContains(t, r.stdout+r.stderr, form)
	}

	// A server echoing the key in a field of a success: stdout is redacted,
	// and C1 controls are escaped in the JSON.
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 200, EchoAuthorization: true,
		Body: strings.Replace(opportunityJSON, `"pipeline":"New Business"`, `"pipeline":"{{api_key}} \u009b31m"`, 1)})
	r = cliWith(t, env, append(args, "get", fakeOpportunityUUID)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"pipeline":"[redacted] \u009b31m"`)
	require.NotContains(t, r.stdout, "\u009b")

	// A 201 without a UUID is not journalled as created, and a failed row's
	// journal line keeps the capped message only.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{OmitFields: []string{"uuid"}})
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422, EchoAuthorization: true, MessageBytes: 5 << 20})
	file := writeFile(t, "rows.jsonl", jsonlRow(1)+"\n"+jsonlRow(2)+"\n")
	r = cliWith(t, env, append(args, "import", "--concurrency", "1", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	journal, err := os.ReadFile(file + ".journal")
	require.NoError(t, err)
	require.NotContains(t, string(journal), `"state":"created"`)
	require.Contains(t, string(journal), `required field \"uuid\" is missing`)
	require.Contains(t, string(journal), `"outcome_unknown":true`)
	require.Less(t, len(journal), 8<<10)
	for _, form := range keyForms(echoedKey) {
		require.NotContains(t, string(journal)+r.stderr, form)
	}
}
