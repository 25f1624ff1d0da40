// Command opportunities is a command-line client for ChartMogul's
// Opportunities API, built on packages wrapper and bulk: create, get, update,
// delete and list opportunities, and import many at once from a JSON Lines or
// CSV file with a crash-safe journal that makes a rerun create every row
// exactly once.
//
// Usage, output and exit statuses are in "opportunities --help" (whose text
// is help/opportunities.txt) and "opportunities COMMAND --help".
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/iostreams"
)

// Exit statuses; a signal's is 128 + the signal, the shell's convention.
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
	e := &env{ios: iostreams.System(), getenv: os.Getenv}
	os.Exit(run(e, os.Args[1:]))
}

// run runs the command line args (without the program name) and returns the
// exit status: the command's (see command), or that of cobra's error.
func run(e *env, args []string) int {
	root := newRoot(e)
	args = normalizeArgs(root, args)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if cmd != nil && cmd != root {
		e.cmd = strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ")
	}
	var code cmdutil.ExitStatus
	var ue *cmdutil.UsageError
	switch {
	case errors.As(err, &code):
	case err != nil:
		if k := cmdutil.LastValue(args, "api-key"); k != "" && !e.keyRead {
			e.g.apiKey = k // the parse may have stopped before it, or at an earlier one
		}
		if f := cmdutil.LastValue(args, "api-key-file"); f != "" && f != "-" && !e.keyRead && e.g.apiKeyFile == "" {
			e.g.apiKeyFile = f // likewise (stdin is not read for a message)
		}
		e.apiKey() // noted, so that the message is redacted
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe): // cobra failed to print the version or a completion script
			err = fmt.Errorf("writing the output: %w", err)
		case !errors.As(err, &ue):
			err = &cmdutil.UsageError{Msg: err.Error()} // an unknown command or flag, a bad flag value
		}
		code = cmdutil.ExitStatus(e.fail(err, false))
	}
	if s := e.interrupted.Load(); s != 0 && code == exitError {
		return int(s) // 130 (or 143, 129) instead of a failure a signal caused
	}
	return int(code)
}

// onSignal is cmdutil.OnSignal.
func (e *env) onSignal(f func(n int, s os.Signal)) (stop func()) { return cmdutil.OnSignal(f) }

// signalContext is cancelled by the first signal, which sets the exit status
// (see noteSignal); stop cancels it too, and lets the next signal end the
// process.
func (e *env) signalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	unwatch := cmdutil.OnSignal(func(_ int, s os.Signal) {
		e.noteSignal(s)
		cancel()
	})
	return ctx, func() { unwatch(); cancel() }
}

// noteSignal records the first signal that interrupted the command: the
// command exits 128 + its number if it then fails (see run).
func (e *env) noteSignal(s os.Signal) {
	if n, ok := s.(syscall.Signal); ok {
		e.interrupted.CompareAndSwap(0, 128+int32(n))
	}
}
