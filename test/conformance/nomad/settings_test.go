// Job settings beyond the seed job, through Nomad v1.6.3's driver client: UDP and both-protocol ports (the pf
// rules pot would load, as the simulator records them), a task `user` (the command and exec run as that
// account of the jail; an account the jail lacks fails the start), the group's dns block and an alias jail.
package conformance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// settingsJob writes a one-task job running command with extra lines in its config block and task block.
func (e *simEnv) settingsJob(t *testing.T, task, command, configLines, taskLines string) string {
	t.Helper()
	return e.job(t, "settings", task, command, configLines, taskLines)
}

// rdrRules is what the simulator recorded for pot's pf anchor of potName (nil when the anchor is empty).
func (e *simEnv) rdrRules(potName string) []string {
	anchor := potName
	if len(anchor) > 55 {
		anchor = strings.TrimLeft(anchor[len(anchor)-55:], "_")
	}
	raw, err := os.ReadFile(filepath.Join(e.root, "pf", "pot-rdr", anchor))
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	sort.Strings(lines)
	return lines
}

// TestSettingsUDPPorts: port_map "53/tcp+udp" and "514/udp" next to the seed's "80": pot gets one export
// per protocol, the rules name the host ports Nomad allocated, Nomad learns the jail ports, stop flushes them.
func TestSettingsUDPPorts(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	job := env.settingsJob(t, "resolver", "nginx", `        network_mode = "public-bridge"
        port_map     = { http = "80", dns = "53/tcp+udp", syslog = "514/udp" }`, "")
	f := newTaskFixture(t, d.driver, job, func(alloc *structs.Allocation) {
		alloc.AllocatedResources.Shared.Ports = structs.AllocatedPorts{
			{Label: "http", Value: 23080, HostIP: "127.0.0.1"},
			{Label: "dns", Value: 23053, HostIP: "127.0.0.1"},
			{Label: "syslog", Value: 23514, HostIP: "127.0.0.1"},
		}
	})
	attachLogmon(t, f.config)
	_, net, err := d.driver.StartTask(f.config)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	id := f.config.ID
	pot := onlyClone(t, env)
	if net == nil || net.IP == "" {
		t.Fatalf("network override %+v, want the jail's address", net)
	}
	for label, port := range map[string]int{"http": 80, "dns": 53, "syslog": 514} {
		if net.PortMap[label] != port {
			t.Errorf("port_map[%s] = %d reported to Nomad, want %d (%+v)", label, net.PortMap[label], port, net.PortMap)
		}
	}
	want := []string{
		fmt.Sprintf("rdr pass on em0 proto tcp from any to (em0) port 23053 -> %s port 53", net.IP),
		fmt.Sprintf("rdr pass on em0 proto tcp from any to (em0) port 23080 -> %s port 80", net.IP),
		fmt.Sprintf("rdr pass on em0 proto udp from any to (em0) port 23053 -> %s port 53", net.IP),
		fmt.Sprintf("rdr pass on em0 proto udp from any to (em0) port 23514 -> %s port 514", net.IP),
	}
	if got := env.rdrRules(pot); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pf rules of pot %s:\n%s\nwant:\n%s", pot, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := d.driver.StopTask(id, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if got := env.rdrRules(pot); got != nil {
		t.Errorf("pf rules left after stop: %v", got)
	}
	destroyAndCheck(t, env, d.driver, id)
}

