package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// What a hostile or broken server sends must not get out of verify, nor
// steer it.

// requireClean fails when out holds the key in any form, or a control
// character a terminal would act on.
func requireClean(t *testing.T, out, key string) {
	t.Helper()
	for _, form := range append(keyForms(key), jsonEscaped(key)) {
		require.NotContains(t, out, form)
	}
	require.NotContains(t, out, "\x1b")
	require.NotContains(t, out, "\u009b")
	require.NotContains(t, out, "\x07")
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func TestVerifyRedactsWhatTheServerEchoes(t *testing.T) {
	t.Parallel()
	const key = `sk_live_verify-echo/Key+"<1>"`
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	for _, output := range []string{"text", "json"} {
		// A 400 repeating the Authorization header, the key raw, base64,
		// URL-encoded and JSON-escaped, with escape sequences.
		srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: http.StatusBadRequest, EchoAuthorization: true, EscapeSequences: true})
		r := cli(t, verifyArgs(srv.URL(), key, "--output", output)...)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		require.Contains(t, r.stdout, "[redacted]", "the message is reported, redacted")
		requireClean(t, r.stdout+r.stderr, key)

		srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: http.StatusBadRequest,
			Body: `{"code":400,"message":"` + jsonEscaped(key) + ` \u001b]0;pwned\u0007 {{authorization}}"}`})
		r = cli(t, verifyArgs(srv.URL(), key, "--output", output)...)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		requireClean(t, r.stdout+r.stderr, key)
		require.Empty(t, srv.Opportunities())
	}

	// A 201 whose opportunity has a field named after the key: the
	// unknown-field warning names it redacted.
	base := driftProxy(t, srv, func(o map[string]any) { o[key] = 1; o["x\x1b[2J"] = 2 })
	for _, output := range []string{"text", "json"} {
		r := cli(t, verifyArgs(base, key, "--output", output)...)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		require.Contains(t, r.stdout, kindUnknown)
		require.Contains(t, r.stdout, "[redacted]")
		requireClean(t, r.stdout+r.stderr, key)
		require.Empty(t, srv.Opportunities())
	}
}

// keep strings imported for later tests
var _ = strings.Contains
