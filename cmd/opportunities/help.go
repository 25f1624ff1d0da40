package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand: its help text and how to run it.
type command struct {
	name     string
	usage    []string // usage lines, after "opportunities "
	summary  string   // one line for the command list
	about    string   // what it does, in paragraphs
	examples string
	run      func(e *env, c *command, args []string) int
}

// commands lists the subcommands in the order help shows them.
func commands() []*command {
	return []*command{
		{
			name:    "create",
			usage:   []string{"create --customer-uuid ID --owner EMAIL --pipeline P --stage S --close-date D --currency C --amount-cents N [flags]", "create --file FILE"},
			summary: "create an opportunity",
			about: `Creates an opportunity and prints it as the API returns it (one JSON object).
The input is checked first; on a problem every problem is reported, naming the
field, nothing is sent and the exit status is 2.

Give the fields as flags, or the request body as a file (--file, - for stdin):
JSON exactly as ChartMogul's create request takes it, custom attributes as
[{"key": ..., "value": ...}]. A win likelihood that is not given is not sent (the
stage's default applies); --win-likelihood 0 sends 0.`,
			examples: `  opportunities create --customer-uuid cus_f466e33d-ff2b-4a11-8f85-417eb02157a7 \
      --owner test1@example.org --pipeline "New Business" --stage Discovery \
      --close-date 2024-04-21 --currency USD --amount-cents 100000 --type recurring \
      --forecast best_case --win-likelihood 40 --custom seats=3 --custom marketing_campaign=Facebook
  opportunities create --file opportunity.json
  cat opportunity.json | opportunities create --file -
  opportunities --fake create --file opportunity.json     # try it: no key, no network`,
			run: runCreate,
		},
		{
			name:     "get",
			usage:    []string{"get UUID"},
			summary:  "print one opportunity",
			about:    `Retrieves one opportunity and prints it as one JSON object. A UUID that does not exist is an error (exit status 1).`,
			examples: `  opportunities get bb544336-e74e-11ee-800c-effc264f19ed`,
			run:      runGet,
		},
		{
			name:    "update",
			usage:   []string{"update UUID [field flags]", "update UUID --file FILE"},
			summary: "change some fields of an opportunity",
			about: `Changes the fields given, and only those, and prints the whole opportunity after
the change. --win-likelihood 0 sends 0. The customer cannot be changed. With
--file, the body is JSON as the API's update request takes it. Whether the API
merges or replaces custom attributes is not documented (the fake merges).`,
			examples: `  opportunities update bb544336-e74e-11ee-800c-effc264f19ed --stage Proposal --win-likelihood 0
  opportunities update bb544336-e74e-11ee-800c-effc264f19ed --custom seats=5 --custom zip:=02134
  echo '{"forecast_category": "won"}' | opportunities update bb544336-e74e-11ee-800c-effc264f19ed --file -`,
			run: runUpdate,
		},
		{
			name:     "delete",
			usage:    []string{"delete UUID"},
			summary:  "delete an opportunity",
			about:    `Deletes one opportunity and prints {} (the API's answer). A UUID that does not exist is an error (exit status 1).`,
			examples: `  opportunities delete bb544336-e74e-11ee-800c-effc264f19ed`,
			run:      runDelete,
		},
		{
			name:    "list",
			usage:   []string{"list [filters] [--per-page N] [--cursor C] [--all]"},
			summary: "list opportunities, one page or all of them",
			about: `Lists opportunities, newest first. Without --all it prints one page as the API
returns it: {"entries": [...], "cursor": "...", "has_more": true|false}; pass the
cursor back with --cursor to read the next page. With --all it follows every page
and prints one opportunity per line (JSON Lines).`,
			examples: `  opportunities list --customer-uuid cus_f466e33d-ff2b-4a11-8f85-417eb02157a7
  opportunities list --pipeline "New Business" --close-date-on-or-after 2024-01-01 --all
  opportunities list --per-page 50 --cursor MjAyNC0wMy0yMVQwNjo0NjoyMy4xMzdafDI`,
			run: runList,
		},
		{
			name:    "import",
			usage:   []string{"import [flags] FILE"},
			summary: "create many opportunities from a JSON Lines or CSV file, resumably",
			about:   importAbout,
			examples: `  opportunities import deals.jsonl
  opportunities import --concurrency 10 --rate 20 deals.csv
  opportunities import --skip-invalid deals.csv
  opportunities import --check deals.csv                  # check every row, send nothing
  opportunities import --resume deals.csv                 # after a crash, ^C or failures
  opportunities import --resume deals.csv.journal deals.csv
  opportunities import --resume deals.csv.journal         # the same: deals.csv is implied
  opportunities import --journal /tmp/j.jsonl deals.csv
  opportunities import --resume=/tmp/j.jsonl deals.csv`,
			run: runImport,
		},
		fakeServerCommand(), // fakeserver.go
		verifyCommand(),     // verify.go
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// runHelp is "opportunities help [COMMAND]".
func runHelp(e *env, args []string) int {
	switch len(args) {
	case 0:
		printMainHelp(e.stdout)
		return exitOK
	case 1:
		c := findCommand(args[0])
		if c == nil {
			fmt.Fprintf(e.stderr, "opportunities help: unknown command %q\nRun 'opportunities help' for usage.\n", args[0])
			return exitUsage
		}
		e.cmd = c.name
		return c.run(e, c, []string{"--help"})
	default:
		fmt.Fprintln(e.stderr, "opportunities help: one command at most")
		return exitUsage
	}
}

func printMainUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: opportunities [global flags] COMMAND [flags] [args]")
	fmt.Fprintln(w, "Run 'opportunities help' for the commands and flags.")
}

func printMainHelp(w io.Writer) {
	fmt.Fprint(w, `opportunities is a command-line client for ChartMogul's Opportunities API.

Usage:
  opportunities [global flags] COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-11s %s\n", "help", "show this help, or a command's: opportunities help COMMAND")
	fmt.Fprint(w, "\nGlobal flags (before the command, or after it):\n")
	fs := flag.NewFlagSet("opportunities", flag.ContinueOnError)
	var g globals
	g.register(fs)
	printFlags(w, fs, true)
	fmt.Fprint(w, `
Output is JSON on stdout, in the API's own shape (customer_uuid, custom as an
object, created_at as RFC 3339 with milliseconds). Errors go to stderr.

Exit status: 0 success; 1 an API or network error (or an import that was
interrupted or had a failed row); 2 a usage or validation error: nothing was sent.
The API key is never printed.

Examples:
  export CHARTMOGUL_API_KEY=...      # a key of a user with a CRM seat
  opportunities list --all
  opportunities get bb544336-e74e-11ee-800c-effc264f19ed
  opportunities --fake create --file opportunity.json   # no key, no network
  opportunities create --help
`)
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Usage:")
	for _, u := range c.usage {
		fmt.Fprintf(w, "  opportunities %s\n", u)
	}
	fmt.Fprintf(w, "\n%s\n\nFlags:\n", c.about)
	printFlags(w, fs, false)
	fmt.Fprint(w, "\nGlobal flags (before or after the command):\n")
	printFlags(w, fs, true)
	fmt.Fprintf(w, "\nExamples:\n%s\n", c.examples)
}

// printFlags lists the command's own flags (global false) or the global
// ones, with "--" names. Global flags state their defaults in their usage,
// so that a value given earlier on the command line (the API key above all)
// is never shown.
func printFlags(w io.Writer, fs *flag.FlagSet, global bool) {
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if globalNames[f.Name] != global {
			return
		}
		n++
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n        %s", line, strings.ReplaceAll(usage, "\n", "\n        "))
		if !global && !isZeroDefault(f.DefValue) {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	if n == 0 {
		fmt.Fprintln(w, "  (none)")
	}
}

func isZeroDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s":
		return true
	}
	return false
}
