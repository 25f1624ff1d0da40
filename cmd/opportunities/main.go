// Command opportunities is a command-line client for ChartMogul's
// Opportunities API, built on package wrapper: create, get, update, delete and
// list opportunities, and import many at once from a JSON Lines or CSV file
// with a crash-safe journal that makes a rerun create every row exactly once.
//
// Usage:
//
//	opportunities [global flags] COMMAND [flags] [args]
//
// Run "opportunities help" for the commands and global flags, and
// "opportunities COMMAND --help" for one command's flags and examples.
//
// Output is JSON on stdout in the API's own shape; errors go to stderr.
// The exit status is 0 on success, 1 on an API or network error (or an
// interrupted or partly failed import) and 2 on a usage or validation error, in
// which case nothing was sent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// Exit statuses.
const (
	exitOK    = 0 // success
	exitError = 1 // API, network or journal error; interrupted; an import row failed
	exitUsage = 2 // usage or validation error: nothing was sent
)

// Environment variables read for the global flags' defaults.
const (
	envAPIKey  = "CHARTMOGUL_API_KEY"
	envBaseURL = "CHARTMOGUL_BASE_URL"
)

func main() {
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stderrTTY: isTerminal(os.Stderr),
	}
	os.Exit(run(e, os.Args[1:]))
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// env is what a command runs with: its streams, the environment and the
// global flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrTTY      bool
	g              globals
	cmd            string // the command being run, for messages
	key            string // the API key in use, to redact from messages
	keyRead        bool   // key (or keyErr) is settled: the key file is read once
	keyErr         error  // reading --api-key-file failed
	red            *safetext.Redactor
	redFor         string // the key red was made for
}

// redactor returns the redactor for the key in use.
func (e *env) redactor() *safetext.Redactor {
	if e.red == nil || e.redFor != e.key {
		e.red, e.redFor = safetext.NewRedactor(e.key), e.key
	}
	return e.red
}

// globals are the flags accepted before the command (and after it too).
type globals struct {
	apiKey     string
	apiKeyFile string
	baseURL    string
	fake       bool
	timeout    time.Duration
	retries    int
}

// globalNames lists the global flags, to tell them apart in a command's help.
var globalNames = map[string]bool{"api-key": true, "api-key-file": true, "base-url": true, "fake": true, "timeout": true, "retries": true}

// register defines the global flags on fs, bound to g. The current values are
// kept, so the flags can be given both before and after the command.
func (g *globals) register(fs *flag.FlagSet) {
	fs.Var(secretValue{&g.apiKey}, "api-key", "the API `key` of a user with a CRM seat (default $"+envAPIKey+").\n"+
		"Visible to every user of this machine in the process list (ps): prefer $"+envAPIKey+" or --api-key-file")
	fs.StringVar(&g.apiKeyFile, "api-key-file", g.apiKeyFile, "read the API key from the first line of `FILE` (- for stdin; only that line is read,\n"+
		"so --file - can follow it). A warning is printed when other users can read FILE")
	fs.StringVar(&g.baseURL, "base-url", g.baseURL, "API base URL, version path included (default $"+envBaseURL+", else "+wrapper.DefaultBaseURL+")")
	fs.BoolVar(&g.fake, "fake", g.fake, "run against an embedded fake API in this process: no key, no network. It starts with two\n"+
		"opportunities from ChartMogul's documentation, "+fakeOpportunityUUID+"\n"+
		"(customer "+fakeOpportunityCustomer+") and "+fakeSeedUUID+"\n"+
		"(customer "+fakeSeedCustomer+"), so every example in the help works\n"+
		"with --fake; what a command changes ends with the command")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, fmt.Sprintf("bound on each attempt of a request, 0 for none (default %v)", wrapper.DefaultTimeout))
	fs.IntVar(&g.retries, "retries", g.retries, fmt.Sprintf("at most `n` retries of a failed request, after the first attempt; 0 for none (default %d).\n"+
		"Retried: 429, 503 and a refused connection; other 5xx and timeouts too, except for create\n(which may have been applied)", defaultRetries))
}

