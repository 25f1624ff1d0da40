package wrapper_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (a connection's reader, a
// retry timer, a fake server) outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
