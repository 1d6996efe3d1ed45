// Task config as a Nomad v1.6.3 client builds it: jobspec2 → task env → HCL-JSON decode with our schema → cty msgpack.
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/nomad/client/allocdir"
	"github.com/hashicorp/nomad/client/taskenv"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/hashicorp/nomad/jobspec2"
	"github.com/hashicorp/nomad/nomad/mock"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// taskFixture is one task of one allocation with everything the task runner derives before StartTask.
type taskFixture struct {
	alloc   *structs.Allocation
	task    *structs.Task
	taskDir *allocdir.TaskDir
	env     *taskenv.TaskEnv
	// value is the decoded config; msgpack is what StartTask carries in msgpack_driver_config.
	value   cty.Value
	msgpack []byte
	config  *drivers.TaskConfig
}

// parseJobTask parses a job file with jobspec2 (as `nomad job run` does) and returns its only task.
func parseJobTask(t testing.TB, path string) *api.Task {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	job, err := jobspec2.ParseWithConfig(&jobspec2.ParseConfig{Path: path, Body: body, Strict: true})
	if err != nil {
		t.Fatalf("jobspec2 parse %s: %v", path, err)
	}
	return job.TaskGroups[0].Tasks[0]
}

// newTaskFixture builds the task runner's view of jobFile's task for driver d: alloc dir, task env
// (paths chosen by the driver's fs_isolation), decoded and encoded config, and the TaskConfig. The task keeps
// the job's `user`; hooks may change the allocation (e.g. its ports) before the environment is built.
func newTaskFixture(t testing.TB, d drivers.DriverPlugin, jobFile string, hooks ...func(*structs.Allocation)) *taskFixture {
	t.Helper()
	parsed := parseJobTask(t, jobFile)
	name, config, user := parsed.Name, parsed.Config, parsed.User

	alloc := mock.Alloc()
	task := alloc.Job.TaskGroups[0].Tasks[0]
	if res, ok := alloc.AllocatedResources.Tasks[task.Name]; ok {
		delete(alloc.AllocatedResources.Tasks, task.Name)
		alloc.AllocatedResources.Tasks[name] = res
	}
	task.Name, task.Driver, task.Config, task.User = name, driverName, config, user
	task.Services = nil
	for _, hook := range hooks {
		hook(alloc)
	}

	caps, err := d.Capabilities()
	if err != nil {
		t.Fatalf("Capabilities: %v", err)
	}

	logger, stop := scopedLogger(t)
	t.Cleanup(stop)
	ad := allocdir.NewAllocDir(logger, t.TempDir(), alloc.ID)
	if err := ad.Build(); err != nil {
		t.Fatalf("alloc dir: %v", err)
	}
	// Destroy unmounts the secrets tmpfs the task dir gets on Linux before the temp dir is removed.
	t.Cleanup(func() {
		if err := ad.Destroy(); err != nil {
			t.Errorf("destroying alloc dir: %v", err)
		}
	})
	td := ad.NewTaskDir(task.Name)
	if err := td.Build(false, nil); err != nil {
		t.Fatalf("task dir: %v", err)
	}

	builder := taskenv.NewBuilder(mock.Node(), alloc, task, "global")
	builder.SetClientTaskRoot(td.Dir).SetClientSharedAllocDir(td.SharedAllocDir).
		SetClientTaskLocalDir(td.LocalDir).SetClientTaskSecretsDir(td.SecretsDir)
	if caps.FSIsolation == drivers.FSIsolationNone {
		builder.SetAllocDir(td.SharedAllocDir).SetTaskLocalDir(td.LocalDir).SetSecretsDir(td.SecretsDir)
	} else {
		builder.SetAllocDir(allocdir.SharedAllocContainerPath).SetTaskLocalDir(allocdir.TaskLocalContainerPath).
			SetSecretsDir(allocdir.TaskSecretsContainerPath)
	}
	if caps.FSIsolation != drivers.FSIsolationImage {
		builder.SetHostEnvvars(strings.Split("CONSUL_TOKEN,CONSUL_HTTP_TOKEN,VAULT_TOKEN,NOMAD_LICENSE,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN,GOOGLE_APPLICATION_CREDENTIALS", ","))
	}
	env := builder.Build()

	spec := taskSpec(t, d)
	vars, _, err := env.AllValues()
	if err != nil {
		t.Fatalf("task env values: %v", err)
	}
	val, diags, errs := hclutils.ParseHclInterface(task.Config, spec, vars)
	if diags.HasErrors() {
		t.Fatalf("task runner would fail validation (failed to parse config): %v", errs)
	}
	raw, err := ctymsgpack.Marshal(val, val.Type())
	if err != nil {
		t.Fatalf("msgpack encode: %v", err)
	}

	tc := buildTaskConfig(alloc, task, td, env)
	if err := tc.EncodeDriverConfig(val); err != nil {
		t.Fatalf("EncodeDriverConfig: %v", err)
	}
	return &taskFixture{alloc: alloc, task: task, taskDir: td, env: env, value: val, msgpack: raw, config: tc}
}

