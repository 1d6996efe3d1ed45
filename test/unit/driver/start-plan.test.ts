// The start plan: the seed job's config + Nomad's task facts → pot operations.
import { describe, expect, test } from "bun:test";
import { commandLine, planStart, rssLimits, shellWord } from "../../../src/driver/start-plan.ts";
import { validateTaskConfig } from "../../../src/driver/task-config.ts";
import type { TaskSpec } from "../../../src/driver/task-spec.ts";
import { taskSpec } from "../../support/task-spec.ts";

const SEED = {
  image: "https://pot-registry.zapto.org/registry/",
  pot: "FBSD120-nginx",
  tag: "1.0",
  command: "nginx -g 'daemon off;'",
  network_mode: "public-bridge",
  port_map: [{ http: "80" }],
  copy: ["/root/index.html:/usr/local/www/nginx-dist/index.html", "/root/nginx.conf:/usr/local/etc/nginx/nginx.conf"],
  mount: ["/tmp/test:/root/test"],
  mount_read_only: ["/tmp/test2:/root/test2"],
  args: null,
  extra_hosts: null,
  attributes: null,
};

function task(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return taskSpec({
    taskName: "nginx-pot",
    env: { NOMAD_TASK_DIR: "/local", NOMAD_HOST_PORT_http: "23456" },
    ...overrides,
  });
}

