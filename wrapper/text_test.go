package wrapper_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

func TestTypedCustomValue(t *testing.T) {
	for in, want := range map[string]any{
		"true": true, "false": false, "3": int64(3), "-7": int64(-7), "0": int64(0),
		"12.5": 12.5, "1e3": 1000.0, "-0.25": -0.25,
		"02134": "02134", "+5": "+5", "NaN": "NaN", "Inf": "Inf", "1.": "1.", "True": "True",
		"": "", "hello world": "hello world", "9223372036854775807": int64(9223372036854775807),
	} {
		got, err := wrapper.TypedCustomValue(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := wrapper.TypedCustomValue("9223372036854775808")
	require.ErrorContains(t, err, "does not fit in 64 bits")
	_, err = wrapper.TypedCustomValue("1e999")
	require.ErrorContains(t, err, "out of range")
}

func TestCustomKey(t *testing.T) {
	for written, want := range map[string]struct {
		key      string
		asString bool
	}{"zip:": {"zip", true}, "zip": {"zip", false}, ":": {"", true}, "a:b": {"a:b", false}} {
		key, asString := wrapper.CustomKey(written)
		require.Equal(t, want.key, key, written)
		require.Equal(t, want.asString, asString, written)
	}
}

func TestBodyFromText(t *testing.T) {
	props := generated.CreateOpportunityProperties()
	body := wrapper.BodyFromText(props, map[string]string{
		"amount_in_cents": "100", "win_likelihood": "forty", "currency": "123", "unknown": "7",
	}, map[string]any{"seats": int64(3), "b": "x"})
	require.JSONEq(t, `{"amount_in_cents":100,"win_likelihood":"forty","currency":"123","unknown":"7",
		"custom":[{"key":"b","value":"x"},{"key":"seats","value":3}]}`, string(body))
	require.JSONEq(t, `{}`, string(wrapper.BodyFromText(props, nil, nil)))

	in, read, err := wrapper.DecodeOpportunityInput(wrapper.BodyFromText(props, map[string]string{"amount_in_cents": "02"}, nil))
	require.NoError(t, err)
	require.Zero(t, in.AmountInCents)
	require.NotEmpty(t, problemOf(read, "amount_in_cents"), "02 is not a JSON integer: sent as a string, the decoder names it")
}

func TestMergeProblems(t *testing.T) {
	require.NoError(t, wrapper.MergeProblems(nil, nil))
	other := errors.New("not a validation error")
	require.Same(t, other, wrapper.MergeProblems(nil, other))

	read := []wrapper.FieldError{{Field: "custom.seats", Problem: "unreadable"}, {Field: "win_likelihood", Problem: "not an integer"}}
	validation := &wrapper.ValidationError{Problems: []wrapper.FieldError{
		{Field: "win_likelihood", Problem: "out of range"}, {Field: "zzz", Problem: "unknown"}, {Field: "owner", Problem: "not an e-mail"},
	}}
	var ve *wrapper.ValidationError
	require.ErrorAs(t, wrapper.MergeProblems(read, validation), &ve)
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field+": "+p.Problem)
	}
	require.Equal(t, []string{"owner: not an e-mail", "win_likelihood: not an integer", "custom.seats: unreadable", "zzz: unknown"}, fields,
		"in the spec's order, each field once, what could not be read first")
}

func problemOf(ps []wrapper.FieldError, field string) string {
	for _, p := range ps {
		if p.Field == field {
			return p.Problem
		}
	}
	return ""
}
