package wrapper

import (
	"encoding/json"
	"math"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/generated"
)

func TestCustomToWire(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    string // JSON of the list; "" when nothing is sent
		problem map[string]string
	}{
		{name: "nil", in: nil, want: ""},
		{name: "empty", in: map[string]any{}, want: ""},
		{name: "sorted by key", in: map[string]any{"seats": 3, "marketing_campaign": "Facebook", "a": true},
			want: `[{"key":"a","value":true},{"key":"marketing_campaign","value":"Facebook"},{"key":"seats","value":3}]`},
		{name: "every integer kind keeps its digits",
			in: map[string]any{"i": int(-1), "i8": int8(-8), "i16": int16(16), "i32": int32(32), "i64": int64(math.MaxInt64),
				"u": uint(1), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32), "u64": uint64(math.MaxUint64)},
			want: `[{"key":"i","value":-1},{"key":"i16","value":16},{"key":"i32","value":32},{"key":"i64","value":9223372036854775807},` +
				`{"key":"i8","value":-8},{"key":"u","value":1},{"key":"u16","value":16},{"key":"u32","value":32},` +
				`{"key":"u64","value":18446744073709551615},{"key":"u8","value":8}]`},
		{name: "floats", in: map[string]any{"f": 12.5, "g": float32(0.1), "big": 123456789.0, "n": json.Number("1e3")},
			want: `[{"key":"big","value":123456789},{"key":"f","value":12.5},{"key":"g","value":0.1},{"key":"n","value":1e3}]`},
		{name: "strings are escaped", in: map[string]any{"s": "quote \" and <tag> and é"},
			want: `[{"key":"s","value":"quote \" and \u003ctag\u003e and é"}]`},
		{name: "unsupported values are named by key",
			in: map[string]any{"obj": map[string]any{"x": 1}, "arr": []any{1}, "nil": nil, "nan": math.NaN(),
				"inf": math.Inf(1), "num": json.Number("abc"), "ok": 1},
			problem: map[string]string{
				"custom.obj": "value of type map[string]interface {} is not supported; want a string, bool, integer or float",
				"custom.arr": "value of type []interface {} is not supported; want a string, bool, integer or float",
				"custom.nil": "value is nil; want a string, bool, integer or float",
				"custom.nan": "value NaN is not a finite number",
				"custom.inf": "value +Inf is not a finite number",
				"custom.num": `json.Number "abc" is not a number`,
			}},
		{name: "empty key", in: map[string]any{"": 1}, problem: map[string]string{"custom": "has an empty key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p problems
			got := customToWire(tt.in, &p)
			if tt.problem != nil {
				gotProblems := map[string]string{}
				for _, fe := range p {
					gotProblems[fe.Field] = fe.Problem
				}
				require.Equal(t, tt.problem, gotProblems)
				return
			}
			require.Empty(t, p)
			if tt.want == "" {
				require.Nil(t, got)
				return
			}
			b, err := json.Marshal(got)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(b))
		})
	}
}

