// Pot names for tasks (layer 3): `<task>_<invocation>_<alloc>`, deterministic, pot-safe and collision-free.
import { createHash } from "node:crypto";

/**
 * Longest pot name we produce. pot uses `<name>.<host hostname>` as the jail hostname when that fits in
 * POT_HOSTNAME_MAX_LENGTH (64) and otherwise the bare name truncated to 64 (docs/pot-behaviour.md, hostname), so
 * 63 keeps the whole name as the hostname. pf anchors keep the *last* 55 characters of the name
 * (docs/pot-behaviour.md, pf anchors); the invocation and alloc parts (46 characters for Nomad ids) sit at the
 * end, so every anchor stays unique.
 */
export const POT_NAME_MAX_LENGTH = 63;

/** Characters a name part may keep as is. Everything else is rewritten. */
const SAFE_CHAR = /^[A-Za-z0-9_-]$/;
const SAFE_NAME_PATTERN = "[A-Za-z0-9_][A-Za-z0-9_-]*";
const SAFE_NAME = new RegExp(`^${SAFE_NAME_PATTERN}$`);
/** Nomad's own id shapes: invocation ids are 8 hex digits, alloc ids 36-character lower-case UUIDs. */
const NOMAD_INVOCATION_ID_PATTERN = "[0-9a-f]{8}";
const NOMAD_ALLOC_ID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/** potNameForTask's `<task>_<invocation>_<alloc>` for Nomad-shaped ids (those parts pass through unchanged). */
const TASK_POT_NAME = new RegExp(`^${SAFE_NAME_PATTERN}_${NOMAD_INVOCATION_ID_PATTERN}_${NOMAD_ALLOC_ID_PATTERN}$`);
/** Shape of the suffix a rewritten part ends with; an untouched part never ends like this. */
const HASH_SUFFIX = /-[0-9a-f]{8}$/;
const HASH_LENGTH = 8;

/** Nomad invocation ids are 8 hex digits; a longer one is rewritten into this budget. */
const INVOCATION_MAX_LENGTH = 10;
/** Nomad alloc ids are 36-character UUIDs. */
const ALLOC_MAX_LENGTH = 36;

export interface TaskIdParts {
  allocId: string;
  taskName: string;
  invocationId: string;
}

/** The name we expect pot to create, and the `-n` / `-a` values that make `pot prepare` create exactly it. */
export interface PotNaming {
  potName: string;
  /** Value for `pot prepare -n`. */
  prepareName: string;
  /** Value for `pot prepare -a`; pot joins `<-n>_<-a>`. */
  prepareAllocId: string;
}

/**
 * Splits Nomad's TaskConfig.id (`<allocId>/<taskName>/<invocationId>`). The task name is everything between
 * the first and the last `/`. Returns null when the id does not have three non-empty parts.
 */
export function parseTaskId(taskId: string): TaskIdParts | null {
  const first = taskId.indexOf("/");
  const last = taskId.lastIndexOf("/");
  if (first <= 0 || last === first || last === taskId.length - 1) return null;
  const taskName = taskId.slice(first + 1, last);
  if (taskName.length === 0) return null;
  return { allocId: taskId.slice(0, first), taskName, invocationId: taskId.slice(last + 1) };
}

/** pot's own rule for prepared and imported names: every `.` becomes `_` (prepare.sh, import.sh). */
export function applyPotDotRule(name: string): string {
  return name.replaceAll(".", "_");
}

/**
 * True when every pot command can take `name` verbatim: non-empty, only [A-Za-z0-9_-], not starting with
 * `-`, at most POT_NAME_MAX_LENGTH characters. (pot itself only forbids `.`, but its scripts split on
 * whitespace and build paths from the name.)
 */
export function isSafePotName(name: string): boolean {
  return name.length <= POT_NAME_MAX_LENGTH && SAFE_NAME.test(name);
}

/**
 * Maps one name part into the safe set. A part that is already safe, short enough and does not end like a
 * hash suffix is returned unchanged. Any other part becomes its rewritten form (`.` and every other unsafe code
 * point → `_`, a leading `-` → `_`, nothing at all → `_`), cut to leave room, followed by `-` and 8 hex digits of the SHA-256 of the
 * original, so two different inputs never share an output unless their hashes collide.
 */
export function sanitizeNamePart(part: string, maxLength: number): string {
  if (maxLength < HASH_LENGTH + 2) throw new RangeError(`name part budget ${maxLength} is too small`);
  const untouched = part.length > 0 && part.length <= maxLength && SAFE_NAME.test(part) && !HASH_SUFFIX.test(part);
  if (untouched) return part;
  let rewritten = Array.from(part, (ch) => (SAFE_CHAR.test(ch) ? ch : "_")).join("");
  if (rewritten.startsWith("-")) rewritten = `_${rewritten.slice(1)}`;
  const head = rewritten.slice(0, maxLength - HASH_LENGTH - 1) || "_";
  return `${head}-${shortHash(part)}`;
}

/**
 * The pot name of one task invocation: `<task>_<invocation>_<alloc>`, each part passed through
 * sanitizeNamePart, the task part taking whatever room the other two leave under POT_NAME_MAX_LENGTH.
 * Deterministic: the same inputs always give the same name.
 */
export function potNameForTask(parts: TaskIdParts): PotNaming {
  const invocation = sanitizeNamePart(parts.invocationId, INVOCATION_MAX_LENGTH);
  const alloc = sanitizeNamePart(parts.allocId, ALLOC_MAX_LENGTH);
  const taskBudget = POT_NAME_MAX_LENGTH - invocation.length - alloc.length - 2;
  const task = sanitizeNamePart(parts.taskName, taskBudget);
  const prepareAllocId = `${invocation}_${alloc}`;
  return { potName: `${task}_${prepareAllocId}`, prepareName: task, prepareAllocId };
}

/**
 * True when `name` has the shape potNameForTask gives a task with Nomad-shaped ids: `<task>_<8 hex>_<uuid>`.
 * Image pots (`<image>_<tag>`) do not.
 */
export function isDriverPotName(name: string): boolean {
  return TASK_POT_NAME.test(name);
}

/**
 * The name `pot prepare` gives the new pot: pot's dot rule over `<name or image_tag>_<allocId>`
 * (docs/pot-behaviour.md, prepare).
 */
export function preparedPotName(imageName: string, tag: string, allocId: string, name?: string): string {
  const prefix = name === undefined || name === "" ? importedPotName(imageName, tag) : name;
  return applyPotDotRule(`${prefix}_${allocId}`);
}

/** The local name of an imported image: pot's dot rule over `<image>_<tag>` (docs/pot-behaviour.md, import). */
export function importedPotName(imageName: string, tag: string): string {
  return applyPotDotRule(`${imageName}_${tag}`);
}

function shortHash(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex").slice(0, HASH_LENGTH);
}
