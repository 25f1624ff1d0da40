package wrapper_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// Nothing a hostile server sends gets out: these tests use the fake's
// misbehaviours (chartmogultest.Fault) against the client.

// echoedForms are the ways a server echoes key back.
func echoedForms(key string) []string {
	userinfo := []byte(key + ":")
	return []string{key, base64.StdEncoding.EncodeToString(userinfo), base64.RawStdEncoding.EncodeToString(userinfo), url.QueryEscape(key)}
}

func hostileServer(t *testing.T, key string) (*chartmogultest.Server, *wrapper.Client, *bytes.Buffer) {
	t.Helper()
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	var logs bytes.Buffer
	c, err := wrapper.NewClient(key, wrapper.WithBaseURL(srv.URL()),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}),
		wrapper.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	return srv, c, &logs
}

func TestAnEchoedKeyIsRedactedInEveryForm(t *testing.T) {
	for _, key := range []string{testKey, "k", "short7!"} {
		t.Run(key, func(t *testing.T) {
			srv, c, logs := hostileServer(t, key)
			// 503 is retried: the log line carries the error too.
			srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, EchoAuthorization: true, Times: 2})
			_, err := c.Get(context.Background(), recordedUUID)
			var apiErr *wrapper.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, 503, apiErr.StatusCode)
			require.Contains(t, apiErr.Message, "Authorization: Basic ")
			require.Contains(t, logs.String(), "retrying")
			printed := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
				fmt.Sprintf("%s", err), apiErr.Message, string(apiErr.Body), logs.String()}
			for _, p := range printed {
				for _, form := range echoedForms(key) {
					require.NotContains(t, p, form)
				}
			}
		})
	}
}

func TestAKeyEchoedInAJSONBodyTemplateIsRedacted(t *testing.T) {
	srv, c, _ := hostileServer(t, testKey)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422, EchoAuthorization: true,
		Body: `{"errors":{"{{api_key}}":"bad header {{authorization}}"},"param":"{{api_key}}","code":"{{api_key}}"}`})
	_, err := c.Create(context.Background(), wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "a@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", 1))
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 422, apiErr.StatusCode)
	for _, form := range echoedForms(testKey) {
		require.NotContains(t, fmt.Sprintf("%#v %v %v %s %s", apiErr, apiErr.Fields, err, apiErr.Param, apiErr.Code), form)
	}
}

func TestAHugeMessageIsCappedInError(t *testing.T) {
	srv, c, _ := hostileServer(t, testKey)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 400, MessageBytes: 5 << 20})
	_, err := c.Get(context.Background(), recordedUUID)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Less(t, len(err.Error()), 1400)
	require.Contains(t, err.Error(), "…[cut]")
	require.LessOrEqual(t, len(apiErr.Body), 8<<10)
	require.LessOrEqual(t, len(apiErr.Message), 8<<10+len("…"))
}

func TestEscapeSequencesAreEscapedInError(t *testing.T) {
	srv, c, logs := hostileServer(t, testKey)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, EscapeSequences: true, Times: 2})
	_, err := c.Get(context.Background(), recordedUUID)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Contains(t, apiErr.Message, "\x1b[2J", "the field keeps what the server said")
	for _, p := range []string{err.Error(), logs.String()} {
		require.NotContains(t, p, "\x1b")
		require.NotContains(t, p, "\x07")
		require.NotContains(t, p, "\u009b")
		require.NotContains(t, p, "\r")
	}
	require.Contains(t, err.Error(), `\x1b[2J\x1b[H\x1b]0;pwned\x07\u009b31m\r\nlevel=INFO`)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(logs.String()), "\n")+1, "one log line, none forged")
}

func TestASuccessBodyMissingARequiredFieldIsAnAPIError(t *testing.T) {
	srv, c, _ := hostileServer(t, testKey)
	in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "a@example.org", "New Business", "Discovery", "2024-04-21", "USD", 1)

	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{OmitFields: []string{"uuid"}})
	o, err := c.Create(context.Background(), in)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 201, apiErr.StatusCode)
	require.Contains(t, err.Error(), `required field "uuid" is missing`)
	require.Empty(t, o.UUID)
	require.True(t, wrapper.MayHaveBeenApplied(err), "it was created, without a UUID to show for it")
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))

	created, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	for _, tt := range []struct {
		op    chartmogultest.Operation
		omit  string
		field string
	}{
		{chartmogultest.OpRetrieve, "created_at", "created_at"},
		{chartmogultest.OpRetrieve, "amount_in_cents", "amount_in_cents"},
		{chartmogultest.OpUpdate, "custom", "custom"},
		{chartmogultest.OpList, "entries", "entries"},
		{chartmogultest.OpList, "has_more", "has_more"},
		{chartmogultest.OpList, "entries.uuid", "entries[0].uuid"},
	} {
		srv.Inject(tt.op, chartmogultest.Fault{OmitFields: []string{tt.omit}})
		switch tt.op {
		case chartmogultest.OpRetrieve:
			_, err = c.Get(context.Background(), created.UUID)
		case chartmogultest.OpUpdate:
			_, err = c.Update(context.Background(), created.UUID, wrapper.NewUpdate().SetPipelineStage("Proposal"))
		case chartmogultest.OpList:
			_, err = c.List(context.Background(), wrapper.ListParams{})
		}
		require.ErrorAs(t, err, &apiErr, tt.omit)
		require.Contains(t, err.Error(), fmt.Sprintf("required field %q is missing", tt.field))
	}
	// The iterator stops with the error instead of taking the page for the last.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{OmitFields: []string{"has_more"}})
	var iterErr error
	for _, err := range c.All(context.Background(), wrapper.ListParams{}) {
		iterErr = err
	}
	require.ErrorContains(t, iterErr, `"has_more"`)
}

