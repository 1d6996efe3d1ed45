// Driver service through Nomad v1.6.3's driver client: capabilities, fingerprint, the events stream, task RPCs without a task.
package conformance

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// firstFingerprintLimit bounds how long the first FingerprintResponse may take (Nomad waits up to 50 s
// for all drivers at start, but a driver should answer at once).
const firstFingerprintLimit = 5 * time.Second

func TestDriverCapabilities(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	caps, err := d.driver.Capabilities()
	if err != nil {
		t.Fatalf("Capabilities: %v", err)
	}
	if !caps.SendSignals {
		t.Errorf("send_signals = false, want true")
	}
	if !caps.Exec {
		t.Errorf("exec = false, want true")
	}
	if caps.FSIsolation != drivers.FSIsolationImage {
		t.Errorf("fs_isolation = %q, want %q", caps.FSIsolation, drivers.FSIsolationImage)
	}
	host := false
	for _, m := range caps.NetIsolationModes {
		host = host || m == drivers.NetIsolationModeHost
	}
	if !host {
		t.Errorf("network_isolation_modes %v lack %q (the default job network mode)", caps.NetIsolationModes, drivers.NetIsolationModeHost)
	}
	if caps.MustInitiateNetwork {
		t.Errorf("must_create_network = true: Nomad would call CreateNetwork/DestroyNetwork for every alloc")
	}
	t.Logf("capabilities: %+v", caps)
}

// TestDriverFingerprint: the first message arrives promptly with a description, and the stream stays open.
func TestDriverFingerprint(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	fp, ch := firstFingerprint(t, d.driver)
	if fp.HealthDescription == "" {
		t.Errorf("health %q with an empty description", fp.Health)
	}
	t.Logf("health %q: %s; attributes %v", fp.Health, fp.HealthDescription, fp.Attributes)
	// Over an observation window the stream may carry more messages but must neither end nor fail.
	staysOpen(t, ch, 2*time.Second, "fingerprint stream ended; Nomad would re-dispense in a tight loop", func(fp *drivers.Fingerprint) {
		if fp.Err != nil {
			t.Fatalf("fingerprint stream failed: %v", fp.Err)
		}
	})
}

// firstFingerprint opens the driver's fingerprint stream (closed when the test ends) and returns its first
// message, failing the test when that does not come within firstFingerprintLimit or is an error.
func firstFingerprint(t *testing.T, driver drivers.DriverPlugin) (*drivers.Fingerprint, <-chan *drivers.Fingerprint) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := driver.Fingerprint(ctx)
	if err != nil {
		t.Fatalf("Fingerprint: %v", err)
	}
	select {
	case fp, ok := <-ch:
		if !ok {
			t.Fatalf("fingerprint stream ended before the first message")
		}
		if fp.Err != nil {
			t.Fatalf("fingerprint error: %v", fp.Err)
		}
		return fp, ch
	case <-time.After(firstFingerprintLimit):
		t.Fatalf("no fingerprint within %v", firstFingerprintLimit)
	}
	return nil, nil
}

// staysOpen reads ch for the window and hands each message to each; the test fails when the stream ends
// (ended says why that matters).
func staysOpen[T any](t *testing.T, ch <-chan T, window time.Duration, ended string, each func(T)) {
	t.Helper()
	deadline := time.After(window)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal(ended)
			}
			each(m)
		case <-deadline:
			return
		}
	}
}

