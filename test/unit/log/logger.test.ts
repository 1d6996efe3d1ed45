// Tests for src/log/logger.ts: every emitted line must pass go-plugin's stderr parser (docs/protocol.md §4).
import { describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger, describeError, hclogTimestamp, type Logger, MAX_LOG_STRING } from "../../../src/log/logger.ts";

const HCLOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error"]);

/** Go's time.Parse with layout 2006-01-02T15:04:05.000000Z07:00: exactly six fraction digits, Z or ±hh:mm. */
function parsesAsGoTimestamp(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}(Z|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, , offH, offM] = match.map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  if ((month as number) < 1 || (month as number) > 12 || (day as number) < 1 || (day as number) > daysInMonth) return false;
  if ((hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) return false;
  if (offH !== undefined && !Number.isNaN(offH) && ((offH as number) > 23 || (offM as number) > 59)) return false;
  return true;
}

interface HclogEntry {
  message: string;
  level: string;
  timestamp: string;
  kv: Record<string, unknown>;
}

/**
 * Applies go-plugin's rules to one stderr line and fails the test on any violation: the line is a JSON
 * object; @message, @level and @timestamp are strings (a non-string panics the agent); the timestamp parses
 * with hclog's layout; the level is one hclog knows. Duplicate keys count as Go reads them: the last one wins.
 */
function parseLikeGoPlugin(line: string): HclogEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error(`line is not JSON, go-plugin would log it raw at DEBUG: ${line}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`line is not a JSON object: ${line}`);
  const fields = raw as Record<string, unknown>;
  for (const key of ["@message", "@level", "@timestamp"]) {
    if (key in fields && typeof fields[key] !== "string") {
      throw new Error(`${key} is ${JSON.stringify(fields[key])}, not a string: the Nomad agent would panic: ${line}`);
    }
  }
  const timestamp = fields["@timestamp"];
  if (typeof timestamp !== "string" || !parsesAsGoTimestamp(timestamp)) {
    throw new Error(`@timestamp ${JSON.stringify(timestamp)} does not parse with hclog's layout: ${line}`);
  }
  const level = fields["@level"];
  if (typeof level !== "string" || !HCLOG_LEVELS.has(level.trim().toLowerCase())) {
    throw new Error(`@level ${JSON.stringify(level)} is not an hclog level: ${line}`);
  }
  const { "@message": message, "@level": _l, "@timestamp": _t, ...kv } = fields;
  return { message: (message as string | undefined) ?? "", level, timestamp, kv };
}

/** A logger writing into memory; `entries()` parses what was written so far, line by line. */
function capture(): { logger: Logger; lines: () => string[]; entries: () => HclogEntry[] } {
  let text = "";
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const logger = createLogger({ level: "trace", module: "pot", destination });
  const lines = () => text.split("\n").filter((line) => line !== "");
  return { logger, lines, entries: () => lines().map(parseLikeGoPlugin) };
}

describe("the go-plugin line rules themselves", () => {
  test("accept what go-hclog writes", () => {
    expect(
      parseLikeGoPlugin(
        '{"@level":"info","@message":"starting task","@module":"pot","@timestamp":"2026-08-21T10:11:12.123456+02:00","task_id":"t"}',
      ),
    ).toEqual({
      message: "starting task",
      level: "info",
      timestamp: "2026-08-21T10:11:12.123456+02:00",
      kv: { "@module": "pot", task_id: "t" },
    });
  });

  const rejected: [string, string][] = [
    ["three fraction digits", '{"@level":"info","@message":"m","@timestamp":"2026-08-21T10:11:12.123Z"}'],
    ["seven fraction digits", '{"@level":"info","@message":"m","@timestamp":"2026-08-21T10:11:12.1234567Z"}'],
    ["an offset without colon", '{"@level":"info","@message":"m","@timestamp":"2026-08-21T10:11:12.123456+0200"}'],
    ["month 13", '{"@level":"info","@message":"m","@timestamp":"2026-13-21T10:11:12.123456Z"}'],
    ["level warning", '{"@level":"warning","@message":"m","@timestamp":"2026-08-21T10:11:12.123456Z"}'],
    ["a numeric message", '{"@level":"info","@message":5,"@timestamp":"2026-08-21T10:11:12.123456Z"}'],
    ["a null message", '{"@level":"info","@message":null,"@timestamp":"2026-08-21T10:11:12.123456Z"}'],
    ["a duplicate non-string level", '{"@level":"info","@message":"m","@timestamp":"2026-08-21T10:11:12.123456Z","@level":3}'],
    ["a JSON array", '["info"]'],
    ["text", "[INFO] hello"],
  ];
  for (const [what, line] of rejected) {
    test(`reject ${what}`, () => {
      expect(() => parseLikeGoPlugin(line)).toThrow();
    });
  }
});

