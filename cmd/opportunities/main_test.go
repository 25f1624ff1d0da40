package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// binary is the command built once by TestMain; the end-to-end tests run it
// as a subprocess against a fake started in the test process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opportunities-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "opportunities")
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race") // the binary is checked for races too
	}
	build := exec.Command(goCmd, append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the command:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// seedBody is the curl body on ChartMogul's page for the create call, with
// the page's obfuscated owner address as the repository's tests have it.
const seedBody = `{
"customer_uuid": "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
"owner": "test1@example.org",
"pipeline": "New Business",
"pipeline_stage": "Discovery",
"estimated_close_date": "2024-04-21",
"currency": "USD",
"amount_in_cents": 100000,
"type": "recurring",
"forecast_category": "best_case",
"win_likelihood": 40,
"custom":[
{"key": "seats","value":3},
{"key":"marketing_campaign","value":"Facebook"}
]
}`

const (
	seedCustomer  = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"
	otherCustomer = "cus_bb167600-e74e-11ee-93bd-8f1e5b698784"
	missingUUID   = "bb544336-e74e-11ee-800c-effc264f19ed"
)

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// runOpts are the extras of one run.
type runOpts struct {
	stdin string
	env   []string // added to the environment (CHARTMOGUL_* variables are removed first)
}

// cleanEnv is the test's environment without CHARTMOGUL_* variables, plus
// extra. A race-enabled binary would wait a second at exit for late race
// reports; 10 ms is plenty for a command that ends its goroutines itself.
func cleanEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CHARTMOGUL_") {
			env = append(env, kv)
		}
	}
	if raceEnabled && os.Getenv("GORACE") == "" {
		env = append(env, "GORACE=atexit_sleep_ms=10")
	}
	return append(env, extra...)
}

// requireNoRace fails the test when the race detector reported a race in
// the command (its exit status, 66, would also be unexpected).
func requireNoRace(t *testing.T, stderr string) {
	t.Helper()
	require.NotContains(t, stderr, "WARNING: DATA RACE")
}

// cli runs the command to completion (at most 60 s).
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return cliWith(t, runOpts{}, args...)
}

func cliWith(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv(o.env)
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "running %v: %v", args, err)
		code = ee.ExitCode()
	}
	requireNoRace(t, stderr.String())
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// syncBuffer is a bytes.Buffer that the test can read while the command
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// started is a command running in the background.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

func startCLI(t *testing.T, args ...string) *started {
	t.Helper()
	return startCLIEnv(t, nil, args...)
}

// startCLIEnv is startCLI with extra environment variables.
func startCLIEnv(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	return prepareCLI(env, args...).start(t)
}

// prepareCLI is a command not started yet, for a test that sets more up
// (its stdin, say) before calling start.
func prepareCLI(env []string, args ...string) *started {
	s := &started{cmd: exec.Command(binary, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	s.cmd.Env = cleanEnv(env)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	return s
}

// start starts a prepared command; it is killed when the test ends.
func (s *started) start(t *testing.T) *started {
	t.Helper()
	require.NoError(t, s.cmd.Start())
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait waits for the command to end (at most d) and returns its result.
func (s *started) wait(t *testing.T, d time.Duration) result {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("the command did not end within %v; stderr:\n%s", d, s.stderr)
	}
	code := 0
	if s.err != nil {
		ee, ok := s.err.(*exec.ExitError)
		require.True(t, ok, "%v", s.err)
		code = ee.ExitCode()
	}
	requireNoRace(t, s.stderr.String())
	return result{code: code, stdout: s.stdout.String(), stderr: s.stderr.String()}
}

// eventually polls cond every 10 ms until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// srvArgs are the global flags that point the command at srv.
func srvArgs(srv *chartmogultest.Server, args ...string) []string {
	return append([]string{"--base-url", srv.URL(), "--api-key", srv.APIKey()}, args...)
}

// totalRequests is every request the fake received.
func totalRequests(srv *chartmogultest.Server) int {
	n := 0
	for _, op := range []chartmogultest.Operation{chartmogultest.OpCreate, chartmogultest.OpList,
		chartmogultest.OpRetrieve, chartmogultest.OpUpdate, chartmogultest.OpDelete} {
		n += srv.Requests(op)
	}
	return n
}

// storedOpp is an opportunity held by the fake, read through its JSON form
// (independent of the generated Go types).
type storedOpp struct {
	UUID               string                     `json:"uuid"`
	CustomerUUID       string                     `json:"customer_uuid"`
	Owner              string                     `json:"owner"`
	Pipeline           string                     `json:"pipeline"`
	PipelineStage      string                     `json:"pipeline_stage"`
	EstimatedCloseDate string                     `json:"estimated_close_date"`
	Currency           string                     `json:"currency"`
	AmountInCents      int64                      `json:"amount_in_cents"`
	Type               *string                    `json:"type"`
	ForecastCategory   *string                    `json:"forecast_category"`
	WinLikelihood      *int                       `json:"win_likelihood"`
	Custom             map[string]json.RawMessage `json:"custom"`
}

func stored(t *testing.T, srv *chartmogultest.Server) []storedOpp {
	t.Helper()
	b, err := json.Marshal(srv.Opportunities())
	require.NoError(t, err)
	var out []storedOpp
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// decode parses one JSON object.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), "output: %s", s)
	return m
}

// writeFile writes content to name in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// testClient is a wrapper client on srv, for setting up data.
func testClient(t *testing.T, srv *chartmogultest.Server) *wrapper.Client {
	t.Helper()
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	return c
}

// holdMode says what the proxy does with a request.
type holdMode int

const (
	pass       holdMode = iota
	holdBefore          // keep the request until the client goes away; never forward it
	holdAfter           // forward it (the fake applies it), then keep the response until the client goes away
)

// proxy sits between the command and the fake: it records every request
// and can hold some, to catch the command mid-request.
type proxy struct {
	srv      *httptest.Server
	upstream string
	decide   func(method string, body []byte) holdMode
	held     atomic.Int32
	release  chan struct{}

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, path string
	body         []byte
}

func newProxy(t *testing.T, fake *chartmogultest.Server, decide func(method string, body []byte) holdMode) *proxy {
	t.Helper()
	p := &proxy{upstream: strings.TrimSuffix(fake.URL(), chartmogultest.DefaultBasePath), decide: decide, release: make(chan struct{})}
	upstream := &http.Client{Timeout: 30 * time.Second}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.requests = append(p.requests, recorded{r.Method, r.URL.Path, body})
		p.mu.Unlock()
		mode := pass
		if p.decide != nil {
			mode = p.decide(r.Method, body)
		}
		if mode == holdBefore {
			p.held.Add(1)
			select {
			case <-r.Context().Done():
			case <-p.release:
			}
			return
		}
		req, err := http.NewRequestWithContext(context.Background(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := upstream.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		respBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if mode == holdAfter {
			p.held.Add(1)
			select {
			case <-r.Context().Done():
			case <-p.release:
			}
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(respBody)
	}))
	t.Cleanup(func() {
		close(p.release)
		p.srv.Close()
	})
	return p
}

// url is the proxy's API base URL.
func (p *proxy) url() string { return p.srv.URL + chartmogultest.DefaultBasePath }

func (p *proxy) recorded(method string) []recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []recorded
	for _, r := range p.requests {
		if r.method == method {
			out = append(out, r)
		}
	}
	return out
}
