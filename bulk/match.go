package bulk

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// Reconciliation compares a row with an opportunity through their JSON
// forms, property by property of openapi.yaml's CreateOpportunity schema
// (generated.CreateOpportunityProperties), so a property added to the spec
// is compared with no edit here:
//
//   - every property the row sends must be on the opportunity with an equal
//     value (numbers by value, so 3 equals 3.0; e-mail addresses, format
//     "email", without regard to case; strings otherwise exactly);
//   - every property the row leaves out must be absent or null on the
//     opportunity, except those the API fills in (serverFilled);
//   - custom is compared as a whole map: the same keys, equal values.
//
// Both sides are reduced to a key (a hash of that canonical form), so the
// rows waiting to be reconciled cost a few bytes each.

// serverFilled lists the create properties the API is documented to fill in
// when a request leaves them out: win_likelihood takes the pipeline stage's
// default (docs/API.md). A row that did not send one matches an opportunity
// whatever its value there.
var serverFilled = []string{"win_likelihood"}

// matchKey identifies what a row sends, or what an opportunity holds.
type matchKey [16]byte

// rowKey returns the key of what in sends, and the mask of the
// serverFilled properties it leaves out.
func rowKey(in wrapper.OpportunityInput) (matchKey, uint8, error) {
	body, err := wrapper.EncodeOpportunityInput(in)
	if err != nil {
		return matchKey{}, 0, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return matchKey{}, 0, err
	}
	if raw, ok := obj["custom"]; ok {
		var list []struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return matchKey{}, 0, err
		}
		m := make(map[string]json.RawMessage, len(list))
		for _, e := range list {
			m[e.Key] = e.Value
		}
		obj["custom"], _ = json.Marshal(m)
	}
	var mask uint8
	for i, name := range serverFilled {
		if _, ok := obj[name]; !ok {
			mask |= 1 << i
		}
	}
	return canonicalKey(obj), mask, nil
}

// opportunityKeys computes an opportunity's key for a row that leaves out
// the serverFilled properties in mask.
type opportunityKeys struct {
	obj  map[string]json.RawMessage
	keys map[uint8]matchKey
}

func newOpportunityKeys(o wrapper.Opportunity) (*opportunityKeys, error) {
	b, err := json.Marshal(o) // the API's JSON shape (Opportunity.MarshalJSON)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	return &opportunityKeys{obj: obj, keys: map[uint8]matchKey{}}, nil
}

func (k *opportunityKeys) key(mask uint8) matchKey {
	if key, ok := k.keys[mask]; ok {
		return key
	}
	obj := make(map[string]json.RawMessage, len(k.obj))
	for name, v := range k.obj {
		obj[name] = v
	}
	for i, name := range serverFilled {
		if mask&(1<<i) != 0 {
			delete(obj, name)
		}
	}
	key := canonicalKey(obj)
	k.keys[mask] = key
	return key
}

// canonicalKey hashes the create properties of obj that are present and
// not null, in the spec's order, each value in canonical form. An empty
// custom map counts as absent (a row without custom attributes sends none;
// the API returns {}).
func canonicalKey(obj map[string]json.RawMessage) matchKey {
	var buf bytes.Buffer
	for _, p := range generated.CreateOpportunityProperties() {
		raw, ok := obj[p.Name]
		if !ok || isNullJSON(raw) {
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			fmt.Fprintf(&buf, "%s=!%q\x00", p.Name, raw)
			continue
		}
		if m, isMap := v.(map[string]any); isMap && p.Name == "custom" && len(m) == 0 {
			continue
		}
		buf.WriteString(p.Name)
		buf.WriteByte('=')
		writeCanonical(&buf, v, p.Format == "email")
		buf.WriteByte(0)
	}
	sum := sha256.Sum256(buf.Bytes())
	var k matchKey
	copy(k[:], sum[:])
	return k
}

func isNullJSON(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// writeCanonical writes v with its JSON type: numbers as exact rationals,
// object keys sorted.
func writeCanonical(buf *bytes.Buffer, v any, email bool) {
	switch x := v.(type) {
	case string:
		if email {
			x = strings.ToLower(x)
		}
		fmt.Fprintf(buf, "s%q", x)
	case json.Number:
		if r, ok := new(big.Rat).SetString(x.String()); ok {
			fmt.Fprintf(buf, "n%s", r.RatString())
		} else {
			fmt.Fprintf(buf, "n?%s", x)
		}
	case bool:
		fmt.Fprintf(buf, "b%t", x)
	case nil:
		buf.WriteString("null")
	case []any:
		buf.WriteByte('[')
		for _, e := range x {
			writeCanonical(buf, e, false)
			buf.WriteByte(',')
		}
		buf.WriteByte(']')
	case map[string]any:
		buf.WriteByte('{')
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(buf, "%q:", k)
			writeCanonical(buf, x[k], false)
			buf.WriteByte(',')
		}
		buf.WriteByte('}')
	}
}

// Matches reports whether opportunity o is exactly what in would create (the
// rules above). It is the test reconciliation applies to each candidate.
func Matches(in wrapper.OpportunityInput, o wrapper.Opportunity) bool {
	key, mask, err := rowKey(in)
	if err != nil {
		return false
	}
	ok, err := newOpportunityKeys(o)
	if err != nil {
		return false
	}
	return ok.key(mask) == key
}
