package wrapper_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

func TestNewClientRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		key  string
		opts []wrapper.Option
		want string
	}{
		{"empty key", "", nil, "API key is empty"},
		{"blank key", "  ", nil, "API key is empty"},
		{"nil option", testKey, []wrapper.Option{nil}, "nil option"},
		{"nil http client", testKey, []wrapper.Option{wrapper.WithHTTPClient(nil)}, "HTTP client is nil"},
		{"empty base URL", testKey, []wrapper.Option{wrapper.WithBaseURL("")}, "base URL is empty"},
		{"relative base URL", testKey, []wrapper.Option{wrapper.WithBaseURL("/v1")}, "must be an absolute http(s) URL"},
		{"ftp base URL", testKey, []wrapper.Option{wrapper.WithBaseURL("ftp://x/v1")}, "must be an absolute http(s) URL"},
		{"plain http elsewhere", testKey, []wrapper.Option{wrapper.WithBaseURL("http://api.chartmogul.com/v1")}, "plain http"},
		{"credentials in URL", testKey, []wrapper.Option{wrapper.WithBaseURL("https://u:p@api.chartmogul.com/v1")}, "credentials"},
		{"query in URL", testKey, []wrapper.Option{wrapper.WithBaseURL("https://api.chartmogul.com/v1?x=1")}, "query"},
		{"negative timeout", testKey, []wrapper.Option{wrapper.WithTimeout(-time.Second)}, "negative"},
		{"zero cap", testKey, []wrapper.Option{wrapper.WithMaxResponseBytes(0)}, "not positive"},
		{"empty user agent", testKey, []wrapper.Option{wrapper.WithUserAgent(" ")}, "user agent is empty"},
		{"header injection", testKey, []wrapper.Option{wrapper.WithUserAgent("x\r\nX-Evil: 1")}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := wrapper.NewClient(tt.key, tt.opts...)
			require.Nil(t, c)
			require.ErrorContains(t, err, tt.want)
			if strings.TrimSpace(tt.key) != "" {
				require.NotContains(t, err.Error(), strings.TrimSpace(tt.key))
			}
		})
	}
}

// A key pasted into the wrong place is not echoed by the error.
func TestBaseURLErrorsDoNotEchoTheURL(t *testing.T) {
	for _, base := range []string{"https://api.chartmogul.com/v1?api_key=" + testKey, testKey + "@api.chartmogul.com/v1",
		"https://" + testKey + ":@api.chartmogul.com/v1", "http://example.com/" + testKey, "%zz" + testKey} {
		_, err := wrapper.NewClient("k", wrapper.WithBaseURL(base))
		require.Error(t, err, base)
		require.NotContains(t, err.Error(), testKey)
	}
}

// Each refusal of a base URL says why with an error a program can match, from
// CheckBaseURL and from NewClient alike.
func TestBaseURLRefusalsCanBeMatched(t *testing.T) {
	for base, want := range map[string]error{
		"%zz":                             wrapper.ErrBaseURLNotAbsolute,
		"/v1":                             wrapper.ErrBaseURLNotAbsolute,
		"api.chartmogul.com/v1":           wrapper.ErrBaseURLNotAbsolute,
		"https://u:p@api.chartmogul.com":  wrapper.ErrBaseURLCredentials,
		"ftp://u@api.chartmogul.com/v1":   wrapper.ErrBaseURLCredentials, // the credentials first: they may be a key
		"ftp://api.chartmogul.com/v1":     wrapper.ErrBaseURLScheme,
		"https://api.chartmogul.com/v1?x": wrapper.ErrBaseURLQuery,
		"https://api.chartmogul.com/v1#x": wrapper.ErrBaseURLQuery,
		"https://api.chartmogul.com/v1?":  wrapper.ErrBaseURLQuery, // an empty query: the path would follow it
		"https://api.chartmogul.com/v1#":  wrapper.ErrBaseURLQuery,
		"http://api.chartmogul.com/v1":    wrapper.ErrBaseURLInsecure,
		"http://10.0.0.1/v1":              wrapper.ErrBaseURLInsecure,
	} {
		err := wrapper.CheckBaseURL(base)
		require.ErrorIs(t, err, want, base)
		require.True(t, strings.HasPrefix(err.Error(), "chartmogul: base URL "), err.Error())
		_, newErr := wrapper.NewClient(testKey, wrapper.WithBaseURL(base))
		require.ErrorIs(t, newErr, want, base)
		require.Equal(t, err.Error(), newErr.Error(), "the same words as NewClient")
	}
	for _, base := range []string{wrapper.DefaultBaseURL, "http://127.0.0.1:12111/v1", "http://LocalHost/v1", "http://[::1]:9/v1"} {
		require.NoError(t, wrapper.CheckBaseURL(base), base)
	}
}

