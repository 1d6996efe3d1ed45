// Wire compatibility of our .proto files with the upstream definitions Nomad v1.6.3 and go-plugin compile in.
package goplugin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// nomadVersion is the only Nomad release these tests may depend on.
const nomadVersion = "v1.6.3"

// allowedExtras are the declarations ours may have beyond Nomad v1.6.3: later upstream additions that newer
// agents send or read and v1.6.3 ignores (docs/protocol.md §10, plus the node topology of Nomad 1.7, image-driver
// UNVEIL isolation, dynamic workload users and mount SELinux labels). Keys use the same notation as the
// differences reported below.
var allowedExtras = map[string]string{
	"field hashicorp.nomad.plugins.drivers.proto.FingerprintResponse.err":                    "= 4 string",
	"field hashicorp.nomad.plugins.drivers.proto.Mount.request_name":                         "= 6 string",
	"field hashicorp.nomad.plugins.drivers.proto.Mount.selinux_label":                        "= 5 string",
	"field hashicorp.nomad.plugins.drivers.proto.DriverCapabilities.dynamic_workload_users":  "= 9 bool",
	"enum value hashicorp.nomad.plugins.drivers.proto.DriverCapabilities.FSIsolation.UNVEIL": "= 3",
	"method hashicorp.nomad.plugins.drivers.proto.Driver.Init":                               "(hashicorp.nomad.plugins.drivers.proto.InitRequest) returns (hashicorp.nomad.plugins.drivers.proto.InitResponse)",
	"method hashicorp.nomad.plugins.drivers.proto.Driver.Shutdown":                           "(hashicorp.nomad.plugins.drivers.proto.ShutdownRequest) returns (hashicorp.nomad.plugins.drivers.proto.ShutdownResponse)",
	"message hashicorp.nomad.plugins.drivers.proto.InitRequest":                              "{}",
	"message hashicorp.nomad.plugins.drivers.proto.InitResponse":                             "{}",
	"message hashicorp.nomad.plugins.drivers.proto.ShutdownRequest":                          "{}",
	"message hashicorp.nomad.plugins.drivers.proto.ShutdownResponse":                         "{}",
	"field hashicorp.nomad.plugins.base.proto.NomadDriverConfig.Topology":                    "= 3 hashicorp.nomad.plugins.base.proto.ClientTopology",
	"message hashicorp.nomad.plugins.base.proto.ClientTopology":                              "{}",
	"field hashicorp.nomad.plugins.base.proto.ClientTopology.node_ids":                       "= 1 uint32 repeated packed",
	"field hashicorp.nomad.plugins.base.proto.ClientTopology.distances":                      "= 2 hashicorp.nomad.plugins.base.proto.ClientTopologySLIT",
	"field hashicorp.nomad.plugins.base.proto.ClientTopology.cores":                          "= 3 hashicorp.nomad.plugins.base.proto.ClientTopologyCore repeated",
	"field hashicorp.nomad.plugins.base.proto.ClientTopology.override_total_compute":         "= 4 uint64",
	"field hashicorp.nomad.plugins.base.proto.ClientTopology.override_withold_compute":       "= 5 uint64",
	"message hashicorp.nomad.plugins.base.proto.ClientTopologySLIT":                          "{}",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologySLIT.dimension":                  "= 1 uint32",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologySLIT.values":                     "= 2 uint32 repeated packed",
	"message hashicorp.nomad.plugins.base.proto.ClientTopologyCore":                          "{}",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.socket_id":                  "= 1 uint32",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.node_id":                    "= 2 uint32",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.core_id":                    "= 3 uint32",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.core_grade":                 "= 4 hashicorp.nomad.plugins.base.proto.CoreGrade",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.disable":                    "= 5 bool",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.base_speed":                 "= 6 uint64",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.max_speed":                  "= 7 uint64",
	"field hashicorp.nomad.plugins.base.proto.ClientTopologyCore.guess_speed":                "= 8 uint64",
	"enum hashicorp.nomad.plugins.base.proto.CoreGrade":                                      "",
	"enum value hashicorp.nomad.plugins.base.proto.CoreGrade.Performance":                    "= 0",
	"enum value hashicorp.nomad.plugins.base.proto.CoreGrade.Efficiency":                     "= 1",
}

