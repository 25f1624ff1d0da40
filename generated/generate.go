// This file is the one hand-written file of package generated: it holds the
// go:generate lines. The package comment is oapi-codegen's (in
// opportunities.gen.go); a second one here would be appended to it.
//
// The package holds the request/response types, the HTTP client and the
// server interfaces that oapi-codegen produces from openapi.yaml. Nothing in
// it is edited by hand except this file: change openapi.yaml or
// oapi-codegen.yaml and run `make generate`. oapi-codegen writes
// opportunities.gen.go; internal/specgen writes the other *.gen.go files (the
// embedded document and the rules it states).

package generated

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config ../oapi-codegen.yaml ../openapi.yaml
//go:generate go run ../internal/specgen -spec ../openapi.yaml -out .
