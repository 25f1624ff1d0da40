// Package contract checks HTTP traffic against openapi.yaml, the contract of
// ChartMogul's Opportunities API, and returns errors instead of failing a
// test: use it in a proxy, a provider-side middleware, a contract test in any
// framework, or over sampled production traffic.
//
//	c, err := contract.Load() // the spec this module was generated from
//	err = c.ValidateExchange(ctx, contract.Request{...}, contract.Response{...})
//	var ce *contract.Error
//	if errors.As(err, &ce) {
//		for _, v := range ce.Violations { // every violation, not the first
//			fmt.Println(v.Part, v.Field, v.Rule, v.Message)
//		}
//	}
//
// # What is checked
//
// A request must match an operation by method and path, satisfy the
// schemas of its path and query parameters and body, and carry HTTP basic
// auth with a non-empty user name (WithoutAuth skips that). A response must
// have a status the operation documents (a 1xx or 2xx status that only a
// default error response would cover counts as undocumented; a 3xx redirect
// is not checked), a
// Content-Type that status documents, and headers and a body that satisfy
// its schemas. The string formats email, date, date-time and uuid are checked
// for the Contract's own document: no process-wide kin-openapi state is
// changed, so contracts with different settings can live side by side.
//
// Any base URL is accepted (https://api.chartmogul.com/v1, a fake on
// 127.0.0.1, a proxy's prefix): a request is matched from the first
// "/opportunities" segment of its path that names an operation. WithBasePath
// requires an exact prefix instead.
//
// UndocumentedFields lists response fields the schema does not declare. The
// spec does not forbid them (no additionalProperties: false), so they are not
// violations; tools such as "opportunities verify" report them as warnings.
//
// # On the wire
//
// Transport is an http.RoundTripper for the client side and Middleware an
// http.Handler for the provider side. Both are strict by default (a
// violation fails the call, or is answered 400 or replaced by a 500) and
// report violations instead when given a Report function; Collector gathers
// them.
//
// Messages name the field and the rule, never the value, a password in a URL
// or a header's content, so the API key cannot leak through them.
package contract
