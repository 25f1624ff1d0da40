//go:build tools

// This file pins the code generator in go.mod so that `go generate` runs the
// same oapi-codegen version on every machine; it is never compiled into the
// library (build tag "tools").
package opportunities

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
