// Package chartmogultest is an in-process fake of ChartMogul's Opportunities
// API for tests, in the spirit of stripe-mock but as a Go package.
//
// A Server keeps opportunities in memory and serves the five operations of
// openapi.yaml (create, list, retrieve, update, delete) on 127.0.0.1 through
// the generated StrictServerInterface:
//
//	srv := chartmogultest.NewServer(t)           // closed when the test ends
//	client, _ := generated.NewClientWithResponses(srv.URL(),
//		generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
//			r.SetBasicAuth(srv.APIKey(), "")
//			return nil
//		}))
//
// URL includes the base path ("/v1" by default), so the list endpoint is
// srv.URL()+"/opportunities". Use Start instead of NewServer outside tests.
//
// # Behaviour
//
//   - Every request needs HTTP basic auth with the API key as user name
//     (DefaultAPIKey unless WithAPIKey); otherwise 401
//     {"code":401,"message":"No valid API key provided"}.
//   - Every request is validated against the embedded openapi.yaml before it
//     reaches the store; a violation is answered 400 in ChartMogul's shape
//     {"code":400,"message":"...","param":"..."}, where param names the field
//     at fault when it can be told, Rails style: "win_likelihood",
//     "custom[0][value]", "uuid".
//   - Every response of an operation is validated against openapi.yaml too,
//     and replaced by a 500 naming the violation (see WithResponseValidation).
//   - create answers 201 with the stored opportunity: a random lower-case UUID,
//     created_at and updated_at from the clock (WithClock) as RFC 3339 UTC
//     with milliseconds, custom as an object whose values keep the raw JSON
//     sent. Omitted type, forecast_category and win_likelihood are returned as
//     null.
//   - retrieve answers 200, or 404 {"error":"Opportunity not found"}.
//   - update (PATCH) changes the fields present and answers 200 with the whole
//     opportunity; custom keys are merged into the stored ones (the real API's
//     merge-or-replace behaviour is unconfirmed); updated_at always changes.
//   - delete answers 200 {}, or 404.
//   - list filters by customer_uuid, owner, pipeline, pipeline_stage (exact
//     matches) and estimated_close_date_on_or_after/_on_or_before (inclusive),
//     pages by per_page (default 200; a larger value is treated as 200, as
//     ChartMogul documents), orders newest first
//     (created_at, then creation order) and returns an opaque cursor on every
//     page, even the last; has_more tells whether another page follows. A
//     cursor the fake did not make is answered 400 with param "cursor".
//
// # Limits and faults
//
// WithRateLimit and WithMaxConcurrent model ChartMogul's 429 and 503. A test
// scripts failures with Server.Inject: a status and body, extra headers, a
// delay, a dropped connection, a truncated body, or a failure after the
// change was applied ("the server created it but the response was lost").
// Requests and Applied count what reached each operation and what changed or
// read the store; Seed, Opportunities and Reset give direct access to it.
// WithSeed stores opportunities at the start and again on every Reset;
// DocumentationSeed returns the two of ChartMogul's documentation.
//
// A request meets, in order: the concurrency limit (503), authentication
// (401), the rate limit (429), routing (404, 405), the next scripted fault,
// request validation (400), the operation, and response validation (500).
//
// # Standalone
//
// WithAddr, WithRequestLog and WithAdmin (limits, faults, counters and reset
// over HTTP) let the fake run as a server for clients in any language; the
// command "opportunities fake-server" does exactly that, with the options of
// a Standalone.
//
// # Concurrency
//
// A Server is safe for concurrent use. Close (called by NewServer's cleanup)
// aborts pending fault delays and returns only once every request handler has
// finished; Shutdown does the same within a deadline, then closes the
// connections left. A client that stalls while sending a request is cut off
// after ReadHeaderTimeout or ReadTimeout. The package keeps no mutable package-level state: even the "email"
// format check is registered on the Server's own copy of the spec rather than
// with kin-openapi's global openapi3.DefineStringFormat.
//
// # Contract tests
//
// NewValidatingTransport wraps any http.RoundTripper so that every exchange,
// with this fake or the real API, is checked against openapi.yaml. It and the
// fake's own checks are built on package contract, which offers the same
// checks outside tests: an error-returning validator, a strict or reporting
// RoundTripper and a provider-side middleware.
package chartmogultest
