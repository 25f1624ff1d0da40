package chartmogultest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// record is one stored opportunity; seq orders records created at the same
// instant (a later insertion is newer).
type record struct {
	seq int64
	opp generated.Opportunity
}

// store is the in-memory data; Server.mu guards it.
type store struct {
	seq     int64
	records []*record // insertion order
}

func (st *store) insert(o generated.Opportunity) {
	st.seq++
	st.records = append(st.records, &record{seq: st.seq, opp: o})
}

func (st *store) get(uuid string) *record {
	for _, r := range st.records {
		if r.opp.UUID == uuid {
			return r
		}
	}
	return nil
}

func (st *store) remove(uuid string) bool {
	n := len(st.records)
	st.records = slices.DeleteFunc(st.records, func(r *record) bool { return r.opp.UUID == uuid })
	return len(st.records) < n
}

// newestFirst returns the records by created_at descending, then by insertion
// order descending.
func (st *store) newestFirst() []*record {
	out := slices.Clone(st.records)
	slices.SortStableFunc(out, func(a, b *record) int {
		if c := b.opp.CreatedAt.Compare(a.opp.CreatedAt); c != 0 {
			return c
		}
		return int(b.seq - a.seq)
	})
	return out
}

// Seed stores opportunities as if they had been created, in order (so the
// last one is the newest among equal created_at), and returns the stored
// copies. An empty UUID gets a fresh one, zero timestamps get the clock's
// time, a nil Custom becomes empty; timestamps are kept in UTC, truncated to
// milliseconds. An opportunity whose UUID is already stored replaces it.
// Seeded data is not checked against the contract here, but a response that
// would carry an invalid one is answered 500 (see WithResponseValidation).
func (s *Server) Seed(opps ...generated.Opportunity) []generated.Opportunity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seedLocked(opps)
}

// seedLocked is Seed; the caller holds s.mu.
func (s *Server) seedLocked(opps []generated.Opportunity) []generated.Opportunity {
	out := make([]generated.Opportunity, 0, len(opps))
	for _, o := range opps {
		o = cloneOpportunity(o)
		if o.UUID == "" {
			o.UUID = newUUID()
		}
		if o.CreatedAt.IsZero() {
			o.CreatedAt = s.now()
		}
		if o.UpdatedAt.IsZero() {
			o.UpdatedAt = o.CreatedAt
		}
		o.CreatedAt = o.CreatedAt.UTC().Truncate(time.Millisecond)
		o.UpdatedAt = o.UpdatedAt.UTC().Truncate(time.Millisecond)
		s.store.remove(o.UUID)
		s.store.insert(o)
		out = append(out, cloneOpportunity(o))
	}
	return out
}

// Opportunities returns a copy of every stored opportunity, newest first.
func (s *Server) Opportunities() []generated.Opportunity {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.store.newestFirst()
	out := make([]generated.Opportunity, len(recs))
	for i, r := range recs {
		out[i] = cloneOpportunity(r.opp)
	}
	return out
}

func cloneOpportunity(o generated.Opportunity) generated.Opportunity {
	o.WinLikelihood = clonePtr(o.WinLikelihood)
	custom := make(map[string]json.RawMessage, len(o.Custom))
	for k, v := range o.Custom {
		custom[k] = slices.Clone(v)
	}
	o.Custom = custom
	return o
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// mergeCustom sets each attribute's raw JSON value, exactly as sent (numbers
// keep their digits), into m.
func mergeCustom(m map[string]json.RawMessage, attrs []generated.CustomAttribute) {
	for _, a := range attrs {
		raw, err := a.Value.MarshalJSON()
		if err == nil && json.Valid(raw) {
			m[a.Key] = slices.Clone(raw)
		}
	}
}

// newUUID returns a random (version 4) UUID in lower case.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// cursor is the position after the last entry of a page: an opaque,
// URL-safe base64 text of that entry's created_at and insertion number.
type cursor struct {
	createdAt time.Time
	seq       int64
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.createdAt.Format(time.RFC3339Nano) + "|" + strconv.FormatInt(c.seq, 10)))
}

func parseCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, err
	}
	ts, seq, ok := strings.Cut(string(raw), "|")
	if !ok {
		return cursor{}, fmt.Errorf("no separator")
	}
	var c cursor
	if c.createdAt, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return cursor{}, err
	}
	if c.seq, err = strconv.ParseInt(seq, 10, 64); err != nil {
		return cursor{}, err
	}
	return c, nil
}

// before reports whether r comes after the cursor's position, newest first.
func (c cursor) before(r *record) bool {
	if cmp := r.opp.CreatedAt.Compare(c.createdAt); cmp != 0 {
		return cmp < 0
	}
	return r.seq < c.seq
}
