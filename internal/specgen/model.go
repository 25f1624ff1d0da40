package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	yaml "go.yaml.in/yaml/v3"
)

// goField is one field of a struct oapi-codegen wrote: its Go name and type
// expression (as written in package generated).
type goField struct {
	Name string
	Type string
}

// goCode is what oapi-codegen wrote, read back with go/parser: struct fields
// by JSON name, and type aliases.
type goCode struct {
	structs    map[string]map[string]goField // struct name → JSON name → field
	ordered    map[string][]taggedField      // struct name → its JSON fields in declaration order
	aliases    map[string]string             // alias name → aliased type expression
	named      map[string]string             // named non-struct type → underlying type expression
	marshalers map[string]bool               // types with a MarshalJSON method
}

// taggedField is a struct field as encoding/json sees it: its JSON name and
// the omitempty or omitzero option, if any.
type taggedField struct {
	goField
	JSON string
	Omit string // "", "omitempty" or "omitzero"
}

func readGoCode(path string) (*goCode, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return nil, err
	}
	gc := &goCode{structs: map[string]map[string]goField{}, ordered: map[string][]taggedField{},
		aliases: map[string]string{}, named: map[string]string{}, marshalers: map[string]bool{}}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Name.Name == "MarshalJSON" {
			gc.marshalers[strings.TrimPrefix(expr(fd.Recv.List[0].Type), "*")] = true
		}
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			name := ts.Name.Name
			if ts.Assign.IsValid() {
				gc.aliases[name] = expr(ts.Type)
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				gc.named[name] = expr(ts.Type)
				continue
			}
			fields := map[string]goField{}
			for _, fl := range st.Fields.List {
				if fl.Tag == nil || len(fl.Names) != 1 {
					continue
				}
				tag, _ := strconv.Unquote(fl.Tag.Value)
				jsonName, opts, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				if jsonName == "" || jsonName == "-" {
					continue
				}
				f := goField{Name: fl.Names[0].Name, Type: expr(fl.Type)}
				fields[jsonName] = f
				gc.ordered[name] = append(gc.ordered[name], taggedField{goField: f, JSON: jsonName, Omit: opts})
			}
			gc.structs[name] = fields
		}
	}
	return gc, nil
}

func expr(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + expr(x.X)
	case *ast.SelectorExpr:
		return expr(x.X) + "." + x.Sel.Name
	case *ast.ArrayType:
		return "[]" + expr(x.Elt)
	case *ast.MapType:
		return "map[" + expr(x.Key) + "]" + expr(x.Value)
	case *ast.InterfaceType:
		return "interface{}"
	}
	return fmt.Sprintf("%T", e)
}

// resolve follows aliases to the type a name finally stands for.
func (gc *goCode) resolve(t string) string {
	if strings.HasPrefix(t, "*") {
		return "*" + gc.resolve(t[1:])
	}
	if strings.HasPrefix(t, "[]") {
		return "[]" + gc.resolve(t[2:])
	}
	for i := 0; i < 10; i++ {
		a, ok := gc.aliases[t]
		if !ok {
			break
		}
		t = a
	}
	return t
}

// field returns the Go field of a struct for a JSON name, or an error that
// names both.
func (gc *goCode) field(structName, jsonName string) (goField, error) {
	fs, ok := gc.structs[structName]
	if !ok {
		return goField{}, fmt.Errorf("oapi-codegen wrote no struct %s", structName)
	}
	f, ok := fs[jsonName]
	if !ok {
		return goField{}, fmt.Errorf("struct %s has no field for %q", structName, jsonName)
	}
	return f, nil
}

// propertyOrder reads the order in which each component schema lists its
// properties (kin-openapi keeps them in a map). Generated code follows the
// document's order.
func propertyOrder(data []byte) (map[string][]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	get := func(n *yaml.Node, key string) *yaml.Node {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	out := map[string][]string{}
	if len(root.Content) == 0 {
		return out, nil
	}
	schemas := get(get(root.Content[0], "components"), "schemas")
	if schemas == nil {
		return out, nil
	}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		props := get(schemas.Content[i+1], "properties")
		if props == nil {
			continue
		}
		var names []string
		for j := 0; j+1 < len(props.Content); j += 2 {
			names = append(names, props.Content[j].Value)
		}
		out[schemas.Content[i].Value] = names
	}
	return out, nil
}

// property is one property of an object schema, in document order.
type property struct {
	Name     string
	Schema   *openapi3.Schema
	Ref      string // the component schema it refers to, if any ("OpportunityType")
	Required bool
}

// properties lists the properties of component schema name in document order.
func properties(doc *openapi3.T, order map[string][]string, name string) ([]property, error) {
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("openapi.yaml has no schema %s", name)
	}
	s := ref.Value
	names := order[name]
	if len(names) != len(s.Properties) {
		return nil, fmt.Errorf("schema %s: could not read the order of its properties", name)
	}
	var out []property
	for _, n := range names {
		p := s.Properties[n]
		out = append(out, property{Name: n, Schema: p.Value, Ref: refName(p.Ref), Required: contains(s.Required, n)})
	}
	return out, nil
}

func refName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jsonType is the schema's single JSON type ("string", "integer", ...), or ""
// for a union (oneOf) or an untyped schema.
func jsonType(s *openapi3.Schema) string {
	if s.Type == nil || len(*s.Type) != 1 {
		return ""
	}
	return (*s.Type)[0]
}
