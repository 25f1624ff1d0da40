package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDuplicateKeys(t *testing.T) {
	for body, want := range map[string][]string{
		`{"a":1,"b":{"a":1,"c":[{"x":1,"x":2}]},"a":3}`:     {"b.c[0].x", "a"},
		`{"Tier":"a","tier":"b"}`:                           nil,   // custom names are case-sensitive: two keys
		`{"a":"\u0061","\u0061":1}`:                         {"a"}, // equal once decoded
		`[{"k":1},{"k":1}]`:                                 nil,   // different objects
		`{"a":1,"b":`:                                       nil,   // not JSON: the schema checks say so
		`{"a.b":{"c":1},"a.b":2,"[0]":{"z":1,"z":1}}`:       {"a.b", "[0].z"},
		`{"e\u001b[2J":1,"e\u001b[2J":2}`:                   {"e\x1b[2J"}, // escaped where it is reported
		`{"n":[[[{"deep":1,"deep":2}]]],"m":{"n":{"o":1}}}`: {"n[0][0][0].deep"},
	} {
		require.Equal(t, want, duplicateKeys([]byte(body)), body)
	}
	e := &Error{}
	duplicateBodyKeys(e, PartResponseBody, "application/json", []byte(`{"e\u001b[2J":1,"e\u001b[2J":2}`))
	require.Len(t, e.Violations, 1)
	require.NotContains(t, e.Violations[0].Field, "\x1b", "a server's key name is escaped")
}

// A body nested far deeper than any real one is scanned only to maxDepth:
// a request of a megabyte cannot make the fake or a middleware spend
// seconds or gigabytes on it (the first version built a path string per
// level: quadratic).
func TestDuplicateKeysStopsAtMaxDepth(t *testing.T) {
	const depth = 500_000 // 1 MB
	body := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	allocs := testing.AllocsPerRun(1, func() { require.Nil(t, duplicateKeys([]byte(body))) })
	require.Less(t, allocs, float64(10*maxDepth), "allocations grow with the depth scanned, at most maxDepth")
}

// An object of very many keys is scanned in linear time: a duplicate among
// 200,000 keys is found, each key looked at once (a map beyond a few keys).
func TestDuplicateKeysInAHugeObject(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 200_000 {
		fmt.Fprintf(&b, `"k%d":1,`, i)
	}
	b.WriteString(`"k17":2,"k199999":3}`)
	require.Equal(t, []string{"k17", "k199999"}, duplicateKeys([]byte(b.String())))
	var k keySet
	for i := range 100 {
		require.True(t, k.add(fmt.Sprint(i)))
	}
	for i := range 100 {
		require.False(t, k.add(fmt.Sprint(i)), "seen, before and after the switch to a map")
	}
}

// Many duplicates deep down: at most maxDuplicates are reported, each path
// cut at maxPath, so the report stays small whatever the body.
func TestDuplicateKeysBoundsTheReport(t *testing.T) {
	const depth = 5000
	body := strings.Repeat(`{"a":`, depth) + "{" + strings.Repeat(`"a":0,`, 10000) + `"a":0}` + strings.Repeat("}", depth)
	dups := duplicateKeys([]byte(body))
	require.Len(t, dups, maxDuplicates)
	for _, d := range dups {
		require.LessOrEqual(t, len(d), maxPath+len("…")+1)
	}
}
