package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// TestNATSWithTLSAndNKey runs `tcdse put` against a NATS server that tcdse did not start and
// that demands TLS (its own CA) and nkey or user/password authentication: the right seed and
// CA work; a wrong seed, a wrong password and a missing CA each give an error that names what
// was refused; no seed or password appears in any output.
func TestNATSWithTLSAndNKey(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestPKI(t, dir)
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	const password = "pw-Zq81-never-printed"
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: filepath.Join(dir, "js"), NoLog: true, NoSigs: true,
		Nkeys: []*server.NkeyUser{{Nkey: pub}}, Users: []*server.User{{Username: "alice", Password: password}},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, TLS: true, TLSTimeout: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	defer s.Shutdown()
	url := "tls://" + s.Addr().String()
	seedFile, otherFile := filepath.Join(dir, "user.nk"), filepath.Join(dir, "other.nk")
	os.WriteFile(seedFile, seed, 0o600)
	os.WriteFile(otherFile, otherSeed, 0o600)
	input := filepath.Join(dir, "model.bin")
	os.WriteFile(input, []byte("weights"), 0o644)

	secrets := []string{string(seed), string(otherSeed), password}
	run := func(env []string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], args...)
		cmd.Env = append(append(os.Environ(), "TCDSE_TEST_AS_MAIN=1"), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		for _, sec := range secrets {
			if strings.Contains(out.String(), sec) {
				t.Errorf("tcdse %s printed a secret:\n%s", strings.Join(args, " "), out.String())
			}
		}
		return out.String(), err
	}

	out, err := run(nil, "put", input, "--nats", url, "--nats-nkey", seedFile, "--nats-tls-ca", caFile)
	if err != nil || !strings.HasPrefix(out, "artifact://tcdse-artifacts/") {
		t.Fatalf("put with the right nkey and CA: %v\n%s", err, out)
	}
	out, err = run(nil, "put", input, "--nats", url, "--nats-nkey", otherFile, "--nats-tls-ca", caFile)
	if err == nil || !strings.Contains(out, "refused the credentials") || !strings.Contains(out, "nkey seed file "+otherFile) {
		t.Errorf("put with an unknown nkey: %v\n%s", err, out)
	}
	out, err = run([]string{envNATSPassword + "=wrong-" + password}, "put", input, "--nats", url, "--nats-user", "alice", "--nats-tls-ca", caFile)
	if err == nil || !strings.Contains(out, "refused the credentials") || !strings.Contains(out, "user alice") {
		t.Errorf("put with a wrong password: %v\n%s", err, out)
	}
	secrets = append(secrets, "wrong-"+password)
	out, err = run(nil, "put", input, "--nats", "tls://alice:"+password+"@"+s.Addr().String(), "--nats-tls-ca", caFile)
	if err != nil || !strings.HasPrefix(out, "artifact://") {
		t.Errorf("put with user and password in the URL: %v\n%s", err, out)
	}
	out, err = run(nil, "put", input, "--nats", url, "--nats-nkey", seedFile)
	if err == nil || !strings.Contains(out, "TLS with NATS") {
		t.Errorf("put without the CA: %v\n%s", err, out)
	}
}

// writeTestPKI writes a CA and a server certificate for 127.0.0.1 signed by it, and returns
// the CA, certificate and key files.
func writeTestPKI(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tcdse test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return ca, cert, key
}

// TestNATSErrorsHideTheURLSecret: whatever the NATS client's error says, the password or
// token in --nats never reaches the explanation, nor the other errors that name the URL.
func TestNATSErrorsHideTheURLSecret(t *testing.T) {
	g := &globalFlags{}
	for _, u := range []string{"nats://alice:s3cretpw@127.0.0.1:1", "nats://tok3nvalue@127.0.0.1:1"} {
		secret := urlSecrets(u)[0]
		err := g.explainNATS(u, fmt.Errorf("dial %s: refused (%s)", u, secret))
		if strings.Contains(err.Error(), secret) {
			t.Errorf("explainNATS(%s) leaks the secret: %v", u, err)
		}
		if _, err := hostPortOfURL("nats://alice:s3cretpw@bad:host:port"); err == nil || strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("hostPortOfURL: %v", err)
		}
	}
}
