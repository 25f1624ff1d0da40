package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

// In-process tests of the pieces the end-to-end tests cannot reach easily.

func TestTypedValue(t *testing.T) {
	for in, want := range map[string]any{
		"true": true, "false": false, "3": int64(3), "-7": int64(-7), "0": int64(0),
		"12.5": 12.5, "1e3": 1000.0, "-0.25": -0.25,
		"02134": "02134", "+5": "+5", "NaN": "NaN", "Inf": "Inf", "1.": "1.", "True": "True",
		"": "", "hello world": "hello world", "9223372036854775807": int64(9223372036854775807),
	} {
		got, err := typedValue(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := typedValue("9223372036854775808")
	require.ErrorContains(t, err, "does not fit in 64 bits")
	_, err = typedValue("1e999")
	require.ErrorContains(t, err, "out of range")

	var c customFlag
	require.NoError(t, c.Set("seats=3"))
	require.NoError(t, c.Set("zip:=02134"))
	require.NoError(t, c.Set("flag:=true"))
	require.NoError(t, c.Set("eq=a=b"))
	require.Equal(t, map[string]any{"seats": int64(3), "zip": "02134", "flag": "true", "eq": "a=b"}, c.m)
	require.ErrorContains(t, c.Set("seats=4"), "given twice")
	require.Error(t, c.Set("=1"))
	require.Error(t, c.Set("novalue"))
	require.ErrorContains(t, c.Set("big=99999999999999999999"), "big:=99999999999999999999")
}

func TestParseBodySeed(t *testing.T) {
	f, read, err := parseBody([]byte(seedBody), createRequest)
	require.NoError(t, err)
	require.Empty(t, read)
	require.Empty(t, f.createProblems())
	want := wrapper.NewOpportunity(seedCustomer, "test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100000).
		WithType(wrapper.TypeRecurring).WithForecastCategory(wrapper.ForecastBestCase).WithWinLikelihood(40).
		WithCustom(map[string]any{"seats": int64(3), "marketing_campaign": "Facebook"})
	require.Equal(t, want, f.input())
	require.NoError(t, f.input().Validate())

	// Omitted stays omitted; nulls count as omitted on create.
	f, read, err = parseBody([]byte(`{"win_likelihood": null, "type": null, "amount_in_cents": 9007199254740993}`), createRequest)
	require.NoError(t, err)
	require.Empty(t, read)
	require.Nil(t, f.input().WinLikelihood)
	require.Equal(t, int64(9007199254740993), f.input().AmountInCents, "every digit kept")

	for body, want := range map[string]string{
		`[1]`:       "must be a JSON object",
		`null`:      "must be a JSON object, got null",
		``:          "empty",
		`{} {}`:     "more data",
		`{"a": }`:   "invalid JSON",
		"  \n\t   ": "empty",
	} {
		_, _, err := parseBody([]byte(body), createRequest)
		require.ErrorContains(t, err, want, body)
	}

	_, read, err = parseBody([]byte(`{"customer_uuid": "x", "win_likelihood": 1.5, "owner": 3, "custom": [{"key": "a", "value": 1}, {"key": "a", "value": 2}, {"value": 1}, {"key": "b"}, {"key": "c", "value": null, "extra": 1}]}`), updateRequest)
	require.NoError(t, err)
	fieldsOf := map[string]string{}
	for _, p := range read {
		fieldsOf[p.Field] += p.Problem + ";"
	}
	require.Contains(t, fieldsOf["customer_uuid"], "cannot be changed")
	require.Contains(t, fieldsOf["win_likelihood"], "must be an integer")
	require.Contains(t, fieldsOf["owner"], "must be a string")
	require.Contains(t, fieldsOf["custom.a"], "given twice")
	require.Contains(t, fieldsOf["custom"], "entry 2 has no key")
	require.Contains(t, fieldsOf["custom.b"], "has no value")
	require.Contains(t, fieldsOf["custom.c"], `unknown field "extra"`)
	require.Contains(t, fieldsOf["custom.c"], "must be a string, number or boolean")
}

func TestParseJournal(t *testing.T) {
	at := func(s int) string { return time.Date(2024, 3, 21, 6, 0, s, 0, time.UTC).Format(time.RFC3339Nano) }
	data := strings.Join([]string{
		`{"line":1,"state":"sending","at":"` + at(1) + `","row_sha256":"h1"}`,
		`{"line":1,"state":"created","uuid":"u1"}`,
		`{"line":2,"state":"sending","at":"` + at(2) + `","row_sha256":"h2"}`, // died mid-request
		`{"line":3,"state":"sending","at":"` + at(3) + `"}`,
		`{"line":3,"state":"failed","error":"422","at":"` + at(4) + `"}`, // refused: send again
		`{"line":4,"state":"sending","at":"` + at(5) + `"}`,
		`{"line":4,"state":"failed","error":"502","outcome_unknown":true}`,
		`{"line":4,"state":"sending","at":"` + at(9) + `"}`, // the check found nothing; resent; died
		`{"line":5,"state":"sending","at":"` + at(6) + `"}`,
		`{"line":5,"state":"failed","error":"502","outcome_unknown":true}`,
		`{"line":5,"state":"created","uuid":"u5","reconciled":true}`,
		`{"line":6,"sta`, // torn by a crash, then healed by the next run
		`{"line":7,"state":"sending","at":"` + at(7) + `"}`,
		`{"line":7,"state":"created","uuid":"u7"}`,
		`{"line":8,"state":"sen`, // torn by a crash
	}, "\n")
	states, torn, err := parseJournal([]byte(data))
	require.NoError(t, err)
	require.Equal(t, 2, torn)
	require.True(t, states[7].created)
	require.True(t, states[1].created)
	require.Equal(t, "u1", states[1].uuid)
	require.True(t, states[2].unresolved)
	require.Equal(t, at(2), states[2].since.Format(time.RFC3339Nano))
	require.Equal(t, "h2", states[2].hash)
	require.False(t, states[3].unresolved)
	require.False(t, states[3].created)
	require.True(t, states[4].unresolved)
	require.Equal(t, at(5), states[4].since.Format(time.RFC3339Nano), "the earliest unresolved attempt")
	require.True(t, states[5].created)
	require.NotContains(t, states, 6)
	require.NotContains(t, states, 8)

	_, _, err = parseJournal([]byte(`{"line":"one"}` + "\n" + `{"line":1,"state":"created","uuid":"u"}` + "\n"))
	require.ErrorContains(t, err, "journal line 1")
	_, _, err = parseJournal([]byte(`{"line":1,"state":"lost"}` + "\n"))
	require.ErrorContains(t, err, "unknown state")
}

func TestSameOpportunity(t *testing.T) {
	in := wrapper.NewOpportunity(seedCustomer, "test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100).
		WithCustom(map[string]any{"seats": int64(3), "ratio": 3.0, "vip": true, "src": "x"})
	o := wrapper.Opportunity{CustomerUUID: seedCustomer, Owner: "Test1@Example.org", Pipeline: "New Business",
		PipelineStage: "Discovery", EstimatedCloseDate: "2024-04-21", Currency: "USD", AmountInCents: 100,
		Type: wrapper.TypeRecurring, WinLikelihood: new(int),
		Custom: map[string]any{"seats": int64(3), "ratio": int64(3), "vip": true, "src": "x", "other": []any{1}}}
	require.True(t, sameOpportunity(in, o), "unsent fields and extra attributes do not matter")
	require.False(t, sameOpportunity(in.WithWinLikelihood(40), o))
	require.True(t, sameOpportunity(in.WithWinLikelihood(0), o))
	require.False(t, sameOpportunity(in.WithType(wrapper.TypeOneTime), o))
	require.False(t, sameOpportunity(in.WithForecastCategory(wrapper.ForecastWon), o))
	require.False(t, sameOpportunity(in.WithCustom(map[string]any{"seats": int64(4)}), o))
	require.False(t, sameOpportunity(in.WithCustom(map[string]any{"seats": "3"}), o))
	require.False(t, sameOpportunity(in.WithCustom(map[string]any{"other": "x"}), o))
	require.False(t, sameOpportunity(in.WithCustom(map[string]any{"missing": 1}), o))
	o2 := o
	o2.AmountInCents = 101
	require.False(t, sameOpportunity(in, o2))
	require.True(t, sameValue(int64(1<<53+1), int64(1<<53+1)))
	require.False(t, sameValue(int64(1<<53+1), int64(1<<53)))
}

func TestProgressDisplay(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)
	newAt := func(w *bytes.Buffer, tty bool) *progress {
		p := newProgress(w, tty, 0, 100)
		p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
		return p
	}

	var plain bytes.Buffer
	p := newAt(&plain, false)
	p.done.Store(40)
	p.failed.Store(2)
	require.Equal(t, "progress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed", p.line())
	p.run() // interval 0: no periodic lines
	p.printf("line %d: failed", 7)
	p.finish()
	require.Equal(t, "line 7: failed\nprogress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed\n", plain.String())

	// On a terminal: one line redrawn in place, messages above it.
	var tty bytes.Buffer
	p = newAt(&tty, true)
	p.show()
	p.done.Store(100)
	p.printf("line 9: failed")
	p.finish()
	out := tty.String()
	require.True(t, strings.HasPrefix(out, "\rprogress: 0/100 rows (0%), 0.0 rows/s, ETA ?, 0 failed"), "%q", out)
	require.Contains(t, out, "\r"+strings.Repeat(" ", len("progress: 0/100 rows (0%), 0.0 rows/s, ETA ?, 0 failed"))+"\rline 9: failed\n")
	require.True(t, strings.HasSuffix(out, "\rprogress: 100/100 rows (100%), 10.0 rows/s, ETA 0s, 0 failed\n"), "%q", out)
	require.Equal(t, 1, strings.Count(out, "\n")-1, "only the message and the final line end lines")
}

func TestFailRedactsTheKey(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf, cmd: "get", key: "sk_live_s3cr3t_key"}
	require.Equal(t, exitError, e.fail(errors.New("dial https://sk_live_s3cr3t_key@host: refused"), nil))
	require.Equal(t, "opportunities get: dial https://[redacted]@host: refused\n", buf.String())

	buf.Reset()
	e.key = "k" // too short to redact without mangling the message
	require.Equal(t, exitUsage, e.fail(usagef("bad kind"), nil))
	require.Equal(t, "opportunities get: bad kind\nRun 'opportunities get --help' for usage.\n", buf.String())
}
