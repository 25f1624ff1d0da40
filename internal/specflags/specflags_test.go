package specflags

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/cmdutil"
)

// The typing of custom values itself is wrapper.TypedCustomValue's, tested
// in package wrapper.
func TestCustom(t *testing.T) {
	var c Custom
	require.NoError(t, c.Set("seats=3"))
	require.NoError(t, c.Set("zip:=02134"))
	require.NoError(t, c.Set("flag:=true"))
	require.NoError(t, c.Set("eq=a=b"))
	require.Equal(t, map[string]any{"seats": int64(3), "zip": "02134", "flag": "true", "eq": "a=b"}, c.M)
	require.ErrorContains(t, c.Set("seats=4"), "given twice")
	require.Error(t, c.Set("=1"))
	require.Error(t, c.Set("novalue"))
	require.ErrorContains(t, c.Set("big=99999999999999999999"), "big:=99999999999999999999")
	require.EqualError(t, c.Set("k\xff=v"), "not valid UTF-8")
	require.EqualError(t, c.Set("k=v\xff"), "not valid UTF-8")
}

// A field flag's help, wrapped, has no line over 90 bytes, and says what the
// spec says: the enum's values, the format, required on create only.
func TestUsage(t *testing.T) {
	for _, p := range generated.CreateOpportunityProperties() {
		for _, line := range strings.Split(Usage(p, true), "\n") {
			require.LessOrEqual(t, len(line), 90, "%s: %q", p.Name, line)
		}
	}
	p := generated.Property{Name: "forecast_category", Description: "The `forecast`\ncategory.", Enum: []string{"pipeline", "won"}, Required: true}
	require.Equal(t, "forecast_category: The forecast category. One of pipeline, won. (required)", Usage(p, true))
	require.Equal(t, "forecast_category: The forecast category. One of pipeline, won.", Usage(p, false))
}

func fields(t *testing.T, args ...string) (*Fields, *cobra.Command) {
	t.Helper()
	var f Fields
	cmd := &cobra.Command{Use: "create"}
	f.Register(cmd, generated.CreateOpportunityProperties(), func(s string) string { return strings.ReplaceAll(s, "_", "-") }, true, "JSON")
	require.NoError(t, cmd.ParseFlags(args))
	return &f, cmd
}

func TestBodyFromFlagsOrFile(t *testing.T) {
	f, cmd := fields(t, "--owner", "a@example.org", "--amount-in-cents", "100", "--custom", "seats=3")
	body, err := f.Body(nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"owner":"a@example.org","amount_in_cents":100,"custom":[{"key":"seats","value":3}]}`, string(body))
	require.NotNil(t, cmd.Flags().Lookup("forecast-category"), "a flag for every property")
	require.Nil(t, cmd.Flags().Lookup("custom-"), "custom is --custom only")

	var f2 Fields
	cmd2 := &cobra.Command{Use: "create"}
	f2.Register(cmd2, generated.CreateOpportunityProperties(), func(s string) string { return s }, true, "JSON")
	require.ErrorContains(t, cmd2.ParseFlags([]string{"--pipeline_stage", "S\xff"}), "not valid UTF-8")

	f, _ = fields(t, "--file", "-")
	body, err = f.Body(strings.NewReader(`{"owner":"b@example.org"}`))
	require.NoError(t, err)
	require.Equal(t, `{"owner":"b@example.org"}`, string(body))

	var ue *cmdutil.UsageError
	f, _ = fields(t, "--file", "x.json", "--owner", "a@example.org", "--custom", "k=v")
	_, err = f.Body(nil)
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "--file cannot be combined with field flags (--custom --owner)", ue.Msg)

	f, _ = fields(t, "--file=")
	_, err = f.Body(nil)
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "--file needs a path (- for stdin)", ue.Msg)

	f, _ = fields(t, "--file", t.TempDir())
	_, err = f.Body(nil)
	require.ErrorAs(t, err, &ue)
}
