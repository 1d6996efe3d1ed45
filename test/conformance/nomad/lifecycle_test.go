// The task lifecycle against the pot simulator, driven through Nomad v1.6.3's own driver client and logmon.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	cstructs "github.com/hashicorp/nomad/client/structs"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"pot-task-driver/test/conformance/testkit"
)

// startedTask is a task StartTask accepted, with logmon reading its FIFOs.
type startedTask struct {
	f      *taskFixture
	handle *drivers.TaskHandle
	net    *drivers.DriverNetwork
	logs   *taskLogs
}

func (s *startedTask) id() string { return s.f.config.ID }

// startTask builds the task runner's view of job's task, attaches logmon and starts the task on d; the handle
// must be what Nomad needs to recover it later.
func startTask(t *testing.T, d drivers.DriverPlugin, job string) *startedTask {
	t.Helper()
	f := newTaskFixture(t, d, job)
	logs := attachLogmon(t, f.config)
	handle, net, err := d.StartTask(f.config)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
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
	return &startedTask{f: f, handle: handle, net: net, logs: logs}
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

// awaitExit reads WaitTask's result, failing the test when none arrives within limit.
func awaitExit(t *testing.T, ch <-chan *drivers.ExitResult, limit time.Duration, what string) *drivers.ExitResult {
	t.Helper()
	select {
	case r := <-ch:
		if r == nil {
			t.Fatalf("WaitTask (%s) closed without a result", what)
		}
		return r
	case <-time.After(limit):
		t.Fatalf("WaitTask (%s) did not resolve within %v", what, limit)
	}
	return nil
}

// exitIs fails unless r is exactly the given exit (no error).
func exitIs(t *testing.T, r *drivers.ExitResult, code, signal int) {
	t.Helper()
	if r.Err != nil || r.ExitCode != code || r.Signal != signal || r.OOMKilled {
		t.Errorf("exit = {code %d signal %d oom %v err %v}, want {code %d signal %d}", r.ExitCode, r.Signal, r.OOMKilled, r.Err, code, signal)
	}
}

// destroyAndCheck destroys the task as Nomad does after its exit and checks that no pot is left.
func destroyAndCheck(t *testing.T, env *simEnv, d drivers.DriverPlugin, id string) {
	t.Helper()
	if err := d.DestroyTask(id, true); err != nil {
		t.Errorf("DestroyTask(force): %v", err)
	}
	if left := env.clones(t); len(left) != 0 {
		t.Errorf("pots left in $POT_SIM_ROOT/jails after DestroyTask: %v", left)
	}
	if _, err := d.InspectTask(id); err == nil {
		t.Errorf("InspectTask after DestroyTask succeeded: the driver still tracks the task")
	}
}

// onlyClone returns the one task pot the simulator holds.
func onlyClone(t *testing.T, env *simEnv) string {
	t.Helper()
	pots := env.clones(t)
	if len(pots) != 1 {
		t.Fatalf("want exactly one task pot in $POT_SIM_ROOT/jails, have %v", pots)
	}
	return pots[0]
}

// TestLifecycleSeedJob: the seed job end to end — start, logs through logmon, events, inspect, stats, signal,
// exec, exec streaming (tty and plain), stop, wait, destroy.
func TestLifecycleSeedJob(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	events := collectEvents(t, d.driver)
	began := time.Now()
	st := startTask(t, d.driver, env.seedJob(t))
	id := st.id()
	pot := onlyClone(t, env)
	// The jail is up (pot start may still be writing "started" while the command begins).
	if s := env.potStatus(pot); s != "started" && s != "starting" {
		t.Errorf("pot %s is %q once StartTask returned, want it started", pot, s)
	}
	if st.net == nil || st.net.IP == "" || st.net.PortMap["http"] != 80 {
		t.Errorf("network override %+v, want the jail's address with port_map http=80", st.net)
	}
	exited := waitExit(t, d.driver, id)

	t.Run("logs", func(t *testing.T) {
		st.logs.await(t, "stdout", "nginx starting: -g daemon off;", 10*time.Second)
		st.logs.await(t, "stderr", "nginx stderr line", 10*time.Second)
		if strings.Contains(st.logs.read("stdout"), "nginx stderr line") {
			t.Errorf("stderr output reached the stdout FIFO")
		}
	})

	t.Run("events", func(t *testing.T) {
		want := []string{"Preparing pot", "Starting pot"}
		var got []*drivers.TaskEvent
		testkit.WaitFor(5*time.Second, func() bool {
			got = events.snapshot()
			return len(got) >= len(want)
		})
		var seen []string
		for _, ev := range got {
			seen = append(seen, ev.Message)
			if ev.AllocID != st.f.alloc.ID || ev.TaskName != st.f.task.Name {
				t.Errorf("event %q routed to alloc %q task %q, want %q %q (Nomad routes by these)", ev.Message, ev.AllocID, ev.TaskName, st.f.alloc.ID, st.f.task.Name)
			}
			if ev.Timestamp.Before(began.Add(-time.Second)) || ev.Timestamp.After(time.Now().Add(time.Second)) {
				t.Errorf("event %q has timestamp %v, outside the start (%v…now)", ev.Message, ev.Timestamp, began)
			}
		}
		next := 0
		for _, ev := range got {
			if next < len(want) && strings.HasPrefix(ev.Message, want[next]) && strings.Contains(ev.Message, pot) {
				next++
			}
		}
		t.Logf("events: %q", seen)
		if next < len(want) {
			t.Errorf("TaskEvents carried %q; want, in order, messages starting %q naming pot %s", seen, want, pot)
		}
	})

	t.Run("inspect", func(t *testing.T) {
		s, err := d.driver.InspectTask(id)
		if err != nil {
			t.Fatalf("InspectTask: %v", err)
		}
		if s.ID != id || s.Name != st.f.task.Name || s.State != drivers.TaskStateRunning {
			t.Errorf("InspectTask = id %q name %q state %q, want %q %q running", s.ID, s.Name, s.State, id, st.f.task.Name)
		}
		if s.StartedAt.Before(began.Add(-time.Second)) || s.StartedAt.After(time.Now()) {
			t.Errorf("started_at %v, outside the start", s.StartedAt)
		}
	})

	// A stats stream stays open across the stop below: it must end once the task has exited.
	statsCtx, stopStats := context.WithCancel(context.Background())
	defer stopStats()
	stats, err := d.driver.TaskStats(statsCtx, id, 500*time.Millisecond)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	t.Run("stats", func(t *testing.T) {
		var last int64
		for i := 0; i < 3; i++ {
			select {
			case s, ok := <-stats:
				if !ok {
					t.Fatalf("TaskStats stream ended after %d samples while the task runs", i)
				}
				if s.Timestamp <= last || time.Since(time.Unix(0, s.Timestamp)) > 5*time.Second {
					t.Errorf("sample %d timestamp %v: not after the previous one or not recent", i, time.Unix(0, s.Timestamp))
				}
				last = s.Timestamp
				if s.ResourceUsage == nil || s.ResourceUsage.MemoryStats == nil || s.ResourceUsage.CpuStats == nil {
					t.Fatalf("sample %d without memory/cpu usage: %+v", i, s)
				}
				mem := s.ResourceUsage.MemoryStats
				if mem.RSS == 0 || !contains(mem.Measured, "RSS") {
					t.Errorf("sample %d: RSS %d measured %v, want a nonzero measured RSS", i, mem.RSS, mem.Measured)
				}
				t.Logf("sample %d: rss %d B, cpu %.2f%% %.1f ticks, measured %v/%v", i, mem.RSS, s.ResourceUsage.CpuStats.Percent, s.ResourceUsage.CpuStats.TotalTicks, mem.Measured, s.ResourceUsage.CpuStats.Measured)
			case <-time.After(5 * time.Second):
				t.Fatalf("no TaskStats sample %d within 5 s at a 500 ms interval", i)
			}
		}
	})

	t.Run("signal", func(t *testing.T) {
		if err := d.driver.SignalTask(id, "SIGHUP"); err != nil {
			t.Fatalf("SignalTask(SIGHUP): %v", err)
		}
		st.logs.await(t, "stdout", "nginx reloading", 10*time.Second)
	})

	t.Run("exec", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(env.hostDir, "test", "mounted.txt"), []byte("through the mount\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		script := `cat "$POT_SIM_JAIL_ROOT/usr/local/www/nginx-dist/index.html" "$POT_SIM_JAIL_ROOT/root/test/mounted.txt"; ` +
			`echo "alloc=$NOMAD_ALLOC_ID"; echo to-stderr >&2; exit 4`
		res, err := d.driver.ExecTask(id, []string{"sh", "-c", script}, 10*time.Second)
		if err != nil {
			t.Fatalf("ExecTask: %v", err)
		}
		if res.ExitResult == nil || res.ExitResult.ExitCode != 4 {
			t.Errorf("ExecTask exit %+v, want code 4 (script checks read it)", res.ExitResult)
		}
		out := string(res.Stdout)
		for _, want := range []string{"<h1>conformance host page</h1>", "through the mount", "alloc=" + st.f.alloc.ID} {
			if !strings.Contains(out, want) {
				t.Errorf("ExecTask stdout %q lacks %q", out, want)
			}
		}
		if strings.TrimSpace(string(res.Stderr)) != "to-stderr" {
			t.Errorf("ExecTask stderr %q, want to-stderr", res.Stderr)
		}
	})

	t.Run("exec-timeout", func(t *testing.T) {
		// A script check's timeout: ExecTask fails, and the command does not outlive it.
		pidFile := filepath.Join(env.hostDir, "exec-timeout.pid")
		start := time.Now()
		res, err := d.driver.ExecTask(id, []string{"sh", "-c", `echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 300`, pidFile}, time.Second)
		took := time.Since(start)
		if err == nil {
			t.Errorf("ExecTask past its 1 s timeout succeeded: %+v", res.ExitResult)
		}
		if took > 8*time.Second {
			t.Errorf("ExecTask with a 1 s timeout took %v", took)
		}
		pid := readPid(t, pidFile, time.Second)
		if !testkit.WaitFor(5*time.Second, func() bool { return !processAlive(pid) }) {
			t.Errorf("the timed-out command (pid %d) still runs", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Logf("ExecTask timed out after %v: %v", took, err)
	})

	t.Run("exec-streaming-tty", func(t *testing.T) {
		// What `nomad alloc exec -i -t` sends after the setup: the terminal size, a heartbeat, then keystrokes.
		s := newScriptedExec()
		s.requests <- &drivers.ExecTaskStreamingRequestMsg{TtySize: &proto.ExecTaskStreamingRequest_TerminalSize{Height: 40, Width: 100}}
		s.requests <- &drivers.ExecTaskStreamingRequestMsg{}
		s.requests <- &drivers.ExecTaskStreamingRequestMsg{Stdin: &proto.ExecTaskStreamingIOOperation{Data: []byte("hello\n")}}
		script := `test -t 0 && test -t 1 && echo is-a-tty; read line; echo "size=$(stty size)"; echo "got:$line"; exit 5`
		err := runExecStream(t, d.driver, id, []string{"sh", "-c", script}, true, s)
		if err != nil {
			t.Fatalf("ExecTaskStreamingRaw: %v", err)
		}
		out, _ := s.output()
		t.Logf("terminal output %q, messages %v", out, s.compactTrail())
		for _, want := range []string{"is-a-tty", "size=40 100", "got:hello"} {
			if !strings.Contains(out, want) {
				t.Errorf("terminal output %q lacks %q", out, want)
			}
		}
		checkExecEnd(t, s, 5)
	})

	t.Run("exec-streaming-plain", func(t *testing.T) {
		// `nomad alloc exec -i -t=false`: stdin data, then stdin close when the local input ends.
		s := newScriptedExec()
		s.requests <- &drivers.ExecTaskStreamingRequestMsg{Stdin: &proto.ExecTaskStreamingIOOperation{Data: []byte("line one\n")}}
		s.requests <- &drivers.ExecTaskStreamingRequestMsg{Stdin: &proto.ExecTaskStreamingIOOperation{Close: true}}
		err := runExecStream(t, d.driver, id, []string{"sh", "-c", `cat; echo to-stderr >&2; exit 3`}, false, s)
		if err != nil {
			t.Fatalf("ExecTaskStreamingRaw: %v", err)
		}
		out, errOut := s.output()
		if out != "line one\n" || errOut != "to-stderr\n" {
			t.Errorf("stdout %q stderr %q, want \"line one\\n\" and \"to-stderr\\n\"", out, errOut)
		}
		checkExecEnd(t, s, 3)
	})

	for _, tty := range []bool{false, true} {
		t.Run(fmt.Sprintf("exec-streaming-cancelled-tty-%v", tty), func(t *testing.T) {
			// The user's `nomad alloc exec` goes away: Nomad cancels the call, and the command must not outlive it.
			pidFile := filepath.Join(env.hostDir, fmt.Sprintf("exec-%v.pid", tty))
			raw := d.driver.(drivers.ExecTaskStreamingRawDriver)
			s := newScriptedExec()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- raw.ExecTaskStreamingRaw(ctx, id, []string{"sh", "-c", `echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 300`, pidFile}, tty, s)
			}()
			pid := readPid(t, pidFile, 10*time.Second)
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ExecTaskStreamingRaw did not return within 10 s of its context being cancelled")
			}
			close(s.requests)
			if !testkit.WaitFor(5*time.Second, func() bool { return !processAlive(pid) }) {
				t.Errorf("the exec'd command (pid %d) still runs 5 s after the exec call was cancelled", pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}

	t.Run("destroy-running-refused", func(t *testing.T) {
		if err := d.driver.DestroyTask(id, false); err == nil {
			t.Errorf("DestroyTask(force=false) of a running task succeeded")
		}
		if s := env.potStatus(pot); s != "started" {
			t.Errorf("pot is %q after a refused destroy", s)
		}
	})

	t.Run("stop", func(t *testing.T) {
		start := time.Now()
		// A long kill timeout: a driver that waited it out instead of seeing the exit would show.
		if err := d.driver.StopTask(id, 20*time.Second, "SIGTERM"); err != nil {
			t.Fatalf("StopTask: %v", err)
		}
		took := time.Since(start)
		r := awaitExit(t, exited, 5*time.Second, "after StopTask")
		exitIs(t, r, 0, 0)
		st.logs.await(t, "stdout", "nginx stopping", 5*time.Second)
		if took > 10*time.Second {
			t.Errorf("StopTask took %v for a task that exits on SIGTERM at once", took)
		}
		// WaitTask answers again, at once, after the exit.
		again := awaitExit(t, waitExit(t, d.driver, id), 2*time.Second, "after the exit")
		exitIs(t, again, 0, 0)
		if err := d.driver.StopTask(id, time.Second, "SIGTERM"); err != nil {
			t.Errorf("StopTask of an exited task: %v (Nomad retries it with backoff)", err)
		}
		s, err := d.driver.InspectTask(id)
		if err != nil || s.State != drivers.TaskStateExited || s.ExitResult == nil || s.ExitResult.ExitCode != 0 {
			t.Errorf("InspectTask after exit = %+v, %v; want exited with code 0", s, err)
		}
		select {
		case _, ok := <-drain(stats):
			if ok {
				t.Errorf("TaskStats stream still sending after the task exited")
			}
		case <-time.After(5 * time.Second):
			t.Errorf("TaskStats stream still open 5 s after the task exited")
		}
	})

	destroyAndCheck(t, env, d.driver, id)
	if err := d.driver.DestroyTask(id, true); err != nil {
		t.Logf("second DestroyTask: %v (Nomad ignores destroy errors)", err)
	}
}

// drain discards buffered samples and reports the stream's end (a closed channel) or a fresh sample.
func drain(ch <-chan *cstructs.TaskResourceUsage) <-chan *cstructs.TaskResourceUsage {
	out := make(chan *cstructs.TaskResourceUsage, 1)
	go func() {
		deadline := time.After(5 * time.Second)
		stale := time.Now().Add(time.Second)
		for {
			select {
			case s, ok := <-ch:
				if !ok {
					close(out)
					return
				}
				if time.Unix(0, s.Timestamp).After(stale) {
					out <- s
					return
				}
			case <-deadline:
				return
			}
		}
	}()
	return out
}

// runExecStream runs ExecTaskStreamingRaw as the client's alloc exec endpoint does and returns its error.
func runExecStream(t *testing.T, d drivers.DriverPlugin, id string, cmd []string, tty bool, s *scriptedExec) error {
	t.Helper()
	raw, ok := d.(drivers.ExecTaskStreamingRawDriver)
	if !ok {
		t.Fatalf("the driver client is not an ExecTaskStreamingRawDriver")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- raw.ExecTaskStreamingRaw(ctx, id, cmd, tty, s) }()
	select {
	case err := <-done:
		close(s.requests)
		return err
	case <-time.After(15 * time.Second):
		out, errOut := s.output()
		t.Fatalf("exec stream did not end within 15 s; stdout %q stderr %q trail %v", out, errOut, s.compactTrail())
	}
	return nil
}

// checkExecEnd: the stream ended with one exited message carrying the exit code, after the output closes.
func checkExecEnd(t *testing.T, s *scriptedExec, code int) {
	t.Helper()
	trail := s.compactTrail()
	s.mu.Lock()
	result, exits := s.result, s.exits
	s.mu.Unlock()
	if exits != 1 || len(trail) == 0 || trail[len(trail)-1] != "exited" {
		t.Errorf("message trail %v: want exactly one exited message, last", trail)
	}
	if result == nil || result.ExitCode != code {
		t.Errorf("exited result %+v, want exit code %d (`nomad alloc exec` exits with it)", result, code)
	}
	if !contains(trail, "stdout-close") {
		t.Errorf("message trail %v: no stdout close before the exit", trail)
	}
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

// TestLifecycleExitCodes: batch tasks report their exit code exactly, and a task killed by a signal reports it.
func TestLifecycleExitCodes(t *testing.T) {
	for _, code := range []int{0, 3} {
		t.Run(fmt.Sprintf("finish-%d", code), func(t *testing.T) {
			env := requireSim(t)
			d := dispenseDriver(t, env.pluginConfig(t))
			st := startTask(t, d.driver, env.commandJob(t, "batch", "finish", fmt.Sprint(code)))
			exitIs(t, awaitExit(t, waitExit(t, d.driver, st.id()), 15*time.Second, "batch"), code, 0)
			st.logs.await(t, "stdout", fmt.Sprintf("finishing with %d", code), 5*time.Second)
			destroyAndCheck(t, env, d.driver, st.id())
		})
	}
	t.Run("killed-by-signal", func(t *testing.T) {
		env := requireSim(t)
		d := dispenseDriver(t, env.pluginConfig(t))
		st := startTask(t, d.driver, env.commandJob(t, "killed", "stubborn"))
		st.logs.await(t, "stdout", "ready", 10*time.Second)
		exited := waitExit(t, d.driver, st.id())
		if err := d.driver.SignalTask(st.id(), "SIGKILL"); err != nil {
			t.Fatalf("SignalTask(SIGKILL): %v", err)
		}
		r := awaitExit(t, exited, 15*time.Second, "after SIGKILL")
		if r.Err != nil || r.Signal != int(syscall.SIGKILL) || r.Successful() {
			t.Errorf("exit = {code %d signal %d err %v}, want signal 9 and not successful", r.ExitCode, r.Signal, r.Err)
		}
		t.Logf("killed by SIGKILL: exit code %d signal %d", r.ExitCode, r.Signal)
		destroyAndCheck(t, env, d.driver, st.id())
	})
}

// TestLifecycleStopIgnoredSignal: StopTask with the job's kill_signal and kill_timeout on tasks that ignore
// the signal: the signal is delivered, the timeout is waited out, then the task is ended and WaitTask resolves.
func TestLifecycleStopIgnoredSignal(t *testing.T) {
	cases := []struct {
		name, program string
		timeout       time.Duration
		// bound is the longest StopTask may take: the kill timeout, plus pot stop's own grace for a task that
		// also ignores SIGTERM (pot's stop_timeout, 10 s, as the README documents), plus slack.
		bound time.Duration
		lines []string
	}{
		{"ignores-SIGINT", "stubborn", 2 * time.Second, 2*time.Second + 8*time.Second, []string{"stubborn: ignoring SIGINT"}},
		{"ignores-SIGINT-and-SIGTERM", "immortal", 1 * time.Second, 1*time.Second + 10*time.Second + 8*time.Second, []string{"immortal: ignoring SIGINT", "immortal: ignoring SIGTERM"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := requireSim(t)
			d := dispenseDriver(t, env.pluginConfig(t))
			st := startTask(t, d.driver, env.commandJob(t, c.program, c.program))
			st.logs.await(t, "stdout", "ready", 10*time.Second)
			exited := waitExit(t, d.driver, st.id())
			start := time.Now()
			if err := d.driver.StopTask(st.id(), c.timeout, "SIGINT"); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			took := time.Since(start)
			t.Logf("StopTask(%v, SIGINT) took %v", c.timeout, took)
			if took < c.timeout {
				t.Errorf("StopTask returned after %v, before the %v kill timeout ran out", took, c.timeout)
			}
			if took > c.bound {
				t.Errorf("StopTask took %v, more than %v", took, c.bound)
			}
			r := awaitExit(t, exited, 2*time.Second, "after StopTask returned")
			if r.Err != nil || r.Successful() {
				t.Errorf("exit = {code %d signal %d err %v}, want a known, unsuccessful exit", r.ExitCode, r.Signal, r.Err)
			}
			t.Logf("exit code %d signal %d", r.ExitCode, r.Signal)
			for _, line := range c.lines {
				if !strings.Contains(st.logs.read("stdout"), line) {
					t.Errorf("stdout lacks %q: the signal was not delivered; it holds %q", line, st.logs.read("stdout"))
				}
			}
			destroyAndCheck(t, env, d.driver, st.id())
		})
	}
}

// TestLifecycleRecoverAfterPluginKill: SIGKILL the plugin while a task runs; go-plugin sees the exit at once,
// a fresh plugin process recovers the task from Nomad's handle — as stored, and as an agent restart returns it
// without the driver config — and the task's later exit is reported exactly, with its logs still flowing.
func TestLifecycleRecoverAfterPluginKill(t *testing.T) {
	cases := []struct {
		name string
		// stripConfig recovers with the handle an agent restart yields; exitWhileDown ends the task before the
		// new plugin process exists.
		stripConfig, exitWhileDown bool
		code                       int
	}{
		{"handle-as-returned", false, false, 7},
		{"handle-after-agent-restart", true, false, 9},
		{"exited-while-plugin-down", true, true, 42},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := requireSim(t)
			cfg := env.pluginConfig(t)
			d1 := dispenseDriver(t, cfg)
			flag := filepath.Join(env.hostDir, "exit-code")
			st := startTask(t, d1.driver, env.commandJob(t, "survivor", "wait-for", flag))
			st.logs.await(t, "stdout", "waiting", 10*time.Second)
			pot := onlyClone(t, env)

			rc, ok := d1.instance.ReattachConfig()
			if !ok || rc == nil {
				t.Fatalf("no reattach config")
			}
			if err := syscall.Kill(rc.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if !testkit.WaitFor(2*time.Second, d1.instance.Exited) {
				t.Fatalf("go-plugin still sees the SIGKILLed plugin (pid %d) running after 2 s: a task process holds its stdout/stderr", rc.Pid)
			}
			if s := env.potStatus(pot); s != "started" {
				t.Fatalf("pot %s is %q after the plugin was killed; the task must outlive it", pot, s)
			}
			if c.exitWhileDown {
				writeExitCode(t, flag, c.code)
				if !testkit.WaitFor(15*time.Second, func() bool { return env.potStatus(pot) == "stopped" }) {
					t.Fatalf("pot %s is %q 15 s after its command was told to exit", pot, env.potStatus(pot))
				}
			}

			handle := st.handle
			if c.stripConfig {
				handle = withoutDriverConfig(t, st.handle)
			}
			d2 := dispenseDriver(t, cfg)
			if err := d2.driver.RecoverTask(handle); err != nil {
				t.Fatalf("RecoverTask in a fresh plugin process: %v", err)
			}
			if err := d2.driver.RecoverTask(handle); err != nil {
				t.Errorf("second RecoverTask (already tracked) failed: %v", err)
			}
			s, err := d2.driver.InspectTask(st.id())
			if err != nil {
				t.Fatalf("InspectTask of the recovered task: %v", err)
			}
			if !c.exitWhileDown {
				if s.State != drivers.TaskStateRunning {
					t.Fatalf("recovered task is %q, want running", s.State)
				}
				res, err := d2.driver.ExecTask(st.id(), []string{"sh", "-c", `echo "recovered $NOMAD_ALLOC_ID"`}, 10*time.Second)
				if err != nil || res.ExitResult == nil || res.ExitResult.ExitCode != 0 || !strings.Contains(string(res.Stdout), "recovered "+st.f.alloc.ID) {
					t.Errorf("ExecTask in the recovered task: %+v, %v", res, err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				stats, err := d2.driver.TaskStats(ctx, st.id(), 500*time.Millisecond)
				if err != nil {
					t.Errorf("TaskStats of the recovered task: %v", err)
				} else {
					select {
					case u, ok := <-stats:
						if !ok || u.ResourceUsage == nil || u.ResourceUsage.MemoryStats == nil || u.ResourceUsage.MemoryStats.RSS == 0 {
							t.Errorf("recovered task's stats sample %+v (open %v), want a nonzero RSS", u, ok)
						}
					case <-time.After(5 * time.Second):
						t.Errorf("no stats sample for the recovered task within 5 s")
					}
				}
				cancel()
			}

			exited := waitExit(t, d2.driver, st.id())
			if !c.exitWhileDown {
				writeExitCode(t, flag, c.code)
			}
			exitIs(t, awaitExit(t, exited, 15*time.Second, "recovered task"), c.code, 0)
			// Written after the plugin died: the task kept its own hold on logmon's FIFO.
			st.logs.await(t, "stdout", fmt.Sprintf("wait-for: exiting with %d", c.code), 5*time.Second)
			destroyAndCheck(t, env, d2.driver, st.id())
		})
	}
}

// writeExitCode tells the wait-for task to exit with code (rename makes the file appear complete).
func writeExitCode(t *testing.T, flag string, code int) {
	t.Helper()
	tmp := flag + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprint(code)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, flag); err != nil {
		t.Fatal(err)
	}
}

// TestLifecycleBadConfigFails: copy/mount sources outside allowed_host_paths fail StartTask before pot is
// run, with an unrecoverable error that names the field. Needs no simulator: the stub pot fails if called.
func TestLifecycleBadConfigFails(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, map[string]interface{}{"pot_path": stubPot(t)}))
	f := newTaskFixture(t, d.driver, filepath.Join("testdata", "seed.nomad.hcl"))
	_, _, err := d.driver.StartTask(f.config)
	if err == nil {
		_ = d.driver.DestroyTask(f.config.ID, true)
		t.Fatalf("StartTask accepted copy/mount sources outside allowed_host_paths")
	}
	if status.Code(err) == codes.Unimplemented {
		t.Fatalf("StartTask is unimplemented: %v", err)
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
	var before, after map[string]interface{}
	if err := h.Config.DecodeDriverConfig(&before); err != nil || len(before) == 0 {
		t.Fatalf("the handle StartTask returned carries no driver config (%v): %v", before, err)
	}
	if err := cfg.DecodeDriverConfig(&after); err == nil && len(after) > 0 {
		t.Fatalf("the stripped handle still carries a driver config: %v", after)
	}
	out := h.Copy()
	out.Config = &cfg
	return out
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may itself contain spaces.
	stat := string(raw)
	end := strings.LastIndexByte(stat, ')')
	return end >= 0 && end+2 < len(stat) && stat[end+2] != 'Z'
}

// readPid waits for a pid file written by a command in the task and returns the pid.
func readPid(t *testing.T, path string, limit time.Duration) int {
	t.Helper()
	var pid int
	if !testkit.WaitFor(limit, func() bool {
		raw, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(raw), &pid)
		return err == nil && pid > 0
	}) {
		t.Fatalf("the command never wrote its pid to %s", path)
	}
	return pid
}

// TestLifecycleDestroyRunning: DestroyTask with force on a running task (what Nomad does after a failed
// recovery) ends the task and leaves no pot.
func TestLifecycleDestroyRunning(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	st := startTask(t, d.driver, env.commandJob(t, "doomed", "stubborn"))
	st.logs.await(t, "stdout", "ready", 10*time.Second)
	pot := onlyClone(t, env)
	raw, err := os.ReadFile(filepath.Join(env.root, "tmp", "pot_main_pid_"+pot))
	if err != nil {
		t.Fatalf("the simulator recorded no main pid for %s: %v", pot, err)
	}
	var main int
	if _, err := fmt.Sscan(string(raw), &main); err != nil || !processAlive(main) {
		t.Fatalf("main pid %q of %s is not a live process", raw, pot)
	}
	destroyAndCheck(t, env, d.driver, st.id())
	if !testkit.WaitFor(5*time.Second, func() bool { return !processAlive(main) }) {
		t.Errorf("the task's main process (pid %d) still runs after DestroyTask", main)
	}
}

// TestLifecycleReattachAfterAgentCrash: the agent dies but the plugin lives on; the restarted agent reattaches
// to the same plugin process (no SetConfig) and recovers the task with its stored handle.
func TestLifecycleReattachAfterAgentCrash(t *testing.T) {
	env := requireSim(t)
	d1 := dispenseDriver(t, env.pluginConfig(t))
	flag := filepath.Join(env.hostDir, "exit-code")
	st := startTask(t, d1.driver, env.commandJob(t, "survivor", "wait-for", flag))
	st.logs.await(t, "stdout", "waiting", 10*time.Second)
	rc, ok := d1.instance.ReattachConfig()
	if !ok || rc == nil {
		t.Fatalf("no reattach config")
	}

	l, err := newLoader(t, env.pluginConfig(t))
	if err != nil {
		t.Fatalf("plugin loader: %v", err)
	}
	inst, err := l.Reattach(driverName, base.PluginTypeDriver, rc)
	if err != nil {
		t.Fatalf("Reattach to the running plugin (pid %d): %v", rc.Pid, err)
	}
	t.Cleanup(inst.Kill)
	d2, ok := inst.Plugin().(drivers.DriverPlugin)
	if !ok {
		t.Fatalf("reattached plugin is %T, not drivers.DriverPlugin", inst.Plugin())
	}
	if err := d2.RecoverTask(withoutDriverConfig(t, st.handle)); err != nil {
		t.Fatalf("RecoverTask on the reattached plugin: %v", err)
	}
	exited := waitExit(t, d2, st.id())
	writeExitCode(t, flag, 5)
	exitIs(t, awaitExit(t, exited, 15*time.Second, "after reattach"), 5, 0)
	destroyAndCheck(t, env, d2, st.id())
}

// TestLifecycleStartFailureLeavesNothing: an image the registry does not have fails StartTask with pot's
// complaint, creates no pot, and says so in a task event.
func TestLifecycleStartFailureLeavesNothing(t *testing.T) {
	env := requireSim(t)
	d := dispenseDriver(t, env.pluginConfig(t))
	events := collectEvents(t, d.driver)
	path := env.commandJob(t, "missing", "nginx")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(string(raw), hclString(imagePot), hclString("no-such-image"), 1)
	if job == string(raw) {
		t.Fatalf("commandJob's output no longer names the image pot as this test expects")
	}
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newTaskFixture(t, d.driver, path)
	attachLogmon(t, f.config)
	_, _, err = d.driver.StartTask(f.config)
	if err == nil {
		t.Fatalf("StartTask succeeded with an image the registry does not have")
	}
	if !strings.Contains(err.Error(), "prepare") || !strings.Contains(err.Error(), "no-such-image") {
		t.Errorf("start error does not carry pot prepare's failure for the image: %v", err)
	}
	var rec *structs.RecoverableError
	t.Logf("start error (recoverable detail %v): %v", errors.As(err, &rec) && rec.IsRecoverable(), err)
	if left := env.clones(t); len(left) != 0 {
		t.Errorf("a failed StartTask left pots behind: %v", left)
	}
	if !testkit.WaitFor(5*time.Second, func() bool {
		for _, ev := range events.snapshot() {
			if ev.AllocID == f.alloc.ID && ev.TaskName == f.task.Name && strings.HasPrefix(ev.Message, "Failed to start") {
				return true
			}
		}
		return false
	}) {
		var seen []string
		for _, ev := range events.snapshot() {
			seen = append(seen, ev.Message)
		}
		t.Errorf("no \"Failed to start\" task event; events: %q", seen)
	}
}
