package wrapper

import (
	"context"
	"time"
)

type (
	beforeSendKey  struct{}
	rateLimitedKey struct{}
)

// WithRateLimitedHook returns a context under which every attempt of a call
// that is answered 429 calls hook, before the call waits to send it again:
// retryAfter is the server's Retry-After (negative when absent), honoured
// how much of it the client waits (at most the retry policy's MaxBackoff; a
// [RateBudget] pauses that long). The attempt was not processed, and no
// request of the call is in flight until the next attempt's WithBeforeSend
// hook. A bulk import uses it to stop at once a row waiting to be sent
// again when the import stops, and to say when a Retry-After is cut short.
func WithRateLimitedHook(ctx context.Context, hook func(retryAfter, honoured time.Duration)) context.Context {
	return context.WithValue(ctx, rateLimitedKey{}, hook)
}

// WithBeforeSend returns a context under which every attempt of a call, once
// it has passed the client-side limits (concurrency, rate limit or budget)
// and just before its request is handed to the HTTP client, first calls
// hook. If hook returns an error the request is not sent: the call returns
// an error that wraps it, for which [MayHaveBeenApplied] is false (unless an
// earlier attempt was sent). Retries call hook again.
//
// A bulk import uses it to record "sending" in its journal at the moment a
// row's request leaves, rather than while the row still waits for its turn.
func WithBeforeSend(ctx context.Context, hook func() error) context.Context {
	return context.WithValue(ctx, beforeSendKey{}, hook)
}

// EncodeOpportunityInput returns the create request body Client.Create would
// send for in, in the API's JSON shape (custom as a list of {"key", "value"}
// in sorted key order), or a *ValidationError naming every problem. It is
// the inverse of [DecodeOpportunityInput].
func EncodeOpportunityInput(in OpportunityInput) ([]byte, error) {
	body, err := createBody(in)
	if err != nil {
		return nil, err
	}
	return body.AppendJSON(make([]byte, 0, createBuffer))
}
