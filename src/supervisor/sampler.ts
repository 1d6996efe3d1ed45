// The shared stats sampler: one `ps -A` per collection interval for every supervised session (layer 4).
//
// Subscribers with the same interval share one timer and one ps run per tick, however many tasks there are;
// ps runs only while an interval has at least one subscriber. A session is a supervisor's pid (the supervisor
// is its session leader); see PsIndex for which processes count.
//
// The identity probe of attached supervisors (client.ts) asks the sampler too: a probe waits for the next tick
// of a running interval, which then reads its table with the state and command line columns as well; with no
// interval running, the probes waiting at that moment share one read of their own. So stats and identity
// checks of any number of tasks cost one ps run per tick in total.
import { performance } from "node:perf_hooks";
import { log } from "../log/logger.ts";
import { PsIndex, parsePsTable, PS_IDENTITY_TABLE_ARGS, PS_TABLE_ARGS, type PsRow } from "./ps-table.ts";
import { probeOf, type ProcessProbe, runPs } from "./ps.ts";
import { DEFAULT_SUPERVISOR_TIMEOUTS } from "./timeouts.ts";

export interface SessionSample {
  sessionId: number;
  sampledAt: Date;
  /** Processes counted; 0 once the session has none left. */
  processCount: number;
  pids: number[];
  rssBytes: number;
  /** Accumulated CPU seconds of the processes counted now, summed over cores. */
  cpuSeconds: number;
  /**
   * CPU use since this subscriber's previous sample: Δ cpuSeconds / Δ wall time × 100, summed over cores (may
   * exceed 100), never negative. null on a subscriber's first sample. Linux's ps reports whole CPU seconds,
   * so there it is coarse over short intervals; FreeBSD's has hundredths.
   */
  cpuPercent: number | null;
}

export type SampleListener = (sample: SessionSample) => void;

export interface StatsSubscription {
  readonly sessionId: number;
  readonly intervalMs: number;
  /** Idempotent. The last subscriber of an interval stops its timer. */
  unsubscribe(): void;
}

export interface StatsSamplerOptions {
  /**
   * Produces one process table: the text of `ps` with PS_TABLE_ARGS, or with PS_IDENTITY_TABLE_ARGS when
   * `withIdentity` (identity probes are waiting). Replaced in tests.
   */
  readTable?: (withIdentity: boolean) => Promise<string>;
  /** Deadline of one ps run with the default readTable. */
  psTimeoutMs?: number;
}

interface Subscriber {
  sessionId: number;
  listener: SampleListener;
  previous: { cpuSeconds: number; atMs: number } | undefined;
}

interface IntervalGroup {
  intervalMs: number;
  subscribers: Set<Subscriber>;
  timer: ReturnType<typeof setInterval>;
  inFlight: boolean;
  failing: boolean;
}

interface PendingProbe {
  pid: number;
  resolve: (probe: ProcessProbe) => void;
  reject: (err: unknown) => void;
}

export class StatsSampler {
  readonly #groups = new Map<number, IntervalGroup>();
  readonly #readTable: (withIdentity: boolean) => Promise<string>;
  #tableReads = 0;
  #probesAnswered = 0;
  /** Identity probes waiting for the next table read. */
  #pending: PendingProbe[] = [];
  /** A read of the sampler's own (no interval running) is scheduled or running. */
  #ownRead = false;

  constructor(options: StatsSamplerOptions = {}) {
    const psTimeoutMs = options.psTimeoutMs ?? DEFAULT_SUPERVISOR_TIMEOUTS.psMs;
    this.#readTable = options.readTable ?? ((withIdentity) => readPsTable(psTimeoutMs, withIdentity));
  }

  /** Process tables read so far (with the default readTable, each is one ps process spawned). */
  get spawnCount(): number {
    return this.#tableReads;
  }

  /** Identity probes answered so far (from any table read). */
  get probeCount(): number {
    return this.#probesAnswered;
  }

  /**
   * What `pid` is, from the next table read: "gone" when the table does not list it, "zombie" for state Z,
   * else "live" with its full command line. Waits for the next tick of a running interval; when none is
   * running, the probes asked for in the same turn of the event loop share one read. Rejects when that read
   * fails.
   */
  probe(pid: number): Promise<ProcessProbe> {
    return new Promise<ProcessProbe>((resolve, reject) => {
      this.#pending.push({ pid, resolve, reject });
      if (this.#groups.size === 0 && !this.#ownRead) {
        this.#ownRead = true;
        setImmediate(() => void this.#readForProbes());
      }
    });
  }

  async #readForProbes(): Promise<void> {
    try {
      // An interval started meanwhile answers them on its tick.
      if (this.#groups.size > 0 || this.#pending.length === 0) return;
      const probes = this.#takeProbes();
      let text: string;
      try {
        this.#tableReads += 1;
        text = await this.#readTable(true);
      } catch (err) {
        for (const probe of probes) probe.reject(err);
        return;
      }
      this.#answer(probes, parsePsTable(text, true).rows);
    } finally {
      this.#ownRead = false;
      // Probes asked for while the read ran, with still no interval to answer them.
      if (this.#pending.length > 0 && this.#groups.size === 0) {
        this.#ownRead = true;
        setImmediate(() => void this.#readForProbes());
      }
    }
  }

  #takeProbes(): PendingProbe[] {
    const probes = this.#pending;
    this.#pending = [];
    return probes;
  }

  #answer(probes: readonly PendingProbe[], rows: readonly PsRow[]): void {
    if (probes.length === 0) return;
    const byPid = new Map(rows.map((row) => [row.pid, row]));
    for (const probe of probes) {
      const row = byPid.get(probe.pid);
      this.#probesAnswered += 1;
      probe.resolve(row === undefined ? { state: "gone" } : probeOf(row.stat ?? "", row.args ?? ""));
    }
  }

