package livecheck_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/contract/livecheck"
)

const customer = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"

func config(srv *chartmogultest.Server) livecheck.Config {
	return livecheck.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), CustomerUUID: customer, Owner: "test1@example.org",
		Pipeline: "New Business", Stage: "Discovery", UserAgent: "livecheck-test"}
}

func TestTheFakeConforms(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	srv := chartmogultest.NewServer(t)
	cfg := config(srv)
	var events []livecheck.Event
	cfg.Progress = func(ev livecheck.Event) { events = append(events, ev) }
	ch, err := livecheck.New(cc, cfg)
	require.NoError(t, err)
	require.Regexp(t, `^opportunities-verify [0-9a-f]{12}$`, ch.Marker())
	require.True(t, strings.HasSuffix(ch.Marker(), ch.Run()))
	require.False(t, ch.Steps(context.Background()))
	rep := ch.Finish()
	require.True(t, rep.Conforms, "%+v", rep)
	require.Len(t, rep.Steps, 15)
	require.Equal(t, livecheck.Cleanup{Created: 2, Deleted: 2, LeftBehind: []string{}, Marker: ch.Marker()}, rep.Cleanup)
	require.Len(t, events, 2)
	require.False(t, events[0].Found)
	require.Empty(t, srv.Opportunities())
}

func TestNewNamesTheFieldsTheSpecRefuses(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	cfg := config(chartmogultest.NewServer(t))
	cfg.CustomerUUID = "not a customer"
	_, err = livecheck.New(cc, cfg)
	var ce *contract.Error
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, "customer_uuid", ce.Violations[0].Field)
}

// New refuses a Config without a customer or an owner before anything else,
// the API key included, naming the field as the spec does.
func TestNewNamesTheRequiredFieldsLeftEmpty(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	srv := chartmogultest.NewServer(t)
	require.NoError(t, config(srv).Check())
	for _, c := range []struct {
		edit       func(*livecheck.Config)
		field, why string
	}{
		{func(cfg *livecheck.Config) { cfg.CustomerUUID, cfg.Owner, cfg.APIKey = "", "", "" }, "customer_uuid", "the test customer to create opportunities for"},
		{func(cfg *livecheck.Config) { cfg.Owner, cfg.APIKey = "", "" }, "owner", "a user with a CRM seat"},
	} {
		cfg := config(srv)
		c.edit(&cfg)
		var re *livecheck.RequiredError
		require.ErrorAs(t, cfg.Check(), &re)
		require.Equal(t, livecheck.RequiredError{Field: c.field, Why: c.why}, *re)
		_, err := livecheck.New(cc, cfg)
		require.ErrorAs(t, err, &re, "New checks it first")
		require.Equal(t, c.field, re.Field)
		require.EqualError(t, err, "livecheck: "+c.field+" is required: "+c.why)
	}
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
}

func TestAnInterruptedCheckCleansUp(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	srv := chartmogultest.NewServer(t)
	cfg := config(srv)
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = func(livecheck.Event) { cancel() } // interrupted once the first one is created
	ch, err := livecheck.New(cc, cfg)
	require.NoError(t, err)
	require.True(t, ch.Steps(ctx))
	rep := ch.Finish()
	require.True(t, rep.Interrupted)
	require.False(t, rep.Conforms)
	require.Equal(t, 1, rep.Cleanup.Deleted)
	require.Empty(t, srv.Opportunities())
}

// A create that never reached a server (the connection refused) created
// nothing: the report does not warn that an opportunity may be left behind.
// One whose connection dropped after sending may have, and it does.
func TestARefusedConnectionLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	cc, err := contract.Load()
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String() + "/v1"
	require.NoError(t, l.Close())
	cfg := config(chartmogultest.NewServer(t))
	cfg.BaseURL = closed
	ch, err := livecheck.New(cc, cfg)
	require.NoError(t, err)
	ch.Steps(context.Background())
	rep := ch.Finish()
	require.False(t, rep.Conforms)
	require.False(t, rep.Cleanup.OutcomeUnknown, "%+v", rep.Cleanup)
	require.Empty(t, rep.Cleanup.LeftBehind)

	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{DropConnection: true, Apply: true})
	ch, err = livecheck.New(cc, config(srv))
	require.NoError(t, err)
	ch.Steps(context.Background())
	rep = ch.Finish()
	require.False(t, rep.Conforms)
	require.Equal(t, 1, rep.Cleanup.Created, "found by its marker and deleted: %+v", rep.Cleanup)
	require.Empty(t, srv.Opportunities())
}
