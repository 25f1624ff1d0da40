package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// readInput reads a file named on the command line; "-" is stdin.
func (e *env) readInput(name string) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, usagef("reading stdin: %v", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return data, nil
}

// noArgs refuses positional arguments; oneUUID wants exactly one, the
// opportunity's UUID.
var (
	noArgs  cobra.PositionalArgs = func(_ *cobra.Command, args []string) error { return countArgs(args, 0, 0, "no argument") }
	oneUUID cobra.PositionalArgs = func(_ *cobra.Command, args []string) error {
		return countArgs(args, 1, 1, "one UUID")
	}
)

func countArgs(args []string, least, most int, want string) error {
	switch {
	case len(args) < least:
		return usagef("missing the argument: %s expected", want)
	case len(args) > most:
		return usagef("unexpected argument %q (%s expected)", args[most], want)
	}
	return nil
}

// command is a cobra command whose RunE reports its own errors and returns
// its exit status (see run).
func command(use, short, long, examples string, args cobra.PositionalArgs, do func(cmd *cobra.Command, args []string) int) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long, Example: examples, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error { return status(do(cmd, args)) },
	}
}

// call runs one API call with a client, on a context Ctrl-C cancels, and
// prints what it returns (a nil value prints nothing).
func (e *env) call(out *output, names map[string]string, do func(ctx context.Context, c *wrapper.Client) (any, error)) int {
	if err := out.check(); err != nil {
		return e.fail(err, nil)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	ctx, stop := e.signalContext()
	defer stop()
	v, err := do(ctx, client)
	if err != nil {
		return e.fail(err, names)
	}
	if v == nil {
		return exitOK
	}
	return e.print(out, v)
}

const createLong = `Creates an opportunity and prints it as the API returns it. The input is
checked first; on a problem every problem is reported, naming the field,
nothing is sent and the exit status is 2.

Give the fields as flags, or the request body as a file (--file, - for stdin):
JSON exactly as ChartMogul's create request takes it, custom attributes as
[{"key": ..., "value": ...}]. A win likelihood that is not given is not sent (the
stage's default applies); --win-likelihood 0 sends 0.`

func createCommand(e *env) *cobra.Command {
	var ff fieldFlags
	var file string
	out := &output{}
	cmd := command("create {--customer-uuid ID --owner EMAIL --pipeline P --stage S --close-date D --currency C --amount-cents N [flags] | --file FILE}",
		"create an opportunity", createLong, `  opportunities --fake create --customer-uuid cus_f466e33d-ff2b-4a11-8f85-417eb02157a7 \
      --owner test1@example.org --pipeline "New Business" --stage Discovery \
      --close-date 2024-04-21 --currency USD --amount-cents 100000 --type recurring \
      --forecast best_case --win-likelihood 40 --custom seats=3 --custom marketing_campaign=Facebook
  opportunities --fake create --file examples/opportunity.json
  cat examples/opportunity.json | opportunities --fake create --file - --output json`, noArgs,
		func(*cobra.Command, []string) int {
			body, names, err := e.body(&ff, file, createProperties)
			if err != nil {
				return e.fail(err, nil)
			}
			in, read, err := wrapper.DecodeOpportunityInput(body)
			if err != nil {
				return e.fail(usagef("%s: %v", file, err), nil)
			}
			if err := wrapper.MergeProblems(read, in.Validate()); err != nil {
				return e.fail(err, names)
			}
			return e.call(out, names, func(ctx context.Context, c *wrapper.Client) (any, error) {
				o, err := c.Create(ctx, in)
				if err != nil && outcomeUnknown(err) {
					err = fmt.Errorf("%w\nthe opportunity may have been created all the same (ChartMogul has no idempotency key);\n"+
						"check before creating it again: opportunities list --customer-uuid %s", err, in.CustomerUUID)
				}
				return o, err
			})
		})
	ff.register(cmd, true)
	cmd.Flags().StringVar(&file, "file", "", "read the request body from `FILE` (- for stdin): JSON exactly as the API's create\n"+
		`request takes it, custom as [{"key": ..., "value": ...}]; not combined with field flags`)
	out.register(cmd)
	return cmd
}

func getCommand(e *env) *cobra.Command {
	out := &output{}
	cmd := command("get UUID", "print one opportunity",
		`Retrieves one opportunity and prints it. A UUID that does not exist is an error (exit status 1).`,
		`  opportunities --fake get bb544336-e74e-11ee-800c-effc264f19ed
  opportunities --fake get bb544336-e74e-11ee-800c-effc264f19ed --output json`, oneUUID,
		func(_ *cobra.Command, args []string) int {
			return e.call(out, nil, func(ctx context.Context, c *wrapper.Client) (any, error) { return c.Get(ctx, args[0]) })
		})
	out.register(cmd)
	return cmd
}

const updateLong = `Changes the fields given, and only those, and prints the whole opportunity after
the change. --win-likelihood 0 sends 0. The customer cannot be changed. With
--file, the body is JSON as the API's update request takes it. Whether the API
merges or replaces custom attributes is not documented (the fake merges).`

func updateCommand(e *env) *cobra.Command {
	var ff fieldFlags
	var file string
	out := &output{}
	cmd := command("update UUID {[field flags] | --file FILE}", "change some fields of an opportunity", updateLong,
		`  opportunities --fake update bb544336-e74e-11ee-800c-effc264f19ed --stage Proposal --win-likelihood 0
  opportunities --fake update bb544336-e74e-11ee-800c-effc264f19ed --custom seats=5 --custom zip:=02134
  echo '{"forecast_category": "won"}' | opportunities --fake update bb544336-e74e-11ee-800c-effc264f19ed --file -`, oneUUID,
		func(_ *cobra.Command, args []string) int {
			body, names, err := e.body(&ff, file, updateProperties)
			if err != nil {
				return e.fail(err, nil)
			}
			u, read, err := wrapper.DecodeOpportunityUpdate(body)
			if err != nil {
				return e.fail(usagef("%s: %v", file, err), nil)
			}
			if err := wrapper.MergeProblems(read, u.Validate()); err != nil {
				return e.fail(err, names)
			}
			return e.call(out, names, func(ctx context.Context, c *wrapper.Client) (any, error) { return c.Update(ctx, args[0], u) })
		})
	ff.register(cmd, false)
	cmd.Flags().StringVar(&file, "file", "", "read the request body from `FILE` (- for stdin): JSON exactly as the API's update\n"+
		"request takes it; only the fields present are changed; not combined with field flags")
	out.register(cmd)
	return cmd
}

func deleteCommand(e *env) *cobra.Command {
	out := &output{}
	cmd := command("delete UUID", "delete an opportunity",
		`Deletes one opportunity and prints {} (the API's answer; on a terminal, a line
saying so). A UUID that does not exist is an error (exit status 1).`,
		`  opportunities --fake delete bb544336-e74e-11ee-800c-effc264f19ed`, oneUUID,
		func(_ *cobra.Command, args []string) int {
			return e.call(out, nil, func(ctx context.Context, c *wrapper.Client) (any, error) {
				return deleted{args[0]}, c.Delete(ctx, args[0])
			})
		})
	out.register(cmd)
	return cmd
}

// body returns the request body of a create or update: from the field
// flags, or from the --file body when one is named (the two do not mix).
// names maps API field names to flag names for messages; nil for a file.
func (e *env) body(ff *fieldFlags, file string, props []generated.Property) (body []byte, names map[string]string, err error) {
	if file == "" {
		return ff.body(props), flagNames, nil
	}
	if given := ff.given(); len(given) > 0 {
		return nil, nil, usagef("--file cannot be combined with field flags (%s)", strings.Join(given, " "))
	}
	data, err := e.readInput(file)
	if err != nil {
		return nil, nil, err
	}
	return data, nil, nil
}

// outcomeUnknown reports whether a create that returned err may have been
// applied all the same (see wrapper.MayHaveBeenApplied).
func outcomeUnknown(err error) bool { return wrapper.MayHaveBeenApplied(err) }