// allowedMissing are v1.6.3 declarations ours leaves out: DriverCapabilities.remote_tasks was removed
// upstream and its number reserved; nothing sets it for this driver, so leaving it out changes no bytes.
var allowedMissing = map[string]string{
	"field hashicorp.nomad.plugins.drivers.proto.DriverCapabilities.remote_tasks": "= 7 bool",
}

// allowedDiffers are declarations rendered differently on purpose: upstream later reserved remote_tasks' number
// and name, and ours does the same so the number can never be reused with another meaning.
var allowedDiffers = map[string][2]string{
	"message hashicorp.nomad.plugins.drivers.proto.DriverCapabilities": {"{}", `{} reserved 7-7,"remote_tasks"`},
}

// nomadFiles are Nomad's .proto files, at the same paths under its repository and under our proto/.
var nomadFiles = []string{
	"plugins/base/proto/base.proto",
	"plugins/drivers/proto/driver.proto",
	"plugins/shared/hclspec/hcl_spec.proto",
	"plugins/shared/structs/proto/attribute.proto",
	"plugins/shared/structs/proto/stats.proto",
	"plugins/shared/structs/proto/recoverable_error.proto",
}

// goPluginFiles are go-plugin's .proto files (internal/plugin/ upstream, proto/plugin/ here).
var goPluginFiles = []string{"grpc_broker.proto", "grpc_controller.proto", "grpc_stdio.proto"}

// ourFiles are all of our .proto files (under proto/): Nomad's, go-plugin's and gRPC's health service.
var ourFiles = func() []string {
	files := append([]string{}, nomadFiles...)
	for _, name := range goPluginFiles {
		files = append(files, "plugin/"+name)
	}
	return append(files, "grpc/health/v1/health.proto")
}()

// ourProtoDir is POT_PROTO_DIR or the repository's proto/ folder.
func ourProtoDir(t *testing.T) string {
	dir := os.Getenv("POT_PROTO_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "proto")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// moduleSource downloads (if needed) the module at the version the Go module in dir selects and
// returns its source folder and version.
func moduleSource(t *testing.T, dir, module string) (string, string) {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s in %s: %v", module, dir, err)
	}
	var info struct{ Dir, Version, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Error != "" || info.Dir == "" {
		t.Fatalf("go mod download %s in %s: %v %s", module, dir, err, info.Error)
	}
	return info.Dir, info.Version
}

func compileProtos(t *testing.T, root string, names []string) []protoreflect.FileDescriptor {
	t.Helper()
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{root}}),
	}
	files, err := compiler.Compile(context.Background(), names...)
	if err != nil {
		t.Fatalf("compiling %v under %s: %v", names, root, err)
	}
	out := make([]protoreflect.FileDescriptor, len(files))
	for i, f := range files {
		out[i] = f
	}
	return out
}

// decl is the wire-relevant rendering of one declaration; two protos are compatible when the
// renderings of their declarations are equal.
type decls map[string]string

func (d decls) addFile(fd protoreflect.FileDescriptor) {
	d.addMessages(fd.Messages())
	d.addEnums(fd.Enums())
	for i := 0; i < fd.Services().Len(); i++ {
		s := fd.Services().Get(i)
		d["service "+string(s.FullName())] = ""
		for j := 0; j < s.Methods().Len(); j++ {
			m := s.Methods().Get(j)
			in, out := string(m.Input().FullName()), string(m.Output().FullName())
			if m.IsStreamingClient() {
				in = "stream " + in
			}
			if m.IsStreamingServer() {
				out = "stream " + out
			}
			d["method "+string(m.FullName())] = fmt.Sprintf("(%s) returns (%s)", in, out)
		}
	}
}

