// Package depspin keeps the pinned dependencies in go.mod while the packages that use them are written.
package depspin

import (
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/spf13/cobra"
	_ "go.etcd.io/bbolt"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/workflow"
	_ "go.temporal.io/server/common/authorization"
	_ "go.temporal.io/server/common/config"
	_ "go.temporal.io/server/common/dynamicconfig"
	_ "go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	_ "go.temporal.io/server/schema/sqlite"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/temporaltest"
	_ "gonum.org/v1/gonum/mat"
	_ "google.golang.org/protobuf/proto"
	_ "gopkg.in/yaml.v3"
)
