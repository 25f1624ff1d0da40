package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func tree() *cobra.Command {
	root := &cobra.Command{Use: "app"}
	root.PersistentFlags().String("api-key", "", "")
	sub := &cobra.Command{Use: "import", Run: func(*cobra.Command, []string) {}}
	sub.Flags().String("journal", "", "")
	sub.Flags().Bool("check", false, "")
	sub.Flags().String("resume", "", "")
	sub.Flags().Lookup("resume").NoOptDefVal = "true"
	root.AddCommand(sub)
	return root
}

func TestNormalizeArgs(t *testing.T) {
	join := func(name, next string) bool { return name == "resume" && next == "j" }
	for _, c := range []struct{ in, want []string }{
		{[]string{"-api-key", "k", "import", "-journal", "-x", "-check"}, []string{"--api-key", "k", "import", "--journal", "-x", "--check"}},
		{[]string{"import", "--resume", "j", "f"}, []string{"import", "--resume=j", "f"}},
		{[]string{"import", "-resume", "f"}, []string{"import", "--resume", "f"}},
		{[]string{"import", "--resume=j2", "j"}, []string{"import", "--resume=j2", "j"}},
		{[]string{"import", "-unknown", "--", "-check"}, []string{"import", "-unknown", "--", "-check"}},
		{[]string{"-help", "-version"}, []string{"--help", "--version"}},
		{[]string{"import", "--journal"}, []string{"import", "--journal"}},
	} {
		require.Equal(t, c.want, NormalizeArgs(tree(), c.in, join), "%q", c.in)
	}
	require.Equal(t, []string{"import", "--resume", "j"}, NormalizeArgs(tree(), []string{"import", "-resume", "j"}, nil))
}

func TestLastValue(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--api-key", "a", "x", "--api-key=b"}, "b"},
		{[]string{"-api-key", "a"}, "a"},
		{[]string{"---api-key=a"}, "a"},
		{[]string{"\u2014api-key=a"}, "a"},
		{[]string{"\u2013api-key", "a"}, "a"},
		{[]string{"--api-key", "a", "--", "--api-key", "b"}, "a"},
		{[]string{"api-key", "a", "--api-keys", "b", "--api-key"}, ""},
	} {
		require.Equal(t, c.want, LastValue(c.args, "api-key"), "%q", c.args)
	}
}

func TestPlainFlagError(t *testing.T) {
	require.Equal(t, `invalid argument "x" for "--n" flag: want a whole number`,
		PlainFlagError(`invalid argument "x" for "--n" flag: strconv.ParseInt: parsing "x": invalid syntax`))
	require.Equal(t, `invalid argument "x" for "--r" flag: want a number`,
		PlainFlagError(`invalid argument "x" for "--r" flag: strconv.ParseFloat: parsing "x": invalid syntax`))
	require.Equal(t, `invalid argument "9e99" for "--n" flag: out of range`,
		PlainFlagError(`invalid argument "9e99" for "--n" flag: strconv.ParseInt: parsing "9e99": value out of range`))
	require.Equal(t, "unknown flag: --x", PlainFlagError("unknown flag: --x"))
}

func TestSecretNeverShows(t *testing.T) {
	var key string
	s := Secret{P: &key}
	require.NoError(t, s.Set("sk_s3cr3t"))
	require.Equal(t, "sk_s3cr3t", key)
	require.Empty(t, s.String())
	require.Equal(t, "string", s.Type())
}

func TestVersion(t *testing.T) {
	require.Equal(t, "v1.2.3", Version("v1.2.3"))
	require.Equal(t, "devel", Version("")) // a test binary records no module version
}

// WrapWords keeps every word, in order, on lines of at most width bytes but
// for a word longer than that, which has a line of its own.
func TestWrapWords(t *testing.T) {
	require.Equal(t, "aa bb\ncc\nddddddd\ne", WrapWords("aa  bb cc\nddddddd e", 5))
	require.Equal(t, "", WrapWords("  ", 5))
}

func TestWantArgs(t *testing.T) {
	one := WantArgs(1, "one UUID")
	require.NoError(t, one(nil, []string{"a"}))
	var ue *UsageError
	require.ErrorAs(t, one(nil, nil), &ue)
	require.Equal(t, "missing the argument: one UUID expected", ue.Msg)
	require.EqualError(t, one(nil, []string{"a", "b"}), `unexpected argument "b" (one UUID expected)`)
	require.EqualError(t, WantArgs(0, "no argument")(nil, []string{"x"}), `unexpected argument "x" (no argument expected)`)
}

