package hilbench_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/hilbench"
)

// TestFarmRolePermissions runs the farm with the per-role NATS permissions of docs/farm.md:
// an agent user and a submitter user. A job goes through; the submitter can neither forge a
// result nor write a lease or a board's registry entry.
func TestFarmRolePermissions(t *testing.T) {
	deniedToSubmitters := []string{"tcdse.farm.results.>", "tcdse.farm.refused.>", "$KV.tcdse-farm-leases.>", "$KV.tcdse-farm-boards.board.>"}
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "agent", Password: "a", Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{Allow: []string{"$JS.API.>", "$JS.ACK.TCDSE_FARM_JOBS.>", "$JS.FC.>",
					"tcdse.farm.results.>", "tcdse.farm.refused.>", "$KV.tcdse-farm-leases.>", "$KV.tcdse-farm-boards.board.>", "_INBOX.>"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", "tcdse.farm.wake.>"}},
			}},
			{Username: "submitter", Password: "s", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{">"}, Deny: deniedToSubmitters},
				Subscribe: &server.SubjectPermission{Allow: []string{">"}},
			}},
		}}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	t.Cleanup(s.Shutdown)
	dial := func(user, pass string) *nats.Conn {
		nc, err := nats.Connect(s.ClientURL(), nats.UserInfo(user, pass), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	sub := dial("submitter", "s")
	ctx := testCtx(t)
	farm, err := hilbench.OpenFarm(ctx, sub, testFarm)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := mlpTree(t, sub)
	req.JobID = "perm-1"
	agentConn := dial("agent", "a")
	a, err := hilbench.NewFarmAgent(agentConn, hilbench.FarmAgentConfig{Name: "perm-a", Class: simClass, Driver: simDriver(t, 1), WorkDir: t.TempDir(), Farm: testFarm})
	if err != nil {
		t.Fatal(err)
	}
	serveInTest(t, "farm agent perm-a", a.Serve, a.Ready(), nil)
	res, err := farm.Run(ctx, req)
	if err != nil || !res.Pass {
		t.Fatalf("job through the permissioned farm: %+v, %v", res, err)
	}
	js, _ := jetstream.New(sub)
	short, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if _, err := js.Publish(short, hilbench.ResultSubject("forged"), []byte(`{"job_id":"forged","pass":true}`)); err == nil {
		t.Error("a submitter published a result")
	}
	kv, err := js.KeyValue(ctx, hilbench.LeasesBucket)
	if err != nil {
		t.Fatal(err)
	}
	short2, stop2 := context.WithTimeout(ctx, time.Second)
	defer stop2()
	if _, err := kv.Put(short2, "lease.perm-1", []byte(`{"state":"running"}`)); err == nil {
		t.Error("a submitter wrote a lease")
	}
	if got, _ := farm.Result(ctx, "forged"); got != nil {
		t.Errorf("forged result recorded: %+v", got)
	}
}
