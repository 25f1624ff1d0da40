package opportunities_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// declared is one exported type of a Go file: its doc comment and, for a
// struct, its exported fields' doc comments.
type declared struct {
	doc    *ast.CommentGroup
	fields map[string]*ast.CommentGroup // nil unless a struct
}

// exportedTypes parses Go source and returns its exported types.
func exportedTypes(t *testing.T, name string, src any) map[string]declared {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments)
	require.NoError(t, err)
	out := map[string]declared{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			if !ts.Name.IsExported() {
				continue
			}
			doc := ts.Doc
			if doc == nil && len(g.Specs) == 1 {
				doc = g.Doc
			}
			dt := declared{doc: doc}
			if st, ok := ts.Type.(*ast.StructType); ok {
				dt.fields = map[string]*ast.CommentGroup{}
				for _, field := range st.Fields.List {
					names := field.Names
					if len(names) == 0 { // embedded: the field is named after its type
						if id, ok := ast.Unparen(field.Type).(*ast.Ident); ok {
							names = []*ast.Ident{id}
						}
					}
					for _, n := range names {
						if n.IsExported() {
							dt.fields[n.Name] = field.Doc
						}
					}
				}
			}
			out[ts.Name.Name] = dt
		}
	}
	return out
}

// describes reports whether doc says something about name that came from
// the spec: a comment that is missing, holds only the spec's example
// ("Pipeline Example: New Business"), or is oapi-codegen's stand-in for a
// schema without a description ("X defines model for X.") does not.
func describes(name string, doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(doc.Text()), name))
	return text != "" && !strings.HasPrefix(text, "Example:") && !strings.HasPrefix(text, "defines model for ")
}

// modelsOnly generates what oapi-codegen makes of openapi.yaml with
// oapi-codegen.yaml's options but only `generate: models`.
func modelsOnly(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("oapi-codegen.yaml")
	require.NoError(t, err)
	var cfg struct {
		codegen.Configuration `yaml:",inline"`
		Output                string `yaml:"output"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	opts := cfg.UpdateDefaults()
	opts.Generate = codegen.GenerateOptions{Models: true}
	opts.OutputOptions.UserTemplates = nil // client.tmpl only; no model comes from it
	require.NoError(t, opts.Validate())
	spec, err := util.LoadSwagger("openapi.yaml")
	require.NoError(t, err)
	code, err := codegen.Generate(spec, opts)
	require.NoError(t, err)
	return code
}

// TestGeneratedTypesAreDocumentedFromTheSpec fails naming each exported type,
// and each exported field of an exported struct type, in generated/*.gen.go
// that has no doc comment taken from openapi.yaml.
//
// It checks what the spec can document:
//
//   - Of oapi-codegen's output, the models (`generate: models`: the types of
//     components/schemas, components/parameters, components/responses and
//     request bodies, operation parameter structs, oneOf variants). Their doc
//     comments are the spec's descriptions (typedef.tmpl's DocComment and
//     GenFieldsFromProperties in schema.go). Two model comments are fixed
//     template text the spec cannot change, and pass: "XParams defines
//     parameters for X." (param-types.tmpl) and "XJSONRequestBody defines
//     body for X ..." (request-bodies.tmpl). The field AdditionalProperties is
//     exempt: GenStructFromSchema (schema.go) writes it with no comment.
//   - The client, client-with-responses, std-http server and strict server
//     code is not checked: its templates (client-with-responses.tmpl,
//     stdhttp/*.tmpl, strict/*.tmpl, and the shared param error types) write
//     these types and fields with fixed or no comments and read no
//     description from the spec (ListOpportunitiesResponse, its Body and
//     HTTPResponse, ServerInterfaceWrapper, MiddlewareFunc, the *ParamError
//     types, StdHTTPServerOptions, every *RequestObject, *ResponseObject and
//     *Response of the strict server, StrictHTTPServerOptions...).
//   - Every other *.gen.go file is written by internal/specgen, which can
//     always write a comment: all its exported types and fields are checked.
func TestGeneratedTypesAreDocumentedFromTheSpec(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("generated", "*.gen.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)

	models := exportedTypes(t, "models.go", modelsOnly(t))
	require.Contains(t, models, "Opportunity", "the models-only generation is empty")

	var problems []string
	check := func(file string, types map[string]declared, only map[string]declared) {
		for name, dt := range types {
			if only != nil {
				if _, ok := only[name]; !ok {
					continue
				}
			}
			if !describes(name, dt.doc) {
				problems = append(problems, file+": type "+name)
			}
			for field, doc := range dt.fields {
				if field != "AdditionalProperties" && !describes(field, doc) {
					problems = append(problems, file+": field "+name+"."+field)
				}
			}
		}
	}
	sawOapiCodegen := false
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		types := exportedTypes(t, file, src)
		if strings.Contains(string(src), "\n// Code generated by github.com/oapi-codegen/oapi-codegen/") {
			sawOapiCodegen = true
			for name := range models {
				require.Contains(t, types, name, "%s lacks the model %s: run make generate", file, name)
			}
			check(file, types, models)
			continue
		}
		check(file, types, nil)
	}
	require.True(t, sawOapiCodegen, "no file written by oapi-codegen in generated/")
	sort.Strings(problems)
	require.Empty(t, problems, "without a description from openapi.yaml:\n%s", strings.Join(problems, "\n"))
}

// TestDescribesRejectsWhatIsNotADescription keeps the check above honest.
func TestDescribesRejectsWhatIsNotADescription(t *testing.T) {
	types := exportedTypes(t, "x.go", `package x

// A is documented.
type A struct {
	// B is documented.
	B int
	// C Example: 3
	C int
	D int
}

// E defines model for E.
type E = string

// F Example: 40
type F = int

type G int
`)
	require.True(t, describes("A", types["A"].doc))
	require.True(t, describes("B", types["A"].fields["B"]))
	require.False(t, describes("C", types["A"].fields["C"]))
	require.False(t, describes("D", types["A"].fields["D"]))
	require.False(t, describes("E", types["E"].doc))
	require.False(t, describes("F", types["F"].doc))
	require.False(t, describes("G", types["G"].doc))
}

// TestGeneratedPackageHasOnePackageComment: oapi-codegen writes the package
// comment of package generated; no other file may add a second.
func TestGeneratedPackageHasOnePackageComment(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("generated", "*.go"))
	require.NoError(t, err)
	var withDoc []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.PackageClauseOnly)
		require.NoError(t, err)
		if f.Doc != nil {
			withDoc = append(withDoc, file)
		}
	}
	require.Len(t, withDoc, 1, "files with a package comment: %v", withDoc)
}