// taskSpec fetches TaskConfigSchema and converts it as the task runner's initDriver does.
func taskSpec(t testing.TB, d drivers.DriverPlugin) hcldec.Spec {
	t.Helper()
	schema, err := d.TaskConfigSchema()
	if err != nil {
		t.Fatalf("TaskConfigSchema: %v", err)
	}
	if schema == nil {
		t.Fatalf("TaskConfigSchema returned no spec (Nomad: nil spec given)")
	}
	spec, diags := hclspecutils.Convert(schema)
	if diags.HasErrors() {
		t.Fatalf("failed to convert task schema: %v", diags)
	}
	return spec
}

// buildTaskConfig fills drivers.TaskConfig the way the task runner's buildTaskConfig does.
func buildTaskConfig(alloc *structs.Allocation, task *structs.Task, td *allocdir.TaskDir, env *taskenv.TaskEnv) *drivers.TaskConfig {
	res := alloc.AllocatedResources.Tasks[task.Name]
	ports := alloc.AllocatedResources.Shared.Ports
	memoryLimit := res.Memory.MemoryMB
	if res.Memory.MemoryMaxMB > memoryLimit {
		memoryLimit = res.Memory.MemoryMaxMB
	}
	logDir := filepath.Join(td.SharedAllocDir, allocdir.LogDirName)
	return &drivers.TaskConfig{
		ID:            fmt.Sprintf("%s/%s/%s", alloc.ID, task.Name, uuid.Generate()[:8]),
		Name:          task.Name,
		JobName:       alloc.Job.Name,
		JobID:         alloc.Job.ID,
		TaskGroupName: alloc.TaskGroup,
		Namespace:     alloc.Namespace,
		NodeName:      alloc.NodeName,
		NodeID:        alloc.NodeID,
		Resources: &drivers.Resources{
			NomadResources: res,
			LinuxResources: &drivers.LinuxResources{
				MemoryLimitBytes: memoryLimit * 1024 * 1024,
				CPUShares:        res.Cpu.CpuShares,
				PercentTicks:     float64(res.Cpu.CpuShares) / 4000,
			},
			Ports: &ports,
		},
		Env:        env.Map(),
		DeviceEnv:  env.DeviceEnv(),
		User:       task.User,
		AllocDir:   td.AllocDir,
		StdoutPath: filepath.Join(logDir, fmt.Sprintf(".%s.stdout.fifo", task.Name)),
		StderrPath: filepath.Join(logDir, fmt.Sprintf(".%s.stderr.fifo", task.Name)),
		AllocID:    alloc.ID,
	}
}

// configJSON renders the decoded config value as plain JSON for comparisons.
func configJSON(t testing.TB, v cty.Value) map[string]interface{} {
	t.Helper()
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDriverTaskConfigSchema: the task spec converts and declares every key the seed job uses.
func TestDriverTaskConfigSchema(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	ty := hcldec.ImpliedType(taskSpec(t, d.driver))
	if !ty.IsObjectType() {
		t.Fatalf("task spec implies %s, want an object", ty.FriendlyName())
	}
	for _, key := range []string{"image", "pot", "tag", "command", "network_mode", "port_map", "copy", "mount", "mount_read_only"} {
		if !ty.HasAttribute(key) {
			t.Errorf("task spec has no %q", key)
		}
	}
}

// TestDriverEncodeSeedConfig: the seed job's config decodes with our schema and encodes to cty msgpack
// that round-trips to the same values; port_map arrives as a one-element list of maps.
func TestDriverEncodeSeedConfig(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	f := newTaskFixture(t, d.driver, filepath.Join("testdata", "seed.nomad.hcl"))

	back, err := ctymsgpack.Unmarshal(f.msgpack, f.value.Type())
	if err != nil {
		t.Fatalf("msgpack does not decode with the spec's type: %v", err)
	}
	if !back.RawEquals(f.value) {
		t.Errorf("msgpack round trip changed the value:\n%#v\n%#v", back, f.value)
	}
	got := configJSON(t, f.value)
	want := map[string]interface{}{
		"image":           "https://pot-registry.zapto.org/registry/",
		"pot":             "FBSD120-nginx",
		"tag":             "1.0",
		"command":         "nginx -g 'daemon off;'",
		"network_mode":    "public-bridge",
		"port_map":        []interface{}{map[string]interface{}{"http": "80"}},
		"copy":            []interface{}{"/root/index.html:/usr/local/www/nginx-dist/index.html", "/root/nginx.conf:/usr/local/etc/nginx/nginx.conf"},
		"mount":           []interface{}{"/tmp/test:/root/test"},
		"mount_read_only": []interface{}{"/tmp/test2:/root/test2"},
	}
	for k, w := range want {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	t.Logf("msgpack_driver_config (%d bytes): %x", len(f.msgpack), f.msgpack)
}

// TestDriverEncodeInterpolated: ${NOMAD_*} references are resolved from the task env before encoding,
// with in-jail paths because the driver isolates the filesystem by image.
func TestDriverEncodeInterpolated(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	f := newTaskFixture(t, d.driver, filepath.Join("testdata", "interpolated.nomad.hcl"))
	got := configJSON(t, f.value)
	wantCommand := fmt.Sprintf("nginx -c /local/%s.conf -g 'pid /alloc/%s.pid;'", f.task.Name, f.alloc.ID)
	if got["command"] != wantCommand {
		t.Errorf("command = %q, want %q", got["command"], wantCommand)
	}
	if !reflect.DeepEqual(got["mount"], []interface{}{"/alloc/data:/root/data"}) {
		t.Errorf("mount = %#v, want [/alloc/data:/root/data]", got["mount"])
	}
}
