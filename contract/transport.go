package contract

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// Transport is an http.RoundTripper that checks every exchange it carries
// against the contract, on the client side: in front of a client under test,
// in a proxy, or around calls to the real API.
//
// In strict mode (Report nil) a request that violates the contract is not
// sent and a response that violates it is not returned: the call fails with
// an error that wraps the *Error (http.Client wraps it once more in a
// *url.Error; errors.As finds it). In report mode every exchange goes through
// unchanged and Report receives the violations of each one that has any.
//
// Bodies are read and restored: Base receives the whole request body and the
// caller reads the whole response body. When Base fails its error is
// returned as is; when the response body cannot be read in full, the caller
// gets what was read followed by the same error, and the response is not
// checked.
type Transport struct {
	// Contract is the contract to check against; required.
	Contract *Contract
	// Base sends the requests; http.DefaultTransport when nil.
	Base http.RoundTripper
	// Report, when set, selects report mode and receives the violations of
	// each exchange. It may be called from several goroutines at once.
	Report func(*Error)
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Contract == nil {
		return nil, errors.New("contract: Transport.Contract is nil")
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	out := req.Clone(req.Context())
	in, err := ReadRequest(out)
	if err != nil {
		return nil, err
	}
	ctx := context.WithoutCancel(req.Context())
	reqErr := t.Contract.ValidateRequest(ctx, in)
	var ce *Error
	if reqErr != nil && !errors.As(reqErr, &ce) {
		return nil, reqErr
	}
	if ce != nil && t.Report == nil {
		return nil, ce
	}
	routed := ce == nil || ce.Operation != ""

	resp, err := base.RoundTrip(out)
	if err != nil || !routed {
		if ce != nil {
			t.Report(ce)
		}
		return resp, err
	}
	got, readErr := ReadResponse(resp)
	if readErr != nil {
		if ce != nil {
			t.Report(ce)
		}
		return resp, nil
	}
	respErr := t.Contract.ValidateResponse(ctx, in, got)
	var re *Error
	if respErr != nil && !errors.As(respErr, &re) {
		return nil, respErr
	}
	if t.Report == nil {
		if re != nil {
			_ = resp.Body.Close()
			return nil, re
		}
		return resp, nil
	}
	switch {
	case ce != nil && re != nil:
		ce.Status = re.Status
		ce.add(re.Violations...)
		t.Report(ce)
	case ce != nil:
		ce.Status = resp.StatusCode
		t.Report(ce)
	case re != nil:
		t.Report(re)
	}
	return resp, nil
}

// Collector gathers the violations reported by a Transport or a Middleware
// in report mode. Its zero value is ready to use and it is safe for
// concurrent use:
//
//	var col contract.Collector
//	client := &http.Client{Transport: &contract.Transport{Contract: c, Report: col.Add}}
type Collector struct {
	mu     sync.Mutex
	errors []*Error
}

// Add records e; it is meant as a Report function.
func (c *Collector) Add(e *Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors = append(c.errors, e)
}

// Errors returns what was recorded, oldest first.
func (c *Collector) Errors() []*Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Error(nil), c.errors...)
}

// Err returns nil when nothing was recorded, else one error joining all that
// was (errors.As finds each *Error).
func (c *Collector) Err() error {
	errs := c.Errors()
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}
