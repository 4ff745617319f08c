//go:build tools

// Records the CLI's main package as a dependency, so `go mod tidy` keeps go.sum complete for it.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
