package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/apikey"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/iostreams"
	"github.com/mogulkit/opportunities/wrapper"
)

// env is what a command runs with: its streams (the API key redacted from
// what they print), the environment and the global flags.
type env struct {
	ios         *iostreams.IO
	getenv      func(string) string
	g           globals
	cmd         string         // the command being run, for messages
	flags       *pflag.FlagSet // its flags
	interrupted atomic.Int32   // the exit status a signal calls for, 0 if none came
	keyRead     bool           // the key (or keyErr) is settled: the key file is read once
	keyErr      error          // reading --api-key-file failed
}

// globals are the flags accepted before the command and after it.
type globals struct {
	apiKey     string
	apiKeyFile string
	baseURL    string
	fake       bool
	verbose    bool
	timeout    time.Duration
	retries    int
}

// defaultRetries is --retries' default: the wrapper's default policy, whose
// MaxAttempts counts the first attempt too.
var defaultRetries = wrapper.DefaultRetryPolicy().MaxAttempts - 1

// client returns a client for the global flags; done stops the embedded fake
// under --fake.
func (e *env) client(extra ...wrapper.Option) (*wrapper.Client, func(), error) {
	if err := e.g.check(); err != nil {
		return nil, nil, err
	}
	key, base, done, err := e.endpoint()
	if err != nil {
		return nil, nil, err
	}
	policy := wrapper.DefaultRetryPolicy()
	policy.MaxAttempts = e.g.retries + 1
	opts := append([]wrapper.Option{
		wrapper.WithBaseURL(base),
		wrapper.WithTimeout(e.g.timeout),
		wrapper.WithRetryPolicy(policy),
		wrapper.WithUserAgent("opportunities-cli " + wrapper.DefaultUserAgent),
	}, extra...)
	if e.g.verbose {
		log := slog.New(slog.NewTextHandler(e.ios.Stderr(), &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: verboseAttr}))
		opts = append(opts, wrapper.WithLogger(log))
	}
	c, err := wrapper.NewClient(key, opts...)
	if err != nil {
		done()
		return nil, nil, cmdutil.Usagef("%v", err) // a bad option; never contains the key
	}
	return c, done, nil
}

// check checks the values of the global flags a client uses.
func (g *globals) check() error {
	switch {
	case g.retries < 0 || g.retries > wrapper.MaxRetryAttempts-1:
		return cmdutil.Usagef("--retries must be between 0 and %d, got %d", wrapper.MaxRetryAttempts-1, g.retries)
	case g.timeout < 0:
		return cmdutil.Usagef("--timeout must not be negative, got %v", g.timeout)
	}
	return nil
}

// endpoint is the API key and base URL to talk to: an embedded fake's under
// --fake (done stops it), else target's.
func (e *env) endpoint() (key, base string, done func(), err error) {
	if !e.g.fake {
		key, base, err = e.target()
		return key, base, func() {}, err
	}
	if e.g.baseURL != "" {
		fmt.Fprintf(e.ios.Stderr(), "opportunities: warning: --fake runs against the embedded fake; --base-url %s is not used\n", e.g.baseURL)
	}
	srv, err := chartmogultest.Start(chartmogultest.WithSeed(chartmogultest.DocumentationSeed()...))
	if err != nil {
		return "", "", nil, fmt.Errorf("starting the embedded fake: %w", err)
	}
	return srv.APIKey(), srv.URL(), srv.Close, nil
}

// target is the API key (required) and the base URL (checked) of a real API.
func (e *env) target() (key, base string, err error) {
	key = e.apiKey()
	if e.keyErr != nil {
		return "", "", e.keyErr
	}
	if strings.TrimSpace(key) == "" {
		hint := ", or try --fake"
		if e.cmd == "verify" {
			hint = ""
		}
		return "", "", cmdutil.Usagef("no API key: set $%s or pass --api-key-file (or --api-key%s)", envAPIKey, hint)
	}
	base = cmp.Or(e.g.baseURL, e.getenv(envBaseURL), wrapper.DefaultBaseURL)
	if err := checkBaseURL(base); err != nil {
		return "", "", err
	}
	if u, err := url.Parse(base); err == nil && strings.Trim(u.Path, "/") == "" {
		// Every path is then answered 404 by ChartMogul: say why up front.
		fmt.Fprintf(e.ios.Stderr(), "opportunities: warning: the base URL %s has no version path; ChartMogul's API is under /v1 (%s)\n",
			base, wrapper.DefaultBaseURL)
	}
	return key, base, nil
}

