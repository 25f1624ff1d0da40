// Package cmdutil is the command-line plumbing of cmd/opportunities that is
// not about opportunities, as gh keeps its own in pkg/cmdutil: the
// compatibility of older command lines with cobra's parser, flag errors in
// plain words, a flag value that never shows, the version, and signals.
package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NormalizeArgs keeps the command lines of earlier versions, parsed by Go's
// flag package, working with cobra's parser: a long flag written with one
// dash (-api-key) gets its second dash, and "--NAME V" becomes "--NAME=V"
// when join says so (for a flag whose value is optional, which the parser
// would not take from the next argument). The values of flags are stepped
// over, so that they are never rewritten; "--" ends the flags. A name no
// command of root defines is left to the parser to report.
func NormalizeArgs(root *cobra.Command, args []string, join func(name, next string) bool) []string {
	all := pflag.NewFlagSet("", pflag.ContinueOnError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all.AddFlagSet(c.LocalFlags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	all.Bool("help", false, "")
	all.Bool("version", false, "")
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := all.Lookup(name)
		if f == nil || !strings.HasPrefix(a, "-") {
			out = append(out, a) // a positional argument, or unknown: the parser reports it
			continue
		}
		if !strings.HasPrefix(a, "--") {
			a = "-" + a
		}
		switch {
		case hasValue || i+1 == len(args):
		case join != nil && join(name, args[i+1]):
			a += "=" + args[i+1]
			i++
		case f.NoOptDefVal == "":
			out = append(out, a)
			a = args[i+1] // the flag's value, as it is
			i++
		}
		out = append(out, a)
	}
	return out
}

// LastValue is the value of the last --NAME in args ("--NAME V" or
// "--NAME=V"), "" if none; also when the flag is misspelled with one or three
// dashes, or with the em or en dash a copy and paste can turn "--" into (the
// parser then quotes the value in its error). "--" ends the flags.
func LastValue(args []string, name string) (value string) {
	for i, a := range args {
		n := strings.TrimLeft(a, "-\u2013\u2014")
		switch {
		case a == "--":
			return value
		case n == a:
		case n == name && i+1 < len(args):
			value = args[i+1]
		case strings.HasPrefix(n, name+"="):
			value = strings.TrimPrefix(n, name+"=")
		}
	}
	return value
}

// strconvError is Go's detail in pflag's error for a bad number.
var strconvError = regexp.MustCompile(`strconv\.Parse(Int|Uint|Float)[^"]*parsing "[^"]*": (invalid syntax|value out of range)`)

// PlainFlagError says a flag's problem in words rather than Go's:
// "want a whole number", "want a number" or "out of range".
func PlainFlagError(msg string) string {
	return strconvError.ReplaceAllStringFunc(msg, func(m string) string {
		kind := "a whole number"
		if strings.Contains(m, "Float") {
			kind = "a number"
		}
		if strings.HasSuffix(m, "out of range") {
			return "out of range"
		}
		return "want " + kind
	})
}

// FlagError is a flag error function for cobra (SetFlagErrorFunc): the
// parser's error as a *UsageError, in plain words (see PlainFlagError).
func FlagError(_ *cobra.Command, err error) error {
	return &UsageError{Msg: PlainFlagError(err.Error())}
}

// Optional is a flag whose value may be left out: "--NAME" alone turns it
// on, "--NAME=V" turns it on with the value V, "--NAME=false" turns it off.
// Define it with OptionalVar.
type Optional struct {
	On    bool
	Value string
	What  string // what the value is, for the error an empty one gets: "empty journal name"
}

// String is empty: the help shows no default.
func (o *Optional) String() string { return "" }

// Type is "bool", so that the help shows the usage's back-quoted word as
// the value ("--resume [JOURNAL]") and no type.
func (o *Optional) Type() string { return "bool" }

// Set takes "true" (the flag alone), "false" or a value.
func (o *Optional) Set(v string) error {
	switch v {
	case "":
		return errors.New("empty " + o.What)
	case "true", "false":
		o.On, o.Value = v == "true", ""
	default:
		o.On, o.Value = true, v
	}
	return nil
}

// OptionalVar defines o on fs as --name, whose value may be left out.
func OptionalVar(fs *pflag.FlagSet, o *Optional, name, usage string) {
	fs.VarPF(o, name, "", usage).NoOptDefVal = "true"
}

// Command is a cobra command whose description and examples (Long and
// Example) are those of help/NAME.txt in files, NAME being use's first word
// (see HelpText), and whose run reports its own errors and returns the exit
// status: not 0, it is returned as an ExitStatus.
func Command(files fs.FS, use, short string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) int) *cobra.Command {
	long, examples := HelpText(files, strings.Fields(use)[0])
	return &cobra.Command{
		Use: use, Short: short, Long: long, Example: examples, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := run(cmd, args); code != 0 {
				return ExitStatus(code)
			}
			return nil
		},
	}
}

