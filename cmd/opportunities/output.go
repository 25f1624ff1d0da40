package main

import (
	"bytes"
	"cmp"
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
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// output is the --output flag of the commands that print opportunities:
// json (the API's shape) or table (for people). Unset, it is table on a
// terminal and json otherwise. No colour is ever used.
type output struct{ format string }

// register adds --output to cmd, with completion of its values.
func (o *output) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "", "output `format`: json or table (default: table on a terminal, else json)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "table"}, cobra.ShellCompDirectiveNoFileComp))
}

// check refuses a format other than json and table.
func (o *output) check() error {
	if o.format != "" && o.format != "json" && o.format != "table" {
		return cmdutil.Usagef("--output must be json or table, got %q", o.format)
	}
	return nil
}

// table reports whether e prints for people.
func (o *output) table(e *env) bool { return o.format == "table" || (o.format == "" && e.ios.OutTTY) }

// deleted is what delete prints: {} as JSON, as the API answers.
type deleted struct{ uuid string }

func (deleted) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// show writes v on stdout as JSON or, for people, in one write so that the
// key is redacted from the whole text.
func (e *env) show(o *output, v any) error {
	if !o.table(e) {
		return safetext.WriteJSON(e.ios.Stdout(), v)
	}
	var b bytes.Buffer
	switch v := v.(type) {
	case wrapper.Opportunity:
		e.writeBlock(&b, v)
	case wrapper.Page:
		e.writeTable(&b, v.Entries)
		if v.HasMore {
			fmt.Fprintf(&b, "\nMore: --cursor %s\n", e.ios.RedactData(v.Cursor))
		}
	case deleted:
		fmt.Fprintf(&b, "Deleted %s\n", e.ios.RedactData(v.uuid))
	}
	_, err := e.ios.Stdout().Write(b.Bytes())
	return err
}

// printAll prints every opportunity of an iterator: JSON Lines as they
// come, or one table at the end (its columns aligned over all the rows).
// The iterator's error is returned after what came before it is printed.
func (e *env) printAll(o *output, all iter.Seq2[wrapper.Opportunity, error]) error {
	var rows []wrapper.Opportunity
	var failed error
	for opp, err := range all {
		if err != nil {
			failed = err
			break
		}
		if o.table(e) {
			rows = append(rows, opp)
		} else if err := e.show(o, opp); err != nil {
			return err
		}
	}
	if o.table(e) {
		return cmp.Or(e.show(o, wrapper.Page{Entries: rows}), failed)
	}
	return failed
}

// writeTable writes opportunities as a table: the columns a person scans
// for, every cell escaped (a server chooses them).
func (e *env) writeTable(w io.Writer, opps []wrapper.Opportunity) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tCUSTOMER\tPIPELINE / STAGE\tAMOUNT\tCLOSE DATE\tFORECAST\tWIN %")
	for _, o := range opps {
		win := "-"
		if o.WinLikelihood != nil {
			win = strconv.Itoa(*o.WinLikelihood)
		}
		cells := []string{o.UUID, o.CustomerUUID, o.Pipeline + " / " + o.PipelineStage, amount(o.AmountInCents, o.Currency),
			o.EstimatedCloseDate, cmp.Or(string(o.ForecastCategory), "-"), win}
		for i, c := range cells {
			cells[i] = e.ios.RedactData(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
	if len(opps) == 0 {
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

// writeBlock writes one opportunity as "field: value" lines in the order of
// the spec's properties (so a property added to openapi.yaml is shown with
// no edit here), custom attributes one a line.
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
			fmt.Fprintf(tw, "%s:\t%s\n", p.Name, e.ios.RedactData(plain(raw)))
			continue
		}
		var custom map[string]json.RawMessage
		_ = json.Unmarshal(raw, &custom)
		for _, k := range slices.Sorted(maps.Keys(custom)) {
			fmt.Fprintf(tw, "%s:\t%s\n", e.ios.RedactData("custom."+k), e.ios.RedactData(plain(custom[k])))
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
