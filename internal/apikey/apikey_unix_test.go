//go:build !windows

package apikey

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Unix file modes only: Windows has no group/other read bits.
func TestWarnsWhenOthersCanReadTheFile(t *testing.T) {
	var warnings []string
	warn := func(msg string) { warnings = append(warnings, msg) }
	private := keyFile(t, "sk_live_key\n", 0o600)
	_, err := Sources{File: private, Warn: warn}.Resolve()
	require.NoError(t, err)
	require.Empty(t, warnings)

	shared := keyFile(t, "sk_live_key\n", 0o644)
	key, err := Sources{File: shared, Warn: warn}.Resolve()
	require.NoError(t, err)
	require.Equal(t, "sk_live_key", key, "a warning, not a refusal")
	require.Equal(t, []string{"the key file " + shared + " can be read by other users (mode 0644); chmod 600 " + shared}, warnings)

	_, err = Sources{File: shared}.Resolve()
	require.NoError(t, err, "no Warn, no warning")
}