// HelpText is a command's description and examples from help/NAME.txt in
// files: the description, then a line "Examples:" after a blank line, and the
// examples. It panics if the file is missing, as a program that cannot
// build its commands cannot run.
func HelpText(files fs.FS, name string) (long, examples string) {
	data, err := fs.ReadFile(files, "help/"+name+".txt")
	if err != nil {
		panic(err)
	}
	long, examples, _ = strings.Cut(strings.TrimRight(string(data), "\n"), "\n\nExamples:\n")
	return long, examples
}

// Secret is a string flag value that never shows what it holds, in the help
// or an error: for an API key.
type Secret struct{ P *string }

// String is empty: the help shows no default.
func (s Secret) String() string { return "" }

// Type is "string".
func (s Secret) Type() string { return "string" }

// Set stores v.
func (s Secret) Set(v string) error {
	*s.P = v
	return nil
}

// Version is set if it is not empty (from -ldflags "-X main.version=..."),
// else the module version go install recorded, else "devel".
func Version(set string) string {
	if set != "" {
		return set
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// OnSignal calls f for each SIGINT, SIGTERM or SIGHUP, n counting them from
// 1, until stop (which waits for a call under way). While it watches, no such
// signal ends the process. SIGHUP or SIGINT the process was started ignoring
// (nohup; a background job of a script) stays ignored; Go cannot tell that
// of SIGTERM.
func OnSignal(f func(n int, s os.Signal)) (stop func()) {
	sigs := make(chan os.Signal, 2)
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		if !signal.Ignored(s) {
			signal.Notify(sigs, s)
		}
	}
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
	return sync.OnceFunc(func() {
		signal.Stop(sigs)
		close(done)
		watch.Wait()
	})
}

// WrapWords breaks s into lines of at most width bytes where it can (a
// longer word keeps a line of its own); runs of spaces and line breaks
// become one.
func WrapWords(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// UsageError is a mistake in the command line or the input: nothing was
// sent, and the command exits 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef is a *UsageError formatted as fmt.Sprintf formats.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitStatus is the error of a command that has reported its own failure:
// only the exit status is left to return.
type ExitStatus int

func (s ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// WantArgs wants exactly n positional arguments, described by want ("one
// UUID"); otherwise it returns a *UsageError naming the first extra one.
func WantArgs(n int, want string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return Usagef("missing the argument: %s expected", want)
		case len(args) > n:
			return Usagef("unexpected argument %q (%s expected)", args[n], want)
		}
		return nil
	}
}

// HelpCommand is cobra's help command, but an unknown command is a
// *UsageError rather than a help page and exit status 0.
func HelpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help, or a command's",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return Usagef("unexpected argument %q (one COMMAND expected)", args[1])
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, c := range root.Commands() {
				names = append(names, c.Name())
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return root.Help()
			}
			c, _, err := root.Find(args)
			if err != nil || c == root {
				return Usagef("unknown command %q", args[0])
			}
			return c.Help()
		},
	}
}

// AddCompletion adds cobra's completion command to root, but without a
// shell it is a *UsageError (cobra's prints its help and exits 0).
func AddCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.RunE = func(*cobra.Command, []string) error { // cobra's NoArgs refuses an unknown shell
			return Usagef("name a shell: bash, zsh, fish or powershell")
		}
	}
}

// VersionCommand is a "version" command printing "NAME VERSION", as
// --version does.
func VersionCommand(name, version string) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print the version (as --version does)",
		Args:    cobra.NoArgs,
		Example: "  " + name + " version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", name, version)
			return err
		},
	}
}
