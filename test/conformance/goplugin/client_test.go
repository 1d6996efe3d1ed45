// go-plugin layer conformance: the newest go-plugin client launches the driver binary as Nomad would.
package goplugin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"pot-task-driver/test/conformance/testkit"
)

// nomadHandshake is Nomad's base.Handshake, restated so this module does not depend on Nomad.
var nomadHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// gracefulExitLimit is how long go-plugin's Kill waits after GRPCController.Shutdown before SIGKILL.
const gracefulExitLimit = 2 * time.Second

// connPlugin dispenses the raw gRPC connection; the tests speak to the services themselves.
type connPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (connPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("client side only")
}

func (connPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// lockedBuffer collects the client's log output from go-plugin's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launched is one plugin process under a go-plugin client.
type launched struct {
	client *plugin.Client
	cmd    *exec.Cmd
	conn   *grpc.ClientConn
	log    *lockedBuffer
}

// launch starts the binary with Nomad's handshake and dispenses the gRPC connection.
// The process is always killed at test end; its client log is printed if the test failed.
func launch(t *testing.T) *launched {
	t.Helper()
	logs := &lockedBuffer{}
	cmd := exec.Command(testkit.DriverBinary(t))
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  nomadHandshake,
		Plugins:          map[string]plugin.Plugin{"conn": connPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "goplugin", Level: hclog.Trace, Output: logs}),
	})
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("go-plugin client log:\n%s", logs.String())
		}
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("handshake failed: %v", err)
	}
	raw, err := rpc.Dispense("conn")
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	return &launched{client: client, cmd: cmd, conn: raw.(*grpc.ClientConn), log: logs}
}

func TestHandshake(t *testing.T) {
	p := launch(t)
	if got := p.client.NegotiatedVersion(); got != 2 {
		t.Errorf("negotiated app protocol version = %d, want 2", got)
	}
	if got := p.client.Protocol(); got != plugin.ProtocolGRPC {
		t.Errorf("protocol = %q, want grpc", got)
	}
	rc := p.client.ReattachConfig()
	if rc == nil || rc.Addr == nil {
		t.Fatalf("no reattach config / address after handshake")
	}
	if rc.Addr.Network() != "unix" {
		t.Errorf("listener network = %q, want unix", rc.Addr.Network())
	}
	if len(rc.Addr.String()) >= 104 {
		t.Errorf("socket path %q is %d bytes; FreeBSD's sun_path holds 104", rc.Addr.String(), len(rc.Addr.String()))
	}
	if rc.Pid != p.cmd.Process.Pid {
		t.Errorf("reattach pid %d, launched pid %d", rc.Pid, p.cmd.Process.Pid)
	}
}

func TestHealth(t *testing.T) {
	p := launch(t)
	rpc, err := p.client.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := rpc.Ping(); err != nil {
		t.Errorf("Ping (grpc.health.v1.Health/Check service=plugin): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := grpc_health_v1.NewHealthClient(p.conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "plugin"})
	if err != nil {
		t.Fatalf("Health/Check: %v", err)
	}
	if resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Errorf("Health/Check(plugin) = %v, want SERVING", resp.Status)
	}
}

// TestControllerShutdown calls plugin.GRPCController/Shutdown directly and expects a clean exit in time.
func TestControllerShutdown(t *testing.T) {
	p := launch(t)
	ctx, cancel := context.WithTimeout(context.Background(), gracefulExitLimit)
	defer cancel()
	start := time.Now()
	err := p.conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &emptypb.Empty{}, &emptypb.Empty{})
	// The server may drop the connection while answering; only a status other than that is a failure.
	if err != nil && !strings.Contains(err.Error(), "Unavailable") && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("GRPCController/Shutdown: %v", err)
	}
	if !testkit.WaitFor(gracefulExitLimit, p.client.Exited) {
		t.Fatalf("plugin still running %v after GRPCController/Shutdown", gracefulExitLimit)
	}
	t.Logf("exited %v after Shutdown", time.Since(start).Round(time.Millisecond))
	assertCleanExit(t, p.cmd)
}

// TestKill is go-plugin's Kill as Nomad calls it at agent stop: graceful exit within 2 s, socket removed.
func TestKill(t *testing.T) {
	p := launch(t)
	socket := p.client.ReattachConfig().Addr.String()
	if _, err := os.Stat(socket); err != nil {
		t.Fatalf("socket %s not present while serving: %v", socket, err)
	}
	start := time.Now()
	p.client.Kill()
	elapsed := time.Since(start)
	if !p.client.Exited() {
		t.Fatalf("client does not report the plugin exited after Kill")
	}
	if strings.Contains(p.log.String(), "plugin failed to exit gracefully") {
		t.Errorf("go-plugin had to SIGKILL the plugin after %v", gracefulExitLimit)
	}
	if elapsed >= gracefulExitLimit {
		t.Errorf("Kill took %v, want < %v", elapsed, gracefulExitLimit)
	}
	assertCleanExit(t, p.cmd)
	if _, err := os.Stat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket %s still present after exit (stat: %v)", socket, err)
	}
}

// TestSigkillSeenAsExited: go-plugin must see a SIGKILLed plugin as exited at once, which only happens
// when no process the plugin left behind holds its stdout/stderr pipes.
func TestSigkillSeenAsExited(t *testing.T) {
	p := launch(t)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !testkit.WaitFor(2*time.Second, p.client.Exited) {
		t.Fatalf("go-plugin still reports the SIGKILLed plugin running after 2s (are its stdout/stderr pipes held by a child?)")
	}
}

// TestNoMagicCookie: run by hand the binary explains itself on stderr and exits 1.
func TestNoMagicCookie(t *testing.T) {
	cmd := exec.Command(testkit.DriverBinary(t))
	cmd.Env = withoutEnv(os.Environ(), nomadHandshake.MagicCookieKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("exit = %v, want exit status 1", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("binary without the magic cookie still running after 10s")
	}
	if strings.TrimSpace(stderr.String()) == "" {
		t.Errorf("no explanation on stderr")
	}
	if stdout.Len() != 0 {
		t.Errorf("unexpected stdout without the cookie: %q", stdout.String())
	}
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// assertCleanExit requires the process to have exited by itself with status 0, not by a signal.
func assertCleanExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	st := cmd.ProcessState
	if st == nil {
		t.Errorf("process state unknown after exit")
		return
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Errorf("plugin was ended by signal %v, not by its own exit", ws.Signal())
		return
	}
	if st.ExitCode() != 0 {
		t.Errorf("plugin exit code %d, want 0", st.ExitCode())
	}
}

// TestStderrIsHclogJSON: go-plugin re-logs each stderr line; lines it cannot parse as hclog JSON (bad
// @timestamp, non-string @level…) arrive as raw text at DEBUG, which shows up as a JSON object in the log.
func TestStderrIsHclogJSON(t *testing.T) {
	p := launch(t)
	p.client.Kill()
	relayed := 0
	prefix := "goplugin." + filepath.Base(p.cmd.Path) + ":"
	for _, line := range strings.Split(p.log.String(), "\n") {
		i := strings.Index(line, prefix)
		if i < 0 {
			continue
		}
		relayed++
		if strings.Contains(line[i:], `"@level"`) || strings.Contains(line[i:], `"@message"`) {
			t.Errorf("plugin stderr line not parsed as hclog JSON: %s", line[i:])
		}
	}
	if relayed == 0 {
		t.Errorf("no plugin log line reached the client (expected at least the serving line at info)")
	}
}
