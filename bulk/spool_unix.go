//go:build unix

package bulk

import (
	"os"
	"syscall"
)

// wakeFIFO releases a reader waiting in its open of the FIFO at path by
// opening it for writing, without waiting, and closing it at once: the
// reader then reads an end of file. Without a reader waiting, it does
// nothing.
func wakeFIFO(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}
