package wrapper

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/internal/safetext"
)

// FuzzEchoedKey: whatever error body a server builds around the key it was
// sent ("%K" the key, "%B" the basic-auth base64, "%U" the key URL-encoded,
// "%H" the whole header), and wherever the body is cut, no printed form of
// the error holds any of them, and Error() has no control character.
func FuzzEchoedKey(f *testing.F) {
	f.Add("sk_test_5ecret-Key", 401, `{"message":"bad Authorization: %H"}`, 0)
	f.Add("k", 400, `{"errors":{"%K":["%B %U"]},"param":"%K"}`, 0)
	f.Add("a/b+c?d", 500, "proxy error: %H\x1b[2J", 7)
	f.Add("]x", 422, `{"name":["%K%K"],"error_details":[{"param":"%K","message":"%B"}]}`, 0)
	f.Add("abc", 200, `{"uuid":"%K","created_at":"%B"}`, 3)
	f.Fuzz(func(t *testing.T, key string, status int, template string, cut int) {
		if key == "" || len(key) > 64 {
			return
		}
		for i := 0; i < len(key); i++ {
			if key[i] < 0x21 || key[i] > 0x7e { // API keys are printable ASCII
				return
			}
		}
		header := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
		body := []byte(strings.NewReplacer("%K", key, "%B", header[len("Basic "):], "%U", url.QueryEscape(key), "%H", header).Replace(template))
		var cause error
		if cut > 0 && cut < len(body) {
			body, cause = body[:cut], &bodyReadError{fmt.Errorf("unexpected EOF")}
		}
		status = 100 + (max(status, -status)%500+500)%500
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {key}}
		red := safetext.NewRedactor(key)
		var e *APIError
		if status >= 200 && status < 300 && cause == nil {
			_, err := decodeOpportunity(http.MethodGet, result{status: status, header: h, body: body, path: "/v1/opportunities", red: red})
			if err == nil {
				return
			}
			e = err.(*APIError)
		} else {
			e = buildAPIError(red, http.MethodPost, "/v1/opportunities", status, h, body, cause)
		}
		e.Attempts = 2
		msg := e.Error()
		printed := []string{msg, fmt.Sprintf("%v", e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), e.Message, e.Code, e.Param,
			e.RequestID, string(e.Body)}
		for k, msgs := range e.Fields {
			printed = append(printed, k)
			printed = append(printed, msgs...)
		}
		forms := []string{key, header[len("Basic "):], strings.TrimRight(header[len("Basic "):], "="), url.QueryEscape(key)}
		for _, p := range printed {
			for _, form := range forms {
				require.NotContains(t, p, form)
			}
		}
		require.True(t, utf8.ValidString(msg))
		for _, r := range msg {
			require.False(t, r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f), "control character in %q", msg)
		}
	})
}