// defaultRetries is --retries' default: the wrapper's default policy, whose
// MaxAttempts counts the first attempt too.
var defaultRetries = wrapper.DefaultRetryPolicy().MaxAttempts - 1

// secretValue is a flag.Value that never shows what it holds, so the API key
// cannot end up in help output or an error message.
type secretValue struct{ p *string }

func (s secretValue) String() string { return "" }

func (s secretValue) Set(v string) error {
	*s.p = v
	return nil
}

// usageError is a mistake in the command line or the input: nothing was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the exit status.
func exitCode(err error) int {
	var ue *usageError
	var ve *wrapper.ValidationError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &ve):
		return exitUsage
	default:
		return exitError
	}
}

// run runs the command line args (without the program name) and returns the
// exit status.
func run(e *env, args []string) int {
	e.g = globals{timeout: wrapper.DefaultTimeout, retries: defaultRetries}
	fs := flag.NewFlagSet("opportunities", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printMainHelp(e.stdout)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "opportunities: %v\nRun 'opportunities help' for usage.\n", err)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(e.stderr, "opportunities: no command given")
		printMainUsage(e.stderr)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return runHelp(e, rest)
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "opportunities: unknown command %q\nRun 'opportunities help' for usage.\n", name)
		return exitUsage
	}
	e.cmd = c.name
	return c.run(e, c, rest)
}

// parseFlags parses a command's args with its flags plus the global ones.
// Flags may come before, between or after the positional arguments ("--"
// ends the flags). On --help it prints the command's help to stdout and
// returns flag.ErrHelp; on a mistake it returns a *usageError.
func (e *env) parseFlags(c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	e.g.register(fs)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(e.stdout, c, fs)
			return nil, err
		}
		if err != nil {
			return nil, usagef("%v", err)
		}
		left := fs.Args()
		consumed := len(args) - len(left)
		if consumed > 0 && args[consumed-1] == "--" {
			e.apiKey() // noted, so that every message from here on is redacted
			return append(pos, left...), nil
		}
		if len(left) == 0 {
			e.apiKey()
			return pos, nil
		}
		pos = append(pos, left[0])
		args = left[1:]
	}
}

// client returns a client for the global flags, plus a function to call when
// done (it stops the embedded fake under --fake).
func (e *env) client(extra ...wrapper.Option) (*wrapper.Client, func(), error) {
	if e.g.retries < 0 || e.g.retries > wrapper.MaxRetryAttempts-1 {
		return nil, nil, usagef("--retries must be between 0 and %d, got %d", wrapper.MaxRetryAttempts-1, e.g.retries)
	}
	if e.g.timeout < 0 {
		return nil, nil, usagef("--timeout must not be negative, got %v", e.g.timeout)
	}
	key, base := e.g.apiKey, e.g.baseURL
	done := func() {}
	if e.g.fake {
		srv, err := chartmogultest.Start()
		if err != nil {
			return nil, nil, fmt.Errorf("starting the embedded fake: %w", err)
		}
		srv.Seed(fakeSeed()...)
		key, base, done = srv.APIKey(), srv.URL(), srv.Close
	} else {
		key = e.apiKey()
		if e.keyErr != nil {
			return nil, nil, e.keyErr
		}
		if strings.TrimSpace(key) == "" {
			return nil, nil, usagef("no API key: set $%s or pass --api-key-file (or --api-key, or try --fake)", envAPIKey)
		}
		if base == "" {
			base = e.getenv(envBaseURL)
		}
		if base == "" {
			base = wrapper.DefaultBaseURL
		}
	}
	policy := wrapper.DefaultRetryPolicy()
	policy.MaxAttempts = e.g.retries + 1
	opts := append([]wrapper.Option{
		wrapper.WithBaseURL(base),
		wrapper.WithTimeout(e.g.timeout),
		wrapper.WithRetryPolicy(policy),
		wrapper.WithUserAgent("opportunities-cli " + wrapper.DefaultUserAgent),
	}, extra...)
	c, err := wrapper.NewClient(key, opts...)
	if err != nil {
		done()
		return nil, nil, usagef("%v", err) // bad base URL or option; never contains the key
	}
	return c, done, nil
}

