// Shared harness: locates the driver binary, builds plugin dirs and loaders the way a Nomad v1.6.3 agent does.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/helper/pluginutils/loader"
	"github.com/hashicorp/nomad/nomad/structs/config"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"

	"pot-task-driver/test/conformance/testkit"
)

const (
	// pluginFile is the executable's name in plugin_dir, and the agent's `plugin "<name>"` label.
	pluginFile = "pot-task-driver"
	// driverName is what jobs write as `driver = "..."`.
	driverName = "pot"
)

// repoRoot is the repository root, relative to this module.
var repoRoot = filepath.Join("..", "..", "..")

// packageVersion is the "version" of the repository's package.json, which the plugin must report.
func packageVersion(t testing.TB) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version == "" {
		t.Fatalf("package.json version: %v", err)
	}
	return pkg.Version
}

// potPath is the pot executable the plugin is configured with: POT_SIM, or a stub that always fails
// (enough for tests that never reach pot).
func potPath(t testing.TB) string {
	t.Helper()
	if sim := os.Getenv("POT_SIM"); sim != "" {
		abs, err := filepath.Abs(sim)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return stubPot(t)
}

// stubPot is a pot executable that fails every command with a message naming itself.
func stubPot(t testing.TB) string {
	t.Helper()
	stub := filepath.Join(t.TempDir(), "pot")
	script := "#!/bin/sh\necho \"pot stub: not a real pot, refusing: $*\" >&2\nexit 1\n"
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return stub
}

// pluginDir makes a plugin_dir holding only a symlink named pluginFile to the driver binary.
func pluginDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(testkit.DriverBinary(t), filepath.Join(dir, pluginFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// killPluginsIn SIGKILLs this process's children whose program lies in dir (the plugin instances a loader
// launched from it) and waits until they are gone; go-plugin's client reaps them.
func killPluginsIn(t testing.TB, dir string) {
	t.Helper()
	prefix := dir + string(filepath.Separator)
	for _, p := range childProcesses(t) {
		if strings.HasPrefix(p.args, prefix) {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
	if !testkit.WaitFor(10*time.Second, func() bool {
		for _, p := range childProcesses(t) {
			if strings.HasPrefix(p.args, prefix) && !p.zombie {
				return false
			}
		}
		return true
	}) {
		t.Errorf("plugin processes from %s still running 10s after SIGKILL", dir)
	}
}

type process struct {
	pid    int
	zombie bool
	args   string
}

// childProcesses lists the processes whose parent is this test binary (ps(1), as on FreeBSD and Linux alike).
func childProcesses(t testing.TB) []process {
	t.Helper()
	out, err := exec.Command("ps", "-ax", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "args=").Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	var children []process
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue
		}
		pid, err1 := strconv.Atoi(fields[0])
		ppid, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil || ppid != os.Getpid() {
			continue
		}
		children = append(children, process{pid: pid, zombie: strings.HasPrefix(fields[2], "Z"), args: strings.Join(fields[3:], " ")})
	}
	return children
}

// testWriter relays whole lines to t.Log until the test ends.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// pluginConfig is the map an agent's `plugin "pot-task-driver" { config { ... } }` block yields.
func pluginConfig(t testing.TB, extra map[string]interface{}) map[string]interface{} {
	cfg := map[string]interface{}{
		"pot_path":  potPath(t),
		"state_dir": t.TempDir(),
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// newLoader runs Nomad's plugin loader (fingerprint + config validation processes) over a fresh plugin dir.
func newLoader(t testing.TB, cfg map[string]interface{}) (*loader.PluginLoader, error) {
	t.Helper()
	logger, stop := scopedLogger(t)
	t.Cleanup(stop)
	dir := pluginDir(t)
	// Nomad v1.6.3's loader does not kill a plugin instance whose SetConfig failed: end whatever this loader
	// started from its plugin dir once the test is over.
	t.Cleanup(func() { killPluginsIn(t, dir) })
	return loader.NewPluginLoader(&loader.PluginLoaderConfig{
		Logger:            logger,
		PluginDir:         dir,
		Configs:           []*config.PluginConfig{{Name: pluginFile, Config: cfg}},
		SupportedVersions: loader.AgentSupportedApiVersions,
	})
}

// scopedLogger is a test logger that goes quiet once stop is called (plugin logs may arrive late).
func scopedLogger(t testing.TB) (hclog.Logger, func()) {
	w := &testWriter{t: t}
	return hclog.New(&hclog.LoggerOptions{Name: "nomad", Level: hclog.Debug, Output: w}), w.stop
}

// agentConfig is what a Nomad v1.6.3 client passes to SetConfig for its serving driver instance.
var agentConfig = &base.AgentConfig{Driver: &base.ClientDriverConfig{ClientMinPort: 14000, ClientMaxPort: 14512}}

// dispensed is a serving driver instance obtained through the loader, as the driver manager gets it.
type dispensed struct {
	instance loader.PluginInstance
	driver   drivers.DriverPlugin
}

// dispenseDriver loads the plugin with cfg and dispenses the driver with the agent config.
func dispenseDriver(t testing.TB, cfg map[string]interface{}) *dispensed {
	t.Helper()
	l, err := newLoader(t, cfg)
	if err != nil {
		t.Fatalf("plugin loader: %v", err)
	}
	logger, stop := scopedLogger(t)
	inst, err := l.Dispense(driverName, base.PluginTypeDriver, agentConfig, logger)
	if err != nil {
		stop()
		t.Fatalf("dispense driver: %v", err)
	}
	t.Cleanup(func() {
		inst.Kill()
		stop()
	})
	drv, ok := inst.Plugin().(drivers.DriverPlugin)
	if !ok {
		t.Fatalf("dispensed plugin is %T, not drivers.DriverPlugin", inst.Plugin())
	}
	return &dispensed{instance: inst, driver: drv}
}

// connPlugin dispenses the raw gRPC connection, for RPCs whose status Nomad's client hides.
type connPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (connPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("client side only")
}

func (connPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// rawConn launches the plugin with go-plugin as pinned by Nomad v1.6.3 and returns its gRPC connection,
// with cfg already set through the base client, encoded as the loader encodes it.
func rawConn(t testing.TB, cfg map[string]interface{}) *grpc.ClientConn {
	t.Helper()
	logger, stop := scopedLogger(t)
	cmd := exec.Command(testkit.DriverBinary(t))
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: base.Handshake,
		Plugins: map[string]plugin.Plugin{
			base.PluginTypeBase: &base.PluginBase{},
			"conn":              connPlugin{},
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
	})
	t.Cleanup(func() {
		client.Kill()
		stop()
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	rawBase, err := rpc.Dispense(base.PluginTypeBase)
	if err != nil {
		t.Fatal(err)
	}
	bp := rawBase.(base.BasePlugin)
	schema, err := bp.ConfigSchema()
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	if err := bp.SetConfig(&base.Config{
		PluginConfig: encodePluginConfig(t, schema, cfg), AgentConfig: agentConfig, ApiVersion: drivers.ApiVersion010,
	}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	raw, err := rpc.Dispense("conn")
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*grpc.ClientConn)
}

// encodePluginConfig turns an agent plugin config map into SetConfig bytes exactly as the loader's
// validatePluginConfig does: hclspec → hcldec spec, HCL-JSON decode without variables, cty msgpack.
func encodePluginConfig(t testing.TB, schema *hclspec.Spec, cfg map[string]interface{}) []byte {
	t.Helper()
	spec, diags := hclspecutils.Convert(schema)
	if diags.HasErrors() {
		t.Fatalf("converting ConfigSchema: %v", diags)
	}
	val, diags, errs := hclutils.ParseHclInterface(cfg, spec, nil)
	if diags.HasErrors() {
		t.Fatalf("parsing plugin config %v: %v", cfg, errs)
	}
	data, err := ctymsgpack.Marshal(val, val.Type())
	if err != nil {
		t.Fatal(err)
	}
	return data
}
