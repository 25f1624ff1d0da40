package bulk_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

func TestStopperSecondStopAborts(t *testing.T) {
	s := bulk.NewStopper(0)
	defer s.Close()
	require.NoError(t, s.Context().Err())
	require.NoError(t, s.InFlight().Err())
	require.False(t, s.Stopped())

	require.True(t, s.Stop(), "the first")
	require.True(t, s.Stopped())
	require.Error(t, s.Context().Err(), "no new row")
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.InFlight().Err(), "no grace period: only a second Stop aborts")

	require.False(t, s.Stop(), "the second")
	require.Error(t, s.InFlight().Err(), "requests in flight aborted")
	require.False(t, s.Stop(), "a third changes nothing")
}

func TestStopperGraceAborts(t *testing.T) {
	s := bulk.NewStopper(50 * time.Millisecond)
	defer s.Close()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, s.InFlight().Err(), "the grace period starts with the first Stop")
	start := time.Now()
	require.True(t, s.Stop())
	require.NoError(t, s.InFlight().Err())
	select {
	case <-s.InFlight().Done():
		require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	case <-time.After(10 * time.Second):
		t.Fatal("the grace period did not abort the requests in flight")
	}
}

func TestStopperClose(t *testing.T) {
	s := bulk.NewStopper(time.Hour)
	s.Close()
	require.Error(t, s.Context().Err())
	require.Error(t, s.InFlight().Err())
	require.False(t, s.Stopped(), "Close is no Stop")
	require.False(t, s.Stop(), "nothing after Close")
	require.False(t, s.Stopped())

	s = bulk.NewStopper(time.Hour)
	require.True(t, s.Stop())
	s.Close() // stops the grace timer
	require.True(t, s.Stopped(), "it was asked to stop")
}

func TestStopperConcurrentStopsHaveOneFirst(t *testing.T) {
	s := bulk.NewStopper(0)
	defer s.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 8 {
		wg.Go(func() {
			if s.Stop() {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, firsts)
	require.Error(t, s.InFlight().Err())
}
