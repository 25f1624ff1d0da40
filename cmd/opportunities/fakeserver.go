package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/chartmogultest"
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
	addrErr := chartmogultest.CheckAddr(s.Addr)
	switch {
	case e.g.fake || e.g.baseURL != "":
		return e.fail(usagef("--fake and --base-url are for the client commands; fake-server takes --addr and --base-path"), false)
	case addrErr != nil:
		return e.fail(usagef("--addr %q: %v", s.Addr, addrErr), false)
	case s.RateLimit < 0:
		return e.fail(usagef("--rate-limit must not be negative, got %d", s.RateLimit), false)
	case s.MaxConcurrent < 0:
		return e.fail(usagef("--max-concurrent must not be negative, got %d", s.MaxConcurrent), false)
	}
	if where := chartmogultest.Exposed(s.Addr); where != "" {
		fmt.Fprintf(e.errOut(), "fake-server: warning: --addr %s listens on %s: the fake is reachable from other machines, "+
			"and without TLS the API key crosses the network in clear text; use 127.0.0.1 unless it runs in a container\n", s.Addr, where)
	}
	if s.APIKey = e.apiKey(); e.keyErr != nil { // a key file that cannot be read: not the default key instead
		return e.fail(e.keyErr, false)
	}
	keySource := "from --api-key, --api-key-file or $" + envAPIKey + " (not shown)"
	if strings.TrimSpace(s.APIKey) == "" {
		s.APIKey, keySource = chartmogultest.DefaultAPIKey, `the default test key "`+chartmogultest.DefaultAPIKey+`"`
	}
	if !quiet {
		s.Log = slog.New(slog.NewTextHandler(e.errOut(), nil))
	}
	// The first signal stops the fake, a second one cuts the requests
	// being served.
	first, stopped := context.WithCancel(context.Background())
	second, cut := context.WithCancel(context.Background())
	defer e.onSignal(func(n int, _ os.Signal) {
		stopped()
		if n > 1 {
			cut()
		}
	})()
	srv, err := chartmogultest.Start(s.Options()...)
	if err != nil {
		return e.fail(fmt.Errorf("starting the fake: %w", err), false)
	}
	fmt.Fprintf(e.stdout, "fake-server: listening on %s\n", srv.URL())
	fmt.Fprintf(e.stdout, "fake-server: API key: %s; admin endpoint: %s; Ctrl-C stops\n", keySource, srv.AdminURL())
	<-first.Done()
	return e.stopFakeServer(srv, second)
}

// stopFakeServer stops the fake: the requests being served get
// fakeShutdownGrace to finish, then their connections are cut; second (a
// second signal) cuts them at once.
func (e *env) stopFakeServer(srv *chartmogultest.Server, second context.Context) int {
	switch err := srv.ShutdownGrace(second, fakeShutdownGrace); {
	case errors.Is(err, chartmogultest.ErrCutOff):
		fmt.Fprintf(e.errOut(), "fake-server: requests still being served after %v were cut off\n", fakeShutdownGrace)
	case err != nil: // the second signal ended the wait
		fmt.Fprintln(e.errOut(), "fake-server: stopped at once (second signal)")
		return exitError
	}
	fmt.Fprintln(e.errOut(), "fake-server: stopped")
	return exitOK
}

// fakeShutdownGrace is how long fake-server waits, once told to stop, for
// the requests being served.
const fakeShutdownGrace = 5 * time.Second
