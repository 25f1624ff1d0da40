package contract_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mogulkit/opportunities/contract"
)

func ExampleContract_ValidateRequest() {
	c, err := contract.Load()
	if err != nil {
		panic(err)
	}
	req := contract.Request{
		Method: http.MethodPost,
		URL:    "http://127.0.0.1:12111/v1/opportunities", // any base URL
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Basic a2V5Og=="}},
		Body:   []byte(`{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"sales@","win_likelihood":120}`),
	}
	err = c.ValidateRequest(context.Background(), req)
	var ce *contract.Error
	if errors.As(err, &ce) {
		for _, v := range ce.Violations {
			fmt.Println(v.Field, v.Rule)
		}
	}
	// Output:
	// owner format
	// win_likelihood maximum
	// pipeline required
	// pipeline_stage required
	// estimated_close_date required
	// currency required
	// amount_in_cents required
}

func ExampleContract_ValidateResponse() {
	c, err := contract.Load()
	if err != nil {
		panic(err)
	}
	req := contract.Request{Method: http.MethodDelete, URL: "https://api.chartmogul.com/v1/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"}
	ok := contract.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}
	fmt.Println(c.ValidateResponse(context.Background(), req, ok))
	accepted := contract.Response{Status: 202}
	fmt.Println(c.ValidateResponse(context.Background(), req, accepted))
	// Output:
	// <nil>
	// contract: DELETE https://api.chartmogul.com/v1/opportunities/bb544336-e74e-11ee-800c-effc264f19ed (deleteOpportunity) -> 202: 1 violation of openapi.yaml: status: status 202 is not documented for deleteOpportunity
}

func ExampleContract_UndocumentedFields() {
	c, err := contract.Load()
	if err != nil {
		panic(err)
	}
	req := contract.Request{Method: http.MethodGet, URL: "/v1/opportunities"}
	resp := contract.Response{Status: 200, Body: []byte(`{"entries":[],"has_more":false,"total_count":0}`)}
	fmt.Println(c.UndocumentedFields(req, resp))
	// Output: [total_count]
}

func ExampleTransport() {
	// A stand-in for the API whose list answers has_more as a string.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"entries":[],"has_more":"no"}`)
	}))
	defer api.Close()

	c, err := contract.Load()
	if err != nil {
		panic(err)
	}
	var found contract.Collector // report mode: calls go through, violations are collected
	client := &http.Client{Transport: &contract.Transport{Contract: c, Report: found.Add}}

	req, _ := http.NewRequest(http.MethodGet, api.URL+"/v1/opportunities", nil)
	req.SetBasicAuth("KEY", "")
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	for _, e := range found.Errors() {
		fmt.Println(e.Operation, e.Status, e.Violations[0])
	}

	// Strict mode (no Report): the same call fails.
	strict := &http.Client{Transport: &contract.Transport{Contract: c}}
	_, err = strict.Do(req)
	var ce *contract.Error
	fmt.Println(errors.As(err, &ce))
	// Output:
	// listOpportunities 200 response body has_more: type: value must be a boolean
	// true
}

func ExampleMiddleware() {
	c, err := contract.Load()
	if err != nil {
		panic(err)
	}
	yourAPI := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"entries":[],"has_more":false}`)
	})
	// Strict mode: bad requests are answered 400 before yourAPI sees them.
	srv := httptest.NewServer(&contract.Middleware{Contract: c, Next: yourAPI})
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/opportunities?per_page=0", nil)
	req.SetBasicAuth("KEY", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"param":"per_page"`))
	// Output: 400 true
}
