// Tests for src/driver/task-config.ts: golden fixtures from go-cty → typed config, and every bad variant's issues.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatConfigIssues } from "../../../src/driver/config-schema.ts";
import { type TaskConfig, taskConfigDeclaration, taskConfigSpec, validateTaskConfig } from "../../../src/driver/task-config.ts";
import { type CtyObject, decodeCtyMsgpack } from "../../../src/plugin/msgpack.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/msgpack");

function fixture(name: string): CtyObject {
  const result = decodeCtyMsgpack(new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`))));
  if (!result.ok) throw result.error;
  return result.value as CtyObject;
}

const SEED_CONFIG: TaskConfig = {
  image: "https://pot-registry.zapto.org/registry/",
  pot: "FBSD120-nginx",
  tag: "1.0",
  command: "nginx -g 'daemon off;'",
  args: [],
  networkMode: "public-bridge",
  portMap: { http: { port: 80, protocol: "default" } },
  aliasIp: undefined,
  bridge: undefined,
  copy: [
    { hostPath: "/root/index.html", jailPath: "/usr/local/www/nginx-dist/index.html" },
    { hostPath: "/root/nginx.conf", jailPath: "/usr/local/etc/nginx/nginx.conf" },
  ],
  mount: [{ hostPath: "/tmp/test", jailPath: "/root/test" }],
  mountReadOnly: [{ hostPath: "/tmp/test2", jailPath: "/root/test2" }],
  extraHosts: [],
  attributes: [],
};

describe("golden configs from go-cty", () => {
  test("the seed job decodes to the exact typed config", () => {
    expect(validateTaskConfig(fixture("task-seed"))).toEqual({ ok: true, config: SEED_CONFIG });
  });

  test("the seed job wrapped as a dynamic value decodes the same", () => {
    expect(validateTaskConfig(fixture("dynamic-root"))).toEqual({ ok: true, config: SEED_CONFIG });
  });

  test("every attribute set", () => {
    expect(validateTaskConfig(fixture("task-all-attributes"))).toEqual({
      ok: true,
      config: {
        image: "http://images.example.org:8080/pots/",
        pot: "FBSD140-redis",
        tag: "7.2.4",
        command: "/usr/local/bin/redis-server",
        args: ["--port", "6379", "--protected-mode no"],
        networkMode: "host",
        portMap: { db: { port: 6379, protocol: "default" }, metrics: { port: 9121, protocol: "default" } },
        aliasIp: undefined,
        bridge: undefined,
        copy: [{ hostPath: "/srv/redis/redis.conf", jailPath: "/usr/local/etc/redis.conf" }],
        mount: [{ hostPath: "/srv/redis/data", jailPath: "/var/db/redis" }],
        mountReadOnly: [{ hostPath: "/srv/shared", jailPath: "/mnt/shared" }],
        extraHosts: [
          { hostname: "db.internal", ip: "10.0.0.5" },
          { hostname: "v6host", ip: "::1" },
        ],
        attributes: [
          { name: "devfs_ruleset", value: "4" },
          { name: "mlock", value: "yes" },
          { name: "sysvshm", value: "new" },
        ],
      },
    });
  });

  test("port_map given as two blocks is merged; unset network_mode arrives as its default", () => {
    const result = validateTaskConfig(fixture("task-port-map-blocks"));
    expect(result.ok && result.config.portMap).toEqual({
      http: { port: 8080, protocol: "default" },
      https: { port: 8443, protocol: "default" },
    });
    expect(result.ok && result.config.networkMode).toBe("public-bridge");
    expect(result.ok && result.config.image).toBe("file:///var/cache/pot-images/");
    expect(result.ok && result.config.command).toBeUndefined();
  });

  test("interpolated values arrive resolved", () => {
    const result = validateTaskConfig(fixture("task-interpolated"));
    expect(result.ok && result.config.command).toBe("/usr/local/bin/nginx-pot");
    expect(result.ok && result.config.copy).toEqual([
      { hostPath: "/var/lib/nomad/alloc/5e1f/nginx-pot/local/index.html", jailPath: "/usr/local/www/index.html" },
    ]);
  });

  test("a config HCL accepts but the driver rejects: every problem, with its path and value", () => {
    expect(validateTaskConfig(fixture("task-invalid-values"))).toEqual({
      ok: false,
      issues: [
        { path: "config.image", message: "must be an http, https or file URL, not ftp", value: "ftp://images.example.org/" },
        {
          path: "config.port_map.http",
          message: "must be a port number from 1 to 65535 (decimal), optionally followed by /tcp, /udp or /tcp+udp",
          value: "80000",
        },
        { path: "config.port_map.http", message: "port label given more than once", value: "81" },
        { path: "config.copy[1]", message: "host path must be an absolute path", value: "relative:/x" },
        { path: "config.copy[2]", message: 'must have the form "hostpath:jailpath"', value: "/no-colon" },
        { path: "config.mount[0]", message: "jail path must not be /", value: "/data:/" },
        {
          path: "config.extra_hosts[0]",
          message: "IP is not a valid IPv4 or IPv6 address",
          value: "db:10.0.0.256",
        },
        {
          path: "config.attributes[0]",
          message: "attribute persistent cannot be set: Nomad manages the jail's lifecycle",
          value: "persistent:yes",
        },
        { path: "config.attributes[1]", message: '"colour" is not a pot attribute', value: "colour:blue" },
        { path: "config.args", message: "args given without command", value: ["-v"] },
        { path: "config.alias_ip", message: "is required with network_mode alias" },
      ],
    });
  });
});

describe("messages of refusals that point at the fix", () => {
  const seed = fixture("task-seed");
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "no-rc-script",
      { attributes: ["no-rc-script:yes"] },
      "attribute no-rc-script cannot be set: pot prepare turns it on, and off pot would drop the task's environment and the command's quoting",
    ],
    [
      "docker-style :ro",
      { mount: ["/src:/dst:ro"] },
      'jail path must not contain ":" (got "/dst:ro"); for a read-only mount use mount_read_only',
    ],
    ["copy with two colons", { copy: ["/a:/b:c"] }, 'jail path must not contain ":" (got "/b:c")'],
    ["stop_timeout too long", { attributes: ["stop_timeout:3600"] }, "value of stop_timeout must be at most 300 (seconds)"],
  ];
  for (const [what, change, message] of cases) {
    test(what, () => {
      const result = validateTaskConfig({ ...seed, ...change });
      expect(result.ok ? [] : result.issues.map((i) => i.message)).toEqual([message]);
    });
  }
});

describe("bad variants of the seed config", () => {
  const seed = fixture("task-seed");
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["image missing", { image: null }, ["config.image"]],
    ["pot missing", { pot: null }, ["config.pot"]],
    ["tag missing", { tag: null }, ["config.tag"]],
    ["image not a URL", { image: "registry" }, ["config.image"]],
    ["image with another scheme", { image: "s3://bucket/" }, ["config.image"]],
    ["image without host", { image: "http:///registry/" }, ["config.image"]],
    ["image with a query", { image: "https://h/r/?x=1" }, ["config.image"]],
    ["image with backslashes for slashes", { image: "http:\\\\host\\r\\" }, ["config.image"]],
    ["file image naming a host", { image: "file://host/images/" }, ["config.image"]],
    ["image with a space", { image: "https://h/my images/" }, ["config.image"]],
    ["image name with a slash", { pot: "../etc" }, ["config.pot"]],
    ["empty tag", { tag: "" }, ["config.tag"]],
    ["args without command", { command: null, args: ["-g"] }, ["config.args"]],
    ["args with a blank command", { command: "  ", args: ["-g"] }, ["config.args"]],
    ["command with a newline", { command: "nginx\nrm -rf /" }, ["config.command"]],
    ["argument with a control character", { args: ["ok", "bad\u0000"] }, ["config.args[1]"]],
    ["unknown network mode", { network_mode: "bridge" }, ["config.network_mode"]],
    ["private-bridge without a bridge", { network_mode: "private-bridge" }, ["config.bridge"]],
    ["alias without an address", { network_mode: "alias" }, ["config.alias_ip"]],
    ["alias with auto", { network_mode: "alias", alias_ip: "auto" }, ["config.alias_ip"]],
    ["alias with a bad address", { network_mode: "alias", alias_ip: "10.0.0.256" }, ["config.alias_ip"]],
    ["alias with a bad interface", { network_mode: "alias", alias_ip: "em 0|10.0.0.5" }, ["config.alias_ip"]],
    ["alias_ip without alias", { alias_ip: "10.0.0.5" }, ["config.alias_ip"]],
    ["bridge without private-bridge", { network_mode: "host", bridge: "backend" }, ["config.bridge"]],
    ["bridge name with a slash", { network_mode: "private-bridge", bridge: "../x" }, ["config.bridge"]],
    ["port with an unknown protocol", { port_map: [{ dns: "53/sctp" }] }, ["config.port_map.dns"]],
    ["port with an empty protocol", { port_map: [{ dns: "53/" }] }, ["config.port_map.dns"]],
    ["port 0", { port_map: [{ http: "0" }] }, ["config.port_map.http"]],
    ["port 65536", { port_map: [{ http: "65536" }] }, ["config.port_map.http"]],
    ["port with leading zero", { port_map: [{ http: "080" }] }, ["config.port_map.http"]],
    ["port as a name", { port_map: [{ http: "http" }] }, ["config.port_map.http"]],
    ["port with udp prefix", { port_map: [{ dns: "udp:53" }] }, ["config.port_map.dns"]],
    ["a label twice", { port_map: [{ http: "80" }, { http: "80" }] }, ["config.port_map.http"]],
    ["an odd label", { port_map: [{ "my port": "x" }] }, ['config.port_map["my port"]']],
    ["copy without colon", { copy: ["/a", "/b:/c"] }, ["config.copy[0]"]],
    ["copy with relative jail path", { copy: ["/a:b"] }, ["config.copy[0]"]],
    ["copy with .. in host path", { copy: ["/srv/../etc/passwd:/x"] }, ["config.copy[0]"]],
    ["mount point with a space", { mount: ["/a:/my dir"] }, ["config.mount[0]"]],
    ["mount point /", { mount_read_only: ["/a:/"] }, ["config.mount_read_only[0]"]],
    ["relative mount source", { mount: ["/ok:/ok", "tmp:/x"] }, ["config.mount[1]"]],
    ["extra host without IP", { extra_hosts: ["db"] }, ["config.extra_hosts[0]"]],
    ["extra host with a bad name", { extra_hosts: ["-db:10.0.0.1"] }, ["config.extra_hosts[0]"]],
    ["extra host with a zone index", { extra_hosts: ["db:fe80::1%em0"] }, ["config.extra_hosts[0]"]],
    ["extra host with leading zeros", { extra_hosts: ["db:010.0.0.1"] }, ["config.extra_hosts[0]"]],
    ["attribute without value", { attributes: ["mlock"] }, ["config.attributes[0]"]],
    ["bool attribute with a number", { attributes: ["mlock:1"] }, ["config.attributes[0]"]],
    ["uint attribute with a word", { attributes: ["devfs_ruleset:four"] }, ["config.attributes[0]"]],
    ["sysv attribute with a bad word", { attributes: ["sysvsem:share"] }, ["config.attributes[0]"]],
    ["empty exec_stop", { attributes: ["exec_stop:"] }, ["config.attributes[0]"]],
    ["boot attribute", { attributes: ["start-at-boot:yes"] }, ["config.attributes[0]"]],
    ["no-rc-script", { attributes: ["no-rc-script:yes"] }, ["config.attributes[0]"]],
    ["stop_timeout above the maximum", { attributes: ["stop_timeout:301"] }, ["config.attributes[0]"]],
    ["copy jail path with a colon", { copy: ["/a:/b:c"] }, ["config.copy[0]"]],
    ["docker-style read-only mount", { mount: ["/ok:/ok", "/src:/dst:ro"] }, ["config.mount[1]"]],
    ["mount_read_only jail path with a colon", { mount_read_only: ["/src:/dst:x"] }, ["config.mount_read_only[0]"]],
    ["an attribute twice", { attributes: ["mlock:yes", "mlock:no"] }, ["config.attributes[1]"]],
    ["read-only attribute", { attributes: ["to-be-pruned:yes"] }, ["config.attributes[0]"]],
    ["an unknown key", { debug: true }, ["config.debug"]],
    ["wrong shape", { copy: "/a:/b" }, ["config.copy"]],
    [
      "several problems at once",
      { image: "ftp://x/", port_map: [{ http: "0" }], copy: ["a:/b", "/c:/d", "e"], command: null, args: ["-x"] },
      ["config.image", "config.port_map.http", "config.copy[0]", "config.copy[2]", "config.args"],
    ],
  ];
  for (const [what, change, paths] of cases) {
    test(what, () => {
      const result = validateTaskConfig({ ...seed, ...change });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues.map((issue) => issue.path)).toEqual(paths);
      for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
    });
  }

  const accepted: [string, Record<string, unknown>, Partial<TaskConfig>][] = [
    ["file image URL", { image: "file:///usr/local/pot-images/" }, { image: "file:///usr/local/pot-images/" }],
    ["network_mode inherit", { network_mode: "inherit" }, { networkMode: "inherit" }],
    ["blank command is unset", { command: "" }, { command: undefined }],
    ["IPv6 extra host split on the first colon", { extra_hosts: ["h:::1"] }, { extraHosts: [{ hostname: "h", ip: "::1" }] }],
    [
      "attribute value with a colon",
      { attributes: ["exec_stop:sh -c 'a:b'"] },
      { attributes: [{ name: "exec_stop", value: "sh -c 'a:b'" }] },
    ],
    ["stop_timeout at the maximum", { attributes: ["stop_timeout:300"] }, { attributes: [{ name: "stop_timeout", value: "300" }] }],
    ["bool attribute in any case", { attributes: ["no-tmpfs:YES"] }, { attributes: [{ name: "no-tmpfs", value: "YES" }] }],
    [
      "port 65535 and 1",
      { port_map: [{ a: "65535", b: "1" }] },
      { portMap: { a: { port: 65535, protocol: "default" }, b: { port: 1, protocol: "default" } } },
    ],
    [
      "ports with protocols",
      { port_map: [{ dns: "53/tcp+udp", syslog: "514/udp", web: "80/tcp" }] },
      { portMap: { dns: { port: 53, protocol: "tcp+udp" }, syslog: { port: 514, protocol: "udp" }, web: { port: 80, protocol: "tcp" } } },
    ],
    [
      "alias with an interface",
      { network_mode: "alias", alias_ip: "em1|192.0.2.10" },
      { networkMode: "alias", aliasIp: { iface: "em1", address: "192.0.2.10", family: 4 } },
    ],
    [
      "alias with IPv6",
      { network_mode: "alias", alias_ip: "2001:db8::10" },
      { networkMode: "alias", aliasIp: { address: "2001:db8::10", family: 6 } },
    ],
    [
      "private-bridge with its bridge",
      { network_mode: "private-bridge", bridge: "backend" },
      { networkMode: "private-bridge", bridge: "backend" },
    ],
    ["empty lists", { copy: [], port_map: [] }, { copy: [], portMap: {} }],
  ];
  for (const [what, change, expected] of accepted) {
    test(`accepts ${what}`, () => {
      const result = validateTaskConfig({ ...seed, ...change });
      if (!result.ok) throw new Error(formatConfigIssues(result.issues));
      expect(result.config).toEqual({ ...SEED_CONFIG, ...expected });
    });
  }

  test("no config at all is one issue", () => {
    expect(validateTaskConfig(null)).toEqual({ ok: false, issues: [{ path: "config", message: "no config was sent" }] });
  });

  test("the combined message names every problem", () => {
    const result = validateTaskConfig({ ...seed, copy: ["x"], tag: "" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatConfigIssues(result.issues);
    expect(text).toContain("config.tag: tag must start with a letter or digit");
    expect(text).toContain('config.copy[0]: must have the form "hostpath:jailpath" (got "x")');
  });
});

describe("declaration", () => {
  test("the spec declares exactly the seed's attributes plus the Go driver's optional ones", () => {
    const spec = taskConfigSpec();
    expect(spec.kind).toBe("object");
    if (spec.kind !== "object") return;
    expect(Object.keys(spec.attributes).sort()).toEqual(Object.keys(fixture("task-seed")).sort());
    expect(spec.attributes.image).toEqual({ kind: "attr", name: "image", type: "string", required: true });
    expect(spec.attributes.port_map).toEqual({
      kind: "attr",
      name: "port_map",
      type: "list(map(string))",
      required: false,
    });
    expect(spec.attributes.network_mode).toEqual({
      kind: "default",
      primary: { kind: "attr", name: "network_mode", type: "string", required: false },
      fallback: { kind: "literal", value: '"public-bridge"' },
    });
  });

  test("the default network mode is the typed default", () => {
    expect(taskConfigDeclaration.fields.networkMode.default).toEqual({ hcl: '"public-bridge"', value: "public-bridge" });
  });
});
