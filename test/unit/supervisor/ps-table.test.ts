// Table tests for src/supervisor/ps-table.ts: both ps output shapes, CPU time formats, per-session sums.
//
// fixtures/ps-table-linux.txt is procps output captured here, trimmed and with a supervised session added;
// fixtures/ps-table-freebsd.txt follows the formats in FreeBSD's bin/ps/print.c (it was not captured on FreeBSD).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PS_IDENTITY_TABLE_ARGS, PS_TABLE_ARGS, PsIndex, parseCpuTime, parsePsTable } from "../../../src/supervisor/ps-table.ts";

const fixture = (name: string): string => readFileSync(join(import.meta.dir, "fixtures", name), "utf8");

describe("parseCpuTime", () => {
  const table: [string, number | undefined][] = [
    // procps: [DD-]HH:MM:SS
    ["00:00:00", 0],
    ["00:00:05", 5],
    ["00:01:02", 62],
    ["12:34:56", 45_296],
    ["1-02:03:04", 93_784],
    ["123-00:00:01", 123 * 86_400 + 1],
    // FreeBSD: minutes:seconds.hundredths (bin/ps/print.c printtime)
    ["0:00.00", 0],
    ["0:00.03", 0.03],
    ["1:02.50", 62.5],
    ["1563:04.25", 93_784.25],
    ["0:01,27", 1.27],
    // not CPU times
    ["", undefined],
    ["-", undefined],
    ["1:60", undefined],
    ["00:61:00", undefined],
    ["1-00:00", undefined],
    ["1:2:3:4", undefined],
    ["abc", undefined],
    ["1.5", 1.5],
  ];
  for (const [text, seconds] of table) {
    test(JSON.stringify(text), () => {
      const parsed = parseCpuTime(text);
      if (seconds === undefined) expect(parsed).toBeUndefined();
      else expect(parsed).toBeCloseTo(seconds, 6);
    });
  }
});

