//go:build !windows

package cmdutil

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A signal reaches f, counted, instead of ending the process; after stop the
// watcher is gone.
func TestOnSignal(t *testing.T) {
	got := make(chan int, 2)
	stop := OnSignal(func(n int, s os.Signal) {
		if s == syscall.SIGHUP {
			got <- n
		}
	})
	defer stop()
	for want := 1; want <= 2; want++ {
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
		select {
		case n := <-got:
			require.Equal(t, want, n)
		case <-time.After(10 * time.Second):
			t.Fatal("no signal seen")
		}
	}
	stop()
	stop() // twice is fine
}
