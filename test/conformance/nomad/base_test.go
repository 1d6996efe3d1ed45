// BasePlugin behaviour through Nomad v1.6.3's base client: PluginInfo, ConfigSchema, SetConfig.
package conformance

import (
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
)

func TestBasePluginInfo(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	info, err := d.driver.PluginInfo()
	if err != nil {
		t.Fatalf("PluginInfo: %v", err)
	}
	if info.Type != base.PluginTypeDriver || info.Name != driverName {
		t.Errorf("PluginInfo type/name = %q/%q, want %q/%q", info.Type, info.Name, base.PluginTypeDriver, driverName)
	}
	if _, err := version.NewVersion(info.PluginVersion); err != nil {
		t.Errorf("plugin version %q does not parse as Nomad parses it: %v", info.PluginVersion, err)
	}
	if len(info.PluginApiVersions) == 0 || info.PluginApiVersions[0] != drivers.ApiVersion010 {
		t.Errorf("api versions %v, want [%s]", info.PluginApiVersions, drivers.ApiVersion010)
	}
}

// TestBaseConfigSchema: the agent-config spec converts with hclspecutils and declares pot_path and state_dir;
// an empty config block decodes with defaults.
func TestBaseConfigSchema(t *testing.T) {
	d := dispenseDriver(t, pluginConfig(t, nil))
	schema, err := d.driver.ConfigSchema()
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	if schema == nil {
		t.Fatalf("ConfigSchema returned no spec, yet the plugin takes a config")
	}
	spec, diags := hclspecutils.Convert(schema)
	if diags.HasErrors() {
		t.Fatalf("hclspecutils.Convert: %v", diags)
	}
	ty := hcldec.ImpliedType(spec)
	if !ty.IsObjectType() {
		t.Fatalf("plugin config spec implies %s, want an object", ty.FriendlyName())
	}
	for _, key := range []string{"pot_path", "state_dir"} {
		if !ty.HasAttribute(key) {
			t.Errorf("plugin config spec has no %q", key)
		}
	}
	val, _, errs := hclutils.ParseHclInterface(map[string]interface{}{}, spec, nil)
	if len(errs) > 0 {
		t.Fatalf("decoding an empty config block: %v", errs)
	}
	for _, key := range []string{"pot_path", "state_dir"} {
		if v := val.GetAttr(key); v.IsNull() {
			t.Errorf("%s has no default (null when the operator omits it)", key)
		}
	}
}

// TestBaseSetConfig: SetConfig through the loader with the agent config (serving instance) and without it
// (the loader's validation instance), on fresh processes each time.
func TestBaseSetConfig(t *testing.T) {
	l, err := newLoader(t, pluginConfig(t, nil))
	if err != nil {
		t.Fatalf("NewPluginLoader: %v", err)
	}
	for name, agent := range map[string]*base.AgentConfig{"with-nomad-config": agentConfig, "without-nomad-config": nil} {
		t.Run(name, func(t *testing.T) {
			logger, stop := scopedLogger(t)
			defer stop()
			inst, err := l.Dispense(driverName, base.PluginTypeDriver, agent, logger)
			if err != nil {
				t.Fatalf("Dispense (SetConfig): %v", err)
			}
			inst.Kill()
		})
	}
}

// TestBaseBadConfigRejected: an invalid plugin config stops the agent at start, and the error names the field.
func TestBaseBadConfigRejected(t *testing.T) {
	cases := []struct {
		name  string
		extra map[string]interface{}
		field string
	}{
		{"relative-pot-path", map[string]interface{}{"pot_path": "bin/pot"}, "pot_path"},
		{"relative-state-dir", map[string]interface{}{"state_dir": "state"}, "state_dir"},
		{"unknown-key", map[string]interface{}{"pot_bin": "/usr/local/bin/pot"}, "pot_bin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newLoader(t, pluginConfig(t, c.extra))
			if err == nil {
				t.Fatalf("plugin loader accepted %v", c.extra)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error does not name %q: %v", c.field, err)
			}
		})
	}
}
