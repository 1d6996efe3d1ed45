// Pot simulator fixtures for the lifecycle tests: a fresh simulator state dir, job files, logmon on real FIFOs.
package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/client/logmon"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/proto"

	"pot-task-driver/test/conformance/testkit"
)

const (
	// imagePot and imageTag name the test image run.sh serves (test/conformance/make-image.ts).
	imagePot = "FBSD120-nginx"
	imageTag = "1.0"
)

// simEnv is one test's pot simulator world.
type simEnv struct {
	pot      string // the simulator executable (pot_path)
	root     string // POT_SIM_ROOT
	hostDir  string // host files for copy/mount, the only allowed_host_paths entry
	imageURL string // registry URL serving imagePot_imageTag
}

// requireSim gives the test a fresh simulator state dir. Without POT_SIM and POT_IMAGE_URL (run.sh sets both)
// the test is skipped with the reason, or fails when POT_LIFECYCLE_REQUIRED=1 says they must be present.
func requireSim(t *testing.T) *simEnv {
	t.Helper()
	missing := ""
	switch {
	case os.Getenv("POT_SIM") == "":
		missing = "POT_SIM is not set: no pot simulator to run tasks against (run test/conformance/run.sh)"
	case os.Getenv("POT_IMAGE_URL") == "":
		missing = "POT_IMAGE_URL is not set: no registry serving " + imagePot + " " + imageTag + " (run test/conformance/run.sh)"
	}
	if missing != "" {
		if os.Getenv("POT_LIFECYCLE_REQUIRED") == "1" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	root := t.TempDir()
	// The driver passes pot no environment of its own, so the simulator's root is fixed in the pot it runs.
	env := &simEnv{pot: installSimPot(t, potPath(t), root), root: root, hostDir: t.TempDir(), imageURL: os.Getenv("POT_IMAGE_URL")}
	if !strings.HasSuffix(env.imageURL, "/") {
		env.imageURL += "/"
	}
	fillHostDir(t, env.hostDir)
	// Registered first, so it runs last: whatever a failed test left running is stopped by pot itself.
	t.Cleanup(func() { env.destroyLeftovers(t) })
	return env
}

// pluginConfig is the agent's plugin config for this world: the simulator, host dirs allowed.
func (e *simEnv) pluginConfig(t *testing.T) map[string]interface{} {
	return pluginConfig(t, map[string]interface{}{"pot_path": e.pot, "allowed_host_paths": []interface{}{e.hostDir}})
}

// installSimPot writes a pot executable that runs the simulator sim with POT_SIM_ROOT fixed to root, as real
// pot keeps its settings in a file beside it: the driver gives every child a minimal environment, so nothing
// reaches pot through the plugin's environment.
func installSimPot(t testing.TB, sim, root string) string {
	t.Helper()
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	prefix := t.TempDir()
	path := filepath.Join(prefix, "bin", "pot")
	script := "#!/bin/sh\n: ${POT_SIM_ROOT:=" + quote(root) + "}\nexport POT_SIM_ROOT\nexec " + quote(sim) + " \"$@\"\n"
	// Where pot keeps its state files, beside it as real pot has it (test/fakes/simulator.ts writeSimPotConf):
	// the driver reads the status and main pid files from there.
	conf := "POT_FS_ROOT=" + quote(root) + "\nPOT_TMP=" + quote(filepath.Join(root, "tmp")) + "\n"
	for _, dir := range []string{filepath.Dir(path), filepath.Join(prefix, "etc", "pot")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(prefix, "etc", "pot", "pot.default.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// clones lists the pots cloned from an image (each task's pot), sorted; the imported image pot is not one.
func (e *simEnv) clones(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.root, "jails"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, entry := range entries {
		if _, err := os.Stat(filepath.Join(e.root, "jails", entry.Name(), ".pot-sim-origin")); err == nil {
			out = append(out, entry.Name())
		}
	}
	sort.Strings(out)
	return out
}

// potStatus is the simulator's status word for a pot ("started", "stopped", …), "" when it has none.
func (e *simEnv) potStatus(name string) string {
	raw, err := os.ReadFile(filepath.Join(e.root, "tmp", "pot_status_"+name))
	if err != nil {
		return ""
	}
	value := strings.TrimPrefix(strings.TrimSpace(string(raw)), "pot.status=")
	return strings.SplitN(value, ",", 2)[0]
}

// destroyLeftovers has pot destroy every task pot still present, running or not.
func (e *simEnv) destroyLeftovers(t *testing.T) {
	for _, name := range e.clones(t) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, e.pot, "destroy", "-F", "-p", name)
		cmd.Env = append(os.Environ(), "POT_SIM_ROOT="+e.root)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("cleanup: pot destroy -F -p %s: %v\n%s", name, err, out)
		}
		cancel()
	}
}

// fillHostDir creates the host files and dirs the seed job copies and mounts.
func fillHostDir(t *testing.T, dir string) {
	t.Helper()
	for _, sub := range []string{"test", "test2"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"index.html": "<h1>conformance host page</h1>\n", "nginx.conf": "daemon off;\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seedJob writes the seed job with its registry and host paths pointed at this world.
func (e *simEnv) seedJob(t *testing.T) string {
	t.Helper()
	return seedJobAt(t, e.imageURL, e.hostDir)
}

// seedJobAt writes the seed job with imageURL as its registry and its host paths under hostDir.
func seedJobAt(t *testing.T, imageURL, hostDir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "seed.nomad.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	rewrites := []string{
		"https://pot-registry.zapto.org/registry/", imageURL,
		`"/root/index.html:`, `"` + hostDir + `/index.html:`,
		`"/root/nginx.conf:`, `"` + hostDir + `/nginx.conf:`,
		`"/tmp/test:`, `"` + hostDir + `/test:`,
		`"/tmp/test2:`, `"` + hostDir + `/test2:`,
	}
	for i := 0; i < len(rewrites); i += 2 {
		if !strings.Contains(string(raw), rewrites[i]) {
			t.Fatalf("testdata/seed.nomad.hcl no longer contains %s, which this rewrite points at the test world", rewrites[i])
		}
	}
	job := strings.NewReplacer(rewrites...).Replace(string(raw))
	path := filepath.Join(t.TempDir(), "seed.nomad.hcl")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// commandJob writes a one-task job running one of the image's programs on the host network.
func (e *simEnv) commandJob(t *testing.T, task, command string, args ...string) string {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = hclString(a)
	}
	configLines := "        args         = [" + strings.Join(quoted, ", ") + "]\n        network_mode = \"host\""
	return e.job(t, "conformance", task, command, configLines, "")
}

// job writes a job file with one group and one pot task running command from the test image, with extra lines
// in the task's config block and in the task block.
func (e *simEnv) job(t *testing.T, name, task, command, configLines, taskLines string) string {
	t.Helper()
	job := fmt.Sprintf(`job %s {
  datacenters = ["dc1"]
  group "g" {
    task %s {
      driver = "pot"
%s
      config {
        image   = %s
        pot     = %s
        tag     = %s
        command = %s
%s
      }
    }
  }
}
`, hclString(name), hclString(task), taskLines, hclString(e.imageURL), hclString(imagePot), hclString(imageTag), hclString(command), configLines)
	path := filepath.Join(t.TempDir(), task+".nomad.hcl")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hclString quotes s as an HCL string literal (no template sequences are expected in test values).
func hclString(s string) string {
	if strings.Contains(s, "${") || strings.Contains(s, "%{") {
		panic("template sequence in a test value: " + s)
	}
	return fmt.Sprintf("%q", s)
}

// taskLogs is Nomad's logmon for one task: the FIFOs at the TaskConfig's paths, copied into rotated files.
type taskLogs struct {
	dir, task string
}

// attachLogmon creates the task's two FIFOs with mkfifo(2) and starts Nomad's own logmon on them, as the
// task runner's logmon hook does before StartTask: one blocking O_RDONLY open per FIFO, copied until EOF.
func attachLogmon(t *testing.T, cfg *drivers.TaskConfig) *taskLogs {
	t.Helper()
	for _, fifo := range []string{cfg.StdoutPath, cfg.StderrPath} {
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatalf("mkfifo %s: %v", fifo, err)
		}
	}
	logger, stop := scopedLogger(t)
	lm := logmon.NewLogMon(logger.Named("logmon"))
	logs := &taskLogs{dir: filepath.Dir(cfg.StdoutPath), task: cfg.Name}
	err := lm.Start(&logmon.LogConfig{
		LogDir:        logs.dir,
		StdoutLogFile: cfg.Name + ".stdout",
		StderrLogFile: cfg.Name + ".stderr",
		StdoutFifo:    cfg.StdoutPath,
		StderrFifo:    cfg.StderrPath,
		MaxFiles:      2,
		MaxFileSizeMB: 1,
	})
	if err != nil {
		t.Fatalf("logmon: %v", err)
	}
	t.Cleanup(func() {
		_ = lm.Stop()
		stop()
	})
	return logs
}

// read returns what logmon has written so far for "stdout" or "stderr".
func (l *taskLogs) read(stream string) string {
	raw, _ := os.ReadFile(filepath.Join(l.dir, fmt.Sprintf("%s.%s.0", l.task, stream)))
	return string(raw)
}

// await waits until the stream's log holds want, failing the test with what it holds after limit.
func (l *taskLogs) await(t *testing.T, stream, want string, limit time.Duration) {
	t.Helper()
	if !testkit.WaitFor(limit, func() bool { return strings.Contains(l.read(stream), want) }) {
		t.Fatalf("%s log has no %q after %v; it holds %q", stream, want, limit, l.read(stream))
	}
}

// eventLog drains a TaskEvents channel for the whole test, as the driver manager does.
type eventLog struct {
	mu     sync.Mutex
	events []*drivers.TaskEvent
}

func collectEvents(t *testing.T, d drivers.DriverPlugin) *eventLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := d.TaskEvents(ctx)
	if err != nil {
		t.Fatalf("TaskEvents: %v", err)
	}
	l := &eventLog{}
	go func() {
		for ev := range ch {
			l.mu.Lock()
			l.events = append(l.events, ev)
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *eventLog) snapshot() []*drivers.TaskEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*drivers.TaskEvent(nil), l.events...)
}

// scriptedExec is the alloc exec side of ExecTaskStreamingRaw: requests come from a channel, responses are
// recorded (copied: the client may reuse a message once Send returns).
type scriptedExec struct {
	requests chan *drivers.ExecTaskStreamingRequestMsg
	mu       sync.Mutex
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	trail    []string // "stdout", "stdout-close", "stderr", "stderr-close", "exited" in arrival order
	result   *drivers.ExitResult
	exits    int
}

func newScriptedExec() *scriptedExec {
	return &scriptedExec{requests: make(chan *drivers.ExecTaskStreamingRequestMsg, 16)}
}

func (s *scriptedExec) Recv() (*drivers.ExecTaskStreamingRequestMsg, error) {
	m, ok := <-s.requests
	if !ok {
		return nil, io.EOF
	}
	return m, nil
}

// take records one stream's part of a message (s.mu held): its data into buf, and both in the trail.
func (s *scriptedExec) take(stream string, op *proto.ExecTaskStreamingIOOperation, buf *bytes.Buffer) {
	if op == nil {
		return
	}
	if len(op.Data) > 0 {
		buf.Write(op.Data)
		s.trail = append(s.trail, stream)
	}
	if op.Close {
		s.trail = append(s.trail, stream+"-close")
	}
}

func (s *scriptedExec) Send(m *drivers.ExecTaskStreamingResponseMsg) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.take("stdout", m.Stdout, &s.stdout)
	s.take("stderr", m.Stderr, &s.stderr)
	if m.Exited {
		s.exits++
		s.trail = append(s.trail, "exited")
		if m.Result != nil {
			s.result = &drivers.ExitResult{ExitCode: int(m.Result.ExitCode), Signal: int(m.Result.Signal), OOMKilled: m.Result.OomKilled}
		}
	}
	return nil
}

func (s *scriptedExec) output() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String(), s.stderr.String()
}

// compactTrail collapses runs of data messages so the order of closes and exit is readable.
func (s *scriptedExec) compactTrail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, step := range s.trail {
		if len(out) > 0 && out[len(out)-1] == step && (step == "stdout" || step == "stderr") {
			continue
		}
		out = append(out, step)
	}
	return out
}
