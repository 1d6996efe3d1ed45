// Parsing `ps -A` process tables and summing them per session, for the stats sampler (layer 4, pure).
//
// Output shapes differ between the two ps(1) implementations only in the CPU time column:
//   FreeBSD:       "  812   811   811  2340   0:01.27"     time = minutes:seconds.hundredths (bin/ps/print.c)
//   Linux procps:  "  812   811   811  2340 00:00:01"      time = [DD-]HH:MM:SS, whole seconds only
// rss is KiB on both.

/** argv (after ps itself) of the one table run per stats interval. */
export const PS_TABLE_ARGS: readonly string[] = ["-A", "-o", "pid=", "-o", "ppid=", "-o", "sid=", "-o", "rss=", "-o", "time="];

/**
 * The same table with each process's state and full-width command line as well (the supervisor identity
 * probe's columns), read instead of PS_TABLE_ARGS on a tick where identity probes are waiting.
 */
export const PS_IDENTITY_TABLE_ARGS: readonly string[] = ["-ww", ...PS_TABLE_ARGS, "-o", "stat=", "-o", "args="];

export interface PsRow {
  pid: number;
  ppid: number;
  sid: number;
  rssKiB: number;
  /** Accumulated CPU time (user + system), summed over all cores. */
  cpuSeconds: number;
  /** Only in a table read with PS_IDENTITY_TABLE_ARGS: ps's state letters ("Ss", "Z") and the command line. */
  stat?: string;
  args?: string;
}

export interface PsTable {
  rows: PsRow[];
  /** Lines that were not well-formed columns (kept for diagnostics, never guessed at). */
  rejected: string[];
}

/** The five numeric columns, then (identity tables) the state and the rest of the line as the command line. */
const IDENTITY_LINE = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s(.*))?$/;

/** Parses the output of `ps` with PS_TABLE_ARGS, or with PS_IDENTITY_TABLE_ARGS when `withIdentity`. */
export function parsePsTable(text: string, withIdentity = false): PsTable {
  const rows: PsRow[] = [];
  const rejected: string[] = [];
  // Most processes show the same few CPU times ("00:00:00"): each distinct text is parsed once per table.
  const cpuTimes = new Map<string, number | undefined>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let fields: string[];
    let identity: { stat: string; args: string } | undefined;
    if (withIdentity) {
      const match = IDENTITY_LINE.exec(line);
      if (match === null) {
        rejected.push(line);
        continue;
      }
      fields = match.slice(1, 6) as string[];
      identity = { stat: match[6] as string, args: (match[7] ?? "").trim() };
    } else {
      fields = plainFields(line) ?? line.trim().split(/\s+/);
    }
    if (fields.length !== 5) {
      rejected.push(line);
      continue;
    }
    const pid = parseCount(fields[0] as string);
    const ppid = parseCount(fields[1] as string);
    const sid = parseCount(fields[2] as string);
    const rss = parseCount(fields[3] as string);
    const time = fields[4] as string;
    let cpuSeconds = cpuTimes.get(time);
    if (cpuSeconds === undefined && !cpuTimes.has(time)) {
      cpuSeconds = parseCpuTime(time);
      cpuTimes.set(time, cpuSeconds);
    }
    if (pid === undefined || ppid === undefined || sid === undefined || rss === undefined || cpuSeconds === undefined) {
      rejected.push(line);
      continue;
    }
    rows.push({ pid, ppid, sid, rssKiB: rss, cpuSeconds, ...identity });
  }
  return { rows, rejected };
}

/**
 * The space-separated words of a line made only of spaces, digits and the time column's ":.,-" (the shape of
 * every PS_TABLE_ARGS line), the same words `line.trim().split(/\s+/)` gives, without a regular expression;
 * undefined for a line with any other character, which the general split handles.
 */
function plainFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20) {
      if (start >= 0) fields.push(line.slice(start, i));
      start = -1;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2e || c === 0x2c || c === 0x2d) {
      if (start < 0) start = i;
    } else {
      return undefined;
    }
  }
  if (start >= 0) fields.push(line.slice(start));
  return fields;
}

/**
 * Parses a ps CPU time in seconds: "[D-]H:M:S", "M:S" with an optional fraction after "." or ",", as printed
 * by procps and FreeBSD ps. Undefined when it is neither.
 */
export function parseCpuTime(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(\d+(?::\d+){0,2})(?:[.,](\d+))?$/.exec(text);
  if (match === null) return undefined;
  const [, days, clock, fraction] = match;
  const parts = (clock as string).split(":").map(Number);
  if (parts.slice(1).some((part) => part >= 60)) return undefined;
  if (days !== undefined && parts.length !== 3) return undefined;
  let seconds = 0;
  for (const part of parts) seconds = seconds * 60 + part;
  if (days !== undefined) seconds += Number(days) * 86_400;
  if (fraction !== undefined) seconds += Number(`0.${fraction}`);
  return seconds;
}

/** What one session uses, summed over its processes. */
export interface SessionUsage {
  sessionId: number;
  /** Sorted. Empty when the session has no process left. */
  pids: number[];
  rssKiB: number;
  cpuSeconds: number;
}

/**
 * One table, indexed for per-session sums. A session's processes are those whose session id is the session
 * id, plus their descendants through ppid (so a child that called setsid() is still counted while its parent
 * lives). Not counted: a process that left the session and whose parent chain no longer reaches it (a daemon
 * that double-forked and was re-parented to init). A process that exited takes its CPU time with it, so a
 * session's cpuSeconds can go down between two tables.
 */
export class PsIndex {
  readonly #bySession = new Map<number, PsRow[]>();
  readonly #children = new Map<number, PsRow[]>();

  constructor(rows: readonly PsRow[]) {
    for (const row of rows) {
      push(this.#bySession, row.sid, row);
      if (row.ppid !== row.pid) push(this.#children, row.ppid, row);
    }
  }

  usage(sessionId: number): SessionUsage {
    const seen = new Map<number, PsRow>();
    const queue = [...(this.#bySession.get(sessionId) ?? [])];
    while (queue.length > 0) {
      const row = queue.pop() as PsRow;
      if (seen.has(row.pid)) continue;
      seen.set(row.pid, row);
      queue.push(...(this.#children.get(row.pid) ?? []));
    }
    let rssKiB = 0;
    let cpuSeconds = 0;
    for (const row of seen.values()) {
      rssKiB += row.rssKiB;
      cpuSeconds += row.cpuSeconds;
    }
    return { sessionId, pids: [...seen.keys()].sort((a, b) => a - b), rssKiB, cpuSeconds };
  }
}

function push(map: Map<number, PsRow[]>, key: number, row: PsRow): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [row]);
  else list.push(row);
}

function parseCount(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