// TestDriverFingerprintHealthy: with a pot that answers `pot version -q` like pot 0.16.0 (the simulator when
// POT_SIM is set, else a script that only knows that subcommand) the driver is detected and healthy.
func TestDriverFingerprintHealthy(t *testing.T) {
	pot := os.Getenv("POT_SIM")
	if pot == "" {
		pot = filepath.Join(t.TempDir(), "pot")
		script := "#!/bin/sh\nif [ \"$1 $2\" = \"version -q\" ]; then echo 0.16.0; exit 0; fi\n" +
			"echo \"pot stub: only 'version -q' is known, got: $*\" >&2\nexit 1\n"
		if err := os.WriteFile(pot, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		pot = installSimPot(t, pot, t.TempDir())
	}
	d := dispenseDriver(t, pluginConfig(t, map[string]interface{}{"pot_path": pot}))
	fp, _ := firstFingerprint(t, d.driver)
	if fp.Health != drivers.HealthStateHealthy {
		t.Fatalf("health %q (%s), want healthy with a working pot", fp.Health, fp.HealthDescription)
	}
	if fp.HealthDescription != drivers.DriverHealthy {
		t.Errorf("description %q, want %q as Go drivers report", fp.HealthDescription, drivers.DriverHealthy)
	}
	if a, ok := fp.Attributes["driver.pot.version"]; !ok || a.GoString() == "" {
		t.Errorf("no driver.pot.version attribute: %v", fp.Attributes)
	}
}

// TestDriverTaskRPCs calls every task RPC for a task that never started. StartTask gets a config that passes
// validation and a pot that fails, so it must relay pot's own error; the RPCs about the never-started task must
// fail honestly (never a fake success), except StopTask and DestroyTask, which may succeed idempotently.
// None may answer Unimplemented: the lifecycle exists.
func TestDriverTaskRPCs(t *testing.T) {
	hostDir := t.TempDir()
	fillHostDir(t, hostDir)
	cfg := pluginConfig(t, map[string]interface{}{"pot_path": stubPot(t), "allowed_host_paths": []interface{}{hostDir}})
	d := dispenseDriver(t, cfg)
	f := newTaskFixture(t, d.driver, seedJobAt(t, "http://127.0.0.1:9/", hostDir))
	id := f.config.ID
	handle := &drivers.TaskHandle{Version: 1, Config: f.config, State: drivers.TaskStateRunning, DriverState: []byte("{}")}

	unary := map[string]func() error{
		"StartTask":   func() error { _, _, err := d.driver.StartTask(f.config); return err },
		"RecoverTask": func() error { return d.driver.RecoverTask(handle) },
		"StopTask":    func() error { return d.driver.StopTask(id, 5*time.Second, "SIGINT") },
		"DestroyTask": func() error { return d.driver.DestroyTask(id, true) },
		"InspectTask": func() error { _, err := d.driver.InspectTask(id); return err },
		"SignalTask":  func() error { return d.driver.SignalTask(id, "SIGHUP") },
		"ExecTask": func() error {
			_, err := d.driver.ExecTask(id, []string{"/bin/sh", "-c", "true"}, time.Second)
			return err
		},
		"WaitTask": func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ch, err := d.driver.WaitTask(ctx, id)
			if err != nil {
				return err
			}
			res := <-ch
			if res == nil {
				return nil
			}
			return res.Err
		},
		"ExecTaskStreaming": func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return d.driver.(drivers.ExecTaskStreamingRawDriver).ExecTaskStreamingRaw(ctx, id, []string{"/bin/sh"}, false, nopExecStream{ctx})
		},
		"CreateNetwork": func() error {
			_, _, err := d.driver.(drivers.DriverNetworkManager).CreateNetwork(f.alloc.ID, &drivers.NetworkCreateRequest{Hostname: "h"})
			return err
		},
		"DestroyNetwork": func() error {
			return d.driver.(drivers.DriverNetworkManager).DestroyNetwork(f.alloc.ID, &drivers.NetworkIsolationSpec{Mode: drivers.NetIsolationModeGroup, Path: "/var/run/netns/x"})
		},
	}
	// StartTask runs first: the others ask about the task it failed to start.
	names := []string{"StartTask"}
	for name := range unary {
		if name != "StartTask" {
			names = append(names, name)
		}
	}
	// must_create_network is false, so Nomad never calls the network RPCs; Unimplemented is their honest answer.
	networkRPC := map[string]bool{"CreateNetwork": true, "DestroyNetwork": true}
	idempotent := map[string]bool{"StopTask": true, "DestroyTask": true}
	for _, name := range names {
		call := unary[name]
		t.Run(name, func(t *testing.T) {
			err := call()
			switch {
			case networkRPC[name]:
				if err == nil {
					t.Errorf("%s succeeded, but the driver does not create networks", name)
				}
			case status.Code(err) == codes.Unimplemented:
				t.Fatalf("%s: %v (the lifecycle is implemented)", name, err)
			case name == "StartTask":
				if err == nil {
					t.Fatalf("StartTask succeeded although pot fails")
				}
				if !strings.Contains(err.Error(), "pot stub: not a real pot") {
					t.Errorf("StartTask error does not relay pot's own output: %v", err)
				}
			case idempotent[name]:
				t.Logf("%s of a task that never started: %v", name, err)
			case err == nil:
				t.Errorf("%s succeeded for a task that never started", name)
			default:
				t.Logf("%s: %v", name, err)
			}
		})
	}

	// TaskStats is a server stream: Nomad's client only logs its status, so read it on a raw connection.
	conn := rawConn(t, cfg)
	t.Run("TaskStats", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stream, err := proto.NewDriverClient(conn).TaskStats(ctx, &proto.TaskStatsRequest{TaskId: id, CollectionInterval: durationpb.New(time.Second)})
		if err == nil {
			_, err = stream.Recv()
		}
		// For a task that does not exist the stream may fail or end at once, but carries no sample.
		switch {
		case err == nil:
			t.Errorf("TaskStats sent a sample for a task that never started")
		case status.Code(err) == codes.Unimplemented:
			t.Errorf("TaskStats: %v (the lifecycle is implemented)", err)
		default:
			t.Logf("TaskStats: %v", err)
		}
	})
}

