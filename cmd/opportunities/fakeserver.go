package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/cmdutil"
)

// fakeServerCommand is fake-server; its flags fill in a chartmogultest.Standalone.
func fakeServerCommand(e *env) *cobra.Command {
	var s chartmogultest.Standalone
	var quiet bool
	cmd := command("fake-server [--addr HOST:PORT] [--seed] [--rate-limit N] [--max-concurrent N] [flags]",
		"run the fake API as a server any HTTP client can call (like stripe-mock)", noArgs,
		func(*cobra.Command, []string) int { return e.runFakeServer(s, quiet) })
	fs := cmd.Flags()
	fs.StringVar(&s.Addr, "addr", chartmogultest.StandaloneAddr, "listen on `HOST:PORT`; port 0 picks a free one. The fake has no TLS: keep it on loopback\nunless it runs in a container (a warning is printed otherwise; an empty host is every interface)")
	fs.BoolVar(&s.Seed, "seed", false, "start with the two opportunities of ChartMogul's documentation,\n"+chartmogultest.DocRecordedUUID+" and "+chartmogultest.DocCreateExampleUUID)
	fs.StringVar(&s.BasePath, "base-path", chartmogultest.DefaultBasePath, "serve the API under this `path`, as in https://api.chartmogul.com/v1")
	fs.IntVar(&s.RateLimit, "rate-limit", 0, "answer 429 beyond `N` requests a second (ChartMogul's limit is 40); 0 for none")
	fs.BoolVar(&s.RetryAfter, "retry-after", false, "send Retry-After: 1 with a 429 (the real API was never seen to)")
	fs.IntVar(&s.MaxConcurrent, "max-concurrent", 0, "answer 503 to a request beyond `N` being served (ChartMogul's limit is 20); 0 for none")
	fs.BoolVar(&quiet, "quiet", false, "no log line per request")
	return cmd
}

// runFakeServer serves until a signal; it returns the exit status.
func (e *env) runFakeServer(s chartmogultest.Standalone, quiet bool) int {
	var se *chartmogultest.StandaloneError
	switch {
	case e.g.fake || e.g.baseURL != "":
		return e.fail(cmdutil.Usagef("--fake and --base-url are for the client commands; fake-server takes --addr and --base-path"), false)
	case s.Addr == "": // a free port to Standalone, but --addr wants HOST:PORT
		return e.fail(cmdutil.Usagef("--addr \"\": %v", chartmogultest.CheckAddr("")), false)
	case errors.As(s.Check(), &se):
		flag := map[string]string{"Addr": fmt.Sprintf("--addr %q:", s.Addr), "BasePath": "--base-path", "RateLimit": "--rate-limit",
			"MaxConcurrent": "--max-concurrent"}
		return e.fail(cmdutil.Usagef("%s %s", flag[se.Field], se.Problem), false)
	}
	if w := s.Warning(); w != "" {
		fmt.Fprintf(e.ios.Stderr(), "fake-server: warning: --addr %s %s\n", s.Addr, w)
	}
	if s.APIKey = e.apiKey(); e.keyErr != nil { // a key file that cannot be read: not the default key instead
		return e.fail(e.keyErr, false)
	}
	keySource := "from --api-key, --api-key-file or $" + envAPIKey + " (not shown)"
	if strings.TrimSpace(s.APIKey) == "" {
		s.APIKey, keySource = chartmogultest.DefaultAPIKey, `the default test key "`+chartmogultest.DefaultAPIKey+`"`
	}
	if !quiet {
		s.Log = slog.New(slog.NewTextHandler(e.ios.Stderr(), nil))
	}
	stop, stopped := context.WithCancel(context.Background()) // by the first signal
	cut, cutOff := context.WithCancel(context.Background())   // by a second: the requests being served are cut off
	defer cmdutil.OnSignal(func(n int, _ os.Signal) {
		stopped()
		if n > 1 {
			cutOff()
		}
	})()
	started := false
	s.Grace = fakeShutdownGrace
	switch err := s.Run(stop, cut, func(srv *chartmogultest.Server) {
		started = true
		fmt.Fprintf(e.ios.Out, "fake-server: listening on %s\n", srv.URL())
		fmt.Fprintf(e.ios.Out, "fake-server: API key: %s; admin endpoint: %s; Ctrl-C stops\n", keySource, srv.AdminURL())
	}); {
	case !started:
		return e.fail(fmt.Errorf("starting the fake: %w", err), false)
	case errors.Is(err, chartmogultest.ErrCutOff):
		fmt.Fprintf(e.ios.Stderr(), "fake-server: requests still being served after %v were cut off\n", fakeShutdownGrace)
	case err != nil: // the second signal ended the wait
		fmt.Fprintln(e.ios.Stderr(), "fake-server: stopped at once (second signal)")
		return exitError
	}
	fmt.Fprintln(e.ios.Stderr(), "fake-server: stopped")
	return exitOK
}

// fakeShutdownGrace is how long fake-server waits, once told to stop, for
// the requests being served.
const fakeShutdownGrace = chartmogultest.DefaultGrace
