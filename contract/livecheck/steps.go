package livecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/mogulkit/opportunities/contract"
	"github.com/mogulkit/opportunities/generated"
)

// onePath is the path template of one opportunity.
const onePath = "/opportunities/{uuid}"

// Steps runs the operations in order: two creates, a retrieve, an update,
// a list by each filter and two pages, two deletes and a retrieve that must
// answer 404. A step that cannot run without an earlier one is left out when
// that one failed; none starts once ctx is done. It reports whether ctx was
// done when the steps ended (the report then says the run was interrupted).
func (ch *Check) Steps(ctx context.Context) (interrupted bool) {
	ch.steps(ctx)
	ch.rep.Interrupted = ctx.Err() != nil
	return ch.rep.Interrupted
}

func (ch *Check) steps(ctx context.Context) {
	uuids, ok := ch.creates(ctx)
	if !ok {
		return
	}
	a := uuids[0]
	get := request{name: "retrieve", op: contract.OpRetrieve, method: http.MethodGet, pathTemplate: onePath, path: opportunityPath(a)}
	if ex := ch.do(ctx, get, http.StatusOK); ex.ok {
		if got, _ := ex.body["uuid"].(string); got != a {
			ex.step.behaviour(SevDrift, "uuid", "retrieve returned %q, not the opportunity asked for", got)
		}
	}
	if ctx.Err() != nil {
		return
	}
	upd := request{name: "update (win_likelihood 0)", op: contract.OpUpdate, method: http.MethodPatch, pathTemplate: onePath, path: opportunityPath(a),
		body: []byte(`{"win_likelihood":0,"forecast_category":"best_case","amount_in_cents":654321}`)}
	if ex := ch.do(ctx, upd, http.StatusOK); ex.ok {
		checkInt(ex, "win_likelihood", 0)
		checkInt(ex, "amount_in_cents", 654321)
	}
	if !ch.lists(ctx, a) {
		return
	}
	for i, id := range uuids {
		if ctx.Err() != nil {
			return
		}
		del := request{name: fmt.Sprintf("delete %d", i+1), op: contract.OpDelete, method: http.MethodDelete, pathTemplate: onePath, path: opportunityPath(id)}
		if ex := ch.do(ctx, del, http.StatusOK, http.StatusNoContent); ex.ok {
			ch.forget(id)
		}
	}
	if ctx.Err() != nil {
		return
	}
	get.name = "retrieve after delete (404)"
	ch.do(ctx, get, http.StatusNotFound)
}

// creates creates the two opportunities; ok is false when the steps after
// cannot run.
func (ch *Check) creates(ctx context.Context) (uuids [2]string, ok bool) {
	for i := range 2 {
		name := "create with custom values of each type"
		if i == 1 {
			name = "create with win_likelihood 0"
		}
		ex := ch.do(ctx, request{name: name, op: contract.OpCreate, method: http.MethodPost, pathTemplate: "/opportunities", path: "/opportunities",
			body: ch.createBody(i)}, http.StatusCreated)
		id, _ := ex.body["uuid"].(string)
		switch {
		case ex.unsent: // nothing was created
		case ex.status == 0 || ex.status >= 500:
			ch.lost = true // it may have been applied
		case ex.ok && id != "" && !ch.safeUUID(ex.step, id):
			ch.lost = true // created, but under a UUID the check will not use: found again by its marker
		case ex.ok && id != "":
			uuids[i] = id
			ch.created = append(ch.created, id)
			ch.tell(id, false)
		}
		if ctx.Err() != nil || uuids[i] == "" {
			return uuids, false
		}
		if i == 0 {
			checkCustom(ex, ch.Marker())
			checkInt(ex, "win_likelihood", 35)
		} else {
			checkInt(ex, "win_likelihood", 0)
		}
	}
	return uuids, true
}

