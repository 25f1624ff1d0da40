package wrapper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"net/http"
	"strconv"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/safetext"
)

const jsonContentType = "application/json"

// createBuffer and updateBuffer are the room a request body is encoded into:
// a create with a few custom attributes, an update of a few fields, so that
// most are written with one allocation and none is much larger than needed.
// The bodies' AppendJSON (generated) writes what json.Marshal would, without
// reflection.
const (
	createBuffer = 512
	updateBuffer = 128
)

// Create creates an opportunity and returns it as stored. The input is
// validated first; on a problem nothing is sent and the error is a
// *ValidationError listing every problem.
//
// ChartMogul has no idempotency key: if the response is lost, the opportunity
// may still have been created.
func (c *Client) Create(ctx context.Context, in OpportunityInput) (Opportunity, error) {
	body, err := createBody(in)
	if err != nil {
		return Opportunity{}, err
	}
	// Encoded once, so that every attempt sends the identical bytes.
	raw, err := body.AppendJSON(make([]byte, 0, createBuffer))
	if err != nil {
		return Opportunity{}, fmt.Errorf("chartmogul: encoding the create body: %w", err)
	}
	res, err := c.do(ctx, http.MethodPost, "", func(ctx context.Context) (*http.Response, error) {
		return c.gen.CreateOpportunityWithBody(ctx, jsonContentType, bytes.NewReader(raw))
	})
	if err != nil {
		return Opportunity{}, err
	}
	return decodeOpportunity(http.MethodPost, res)
}

// Get retrieves one opportunity by UUID. A missing one gives an error for
// which [IsNotFound] is true.
func (c *Client) Get(ctx context.Context, uuid string) (Opportunity, error) {
	if err := checkUUID(uuid); err != nil {
		return Opportunity{}, err
	}
	res, err := c.do(ctx, http.MethodGet, uuid, func(ctx context.Context) (*http.Response, error) {
		return c.gen.RetrieveOpportunity(ctx, uuid)
	})
	if err != nil {
		return Opportunity{}, err
	}
	return decodeOpportunity(http.MethodGet, res)
}

// Update changes the fields set in u and returns the whole opportunity after
// the change. An update that sets nothing is refused before sending.
func (c *Client) Update(ctx context.Context, uuid string, u OpportunityUpdate) (Opportunity, error) {
	var p problems
	if err := checkUUID(uuid); err != nil {
		p = append(p, err.(*ValidationError).Problems...)
	}
	body, err := updateBody(u)
	if err != nil {
		p = append(p, err.(*ValidationError).Problems...)
	}
	if err := p.err(); err != nil {
		return Opportunity{}, err
	}
	raw, err := body.AppendJSON(make([]byte, 0, updateBuffer))
	if err != nil {
		return Opportunity{}, fmt.Errorf("chartmogul: encoding the update body: %w", err)
	}
	res, err := c.do(ctx, http.MethodPatch, uuid, func(ctx context.Context) (*http.Response, error) {
		return c.gen.UpdateOpportunityWithBody(ctx, uuid, jsonContentType, bytes.NewReader(raw))
	})
	if err != nil {
		return Opportunity{}, err
	}
	return decodeOpportunity(http.MethodPatch, res)
}

// Delete deletes an opportunity. A 404 on a retry after an attempt that may
// have been applied (a 5xx other than 503, or a connection lost mid-way)
// counts as success: that attempt deleted it. Any other 404 is an error.
func (c *Client) Delete(ctx context.Context, uuid string) error {
	if err := checkUUID(uuid); err != nil {
		return err
	}
	res, err := c.do(ctx, http.MethodDelete, uuid, func(ctx context.Context) (*http.Response, error) {
		return c.gen.DeleteOpportunity(ctx, uuid)
	})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && apiErr.earlierMayHaveApplied {
		return nil
	}
	if err != nil {
		return err
	}
	// 204, or 200 with {}: any JSON body is accepted, anything else is not.
	if b := bytes.TrimSpace(res.body); len(b) > 0 && !json.Valid(b) {
		return buildAPIError(res.red, http.MethodDelete, res.path, res.status, res.header, res.body, errors.New("response body is not JSON"))
	}
	return nil
}