// TestDriverTaskEventsStream: TaskEvents is opened once per plugin instance and must stay open; ending it
// makes Nomad re-call it in a loop.
func TestDriverTaskEventsStream(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := d.driver.TaskEvents(ctx)
	if err != nil {
		t.Fatalf("TaskEvents: %v", err)
	}
	staysOpen(t, ch, 2*time.Second, "TaskEvents stream ended", func(ev *drivers.TaskEvent) {
		if ev.Err != nil {
			t.Fatalf("TaskEvents stream failed: %v", ev.Err)
		}
		t.Errorf("event for no task: %+v", ev)
	})
}

// TestDriverInitShutdown: the RPCs newer Nomad clients call (≥ 2.0.4) answer OK or Unimplemented, both of
// which Nomad accepts, and Shutdown does not end the process (Nomad kills it itself afterwards).
func TestDriverInitShutdown(t *testing.T) {
	conn := rawConn(t, pluginConfig(t, nil))
	for _, rpc := range []string{"Init", "Shutdown"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := conn.Invoke(ctx, "/hashicorp.nomad.plugins.drivers.proto.Driver/"+rpc, &emptypb.Empty{}, &emptypb.Empty{})
		cancel()
		if c := status.Code(err); c != codes.OK && c != codes.Unimplemented {
			t.Errorf("Driver/%s: %v (want OK or Unimplemented)", rpc, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := proto.NewDriverClient(conn).Capabilities(ctx, &proto.CapabilitiesRequest{}); err != nil {
		t.Errorf("plugin stopped serving after Driver/Shutdown: %v", err)
	}
}

// nopExecStream is a client side that sends nothing and discards output.
type nopExecStream struct{ ctx context.Context }

func (s nopExecStream) Send(*drivers.ExecTaskStreamingResponseMsg) error { return nil }
func (s nopExecStream) Recv() (*drivers.ExecTaskStreamingRequestMsg, error) {
	<-s.ctx.Done()
	return nil, io.EOF
}