  /** Intervals that currently have subscribers (and so a running timer), ascending. */
  get activeIntervals(): number[] {
    return [...this.#groups.keys()].sort((a, b) => a - b);
  }

  /**
   * Calls `listener` with the session's usage once per `intervalMs` tick until unsubscribed. A new interval
   * samples at once and then every interval; joining an existing interval waits for its next tick. A tick
   * whose table cannot be read is skipped and logged (once per run of failures); a tick still reading when
   * the next one is due makes that one skip. A listener that throws is logged and stays subscribed.
   */
  subscribe(sessionId: number, intervalMs: number, listener: SampleListener): StatsSubscription {
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`stats interval must be a positive integer of milliseconds, got ${intervalMs}`);
    }
    const subscriber: Subscriber = { sessionId, listener, previous: undefined };
    let group = this.#groups.get(intervalMs);
    const created = group === undefined;
    if (group === undefined) {
      const newGroup: IntervalGroup = {
        intervalMs,
        subscribers: new Set(),
        timer: setInterval(() => void this.#tick(newGroup), intervalMs),
        inFlight: false,
        failing: false,
      };
      newGroup.timer.unref();
      this.#groups.set(intervalMs, newGroup);
      group = newGroup;
    }
    group.subscribers.add(subscriber);
    if (created) void this.#tick(group);
    const owner = group;
    let active = true;
    return {
      sessionId,
      intervalMs,
      unsubscribe: () => {
        if (!active) return;
        active = false;
        owner.subscribers.delete(subscriber);
        if (owner.subscribers.size === 0 && this.#groups.get(intervalMs) === owner) {
          clearInterval(owner.timer);
          this.#groups.delete(intervalMs);
          // Probes that were waiting for this interval's next tick get a read of their own.
          if (this.#groups.size === 0 && this.#pending.length > 0 && !this.#ownRead) {
            this.#ownRead = true;
            setImmediate(() => void this.#readForProbes());
          }
        }
      },
    };
  }

  async #tick(group: IntervalGroup): Promise<void> {
    if (group.inFlight || group.subscribers.size === 0) return;
    group.inFlight = true;
    const atMs = performance.now();
    const sampledAt = new Date();
    // Identity probes waiting now ride along on this tick's read.
    const probes = this.#takeProbes();
    let text: string;
    try {
      this.#tableReads += 1;
      text = await this.#readTable(probes.length > 0);
    } catch (err) {
      for (const probe of probes) probe.reject(err);
      if (!group.failing) log.warn({ interval_ms: group.intervalMs, error: err }, "failed to sample process stats");
      else log.debug({ interval_ms: group.intervalMs, error: err }, "failed to sample process stats");
      group.failing = true;
      return;
    } finally {
      group.inFlight = false;
    }
    if (group.failing) {
      log.debug({ interval_ms: group.intervalMs }, "process stats sampling recovered");
      group.failing = false;
    }
    const table = parsePsTable(text, probes.length > 0);
    this.#answer(probes, table.rows);
    if (table.rejected.length > 0) {
      log.debug({ lines: table.rejected.slice(0, 3), count: table.rejected.length }, "ignored unparsable ps lines");
    }
    const index = new PsIndex(table.rows);
    for (const subscriber of [...group.subscribers]) {
      const usage = index.usage(subscriber.sessionId);
      const previous = subscriber.previous;
      const elapsedS = previous === undefined ? 0 : (atMs - previous.atMs) / 1000;
      const cpuPercent =
        previous === undefined || elapsedS <= 0 ? null : (Math.max(0, usage.cpuSeconds - previous.cpuSeconds) / elapsedS) * 100;
      subscriber.previous = { cpuSeconds: usage.cpuSeconds, atMs };
      try {
        subscriber.listener({
          sessionId: subscriber.sessionId,
          sampledAt,
          processCount: usage.pids.length,
          pids: usage.pids,
          rssBytes: usage.rssKiB * 1024,
          cpuSeconds: usage.cpuSeconds,
          cpuPercent,
        });
      } catch (err) {
        log.warn({ session: subscriber.sessionId, error: err }, "stats listener failed");
      }
    }
  }
}

/** Runs ps once with PS_TABLE_ARGS (or PS_IDENTITY_TABLE_ARGS); rejects on a non-zero exit. */
export async function readPsTable(timeoutMs: number, withIdentity = false): Promise<string> {
  const result = await runPs(withIdentity ? PS_IDENTITY_TABLE_ARGS : PS_TABLE_ARGS, timeoutMs);
  if (result.exitCode !== 0) {
    throw new Error(`ps exited with ${result.exitCode ?? "a signal"}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** The driver process's one sampler. */
export const sharedSampler = new StatsSampler();
