// Package generated holds the request/response types, the HTTP client and the
// server interfaces that oapi-codegen produces from openapi.yaml.
//
// Nothing in this package is edited by hand except this file: change
// openapi.yaml or oapi-codegen.yaml and run `make generate`.
package generated

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config ../oapi-codegen.yaml ../openapi.yaml
