package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// output is the --output flag of the commands that print opportunities:
// json (the API's shape) or table (for people). Unset, it is table on a
// terminal and json otherwise. No colour is ever used.
type output struct{ format string }

func (o *output) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "", "output `format`: json or table (default: table on a terminal, else json)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "table"}, cobra.ShellCompDirectiveNoFileComp))
}

func (o *output) check() error {
	switch o.format {
	case "", "json", "table":
		return nil
	}
	return usagef("--output must be json or table, got %q", o.format)
}

// table reports whether e prints for people.
func (o *output) table(e *env) bool { return o.format == "table" || (o.format == "" && e.stdoutTTY) }

// deleted is what delete prints: {} as JSON, as the API answers.
type deleted struct{ uuid string }

func (deleted) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// print writes v (an opportunity, a page or a deletion) on stdout.
func (e *env) print(o *output, v any) int {
	var err error
	if !o.table(e) {
		err = safetext.WriteJSON(e.out(), v)
	} else {
		var b bytes.Buffer
		switch v := v.(type) {
		case wrapper.Opportunity:
			e.writeBlock(&b, v)
		case wrapper.Page:
			e.writeTable(&b, slices.Values(v.Entries))
			if v.HasMore {
				fmt.Fprintf(&b, "\nMore: --cursor %s\n", e.redactData(v.Cursor))
			}
		case deleted:
			fmt.Fprintf(&b, "Deleted %s\n", e.redactData(v.uuid))
		}
		_, err = e.out().Write(b.Bytes())
	}
	if err != nil {
		return e.fail(fmt.Errorf("writing the output: %w", err), nil)
	}
	return exitOK
}

// printAll prints every opportunity of an iterator: JSON Lines, or one
// table (columns aligned over all the rows).
func (e *env) printAll(o *output, all iter.Seq2[wrapper.Opportunity, error]) error {
	var failed error
	ok := func(yield func(wrapper.Opportunity) bool) {
		for opp, err := range all {
			if err != nil {
				failed = err
				return
			}
			if !yield(opp) {
				return
			}
		}
	}
	if o.table(e) {
		var b bytes.Buffer
		e.writeTable(&b, ok)
		if _, err := e.out().Write(b.Bytes()); err != nil {
			return err
		}
		return failed
	}
	for opp := range ok {
		if err := safetext.WriteJSON(e.out(), opp); err != nil {
			return err
		}
	}
	return failed
}

// writeTable writes opportunities as a table: the columns a person scans
// for, every cell escaped (a server chooses them).
func (e *env) writeTable(w io.Writer, opps iter.Seq[wrapper.Opportunity]) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tCUSTOMER\tPIPELINE / STAGE\tAMOUNT\tCLOSE DATE\tFORECAST\tWIN %")
	n := 0
	for o := range opps {
		n++
		win := "-"
		if o.WinLikelihood != nil {
			win = strconv.Itoa(*o.WinLikelihood)
		}
		cells := []string{o.UUID, o.CustomerUUID, o.Pipeline + " / " + o.PipelineStage, amount(o.AmountInCents, o.Currency),
			o.EstimatedCloseDate, orDash(string(o.ForecastCategory)), win}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(e.redactData(c), "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "(no opportunities)")
	}
}

// amount writes cents as units with two decimals and the currency:
// "1000.00 USD".
func amount(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeBlock writes one opportunity as "field: value" lines, in the order
// of the spec's properties (so a property added to openapi.yaml is shown
// with no edit here), custom attributes one a line.
func (e *env) writeBlock(w io.Writer, o wrapper.Opportunity) {
	data, _ := json.Marshal(o)
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(data, &fields)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, p := range generated.OpportunityProperties() {
		raw, ok := fields[p.Name]
		if !ok {
			continue
		}
		if p.Name != "custom" {
			fmt.Fprintf(tw, "%s:\t%s\n", p.Name, e.redactData(plain(raw)))
			continue
		}
		var custom map[string]json.RawMessage
		_ = json.Unmarshal(raw, &custom)
		for _, k := range slices.Sorted(maps.Keys(custom)) {
			fmt.Fprintf(tw, "%s:\t%s\n", e.redactData("custom."+k), e.redactData(plain(custom[k])))
		}
	}
	_ = tw.Flush()
}

// plain is a JSON value as a person reads it: a string without quotes,
// null as "-", anything else as JSON.
func plain(raw json.RawMessage) string {
	var s string
	switch {
	case string(raw) == "null":
		return "-"
	case json.Unmarshal(raw, &s) == nil:
		return s
	}
	return string(raw)
}
