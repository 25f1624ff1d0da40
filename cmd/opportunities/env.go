package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/apikey"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// env is what a command runs with: its streams, the environment and the
// global flags.
type env struct {
	stdin                io.Reader
	stdout, stderr       io.Writer
	getenv               func(string) string
	stdoutTTY, stderrTTY bool
	width                func() int // stderr's width in columns, for the progress bar
	g                    globals
	cmd                  string       // the command being run, for messages
	interrupted          atomic.Int32 // the exit status a signal calls for, 0 if none came
	key                  string       // the API key in use, to redact from messages
	keyRead              bool         // key (or keyErr) is settled: the key file is read once
	keyErr               error        // reading --api-key-file failed
	red                  *safetext.Redactor
	redFor               string // the key red was made for
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

// redactor returns the redactor for the key in use.
func (e *env) redactor() *safetext.Redactor {
	if e.red == nil || e.redFor != e.key {
		e.red, e.redFor = safetext.NewRedactor(e.key), e.key
	}
	return e.red
}

// minDataKey is the shortest key that is redacted from data printed on
// stdout. Data is what a server returned (an opportunity, a page): a short key
// would match ordinary text in it ("USD", a cursor, a field name) and corrupt
// it. Errors and log lines on stderr are redacted whatever the key's length.
const minDataKey = 8

// dataRedactor is the redactor for data on stdout: none under --fake (the key
// is never sent, so no server can echo it) or for a key shorter than
// minDataKey.
func (e *env) dataRedactor() *safetext.Redactor {
	if e.g.fake || len(e.key) < minDataKey {
		return nil
	}
	return e.redactor()
}

// redactData returns s as stdout prints data: the key redacted (see
// dataRedactor), control characters escaped.
func (e *env) redactData(s string) string {
	return safetext.Escape(e.dataRedactor().String(s), 0)
}

// client returns a client for the global flags, plus a function to call when
// done (it stops the embedded fake under --fake).
func (e *env) client(extra ...wrapper.Option) (*wrapper.Client, func(), error) {
	if err := e.checkRetries(); err != nil {
		return nil, nil, err
	}
	if e.g.timeout < 0 {
		return nil, nil, usagef("--timeout must not be negative, got %v", e.g.timeout)
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
		log := slog.New(slog.NewTextHandler(e.errOut(), &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: verboseAttr}))
		opts = append(opts, wrapper.WithLogger(log))
	}
	c, err := wrapper.NewClient(key, opts...)
	if err != nil {
		done()
		return nil, nil, usagef("%v", err) // a bad option; never contains the key
	}
	return c, done, nil
}

// checkRetries checks --retries (import checks it under --check too).
func (e *env) checkRetries() error {
	if e.g.retries < 0 || e.g.retries > wrapper.MaxRetryAttempts-1 {
		return usagef("--retries must be between 0 and %d, got %d", wrapper.MaxRetryAttempts-1, e.g.retries)
	}
	return nil
}

// endpoint is the API key and base URL to talk to: those of an embedded fake
// under --fake (done stops it), else those of target.
func (e *env) endpoint() (key, base string, done func(), err error) {
	if !e.g.fake {
		key, base, err = e.target()
		return key, base, func() {}, err
	}
	srv, err := chartmogultest.Start(chartmogultest.WithSeed(chartmogultest.DocumentationSeed()...))
	if err != nil {
		return "", "", nil, fmt.Errorf("starting the embedded fake: %w", err)
	}
	return srv.APIKey(), srv.URL(), srv.Close, nil
}

// target is the API key and base URL of a command that talks to a real
// API: the key is required and the base URL checked (see checkBaseURL).
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
		return "", "", usagef("no API key: set $%s or pass --api-key-file (or --api-key%s)", envAPIKey, hint)
	}
	base = cmp.Or(e.g.baseURL, e.getenv(envBaseURL), wrapper.DefaultBaseURL)
	if err := checkBaseURL(base); err != nil {
		return "", "", err
	}
	if u, err := url.Parse(base); err == nil && strings.Trim(u.Path, "/") == "" {
		// Every path is then answered 404 by ChartMogul: say why up front.
		fmt.Fprintf(e.errOut(), "opportunities: warning: the base URL %s has no version path; ChartMogul's API is under /v1 (%s)\n",
			base, wrapper.DefaultBaseURL)
	}
	return key, base, nil
}

