package wrapper_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// The fault matrix: for each fault and each operation, the defined outcome.

type matrixOp struct {
	name   string
	op     chartmogultest.Operation
	post   bool
	status int // the success status
	// body is a success body for this operation built around one
	// opportunity's JSON.
	body func(opp string) string
	run  func(ctx context.Context, c *wrapper.Client, uuid string) (wrapper.Opportunity, error)
}

var matrixOps = []matrixOp{
	{name: "create", op: chartmogultest.OpCreate, post: true, status: 201, body: func(o string) string { return o },
		run: func(ctx context.Context, c *wrapper.Client, _ string) (wrapper.Opportunity, error) {
			return c.Create(ctx, seedInput())
		}},
	{name: "list", op: chartmogultest.OpList, status: 200,
		body: func(o string) string { return `{"entries":[` + o + `],"cursor":"c","has_more":false}` },
		run: func(ctx context.Context, c *wrapper.Client, _ string) (wrapper.Opportunity, error) {
			p, err := c.List(ctx, wrapper.ListParams{})
			if err != nil || len(p.Entries) == 0 {
				return wrapper.Opportunity{}, err
			}
			return p.Entries[0], nil
		}},
	{name: "retrieve", op: chartmogultest.OpRetrieve, status: 200, body: func(o string) string { return o },
		run: func(ctx context.Context, c *wrapper.Client, uuid string) (wrapper.Opportunity, error) {
			return c.Get(ctx, uuid)
		}},
	{name: "update", op: chartmogultest.OpUpdate, status: 200, body: func(o string) string { return o },
		run: func(ctx context.Context, c *wrapper.Client, uuid string) (wrapper.Opportunity, error) {
			return c.Update(ctx, uuid, wrapper.NewUpdate().SetWinLikelihood(0))
		}},
	{name: "delete", op: chartmogultest.OpDelete, status: 200, body: func(string) string { return `{}` },
		run: func(ctx context.Context, c *wrapper.Client, uuid string) (wrapper.Opportunity, error) {
			return wrapper.Opportunity{}, c.Delete(ctx, uuid)
		}},
}

// outcome is what a call must end with.
type outcome int

const (
	succeeds      outcome = iota // no error
	apiError                     // an *APIError with the fault's status (or the success status)
	transportFail                // an error that is not an *APIError
	deadline                     // context.DeadlineExceeded
)

type faultCase struct {
	name  string
	fault func(op matrixOp) chartmogultest.Fault
	// want gives the outcome and the number of requests the server saw.
	want    func(op matrixOp) (outcome, int)
	timeout time.Duration // the caller's deadline; default 5 s
	check   func(t *testing.T, op matrixOp, got wrapper.Opportunity, err error)
	// offSpec marks a fault whose response breaks openapi.yaml on purpose;
	// every other exchange is checked against the spec as it happens.
	offSpec bool
}

// retriedUnlessPost: idempotent operations succeed on the second attempt; a
// create gives up at once.
func retriedUnlessPost(op matrixOp) (outcome, int) {
	if op.post {
		return apiError, 1
	}
	return succeeds, 2
}

func retriedAlways(matrixOp) (outcome, int) { return succeeds, 2 }

func notRetried(matrixOp) (outcome, int) { return apiError, 1 }

func oppJSON(edit func(string) string) string {
	return edit(recordedResponse)
}

