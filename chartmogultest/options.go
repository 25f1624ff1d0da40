package chartmogultest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// DefaultAPIKey is the API key a Server accepts unless WithAPIKey says otherwise.
const DefaultAPIKey = "test_api_key"

// DefaultBasePath is the path prefix of the API unless WithBasePath says otherwise,
// as in https://api.chartmogul.com/v1.
const DefaultBasePath = "/v1"

// Option configures a Server; pass options to NewServer or Start.
type Option func(*config)

type config struct {
	basePath          string
	apiKey            string
	clock             func() time.Time
	rateLimit         int
	retryAfter        bool
	maxConcurrent     int
	validateResponses bool
	addr              string                                     // listen address (standalone.go)
	adminPrefix       string                                     // WithAdmin's prefix, "" without it (standalone.go)
	wrappers          []func(*Server, http.Handler) http.Handler // outermost last (standalone.go)
	seed              []generated.Opportunity                    // stored at the start and by Reset (seed.go)
}

func defaultConfig() config {
	return config{basePath: DefaultBasePath, apiKey: DefaultAPIKey, clock: time.Now, validateResponses: true, addr: "127.0.0.1:0"}
}

var basePathPattern = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*$`)

// validBasePath reports whether p is empty or /segment[/segment...] with no
// segment "." or ".." (Go's mux refuses such a pattern: it can never match).
func validBasePath(p string) bool {
	return basePathPattern.MatchString(p) && !slices.ContainsFunc(strings.Split(p, "/"), func(seg string) bool { return seg == "." || seg == ".." })
}

func (c *config) check() error {
	switch {
	case !validBasePath(c.basePath):
		return fmt.Errorf("chartmogultest: base path %q must be empty or /segment[/segment...], no . or .. segment", c.basePath)
	case c.apiKey == "":
		return fmt.Errorf("chartmogultest: the API key must not be empty")
	case c.clock == nil:
		return fmt.Errorf("chartmogultest: the clock must not be nil")
	case c.rateLimit < 0 || c.maxConcurrent < 0:
		return fmt.Errorf("chartmogultest: limits must not be negative")
	case c.adminPrefix != "" && (c.basePath == c.adminPrefix || strings.HasPrefix(c.basePath, c.adminPrefix+"/")):
		// The admin endpoint would answer every request to the API.
		return fmt.Errorf("chartmogultest: base path %q is under the admin endpoint %q; choose another", c.basePath, c.adminPrefix)
	}
	if err := CheckAddr(c.addr); err != nil {
		return fmt.Errorf("chartmogultest: address %q: %w", c.addr, err)
	}
	return nil
}

// WithBasePath sets the path prefix the API is served under (default "/v1").
// A trailing slash is ignored; "" serves the API at the root.
func WithBasePath(p string) Option {
	return func(c *config) {
		for len(p) > 0 && p[len(p)-1] == '/' {
			p = p[:len(p)-1]
		}
		c.basePath = p
	}
}

// WithAPIKey sets the API key every request must send as the HTTP basic-auth
// user name (default DefaultAPIKey).
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey = key }
}

// WithClock sets the clock that stamps created_at and updated_at (default
// time.Now). Timestamps are stored in UTC, truncated to milliseconds. The
// server never calls the clock concurrently, so a simple stepping fake needs
// no lock. The rate limit always uses the real clock.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithRateLimit makes the server answer 429 {"error":"Your request rate has exceeded our rate limit."} to
// every request beyond perSecond in the current one-second window (a fixed
// window on the real clock, opened by the first request after the previous
// window ended; rejected requests count too). With retryAfter the 429 carries
// "Retry-After: 1"; without it there is no Retry-After header, as recorded
// against the real API. ChartMogul's documented limit is 40 per second. Zero,
// the default, means no limit.
func WithRateLimit(perSecond int, retryAfter bool) Option {
	return func(c *config) { c.rateLimit, c.retryAfter = perSecond, retryAfter }
}

// WithMaxConcurrent makes the server answer 503 with the plain-text body
// "Service Unavailable" (Content-Type text/plain, like a proxy's page) to a
// request that arrives while n requests are already being served. ChartMogul
// documents 20 parallel connections. Zero, the default, means no limit.
func WithMaxConcurrent(n int) Option {
	return func(c *config) { c.maxConcurrent = n }
}

// WithResponseValidation turns the validation of the fake's own responses
// against openapi.yaml on or off (default on). When on, a response that
// violates the contract is replaced by a 500 whose message names the
// violation, so the fake cannot silently drift from the spec. Responses made
// up by a Fault are never validated.
func WithResponseValidation(on bool) Option {
	return func(c *config) { c.validateResponses = on }
}
