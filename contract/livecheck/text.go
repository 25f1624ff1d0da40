package livecheck

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for a terminal: one line per step (its Label,
// name, method, path template and status, "-" when none came) with its
// findings under it, then the cleanup, whether the check was interrupted,
// and the verdict. Call Sanitize first: much of the report comes from the
// server. It returns the error of writing to w.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, s := range r.Steps {
		s.writeText(&b)
	}
	r.Cleanup.writeText(&b)
	if r.Interrupted {
		b.WriteString("Interrupted: not every step ran.\n")
	}
	verdict := "the API conforms to openapi.yaml"
	if !r.Conforms {
		verdict = "the API does NOT conform to openapi.yaml, or the check could not complete"
	}
	fmt.Fprintf(&b, "Result: %d drift, %d warning(s), %d failed step(s): %s\n", r.Drift, r.Warnings, r.Errors, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeText writes the step's line and its findings' for WriteText.
func (s *Step) writeText(b *strings.Builder) {
	status := "-"
	if s.Status != 0 {
		status = fmt.Sprint(s.Status)
	}
	fmt.Fprintf(b, "%-7s%-42s %-6s %s -> %s\n", s.Label(), s.Step, s.Method, s.Path, status)
	for _, f := range s.Findings {
		where := strings.TrimSpace(f.Part + " " + f.Field)
		if where != "" {
			where += ": "
		}
		fmt.Fprintf(b, "         %s %s: %s%s\n", f.Severity, f.Kind, where, f.Message)
	}
}

// writeText writes the cleanup's line for WriteText, after an empty line.
// Anything that may be left behind is said in capitals.
func (c *Cleanup) writeText(b *strings.Builder) {
	var left []string
	if len(c.LeftBehind) > 0 {
		left = append(left, "LEFT BEHIND: "+strings.Join(c.LeftBehind, ", "))
	}
	if c.OutcomeUnknown {
		left = append(left, fmt.Sprintf("outcome unknown: a create may have been applied and looking for it failed (%s), "+
			"so an opportunity may be LEFT BEHIND; find it by its custom attribute verify_string %q and delete it", c.LookupError, c.Marker))
	}
	if len(left) == 0 {
		left = append(left, "nothing left behind")
	}
	fmt.Fprintf(b, "\nCleanup: created %d, deleted %d, %s\n", c.Created, c.Deleted, strings.Join(left, "; "))
}

// StartLine is the line to print before Steps: the API, the run and the
// marker, so that what a run creates can be found even if it is killed.
func (ch *Check) StartLine() string {
	return fmt.Sprintf("Verifying %s against openapi.yaml (run %s, marker: verify_string %q)", ch.BaseURL(), ch.Run(), ch.Marker())
}

// EventLine is the line to print for ev as Config.Progress is told of it.
// The UUID comes from the server: sanitize the line before printing it.
func (ch *Check) EventLine(ev Event) string {
	if ev.Found {
		return fmt.Sprintf("Found %s by its marker", ev.UUID)
	}
	return fmt.Sprintf("Created %s (marker %q)", ev.UUID, ch.Marker())
}
