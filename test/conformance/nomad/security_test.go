// What a task can see of the node, through Nomad's own driver client and logmon (docs/security.md).
package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLifecycleTaskSeesNoAgentEnv: the agent's environment reaches the plugin (go-plugin passes os.Environ on,
// with its own NOMAD_PLUGIN_*/PLUGIN_* variables); the task's own `env`, as its command, must show none of it.
func TestLifecycleTaskSeesNoAgentEnv(t *testing.T) {
	env := requireSim(t)
	canary := fmt.Sprintf("canary-%d", time.Now().UnixNano())
	t.Setenv("POT_DRIVER_CANARY", canary)
	t.Setenv("NOMAD_TOKEN", canary)
	t.Setenv("VAULT_TOKEN", canary)
	d := dispenseDriver(t, env.pluginConfig(t))
	st := startTask(t, d.driver, env.commandJob(t, "envdump", "env"))
	exitIs(t, awaitExit(t, waitExit(t, d.driver, st.id()), 15*time.Second, "env"), 0, 0)
	st.logs.await(t, "stdout", "NOMAD_TASK_NAME=envdump", 5*time.Second)
	out := st.logs.read("stdout")
	if strings.Contains(out, canary) {
		t.Errorf("the task's environment holds the agent's canary:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		name := strings.SplitN(line, "=", 2)[0]
		if strings.HasPrefix(name, "NOMAD_PLUGIN_") || strings.HasPrefix(name, "PLUGIN_") {
			t.Errorf("the task sees go-plugin's variable %s", name)
		}
	}
	destroyAndCheck(t, env, d.driver, st.id())
}

// TestLifecycleLogFifoSymlinkRefused: a task replaces its stdout FIFO with a symlink to a host file (inside a
// real jail /alloc/logs is read-only; the simulator cannot stop the write, which stands for a task of another
// driver in the allocation). Restarted in the same allocation directory, the task is refused with the reason,
// and the host file is neither written nor read.
func TestLifecycleLogFifoSymlinkRefused(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	canary := filepath.Join(t.TempDir(), "canary")
	const canaryText = "host canary\n"
	if err := os.WriteFile(canary, []byte(canaryText), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `echo task-output; f="$POT_SIM_JAIL_ROOT/alloc/logs/$2"; rm -f "$f" && ln -s "$1" "$f"`
	fifo := ".web.stdout.fifo"
	st := startTask(t, d.driver, env.commandJob(t, "web", "sh", "-c", script, "sh", canary, fifo))
	if filepath.Base(st.f.config.StdoutPath) != fifo {
		t.Fatalf("Nomad's stdout FIFO is %s, not %s", st.f.config.StdoutPath, fifo)
	}
	exitIs(t, awaitExit(t, waitExit(t, d.driver, st.id()), 15*time.Second, "first run"), 0, 0)
	destroyAndCheck(t, env, d.driver, st.id())

	again := *st.f.config
	again.ID = strings.TrimSuffix(st.id(), st.id()[strings.LastIndex(st.id(), "/")+1:]) + "0badc0de"
	if _, _, err := d.driver.StartTask(&again); err != nil {
		t.Fatalf("StartTask (restart): %v", err)
	}
	r := awaitExit(t, waitExit(t, d.driver, again.ID), 15*time.Second, "restart")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "refused stdout destination") || !strings.Contains(r.Err.Error(), "it is a symlink") {
		t.Errorf("restart exit = {code %d err %v}, want the supervisor's refusal of the symlinked FIFO", r.ExitCode, r.Err)
	}
	if got, _ := os.ReadFile(canary); string(got) != canaryText {
		t.Errorf("the host file was written through the task's log path: %q", got)
	}
	destroyAndCheck(t, env, d.driver, again.ID)
}
