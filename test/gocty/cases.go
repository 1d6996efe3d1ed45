// The golden cases: configs decoded from our own specs as Nomad decodes them, and hand-built cty values
// for every number form, nulls, unknowns, dynamic wrappers and each msgpack length class.
package main

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	hjson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// seedTaskConfig is the seed job's config block (shared/seed/pot-task-driver.txt) as Nomad's jobspec parser
// hands it on: port_map's object literal wrapped in a one-element list.
const seedTaskConfig = `{
  "image": "https://pot-registry.zapto.org/registry/",
  "pot": "FBSD120-nginx",
  "tag": "1.0",
  "command": "nginx -g 'daemon off;'",
  "network_mode": "public-bridge",
  "port_map": [{"http": "80"}],
  "copy": [
    "/root/index.html:/usr/local/www/nginx-dist/index.html",
    "/root/nginx.conf:/usr/local/etc/nginx/nginx.conf"
  ],
  "mount": ["/tmp/test:/root/test"],
  "mount_read_only": ["/tmp/test2:/root/test2"]
}`

// taskEnv stands in for the task environment Nomad offers as variables when decoding a task config.
var taskEnv = map[string]cty.Value{
	"NOMAD_TASK_DIR":  cty.StringVal("/var/lib/nomad/alloc/5e1f/nginx-pot/local"),
	"NOMAD_TASK_NAME": cty.StringVal("nginx-pot"),
}

// decodeConfig runs the steps of Nomad's hclutils.ParseHclInterface on a JSON config.
func decodeConfig(spec hcldec.Spec, config string, vars map[string]cty.Value) (cty.Value, error) {
	file, diags := hjson.Parse([]byte(config), "config.json")
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	val, diags := hcldec.Decode(file.Body, spec, &hcl.EvalContext{Variables: vars})
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return val, nil
}

func mustNumber(text string) cty.Value {
	val, err := cty.ParseNumberVal(text)
	if err != nil {
		panic(err)
	}
	return val
}

func bigIntVal(text string) cty.Value {
	bi, ok := new(big.Int).SetString(text, 10)
	if !ok {
		panic(text)
	}
	return cty.NumberVal(new(big.Float).SetInt(bi))
}

func stringList(values ...string) cty.Value {
	out := make([]cty.Value, len(values))
	for i, v := range values {
		out[i] = cty.StringVal(v)
	}
	return cty.ListVal(out)
}