func TestADeclaredLengthLargerThanTheBodyAllocatesNothingForIt(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), wrapper.WithoutRetries(),
		wrapper.WithMaxResponseBytes(wrapper.MaxResponseBytesLimit))
	require.NoError(t, err)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{DeclaredLength: 1 << 38})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.List(context.Background(), wrapper.ListParams{})
	runtime.ReadMemStats(&after)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Contains(t, err.Error(), "reading the response body")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "no buffer sized from the declared 256 GiB")
}

func TestOptionsAreBounded(t *testing.T) {
	tests := []struct {
		opt    wrapper.Option
		option string
	}{
		{wrapper.WithMaxResponseBytes(math.MaxInt64), "WithMaxResponseBytes"},
		{wrapper.WithMaxResponseBytes(0), "WithMaxResponseBytes"},
		{wrapper.WithRetryPolicy(wrapper.RetryPolicy{InitialBackoff: math.MaxInt64}), "WithRetryPolicy"},
		{wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxBackoff: math.MaxInt64}), "WithRetryPolicy"},
		{wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: math.MaxInt}), "WithRetryPolicy"},
		{wrapper.WithMaxConcurrent(math.MaxInt), "WithMaxConcurrent"},
		{wrapper.WithRateLimit(math.Inf(1), 1), "WithRateLimit"},
		{wrapper.WithRateLimit(math.NaN(), 1), "WithRateLimit"},
		{wrapper.WithRateLimit(10, math.MaxInt), "WithRateLimit"},
		{wrapper.WithRateLimit(1e-9, 1), "WithRateLimit"},
		{wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 100, InitialBackoff: 4, MaxBackoff: 4}), "WithRetryPolicy"},
		{wrapper.WithUserAgent("x\x00y"), "WithUserAgent"},
	}
	for _, tt := range tests {
		_, err := wrapper.NewClient(testKey, tt.opt)
		require.ErrorContains(t, err, tt.option)
	}
	for _, key := range []string{" " + testKey, testKey + "\n", "a\x1b[2Jb", "k\x7f", "\ufeff" + testKey, "sk_\u202e12345678", "sk_\u0085k", "sk\tk", "sk_\u200bk", "sk_\u00a0k", "sk_é", "sk k"} {
		_, err := wrapper.NewClient(key)
		require.ErrorContains(t, err, "API key has white space, a control character or a character that is not printable ASCII", "%q", key)
	}
	_, err := wrapper.NewClient(testKey, wrapper.WithRateLimit(wrapper.MinRateLimit, 1),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{InitialBackoff: wrapper.MinRetryBackoff, MaxBackoff: wrapper.MinRetryBackoff}))
	require.NoError(t, err, "the lower bounds themselves are accepted")
	_, err = wrapper.NewClient(testKey, wrapper.WithMaxResponseBytes(wrapper.MaxResponseBytesLimit),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{InitialBackoff: wrapper.MaxRetryBackoff, MaxBackoff: wrapper.MaxRetryBackoff, MaxAttempts: wrapper.MaxRetryAttempts}))
	require.NoError(t, err, "the bounds themselves are accepted")
}

func TestRetryAfterZeroStillWaits(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond}))
	require.NoError(t, err)
	past := time.Now().Add(-time.Hour).UTC().Format(http1123)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 429, Header: map[string][]string{"Retry-After": {"0"}}, Times: 2})
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 429, Header: map[string][]string{"Retry-After": {past}}})
	start := time.Now()
	_, err = c.List(context.Background(), wrapper.ListParams{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 3*20*time.Millisecond, "three retries, each at least InitialBackoff/5")
	require.Equal(t, 4, srv.Requests(chartmogultest.OpList))
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"