func TestFlagErrorIsAUsageError(t *testing.T) {
	var ue *UsageError
	require.ErrorAs(t, FlagError(nil, errors.New(`invalid argument "x" for "--n" flag: strconv.ParseInt: parsing "x": invalid syntax`)), &ue)
	require.Equal(t, `invalid argument "x" for "--n" flag: want a whole number`, ue.Msg)
	require.Equal(t, "exit status 2", ExitStatus(2).Error())
}

// execute runs root with args and returns its error and output.
func execute(root *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	root.SilenceErrors, root.SilenceUsage = true, true
	err := root.Execute()
	return out.String(), err
}

// help and completion refuse what they do not know with a usage error, where
// cobra's own print a page and succeed; what they know works as cobra's.
func TestHelpCompletionVersion(t *testing.T) {
	newTree := func() *cobra.Command {
		root := tree()
		root.AddCommand(VersionCommand("app", "v9"))
		root.SetHelpCommand(HelpCommand(root))
		AddCompletion(root)
		return root
	}
	var ue *UsageError
	_, err := execute(newTree(), "help", "import", "extra")
	require.ErrorAs(t, err, &ue)
	require.Equal(t, `unexpected argument "extra" (one COMMAND expected)`, ue.Msg)
	_, err = execute(newTree(), "help", "imprt")
	require.ErrorAs(t, err, &ue)
	require.Equal(t, `unknown command "imprt"`, ue.Msg)
	out, err := execute(newTree(), "help", "import")
	require.NoError(t, err)
	require.Contains(t, out, "--journal")
	out, err = execute(newTree(), "help")
	require.NoError(t, err)
	require.Contains(t, out, "Available Commands")

	_, err = execute(newTree(), "completion")
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "name a shell: bash, zsh, fish or powershell", ue.Msg)
	_, err = execute(newTree(), "completion", "tcsh")
	require.ErrorContains(t, err, `unknown command "tcsh"`)
	root := newTree()
	c, _, err := root.Find([]string{"completion", "bash"})
	require.NoError(t, err)
	require.Equal(t, "bash", c.Name()) // cobra's shells are kept

	out, err = execute(newTree(), "version")
	require.NoError(t, err)
	require.Equal(t, "app v9\n", out)
}

func TestOptional(t *testing.T) {
	r := Optional{What: "journal name"}
	require.NoError(t, r.Set("x.journal"))
	require.Equal(t, Optional{On: true, Value: "x.journal", What: "journal name"}, r)
	require.NoError(t, r.Set("true"))
	require.Equal(t, Optional{On: true, What: "journal name"}, r)
	require.NoError(t, r.Set("x.journal"))
	require.NoError(t, r.Set("false"))
	require.Equal(t, Optional{What: "journal name"}, r)
	require.EqualError(t, r.Set(""), "empty journal name")
	require.Equal(t, Optional{What: "journal name"}, r, "unchanged by a refused value")

	// On a command line: alone, with =, and the help's form.
	for args, want := range map[string]Optional{"--resume": {On: true}, "--resume=j": {On: true, Value: "j"}, "": {}} {
		var o Optional
		fs := pflag.NewFlagSet("", pflag.ContinueOnError)
		OptionalVar(fs, &o, "resume", "continue: `[JOURNAL]`")
		require.NoError(t, fs.Parse(strings.Fields(args)))
		require.Equal(t, want, o, args)
		require.Contains(t, fs.FlagUsages(), "--resume [JOURNAL]   continue: [JOURNAL]")
	}
}

func TestCommandReadsItsHelpAndReturnsTheStatus(t *testing.T) {
	files := fstest.MapFS{"help/sync.txt": {Data: []byte("Syncs.\n\nMore.\n\nExamples:\n  app sync\n")}}
	cmd := Command(files, "sync [flags]", "sync it", cobra.NoArgs, func(*cobra.Command, []string) int { return 3 })
	require.Equal(t, "Syncs.\n\nMore.", cmd.Long)
	require.Equal(t, "  app sync", cmd.Example)
	require.Equal(t, ExitStatus(3), cmd.RunE(cmd, nil))
	ok := Command(files, "sync", "", nil, func(*cobra.Command, []string) int { return 0 })
	require.NoError(t, ok.RunE(ok, nil))
	require.Panics(t, func() { HelpText(files, "missing") })
}
