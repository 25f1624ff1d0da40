package chartmogultest

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// handler implements the generated StrictServerInterface over the Server's
// store. Requests reach it already validated against openapi.yaml.
type handler struct{ s *Server }

var _ generated.StrictServerInterface = (*handler)(nil)

const maxPerPage = 200

func notFound() generated.NotFoundJSONResponse {
	msg := "Opportunity not found"
	return generated.NotFoundJSONResponse{Error: &msg}
}

// CreateOpportunity stores a new opportunity. Omitted type, forecast_category
// and win_likelihood stay absent and are returned as null (the real API may
// fill in the stage's default win likelihood; the fake does not).
func (h *handler) CreateOpportunity(_ context.Context, req generated.CreateOpportunityRequestObject) (generated.CreateOpportunityResponseObject, error) {
	b := req.Body
	var o generated.Opportunity
	if err := copyFields(&o, b); err != nil {
		return nil, err
	}
	o.UUID = newUUID()
	o.Custom = map[string]json.RawMessage{}
	mergeCustom(o.Custom, b.Custom)
	h.s.mu.Lock()
	o.CreatedAt = h.s.now()
	o.UpdatedAt = o.CreatedAt
	h.s.store.insert(o)
	h.s.applied[OpCreate]++
	h.s.mu.Unlock()
	return opportunityResponse{status: http.StatusCreated, o: cloneOpportunity(o)}, nil
}

// copyFields sets on dst every property that src (a create or update body)
// carries, by JSON name, custom aside. It follows the spec's schemas rather
// than a field list, so a property added to openapi.yaml is stored and
// returned after `make generate` with no edit here. (The fake shares no
// conversion code with the wrapper: a bug in one would pass the other's
// contract tests.)
func copyFields(dst *generated.Opportunity, src any) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	delete(obj, "custom")
	if b, err = json.Marshal(obj); err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// RetrieveOpportunity returns one opportunity or 404.
func (h *handler) RetrieveOpportunity(_ context.Context, req generated.RetrieveOpportunityRequestObject) (generated.RetrieveOpportunityResponseObject, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	r := h.s.store.get(req.UUID)
	if r == nil {
		return generated.RetrieveOpportunity404JSONResponse{NotFoundJSONResponse: notFound()}, nil
	}
	h.s.applied[OpRetrieve]++
	return opportunityResponse{status: http.StatusOK, o: cloneOpportunity(r.opp)}, nil
}

// UpdateOpportunity changes the fields present in the body. Custom attributes
// are merged into the stored ones: a key sent is set, a key not sent is kept,
// and [] changes nothing. Whether the real API merges or replaces is
// unconfirmed. customer_uuid is not part of the update schema and is ignored.
// updated_at becomes the clock's time, or 1ms after its previous value if the
// clock has not moved on, so that every update changes it.
func (h *handler) UpdateOpportunity(_ context.Context, req generated.UpdateOpportunityRequestObject) (generated.UpdateOpportunityResponseObject, error) {
	b := req.Body
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	r := h.s.store.get(req.UUID)
	if r == nil {
		return generated.UpdateOpportunity404JSONResponse{NotFoundJSONResponse: notFound()}, nil
	}
	o := &r.opp
	if err := copyFields(o, b); err != nil {
		return nil, err
	}
	if o.Custom == nil {
		o.Custom = map[string]json.RawMessage{}
	}
	mergeCustom(o.Custom, b.Custom)
	now := h.s.now()
	if !now.After(o.UpdatedAt) {
		now = o.UpdatedAt.Add(time.Millisecond)
	}
	o.UpdatedAt = now
	h.s.applied[OpUpdate]++
	return opportunityResponse{status: http.StatusOK, o: cloneOpportunity(*o)}, nil
}

// DeleteOpportunity removes an opportunity and answers 200 {} (as recorded),
// or 404.
func (h *handler) DeleteOpportunity(_ context.Context, req generated.DeleteOpportunityRequestObject) (generated.DeleteOpportunityResponseObject, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if !h.s.store.remove(req.UUID) {
		return generated.DeleteOpportunity404JSONResponse{NotFoundJSONResponse: notFound()}, nil
	}
	h.s.applied[OpDelete]++
	return generated.DeleteOpportunity200JSONResponse{}, nil
}

