package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serverExamples are the commands whose help examples need a server running;
// their own tests run them.
var serverExamples = map[string]bool{"fake-server": true, "verify": true}

var listening = regexp.MustCompile(`fake-server: listening on (http://\S+)`)

// startFakeServer runs fake-server and returns it with its base URL.
func startFakeServer(t *testing.T, args ...string) (*started, string) {
	t.Helper()
	return startFakeServerEnv(t, nil, args...)
}

// startFakeServerEnv is startFakeServer with extra environment variables.
func startFakeServerEnv(t *testing.T, env []string, args ...string) (*started, string) {
	t.Helper()
	s := startCLIEnv(t, env, append([]string{"fake-server"}, args...)...)
	var base string
	eventually(t, 30*time.Second, "fake-server to listen", func() bool {
		if m := listening.FindStringSubmatch(s.stdout.String()); m != nil {
			base = m[1]
			return true
		}
		select {
		case <-s.done:
			t.Fatalf("fake-server ended: %s", s.stderr)
		default:
		}
		return false
	})
	return s, base
}

// httpCall sends one request with key as basic-auth user name and returns
// the status and the body.
func httpCall(t *testing.T, key, method, url, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func TestFakeServerServesAnyHTTPClient(t *testing.T) {
	t.Parallel()
	const key = "sk_test_fake_server_key_4242"
	s, base := startFakeServer(t, "--addr", "127.0.0.1:0", "--seed", "--api-key", key)
	root := strings.TrimSuffix(base, "/v1")

	code, body := httpCall(t, key, http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Len(t, decode(t, body)["entries"], 2, "--seed stores the documented examples")

	code, body = httpCall(t, key, http.MethodPost, base+"/opportunities", seedBody)
	require.Equal(t, http.StatusCreated, code, body)
	uuid := decode(t, body)["uuid"].(string)
	code, body = httpCall(t, key, http.MethodPatch, base+"/opportunities/"+uuid, `{"win_likelihood":0}`)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, float64(0), decode(t, body)["win_likelihood"])
	code, _ = httpCall(t, key, http.MethodGet, base+"/opportunities/"+uuid, "")
	require.Equal(t, http.StatusOK, code)
	code, _ = httpCall(t, key, http.MethodDelete, base+"/opportunities/"+uuid, "")
	require.Equal(t, http.StatusOK, code)
	code, _ = httpCall(t, key, http.MethodGet, base+"/opportunities/"+uuid, "")
	require.Equal(t, http.StatusNotFound, code)

	// Requests are validated against the spec, naming the field.
	code, body = httpCall(t, key, http.MethodPost, base+"/opportunities", strings.Replace(seedBody, `"USD"`, `"usd"`, 1))
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "currency", decode(t, body)["param"])
	// The key is enforced.
	code, _ = httpCall(t, "test_api_key", http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusUnauthorized, code)

	// Faults and limits over HTTP.
	code, body = httpCall(t, key, http.MethodPost, root+"/_fake/faults", `{"operation":"createOpportunity","status":500}`)
	require.Equal(t, http.StatusOK, code, body)
	code, _ = httpCall(t, key, http.MethodPost, base+"/opportunities", seedBody)
	require.Equal(t, http.StatusInternalServerError, code)
	code, body = httpCall(t, key, http.MethodGet, root+"/_fake/state", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(2), decode(t, body)["opportunities"])
	code, _ = httpCall(t, key, http.MethodPut, root+"/_fake/limits", `{"rate_per_second":1}`)
	require.Equal(t, http.StatusOK, code)
	httpCall(t, key, http.MethodGet, base+"/opportunities", "")
	code, _ = httpCall(t, key, http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusTooManyRequests, code)

	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "fake-server: stopped")
	require.Contains(t, r.stdout, "API key: from --api-key, --api-key-file or $CHARTMOGUL_API_KEY (not shown)")
	require.GreaterOrEqual(t, strings.Count(r.stderr, "msg=request"), 14, "one line per request")
	require.Contains(t, r.stderr, "method=POST path=/v1/opportunities status=400")
	require.NotContains(t, r.stdout+r.stderr, key)
}