func (d decls) addMessages(ms protoreflect.MessageDescriptors) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		var reserved []string
		for j := 0; j < m.ReservedRanges().Len(); j++ {
			r := m.ReservedRanges().Get(j)
			reserved = append(reserved, fmt.Sprintf("%d-%d", r[0], r[1]-1))
		}
		for j := 0; j < m.ReservedNames().Len(); j++ {
			reserved = append(reserved, fmt.Sprintf("%q", m.ReservedNames().Get(j)))
		}
		shape := "{}"
		if m.IsMapEntry() {
			shape = "map entry"
		}
		if len(reserved) > 0 {
			shape += " reserved " + strings.Join(reserved, ",")
		}
		d["message "+string(m.FullName())] = shape
		for j := 0; j < m.Fields().Len(); j++ {
			f := m.Fields().Get(j)
			d["field "+string(f.FullName())] = fieldShape(f)
		}
		d.addMessages(m.Messages())
		d.addEnums(m.Enums())
	}
}

func fieldShape(f protoreflect.FieldDescriptor) string {
	typ := f.Kind().String()
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		typ = string(f.Message().FullName())
	case protoreflect.EnumKind:
		typ = string(f.Enum().FullName())
	}
	shape := fmt.Sprintf("= %d %s", f.Number(), typ)
	if f.Cardinality() == protoreflect.Repeated {
		shape += " repeated"
		if f.IsPacked() {
			shape += " packed"
		}
	}
	if f.HasOptionalKeyword() {
		shape += " optional"
	}
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		shape += " oneof " + string(o.Name())
	}
	return shape
}

func (d decls) addEnums(es protoreflect.EnumDescriptors) {
	for i := 0; i < es.Len(); i++ {
		e := es.Get(i)
		alias := ""
		if hasAllowAlias(e) {
			alias = " allow_alias"
		}
		d["enum "+string(e.FullName())] = alias
		for j := 0; j < e.Values().Len(); j++ {
			v := e.Values().Get(j)
			d["enum value "+string(e.FullName())+"."+string(v.Name())] = fmt.Sprintf("= %d", v.Number())
		}
	}
}

func hasAllowAlias(e protoreflect.EnumDescriptor) bool {
	for i := 0; i < e.Values().Len(); i++ {
		for j := i + 1; j < e.Values().Len(); j++ {
			if e.Values().Get(i).Number() == e.Values().Get(j).Number() {
				return true
			}
		}
	}
	return false
}

// declsOf collects the declarations of the given files that belong to one of packages.
func declsOf(files []protoreflect.FileDescriptor, packages map[string]bool) decls {
	d := decls{}
	for _, f := range files {
		if packages[string(f.Package())] {
			d.addFile(f)
		}
	}
	return d
}

func packagesOf(files []protoreflect.FileDescriptor) map[string]bool {
	p := map[string]bool{}
	for _, f := range files {
		p[string(f.Package())] = true
	}
	return p
}

// compareDecls reports every declaration that is missing, extra (unless allowed) or different.
func compareDecls(t *testing.T, upstream, ours decls) {
	t.Helper()
	keys := map[string]bool{}
	for k := range upstream {
		keys[k] = true
	}
	for k := range ours {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		up, inUp := upstream[k]
		our, inOurs := ours[k]
		switch {
		case inUp && !inOurs:
			if want, ok := allowedMissing[k]; ok && want == up {
				continue
			}
			t.Errorf("missing in ours: %s %s", k, up)
		case !inUp && inOurs:
			if want, ok := allowedExtras[k]; ok && want == our {
				continue
			}
			t.Errorf("extra in ours, not upstream and not allowed: %s %s", k, our)
		case up != our:
			if pair, ok := allowedDiffers[k]; ok && pair[0] == up && pair[1] == our {
				continue
			}
			t.Errorf("differs: %s: upstream %q, ours %q", k, up, our)
		}
	}
}

