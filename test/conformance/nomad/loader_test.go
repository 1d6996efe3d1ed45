// Plugin loading as a Nomad v1.6.3 agent does it at start-up: scan, fingerprint, validate config, dispense.
package conformance

import (
	"testing"

	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// TestLoaderCatalog: the fingerprint process reports a driver named "pot" speaking API v0.1.0 at the
// package.json version, and the config validation process accepts the plugin config.
func TestLoaderCatalog(t *testing.T) {
	l, err := newLoader(t, pluginConfig(t, nil))
	if err != nil {
		t.Fatalf("NewPluginLoader (fingerprint + config validation): %v", err)
	}
	infos := l.Catalog()[base.PluginTypeDriver]
	if len(infos) != 1 {
		t.Fatalf("catalog has %d drivers, want 1: %+v", len(infos), l.Catalog())
	}
	info := infos[0]
	if info.Name != driverName {
		t.Errorf("driver name %q, want %q", info.Name, driverName)
	}
	if info.Type != base.PluginTypeDriver {
		t.Errorf("type %q, want %q", info.Type, base.PluginTypeDriver)
	}
	if len(info.PluginApiVersions) != 1 || info.PluginApiVersions[0] != drivers.ApiVersion010 {
		t.Errorf("api versions %v, want [%s]", info.PluginApiVersions, drivers.ApiVersion010)
	}
	if want := packageVersion(t); info.PluginVersion != want && info.PluginVersion != "v"+want {
		t.Errorf("plugin version %q, want package.json's %q", info.PluginVersion, want)
	}
}

// TestLoaderDispense: the driver manager's path yields a drivers.DriverPlugin with the negotiated API version.
func TestLoaderDispense(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	if d.instance.Internal() {
		t.Errorf("instance reports internal; want an external plugin process")
	}
	if got := d.instance.ApiVersion(); got != drivers.ApiVersion010 {
		t.Errorf("negotiated api version %q, want %q", got, drivers.ApiVersion010)
	}
	if rc, ok := d.instance.ReattachConfig(); !ok || rc == nil || rc.Pid == 0 {
		t.Errorf("no reattach config for the running plugin: %+v", rc)
	}
	if d.instance.Exited() {
		t.Errorf("plugin reported exited right after dispense")
	}
}

// TestLoaderWithoutConfigBlock: an agent with `plugin "pot-task-driver" {}` and no config decodes {} with
// the schema's defaults; the plugin must accept that.
func TestLoaderWithoutConfigBlock(t *testing.T) {
	if _, err := newLoader(t, nil); err != nil {
		t.Fatalf("NewPluginLoader without a config block: %v", err)
	}
}
