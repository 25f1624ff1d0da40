package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/contract/livecheck"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// verifyCommand is verify, livecheck's command-line face; its flags fill in a livecheck.Config.
func verifyCommand(e *env) *cobra.Command {
	var cfg livecheck.Config
	var output string
	cmd := command("verify --customer-uuid CUS --owner EMAIL [--pipeline P --stage S] [--output table|json]",
		"check that an API (the real one, or any server) still matches openapi.yaml", noArgs,
		func(*cobra.Command, []string) int { return e.runVerify(cfg, output) })
	fs := cmd.Flags()
	fs.StringVar(&cfg.CustomerUUID, "customer-uuid", "", "the test customer the opportunities are created for, `cus_UUID` (required)")
	fs.StringVar(&cfg.Owner, "owner", "", "the `e-mail` of a user with a CRM seat, the opportunities' owner (required)")
	fs.StringVar(&cfg.Pipeline, "pipeline", "New Business", "a pipeline of the account")
	fs.StringVar(&cfg.Stage, "stage", "Discovery", "a stage of that pipeline")
	fs.StringVarP(&output, "output", "o", "table", "report `format`: table or json, as for the other commands (text is table's old name)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runVerify runs the check, printing its progress and then its report; the
// exit status is the verdict's.
func (e *env) runVerify(cfg livecheck.Config, output string) int {
	// The progress (the marker, each UUID as it is created) is written at
	// once, so that even a kill -9 leaves what is needed to delete what the
	// run created: on stderr with --output json, whose stdout is one document.
	progress, created := e.ios.Out, false
	if output == "json" {
		progress = e.ios.Err
	}
	say := func(line string) { _, _ = io.WriteString(progress, e.ios.Redact(line)+"\n") }
	var ch *livecheck.Check
	cfg.Progress = func(ev livecheck.Event) {
		created = created || !ev.Found
		say(ch.EventLine(ev))
	}
	ch, done, err := e.newCheck(cfg, output)
	if err != nil {
		return e.fail(err, false)
	}
	defer done()
	say(ch.StartLine())
	if output != "json" {
		say("")
	}
	ctx, stop := e.signalContext() // SIGHUP (the terminal closed) too: what was created is deleted
	defer stop()
	if ch.Steps(ctx) {
		stop() // a second Ctrl-C now ends the process at once
	}
	rep := ch.Finish()
	rep.Sanitize(e.ios.Redact) // much of it comes from the server
	if output == "json" {
		if err := safetext.WriteJSON(e.ios.Out, rep); err != nil {
			return e.fail(fmt.Errorf("writing the report: %w", err), false)
		}
	} else {
		if created {
			say("")
		}
		_ = rep.WriteText(e.ios.Out) // the exit status is the verdict's, as it always was
	}
	if rep.Conforms {
		return exitOK
	}
	return exitError
}

// newCheck checks the flags and prepares the check, sending nothing; under
// --fake it runs against the embedded fake, which done stops.
func (e *env) newCheck(cfg livecheck.Config, output string) (ch *livecheck.Check, done func(), err error) {
	cc, err := contract.Load()
	if err != nil {
		return nil, nil, err
	}
	var re *livecheck.RequiredError
	switch {
	case errors.As(cfg.Check(), &re): // before the key and the server are looked at
		return nil, nil, cmdutil.Usagef("--%s is required: %s", flagName(re.Field), re.Why)
	case output != "table" && output != "text" && output != "json":
		return nil, nil, cmdutil.Usagef("--output must be table or json, got %q", output)
	}
	if err := e.g.check(); err != nil {
		return nil, nil, err
	}
	if cfg.APIKey, cfg.BaseURL, done, err = e.endpoint(); err != nil {
		return nil, nil, err
	}
	cfg.Timeout, cfg.UserAgent = e.g.timeout, "opportunities-verify "+wrapper.DefaultUserAgent
	if ch, err = livecheck.New(cc, cfg); err != nil {
		done()
		var ce *contract.Error
		if errors.As(err, &ce) {
			msgs := make([]string, len(ce.Violations))
			for i, v := range ce.Violations {
				msgs[i] = fieldWithFlag(e.flags, v.Field) + ": " + v.Message
			}
			err = cmdutil.Usagef("invalid input, nothing was sent: %s", strings.Join(msgs, "; "))
		}
		return nil, nil, err
	}
	return ch, done, nil
}
