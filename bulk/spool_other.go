//go:build !unix

package bulk

// wakeFIFO does nothing where there are no FIFOs to wait on.
func wakeFIFO(string) {}
