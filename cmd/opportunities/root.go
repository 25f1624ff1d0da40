package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/wrapper"
)

// version is the command's version: set with -ldflags "-X main.version=...",
// else the module version go install recorded, else "devel" (cmdutil.Version).
var version = ""

// newRoot builds the command tree for e.
func newRoot(e *env) *cobra.Command {
	long, examples := cmdutil.HelpText(helpFiles, "opportunities")
	root := &cobra.Command{
		Use:           "opportunities",
		Short:         "a client for ChartMogul's Opportunities API",
		Long:          long,
		Example:       examples,
		Version:       cmdutil.Version(version),
		SilenceErrors: true,
		SilenceUsage:  true,
		// No Args: cobra's own check answers an unknown command with
		// "did you mean" suggestions.
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Usagef("no command given")
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			e.cmd, e.flags = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), cmd.Flags()
			e.apiKey() // noted, so that every message from here on is redacted
		},
	}
	root.SetIn(e.ios.In)
	root.SetOut(e.ios.Out)
	root.SetErr(e.ios.Err)
	root.SetFlagErrorFunc(cmdutil.FlagError)
	root.SetVersionTemplate("opportunities {{.Version}}\n")
	e.g.register(root.PersistentFlags())
	root.AddCommand(createCommand(e), getCommand(e), updateCommand(e), deleteCommand(e), listCommand(e),
		importCommand(e), fakeServerCommand(e), verifyCommand(e), cmdutil.VersionCommand(root.Name(), root.Version))
	help := cmdutil.HelpCommand(root)
	help.Example = "  opportunities help import"
	root.SetHelpCommand(help)
	cmdutil.AddCompletion(root)
	return root
}

// register defines the global flags on fs, bound to g.
func (g *globals) register(fs *pflag.FlagSet) {
	*g = globals{timeout: wrapper.DefaultTimeout, retries: defaultRetries}
	fs.Var(cmdutil.Secret{P: &g.apiKey}, "api-key", "the API `key` of a user with a CRM seat (default $"+envAPIKey+").\n"+
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

// normalizeArgs keeps the command lines of earlier versions working (see
// cmdutil.NormalizeArgs): one-dash long flags, and import's "--resume J",
// which becomes "--resume=J" when J is a journal (see isJournalName; else
// "--resume FILE" keeps meaning FILE's default journal).
func normalizeArgs(root *cobra.Command, args []string) []string {
	return cmdutil.NormalizeArgs(root, args, func(name, next string) bool { return name == "resume" && isJournalName(next) })
}
