package opportunities_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClientTemplateIsUpstreamPlusOneChange guards templates/client.tmpl, our
// copy of oapi-codegen's client template: it must be the pinned version's
// template with exactly the one marked change (one stretch of it). After a generator upgrade this
// fails until the template is copied again and the change re-applied.
func TestClientTemplateIsUpstreamPlusOneChange(t *testing.T) {
	// go mod download fetches the pinned version if the cache lacks it.
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/oapi-codegen/oapi-codegen/v2").Output()
	require.NoError(t, err)
	var mod struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &mod))
	upstream, err := os.ReadFile(filepath.Join(mod.Dir, "pkg", "codegen", "templates", "client.tmpl"))
	require.NoError(t, err)
	ours, err := os.ReadFile(filepath.Join("templates", "client.tmpl"))
	require.NoError(t, err)

	// The change is one stretch: from where upstream parses the server URL
	// to the Content-Type line after http.NewRequest. Everything before and
	// after it is upstream's, byte for byte.
	const upstreamStart = "    serverURL, err := url.Parse(server)\n"
	const ourStart = "    {{/* mogulkit change:"
	const end = "\n    {{if .HasBody}}req.Header.Add(\"Content-Type\", contentType){{end}}\n"
	for _, c := range []struct {
		text, anchor string
	}{{string(upstream), upstreamStart}, {string(upstream), end}, {string(ours), ourStart}, {string(ours), end}} {
		require.Equal(t, 1, strings.Count(c.text, c.anchor), "%q must appear once: if upstream's template changed, copy it again and re-apply the change", c.anchor)
	}
	u, o := string(upstream), string(ours)
	require.Equal(t, u[:strings.Index(u, upstreamStart)], o[:strings.Index(o, ourStart)], "before the marked change")
	require.Equal(t, u[strings.Index(u, end):], o[strings.Index(o, end):], "after the marked change")
}
