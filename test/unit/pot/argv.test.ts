// Table tests for src/pot/argv.ts: exact argv per verb and the values refused before pot sees them.
import { describe, expect, test } from "bun:test";
import {
  copyInArgv,
  destroyArgv,
  execArgv,
  existsArgv,
  infoArgv,
  isRunningArgv,
  lastRunStatsArgv,
  listArgv,
  mountInArgv,
  portSpec,
  prepareArgv,
  setAttrArgv,
  setCmdArgv,
  setEnvArgv,
  setHostsArgv,
  setRssArgv,
  signalArgv,
  startArgv,
  stopArgv,
  versionArgv,
} from "../../../src/pot/argv.ts";
import { PotError } from "../../../src/pot/errors.ts";

const POT = "web_3f2a1b0c_0b6c4f5e-1d2a-4b8e-9f00-123456789abc";

function refused(build: () => unknown): PotError {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(PotError);
    expect((err as PotError).kind).toBe("invalid-argument");
    return err as PotError;
  }
  throw new Error("expected the builder to refuse");
}

describe("prepare", () => {
  const base = { imageUrl: "http://127.0.0.1:8080/images", imageName: "nginx-amd64-13_1", tag: "1.1.13", allocId: "3f2a1b0c_uuid" };

  test("mandatory flags only", () => {
    expect(prepareArgv(base)).toEqual(["prepare", "-U", base.imageUrl, "-p", "nginx-amd64-13_1", "-t", "1.1.13", "-a", "3f2a1b0c_uuid"]);
  });

  test("every flag", () => {
    expect(
      prepareArgv({
        ...base,
        name: "web",
        command: "/usr/local/bin/nginx -g 'daemon off;'",
        networkType: "public-bridge",
        ips: ["auto"],
        stack: "ipv4",
        dns: "pot",
        ports: [{ potPort: 80, hostPort: 30080 }, { potPort: 53, hostPort: 30053, protocol: "udp" }, { potPort: 8080 }],
        signaturePubkey: "/usr/local/etc/pot/pot.pub",
        verbose: 2,
      }),
    ).toEqual([
      "prepare",
      "-v",
      "-v",
      "-U",
      base.imageUrl,
      "-p",
      "nginx-amd64-13_1",
      "-t",
      "1.1.13",
      "-n",
      "web",
      "-a",
      "3f2a1b0c_uuid",
      "-c",
      "\"/usr/local/bin/nginx -g 'daemon off;'\"",
      "-N",
      "public-bridge",
      "-i",
      "auto",
      "-S",
      "ipv4",
      "-d",
      "pot",
      "-e",
      "80:30080",
      "-e",
      "udp:53:30053",
      "-e",
      "8080",
      "-C",
      "/usr/local/etc/pot/pot.pub",
    ]);
  });

  test("private bridge, several ips, custom dns, host network", () => {
    expect(
      prepareArgv({
        ...base,
        networkType: "private-bridge",
        bridge: "backend",
        ips: ["10.1.3.5", "10.1.3.6"],
        dns: { custom: "/etc/resolv.custom" },
      }),
    ).toEqual([
      "prepare",
      "-U",
      base.imageUrl,
      "-p",
      "nginx-amd64-13_1",
      "-t",
      "1.1.13",
      "-a",
      "3f2a1b0c_uuid",
      "-N",
      "private-bridge",
      "-i",
      "10.1.3.5",
      "-i",
      "10.1.3.6",
      "-B",
      "backend",
      "-d",
      "custom:/etc/resolv.custom",
    ]);
    expect(prepareArgv({ ...base, networkType: "host" })).toContain("host");
  });

  test("the command is wrapped so set-cmd stores it verbatim, quotes included", () => {
    const argv = prepareArgv({ ...base, command: '"quoted" cmd "' });
    expect(argv[argv.indexOf("-c") + 1]).toBe('""quoted" cmd ""');
  });

  test.each([
    ["empty URL", { ...base, imageUrl: "" }],
    ["URL with a space", { ...base, imageUrl: "http://x/a b" }],
    ["empty tag", { ...base, tag: "" }],
    ["empty alloc id", { ...base, allocId: "" }],
    ["command with a newline", { ...base, command: "a\nb" }],
    ["blank command", { ...base, command: "  " }],
    ["port 0", { ...base, ports: [{ potPort: 0 }] }],
    ["port 65536", { ...base, ports: [{ potPort: 80, hostPort: 65536 }] }],
    ["fractional port", { ...base, ports: [{ potPort: 80.5 }] }],
  ])("refuses %s", (_label, options) => {
    refused(() => prepareArgv(options));
  });
});