// checkBaseURL is the wrapper's check of a base URL (https, or http on a
// loopback host only, so the key never crosses a network in clear text), its
// refusals worded for a shell user: WithInsecureHTTP is a Go option the
// command does not offer, and the key is passed with $CHARTMOGUL_API_KEY or
// --api-key-file.
func checkBaseURL(base string) error {
	err := wrapper.CheckBaseURL(base)
	switch {
	case err == nil, errors.Is(err, wrapper.ErrBaseURLQuery):
		// Left to NewClient, which refuses it in its own words; verify's
		// checker, which does not use NewClient, has always taken it.
		return nil
	case errors.Is(err, wrapper.ErrBaseURLNotAbsolute):
		return usagef("--base-url must be an absolute URL such as %s", wrapper.DefaultBaseURL)
	case errors.Is(err, wrapper.ErrBaseURLCredentials):
		return usagef("--base-url must not carry credentials; pass the key with $%s or --api-key-file", envAPIKey)
	case errors.Is(err, wrapper.ErrBaseURLInsecure):
		return usagef("--base-url: http is only allowed on a loopback address (127.0.0.1, [::1] or localhost, " +
			"such as http://127.0.0.1:12111/v1 for 'opportunities fake-server'); use https for any other host")
	case errors.Is(err, wrapper.ErrBaseURLScheme):
		return usagef("--base-url must be https (or http on a loopback address, such as http://127.0.0.1:12111/v1)")
	}
	return usagef("%v", err)
}

// verboseAttr keeps --verbose's lines as they have always been: without the
// time (they are read as they come), and with each request, which the
// wrapper logs at level Debug, at INFO.
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

// apiKey is the key the command uses without --fake: --api-key, else the
// first line of --api-key-file, else $CHARTMOGUL_API_KEY (see
// apikey.Sources). It is also noted for redaction, so that messages printed
// before the client exists (an import's bad rows) are redacted too; under
// --fake as well, since the key is a secret all the same. The key file is
// read once; a failure to read it is reported by target.
func (e *env) apiKey() string {
	if e.keyRead {
		return e.key
	}
	e.keyRead = true
	src := apikey.Sources{Flag: e.g.apiKey, File: e.g.apiKeyFile, Env: e.getenv(envAPIKey), Stdin: e.stdin,
		Warn: func(msg string) { fmt.Fprintf(e.stderr, "opportunities: warning: %s\n", msg) }}
	var err error
	if e.key, err = src.Resolve(); err != nil {
		e.keyErr = usagef("%v", err)
	}
	return e.key
}

// errOut is stderr with the API key redacted, in every form a server could
// echo it, and control characters other than line breaks and tabs escaped.
// Each write must hold whole messages.
func (e *env) errOut() io.Writer {
	return safetext.NewWriter(e.stderr, e.redactor(), "\n\t\r")
}

// redact returns s with the API key replaced, as errOut writes it, and
// control characters escaped.
func (e *env) redact(s string) string {
	return safetext.Escape(e.redactor().String(s), 0)
}

// fail reports err on stderr and returns its exit status: 2 for a usage or
// validation error (nothing was sent), else 1. A validation error lists each
// problem once, one a line; flagNames, when given, adds the flag that sets
// each field. The API key is redacted from every message, should one ever
// carry it (a key pasted into --base-url, say).
func (e *env) fail(err error, flagNames map[string]string) int {
	stderr := e.errOut()
	prefix := "opportunities"
	if e.cmd != "" {
		prefix += " " + e.cmd
	}
	var ve *wrapper.ValidationError
	var ue *usageError
	switch {
	case errors.As(err, &ve):
		var b strings.Builder
		fmt.Fprintf(&b, "%s: invalid input, nothing was sent:\n", prefix)
		for _, p := range ve.Problems {
			fmt.Fprintf(&b, "  %s: %s\n", fieldWithFlag(p.Field, flagNames), p.Problem)
		}
		fmt.Fprint(stderr, b.String())
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", prefix, ue.msg, prefix)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "%s: interrupted: %v\n", prefix, err)
		return exitError
	}
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	return exitError
}

// fieldWithFlag names a field and, when known, the flag that sets it:
// "pipeline_stage (--stage)".
func fieldWithFlag(field string, flagNames map[string]string) string {
	if flagNames == nil {
		return field
	}
	if f, ok := flagNames[field]; ok {
		return field + " (--" + f + ")"
	}
	if strings.HasPrefix(field, "custom") {
		return field + " (--custom)"
	}
	return field
}
