// Package opportunities is the root of the ChartMogul Opportunities client
// module. It carries the OpenAPI document the rest of the module is generated
// from.
//
// Importing this package also brings the code generator pinned by tools.go
// into a module's requirements; packages that only need the document use
// generated.OpenAPISpec, the same bytes.
//
// Most users want the wrapper package (a friendly client) or the generated
// package (spec-exact wire types).
package opportunities

import _ "embed"

// OpenAPISpec is openapi.yaml, byte for byte, as compiled into the binary.
//
//go:embed openapi.yaml
var OpenAPISpec []byte