// ListOpportunities returns one page, newest first, of the opportunities that
// pass every filter (close dates compare inclusively).
func (h *handler) ListOpportunities(_ context.Context, req generated.ListOpportunitiesRequestObject) (generated.ListOpportunitiesResponseObject, error) {
	p := req.Params
	perPage := maxPerPage
	if p.PerPage != nil && *p.PerPage >= 1 && *p.PerPage <= maxPerPage {
		perPage = int(*p.PerPage)
	}
	var after *cursor
	if p.Cursor != nil && *p.Cursor != "" {
		c, err := parseCursor(*p.Cursor)
		if err != nil {
			code, msg, param := http.StatusBadRequest, `Parameter "cursor" does not have a valid value`, "cursor"
			return generated.ListOpportunities400JSONResponse{BadRequestJSONResponse: generated.BadRequestJSONResponse{
				Code: &code, Message: &msg, Param: &param,
			}}, nil
		}
		after = &c
	}
	match := func(o *generated.Opportunity) bool {
		return (p.CustomerUUID == nil || o.CustomerUUID == *p.CustomerUUID) &&
			(p.Owner == nil || o.Owner == *p.Owner) &&
			(p.Pipeline == nil || o.Pipeline == *p.Pipeline) &&
			(p.PipelineStage == nil || o.PipelineStage == *p.PipelineStage) &&
			// Dates are YYYY-MM-DD (the request was validated against the
			// spec), so comparing the strings compares the dates.
			(p.EstimatedCloseDateOnOrAfter == nil || o.EstimatedCloseDate >= *p.EstimatedCloseDateOnOrAfter) &&
			(p.EstimatedCloseDateOnOrBefore == nil || o.EstimatedCloseDate <= *p.EstimatedCloseDateOnOrBefore)
	}

	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	page := listResponse{Entries: []wireOpportunity{}}
	if after != nil {
		page.Cursor = after.String()
	}
	for _, r := range h.s.store.newestFirst() {
		if (after != nil && !after.before(r)) || !match(&r.opp) {
			continue
		}
		if len(page.Entries) == perPage {
			page.HasMore = true
			break
		}
		page.Entries = append(page.Entries, toWire(r.opp))
		page.Cursor = cursor{createdAt: r.opp.CreatedAt, seq: r.seq}.String()
	}
	h.s.applied[OpList]++
	return page, nil
}

// nullIfEmpty sends an absent string as null.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// wireOpportunity is an opportunity as the fake sends it: timestamps always
// with milliseconds (time.Time's own encoding drops ".000"), and type,
// forecast_category and win_likelihood as null when absent.
type wireOpportunity struct {
	generated.Opportunity
	Type             *string `json:"type"`
	ForecastCategory *string `json:"forecast_category"`
	WinLikelihood    *int    `json:"win_likelihood"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

const wireTime = "2006-01-02T15:04:05.000Z07:00"

func toWire(o generated.Opportunity) wireOpportunity {
	if o.Custom == nil {
		o.Custom = map[string]json.RawMessage{}
	}
	return wireOpportunity{
		Opportunity: o, Type: nullIfEmpty(o.Type), ForecastCategory: nullIfEmpty(o.ForecastCategory), WinLikelihood: o.WinLikelihood,
		CreatedAt: o.CreatedAt.UTC().Format(wireTime), UpdatedAt: o.UpdatedAt.UTC().Format(wireTime),
	}
}

// opportunityResponse answers create, retrieve and update.
type opportunityResponse struct {
	status int
	o      generated.Opportunity
}

func (r opportunityResponse) visit(w http.ResponseWriter) error {
	writeJSON(w, r.status, toWire(r.o))
	return nil
}

func (r opportunityResponse) VisitCreateOpportunityResponse(w http.ResponseWriter) error {
	return r.visit(w)
}

func (r opportunityResponse) VisitRetrieveOpportunityResponse(w http.ResponseWriter) error {
	return r.visit(w)
}

func (r opportunityResponse) VisitUpdateOpportunityResponse(w http.ResponseWriter) error {
	return r.visit(w)
}

// listResponse is one page of the list.
type listResponse struct {
	Entries []wireOpportunity `json:"entries"`
	Cursor  string            `json:"cursor"`
	HasMore bool              `json:"has_more"`
}

func (r listResponse) VisitListOpportunitiesResponse(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, r)
	return nil
}
