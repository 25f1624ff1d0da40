package main

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
)

// A row of an import is sent through a rowGate, so that "sent" means that
// its request left the process, not that a worker picked it up: a worker
// holding a row first waits (inside wrapper.Client.Create) for the rate
// limiter and a concurrency slot, and only then hands the request to the
// transport.
//
// The gate's state moves once, from rowWaiting to rowSent (the transport is
// about to send the row's first request: the journal's "sending" line is
// written then, before it goes) or to rowStopped (the import is stopping and
// the request has not left: it never will). Retries of a sent row pass.
const (
	rowWaiting int32 = iota // not sent yet: waiting for the limiter or a slot
	rowSent                 // its first request left (retries pass too)
	rowStopped              // stopped before it left: it is not sent
)

// errRowStopped is the transport's answer to a row stopped before it left.
var errRowStopped = errors.New("not sent: the import is stopping")

// rowGate is the per-row state, carried by the row's request context.
type rowGate struct {
	state atomic.Int32
	// stop is the import's stop context: once it is done, no row leaves.
	stop context.Context
	// onSend journals the row as sending; it is called once, just before
	// its first request leaves. If it fails the request is not sent.
	onSend func() error
}

type rowGateKey struct{}

// withRowGate returns ctx carrying g, for gatedTransport.
func withRowGate(ctx context.Context, g *rowGate) context.Context {
	return context.WithValue(ctx, rowGateKey{}, g)
}

// leave decides whether the row's request may go: nil to send it, else the
// error to return instead.
func (g *rowGate) leave() error {
	if g.stop.Err() != nil {
		g.state.CompareAndSwap(rowWaiting, rowStopped)
	}
	if g.state.CompareAndSwap(rowWaiting, rowSent) {
		if err := g.onSend(); err != nil {
			g.state.Store(rowStopped) // not sent after all
			return err
		}
		return nil
	}
	if g.state.Load() == rowSent {
		return nil // a retry
	}
	return errRowStopped
}

// stopWaiting marks the row stopped if its request has not left yet, and
// reports whether it did.
func (g *rowGate) stopWaiting() bool {
	return g.state.CompareAndSwap(rowWaiting, rowStopped)
}

// sent reports whether the row's request left.
func (g *rowGate) sent() bool { return g.state.Load() == rowSent }

// gatedTransport sends requests through base, after asking the gate of the
// row they belong to (if any) whether they may leave.
type gatedTransport struct{ base http.RoundTripper }

func (t gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if g, ok := req.Context().Value(rowGateKey{}).(*rowGate); ok {
		if err := g.leave(); err != nil {
			if req.Body != nil {
				req.Body.Close() // a RoundTripper closes the body, even on error
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(req)
}