var faultCases = []faultCase{
	{name: "429 without Retry-After", want: retriedAlways,
		fault: func(matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: 429, Body: `{"error":"Too Many Requests"}`}
		}},
	{name: "429 with Retry-After", want: retriedAlways,
		fault: func(matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: 429, Body: `{"error":"Too Many Requests"}`,
				Header: http.Header{"Retry-After": {"1"}}} // capped to the policy's MaxBackoff
		}},
	{name: "500", want: retriedUnlessPost,
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{Status: 500} }},
	{name: "500 after the change was applied", want: retriedUnlessPost,
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{Status: 500, Apply: true} }},
	{name: "502 HTML page", want: retriedUnlessPost,
		fault: func(matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}},
				Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
		},
		check: func(t *testing.T, op matrixOp, _ wrapper.Opportunity, err error) {
			if op.post {
				require.NotContains(t, err.Error(), "<html")
			}
		}},
	{name: "503 empty body", offSpec: true, want: retriedAlways,
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{Status: 503, EmptyBody: true} }},
	{name: "504", want: retriedUnlessPost,
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{Status: 504} }},
	{name: "connection reset before any response",
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{DropConnection: true} },
		want: func(op matrixOp) (outcome, int) {
			if op.post {
				return transportFail, 1
			}
			return succeeds, 2
		}},
	{name: "connection reset mid-body (applied)",
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{TruncateBody: true} },
		want: func(op matrixOp) (outcome, int) {
			if op.post {
				return apiError, 1 // the create happened: never sent again
			}
			return succeeds, 2 // a delete retried into 404 is gone all the same
		}},
	{name: "truncated JSON", offSpec: true, want: notRetried,
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, Body: `{"uuid":"bb544336-e74e-`}
		}},
	{name: "HTML page with a 200", offSpec: true, want: notRetried,
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, Header: http.Header{"Content-Type": {"text/html"}},
				Body: "<html>Welcome to the hotel wifi</html>"}
		}},
	{name: "empty body with a 2xx", offSpec: true,
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, EmptyBody: true}
		},
		want: func(op matrixOp) (outcome, int) {
			if op.op == chartmogultest.OpDelete {
				return succeeds, 1 // like a 204
			}
			return apiError, 1
		}},
	{name: "slow response past the deadline", timeout: 100 * time.Millisecond,
		fault: func(matrixOp) chartmogultest.Fault { return chartmogultest.Fault{Delay: 3 * time.Second} },
		want:  func(matrixOp) (outcome, int) { return deadline, 1 }},
	{name: "oversized body", offSpec: true, want: notRetried,
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true,
				Body: `{"pad":"` + strings.Repeat("x", 100<<10) + `"}`}
		},
		check: func(t *testing.T, _ matrixOp, _ wrapper.Opportunity, err error) {
			require.ErrorIs(t, err, wrapper.ErrBodyTooLarge)
		}},
	{name: "unknown enum values", want: func(matrixOp) (outcome, int) { return succeeds, 1 },
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, Body: op.body(oppJSON(func(s string) string {
				return strings.NewReplacer(`"recurring"`, `"arr"`, `"best_case"`, `"maybe"`).Replace(s)
			}))}
		},
		check: func(t *testing.T, op matrixOp, got wrapper.Opportunity, _ error) {
			if op.op != chartmogultest.OpDelete {
				require.Equal(t, wrapper.Type("arr"), got.Type)
				require.Equal(t, wrapper.ForecastCategory("maybe"), got.ForecastCategory)
			}
		}},
	{name: "extra unknown fields", want: func(matrixOp) (outcome, int) { return succeeds, 1 },
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, Body: op.body(oppJSON(func(s string) string {
				return strings.Replace(s, `{"uuid"`, `{"stage_history":[{"x":1}],"score":9.5,"uuid"`, 1)
			}))}
		},
		check: func(t *testing.T, op matrixOp, got wrapper.Opportunity, _ error) {
			if op.op != chartmogultest.OpDelete {
				require.Equal(t, recordedUUID, got.UUID)
			}
		}},
	{name: "a date-time where a date is expected", offSpec: true,
		fault: func(op matrixOp) chartmogultest.Fault {
			return chartmogultest.Fault{Status: op.status, Apply: true, Body: op.body(oppJSON(func(s string) string {
				return strings.Replace(s, `"2023-12-22"`, `"2023-12-22T00:00:00Z"`, 1)
			}))}
		},
		want: func(op matrixOp) (outcome, int) {
			if op.op == chartmogultest.OpDelete {
				return succeeds, 1
			}
			return apiError, 1
		},
		check: func(t *testing.T, op matrixOp, _ wrapper.Opportunity, err error) {
			if op.op != chartmogultest.OpDelete {
				require.ErrorContains(t, err, "does not decode")
			}
		}},
}

func TestFaultMatrix(t *testing.T) {
	for _, fc := range faultCases {
		for _, op := range matrixOps {
			t.Run(fc.name+"/"+op.name, func(t *testing.T) {
				srv := chartmogultest.NewServer(t)
				seeded := srv.Seed(seedOpportunity())[0]
				// Each case has its own transport, closed at the end, so no
				// connection goroutine outlives it (goleak checks in TestMain).
				tr := &http.Transport{}
				t.Cleanup(tr.CloseIdleConnections)
				var rt http.RoundTripper = tr
				if !fc.offSpec {
					rt = chartmogultest.NewValidatingTransport(t, tr)
				}
				c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), fastRetries,
					wrapper.WithMaxResponseBytes(16<<10), wrapper.WithHTTPClient(&http.Client{Transport: rt}))
				require.NoError(t, err)
				srv.Inject(op.op, fc.fault(op))

				timeout := fc.timeout
				if timeout == 0 {
					timeout = 5 * time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				got, err := op.run(ctx, c, seeded.UUID)

				want, attempts := fc.want(op)
				var apiErr *wrapper.APIError
				switch want {
				case succeeds:
					require.NoError(t, err)
				case apiError:
					require.ErrorAs(t, err, &apiErr)
					require.Equal(t, attempts, apiErr.Attempts)
					if s := fc.fault(op).Status; s != 0 {
						require.Equal(t, s, apiErr.StatusCode)
					}
				case transportFail:
					require.Error(t, err)
					require.False(t, errors.As(err, &apiErr), "want a transport error, got %v", err)
				case deadline:
					require.ErrorIs(t, err, context.DeadlineExceeded)
				}
				if err != nil {
					require.Equal(t, wrapper.Opportunity{}, got, "an error comes with the zero value")
				}
				if !op.post && want == succeeds && attempts == 2 && fc.fault(op).DropConnection {
					// Go's transport may replay an idempotent request on a
					// dropped keep-alive connection by itself; at least two
					// requests arrived.
					require.GreaterOrEqual(t, srv.Requests(op.op), 2)
				} else {
					require.Equal(t, attempts, srv.Requests(op.op), "requests the server saw")
				}
				if fc.check != nil {
					fc.check(t, op, got, err)
				}
				// The invariant: no create is ever applied twice.
				require.LessOrEqual(t, srv.Applied(chartmogultest.OpCreate), 1)
				if op.post {
					require.Len(t, srv.Opportunities(), 1+srv.Applied(chartmogultest.OpCreate),
						"the seeded opportunity plus what was created")
				}
			})
		}
	}
}
