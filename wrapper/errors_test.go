package wrapper_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

func TestErrorBodiesInEveryShape(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		message     string
		code        string
		param       string
		fields      map[string][]string
		is          func(error) bool
		offSpec     bool // the body breaks openapi.yaml on purpose
	}{
		{name: "single error", status: 404, body: `{"error":"Opportunity not found"}`,
			message: "Opportunity not found", is: wrapper.IsNotFound},
		{name: "errors by field", status: 422, body: `{"errors":{"win_likelihood":"must be between 0 and 100"}}`,
			fields: map[string][]string{"win_likelihood": {"must be between 0 and 100"}}, is: wrapper.IsValidation},
		{name: "errors by field, lists", status: 422, body: `{"errors":{"owner":["is invalid","has no seat"]}}`,
			fields: map[string][]string{"owner": {"is invalid", "has no seat"}}, is: wrapper.IsValidation},
		{name: "code message param", status: 400,
			body:    `{"code":400,"message":"Parameter \"custom[0][type]\" does not have a valid value","param":"custom[0][type]"}`,
			message: `Parameter "custom[0][type]" does not have a valid value`, code: "400", param: "custom[0][type]",
			is: wrapper.IsValidation},
		{name: "rails", status: 422,
			body:   `{"name":["Name can't be blank"],"error_details":[{"param":"name","code":"blank","message":"Name can't be blank"},{"param":"email","code":"taken","message":"is taken"}]}`,
			fields: map[string][]string{"name": {"Name can't be blank"}, "email": {"is taken"}}, is: wrapper.IsValidation},
		{name: "unauthorized", status: 401, body: `{"code":401,"message":"No valid API key provided"}`,
			message: "No valid API key provided", code: "401", is: wrapper.IsUnauthorized},
		{name: "forbidden", status: 403, body: `{"error":"Forbidden"}`, message: "Forbidden", is: wrapper.IsForbidden},
		{name: "rate limited", status: 429, body: `{"error":"Too Many Requests"}`, message: "Too Many Requests",
			is: wrapper.IsRateLimited},
		{name: "plain text 500", status: 500, contentType: "text/plain", body: "Internal Server Error\nstack...",
			message: "Internal Server Error", is: wrapper.IsServerError},
		{name: "html 502", status: 502, contentType: "text/html",
			body: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
			is:   wrapper.IsServerError, offSpec: true},
		{name: "empty 503", status: 503, is: wrapper.IsServerError, offSpec: true},
		{name: "json with wrong types", status: 400, body: `{"error":{"nested":true},"errors":"flat"}`,
			message: "flat", is: wrapper.IsValidation, offSpec: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				w.Header().Set("X-Request-Id", "req-123")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			newC := newClient
			if tt.offSpec {
				newC = newUncheckedClient
			}
			_, err := newC(t, rec).Get(context.Background(), recordedUUID)
			require.Error(t, err)
			require.True(t, tt.is(err), "predicate false for %v", err)

			var apiErr *wrapper.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.status, apiErr.StatusCode)
			require.Equal(t, http.MethodGet, apiErr.Method)
			require.Equal(t, "/api-v1/opportunities/"+recordedUUID, apiErr.Path)
			require.Equal(t, tt.message, apiErr.Message)
			require.Equal(t, tt.code, apiErr.Code)
			require.Equal(t, tt.param, apiErr.Param)
			require.Equal(t, tt.fields, apiErr.Fields)
			require.Equal(t, "req-123", apiErr.RequestID)
			require.Equal(t, tt.body, string(apiErr.Body))
			require.Nil(t, apiErr.Err)

			msg := err.Error()
			require.NotContains(t, msg, "<html")
			require.Contains(t, msg, http.StatusText(tt.status))
			require.NotContains(t, msg, testKey)
		})
	}
}

func TestPredicatesAreFalseForOtherErrors(t *testing.T) {
	for _, is := range []func(error) bool{wrapper.IsNotFound, wrapper.IsUnauthorized, wrapper.IsForbidden,
		wrapper.IsRateLimited, wrapper.IsValidation, wrapper.IsServerError} {
		require.False(t, is(nil))
		require.False(t, is(errors.New("x")))
		require.False(t, is(&wrapper.APIError{StatusCode: 200}))
	}
	// Wrapped errors are seen through.
	wrapped := errors.Join(errors.New("context"), &wrapper.APIError{StatusCode: 404})
	require.True(t, wrapper.IsNotFound(wrapped))
}

