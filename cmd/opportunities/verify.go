package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/contract/livecheck"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// verify is package livecheck's command-line face: the flags, the progress
// lines and the report.

// verifyFlags are verify's flags.
type verifyFlags struct{ customer, owner, pipeline, stage, output string }

func verifyCommand(e *env) *cobra.Command {
	var f verifyFlags
	cmd := command("verify --customer-uuid CUS --owner EMAIL [--pipeline P --stage S] [--output table|json]",
		"check that an API (the real one, or any server) still matches openapi.yaml", noArgs,
		func(*cobra.Command, []string) int { return e.runVerify(f) })
	fs := cmd.Flags()
	fs.StringVar(&f.customer, "customer-uuid", "", "the test customer the opportunities are created for, `cus_UUID` (required)")
	fs.StringVar(&f.owner, "owner", "", "the `e-mail` of a user with a CRM seat, the opportunities' owner (required)")
	fs.StringVar(&f.pipeline, "pipeline", "New Business", "a pipeline of the account")
	fs.StringVar(&f.stage, "stage", "Discovery", "a stage of that pipeline")
	fs.StringVarP(&f.output, "output", "o", "table", "report `format`: table or json, as for the other commands (text is table's old name)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (e *env) runVerify(f verifyFlags) int {
	cc, err := contract.Load()
	if err != nil {
		return e.fail(err, nil)
	}
	// The progress (the run's marker, each UUID as it is created) is written
	// before and during the run, so that even a kill -9 leaves what is needed
	// to find and delete what the run created: on stdout for the text
	// report, on stderr with --output json (stdout holds one JSON document).
	progress, created := e.stdout, 0
	if f.output == "json" {
		progress = e.stderr
	}
	say := func(line string) { sayNow(progress, e.redact(line)) }
	var ch *livecheck.Check
	var done func()
	ch, done, err = e.newCheck(cc, f, func(ev livecheck.Event) {
		if !ev.Found {
			created++
		}
		say(ch.EventLine(ev))
	})
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	say(ch.StartLine())
	if f.output != "json" {
		say("")
	}
	// SIGHUP (the terminal closed, the SSH session dropped) is a Ctrl-C too:
	// what was created is deleted.
	ctx, stop := e.signalContext()
	defer stop()
	if ch.Steps(ctx) {
		stop() // a second Ctrl-C now ends the process at once
	}
	rep := ch.Finish()
	// Everything in the report may come from the server: redact the key and
	// escape control characters, as every other command does.
	rep.Sanitize(e.redact)
	if f.output == "json" {
		if err := safetext.WriteJSON(e.stdout, rep); err != nil {
			return e.fail(fmt.Errorf("writing the report: %w", err), nil)
		}
	} else {
		if created > 0 {
			say("")
		}
		_ = rep.WriteText(e.stdout) // the exit status is the verdict's, as it always was
	}
	if rep.Conforms {
		return exitOK
	}
	return exitError
}

// sayNow writes one line of progress at once (stdout is not buffered, so the
// line is out even if the process is then killed).
func sayNow(w io.Writer, line string) {
	_, _ = io.WriteString(w, line+"\n")
	if f, ok := w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}

// newCheck checks the flags before anything is sent: the create body is
// validated against the spec, so a bad value is named by its flag.
// Under --fake it checks the embedded fake (a demonstration: the fake is
// built from the spec); done stops it.
func (e *env) newCheck(cc *contract.Contract, f verifyFlags, progress func(livecheck.Event)) (ch *livecheck.Check, done func(), err error) {
	switch {
	case f.customer == "":
		return nil, nil, usagef("--customer-uuid is required: the test customer to create opportunities for")
	case f.owner == "":
		return nil, nil, usagef("--owner is required: a user with a CRM seat")
	case f.output != "table" && f.output != "text" && f.output != "json":
		return nil, nil, usagef("--output must be table or json, got %q", f.output)
	}
	key, base, done, err := e.endpoint()
	if err != nil {
		return nil, nil, err
	}
	ch, err = livecheck.New(cc, livecheck.Config{BaseURL: base, APIKey: key, CustomerUUID: f.customer, Owner: f.owner,
		Pipeline: f.pipeline, Stage: f.stage, Timeout: e.g.timeout, UserAgent: "opportunities-verify " + wrapper.DefaultUserAgent,
		Progress: progress})
	var ce *contract.Error
	if errors.As(err, &ce) {
		var msgs []string
		for _, viol := range ce.Violations {
			msgs = append(msgs, fmt.Sprintf("%s: %s", fieldWithFlag(viol.Field, verifyFlagNames), viol.Message))
		}
		done()
		return nil, nil, usagef("invalid input, nothing was sent: %s", strings.Join(msgs, "; "))
	}
	if err != nil {
		done()
		return nil, nil, err
	}
	return ch, done, nil
}

var verifyFlagNames = map[string]string{"customer_uuid": "customer-uuid", "owner": "owner", "pipeline": "pipeline", "pipeline_stage": "stage"}
