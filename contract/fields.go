package contract

import (
	"bytes"
	"encoding/json"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// UndocumentedFields returns the fields of resp's JSON body, the answer to
// req, that the schema of its status does not declare, such as
// "entries[].probability" (array indices are written "[]", each field once,
// in the order met). An object whose schema sets additionalProperties (true
// or a schema), like custom and the error bodies, takes any key.
//
// openapi.yaml does not say additionalProperties: false, so such fields are
// not violations: an API may add fields. They are worth a warning all the
// same, since a client built from the spec silently drops them. The result
// is nil when the request matches no operation, the status is not
// documented, or the body is not JSON.
func (c *Contract) UndocumentedFields(req Request, resp Response) []string {
	rt, err := c.match(req)
	if err != nil {
		return nil
	}
	ref := rt.route.Operation.Responses.Status(resp.Status)
	if ref == nil {
		ref = rt.route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	ct := "application/json"
	if resp.Header != nil && resp.Header.Get("Content-Type") != "" {
		ct = resp.Header.Get("Content-Type")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil
	}
	media := ref.Value.Content.Get(mt)
	if media == nil || media.Schema == nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out []string
	walkUndocumented(media.Schema, v, "", &out)
	return out
}

func walkUndocumented(ref *openapi3.SchemaRef, v any, path string, out *[]string) {
	if ref == nil || ref.Value == nil {
		return
	}
	switch val := v.(type) {
	case map[string]any:
		props, open := declared(ref.Value)
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			sub, ok := props[k]
			if !ok {
				if !open && !slices.Contains(*out, p) {
					*out = append(*out, p)
				}
				continue
			}
			walkUndocumented(sub, val[k], p, out)
		}
	case []any:
		items := arrayItems(ref.Value)
		for _, item := range val {
			walkUndocumented(items, item, path+"[]", out)
		}
	}
}

// declared returns the properties a schema declares, through allOf, oneOf and
// anyOf, and whether it takes other keys explicitly (additionalProperties).
func declared(s *openapi3.Schema) (map[string]*openapi3.SchemaRef, bool) {
	props := map[string]*openapi3.SchemaRef{}
	open := false
	var visit func(s *openapi3.Schema)
	visit = func(s *openapi3.Schema) {
		if s == nil {
			return
		}
		for k, v := range s.Properties {
			if _, dup := props[k]; !dup {
				props[k] = v
			}
		}
		if ap := s.AdditionalProperties; (ap.Has != nil && *ap.Has) || ap.Schema != nil {
			open = true
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, r := range group {
				if r != nil {
					visit(r.Value)
				}
			}
		}
	}
	visit(s)
	return props, open
}

func arrayItems(s *openapi3.Schema) *openapi3.SchemaRef {
	if s.Items != nil {
		return s.Items
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil && r.Value != nil && r.Value.Items != nil {
				return r.Value.Items
			}
		}
	}
	return nil
}