func TestCustomFromWire(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{"empty", `{}`, map[string]any{}},
		{"null object", `null`, map[string]any{}},
		{"seed", `{"seats":3,"marketing_campaign":"Facebook"}`, map[string]any{"seats": int64(3), "marketing_campaign": "Facebook"}},
		{"integers stay int64 with every digit", `{"big":9007199254740993,"neg":-42}`,
			map[string]any{"big": int64(9007199254740993), "neg": int64(-42)}},
		{"non-integral numbers are float64", `{"f":12.5,"g":-0.001,"h":1.5e300}`,
			map[string]any{"f": 12.5, "g": -0.001, "h": 1.5e300}},
		{"integral numbers in any notation are int64", `{"e":1e3,"z":3.0,"n":-2.0E1}`,
			map[string]any{"e": int64(1000), "z": int64(3), "n": int64(-20)}},
		{"too big for int64 is float64", `{"u":18446744073709551615}`, map[string]any{"u": 18446744073709551615.0}},
		{"scalars and null", `{"b":false,"s":"x","n":null,"t":"2024-03-21T06:46:23.137Z"}`,
			map[string]any{"b": false, "s": "x", "n": nil, "t": "2024-03-21T06:46:23.137Z"}},
		{"nested values are normalised too", `{"list":[1,2.5,{"k":7}],"obj":{"n":9}}`,
			map[string]any{"list": []any{int64(1), 2.5, map[string]any{"k": int64(7)}}, "obj": map[string]any{"n": int64(9)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tt.in), &raw))
			got, err := customFromWire(raw)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCustomRoundTripKeepsValues(t *testing.T) {
	in := map[string]any{"seats": int64(3), "ratio": 0.25, "name": "x", "on": true, "big": int64(math.MaxInt64)}
	var p problems
	list := customToWire(in, &p)
	require.Empty(t, p)
	// Turn the request list into the response object, as the server does.
	obj := map[string]json.RawMessage{}
	for _, a := range list {
		b, err := a.Value.MarshalJSON()
		require.NoError(t, err)
		obj[a.Key] = b
	}
	out, err := customFromWire(obj)
	require.NoError(t, err)
	require.Equal(t, in, out)
}

func TestCheckUUID(t *testing.T) {
	require.NoError(t, checkUUID("bb544336-e74e-11ee-800c-effc264f19ed"))
	require.NoError(t, checkUUID("BB544336-E74E-11EE-800C-EFFC264F19ED"))
	for _, bad := range []string{"", "bb544336", "bb544336-e74e-11ee-800c-effc264f19ed/..", "../x",
		"bb544336-e74e-11ee-800c-effc264f19ed?x=1", "cus_bb544336-e74e-11ee-800c-effc264f19ed", " bb544336-e74e-11ee-800c-effc264f19ed"} {
		err := checkUUID(bad)
		var v *ValidationError
		require.ErrorAs(t, err, &v, bad)
		require.Equal(t, "uuid", v.Problems[0].Field)
	}
}

// The generated pattern matchers (byte tables for fixed-length patterns)
// agree with regexp on every pattern the spec states, and the e-mail format
// with kin-openapi's.
func TestPatternChecksMatchTheSpec(t *testing.T) {
	require.NotEmpty(t, generated.Patterns)
	emailRE := regexp.MustCompile(openapi3.FormatOfStringForEmail) // what the spec's validators use
	for _, s := range []string{"", "bb544336-e74e-11ee-800c-effc264f19ed", "BB544336-E74E-11EE-800C-EFFC264F19ED",
		"cus_bb544336-e74e-11ee-800c-effc264f19ed", "cus_bb544336-e74e-11ee-800c-effc264f19eg", "CUS_bb544336-e74e-11ee-800c-effc264f19ed",
		"bb544336-e74e-11ee-800c-effc264f19eg", "bb544336e74e-11ee-800c-effc264f19ed0", "bb544336-e74e-11ee-800c-effc264f19e",
		"USD", "usd", "US", "USDD", "ÜSD", "a@b", "@b", "a@", "a b@c", "a@b c", "a@b<c", "a@@b", "test1@example.org",
		"kamil+pavlicko@chartmogul.com", "x@y,z", "\u00e9@\u00e9", "a\u00a0b@c"} {
		for _, p := range generated.Patterns {
			require.Equal(t, regexp.MustCompile(p.Pattern).MatchString(s), p.Match(s), "%s on %q", p.Pattern, s)
		}
		require.Equal(t, emailRE.MatchString(s), generated.IsEmail(s), "email %q", s)
	}
}

func FuzzPatternChecksMatchTheSpec(f *testing.F) {
	emailRE := regexp.MustCompile(openapi3.FormatOfStringForEmail)
	res := make([]*regexp.Regexp, len(generated.Patterns))
	for i, p := range generated.Patterns {
		res[i] = regexp.MustCompile(p.Pattern)
	}
	f.Add("test1@example.org")
	f.Add("bb544336-e74e-11ee-800c-effc264f19ed")
	f.Add("cus_bb544336-e74e-11ee-800c-effc264f19ed")
	f.Add("USD")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for i, p := range generated.Patterns {
			require.Equal(t, res[i].MatchString(s), p.Match(s), p.Pattern)
		}
		require.Equal(t, emailRE.MatchString(s), generated.IsEmail(s))
	})
}

// The date format accepts exactly what time.Parse(DateLayout, ·) accepts.
func TestIsDateMatchesTimeParse(t *testing.T) {
	for _, s := range []string{"2024-04-21", "2024-02-29", "2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10",
		"2024-01-00", "2024-01-32", "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01T00:00:00Z", "", "0000-01-01",
		"9999-12-31", "2024-04-31", "2024-06-30", "+024-01-01", "2024-0a-01", "1900-02-29", "2000-02-29"} {
		_, err := time.Parse(DateLayout, s)
		require.Equal(t, err == nil, generated.IsDate(s), s)
	}
}

func FuzzIsDateMatchesTimeParse(f *testing.F) {
	f.Add("2024-04-21")
	f.Add("2023-02-29")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := time.Parse(DateLayout, s)
		require.Equal(t, err == nil, generated.IsDate(s), s)
	})
}
