package bulk

import (
	"context"
	"sync"
	"time"
)

// Stopper stops an import in two stages. Pass Context as Run's ctx and
// InFlight as Options.InFlight: the first Stop sends no new row and lets the
// requests in flight finish (their outcomes are journalled); a second Stop,
// or the grace period after the first, aborts them. It installs no signal
// handler: call Stop from wherever the request to stop comes (a signal, a
// service shutting down). It is safe for concurrent use.
type Stopper struct {
	ctx, inFlight context.Context
	stop, abort   context.CancelFunc
	grace         time.Duration

	mu     sync.Mutex
	stops  int
	timer  *time.Timer
	closed bool
}

// NewStopper returns a Stopper that aborts the requests in flight grace after
// the first Stop; with grace 0 (or less) only a second Stop aborts them.
func NewStopper(grace time.Duration) *Stopper {
	s := &Stopper{grace: grace}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.inFlight, s.abort = context.WithCancel(context.Background())
	return s
}

// Context is cancelled by the first Stop: no new row is sent.
func (s *Stopper) Context() context.Context { return s.ctx }

// InFlight is cancelled by a second Stop, or grace after the first: the
// requests in flight are aborted.
func (s *Stopper) InFlight() context.Context { return s.inFlight }

// Stop asks the import to stop. The first call cancels Context, starts the
// grace period and reports true; a later one cancels InFlight. After Close
// it does nothing.
func (s *Stopper) Stop() (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.stops++
	if s.stops > 1 {
		s.abort()
		return false
	}
	s.stop()
	if s.grace > 0 {
		s.timer = time.AfterFunc(s.grace, s.abort)
	}
	return true
}

// Stopped reports whether Stop was called (before Close): the import was
// asked to stop, whether or not it had finished by then.
func (s *Stopper) Stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stops > 0
}

// Close releases the Stopper once the import is over: it cancels both
// contexts and the grace period, and does not count as a Stop.
func (s *Stopper) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.stop()
	s.abort()
}