// lists lists with each filter, then two pages of one; false when
// interrupted.
func (ch *Check) lists(ctx context.Context, a string) bool {
	for _, f := range []struct{ param, value string }{
		{"customer_uuid", ch.cfg.CustomerUUID}, {"owner", ch.cfg.Owner}, {"pipeline", ch.cfg.Pipeline}, {"pipeline_stage", ch.cfg.Stage},
		{"estimated_close_date_on_or_after", ch.closeDate[0]}, {"estimated_close_date_on_or_before", ch.closeDate[1]},
	} {
		if ctx.Err() != nil {
			return false
		}
		r := request{name: "list by " + f.param, op: contract.OpList, method: http.MethodGet, pathTemplate: "/opportunities?" + f.param + "=...",
			path: "/opportunities", query: url.Values{f.param: {f.value}}}
		if ex := ch.do(ctx, r, http.StatusOK); ex.ok && !listed(ex.body, a) {
			ex.step.behaviour(SevWarning, "entries", "the opportunity just created is not on the first page of this filter")
		}
	}
	if ctx.Err() != nil {
		return false
	}
	return ch.pages(ctx)
}

// pages reads two pages of one opportunity; false when interrupted.
func (ch *Check) pages(ctx context.Context) bool {
	q := url.Values{"customer_uuid": {ch.cfg.CustomerUUID}, "per_page": {"1"}}
	first := ch.do(ctx, request{name: "list page 1 (per_page 1)", op: contract.OpList, method: http.MethodGet,
		pathTemplate: "/opportunities?customer_uuid=...&per_page=1", path: "/opportunities", query: q}, http.StatusOK)
	if !first.ok {
		return true
	}
	entries, _ := first.body["entries"].([]any)
	more, _ := first.body["has_more"].(bool)
	cursor, _ := first.body["cursor"].(string)
	switch {
	case len(entries) != 1:
		first.step.behaviour(SevDrift, "entries", "per_page 1 returned %d entries", len(entries))
	case !more || cursor == "":
		first.step.behaviour(SevDrift, "has_more", "with two opportunities and per_page 1, has_more is false or the cursor is empty")
	case ctx.Err() != nil:
		return false
	default:
		q.Set("cursor", cursor)
		second := ch.do(ctx, request{name: "list page 2 (cursor)", op: contract.OpList, method: http.MethodGet,
			pathTemplate: "/opportunities?customer_uuid=...&per_page=1&cursor=...", path: "/opportunities", query: q}, http.StatusOK)
		if e2, _ := second.body["entries"].([]any); second.ok && (len(e2) != 1 || uuidOf(e2[0]) == uuidOf(entries[0])) {
			second.step.behaviour(SevDrift, "entries", "the second page does not hold one other opportunity")
		}
	}
	return true
}

// safeUUID reports whether id, a UUID the server returned, satisfies the
// spec's rule for the {uuid} path parameter. One that does not (such as
// "../../admin/drop-all?x=") is reported as drift on step, unless the
// contract check already did, and is never put in a request: a server must
// not choose where the check sends the key.
func (ch *Check) safeUUID(step *Step, id string) bool {
	vs := generated.ValidateUUIDPathParameter(id)
	if len(vs) == 0 {
		return true
	}
	for _, f := range step.Findings {
		if f.Field == "uuid" && f.Severity == SevDrift {
			return false
		}
	}
	step.Findings = append(step.Findings, Finding{Severity: SevDrift, Kind: KindViolation, Part: string(contract.PartResponseBody),
		Field: "uuid", Rule: "pattern", Message: vs[0].Problem + "; verify sends no request to it"})
	return false
}

// opportunityPath is the path of one opportunity, its UUID escaped (it is
// checked before use as well: see safeUUID).
func opportunityPath(id string) string { return "/opportunities/" + url.PathEscape(id) }

func (ch *Check) forget(id string) {
	for i, c := range ch.created {
		if c == id {
			ch.created = append(ch.created[:i], ch.created[i+1:]...)
			break
		}
	}
	ch.rep.Cleanup.Deleted++
}

func uuidOf(entry any) string {
	m, _ := entry.(map[string]any)
	s, _ := m["uuid"].(string)
	return s
}

func listed(page map[string]any, id string) bool {
	entries, _ := page["entries"].([]any)
	for _, e := range entries {
		if uuidOf(e) == id {
			return true
		}
	}
	return false
}

