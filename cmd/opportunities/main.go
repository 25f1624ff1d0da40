// Command opportunities is a command-line client for ChartMogul's
// Opportunities API, built on package wrapper: create, get, update, delete and
// list opportunities, and import many at once from a JSON Lines or CSV file
// with a crash-safe journal that makes a rerun create every row exactly once.
//
// Usage:
//
//	opportunities [global flags] COMMAND [flags] [args]
//
// Run "opportunities --help" for the commands and global flags, and
// "opportunities COMMAND --help" for one command's flags and examples. The
// command tree, help, shell completion ("opportunities completion bash") and
// "did you mean" suggestions come from spf13/cobra.
//
// Output is JSON on stdout in the API's own shape when stdout is not a
// terminal; on a terminal, a table or a readable block (--output chooses).
// Errors go to stderr. The exit status is 0 on success, 1 on an API or
// network error (or a partly failed import), 2 on a usage or validation
// error, in which case nothing was sent, and 130 after Ctrl-C (143 after
// SIGTERM).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"

	"github.com/mogulkit/opportunities/internal/safetext"
)

// Exit statuses.
const (
	exitOK    = 0 // success
	exitError = 1 // API, network or journal error; an import row failed
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
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		width:     func() int { return termWidth(os.Stderr) },
	}
	os.Exit(run(e, os.Args[1:]))
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// termWidth is f's width in columns, 80 when it cannot be known.
func termWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}

// exitStatus is a command's result once it has reported it: run returns
// its code.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// status turns a command's exit code into the error cobra passes up.
func status(code int) error {
	if code == exitOK {
		return nil
	}
	return exitStatus(code)
}

// run runs the command line args (without the program name) and returns the
// exit status.
func run(e *env, args []string) int {
	root := newRoot(e)
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteC()
	if cmd != nil && cmd != root {
		e.cmd = cmd.Name()
	}
	var es exitStatus
	switch {
	case err == nil:
		return e.signalled(exitOK)
	case errors.As(err, &es):
		return e.signalled(int(es))
	}
	e.apiKey() // noted, so that the message is redacted
	return e.fail(asUsage(err), nil)
}

// asUsage marks an error from cobra (an unknown command or flag, a bad flag
// value) as a usage error.
func asUsage(err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	return &usageError{msg: err.Error()}
}

// usageError is a mistake in the command line or the input: nothing was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// Exit statuses after a signal, the shell's convention (128 + the signal).
const (
	exitSIGHUP  = 128 + 1
	exitSIGINT  = 128 + 2
	exitSIGTERM = 128 + 15
)

// onSignal calls f for each SIGINT, SIGTERM or SIGHUP, n counting them from 1,
// until stop (which waits for a call under way). While it watches, no
// signal ends the process.
func (e *env) onSignal(f func(n int, s os.Signal)) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for n := 1; ; n++ {
			select {
			case s := <-sigs:
				f(n, s)
			case <-done:
				return
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			watch.Wait()
		})
	}
}

// signalContext is cancelled by the first signal, which sets the exit status
// (see onSignal, signalled); stop cancels it too, and lets the next signal
// end the process.
func (e *env) signalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	unwatch := e.onSignal(func(_ int, s os.Signal) {
		e.noteSignal(s)
		cancel()
	})
	return ctx, func() { unwatch(); cancel() }
}

// noteSignal records the first signal that interrupted the command.
func (e *env) noteSignal(s os.Signal) {
	code := int32(exitSIGINT)
	switch s {
	case syscall.SIGTERM:
		code = exitSIGTERM
	case syscall.SIGHUP:
		code = exitSIGHUP
	}
	e.interrupted.CompareAndSwap(0, code)
}

// signalled is the exit status of a command that ended with code: 130 (or
// 143, 129) instead of a failure when a signal interrupted it. A command
// that still succeeded (fake-server stopping cleanly) keeps its 0.
func (e *env) signalled(code int) int {
	if s := e.interrupted.Load(); s != 0 && code == exitError {
		return int(s)
	}
	return code
}

// out is stdout with the API key redacted (a server could echo it in any
// field).
func (e *env) out() io.Writer {
	r := e.dataRedactor()
	if !r.Active() {
		return e.stdout
	}
	return safetext.NewWriter(e.stdout, r, "")
}
