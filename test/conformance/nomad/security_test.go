// What a task can see of the node, through Nomad's own driver client and logmon (docs/security.md).
package conformance

import (
	"fmt"
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