describe("parsePsTable", () => {
  test("the args ask for each column in its own -o with an empty header", () => {
    expect(PS_TABLE_ARGS).toEqual(["-A", "-o", "pid=", "-o", "ppid=", "-o", "sid=", "-o", "rss=", "-o", "time="]);
  });

  test("the identity table adds state and full-width command line, command line last", () => {
    expect(PS_IDENTITY_TABLE_ARGS).toEqual(["-ww", ...PS_TABLE_ARGS, "-o", "stat=", "-o", "args="]);
  });

  test("identity tables keep the whole command line, spaces included, and an empty one", () => {
    const text = [
      "  812   811   811  2340   0:01.27 Ss   /bin/sh /var/db/x/tasks/ab/supervise.sh tok  --  pot start",
      "    2     0     0     0 00:00:00 S    [kthreadd]",
      "  900   812   811     0   0:00.00 Z    ",
      "  901   812   811     0   0:00.00 Z",
      "  not a number line",
    ].join("\n");
    const { rows, rejected } = parsePsTable(text, true);
    expect(rows).toEqual([
      {
        pid: 812,
        ppid: 811,
        sid: 811,
        rssKiB: 2340,
        cpuSeconds: 1.27,
        stat: "Ss",
        args: "/bin/sh /var/db/x/tasks/ab/supervise.sh tok  --  pot start",
      },
      { pid: 2, ppid: 0, sid: 0, rssKiB: 0, cpuSeconds: 0, stat: "S", args: "[kthreadd]" },
      { pid: 900, ppid: 812, sid: 811, rssKiB: 0, cpuSeconds: 0, stat: "Z", args: "" },
      { pid: 901, ppid: 812, sid: 811, rssKiB: 0, cpuSeconds: 0, stat: "Z", args: "" },
    ]);
    expect(rejected).toEqual(["  not a number line"]);
  });

  test("Linux procps shape", () => {
    const { rows, rejected } = parsePsTable(fixture("ps-table-linux.txt"));
    expect(rejected).toEqual([]);
    expect(rows).toHaveLength(11);
    expect(rows[0]).toEqual({ pid: 1, ppid: 0, sid: 0, rssKiB: 16404, cpuSeconds: 5 });
    expect(rows.find((row) => row.pid === 4102)).toEqual({ pid: 4102, ppid: 4101, sid: 4100, rssKiB: 2048, cpuSeconds: 93_784 });
  });

  test("FreeBSD shape", () => {
    const { rows, rejected } = parsePsTable(fixture("ps-table-freebsd.txt"));
    expect(rejected).toEqual([]);
    expect(rows).toHaveLength(10);
    expect(rows.find((row) => row.pid === 4101)).toEqual({ pid: 4101, ppid: 4100, sid: 4100, rssKiB: 3072, cpuSeconds: 62.5 });
  });

  test("malformed lines are rejected, never guessed at; blank lines are ignored", () => {
    const { rows, rejected } = parsePsTable("  10   1  10  100 0:00.01\n\nPID PPID SID RSS TIME\n 11 1 11 x 0:00.00\n 12 1 12 5\n");
    expect(rows.map((row) => row.pid)).toEqual([10]);
    expect(rejected).toEqual(["PID PPID SID RSS TIME", " 11 1 11 x 0:00.00", " 12 1 12 5"]);
  });

  test("any whitespace separates columns; odd columns are rejected whatever the separator", () => {
    const { rows, rejected } = parsePsTable(
      "\t10\t1 10  100   1-02:03:04 \r\n 11 1 11 7 0:00,50\n 12\u00a01 12 5 0:01\n 13 1 13 5 0:60\n 14 1 14 5 1-2:3\n 15 1 15 99999999999999999 0:00\n",
    );
    expect(rows).toEqual([
      { pid: 10, ppid: 1, sid: 10, rssKiB: 100, cpuSeconds: 93_784 },
      { pid: 11, ppid: 1, sid: 11, rssKiB: 7, cpuSeconds: 0.5 },
      { pid: 12, ppid: 1, sid: 12, rssKiB: 5, cpuSeconds: 1 },
    ]);
    expect(rejected).toEqual([" 13 1 13 5 0:60", " 14 1 14 5 1-2:3", " 15 1 15 99999999999999999 0:00"]);
  });
});

describe("PsIndex.usage", () => {
  const cases: [string, number, number[], number, number][] = [
    // fixture, session, pids, rss KiB, cpu seconds
    ["ps-table-linux.txt", 4100, [4100, 4101, 4102, 4103, 4104, 4105], 11_900, 93_886],
    ["ps-table-linux.txt", 4103, [4103, 4104], 5_120, 40],
    ["ps-table-linux.txt", 5000, [5000], 8_192, 600],
    ["ps-table-linux.txt", 9999, [], 0, 0],
    ["ps-table-freebsd.txt", 4100, [4100, 4101, 4102, 4103, 4104, 4105], 11_900, 93_886.76],
    ["ps-table-freebsd.txt", 4103, [4103, 4104], 5_120, 40.01],
    ["ps-table-freebsd.txt", 9999, [], 0, 0],
  ];
  for (const [name, session, pids, rssKiB, cpuSeconds] of cases) {
    test(`${name} session ${session}`, () => {
      const usage = new PsIndex(parsePsTable(fixture(name)).rows).usage(session);
      expect(usage.sessionId).toBe(session);
      expect(usage.pids).toEqual(pids);
      expect(usage.rssKiB).toBe(rssKiB);
      expect(usage.cpuSeconds).toBeCloseTo(cpuSeconds, 6);
    });
  }

  test("a process that is its own parent does not loop", () => {
    const index = new PsIndex([{ pid: 7, ppid: 7, sid: 7, rssKiB: 1, cpuSeconds: 1 }]);
    expect(index.usage(7).pids).toEqual([7]);
  });
});
