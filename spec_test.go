package opportunities_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	opportunities "github.com/mogulkit/opportunities"
)

func init() {
	// kin-openapi knows date and date-time; e-mail must be switched on.
	openapi3.DefineStringFormat("email", openapi3.FormatOfStringForEmail)
}

func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(opportunities.OpenAPISpec)
	require.NoError(t, err)
	return doc
}

func TestSpecIsValidOpenAPI(t *testing.T) {
	doc := loadSpec(t)
	require.Equal(t, "3.0.3", doc.OpenAPI)
	require.NoError(t, doc.Validate(context.Background(),
		openapi3.EnableExamplesValidation(), openapi3.EnableSchemaFormatValidation()))
}

// exampleCase is one example in the document and the schema it must satisfy.
type exampleCase struct {
	where  string
	schema *openapi3.Schema
	value  any
}

func collectExamples(doc *openapi3.T) []exampleCase {
	var out []exampleCase
	addMedia := func(where string, content openapi3.Content) {
		for mt, m := range content {
			if m.Schema == nil {
				continue
			}
			if m.Example != nil {
				out = append(out, exampleCase{where + " " + mt, m.Schema.Value, m.Example})
			}
			for name, ex := range m.Examples {
				out = append(out, exampleCase{where + " " + mt + " example " + name, m.Schema.Value, ex.Value.Value})
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				addMedia(where+" request", op.RequestBody.Value.Content)
			}
			for status, resp := range op.Responses.Map() {
				addMedia(where+" "+status, resp.Value.Content)
			}
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for _, p := range params {
				if p.Value.Example != nil {
					out = append(out, exampleCase{where + " parameter " + p.Value.Name, p.Value.Schema.Value, p.Value.Example})
				}
			}
		}
	}
	var walk func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool)
	walk = func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Example != nil {
			out = append(out, exampleCase{where, s, s.Example})
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p.Value, seen)
		}
		if s.Items != nil {
			walk(where+"[]", s.Items.Value, seen)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk("schema "+name, s.Value, map[*openapi3.Schema]bool{})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// TestEveryExampleValidatesAgainstItsSchema checks each example (request and
// response bodies, parameters, schemas and their properties) against the
// schema it illustrates, with formats (date, date-time, email) enforced.
func TestEveryExampleValidatesAgainstItsSchema(t *testing.T) {
	doc := loadSpec(t)
	cases := collectExamples(doc)
	// Five operations, each with a request or response example at least.
	require.GreaterOrEqual(t, len(cases), 40)
	for _, c := range cases {
		t.Run(c.where, func(t *testing.T) {
			// Round-trip through JSON so the value has the shapes a decoder gives.
			raw, err := json.Marshal(c.value)
			require.NoError(t, err)
			var v any
			require.NoError(t, json.Unmarshal(raw, &v))
			require.NoError(t, c.schema.VisitJSON(v, openapi3.EnableFormatValidation()))
		})
	}
}

// TestEveryOperationHasExamplesAndErrors checks that every operation shows its
// request and success bodies by example and declares its error responses.
func TestEveryOperationHasExamplesAndErrors(t *testing.T) {
	doc := loadSpec(t)
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			where := method + " " + path
			if op.RequestBody != nil {
				for mt, m := range op.RequestBody.Value.Content {
					require.NotEmpty(t, m.Examples, "%s request %s has no example", where, mt)
				}
			}
			for _, status := range []string{"400", "401", "402", "403", "404", "422", "429", "5XX"} {
				require.NotNil(t, op.Responses.Value(status), "%s does not declare %s", where, status)
			}
			require.Nil(t, op.Responses.Default(), "%s declares a catch-all default response", where)
			for status, resp := range op.Responses.Map() {
				for mt, m := range resp.Value.Content {
					require.NotEmpty(t, m.Examples, "%s %s %s has no example", where, status, mt)
				}
			}
		}
	}
	require.Equal(t, 5, ops)
}