function seedConfig(extra: Record<string, unknown> = {}) {
  const result = validateTaskConfig({ ...SEED, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe("planStart", () => {
  test("task env: names the jail's sh cannot export are skipped; values pot cannot keep on one line are refused", () => {
    const env = { OK: 'a b $HOME "q"', "NOMAD_HOST_PORT_a-b": "1", "1X": "y", NL: "a\nb", CR: "a\rb", NUL: "a\u0000b" };
    const result = planStart(seedConfig(), task({ env }), { hostCpus: 4 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(["task.env.NL", "task.env.CR", "task.env.NUL"]);
    for (const issue of result.issues) {
      expect(issue.message).toBe("must not contain a newline, carriage return or NUL: pot keeps each variable on one line");
    }
    const clean = planStart(seedConfig(), task({ env: { OK: env.OK, "NOMAD_HOST_PORT_a-b": "1", "1X": "y" } }), {
      hostCpus: 4,
    });
    expect(clean.ok && clean.plan.env).toEqual({ OK: env.OK });
    expect(clean.ok && clean.plan.skippedEnv).toEqual(["NOMAD_HOST_PORT_a-b", "1X"]);
  });

  test("the seed job becomes prepare + copy-in + mount-in + env + limits", () => {
    const result = planStart(seedConfig(), task(), { hostCpus: 8 });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const plan = result.plan;
    expect(plan.potName).toBe("nginx-pot_a1b2c3d4_5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11");
    expect(plan.prepare).toMatchObject({
      imageUrl: "https://pot-registry.zapto.org/registry/",
      imageName: "FBSD120-nginx",
      tag: "1.0",
      name: "nginx-pot",
      allocId: "a1b2c3d4_5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11",
      command: "nginx -g 'daemon off;'",
      networkType: "public-bridge",
      ports: [{ potPort: 80, hostPort: 23456 }],
    });
    expect(plan.copies).toEqual([
      { source: "/root/index.html", destination: "/usr/local/www/nginx-dist/index.html", createDirs: true },
      { source: "/root/nginx.conf", destination: "/usr/local/etc/nginx/nginx.conf", createDirs: true },
    ]);
    expect(plan.mounts).toEqual([
      { dir: "/var/nomad/alloc/5b0c6a32/nginx-pot/local", mountPoint: "/local" },
      { dir: "/var/nomad/alloc/5b0c6a32/nginx-pot/secrets", mountPoint: "/secrets" },
      { dir: "/var/nomad/alloc/5b0c6a32/alloc", mountPoint: "/alloc" },
      { dir: "/var/nomad/alloc/5b0c6a32/alloc/logs", mountPoint: "/alloc/logs", readOnly: true },
      { dir: "/tmp/test", mountPoint: "/root/test" },
      { dir: "/tmp/test2", mountPoint: "/root/test2", readOnly: true },
    ]);
    expect(plan.env.NOMAD_TASK_DIR).toBe("/local");
    expect(plan.rss).toEqual({ memoryMb: 256, cpus: 1 });
    expect(plan.portMap).toEqual({ http: 80 });
    expect(plan.ownAddress).toBe(true);
  });

  test("a port_map label without an allocated port is an issue naming the label", () => {
    const result = planStart(seedConfig({ port_map: [{ metrics: "9100" }] }), task({ env: {} }), { hostCpus: 4 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]?.path).toBe("config.port_map.metrics");
      expect(result.issues[0]?.message).toContain("metrics");
    }
  });

  test("host networking exports no ports and advertises no address", () => {
    const result = planStart(seedConfig({ network_mode: "host" }), task(), { hostCpus: 4 });
    if (!result.ok) throw new Error("plan failed");
    expect(result.plan.prepare.networkType).toBe("inherit");
    expect(result.plan.prepare.ports).toEqual([]);
    expect(result.plan.ownAddress).toBe(false);
  });

  test("group ports with `to` are exported even without port_map", () => {
    const t = task({ resources: { ...task().resources, ports: [{ label: "db", hostPort: 20001, to: 5432 }] } });
    const result = planStart(seedConfig({ port_map: null }), t, { hostCpus: 4 });
    if (!result.ok) throw new Error("plan failed");
    expect(result.plan.prepare.ports).toEqual([{ potPort: 5432, hostPort: 20001 }]);
  });

  test("Nomad volume mounts are mounted with their read-only flag", () => {
    const t = task({ mounts: [{ hostPath: "/data/vol", taskPath: "/srv/data", readOnly: true }] });
    const result = planStart(seedConfig(), t, { hostCpus: 4 });
    if (!result.ok) throw new Error("plan failed");
    expect(result.plan.mounts.at(-1)).toEqual({ dir: "/data/vol", mountPoint: "/srv/data", readOnly: true });
  });

  test("a task id that is not alloc/task/invocation is rejected", () => {
    const result = planStart(seedConfig(), task({ taskId: "garbage" }), { hostCpus: 4 });
    expect(result.ok).toBe(false);
  });
});

describe("commandLine", () => {
  test.each([
    ["nginx -g 'daemon off;'", [], "nginx -g 'daemon off;'"],
    ["/bin/echo", ["a b", "$(id)", "it's", "-x"], "/bin/echo 'a b' '$(id)' 'it'\\''s' -x"],
    ["/bin/echo", [""], "/bin/echo ''"],
  ] as Array<[string, string[], string]>)("%p + %p", (command, args, expected) => {
    expect(commandLine(command, args)).toBe(expected);
  });

  test("no command keeps the image's command", () => {
    expect(commandLine(undefined, [])).toBeUndefined();
  });

  test("shellWord leaves plain words alone and quotes everything else", () => {
    expect(shellWord("abc-1.2/x")).toBe("abc-1.2/x");
    expect(shellWord("a;b")).toBe("'a;b'");
    expect(shellWord("\n")).toBe("'\n'");
  });
});

describe("rssLimits", () => {
  const base = task();
  test.each([
    [{ memoryMb: 256, memoryMaxMb: 512, cpusetCpus: "", percentTicks: 0 }, { memoryMb: 512 }],
    [
      { memoryMb: 128, memoryMaxMb: 0, cpusetCpus: "1,3", percentTicks: 0.5 },
      { memoryMb: 128, cpus: 2 },
    ],
    [{ memoryMb: 0, memoryMaxMb: 0, cpusetCpus: "", percentTicks: 0.3 }, { cpus: 3 }],
    [{ memoryMb: 0, memoryMaxMb: 0, cpusetCpus: "", percentTicks: 0.001 }, { cpus: 1 }],
    [{ memoryMb: 0, memoryMaxMb: 0, cpusetCpus: "", percentTicks: 0 }, null],
  ])("%p → %p", (resources, expected) => {
    expect(rssLimits({ ...base, resources: { ...base.resources, ...resources } }, { hostCpus: 8 })).toEqual(expected);
  });
});