// TestProtoWireCompat compares our .proto files with the upstream ones declaration by declaration.
func TestProtoWireCompat(t *testing.T) {
	root := ourProtoDir(t)
	for _, name := range ourFiles {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Fatalf("our proto file missing: %v", err)
		}
	}
	ours := compileProtos(t, root, ourFiles)

	t.Run("nomad-"+nomadVersion, func(t *testing.T) {
		dir, version := moduleSource(t, filepath.Join("..", "nomad"), "github.com/hashicorp/nomad")
		if version != nomadVersion {
			t.Fatalf("the nomad module selects %s, want %s", version, nomadVersion)
		}
		upstream := compileProtos(t, dir, nomadFiles)
		pkgs := packagesOf(upstream)
		for pkg := range pkgs {
			t.Run(pkg, func(t *testing.T) {
				one := map[string]bool{pkg: true}
				compareDecls(t, declsOf(upstream, one), declsOf(ours, one))
			})
		}
	})

	// go-plugin's protos are versioned apart from Nomad; the newest release is the reference.
	t.Run("go-plugin-newest", func(t *testing.T) {
		dir, version := moduleSource(t, ".", "github.com/hashicorp/go-plugin")
		t.Logf("go-plugin %s", version)
		upstream := compileProtos(t, filepath.Join(dir, "internal", "plugin"), goPluginFiles)
		pkgs := packagesOf(upstream)
		compareDecls(t, declsOf(upstream, pkgs), declsOf(ours, pkgs))
	})

	t.Run("grpc-health-v1", func(t *testing.T) {
		upstream := []protoreflect.FileDescriptor{grpc_health_v1.File_grpc_health_v1_health_proto}
		pkgs := packagesOf(upstream)
		compareDecls(t, declsOf(upstream, pkgs), declsOf(ours, pkgs))
	})

	t.Run("no-other-packages", func(t *testing.T) {
		known := map[string]bool{
			"hashicorp.nomad.plugins.base.proto":     true,
			"hashicorp.nomad.plugins.drivers.proto":  true,
			"hashicorp.nomad.plugins.shared.hclspec": true,
			"hashicorp.nomad.plugins.shared.structs": true,
			"plugin":                                 true,
			"grpc.health.v1":                         true,
		}
		for pkg := range packagesOf(ours) {
			if !known[pkg] {
				t.Errorf("our protos declare package %q, which no upstream file has", pkg)
			}
		}
	})
}

// TestProtoGoogleRPCStatus checks our google/rpc/status.proto (used for error details) if present.
func TestProtoGoogleRPCStatus(t *testing.T) {
	root := ourProtoDir(t)
	const name = "google/rpc/status.proto"
	if _, err := os.Stat(filepath.Join(root, name)); err != nil {
		t.Skipf("no %s in our protos", name)
	}
	ours := compileProtos(t, root, []string{name})
	upstream := []protoreflect.FileDescriptor{status.File_google_rpc_status_proto}
	pkgs := packagesOf(upstream)
	compareDecls(t, declsOf(upstream, pkgs), declsOf(ours, pkgs))
}

// TestProtoAllowedExtras asserts each later upstream addition we rely on is present in ours, exactly.
func TestProtoAllowedExtras(t *testing.T) {
	ours := declsOf(compileProtos(t, ourProtoDir(t), ourFiles), map[string]bool{
		"hashicorp.nomad.plugins.drivers.proto": true,
		"hashicorp.nomad.plugins.base.proto":    true,
	})
	keys := make([]string, 0, len(allowedExtras))
	for k := range allowedExtras {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := allowedExtras[k]
		t.Run(strings.NewReplacer("hashicorp.nomad.plugins.drivers.proto.", "", "hashicorp.nomad.plugins.base.proto.", "").Replace(k), func(t *testing.T) {
			got, ok := ours[k]
			if !ok {
				t.Fatalf("%s not declared in our driver.proto", k)
			}
			if got != want {
				t.Errorf("%s: ours %q, want %q", k, got, want)
			}
		})
	}
}
