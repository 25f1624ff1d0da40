package main

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// version is the command's version: set with -ldflags "-X main.version=...",
// else the module version go install recorded, else "devel".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// strconvError is Go's detail in pflag's error for a bad number.
var strconvError = regexp.MustCompile(`strconv\.Parse(Int|Uint|Float)[^"]*parsing "[^"]*": (invalid syntax|value out of range)`)

// plainFlagError says a flag's problem in words rather than Go's.
func plainFlagError(msg string) string {
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

// newRoot builds the command tree for e.
func newRoot(e *env) *cobra.Command {
	long, examples := helpText("opportunities")
	root := &cobra.Command{
		Use:           "opportunities",
		Short:         "a client for ChartMogul's Opportunities API",
		Long:          long,
		Example:       examples,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
		// No Args: cobra's own check answers an unknown command with
		// "did you mean" suggestions.
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("no command given")
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			e.cmd = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			e.apiKey() // noted, so that every message from here on is redacted
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: plainFlagError(err.Error())} })
	root.SetVersionTemplate("opportunities {{.Version}}\n")
	e.g.register(root.PersistentFlags())
	root.AddCommand(createCommand(e), getCommand(e), updateCommand(e), deleteCommand(e), listCommand(e),
		importCommand(e), fakeServerCommand(e), verifyCommand(e), versionCommand())
	root.SetHelpCommand(helpCommand(root))
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.RunE = completionUsage
	}
	return root
}

// completionUsage makes "completion" without a known shell a usage error
// (cobra's prints its help and exits 0).
func completionUsage(_ *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("name a shell: bash, zsh, fish or powershell")
	}
	return usagef("unknown shell %q: bash, zsh, fish or powershell", args[0])
}

// register defines the global flags on fs, bound to g.
func (g *globals) register(fs *pflag.FlagSet) {
	*g = globals{timeout: wrapper.DefaultTimeout, retries: defaultRetries}
	fs.Var(secretValue{&g.apiKey}, "api-key", "the API `key` of a user with a CRM seat (default $"+envAPIKey+").\n"+
		"Visible to every user of this machine in the process list (ps): prefer $"+envAPIKey+" or --api-key-file")
	fs.StringVar(&g.apiKeyFile, "api-key-file", "", "read the API key from the first line of `FILE` (- for stdin; only that line is read,\n"+
		"so stdin can still carry the input: --file -, import -). A warning is printed when other users can read FILE")
	fs.StringVar(&g.baseURL, "base-url", "", "API base `URL`, version path included (default $"+envBaseURL+", else "+wrapper.DefaultBaseURL+").\n"+
		"https, or http on a loopback address (http://127.0.0.1:12111/v1 for 'opportunities fake-server')")
	fs.BoolVar(&g.fake, "fake", false, "run against an embedded fake API in this process: no key, no network. It starts with two\n"+
		"opportunities from ChartMogul's documentation, "+chartmogultest.DocRecordedUUID+"\n"+
		"(customer "+chartmogultest.DocRecordedCustomerUUID+") and "+chartmogultest.DocCreateExampleUUID+"\n"+
		"(customer "+chartmogultest.DocCreateExampleCustomerUUID+"), which the help's examples use;\n"+
		"what a command changes ends with the command")
	fs.DurationVar(&g.timeout, "timeout", wrapper.DefaultTimeout, "bound on each attempt of a request, 0 for none")
	fs.IntVar(&g.retries, "retries", defaultRetries, "at most `n` retries of a failed request, after the first attempt; 0 for none.\n"+
		"Retried: 429, 503 and a refused connection; other 5xx and timeouts too, except for create\n(which may have been applied)")
	fs.BoolVar(&g.verbose, "verbose", false, "log each request (method, path, status, time) and each retry (attempt, wait) to stderr;\nnever a header, so never the key")
}

// secretValue is a flag value that never shows what it holds (the key), in
// the help or an error.
type secretValue struct{ p *string }

func (s secretValue) String() string { return "" }
func (s secretValue) Type() string   { return "string" }

func (s secretValue) Set(v string) error {
	*s.p = v
	return nil
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print the version (as --version does)",
		Args:    cobra.NoArgs,
		Example: "  opportunities version",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "opportunities %s\n", versionString())
		},
	}
}

// helpCommand is cobra's, but an unknown command is a usage error.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:     "help [COMMAND]",
		Short:   "show the help, or a command's",
		Args:    cobra.MaximumNArgs(1),
		Example: "  opportunities help import",
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
				return usagef("unknown command %q", args[0])
			}
			return c.Help()
		},
	}
}

// normalizeArgs keeps the command lines of earlier versions working: a long
// flag written with one dash (-api-key, as Go's flag package took it) gets
// its second dash, and import's "--resume J" becomes "--resume=J" when J is a
// journal (see isJournalName; else "--resume FILE" keeps meaning FILE's
// default journal). The values of flags are stepped over; "--" ends the flags.
func normalizeArgs(root *cobra.Command, args []string) []string {
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
		case name == "resume" && isJournalName(args[i+1]):
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
