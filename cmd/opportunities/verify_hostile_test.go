package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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

// recordingProxy serves srv's API through rewrite, which may change the
// status and body of each answer, and records every request line it gets.
func recordingProxy(t *testing.T, srv *chartmogultest.Server, rewrite func(r *http.Request, status int, body []byte) (int, []byte)) (string, func() []string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var seen []string
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.RequestURI)
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, srv.URL()+strings.TrimPrefix(r.RequestURI, "/v1"), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		status := resp.StatusCode
		if rewrite != nil {
			status, data = rewrite(r, status, data)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(data)
	}))
	t.Cleanup(p.Close)
	return p.URL + "/v1", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestVerifyNeverFollowsAUUIDTheSpecRefuses(t *testing.T) {
	t.Parallel()
	const hostile = "../../admin/drop-all?confirm=yes&x="
	srv := chartmogultest.NewServer(t)
	// Every create is applied, and answered with a UUID that is a path.
	base, seen := recordingProxy(t, srv, func(r *http.Request, status int, body []byte) (int, []byte) {
		if r.Method != http.MethodPost {
			return status, body
		}
		var o map[string]any
		require.NoError(t, json.Unmarshal(body, &o))
		o["uuid"] = hostile
		body, _ = json.Marshal(o)
		return status, body
	})
	r := cli(t, verifyArgs(base, srv.APIKey(), "--output", "json")...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	rep := parseVerify(t, r.stdout)
	var reported bool
	for _, f := range rep.findings() {
		if f.Severity == sevDrift && f.Field == "uuid" {
			reported = true
		}
	}
	require.True(t, reported, "the UUID is reported as drift: %s", r.stdout)
	for _, line := range seen() {
		require.NotContains(t, line, "admin", "verify followed the UUID: %v", seen())
		require.NotContains(t, line, "..", "verify followed the UUID: %v", seen())
		require.NotContains(t, line, "drop-all", "verify followed the UUID: %v", seen())
	}
	// The opportunity created was found again by its marker and deleted,
	// through its real UUID.
	require.Empty(t, srv.Opportunities())
	require.Equal(t, 1, srv.Applied(chartmogultest.OpDelete))
}

func TestVerifyCleanupNeverFollowsAUUIDTheSpecRefuses(t *testing.T) {
	t.Parallel()
	const hostile = "../../admin/drop-all?confirm=yes&x="
	srv := chartmogultest.NewServer(t)
	// Every opportunity, created or listed, comes back under a path.
	base, seen := recordingProxy(t, srv, func(r *http.Request, status int, body []byte) (int, []byte) {
		return status, bytes.ReplaceAll(body, []byte(`"uuid":"`), []byte(`"uuid":"`+hostile))
	})
	r := cli(t, verifyArgs(base, srv.APIKey(), "--output", "json")...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	rep := parseVerify(t, r.stdout)
	for _, line := range seen() {
		require.NotContains(t, line, "admin", "verify followed the UUID: %v", seen())
	}
	require.Len(t, rep.Cleanup.LeftBehind, 1, "the opportunity found by its marker is reported, not followed")
	require.True(t, strings.HasPrefix(rep.Cleanup.LeftBehind[0], hostile), rep.Cleanup.LeftBehind)
	require.Len(t, srv.Opportunities(), 1)
	require.Zero(t, srv.Requests(chartmogultest.OpDelete))
}

func TestVerifyNeverClaimsNothingLeftBehindWhenTheLookupFailed(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	inject := func() {
		// The create is applied but its answer lost, and the lookup by
		// marker fails.
		srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Apply: true, DropConnection: true})
		srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: http.StatusInternalServerError, Times: 10})
	}
	inject()
	r := cli(t, verifyArgs(srv.URL(), srv.APIKey(), "--retries", "0")...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	require.Len(t, srv.Opportunities(), 1)
	require.NotContains(t, r.stdout, "nothing left behind")
	require.Contains(t, r.stdout, "outcome unknown")
	run := regexp.MustCompile(`run ([0-9a-f]{12})`).FindStringSubmatch(r.stdout)
	require.NotNil(t, run, r.stdout)
	require.Contains(t, r.stdout, `verify_string "opportunities-verify `+run[1]+`"`, "the marker to find it by")

	srv.ClearFaults()
	inject()
	r = cli(t, verifyArgs(srv.URL(), srv.APIKey(), "--retries", "0", "--output", "json")...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	var rep struct {
		Conforms bool `json:"conforms"`
		Cleanup  struct {
			OutcomeUnknown bool   `json:"outcome_unknown"`
			Marker         string `json:"marker"`
			LookupError    string `json:"lookup_error"`
		} `json:"cleanup"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.False(t, rep.Conforms)
	require.True(t, rep.Cleanup.OutcomeUnknown, r.stdout)
	require.True(t, strings.HasPrefix(rep.Cleanup.Marker, "opportunities-verify "), r.stdout)
	require.Contains(t, rep.Cleanup.LookupError, "500")
}

func TestVerifyHangupCleansUpLikeCtrlC(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: time.Minute})
	s := startCLI(t, verifyArgs(srv.URL(), srv.APIKey())...)
	eventually(t, 30*time.Second, "the list step", func() bool { return srv.Requests(chartmogultest.OpList) >= 1 })
	require.Len(t, srv.Opportunities(), 2)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 129, r.code, "128 + SIGHUP: %s", r.stdout+r.stderr)
	require.Contains(t, r.stdout, "Interrupted")
	require.Contains(t, r.stdout, "Cleanup: created 2, deleted 2, nothing left behind")
	require.Empty(t, srv.Opportunities())
}

func TestVerifyKilledLeavesTheMarkerAndUUIDsInItsOutput(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"text", "json"} {
		srv := chartmogultest.NewServer(t)
		srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: time.Minute})
		dir := t.TempDir()
		stdout, err := os.Create(filepath.Join(dir, "stdout"))
		require.NoError(t, err)
		stderr, err := os.Create(filepath.Join(dir, "stderr"))
		require.NoError(t, err)
		cmd := exec.Command(binary, verifyArgs(srv.URL(), srv.APIKey(), "--output", output)...)
		cmd.Env = cleanEnv(nil)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		require.NoError(t, cmd.Start())
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		eventually(t, 30*time.Second, "the list step", func() bool { return srv.Requests(chartmogultest.OpList) >= 1 })
		require.NoError(t, cmd.Process.Kill())
		<-done
		stdout.Close()
		stderr.Close()
		// The progress goes to stdout in text, to stderr with --output json
		// (stdout holds the one JSON document).
		name := "stdout"
		if output == "json" {
			name = "stderr"
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		out := string(data)
		require.Regexp(t, `Verifying .* \(run [0-9a-f]{12}, marker: verify_string "opportunities-verify [0-9a-f]{12}"\)`, out)
		opps := srv.Opportunities()
		require.Len(t, opps, 2)
		for _, o := range opps {
			require.Contains(t, out, "Created "+o.UUID, "each UUID is printed as it is created")
		}
	}
}