// List returns one page of opportunities, newest first. To read the next page,
// call it again with the same params and Cursor set to the page's Cursor while
// HasMore is true — or use [Client.All].
func (c *Client) List(ctx context.Context, params ListParams) (Page, error) {
	wp, err := listParamsToWire(params)
	if err != nil {
		return Page{}, err
	}
	res, err := c.do(ctx, http.MethodGet, "", func(ctx context.Context) (*http.Response, error) {
		return c.gen.ListOpportunities(ctx, wp)
	})
	if err != nil {
		return Page{}, err
	}
	var w generated.OpportunityList
	if err := json.Unmarshal(res.body, &w); err != nil {
		return Page{}, decodeError(http.MethodGet, res, err)
	}
	if err := checkRequiredPage(res.body, &w); err != nil {
		return Page{}, decodeError(http.MethodGet, res, err)
	}
	page := Page{Entries: make([]Opportunity, len(w.Entries)), HasMore: w.HasMore}
	for i := range w.Entries {
		if err := checkReturnedUUID(w.Entries[i].UUID); err != nil {
			return Page{}, decodeError(http.MethodGet, res, fmt.Errorf("entries[%d].%w", i, err))
		}
	}
	if w.Cursor != nil {
		page.Cursor = *w.Cursor
	}
	for i := range w.Entries {
		if page.Entries[i], err = fromWire(&w.Entries[i]); err != nil {
			return Page{}, decodeError(http.MethodGet, res, fmt.Errorf("entries[%d]: %w", i, err))
		}
	}
	return page, nil
}

// All walks every opportunity that matches params, page by page, resending the
// filters with each cursor and stopping when the API says there is no more.
// Only one page is held at a time. On an error it yields the error once and
// stops; breaking out of the loop stops it too.
//
//	for o, err := range client.All(ctx, wrapper.ListParams{Pipeline: "New Business"}) {
//		if err != nil { return err }
//		fmt.Println(o.UUID)
//	}
func (c *Client) All(ctx context.Context, params ListParams) iter.Seq2[Opportunity, error] {
	return func(yield func(Opportunity, error) bool) {
		seen := map[uint64]bool{} // the cursors' hashes: 8 bytes a page
		seed := maphash.MakeSeed()
		for {
			page, err := c.List(ctx, params)
			if err != nil {
				yield(Opportunity{}, err)
				return
			}
			for _, o := range page.Entries {
				if !yield(o, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			// A server that keeps saying has_more with a cursor it gave
			// before (the same one, or a cycle) would loop forever.
			h := maphash.String(seed, page.Cursor)
			if page.Cursor == "" || seen[h] {
				// The cursor is the server's: redacted, escaped and cut short
				// like any text from it.
				cursor := safetext.Escape(c.red.String(strconv.Quote(page.Cursor)), maxErrorMessage)
				yield(Opportunity{}, fmt.Errorf("chartmogul: GET %s: has_more is true but the cursor %s does not advance", c.red.String(c.path("")), cursor))
				return
			}
			seen[h] = true
			params.Cursor = page.Cursor
		}
	}
}

func decodeOpportunity(method string, res result) (Opportunity, error) {
	var w generated.Opportunity
	if err := json.Unmarshal(res.body, &w); err != nil {
		return Opportunity{}, decodeError(method, res, err)
	}
	if err := checkRequiredOpportunity(res.body, &w); err != nil {
		return Opportunity{}, decodeError(method, res, err)
	}
	if err := checkReturnedUUID(w.UUID); err != nil {
		return Opportunity{}, decodeError(method, res, err)
	}
	o, err := fromWire(&w)
	if err != nil {
		return Opportunity{}, decodeError(method, res, err)
	}
	return o, nil
}

func decodeError(method string, res result, err error) error {
	return buildAPIError(res.red, method, res.path, res.status, res.header, res.body, fmt.Errorf("response body does not decode: %w", err))
}
