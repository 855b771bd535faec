//go:build tools

// Package tools pins the versions of the command-line tools the tcdse
// Makefile builds, kept in their own module so their dependencies do not
// enter the main module. Build the Temporal CLI with
//
//	cd tools && GOTOOLCHAIN=local go build -o ../bin/temporal github.com/temporalio/cli/cmd/temporal
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
)
