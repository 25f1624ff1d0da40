// Package wrapper is the friendly face of the ChartMogul Opportunities API:
// a client with one method per operation, plain Go types, checks before
// anything is sent, and errors you can act on.
//
// # Getting started
//
//	client, err := wrapper.NewClient(os.Getenv("CHARTMOGUL_API_KEY"))
//	if err != nil { ... }
//	o, err := client.Create(ctx, wrapper.NewOpportunity(
//		"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
//		"New Business", "Discovery", "2024-04-21", "USD", 100000).
//		WithWinLikelihood(40).
//		WithCustom(map[string]any{"seats": 3}))
//
// # Authentication
//
// ChartMogul uses HTTP basic authentication with the API key as the user name
// and an empty password. The key is added to each request as it is sent and is
// held nowhere else: it does not appear in errors, in log lines or in the
// printed form of a [Client]. Redirects to another host, or from https to
// http, are refused so the key is never sent elsewhere. Plain-http base URLs
// are refused except on loopback addresses (or with [WithInsecureHTTP]).
//
// # Custom attributes
//
// ChartMogul takes custom attributes as a list of {key, value} pairs and
// returns them as an object. This package uses a map[string]any both ways.
// Going out, values must be a string, a bool, any Go integer or a finite
// float; anything else is refused, naming its key, before sending. The list is
// sent in sorted key order. Coming back, integral JSON numbers are int64 (no
// digit is lost to float64), other numbers float64.
//
// # Errors
//
// Bad input gives a [*ValidationError] that lists every problem with the API's
// field names; nothing is sent. Every non-2xx response, and every 2xx whose
// body does not decode, gives an [*APIError] with the status, the server's
// message, code, parameter and per-field messages (parsed from any of the body
// shapes ChartMogul uses), the request id and the raw body (capped). Use
// errors.As, or the predicates [IsNotFound], [IsUnauthorized], [IsForbidden],
// [IsRateLimited], [IsValidation] and [IsServerError]. Network failures are
// returned wrapped, so errors.Is(err, context.DeadlineExceeded) works.
//
// # Retries and limits
//
// Failed requests are retried under [DefaultRetryPolicy] (see [RetryPolicy]
// for exactly what is retried and why; creates are not retried after a
// server error or a dropped connection, since ChartMogul has no idempotency
// key). Every wait stays inside the caller's context. Each attempt is bounded
// by [DefaultTimeout] (see [WithTimeout]). [WithRateLimit],
// [WithMaxConcurrent] and [WithChartMogulLimits] keep a client under
// ChartMogul's limits. Response bodies are read through a cap
// ([DefaultMaxResponseBytes], see [WithMaxResponseBytes]): a huge body costs no
// more than the cap.
package wrapper