// checkInt reports a drift when a field does not hold the value just sent.
func checkInt(ex *exchange, field string, want float64) {
	if got, ok := ex.body[field].(float64); !ok || got != want {
		ex.step.behaviour(SevDrift, field, "sent %v, got %v back", want, ex.body[field])
	}
}

// checkCustom warns when a custom value does not come back with the JSON
// type it was sent with.
func checkCustom(ex *exchange, marker string) {
	custom, _ := ex.body["custom"].(map[string]any)
	for key, want := range map[string]any{"verify_string": marker, "verify_integer": float64(42), "verify_decimal": 12.5, "verify_boolean": true} {
		if got, ok := custom[key]; !ok || got != want {
			ex.step.behaviour(SevWarning, "custom."+key, "sent %v (%T), got %v (%T) back", want, want, got, got)
		}
	}
}

// Finish deletes what the run created and did not delete and, when a
// create's answer was lost, finds it by its marker first; then it returns
// the report. It runs with a context of its own (at most a minute), so that
// it also cleans up after an interrupted Steps.
func (ch *Check) Finish() *Report {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch.rep.Cleanup.Marker = ch.Marker()
	if ch.lost {
		if err := ch.lookup(ctx); err != nil {
			ch.rep.Cleanup.OutcomeUnknown, ch.rep.Cleanup.LookupError = true, err.Error()
		}
	}
	ch.rep.Cleanup.Created = ch.rep.Cleanup.Deleted + len(ch.created) + len(ch.unreachable)
	for _, id := range append([]string(nil), ch.created...) {
		if _, err := ch.raw(ctx, http.MethodDelete, opportunityPath(id)); err == nil {
			ch.forget(id)
		}
	}
	ch.rep.Cleanup.LeftBehind = append(append([]string{}, ch.created...), ch.unreachable...)
	ch.rep.summarize()
	return ch.rep
}

// maxLookupPages bounds the pages read looking for the marker.
const maxLookupPages = 20

// lookup finds what this run created by its marker, among the opportunities
// of the customer with the run's close dates, and adds it to ch.created. It
// returns an error unless every page was read: only then is the outcome of a
// lost create known.
func (ch *Check) lookup(ctx context.Context) error {
	q := url.Values{"customer_uuid": {ch.cfg.CustomerUUID}, "estimated_close_date_on_or_after": {ch.closeDate[0]},
		"estimated_close_date_on_or_before": {ch.closeDate[1]}}
	for range maxLookupPages {
		page, err := ch.raw(ctx, http.MethodGet, "/opportunities?"+q.Encode())
		if err != nil {
			return err
		}
		entries, ok := page["entries"].([]any)
		if !ok {
			return errors.New("the list answer has no entries")
		}
		for _, e := range entries {
			ch.claim(e)
		}
		cursor, _ := page["cursor"].(string)
		if more, _ := page["has_more"].(bool); !more {
			return nil
		}
		if cursor == "" {
			return errors.New("has_more without a cursor")
		}
		q.Set("cursor", cursor)
	}
	return fmt.Errorf("more than %d pages", maxLookupPages)
}

// claim adds a listed entry that carries this run's marker to what is to be
// deleted (or, under a UUID the spec refuses, to what is left behind).
func (ch *Check) claim(e any) {
	m, _ := e.(map[string]any)
	custom, _ := m["custom"].(map[string]any)
	id := uuidOf(e)
	switch {
	case custom["verify_string"] != ch.Marker() || slices.Contains(ch.created, id) || slices.Contains(ch.unreachable, id):
	case len(generated.ValidateUUIDPathParameter(id)) > 0:
		ch.unreachable = append(ch.unreachable, id) // never followed: reported as left behind
	default:
		ch.created = append(ch.created, id)
		ch.tell(id, true)
	}
}

// raw sends a cleanup request and decodes its JSON answer; a status other
// than 2xx is an error (a 404 on delete counts as done).
func (ch *Check) raw(ctx context.Context, method, path string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, ch.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header = ch.header(false)
	resp, err := ch.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out)
	if resp.StatusCode/100 != 2 && !(method == http.MethodDelete && resp.StatusCode == http.StatusNotFound) {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return out, nil
}
