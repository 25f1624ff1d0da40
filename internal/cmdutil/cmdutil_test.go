package cmdutil

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func tree() *cobra.Command {
	root := &cobra.Command{Use: "app"}
	root.PersistentFlags().String("api-key", "", "")
	sub := &cobra.Command{Use: "import"}
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