func TestSuccessBodiesThatDoNotDecodeAreErrors(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"empty", "application/json", ""},
		{"truncated json", "application/json", recordedResponse[:60]},
		{"html", "text/html", "<html>hello</html>"},
		{"wrong type", "application/json", `{"uuid":7}`},
		{"date-time for a date", "application/json",
			strings.Replace(recordedResponse, `"2023-12-22"`, `"2023-12-22T00:00:00Z"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = w.Write([]byte(tt.body))
			})
			got, err := newUncheckedClient(t, rec).Get(context.Background(), recordedUUID)
			require.Equal(t, wrapper.Opportunity{}, got)
			var apiErr *wrapper.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, 200, apiErr.StatusCode)
			require.Equal(t, tt.body, string(apiErr.Body))
			require.Error(t, apiErr.Err)
			require.Contains(t, err.Error(), "does not decode")
		})
	}
}

func TestUnknownEnumValuesAndExtraFieldsDecode(t *testing.T) {
	body := strings.NewReplacer(`"type":"recurring"`, `"type":"arr"`,
		`"forecast_category":"best_case"`, `"forecast_category":"maybe","brand_new_field":{"x":1}`).Replace(recordedResponse)
	rec := newRecorder(t, reply(200, body))
	got, err := newClient(t, rec).Get(context.Background(), recordedUUID)
	require.NoError(t, err)
	require.Equal(t, wrapper.Type("arr"), got.Type)
	require.Equal(t, wrapper.ForecastCategory("maybe"), got.ForecastCategory)
}

func TestNullOptionalFieldsDecodeAsUnset(t *testing.T) {
	body := strings.NewReplacer(`"type":"recurring"`, `"type":null`, `"forecast_category":"best_case"`,
		`"forecast_category":null`, `"win_likelihood":3`, `"win_likelihood":null`, `"custom":{"from_campaign":true}`,
		`"custom":{}`).Replace(recordedResponse)
	rec := newRecorder(t, reply(200, body))
	got, err := newUncheckedClient(t, rec).Get(context.Background(), recordedUUID)
	require.NoError(t, err)
	require.Empty(t, got.Type)
	require.Empty(t, got.ForecastCategory)
	require.Nil(t, got.WinLikelihood)
	require.NotNil(t, got.Custom)
	require.Empty(t, got.Custom)
}

func TestResponseBodiesAreCapped(t *testing.T) {
	const size = 10 << 20 // the server offers 10 MiB
	var written int
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for written < size {
			n, err := w.Write(chunk)
			written += n
			if err != nil {
				return
			}
		}
	})
	_, err := newUncheckedClient(t, rec, wrapper.WithMaxResponseBytes(1024)).Get(context.Background(), recordedUUID)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.ErrorIs(t, err, wrapper.ErrBodyTooLarge)
	require.Equal(t, 500, apiErr.StatusCode)
	require.Len(t, apiErr.Body, 1024)
}

func TestErrorBodyKeptIsCapped(t *testing.T) {
	rec := newRecorder(t, reply(400, `{"error":"`+strings.Repeat("y", 20000)+`"}`))
	_, err := newClient(t, rec).Get(context.Background(), recordedUUID)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.Body, 8<<10)
	require.Len(t, apiErr.Message, 8<<10+len("…"), "the message is kept up to the body's cap")
	require.Less(t, len(apiErr.Error()), 1200, "Error() cuts the message at about 1 KiB")
	require.Contains(t, apiErr.Error(), "…[cut]")
}

func TestValidationErrorListsEveryProblem(t *testing.T) {
	_, err := (&wrapper.Client{}).Create(context.Background(), wrapper.OpportunityInput{
		CustomerUUID: "f466e33d", WinLikelihood: ptr(101), Custom: map[string]any{"bad": []int{1}},
	})
	var v *wrapper.ValidationError
	require.ErrorAs(t, err, &v)
	fields := make([]string, 0, len(v.Problems))
	for _, p := range v.Problems {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{"customer_uuid", "owner", "pipeline", "pipeline_stage", "estimated_close_date",
		"currency", "win_likelihood", "custom.bad"}, fields)
	require.Contains(t, err.Error(), "win_likelihood: must be between 0 and 100 (minimum, maximum), got 101")
	require.Contains(t, err.Error(), "custom.bad: value of type []int is not supported")
	require.Contains(t, err.Error(), "nothing was sent")
}