// TestSettingsUser: the job's `user = "www"` reaches the driver through Nomad's TaskConfig; the command runs
// as www (uid 80, www's groups, not root's), exec too; without user the same program reports root.
func TestSettingsUser(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))

	t.Run("www", func(t *testing.T) {
		st := startTask(t, d.driver, env.settingsJob(t, "asuser", "creds", `        network_mode = "host"`, `      user = "www"`))
		if st.f.config.User != "www" {
			t.Fatalf("TaskConfig.User = %q: the job's user did not reach the task config", st.f.config.User)
		}
		st.logs.await(t, "stdout", "creds: uid=80 gid=80 groups=80", 10*time.Second)
		res, err := d.driver.ExecTask(st.id(), []string{"sh", "-c", `echo "exec: uid=$POT_SIM_UID gid=$POT_SIM_GID groups=$POT_SIM_GROUPS"`}, 10*time.Second)
		if err != nil {
			t.Fatalf("ExecTask: %v", err)
		}
		if out := string(res.Stdout); !strings.Contains(out, "exec: uid=80 gid=80 groups=80\n") || res.ExitResult.ExitCode != 0 {
			t.Errorf("exec as the task's user printed %q (exit %d), want uid=80 gid=80 groups=80", out, res.ExitResult.ExitCode)
		}
		if err := d.driver.StopTask(st.id(), 5*time.Second, "SIGTERM"); err != nil {
			t.Fatalf("StopTask: %v", err)
		}
		destroyAndCheck(t, env, d.driver, st.id())
	})

	t.Run("root-without-user", func(t *testing.T) {
		st := startTask(t, d.driver, env.commandJob(t, "asroot", "creds"))
		st.logs.await(t, "stdout", "creds: uid=0 gid=0", 10*time.Second)
		if err := d.driver.StopTask(st.id(), 5*time.Second, "SIGTERM"); err != nil {
			t.Fatalf("StopTask: %v", err)
		}
		destroyAndCheck(t, env, d.driver, st.id())
	})

	t.Run("unknown-user", func(t *testing.T) {
		f := newTaskFixture(t, d.driver, env.settingsJob(t, "ghost", "creds", `        network_mode = "host"`, `      user = "ghost"`))
		attachLogmon(t, f.config)
		_, _, err := d.driver.StartTask(f.config)
		if err == nil {
			_ = d.driver.DestroyTask(f.config.ID, true)
			t.Fatalf("StartTask ran a task whose user the jail does not have")
		}
		if !strings.Contains(err.Error(), "task.user") || !strings.Contains(err.Error(), `"ghost"`) {
			t.Errorf("start error does not name task.user and the value: %v", err)
		}
		var rec *structs.RecoverableError
		if errors.As(err, &rec) && rec.IsRecoverable() {
			t.Errorf("a missing user is marked recoverable; the restart policy would retry it: %v", err)
		}
		if left := env.clones(t); len(left) != 0 {
			t.Errorf("pots left after the refused start: %v", left)
		}
		if _, err := d.driver.InspectTask(f.config.ID); err == nil {
			t.Errorf("the refused task is tracked")
		}
	})
}

// TestSettingsDNS: the group network's dns block, as the task runner puts it into TaskConfig.DNS, becomes the
// jail's resolv.conf (Nomad's client encodes it in the StartTask request's dns field).
func TestSettingsDNS(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	f := newTaskFixture(t, d.driver, env.settingsJob(t, "resolver", "stubborn", `        network_mode = "host"`, ""))
	f.config.DNS = &drivers.DNSConfig{Servers: []string{"192.0.2.53"}, Searches: []string{"service.consul"}, Options: []string{"ndots:2"}}
	attachLogmon(t, f.config)
	if _, _, err := d.driver.StartTask(f.config); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	id := f.config.ID
	res, err := d.driver.ExecTask(id, []string{"sh", "-c", `cat "$POT_SIM_JAIL_ROOT/etc/resolv.conf"`}, 10*time.Second)
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	out := string(res.Stdout)
	for _, line := range []string{"search service.consul\n", "nameserver 192.0.2.53\n", "options ndots:2\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("the jail's resolv.conf lacks %q:\n%s", line, out)
		}
	}
	if err := d.driver.StopTask(id, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	destroyAndCheck(t, env, d.driver, id)
}

// TestSettingsAlias: an alias jail reports the job's address to Nomad (DriverNetwork), so services get it.
func TestSettingsAlias(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	job := env.settingsJob(t, "aliased", "stubborn", `        network_mode = "alias"
        alias_ip     = "em0|192.0.2.10"
        port_map     = { http = "8080" }`, "")
	f := newTaskFixture(t, d.driver, job)
	attachLogmon(t, f.config)
	_, net, err := d.driver.StartTask(f.config)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	if net == nil || net.IP != "192.0.2.10" || net.PortMap["http"] != 8080 || !net.AutoAdvertise {
		t.Errorf("network override %+v, want IP 192.0.2.10, port_map http=8080, auto-advertised", net)
	}
	if err := d.driver.StopTask(f.config.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	destroyAndCheck(t, env, d.driver, f.config.ID)
}