describe("per-pot verbs", () => {
  test.each([
    ["version", versionArgv(), ["version", "-q"]],
    ["ls", listArgv(), ["ls", "-q"]],
    ["start", startArgv(POT), ["start", "-p", POT]],
    ["stop", stopArgv(POT), ["stop", "-p", POT]],
    ["destroy", destroyArgv(POT), ["destroy", "-p", POT]],
    ["destroy -F", destroyArgv(POT, { force: true }), ["destroy", "-F", "-p", POT]],
    ["info", infoArgv(POT), ["info", "-p", POT]],
    ["info -v", infoArgv(POT, { verbose: true }), ["info", "-v", "-p", POT]],
    ["info -r", isRunningArgv(POT), ["info", "-r", "-p", POT]],
    ["info -q", existsArgv(POT), ["info", "-q", "-p", POT]],
    ["last-run-stats", lastRunStatsArgv(POT), ["last-run-stats", "-p", POT]],
    ["copy-in", copyInArgv(POT, { source: "/tmp/a b", destination: "/etc/x" }), ["copy-in", "-p", POT, "-s", "/tmp/a b", "-d", "/etc/x"]],
    [
      "copy-in -c -F",
      copyInArgv(POT, { source: "/s", destination: "/d", createDirs: true, force: true }),
      ["copy-in", "-p", POT, "-s", "/s", "-d", "/d", "-c", "-F"],
    ],
    [
      "mount-in",
      mountInArgv(POT, { dir: "/alloc/local", mountPoint: "/local" }),
      ["mount-in", "-p", POT, "-d", "/alloc/local", "-m", "/local"],
    ],
    [
      "mount-in -r",
      mountInArgv(POT, { dir: "/alloc/secrets", mountPoint: "/secrets", readOnly: true }),
      ["mount-in", "-p", POT, "-d", "/alloc/secrets", "-m", "/secrets", "-r"],
    ],
    ["set-attr bool", setAttrArgv(POT, "procfs", true), ["set-attr", "-p", POT, "-A", "procfs", "-V", "YES"]],
    ["set-attr uint", setAttrArgv(POT, "stop_timeout", 30), ["set-attr", "-p", POT, "-A", "stop_timeout", "-V", "30"]],
    [
      "set-attr string",
      setAttrArgv(POT, "exec_stop", "/bin/sh -c 'kill 1'"),
      ["set-attr", "-p", POT, "-A", "exec_stop", "-V", "/bin/sh -c 'kill 1'"],
    ],
    ["set-cmd", setCmdArgv(POT, "sleep 5"), ["set-cmd", "-p", POT, "-c", '"sleep 5"']],
    [
      "set-env",
      setEnvArgv(POT, { A: "1", EMPTY: "", SPACES: "a b *?", DOLLAR: "$HOME" }),
      ["set-env", "-p", POT, "-E", "A=1", "-E", "EMPTY=", "-E", "SPACES=a b *?", "-E", "DOLLAR=$HOME"],
    ],
    [
      "set-hosts",
      setHostsArgv(POT, [
        { hostname: "db", ip: "10.0.0.5" },
        { hostname: "v6", ip: "::1" },
      ]),
      ["set-hosts", "-p", POT, "-H", "db:10.0.0.5", "-H", "v6:::1"],
    ],
    ["set-rss memory", setRssArgv(POT, { memoryMb: 256 }), ["set-rss", "-p", POT, "-M", "256M"]],
    ["set-rss both", setRssArgv(POT, { memoryMb: 1024, cpus: 2 }), ["set-rss", "-p", POT, "-M", "1024M", "-C", "2"]],
    ["signal", signalArgv(POT, "SIGTERM"), ["signal", "-s", "SIGTERM", "-p", POT]],
    ["signal without SIG", signalArgv(POT, "HUP"), ["signal", "-s", "HUP", "-p", POT]],
    ["signal -P", signalArgv(POT, "USR1", { pid: 1234 }), ["signal", "-s", "USR1", "-P", "1234", "-p", POT]],
    ["exec", execArgv(POT, ["ls", "-l", "/"]), ["exec", "-p", POT, "--", "ls", "-l", "/"]],
    ["exec with = after the first word", execArgv(POT, ["env", "A=b"]), ["exec", "-p", POT, "--", "env", "A=b"]],
    ["exec -t -e", execArgv(POT, ["sh"], { tty: true, env: { TERM: "xterm" } }), ["exec", "-p", POT, "-t", "-e", "TERM=xterm", "--", "sh"]],
  ])("%s", (_label, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  test.each([
    ["pot name with a dot", () => stopArgv("a.b")],
    ["empty pot name", () => startArgv("")],
    ["pot name with a space", () => destroyArgv("a b")],
    ["pot name starting with -", () => infoArgv("-F")],
    ["pot name too long", () => stopArgv("x".repeat(64))],
    ["relative copy-in source", () => copyInArgv(POT, { source: "a", destination: "/b" })],
    ["relative copy-in destination", () => copyInArgv(POT, { source: "/a", destination: "b" })],
    ["mount point with a space", () => mountInArgv(POT, { dir: "/a", mountPoint: "/a b" })],
    ["mount point /", () => mountInArgv(POT, { dir: "/a", mountPoint: "/" })],
    ["relative mount dir", () => mountInArgv(POT, { dir: "a", mountPoint: "/a" })],
    ["unknown attribute", () => setAttrArgv(POT, "colour" as never, "red")],
    ["empty attribute value", () => setAttrArgv(POT, "exec_stop", "")],
    ["attribute value with a newline", () => setAttrArgv(POT, "exec_stop", "a\nb")],
    ["empty env", () => setEnvArgv(POT, {})],
    ["env name with a dot", () => setEnvArgv(POT, { "a.b": "1" })],
    ["env name with a dash", () => setEnvArgv(POT, { "a-b": "1" })],
    ["env name starting with a digit", () => setEnvArgv(POT, { "1A": "1" })],
    ["env value with a newline", () => setEnvArgv(POT, { A: "1\n2" })],
    ["env value with a carriage return", () => setEnvArgv(POT, { A: "1\r2" })],
    ["env value with a NUL", () => setEnvArgv(POT, { A: "1\u00002" })],
    ["no hosts", () => setHostsArgv(POT, [])],
    ["hostname with a colon", () => setHostsArgv(POT, [{ hostname: "a:b", ip: "1.2.3.4" }])],
    ["empty ip", () => setHostsArgv(POT, [{ hostname: "a", ip: "" }])],
    ["set-rss without limits", () => setRssArgv(POT, {})],
    ["zero memory", () => setRssArgv(POT, { memoryMb: 0 })],
    ["fractional memory", () => setRssArgv(POT, { memoryMb: 1.5 })],
    ["zero cpus", () => setRssArgv(POT, { cpus: 0 })],
    ["lowercase signal", () => signalArgv(POT, "term")],
    ["numeric signal", () => signalArgv(POT, "15")],
    ["bad pid", () => signalArgv(POT, "TERM", { pid: -1 })],
    ["empty exec command", () => execArgv(POT, [])],
    ["exec env name with =", () => execArgv(POT, ["x"], { env: { "A=B": "1" } })],
    ["exec command env(1) would read as an assignment", () => execArgv(POT, ["A=b", "sh"])],
    ["exec command env(1) would read as its option", () => execArgv(POT, ["-weird"])],
    ["set-cmd with a newline", () => setCmdArgv(POT, "a\nb")],
  ])("refuses %s", (_label, build) => {
    const error = refused(build);
    expect(error.exitCode).toBeNull();
    expect(error.message).toStartWith("failed to build pot ");
  });
});

describe("helpers", () => {
  test.each([
    [{ potPort: 80 }, "80"],
    [{ potPort: 80, hostPort: 3000 }, "80:3000"],
    [{ potPort: 53, hostPort: 53, protocol: "udp" as const }, "udp:53:53"],
    [{ potPort: 443, protocol: "tcp" as const }, "tcp:443"],
    [{ potPort: 65535, hostPort: 1 }, "65535:1"],
  ])("portSpec %j", (port, expected) => {
    expect(portSpec("export-ports", port)).toBe(expected);
  });
});
