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
// template with exactly the one marked change. After a generator upgrade this
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

	const before = `    serverURL, err := url.Parse(server)
    if err != nil {
        return nil, err
    }

    operationPath := fmt.Sprintf("{{genParamFmtString .Path}}"{{range $paramIdx, $param := .PathParams}}, pathParam{{$paramIdx}}{{end}})
    if operationPath[0] == '/' {
        operationPath = "." + operationPath
    }

    queryURL, err := serverURL.Parse(operationPath)
    if err != nil {
        return nil, err
    }
`
	start := strings.Index(string(ours), "    {{/* mogulkit change:")
	require.GreaterOrEqual(t, start, 0, "the marked change is missing")
	end := strings.Index(string(ours)[start:], "    if err != nil {\n        return nil, err\n    }\n")
	require.Greater(t, end, 0)
	end += start + len("    if err != nil {\n        return nil, err\n    }\n")
	require.Equal(t, 1, strings.Count(string(upstream), before), "upstream's template changed: copy it again and re-apply the change")
	require.Equal(t, strings.Replace(string(upstream), before, string(ours)[start:end], 1), string(ours))
}