// checkBaseURL is wrapper.CheckBaseURL worded for a shell user, who has no
// WithInsecureHTTP option and passes the key with $CHARTMOGUL_API_KEY.
func checkBaseURL(base string) error {
	err := wrapper.CheckBaseURL(base)
	switch {
	case err == nil, errors.Is(err, wrapper.ErrBaseURLQuery):
		// Left to NewClient, which refuses it in its own words; verify's
		// checker, which does not use NewClient, has always taken it.
		return nil
	case errors.Is(err, wrapper.ErrBaseURLNotAbsolute):
		return cmdutil.Usagef("--base-url must be an absolute URL such as %s", wrapper.DefaultBaseURL)
	case errors.Is(err, wrapper.ErrBaseURLCredentials):
		return cmdutil.Usagef("--base-url must not carry credentials; pass the key with $%s or --api-key-file", envAPIKey)
	case errors.Is(err, wrapper.ErrBaseURLInsecure):
		return cmdutil.Usagef("--base-url: http is only allowed on a loopback address (127.0.0.1, [::1] or localhost, " +
			"such as http://127.0.0.1:12111/v1 for 'opportunities fake-server'); use https for any other host")
	case errors.Is(err, wrapper.ErrBaseURLScheme):
		return cmdutil.Usagef("--base-url must be https (or http on a loopback address, such as http://127.0.0.1:12111/v1)")
	}
	return cmdutil.Usagef("%v", err)
}

// verboseAttr keeps --verbose's lines as they have always been: no time, and
// the wrapper's Debug request lines at INFO.
func verboseAttr(groups []string, a slog.Attr) slog.Attr {
	switch {
	case len(groups) > 0:
	case a.Key == slog.TimeKey:
		return slog.Attr{}
	case a.Key == slog.LevelKey && a.Value.Any() == slog.LevelDebug:
		return slog.String(slog.LevelKey, slog.LevelInfo.String())
	}
	return a
}

// apiKey is the key without --fake (see apikey.Sources), read once (target
// reports a failure) and noted for redaction, under --fake too, so that
// messages printed before a client exists are redacted as well.
func (e *env) apiKey() string {
	if e.keyRead {
		return e.ios.Key
	}
	e.keyRead = true
	if e.g.apiKeyFile == "" && e.flags != nil && e.flags.Changed("api-key-file") {
		e.keyErr = cmdutil.Usagef("--api-key-file needs a path (- for stdin)")
		return ""
	}
	src := apikey.Sources{Flag: e.g.apiKey, File: e.g.apiKeyFile, Env: e.getenv(envAPIKey), Stdin: e.ios.In,
		Warn: func(msg string) { fmt.Fprintf(e.ios.Err, "opportunities: warning: %s\n", msg) }}
	key, err := src.Resolve()
	if err != nil {
		e.keyErr = cmdutil.Usagef("%v", err)
	}
	e.ios.Key, e.ios.KeyUnseen = key, e.g.fake // under --fake no server sees it
	return key
}

// fail reports err on stderr (redacted) and returns the exit status: 2 for a
// usage or validation error (nothing was sent), else 1. A validation error
// lists each problem once, one a line, naming the flag that sets the field
// when byFlag.
func (e *env) fail(err error, byFlag bool) int {
	stderr := e.ios.Stderr()
	prefix := "opportunities"
	if e.cmd != "" {
		prefix += " " + e.cmd
	}
	var ve *wrapper.ValidationError
	var ue *cmdutil.UsageError
	var flags *pflag.FlagSet // the flags problems are named by
	if byFlag {
		flags = e.flags
	}
	switch {
	case errors.As(err, &ve):
		var b strings.Builder
		fmt.Fprintf(&b, "%s: invalid input, nothing was sent:\n", prefix)
		for _, p := range ve.Problems {
			fmt.Fprintf(&b, "  %s: %s\n", fieldWithFlag(flags, p.Field), p.Problem)
		}
		fmt.Fprint(stderr, b.String())
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", prefix, ue.Msg, prefix)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "%s: interrupted: %v\n", prefix, err)
		return exitError
	}
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	return exitError
}

// fieldWithFlag is "pipeline_stage (--stage)" when one of flags sets the
// field, else the field alone (flags nil: none).
func fieldWithFlag(flags *pflag.FlagSet, field string) string {
	name := flagName(field)
	if field == "custom" || strings.HasPrefix(field, "custom.") || strings.HasPrefix(field, "custom[") {
		name = "custom"
	}
	if field == "" || flags == nil || flags.Lookup(name) == nil {
		return field
	}
	return field + " (--" + name + ")"
}
