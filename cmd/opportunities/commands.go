package main

import (
	"context"
	"embed"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/specflags"
	"github.com/mogulkit/opportunities/wrapper"
)

// noArgs refuses positional arguments; oneUUID wants exactly one.
var noArgs, oneUUID = cmdutil.WantArgs(0, "no argument"), cmdutil.WantArgs(1, "one UUID")

//go:embed help
var helpFiles embed.FS

// command is a command whose description and examples are those of
// help/NAME.txt (TestHelpExamplesRunAsWritten runs every example), and whose
// do reports its own errors and returns the exit status (see run).
func command(use, short string, args cobra.PositionalArgs, do func(cmd *cobra.Command, args []string) int) *cobra.Command {
	return cmdutil.Command(helpFiles, use, short, args, do)
}

// call runs one API call with a client, on a context Ctrl-C cancels, and
// prints what it returns (a nil value prints nothing).
func (e *env) call(out *output, byFlag bool, do func(ctx context.Context, c *wrapper.Client) (any, error)) int {
	if err := out.check(); err != nil {
		return e.fail(err, false)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, false)
	}
	defer done()
	ctx, stop := e.signalContext()
	defer stop()
	v, err := do(ctx, client)
	switch {
	case err != nil:
		return e.fail(err, byFlag)
	case v == nil:
		return exitOK
	}
	if err := e.show(out, v); err != nil {
		return e.fail(fmt.Errorf("writing the output: %w", err), false)
	}
	return exitOK
}

func createCommand(e *env) *cobra.Command {
	var ff specflags.Fields
	out := &output{}
	cmd := command("create {--customer-uuid ID --owner EMAIL --pipeline P --stage S --close-date D --currency C --amount-cents N [flags] | --file FILE}",
		"create an opportunity", noArgs,
		func(*cobra.Command, []string) int {
			return sendBody(e, &ff, out, wrapper.DecodeOpportunityInput, func(ctx context.Context, c *wrapper.Client, in wrapper.OpportunityInput) (any, error) {
				o, err := c.Create(ctx, in)
				if err != nil && wrapper.MayHaveBeenApplied(err) {
					err = fmt.Errorf("%w\nthe opportunity may have been created all the same (ChartMogul has no idempotency key);\n"+
						"check before creating it again: opportunities list --customer-uuid %s", err, in.CustomerUUID)
				}
				return o, err
			})
		})
	ff.Register(cmd, createProperties, flagName, true, "JSON exactly as the API's create\n"+`request takes it, custom as [{"key": ..., "value": ...}]`)
	out.register(cmd)
	return cmd
}

// sendBody is create's and update's run: the body of the field flags or
// --file, read and held to the spec (every problem reported, nothing sent),
// then sent.
func sendBody[T interface{ Validate() error }](e *env, ff *specflags.Fields, out *output, decode func([]byte) (T, []wrapper.FieldError, error),
	send func(context.Context, *wrapper.Client, T) (any, error)) int {
	body, err := ff.Body(e.ios.In)
	if err != nil {
		return e.fail(err, false)
	}
	v, read, err := decode(body)
	if err != nil {
		return e.fail(cmdutil.Usagef("%s: %v", ff.File, err), false)
	}
	if err := wrapper.MergeProblems(read, v.Validate()); err != nil {
		return e.fail(err, ff.File == "")
	}
	return e.call(out, ff.File == "", func(ctx context.Context, c *wrapper.Client) (any, error) { return send(ctx, c, v) })
}

func getCommand(e *env) *cobra.Command {
	out := &output{}
	cmd := command("get UUID", "print one opportunity", oneUUID,
		func(_ *cobra.Command, args []string) int {
			return e.call(out, false, func(ctx context.Context, c *wrapper.Client) (any, error) { return c.Get(ctx, args[0]) })
		})
	out.register(cmd)
	return cmd
}

func updateCommand(e *env) *cobra.Command {
	var ff specflags.Fields
	out := &output{}
	cmd := command("update UUID {[field flags] | --file FILE}", "change some fields of an opportunity", oneUUID,
		func(_ *cobra.Command, args []string) int {
			return sendBody(e, &ff, out, wrapper.DecodeOpportunityUpdate, func(ctx context.Context, c *wrapper.Client, u wrapper.OpportunityUpdate) (any, error) {
				return c.Update(ctx, args[0], u)
			})
		})
	ff.Register(cmd, updateProperties, flagName, false, "JSON exactly as the API's update\nrequest takes it; only the fields present are changed")
	out.register(cmd)
	return cmd
}

func deleteCommand(e *env) *cobra.Command {
	out := &output{}
	cmd := command("delete UUID", "delete an opportunity", oneUUID,
		func(_ *cobra.Command, args []string) int {
			return e.call(out, false, func(ctx context.Context, c *wrapper.Client) (any, error) {
				return deleted{args[0]}, c.Delete(ctx, args[0])
			})
		})
	out.register(cmd)
	return cmd
}