func schemaOf(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref, ok := doc.Components.Schemas[name]
	require.True(t, ok, "no schema %s", name)
	return ref.Value
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

// TestSchemasEnforceTheWireConstraints proves the schemas are not merely
// permissive: each body breaks one rule and must be rejected.
func TestSchemasEnforceTheWireConstraints(t *testing.T) {
	doc := loadSpec(t)
	const valid = `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"test1@example.org",
	"pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2024-04-21",
	"currency":"USD","amount_in_cents":100000`
	create := schemaOf(t, doc, "CreateOpportunity")
	update := schemaOf(t, doc, "UpdateOpportunity")
	opp := schemaOf(t, doc, "Opportunity")
	errSchema := schemaOf(t, doc, "Error")

	ok := func(s *openapi3.Schema, body string) {
		t.Helper()
		require.NoError(t, s.VisitJSON(decode(t, body), openapi3.EnableFormatValidation()), body)
	}
	bad := func(s *openapi3.Schema, body string) {
		t.Helper()
		require.Error(t, s.VisitJSON(decode(t, body), openapi3.EnableFormatValidation()), body)
	}

	ok(create, valid+`}`)
	ok(create, valid+`,"amount_in_cents":4294967296000}`)
	ok(create, valid+`,"win_likelihood":0,"custom":[{"key":"a","value":"x"},{"key":"b","value":1.5},{"key":"c","value":false}]}`)
	bad(create, `{"owner":"test1@example.org"}`)
	bad(create, valid+`,"win_likelihood":101}`)
	bad(create, valid+`,"win_likelihood":-1}`)
	bad(create, valid+`,"currency":"usd"}`)
	bad(create, valid+`,"currency":"US"}`)
	bad(create, valid+`,"customer_uuid":"f466e33d-ff2b-4a11-8f85-417eb02157a7"}`)
	bad(create, valid+`,"estimated_close_date":"2024-04-21T00:00:00Z"}`)
	bad(create, valid+`,"owner":"not an address"}`)
	bad(create, valid+`,"type":"yearly"}`)
	bad(create, valid+`,"forecast_category":"maybe"}`)
	bad(create, valid+`,"custom":[{"key":"a","value":{"nested":1}}]}`)
	bad(create, valid+`,"custom":[{"key":"a","value":[1,2]}]}`)
	bad(create, valid+`,"custom":[{"key":"a","value":null}]}`)
	bad(create, valid+`,"custom":[{"key":"a"}]}`)
	ok(create, valid+`,"custom":[{"key":"seats","value":3,"type":"Integer"}]}`)
	bad(create, valid+`,"custom":{"a":1}}`)

	ok(update, `{"win_likelihood":0}`)
	ok(update, `{"custom":[]}`)
	ok(update, `{}`) // the API's answer to an empty update is unknown: the wrapper refuses it, the spec does not
	bad(update, `{"win_likelihood":101}`)
	bad(update, `{"custom":[{"key":"a","value":{"x":1}}]}`)

	const entry = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
	"owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business","pipeline_stage":"Discovery",
	"estimated_close_date":"2023-12-22","currency":"USD","amount_in_cents":100,"custom":{},
	"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"`
	ok(opp, entry+`}`)
	ok(opp, entry+`,"type":"arr","forecast_category":"a_new_one"}`) // enums may grow
	ok(opp, entry+`,"type":null,"forecast_category":null,"win_likelihood":null}`)
	bad(opp, entry+`,"estimated_close_date":"2023-12-22T00:00:00Z"}`)
	bad(opp, `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed"}`)

	for _, body := range []string{
		`{"error":"Opportunity not found"}`,
		`{"errors":{"win_likelihood":"must be between 0 and 100"}}`,
		`{"errors":{"name":["can't be blank"]}}`,
		`{"code":400,"message":"Parameter \"custom[0][type]\" does not have a valid value","param":"custom[0][type]"}`,
		`{"name":["Name can't be blank"],"error_details":[{"param":"name","code":"blank","message":"Name can't be blank"}]}`,
	} {
		ok(errSchema, body)
	}
}
