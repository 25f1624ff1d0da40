// Package specflags turns a request schema of openapi.yaml into command-line
// flags: one flag per property, typed and described by the spec (an enum's
// values completed), --custom KEY=VALUE for the custom attributes, and
// --file for the body as JSON instead. A property added to the spec gets its
// flag after `make generate`, with no edit here.
package specflags

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/wrapper"
)

// Custom is the repeatable --custom KEY=VALUE flag: the value typed as
// wrapper.TypedCustomValue types it, or a string for KEY:=VALUE.
type Custom struct{ M map[string]any }

// String is empty: the help shows no default.
func (c *Custom) String() string { return "" }

// Type is what the help shows after the flag.
func (c *Custom) Type() string { return "KEY=VALUE" }

// Set adds one attribute; a key given twice is an error.
func (c *Custom) Set(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want KEY=VALUE, or KEY:=VALUE for a string")
	}
	key, asString := wrapper.CustomKey(k)
	if key == "" {
		return errors.New("the key is empty")
	}
	if _, dup := c.M[key]; dup {
		return fmt.Errorf("custom attribute %q is given twice", key)
	}
	var val any = v
	if !asString {
		var err error
		if val, err = wrapper.TypedCustomValue(v); err != nil {
			return fmt.Errorf("%v (write %s:=%s to send it as a string)", err, key, v)
		}
	}
	if c.M == nil {
		c.M = map[string]any{}
	}
	c.M[key] = val
	return nil
}

// errNotUTF8 refuses a value that is not UTF-8: JSON would carry U+FFFD in
// place of the bad bytes, silently.
var errNotUTF8 = errors.New("not valid UTF-8")

// Fields are the flags of a request schema: one per property but custom,
// --custom and --file.
type Fields struct {
	File   string // --file: the body as JSON, - for stdin
	props  []generated.Property
	text   map[string]string // API field names and their values as written
	custom Custom
	fs     *pflag.FlagSet
}

// fieldValue is one field flag, its text kept for the body.
type fieldValue struct {
	f    *Fields
	prop generated.Property
}

func (v fieldValue) String() string { return "" }
func (v fieldValue) Type() string   { return v.prop.Type }
func (v fieldValue) Set(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	if v.f.text == nil {
		v.f.text = map[string]string{}
	}
	v.f.text[v.prop.Name] = s
	return nil
}

// Register defines the flags of props on cmd: each named by name, its help
// from the spec (required ones marked when required is true), an enum's
// values completed (no file names for the others), and --file, described by
// fileUsage.
func (f *Fields) Register(cmd *cobra.Command, props []generated.Property, name func(field string) string, required bool, fileUsage string) {
	f.props, f.fs = props, cmd.Flags()
	f.fs.StringVar(&f.File, "file", "", "read the request body from `FILE` (- for stdin): "+fileUsage+"; not combined with field flags")
	for _, p := range props {
		if p.Name == "custom" {
			continue
		}
		f.fs.Var(fieldValue{f: f, prop: p}, name(p.Name), Usage(p, required))
		_ = cmd.RegisterFlagCompletionFunc(name(p.Name), cobra.FixedCompletions(p.Enum, cobra.ShellCompDirectiveNoFileComp)) // no file names
	}
	f.fs.Var(&f.custom, "custom", "custom attribute, repeatable. The value is typed as JSON reads it:\n"+
		"true/false a boolean, 3 an integer, 12.5 a decimal, anything else a string;\n"+
		"KEY:=VALUE always sends a string (e.g. zip:=02134)")
	_ = cmd.RegisterFlagCompletionFunc("custom", cobra.NoFileCompletions)
}

// Usage is a field flag's help, from the spec, wrapped at 90 bytes.
func Usage(p generated.Property, required bool) string {
	desc := strings.Join(strings.Fields(strings.ReplaceAll(p.Description, "`", "")), " ")
	u := p.Name + ": " + desc
	if len(p.Enum) > 0 {
		u += " One of " + strings.Join(p.Enum, ", ") + "."
	}
	if p.Format != "" {
		u += " (" + p.Format + ")"
	}
	if required && p.Required {
		u += " (required)"
	}
	return cmdutil.WrapWords(u, 90)
}

// Body is the request body: --file's (read from stdin for -), or the field
// flags' typed by the schema. The two do not mix: a *cmdutil.UsageError.
func (f *Fields) Body(stdin io.Reader) (body []byte, err error) {
	if f.File == "" && f.fs.Changed("file") {
		return nil, cmdutil.Usagef("--file needs a path (- for stdin)")
	}
	if f.File == "" {
		return wrapper.BodyFromText(f.props, f.text, f.custom.M), nil
	}
	var given []string
	f.fs.Visit(func(fl *pflag.Flag) {
		if _, ok := fl.Value.(fieldValue); ok || fl.Name == "custom" {
			given = append(given, "--"+fl.Name)
		}
	})
	if len(given) > 0 {
		return nil, cmdutil.Usagef("--file cannot be combined with field flags (%s)", strings.Join(given, " "))
	}
	if f.File != "-" {
		body, err = os.ReadFile(f.File)
	} else if body, err = io.ReadAll(stdin); err != nil {
		err = fmt.Errorf("reading stdin: %w", err)
	}
	if err != nil {
		return nil, cmdutil.Usagef("%v", err)
	}
	return body, nil
}
