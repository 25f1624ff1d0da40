// Package livecheck checks that a running Opportunities API (the real one,
// or any server) still matches openapi.yaml: it runs every operation against
// a test account and checks every exchange with package contract.
//
// It talks raw net/http, not through package wrapper: the wrapper validates,
// converts, retries and drops what it does not know, which is right for a
// client and wrong for a drift detector. Here every byte on the wire is
// checked, unknown fields included.
//
// A check creates two opportunities for the test customer (the first with
// custom values of each type: string, integer, decimal, boolean), retrieves
// one, updates it (win_likelihood 0 included), lists with each filter and
// reads a second page (per_page 1), deletes both and retrieves one again
// (404). Whatever it creates it deletes in Finish, even after a failed or
// interrupted step; a create whose answer was lost is found again by its
// marker, the custom attribute verify_string. A UUID the server returns that
// the spec's rule refuses is drift, never a path a request is sent to.
//
// The Report names each drift (an undocumented status, a missing required
// field, a type change, any other violation of the spec, documented
// behaviour not seen) and, as warnings, fields the spec does not know;
// Report.WriteText prints it for a terminal, and it encodes as JSON;
// Check.StartLine and Check.EventLine word the progress as it happens.
// The command "opportunities verify" is its command-line face.
package livecheck
