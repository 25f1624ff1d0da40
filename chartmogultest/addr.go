package chartmogultest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// StandaloneAddr is the address a standalone fake listens on by convention
// (the default of "opportunities fake-server"): loopback, on the port
// stripe-mock made familiar.
const StandaloneAddr = "127.0.0.1:12111"

// CheckAddr checks an address for WithAddr: HOST:PORT, where PORT is a
// number from 0 to 65535 (0 picks a free one; a service name such as "http"
// is refused) and an empty HOST means every interface. Its error says what
// is wrong without repeating addr, so that a caller can name where addr came
// from.
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return fmt.Errorf("%s: want HOST:PORT, such as %s", ae.Err, StandaloneAddr)
		}
		return fmt.Errorf("want HOST:PORT, such as %s", StandaloneAddr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535 (0 picks a free one)")
	}
	return nil
}

// Exposed says where a server listening on addr (HOST:PORT, see CheckAddr)
// can be reached from other machines: "every interface" for an empty or
// unspecified host (0.0.0.0, ::), else the host itself. It returns "" for
// loopback only: localhost or a loopback IP. The fake has no TLS, so an
// exposed fake sends its API key across the network in clear text.
func Exposed(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	if strings.EqualFold(host, "localhost") {
		return ""
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || (ip != nil && ip.IsUnspecified()):
		return "every interface"
	case ip != nil && ip.IsLoopback():
		return ""
	}
	return host
}
