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

// fakeServerFlags are fake-server's flags.
type fakeServerFlags struct {
	addr, basePath   string
	seed, retryAfter bool
	quiet            bool
	rate, concurrent int
}

func fakeServerCommand(e *env) *cobra.Command {
	var f fakeServerFlags
	cmd := command("fake-server [--addr HOST:PORT] [--seed] [--rate-limit N] [--max-concurrent N] [flags]",
		"run the fake API as a server any HTTP client can call (like stripe-mock)", noArgs,
		func(*cobra.Command, []string) int { return e.runFakeServer(f) })
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", chartmogultest.StandaloneAddr, "listen on `HOST:PORT`; port 0 picks a free one. The fake has no TLS: keep it on loopback\nunless it runs in a container (a warning is printed otherwise; an empty host is every interface)")
	fs.BoolVar(&f.seed, "seed", false, "start with the two opportunities of ChartMogul's documentation,\n"+chartmogultest.DocRecordedUUID+" and "+chartmogultest.DocCreateExampleUUID)
	fs.StringVar(&f.basePath, "base-path", chartmogultest.DefaultBasePath, "serve the API under this `path`, as in https://api.chartmogul.com/v1")
	fs.IntVar(&f.rate, "rate-limit", 0, "answer 429 beyond `N` requests a second (ChartMogul's limit is 40); 0 for none")
	fs.BoolVar(&f.retryAfter, "retry-after", false, "send Retry-After: 1 with a 429 (the real API was never seen to)")
	fs.IntVar(&f.concurrent, "max-concurrent", 0, "answer 503 to a request beyond `N` being served (ChartMogul's limit is 20); 0 for none")
	fs.BoolVar(&f.quiet, "quiet", false, "no log line per request")
	return cmd
}

// runFakeServer serves until a signal; it returns the exit status.
func (e *env) runFakeServer(f fakeServerFlags) int {
	if err := fakeServerFlagsCheck(e, f.addr, f.rate, f.concurrent); err != nil {
		return e.fail(err, nil)
	}
	if where := chartmogultest.Exposed(f.addr); where != "" {
		fmt.Fprintf(e.errOut(), "fake-server: warning: --addr %s listens on %s: the fake is reachable from other machines, "+
			"and without TLS the API key crosses the network in clear text; use 127.0.0.1 unless it runs in a container\n", f.addr, where)
	}
	opts, keySource := e.fakeServerOptions(f)
	// The first signal stops the fake, a second one cuts the requests
	// being served.
	first, stopped := context.WithCancel(context.Background())
	second, cut := context.WithCancel(context.Background())
	defer e.onSignal(func(n int, _ os.Signal) {
		if n == 1 {
			stopped()
		} else {
			cut()
		}
	})()
	srv, err := chartmogultest.Start(opts...)
	if err != nil {
		return e.fail(fmt.Errorf("starting the fake: %w", err), nil)
	}
	fmt.Fprintf(e.stdout, "fake-server: listening on %s\n", srv.URL())
	fmt.Fprintf(e.stdout, "fake-server: API key: %s; admin endpoint: %s; Ctrl-C stops\n", keySource, srv.AdminURL())
	<-first.Done()
	return e.stopFakeServer(srv, second)
}

// fakeServerOptions are the fake's options for the flags, and where its key
// comes from, for the banner.
func (e *env) fakeServerOptions(f fakeServerFlags) (opts []chartmogultest.Option, keySource string) {
	key := e.apiKey()
	keySource = "from --api-key or $" + envAPIKey + " (not shown)"
	if strings.TrimSpace(key) == "" {
		key, keySource = chartmogultest.DefaultAPIKey, `the default test key "`+chartmogultest.DefaultAPIKey+`"`
	}
	opts = []chartmogultest.Option{
		chartmogultest.WithAddr(f.addr),
		chartmogultest.WithAPIKey(key),
		chartmogultest.WithBasePath(f.basePath),
		chartmogultest.WithRateLimit(f.rate, f.retryAfter),
		chartmogultest.WithMaxConcurrent(f.concurrent),
		chartmogultest.WithAdmin(chartmogultest.DefaultAdminPath),
	}
	if f.seed { // stored again by the admin reset
		opts = append(opts, chartmogultest.WithSeed(chartmogultest.DocumentationSeed()...))
	}
	if !f.quiet {
		opts = append(opts, chartmogultest.WithRequestLog(slog.New(slog.NewTextHandler(e.errOut(), nil))))
	}
	return opts, keySource
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

// fakeServerFlagsCheck refuses what fake-server cannot do, naming the flag.
func fakeServerFlagsCheck(e *env, addr string, rate, conc int) error {
	if e.g.fake || e.g.baseURL != "" {
		return usagef("--fake and --base-url are for the client commands; fake-server takes --addr and --base-path")
	}
	if err := chartmogultest.CheckAddr(addr); err != nil {
		return usagef("--addr %q: %v", addr, err)
	}
	if rate < 0 {
		return usagef("--rate-limit must not be negative, got %d", rate)
	}
	if conc < 0 {
		return usagef("--max-concurrent must not be negative, got %d", conc)
	}
	return nil
}