describe("logger output", () => {
  test("hclogTimestamp has six fraction digits in UTC", () => {
    expect(hclogTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)))).toBe("2026-01-02T03:04:05.067000Z");
  });

  test("every level, fatal as error", () => {
    const { logger, entries } = capture();
    logger.trace("t");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    logger.fatal("f");
    expect(entries().map((e) => [e.level, e.message])).toEqual([
      ["trace", "t"],
      ["debug", "d"],
      ["info", "i"],
      ["warn", "w"],
      ["error", "e"],
      ["error", "f"],
    ]);
    for (const entry of entries()) expect(entry.kv["@module"]).toBe("pot");
  });

  test("objects become key/value pairs next to the message", () => {
    const { logger, entries } = capture();
    logger.child({ task_id: "t1" }).info({ pot: "web_1", argv: ["pot", "start"], nested: { a: 1 } }, "starting task");
    expect(entries()).toEqual([
      expect.objectContaining({
        message: "starting task",
        level: "info",
        kv: { "@module": "pot", task_id: "t1", pot: "web_1", argv: ["pot", "start"], nested: { a: 1 } },
      }) as unknown as HclogEntry,
    ]);
  });

  test("errors and their causes become one string", () => {
    const { logger, entries } = capture();
    const error = new Error("failed to start pot", { cause: new Error("exit status 1", { cause: "lockf busy" }) });
    logger.error({ error }, "start failed");
    logger.error({ err: error }, "start failed");
    logger.error(error);
    const [first, second, third] = entries();
    expect(first?.kv.error).toBe("failed to start pot: exit status 1: lockf busy");
    expect(second?.kv.err).toBe("failed to start pot: exit status 1: lockf busy");
    expect(third?.message).toBe("failed to start pot");
    expect(describeError(error)).toBe("failed to start pot: exit status 1: lockf busy");
  });

  test("a multi-line message stays one line", () => {
    const { logger, lines, entries } = capture();
    logger.warn("pot said:\n###>  pot not found");
    expect(lines().length).toBe(1);
    expect(entries()[0]?.message).toBe("pot said:\n###>  pot not found");
  });

  test("non-string message arguments are written as strings", () => {
    const { logger, lines, entries } = capture();
    const log = logger as unknown as { info: (...args: unknown[]) => void };
    log.info(42);
    log.info(null);
    log.info(true);
    log.info(10n);
    log.info(Symbol("s"));
    log.info({ a: 1 }, 5);
    log.info({ a: 1 }, { b: 2 });
    log.info("plain %s %d", "x", 3);
    log.info("%i%% of %s, %j; extra", 42.7, 10n, { a: [1] }, "left", 7);
    log.info("%s and %s", "only one");
    expect(lines().length).toBe(10);
    expect(entries().map((e) => e.message)).toEqual([
      "42",
      "null",
      "true",
      "10",
      "Symbol(s)",
      "5",
      '{"b":2}',
      "plain x 3",
      '42% of 10, {"a":[1]}; extra left 7',
      "only one and %s",
    ]);
  });

  test("fields named like hclog's own keys cannot replace them", () => {
    const { logger, entries } = capture();
    const log = logger as unknown as { info: (...args: unknown[]) => void };
    log.info({ "@message": 5 });
    log.info({ "@level": 3, "@timestamp": 4 }, "fields");
    const [first, second] = entries();
    expect(first?.message).toBe("");
    expect(first?.kv._message).toBe(5);
    expect(second?.message).toBe("fields");
    expect(second?.level).toBe("info");
    expect(second?.kv).toMatchObject({ _level: 3, _timestamp: 4 });
  });

  test("the level filters, and a child follows its root's level when the root's changes", () => {
    const { logger, entries } = capture();
    const child = logger.child({ task_id: "t1" });
    logger.level = "warn";
    child.info("hidden");
    child.warn("shown");
    logger.level = "debug";
    child.debug("shown too");
    child.trace("hidden too");
    expect(entries().map((e) => e.message)).toEqual(["shown", "shown too"]);
    expect(() => {
      logger.level = "verbose" as "info";
    }).toThrow("unknown log level");
  });

  test("bigints, nested errors and cyclic values still make one parsable line", () => {
    const { logger, entries } = capture();
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    logger.info({ big: 12345678901234567890n, nested: { error: new Error("inner") }, cyclic }, "odd fields");
    const [entry] = entries();
    expect(entry?.kv.big).toBe("12345678901234567890");
    expect(entry?.kv.nested).toEqual({ error: "inner" });
    expect(entry?.kv.cyclic).toEqual({ name: "a", self: "[Circular]" });
  });

  test("a huge value (a 300 kB argument in an argv) is cut, and the line stays one parsable line", () => {
    const { logger, lines, entries } = capture();
    const huge = `http://127.0.0.1/${"a".repeat(300_000)}`;
    logger.debug({ argv: ["pot", "prepare", "-U", huge] }, "%s", "x".repeat(10_000));
    expect(lines()).toHaveLength(1);
    expect(lines()[0]?.length ?? 0).toBeLessThan(2 * MAX_LOG_STRING + 1_000);
    const [entry] = entries();
    const argv = entry?.kv.argv as string[];
    expect(argv.slice(0, 3)).toEqual(["pot", "prepare", "-U"]);
    expect(argv[3]).toBe(`${huge.slice(0, MAX_LOG_STRING)}… (${huge.length - MAX_LOG_STRING} more characters)`);
    expect(entry?.message).toBe(`${"x".repeat(MAX_LOG_STRING)}… (${10_000 - MAX_LOG_STRING} more characters)`);
  });
});
