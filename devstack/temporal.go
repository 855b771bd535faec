package devstack

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// clusterName is the name of the single local Temporal cluster.
const clusterName = "active"

// temporalPorts are the listen ports of the four Temporal services.
type temporalPorts struct {
	frontend, frontendHTTP, history, matching, worker int
}

// pickTemporalPorts keeps the requested frontend port (0: a free one) and
// picks free ports for everything else.
func pickTemporalPorts(host string, frontend int) (temporalPorts, error) {
	free, err := freePorts(host, 5)
	if err != nil {
		return temporalPorts{}, fmt.Errorf("temporal: %w", err)
	}
	if frontend == 0 {
		frontend = free[4]
	} else if err := checkFree(joinHostPort(host, frontend)); err != nil {
		return temporalPorts{}, fmt.Errorf("temporal: %w", err)
	}
	return temporalPorts{frontend: frontend, frontendHTTP: free[0], history: free[1], matching: free[2], worker: free[3]}, nil
}

// sqliteConfig is the persistence config for the SQLite file at dbPath.
func sqliteConfig(dbPath string) *config.SQL {
	return &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      dbPath,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	}
}

// prepareDatabase creates the schema when dbPath does not exist yet and
// registers namespace if it is not registered already.
func prepareDatabase(sql *config.SQL, dbPath, namespace string) error {
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sql); err != nil {
			// Do not leave a half-initialised file that the next start would trust.
			_ = os.Remove(dbPath)
			return fmt.Errorf("temporal: create schema in %s: %w", dbPath, err)
		}
	} else if err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return fmt.Errorf("temporal: namespace %q: %w", namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(sql, ns); err != nil {
		return fmt.Errorf("temporal: register namespace %q in %s: %w", namespace, dbPath, err)
	}
	return nil
}

// serverConfig is the static configuration of a single-process Temporal
// server on host with the given ports and SQLite persistence.
func serverConfig(host string, p temporalPorts, sql *config.SQL) *config.Config {
	service := func(grpcPort, httpPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, HTTPPort: httpPort, BindOnIP: host}}
	}
	frontend := joinHostPort(host, p.frontend)
	var c config.Config
	c.Global.Membership.MaxJoinDuration = 30 * time.Second
	c.Global.Membership.BroadcastAddress = host
	c.Persistence = config.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite",
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{"sqlite": {SQL: sql}},
	}
	c.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            joinHostPort(host, p.frontendHTTP),
			},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"
	c.Services = map[string]config.Service{
		string(primitives.FrontendService): service(p.frontend, p.frontendHTTP),
		string(primitives.HistoryService):  service(p.history, 0),
		string(primitives.MatchingService): service(p.matching, 0),
		string(primitives.WorkerService):   service(p.worker, 0),
	}
	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	c.PublicClient.HostPort = frontend
	return &c
}

// newTemporalServer builds (but does not start) a Temporal server running
// all four services in this process. Services find each other through
// static host lists rather than a membership ring.
func newTemporalServer(host string, p temporalPorts, sql *config.SQL, logger log.Logger) (temporal.Server, error) {
	conf := serverConfig(host, p, sql)
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal: claim mapper: %w", err)
	}
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(joinHostPort(host, p.frontend)),
		primitives.HistoryService:  static.SingleLocalHost(joinHostPort(host, p.history)),
		primitives.MatchingService: static.SingleLocalHost(joinHostPort(host, p.matching)),
		primitives.WorkerService:   static.SingleLocalHost(joinHostPort(host, p.worker)),
	}
	dynamic := dynamicconfig.StaticClient{
		// Same modest sizes as the Temporal CLI dev server.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Search attributes registered after start (tcdse up does) are usable at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamic),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal: create server: %w", err)
	}
	return srv, nil
}