func TestNewClientAcceptsGoodConfiguration(t *testing.T) {
	for _, base := range []string{"https://api.chartmogul.com/v1", "http://127.0.0.1:8080/v1", "http://localhost/v1", "http://[::1]:9/v1"} {
		c, err := wrapper.NewClient(testKey, wrapper.WithBaseURL(base))
		require.NoError(t, err, base)
		require.Equal(t, base, c.BaseURL())
	}
	c, err := wrapper.NewClient(testKey, wrapper.WithBaseURL("http://10.0.0.1/v1"), wrapper.WithInsecureHTTP())
	require.NoError(t, err)
	require.Equal(t, "http://10.0.0.1/v1", c.BaseURL())
	c, err = wrapper.NewClient(testKey)
	require.NoError(t, err)
	require.Equal(t, wrapper.DefaultBaseURL, c.BaseURL())
}

func TestTheKeyIsNeverPrinted(t *testing.T) {
	rec := newRecorder(t, reply(404, `{"error":"Opportunity not found"}`))
	hc := &http.Client{Timeout: time.Minute}
	c := newClient(t, rec, wrapper.WithHTTPClient(hc), wrapper.WithUserAgent("ua/1"))
	_, apiErr := c.Get(context.Background(), recordedUUID)
	require.Error(t, apiErr)
	_, netErr := newClient(t, &recorder{srv: closedServer(t)}).Get(context.Background(), recordedUUID)
	require.Error(t, netErr)

	for _, v := range []any{c, *c, apiErr, netErr} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			for _, secret := range secretForms() {
				require.NotContains(t, fmt.Sprintf(verb, v), secret, verb)
			}
		}
	}
	require.Contains(t, fmt.Sprint(c), rec.base())
}

func closedServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := newRecorder(t, reply(200, "")).srv
	s.Close()
	return s
}

func TestTheCallersHTTPClientIsNotModified(t *testing.T) {
	rec := newRecorder(t, reply(200, recordedResponse))
	hc := &http.Client{Timeout: time.Minute}
	c := newClient(t, rec, wrapper.WithHTTPClient(hc))
	_, err := c.Get(context.Background(), recordedUUID)
	require.NoError(t, err)
	require.Nil(t, hc.CheckRedirect)
	require.Nil(t, hc.Transport)
	require.Equal(t, time.Minute, hc.Timeout)
}

func TestClientsWithDifferentSettingsWorkSideBySide(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			key := fmt.Sprintf("key-%d", i)
			ua := fmt.Sprintf("agent-%d", i)
			rec := newRecorder(t, reply(200, recordedResponse))
			c, err := wrapper.NewClient(key, wrapper.WithBaseURL(rec.base()), wrapper.WithUserAgent(ua), checkedHTTP(t))
			require.NoError(t, err)
			for range 5 {
				_, err := c.Get(context.Background(), recordedUUID)
				require.NoError(t, err)
			}
			for _, r := range rec.requests() {
				require.Equal(t, key, r.User)
				require.Equal(t, ua, r.UserAgent)
			}
		})
	}
}

func TestRedirectsNeverCarryTheKeyElsewhere(t *testing.T) {
	other := newRecorder(t, reply(200, recordedResponse))
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		http.Redirect(w, r, other.base()+"/opportunities/"+recordedUUID, http.StatusFound)
	})
	_, err := newUncheckedClient(t, rec).Get(context.Background(), recordedUUID)
	require.ErrorContains(t, err, "refusing redirect")
	require.Empty(t, other.requests())
}

func TestRedirectsFromHTTPSToHTTPAreRefused(t *testing.T) {
	var plain atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			plain.Add(1)
		}
		http.Redirect(w, r, "http://"+r.Host+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c, err := wrapper.NewClient(testKey, wrapper.WithBaseURL(srv.URL+"/v1"), wrapper.WithHTTPClient(srv.Client()), wrapper.WithoutRetries())
	require.NoError(t, err)
	_, err = c.Get(context.Background(), recordedUUID)
	require.ErrorContains(t, err, "refusing redirect")
	require.Zero(t, plain.Load())
}

func TestSameHostRedirectsAreFollowedWithTheKey(t *testing.T) {
	rec2 := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if !strings.Contains(r.URL.RawQuery, "done") {
			http.Redirect(w, r, r.URL.Path+"?done=1", http.StatusFound)
			return
		}
		reply(200, recordedResponse)(w, r, nil)
	})
	// A 302 is no answer the API declares: the contract check would flag the hop.
	got, err := newUncheckedClient(t, rec2).Get(context.Background(), recordedUUID)
	require.NoError(t, err)
	require.Equal(t, recordedUUID, got.UUID)
	reqs := rec2.requests()
	require.Len(t, reqs, 2)
	require.Equal(t, testKey, reqs[1].User)
}
