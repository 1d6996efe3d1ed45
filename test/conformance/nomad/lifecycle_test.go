// The task lifecycle against the pot simulator, driven the way a Nomad v1.6.3 client drives it.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// lifecycleEnv is what the lifecycle needs beyond the binary: the simulator and an image registry.
type lifecycleEnv struct {
	hostDir  string
	imageURL string
}

// requireLifecycle skips unless POT_SIM and POT_IMAGE_URL are set (run.sh sets both once the simulator
// exists); each test then also skips while StartTask answers Unimplemented.
func requireLifecycle(t *testing.T) *lifecycleEnv {
	t.Helper()
	if os.Getenv("POT_SIM") == "" {
		t.Skip("POT_SIM is not set: no pot simulator to run tasks against")
	}
	imageURL := os.Getenv("POT_IMAGE_URL")
	if imageURL == "" {
		t.Skip("POT_IMAGE_URL is not set: no image registry serving FBSD120-nginx 1.0")
	}
	// The simulator keeps its state under POT_SIM_ROOT; the plugin passes its environment on to pot.
	t.Setenv("POT_SIM_ROOT", t.TempDir())
	host := t.TempDir()
	for _, dir := range []string{"test", "test2"} {
		if err := os.MkdirAll(filepath.Join(host, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"index.html": "<h1>conformance</h1>\n", "nginx.conf": "daemon off;\n"} {
		if err := os.WriteFile(filepath.Join(host, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &lifecycleEnv{hostDir: host, imageURL: imageURL}
}

// seedJobFor rewrites the seed job to use the local registry and host files under env.hostDir.
func seedJobFor(t *testing.T, env *lifecycleEnv) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "seed.nomad.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	job := strings.NewReplacer(
		"https://pot-registry.zapto.org/registry/", env.imageURL,
		`"/root/index.html:`, `"`+env.hostDir+`/index.html:`,
		`"/root/nginx.conf:`, `"`+env.hostDir+`/nginx.conf:`,
		`"/tmp/test:`, `"`+env.hostDir+`/test:`,
		`"/tmp/test2:`, `"`+env.hostDir+`/test2:`,
	).Replace(string(raw))
	path := filepath.Join(t.TempDir(), "seed.nomad.hcl")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// logFifo stands in for logmon: it creates the FIFO and keeps reading whatever the task writes.
type logFifo struct {
	mu  sync.Mutex
	buf strings.Builder
}

func openLogFifo(t *testing.T, path string) *logFifo {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR never blocks on a FIFO and never sees EOF when a writer goes away, like logmon's reopen loop.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := &logFifo{}
	go func() {
		chunk := make([]byte, 4096)
		for {
			n, err := f.Read(chunk)
			if n > 0 {
				l.mu.Lock()
				l.buf.Write(chunk[:n])
				l.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { f.Close() })
	return l
}

func (l *logFifo) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startSeed dispenses the driver with the host paths allowed, starts the seed task and returns it running.
func startSeed(t *testing.T, env *lifecycleEnv) (*dispensed, *taskFixture, *drivers.TaskHandle, map[string]interface{}) {
	t.Helper()
	cfg := pluginConfig(t, map[string]interface{}{"allowed_host_paths": []interface{}{env.hostDir}})
	d := dispenseDriver(t, cfg)
	f := newTaskFixture(t, d.driver, seedJobFor(t, env))
	openLogFifo(t, f.config.StdoutPath)
	openLogFifo(t, f.config.StderrPath)
	handle, net, err := d.driver.StartTask(f.config)
	if status.Code(err) == codes.Unimplemented {
		t.Skipf("StartTask is not implemented yet: %v", err)
	}
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { _ = d.driver.DestroyTask(f.config.ID, true) })
	if handle == nil || handle.Config == nil {
		t.Fatalf("StartTask returned no handle/config: Nomad would skip recovery or recover with an empty config")
	}
	if handle.Config.ID != f.config.ID {
		t.Errorf("handle.config.id %q, want the TaskConfig's %q", handle.Config.ID, f.config.ID)
	}
	if handle.Version < 1 {
		t.Errorf("handle version %d; 0 is reserved for pre-0.9 handles", handle.Version)
	}
	if handle.State != drivers.TaskStateRunning {
		t.Errorf("handle state %q, want running", handle.State)
	}
	if len(handle.DriverState) == 0 {
		t.Errorf("empty driver_state: nothing to recover from after an agent restart")
	}
	t.Logf("driver network: %+v", net)
	return d, f, handle, cfg
}

// waitExit starts WaitTask and returns a channel for its one result.
func waitExit(t *testing.T, d drivers.DriverPlugin, id string) <-chan *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	return ch
}

// TestLifecycleStartInspectStatsStop: start, inspect, stats, signal, exec, stop, wait, destroy.
func TestLifecycleStartInspectStatsStop(t *testing.T) {
	env := requireLifecycle(t)
	d, f, _, _ := startSeed(t, env)
	id := f.config.ID
	exited := waitExit(t, d.driver, id)

	st, err := d.driver.InspectTask(id)
	if err != nil {
		t.Fatalf("InspectTask: %v", err)
	}
	if st.State != drivers.TaskStateRunning || st.ID != id {
		t.Errorf("InspectTask = %+v, want running %s", st, id)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stats, err := d.driver.TaskStats(ctx, id, time.Second)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	select {
	case s, ok := <-stats:
		if !ok || s == nil || s.ResourceUsage == nil {
			t.Errorf("TaskStats ended or sent no usage (Nomad dereferences agg_resource_usage)")
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no TaskStats sample within 5s at a 1s interval")
	}
	cancel()

	if err := d.driver.SignalTask(id, "SIGHUP"); err != nil {
		t.Errorf("SignalTask(SIGHUP): %v", err)
	}
	res, err := d.driver.ExecTask(id, []string{"/bin/sh", "-c", "echo conformance"}, 10*time.Second)
	if err != nil {
		t.Errorf("ExecTask: %v", err)
	} else if res.ExitResult == nil || res.ExitResult.ExitCode != 0 || !strings.Contains(string(res.Stdout), "conformance") {
		t.Errorf("ExecTask = exit %+v stdout %q stderr %q", res.ExitResult, res.Stdout, res.Stderr)
	}

	if err := d.driver.DestroyTask(id, false); err == nil {
		t.Errorf("DestroyTask(force=false) of a running task succeeded")
	}
	if err := d.driver.StopTask(id, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	select {
	case r := <-exited:
		if r == nil || r.Err != nil {
			t.Errorf("WaitTask after stop: %+v", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("WaitTask did not resolve within 15s of StopTask (kill_timeout 5s)")
	}
	if err := d.driver.StopTask(id, time.Second, "SIGTERM"); err != nil {
		t.Errorf("StopTask of an exited task: %v (Nomad retries it with backoff)", err)
	}
	if err := d.driver.DestroyTask(id, true); err != nil {
		t.Errorf("DestroyTask(force): %v", err)
	}
}

// TestLifecycleSurvivesPluginKill: SIGKILL the plugin while the task runs; go-plugin must see the exit at
// once, and a new plugin process recovers the task from the handle (also with the config Nomad drops).
func TestLifecycleSurvivesPluginKill(t *testing.T) {
	env := requireLifecycle(t)
	d, f, handle, cfg := startSeed(t, env)
	rc, ok := d.instance.ReattachConfig()
	if !ok || rc == nil {
		t.Fatalf("no reattach config")
	}
	if err := syscall.Kill(rc.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitFor(2*time.Second, d.instance.Exited) {
		t.Fatalf("go-plugin still sees the SIGKILLed plugin (pid %d) running after 2s: a task process holds its stdout/stderr", rc.Pid)
	}

	d2 := dispenseDriver(t, cfg)
	if err := d2.driver.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask after plugin crash: %v", err)
	}
	if err := d2.driver.RecoverTask(handle); err != nil {
		t.Errorf("second RecoverTask (already tracked) failed: %v", err)
	}
	st, err := d2.driver.InspectTask(f.config.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("recovered task not running: %+v, %v", st, err)
	}

	// After an agent restart the handle's config comes back from the state DB without the driver config.
	d3 := dispenseDriver(t, cfg)
	if err := d3.driver.RecoverTask(withoutDriverConfig(t, handle)); err != nil {
		t.Fatalf("RecoverTask with the handle an agent restart yields: %v", err)
	}

	exited := waitExit(t, d3.driver, f.config.ID)
	if err := d3.driver.StopTask(f.config.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask after recovery: %v", err)
	}
	select {
	case r := <-exited:
		if r == nil || r.Err != nil {
			t.Errorf("WaitTask after recovery and stop: %+v", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("WaitTask on the recovered task did not resolve within 15s of StopTask")
	}
}

// TestLifecycleBadConfigFails: copy/mount sources outside allowed_host_paths fail StartTask before pot is
// run, with an unrecoverable error that names the field. Needs no simulator: the stub pot fails if called.
func TestLifecycleBadConfigFails(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	f := newTaskFixture(t, d.driver, filepath.Join("testdata", "seed.nomad.hcl"))
	_, _, err := d.driver.StartTask(f.config)
	if status.Code(err) == codes.Unimplemented {
		t.Skipf("StartTask is not implemented yet: %v", err)
	}
	if err == nil {
		_ = d.driver.DestroyTask(f.config.ID, true)
		t.Fatalf("StartTask accepted copy/mount sources outside allowed_host_paths")
	}
	if strings.Contains(err.Error(), "pot stub") {
		t.Errorf("pot was run before the config was validated: %v", err)
	}
	for _, field := range []string{"copy", "mount", "mount_read_only"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("start error does not name %q (every problem is reported at once): %v", field, err)
		}
	}
	var rec *structs.RecoverableError
	if errors.As(err, &rec) && rec.IsRecoverable() {
		t.Errorf("a config error is marked recoverable; the restart policy would retry it: %v", err)
	}
}

// withoutDriverConfig is the handle as Nomad's client state DB returns it: TaskConfig re-serialised from
// its exported fields, so msgpack_driver_config is empty.
func withoutDriverConfig(t *testing.T, h *drivers.TaskHandle) *drivers.TaskHandle {
	t.Helper()
	raw, err := json.Marshal(h.Config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg drivers.TaskConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	out := h.Copy()
	out.Config = &cfg
	return out
}