func allFixtures(specs map[string]hcldec.Spec) ([]fixture, error) {
	task, plugin := specs["task"], specs["plugin"]
	if task == nil || plugin == nil {
		return nil, fmt.Errorf("specs must contain task and plugin")
	}
	var out []fixture
	configs := []struct {
		name, description string
		spec              hcldec.Spec
		config            string
		vars              map[string]cty.Value
	}{
		{"task-seed", "the seed job's task config, exactly as written", task, seedTaskConfig, taskEnv},
		{"task-all-attributes", "every task attribute set; port_map given a number, which HCL converts to a string", task, `{
  "image": "http://images.example.org:8080/pots/",
  "pot": "FBSD140-redis",
  "tag": "7.2.4",
  "command": "/usr/local/bin/redis-server",
  "args": ["--port", "6379", "--protected-mode no"],
  "network_mode": "host",
  "port_map": [{"db": 6379, "metrics": "9121"}],
  "copy": ["/srv/redis/redis.conf:/usr/local/etc/redis.conf"],
  "mount": ["/srv/redis/data:/var/db/redis"],
  "mount_read_only": ["/srv/shared:/mnt/shared"],
  "extra_hosts": ["db.internal:10.0.0.5", "v6host:::1"],
  "attributes": ["devfs_ruleset:4", "mlock:yes", "sysvshm:new"]
}`, taskEnv},
		{"task-port-map-blocks", "port_map written as two blocks arrives as a list of two maps", task, `{
  "image": "file:///var/cache/pot-images/",
  "pot": "web",
  "tag": "2",
  "port_map": [{"http": "8080"}, {"https": "8443"}]
}`, taskEnv},
		{"task-interpolated", "task environment variables interpolated into values before encoding", task, `{
  "image": "https://images.example.org/",
  "pot": "web",
  "tag": "1.0",
  "command": "/usr/local/bin/${NOMAD_TASK_NAME}",
  "copy": ["${NOMAD_TASK_DIR}/index.html:/usr/local/www/index.html"]
}`, taskEnv},
		{"task-invalid-values", "a config HCL accepts but the driver must reject, entry by entry", task, `{
  "image": "ftp://images.example.org/",
  "pot": "web",
  "tag": "1.0",
  "args": ["-v"],
  "network_mode": "alias",
  "port_map": [{"http": "80000"}, {"http": "81"}],
  "copy": ["/ok:/ok", "relative:/x", "/no-colon"],
  "mount": ["/data:/"],
  "extra_hosts": ["db:10.0.0.256"],
  "attributes": ["persistent:yes", "colour:blue"]
}`, taskEnv},
		{"plugin-empty", "agent without a config block: Nomad decodes {} and the defaults arrive", plugin, `{}`, nil},
		{"plugin-full", "every plugin attribute set", plugin, `{
  "enabled": false,
  "pot_path": "/opt/pot/bin/pot",
  "path": "/opt/pot/bin:/usr/bin:/bin",
  "state_dir": "/var/db/nomad-pot",
  "allowed_host_paths": ["/srv/www", "/usr/local/etc/ssl"],
  "fingerprint_period": "1m30s",
  "log_level": "debug"
}`, nil},
		{"plugin-partial", "some plugin attributes set, the rest defaulted", plugin, `{
  "allowed_host_paths": ["/srv"],
  "log_level": "trace"
}`, nil},
	}
	for _, c := range configs {
		val, err := decodeConfig(c.spec, c.config, c.vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		out = append(out, fixture{name: c.name, description: c.description, value: val})
	}

	seed, err := decodeConfig(task, seedTaskConfig, taskEnv)
	if err != nil {
		return nil, err
	}

	out = append(out,
		fixture{
			name:        "numbers",
			description: "every number form: compact ints of each width, int64/uint64, floats, decimal strings, infinities",
			value: cty.ObjectVal(map[string]cty.Value{
				"a_zero":          cty.NumberIntVal(0),
				"b_fixint":        cty.NumberIntVal(42),
				"c_fixint_max":    cty.NumberIntVal(127),
				"d_uint8":         cty.NumberIntVal(200),
				"e_uint16":        cty.NumberIntVal(8080),
				"f_uint32":        cty.NumberIntVal(4294967295),
				"g_uint64_small":  cty.NumberIntVal(4294967296),
				"h_max_safe":      cty.NumberIntVal(1<<53 - 1),
				"i_two_pow_53":    cty.NumberIntVal(1 << 53),
				"j_two_pow_62_1":  cty.NumberIntVal(1<<62 + 1),
				"k_int64_max":     cty.NumberIntVal(1<<63 - 1),
				"l_neg_fixint":    cty.NumberIntVal(-7),
				"m_int8":          cty.NumberIntVal(-100),
				"n_int16":         cty.NumberIntVal(-30000),
				"o_int32":         cty.NumberIntVal(-2147483648),
				"p_int64":         cty.NumberIntVal(-2147483649),
				"q_min_safe":      cty.NumberIntVal(-(1<<53 - 1)),
				"r_int64_min":     cty.NumberIntVal(-1 << 63),
				"s_float":         cty.NumberFloatVal(1.5),
				"t_neg_float":     cty.NumberFloatVal(-0.25),
				"u_decimal":       mustNumber("0.1"),
				"v_neg_decimal":   mustNumber("-2.675"),
				"w_two_pow_64":    bigIntVal("18446744073709551616"),
				"x_above_uint64":  bigIntVal("18446744073709551617"),
				"y_pos_infinity":  cty.PositiveInfinity,
				"z_neg_infinity":  cty.NegativeInfinity,
				"za_float_as_int": cty.NumberFloatVal(3.0),
				"zb_parsed_int":   mustNumber("8080"),
			}),
		},
		fixture{
			name:        "strings",
			description: "strings across every msgpack length class, empty and non-ASCII",
			value: cty.ObjectVal(map[string]cty.Value{
				"empty":   cty.StringVal(""),
				"unicode": cty.StringVal("jail \u00e9t\u00e9 \u6f22\u5b57 \U0001F600"),
				"fix31":   cty.StringVal(strings.Repeat("a", 31)),
				"str8":    cty.StringVal(strings.Repeat("b", 32)),
				"str8max": cty.StringVal(strings.Repeat("c", 255)),
				"str16":   cty.StringVal(strings.Repeat("d", 256)),
				"str32":   cty.StringVal(strings.Repeat("e", 65536)),
				"quotes":  cty.StringVal(`nginx -g 'daemon off;' "x" \ $HOME`),
			}),
		},
		fixture{
			name:        "collections",
			description: "list, set, map, tuple, nested object, empty ones, and 16-element array16/map16 headers",
			value: cty.ObjectVal(map[string]cty.Value{
				"list":         stringList("a", "b", "c"),
				"set":          cty.SetVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}),
				"map":          cty.MapVal(map[string]cty.Value{"b": cty.StringVal("2"), "a": cty.StringVal("1")}),
				"tuple":        cty.TupleVal([]cty.Value{cty.StringVal("s"), cty.NumberIntVal(1), cty.True}),
				"object":       cty.ObjectVal(map[string]cty.Value{"inner": cty.ObjectVal(map[string]cty.Value{"flag": cty.False})}),
				"list_of_maps": cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"http": cty.StringVal("80")})}),
				"list_of_list": cty.ListVal([]cty.Value{stringList("a"), stringList("b", "c")}),
				"empty_list":   cty.ListValEmpty(cty.String),
				"empty_set":    cty.SetValEmpty(cty.String),
				"empty_map":    cty.MapValEmpty(cty.String),
				"empty_object": cty.EmptyObjectVal,
				"array16":      stringList(strings.Split("a b c d e f g h i j k l m n o p", " ")...),
				"map16":        sixteenMap(),
				"odd keys":     cty.MapVal(map[string]cty.Value{"with space": cty.True, "dotted.key": cty.False}),
			}),
		},
		fixture{
			name:        "nulls",
			description: "null of every type, as hcldec leaves unset attributes",
			value: cty.ObjectVal(map[string]cty.Value{
				"string":  cty.NullVal(cty.String),
				"number":  cty.NullVal(cty.Number),
				"bool":    cty.NullVal(cty.Bool),
				"list":    cty.NullVal(cty.List(cty.String)),
				"map":     cty.NullVal(cty.Map(cty.String)),
				"object":  cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})),
				"dynamic": cty.NullVal(cty.DynamicPseudoType),
				"set":     cty.StringVal("present"),
			}),
		},
		fixture{
			name:        "unknown-root",
			description: "a wholly unknown config",
			value:       cty.UnknownVal(cty.Object(map[string]cty.Type{"command": cty.String})),
		},
		fixture{
			name:        "unknown-attribute",
			description: "an unknown attribute value",
			value: cty.ObjectVal(map[string]cty.Value{
				"args":    stringList("-c"),
				"command": cty.UnknownVal(cty.String),
				"image":   cty.StringVal("https://images.example.org/"),
			}),
		},
		fixture{
			name:        "unknown-list-element",
			description: "an unknown element inside a list",
			value: cty.ObjectVal(map[string]cty.Value{
				"args": cty.ListVal([]cty.Value{cty.StringVal("-c"), cty.UnknownVal(cty.String)}),
			}),
		},
		fixture{
			name:        "unknown-in-map",
			description: "an unknown value inside a list of maps",
			value: cty.ObjectVal(map[string]cty.Value{
				"port_map": cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{
					"http": cty.UnknownVal(cty.String), "https": cty.StringVal("443"),
				})}),
			}),
		},
		fixture{
			name:        "dynamic-root",
			description: "the seed config marshalled against DynamicPseudoType: [bin(type JSON), value]",
			value:       seed,
			ty:          cty.DynamicPseudoType,
		},
		fixture{
			name:        "dynamic-number",
			description: "a number marshalled against DynamicPseudoType",
			value:       cty.NumberIntVal(5),
			ty:          cty.DynamicPseudoType,
		},
		fixture{
			name:        "dynamic-attributes",
			description: "an object whose `any` attributes carry concrete values",
			value: cty.ObjectVal(map[string]cty.Value{
				"user_opts": cty.ObjectVal(map[string]cty.Value{"level": cty.NumberIntVal(3), "name": cty.StringVal("x")}),
				"ratio":     mustNumber("0.1"),
				"name":      cty.StringVal("plain"),
			}),
			ty: cty.Object(map[string]cty.Type{
				"user_opts": cty.DynamicPseudoType,
				"ratio":     cty.DynamicPseudoType,
				"name":      cty.String,
			}),
		},
	)
	return out, nil
}

func sixteenMap() cty.Value {
	m := map[string]cty.Value{}
	for i := 0; i < 16; i++ {
		m[fmt.Sprintf("k%02d", i)] = cty.NumberIntVal(int64(i))
	}
	return cty.MapVal(m)
}
