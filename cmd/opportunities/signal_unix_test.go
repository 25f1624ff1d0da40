//go:build !windows

package main

import (
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// A signal the command was started ignoring stays ignored: under nohup a
// SIGHUP does not stop fake-server (nor anything else); without nohup it
// stops it as Ctrl-C does.
func TestAnIgnoredSIGHUPStaysIgnored(t *testing.T) {
	t.Parallel()
	args := []string{"fake-server", "--addr", "127.0.0.1:0", "--quiet"}
	s := prepareCLI(nil)
	s.cmd = exec.Command("sh", append([]string{"-c", `trap "" HUP; exec "$0" "$@"`, binary}, args...)...) // as nohup does
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = cleanEnv(nil), s.stdout, s.stderr
	s.start(t)
	var base string
	eventually(t, 30*time.Second, "fake-server to listen", func() bool {
		m := listening.FindStringSubmatch(s.stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	time.Sleep(300 * time.Millisecond)
	status, _ := httpCall(t, chartmogultest.DefaultAPIKey, http.MethodGet, base+"/opportunities", "")
	require.Equal(t, http.StatusOK, status, "still serving after SIGHUP: %s", s.stderr)
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)

	s, _ = startFakeServer(t, "--addr", "127.0.0.1:0", "--quiet")
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	r = s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "fake-server: stopped")
}
