package main

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stallFakeServer sends fake-server the start of a create whose body never
// comes, and waits until the fake has routed it.
func stallFakeServer(t *testing.T, base, key string) {
	t.Helper()
	root := strings.TrimSuffix(base, "/v1")
	c, err := net.Dial("tcp", strings.TrimPrefix(root, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	auth := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	_, err = io.WriteString(c, "POST /v1/opportunities HTTP/1.1\r\nHost: fake\r\nAuthorization: Basic "+auth+
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the stalled request to be routed", func() bool {
		_, body := httpCall(t, key, http.MethodGet, root+"/_fake/state", "")
		return strings.Contains(body, `"createOpportunity":1`)
	})
}

func TestFakeServerStopsDespiteAStalledClient(t *testing.T) {
	t.Parallel()
	s, base := startFakeServer(t, "--addr", "127.0.0.1:0")
	stallFakeServer(t, base, "test_api_key")
	start := time.Now()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.Less(t, time.Since(start), fakeShutdownGrace+5*time.Second)
	require.Contains(t, r.stderr, "were cut off")
	require.Contains(t, r.stderr, "fake-server: stopped")
	require.NotContains(t, r.stderr, "httptest")
}

func TestFakeServerSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	s, base := startFakeServer(t, "--addr", "127.0.0.1:0", "--quiet")
	stallFakeServer(t, base, "test_api_key")
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	eventually(t, 10*time.Second, "the first signal to be handled", func() bool {
		_, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimSuffix(base, "/v1"), "http://"), time.Second)
		return err != nil // the listener is closed
	})
	start := time.Now()
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Less(t, time.Since(start), fakeShutdownGrace/2, "the second signal does not wait for the grace period")
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "stopped at once")
}

func TestFakeServerAddressChecks(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:http-ish"} {
		r := cli(t, "fake-server", "--addr", addr)
		require.Equal(t, 2, r.code, "%s: %s", addr, r.stderr)
		require.Contains(t, r.stderr, "--addr", addr)
		require.Contains(t, r.stderr, "0 to 65535", addr)
	}
	// Loopback: no warning.
	s, _ := startFakeServer(t, "--addr", "127.0.0.1:0", "--quiet")
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "warning")
}

func TestFakeServerWarnsWhenReachableFromOtherMachines(t *testing.T) {
	t.Parallel()
	// 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning is
	// printed, then listening fails, and nothing is ever exposed.
	r := cli(t, "fake-server", "--addr", "192.0.2.1:0")
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "fake-server: warning: --addr 192.0.2.1:0 listens on 192.0.2.1: the fake is reachable from other machines")
	require.Contains(t, r.stderr, "starting the fake")
}
