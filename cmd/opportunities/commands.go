package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

// noArgs fails when positional arguments were given to a command that takes
// none.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}

// oneUUID returns the single UUID argument of get, update and delete.
func oneUUID(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing the opportunity UUID")
	case 1:
		return pos[0], nil
	default:
		return "", usagef("unexpected argument %q (one UUID expected)", pos[1])
	}
}

// setFlagNames lists the field flags given, for a message.
func setFlagNames(fs *flag.FlagSet) string {
	var names []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "file" && !globalNames[f.Name] {
			names = append(names, "--"+f.Name)
		}
	})
	return strings.Join(names, " ")
}

func runCreate(e *env, c *command, args []string) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var ff fieldFlags
	ff.register(fs, true)
	file := fs.String("file", "", "read the request body from `FILE` (- for stdin): JSON exactly as the API's create\n"+
		`request takes it, custom as [{"key": ..., "value": ...}]; not combined with field flags`)
	pos, err := e.parseFlags(c, fs, args)
	if err == nil {
		err = noArgs(pos)
	}
	if err != nil {
		return e.fail(err, nil)
	}
	body, names, err := e.body(fs, &ff, *file, createProperties)
	if err != nil {
		return e.fail(err, nil)
	}
	in, read, err := wrapper.DecodeOpportunityInput(body)
	if err != nil {
		return e.fail(usagef("%s: %v", *file, err), nil)
	}
	if err := combine(read, in.Validate()); err != nil {
		return e.fail(err, names)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	ctx, stop := signalContext()
	defer stop()
	o, err := client.Create(ctx, in)
	if err != nil {
		code := e.fail(err, names)
		if code == exitError && outcomeUnknown(err) {
			fmt.Fprintf(e.errOut(), "opportunities create: the opportunity may have been created all the same (ChartMogul has no idempotency key);\n"+
				"check before creating it again: opportunities list --customer-uuid %s\n", in.CustomerUUID)
		}
		return code
	}
	return e.output(o)
}

// output writes v as JSON on stdout.
func (e *env) output(v any) int {
	if err := writeJSON(e.out(), v); err != nil {
		return e.fail(fmt.Errorf("writing the output: %w", err), nil)
	}
	return exitOK
}

func runGet(e *env, c *command, args []string) int {
	return e.runOnOne(c, args, func(ctx context.Context, client *wrapper.Client, uuid string) (any, error) {
		o, err := client.Get(ctx, uuid)
		if err != nil {
			return nil, err
		}
		return o, nil
	})
}

func runUpdate(e *env, c *command, args []string) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var ff fieldFlags
	ff.register(fs, false)
	file := fs.String("file", "", "read the request body from `FILE` (- for stdin): JSON exactly as the API's update\n"+
		"request takes it; only the fields present are changed; not combined with field flags")
	pos, err := e.parseFlags(c, fs, args)
	if err != nil {
		return e.fail(err, nil)
	}
	uuid, err := oneUUID(pos)
	if err != nil {
		return e.fail(err, nil)
	}
	body, names, err := e.body(fs, &ff, *file, updateProperties)
	if err != nil {
		return e.fail(err, nil)
	}
	u, read, err := wrapper.DecodeOpportunityUpdate(body)
	if err != nil {
		return e.fail(usagef("%s: %v", *file, err), nil)
	}
	if err := combine(read, u.Validate()); err != nil {
		return e.fail(err, names)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	ctx, stop := signalContext()
	defer stop()
	o, err := client.Update(ctx, uuid, u)
	if err != nil {
		return e.fail(err, names)
	}
	return e.output(o)
}

func runDelete(e *env, c *command, args []string) int {
	return e.runOnOne(c, args, func(ctx context.Context, client *wrapper.Client, uuid string) (any, error) {
		return struct{}{}, client.Delete(ctx, uuid) // {} as the API answers
	})
}

// runOnOne runs a command that takes one opportunity UUID and no flags of
// its own: it calls do with a client and prints what do returns.
func (e *env) runOnOne(c *command, args []string, do func(ctx context.Context, client *wrapper.Client, uuid string) (any, error)) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	pos, err := e.parseFlags(c, fs, args)
	if err != nil {
		return e.fail(err, nil)
	}
	uuid, err := oneUUID(pos)
	if err != nil {
		return e.fail(err, nil)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	ctx, stop := signalContext()
	defer stop()
	v, err := do(ctx, client, uuid)
	if err != nil {
		return e.fail(err, nil)
	}
	return e.output(v)
}

// listFlagNames maps list parameters to their flags.
var listFlagNames = map[string]string{
	"customer_uuid": "customer-uuid", "owner": "owner", "pipeline": "pipeline", "pipeline_stage": "stage",
	"estimated_close_date_on_or_after": "close-date-on-or-after", "estimated_close_date_on_or_before": "close-date-on-or-before",
	"per_page": "per-page", "cursor": "cursor",
}

func runList(e *env, c *command, args []string) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var p wrapper.ListParams
	fs.StringVar(&p.CustomerUUID, "customer-uuid", "", "only this customer's opportunities (`cus_UUID`)")
	fs.StringVar(&p.Owner, "owner", "", "only those owned by this `e-mail`")
	fs.StringVar(&p.Pipeline, "pipeline", "", "only those in this `pipeline`")
	fs.StringVar(&p.PipelineStage, "stage", "", "only those in this pipeline `stage`")
	fs.StringVar(&p.EstimatedCloseDateOnOrAfter, "close-date-on-or-after", "", "only those expected to close on or after this `YYYY-MM-DD` date")
	fs.StringVar(&p.EstimatedCloseDateOnOrBefore, "close-date-on-or-before", "", "only those expected to close on or before this `YYYY-MM-DD` date")
	fs.IntVar(&p.PerPage, "per-page", 0, "entries per page, at least 1 (default: the API's; it treats more than 200 as 200)")
	fs.StringVar(&p.Cursor, "cursor", "", "start at this page: the `cursor` of the previous page")
	all := fs.Bool("all", false, "follow every page and print one opportunity per line (JSON Lines)")
	pos, err := e.parseFlags(c, fs, args)
	if err == nil {
		err = noArgs(pos)
	}
	if err != nil {
		return e.fail(err, nil)
	}
	client, done, err := e.client()
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	ctx, stop := signalContext()
	defer stop()
	if !*all {
		page, err := client.List(ctx, p)
		if err != nil {
			return e.fail(err, listFlagNames)
		}
		return e.output(toAPIPage(page))
	}
	for o, err := range client.All(ctx, p) {
		if err != nil {
			return e.fail(err, listFlagNames)
		}
		if code := e.output(o); code != exitOK {
			return code
		}
	}
	return exitOK
}

// body returns the request body of a create or update: from the field
// flags, or from the --file body when one is named (the two do not mix).
// names maps API field names to flag names for messages; nil for a file.
func (e *env) body(fs *flag.FlagSet, ff *fieldFlags, file string, props []generated.Property) (body []byte, names map[string]string, err error) {
	f, given := ff.fields(fs)
	if file == "" {
		return f.body(props), flagNames, nil
	}
	if given {
		return nil, nil, usagef("--file cannot be combined with field flags (%s)", setFlagNames(fs))
	}
	data, err := e.readInput(file)
	if err != nil {
		return nil, nil, err
	}
	return data, nil, nil
}