// apiKey is the key the command uses without --fake: --api-key, else the
// first line of --api-key-file, else $CHARTMOGUL_API_KEY. It is also noted
// for redaction, so that messages printed before the client exists (an
// import's bad rows) are redacted too; under --fake as well, since the key is
// a secret all the same. The key file is read once; a failure to read it is
// reported by client.
func (e *env) apiKey() string {
	if e.keyRead {
		return e.key
	}
	e.keyRead = true
	key := e.g.apiKey
	switch {
	case key != "" && e.g.apiKeyFile != "":
		e.keyErr = usagef("--api-key and --api-key-file cannot be combined")
	case key == "" && e.g.apiKeyFile != "":
		key, e.keyErr = e.readKeyFile(e.g.apiKeyFile)
	case key == "":
		key = e.getenv(envAPIKey)
	}
	e.key = key
	return key
}

// maxKeyLine bounds the line read as a key.
const maxKeyLine = 4 << 10

// readKeyFile reads the first line of name ("-": stdin), trimmed. Stdin is
// read one byte at a time, so that what follows the line is left for --file -.
// It warns on stderr when the file can be read by other users.
func (e *env) readKeyFile(name string) (string, error) {
	var r io.Reader
	if name == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return "", usagef("--api-key-file: %v", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o044 != 0 {
			fmt.Fprintf(e.stderr, "opportunities: warning: the key file %s can be read by other users (mode %04o); chmod 600 %s\n",
				name, fi.Mode().Perm(), name)
		}
		r = f
	}
	var line []byte
	var b [1]byte
	for len(line) <= maxKeyLine {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", usagef("--api-key-file %s: %v", name, err)
		}
	}
	if len(line) > maxKeyLine {
		return "", usagef("--api-key-file %s: the first line is longer than %d bytes: not a key", name, maxKeyLine)
	}
	key := strings.TrimSpace(string(line))
	if key == "" {
		return "", usagef("--api-key-file %s: the first line is empty", name)
	}
	return key, nil
}

// errOut is stderr with the API key redacted, in every form a server could
// echo it, and control characters other than line breaks and tabs escaped.
// Each write must hold whole messages.
func (e *env) errOut() io.Writer {
	return &redactor{w: e.stderr, red: e.redactor(), keep: "\n\t\r"}
}

// out is stdout with the API key redacted (a server could echo it in any
// field).
func (e *env) out() io.Writer {
	if !e.redactor().Active() {
		return e.stdout
	}
	return &redactor{w: e.stdout, red: e.redactor()}
}

// redact returns s with the API key replaced, as errOut writes it, and
// control characters escaped.
func (e *env) redact(s string) string {
	return safetext.EscapeKeeping(e.redactor().String(s), "")
}

// signalContext is cancelled on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// fail reports err on stderr and returns its exit status. A validation error
// is reported one problem per line; flagNames, when given, adds the flag
// that sets each field. The API key is redacted from every message, should
// one ever carry it (a key pasted into --base-url, say).
func (e *env) fail(err error, flagNames map[string]string) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	stderr := e.errOut()
	prefix := "opportunities"
	if e.cmd != "" {
		prefix += " " + e.cmd
	}
	var ve *wrapper.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintf(stderr, "%s: invalid input: %s: %s\n", prefix, fieldWithFlag(p.Field, flagNames), p.Problem)
		}
		fmt.Fprintln(stderr, prefix+": nothing was sent")
		return exitUsage
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %s\nRun 'opportunities %s --help' for usage.\n", prefix, ue.msg, e.cmd)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "%s: interrupted: %v\n", prefix, err)
		return exitError
	}
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	return exitCode(err)
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

// redactor writes through to w with every form of the key replaced and,
// when keep is set, control characters other than those in keep escaped.
// Each write must hold whole messages (fail writes whole lines).
type redactor struct {
	w    io.Writer
	red  *safetext.Redactor
	keep string
}

func (r *redactor) Write(p []byte) (int, error) {
	s := r.red.String(string(p))
	if r.keep != "" {
		s = safetext.EscapeKeeping(s, r.keep)
	}
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
