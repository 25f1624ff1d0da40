//go:build !unix

package bulk

import "os"

// lockFile does nothing where flock is not available: two imports must not
// share a journal there.
func lockFile(*os.File) error { return nil }
