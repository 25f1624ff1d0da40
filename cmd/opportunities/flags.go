package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/wrapper"
)

// customFlag is the repeatable --custom KEY=VALUE flag.
type customFlag struct{ m map[string]any }

func (c *customFlag) String() string { return "" }
func (c *customFlag) Type() string   { return "KEY=VALUE" }

func (c *customFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want KEY=VALUE, or KEY:=VALUE for a string")
	}
	key, asString := wrapper.CustomKey(k)
	if key == "" {
		return errors.New("the key is empty")
	}
	if _, dup := c.m[key]; dup {
		return fmt.Errorf("custom attribute %q is given twice", key)
	}
	var val any = v
	if !asString {
		var err error
		if val, err = wrapper.TypedCustomValue(v); err != nil {
			return fmt.Errorf("%v (write %s:=%s to send it as a string)", err, key, v)
		}
	}
	if c.m == nil {
		c.m = map[string]any{}
	}
	c.m[key] = val
	return nil
}

// createProperties and updateProperties are the request schemas' properties.
var (
	createProperties = generated.CreateOpportunityProperties()
	updateProperties = generated.UpdateOpportunityProperties()
)

// flagAliases are the short names of some fields' flags; every other
// property of the spec gets a flag named after it (customer_uuid:
// --customer-uuid), so a new property in openapi.yaml needs no edit here.
var flagAliases = map[string]string{
	"pipeline_stage":       "stage",
	"estimated_close_date": "close-date",
	"amount_in_cents":      "amount-cents",
	"forecast_category":    "forecast",
	// list's filters
	"estimated_close_date_on_or_after":  "close-date-on-or-after",
	"estimated_close_date_on_or_before": "close-date-on-or-before",
}

// flagName is the flag that sets an API field or list parameter.
func flagName(field string) string {
	if f, ok := flagAliases[field]; ok {
		return f
	}
	return strings.ReplaceAll(field, "_", "-")
}

// fieldFlags are create's or update's field flags, one per property of the
// request schema, typed and described by openapi.yaml, and --file.
type fieldFlags struct {
	props  []generated.Property
	text   map[string]string // API field names and their values as written
	custom customFlag
	file   string // --file: the body as JSON
	fs     *pflag.FlagSet
}

// fieldValue is one field flag, its text kept for the body.
type fieldValue struct {
	ff   *fieldFlags
	prop generated.Property
}

func (v fieldValue) String() string { return "" }
func (v fieldValue) Type() string   { return v.prop.Type }
func (v fieldValue) Set(s string) error {
	if v.ff.text == nil {
		v.ff.text = map[string]string{}
	}
	v.ff.text[v.prop.Name] = s
	return nil
}

// register defines the field flags on cmd, an enum's values completed, and
// --file, described by fileUsage.
func (ff *fieldFlags) register(cmd *cobra.Command, create bool, fileUsage string) {
	ff.props = updateProperties
	if create {
		ff.props = createProperties
	}
	ff.fs = cmd.Flags()
	ff.fs.StringVar(&ff.file, "file", "", "read the request body from `FILE` (- for stdin): "+fileUsage+"; not combined with field flags")
	for _, p := range ff.props {
		if p.Name == "custom" {
			continue
		}
		name := flagName(p.Name)
		ff.fs.Var(fieldValue{ff: ff, prop: p}, name, flagUsage(p, create))
		if len(p.Enum) > 0 {
			_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(p.Enum, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	ff.fs.Var(&ff.custom, "custom", "custom attribute, repeatable. The value is typed as JSON reads it:\n"+
		"true/false a boolean, 3 an integer, 12.5 a decimal, anything else a string;\n"+
		"KEY:=VALUE always sends a string (e.g. zip:=02134)")
}

// flagUsage is a field flag's help, from the spec.
func flagUsage(p generated.Property, create bool) string {
	desc := strings.Join(strings.Fields(strings.ReplaceAll(p.Description, "`", "")), " ")
	u := p.Name + ": " + desc
	if len(p.Enum) > 0 {
		u += " One of " + strings.Join(p.Enum, ", ") + "."
	}
	if p.Format != "" {
		u += " (" + p.Format + ")"
	}
	if create && p.Required {
		u += " (required)"
	}
	return cmdutil.WrapWords(u, 90)
}

// body is the request body: --file's, or the field flags' typed by the
// schema (the two do not mix).
func (ff *fieldFlags) body(stdin io.Reader) (body []byte, err error) {
	if ff.file == "" && ff.fs.Changed("file") {
		return nil, cmdutil.Usagef("--file needs a path (- for stdin)")
	}
	if ff.file == "" {
		return wrapper.BodyFromText(ff.props, ff.text, ff.custom.m), nil
	}
	var given []string
	ff.fs.Visit(func(fl *pflag.Flag) {
		if _, ok := fl.Value.(fieldValue); ok || fl.Name == "custom" {
			given = append(given, "--"+fl.Name)
		}
	})
	if len(given) > 0 {
		return nil, cmdutil.Usagef("--file cannot be combined with field flags (%s)", strings.Join(given, " "))
	}
	if ff.file != "-" {
		body, err = os.ReadFile(ff.file)
	} else if body, err = io.ReadAll(stdin); err != nil {
		err = fmt.Errorf("reading stdin: %w", err)
	}
	if err != nil {
		return nil, cmdutil.Usagef("%v", err)
	}
	return body, nil
}