func TestFakeServerResetComesBackToTheSeed(t *testing.T) {
	t.Parallel()
	s, base := startFakeServer(t, "--addr", "127.0.0.1:0", "--seed", "--quiet")
	root := strings.TrimSuffix(base, "/v1")
	code, body := httpCall(t, "test_api_key", http.MethodPost, base+"/opportunities", seedBody)
	require.Equal(t, http.StatusCreated, code, body)
	code, body = httpCall(t, "test_api_key", http.MethodDelete, base+"/opportunities/"+fakeSeedUUID, "")
	require.Equal(t, http.StatusOK, code, body)

	code, body = httpCall(t, "test_api_key", http.MethodPost, root+"/_fake/reset", "")
	require.Equal(t, http.StatusOK, code, body)
	code, body = httpCall(t, "test_api_key", http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusOK, code, body)
	var page struct {
		Entries []struct {
			UUID string `json:"uuid"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	require.Len(t, page.Entries, 2, body)
	require.Equal(t, fakeOpportunityUUID, page.Entries[0].UUID)
	require.Equal(t, fakeSeedUUID, page.Entries[1].UUID)

	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
}

func TestFakeServerStopsOnSIGTERMWithTheKeyFromTheEnvironment(t *testing.T) {
	t.Parallel()
	const key = "sk_env_fake_server_9876"
	s, base := startFakeServerEnv(t, []string{"CHARTMOGUL_API_KEY=" + key}, "--addr", "127.0.0.1:0", "--quiet", "--base-path", "/api")
	require.True(t, strings.HasSuffix(base, "/api"), base)
	code, _ := httpCall(t, key, http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "msg=request", "--quiet")
	require.NotContains(t, r.stdout+r.stderr, key)
}

func TestFakeServerUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fake-server", "--addr", "localhost"}, "--addr"},
		{[]string{"fake-server", "--base-path", "v1"}, `--base-path must be empty or /segment[/segment...], no . or .. segment, got "v1"`},
		{[]string{"fake-server", "--base-path", "/v1/.."}, `--base-path must be empty or /segment[/segment...], no . or .. segment, got "/v1/.."`},
		{[]string{"fake-server", "--rate-limit", "-1"}, "--rate-limit"},
		{[]string{"fake-server", "--max-concurrent", "-2"}, "--max-concurrent"},
		{[]string{"fake-server", "extra"}, `unexpected argument "extra"`},
		{[]string{"--fake", "fake-server"}, "--fake"},
		{[]string{"fake-server", "--seeds"}, "unknown flag: --seeds"},
	} {
		r := cli(t, c.args...)
		require.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.want, "%v", c.args)
	}
}

func TestFakeServerHelpExamples(t *testing.T) {
	t.Parallel()
	var servers []string
	var curls []string
	for _, ex := range exampleLines(helpExamples(t)["fake-server"]) {
		ex = strings.TrimSpace(ex)
		if cmd, _, _ := strings.Cut(ex, "#"); strings.HasPrefix(ex, "opportunities fake-server") {
			servers = append(servers, strings.TrimSpace(strings.TrimPrefix(cmd, "opportunities ")))
		} else if strings.HasPrefix(ex, "curl ") {
			curls = append(curls, strings.TrimSpace(cmd)) // without the comment, which would swallow --fail
		}
	}
	require.Len(t, servers, 2)
	require.Len(t, curls, 4)
	for i, line := range servers {
		args := strings.Fields(line)[1:]
		if !strings.Contains(line, "--addr") {
			args = append(args, "--addr", "127.0.0.1:0") // the documented port may be taken on a shared machine
		}
		s, base := startFakeServer(t, args...)
		if i == 0 { // the curl lines talk to the first example
			hostPort := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/v1")
			for _, curl := range curls {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				out, err := exec.CommandContext(ctx, "sh", "-c", strings.ReplaceAll(curl, "127.0.0.1:12111", hostPort)+" --fail --silent --show-error").CombinedOutput()
				cancel()
				require.NoError(t, err, "%s: %s", curl, out)
				require.True(t, json.Valid(out), "%s: %s", curl, out)
			}
		}
		require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
		r := s.wait(t, 30*time.Second)
		require.Equal(t, 0, r.code, "%s: %s", line, r.stderr)
	}
}

// A key file that cannot be read is an error, not the default test key.
func TestFakeServerRefusesAnUnreadableKeyFile(t *testing.T) {
	t.Parallel()
	r := cli(t, "--api-key-file", filepath.Join(t.TempDir(), "missing"), "fake-server", "--addr", "127.0.0.1:0")
	require.Equal(t, exitUsage, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stderr, "opportunities fake-server: --api-key-file")
	require.NotContains(t, r.stdout, "listening")
}

// An empty --addr is refused as CheckAddr refuses it, though an empty
// Standalone.Addr is a free port to the library.
func TestFakeServerRefusesAnEmptyAddr(t *testing.T) {
	t.Parallel()
	r := cli(t, "fake-server", "--addr", "")
	require.Equal(t, 2, r.code, r.stderr)
	require.Equal(t, "opportunities fake-server: --addr \"\": missing port in address: want HOST:PORT, such as 127.0.0.1:12111\n"+
		"Run 'opportunities fake-server --help' for usage.\n", r.stderr)
	require.Empty(t, r.stdout)
}
