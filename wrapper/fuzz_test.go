package wrapper

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Fuzz targets; `make fuzz` runs each briefly. Seeds live in testdata/fuzz.

const fuzzOpportunity = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
"owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business","pipeline_stage":"Discovery",
"estimated_close_date":"2023-12-22","currency":"USD","amount_in_cents":100,"type":"recurring",
"forecast_category":"best_case","win_likelihood":3,"custom":{"from_campaign":true,"seats":3,"x":[1.5,{"y":null}]},
"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`

// FuzzDecodeOpportunity: any body either decodes to a value with a non-nil
// custom map, or gives an *APIError that keeps the status and the body.
func FuzzDecodeOpportunity(f *testing.F) {
	f.Add([]byte(fuzzOpportunity))
	f.Add([]byte(`{"custom":{"n":18446744073709551616}}`))
	f.Add([]byte(`{"estimated_close_date":"2023-12-22T00:00:00Z"}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeOpportunity(http.MethodGet, result{status: 200, header: http.Header{}, body: body, path: "/v1/opportunities/x"})
		if err != nil {
			apiErr, ok := err.(*APIError)
			require.True(t, ok, "%T", err)
			require.Equal(t, 200, apiErr.StatusCode)
			require.Equal(t, body[:min(len(body), maxErrorBody)], apiErr.Body)
			require.Equal(t, Opportunity{}, o)
			return
		}
		require.NotNil(t, o.Custom)
		for _, v := range o.Custom {
			if x, ok := v.(float64); ok {
				require.False(t, math.IsNaN(x))
			}
		}
	})
}

// FuzzErrorBody: parsing any error body never panics, keeps at most the cap,
// and never puts an HTML page into the message.
func FuzzErrorBody(f *testing.F) {
	f.Add(404, "application/json", []byte(`{"error":"Opportunity not found"}`))
	f.Add(422, "application/json", []byte(`{"errors":{"win_likelihood":"must be between 0 and 100"}}`))
	f.Add(400, "application/json", []byte(`{"code":400,"message":"Parameter \"custom[0][type]\" does not have a valid value","param":"custom[0][type]"}`))
	f.Add(422, "application/json", []byte(`{"name":["Name can't be blank"],"error_details":[{"param":"name","code":"blank","message":"Name can't be blank"}]}`))
	f.Add(502, "text/html", []byte(`<html><body>502 Bad Gateway</body></html>`))
	f.Add(500, "text/plain", []byte("Internal Server Error\n"))
	f.Add(503, "", []byte{})
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", contentType)
		e := newAPIError(http.MethodPost, "/v1/opportunities", status, h, body, nil)
		msg := e.Error()
		require.NotEmpty(t, msg)
		require.LessOrEqual(t, len(e.Body), maxErrorBody)
		if strings.HasPrefix(strings.TrimSpace(string(body)), "<") {
			require.NotContains(t, e.Message, "<")
		}
		if !json.Valid(body) && utf8.Valid(body) {
			require.LessOrEqual(t, len(e.Message), 200+len("…"))
		}
	})
}

// FuzzCustomRoundTrip: a value the wrapper accepts comes back from the
// server's object form as the same value (integers as int64, floats as
// float64), and a key is never lost or renamed.
func FuzzCustomRoundTrip(f *testing.F) {
	f.Add("seats", "Facebook", int64(3), 12.5, true)
	f.Add("", "\u2028<>&\"", int64(math.MinInt64), math.MaxFloat64, false)
	f.Add("k.with.dots", "", int64(9007199254740993), 1e-300, true)
	f.Fuzz(func(t *testing.T, key, s string, i int64, x float64, b bool) {
		in := map[string]any{key + "s": s, key + "i": i, key + "b": b, key + "x": x}
		var p problems
		list := customToWire(in, &p)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			require.Len(t, p, 1)
			require.Equal(t, "custom."+key+"x", p[0].Field)
			return
		}
		require.Empty(t, p)
		obj := map[string]json.RawMessage{}
		for _, a := range list {
			raw, err := json.Marshal(a.Value)
			require.NoError(t, err)
			obj[a.Key] = raw
		}
		out, err := customFromWire(obj)
		require.NoError(t, err)
		require.Equal(t, i, out[key+"i"])
		require.Equal(t, b, out[key+"b"])
		if utf8.ValidString(s) {
			require.Equal(t, s, out[key+"s"])
		}
		switch got := out[key+"x"].(type) {
		case float64:
			require.Equal(t, x, got)
		case int64: // an integral float comes back as an integer of the same value
			require.Equal(t, x, float64(got))
		default:
			t.Fatalf("float came back as %T", got)
		}
	})
}
