// What an operating-system error was: the errno name (`"ENOENT"`) Bun and Node put on it as `code`, read the
// same way everywhere. Layers that wrap an error keep it as the cause, so the cause chain is searched too.

/** How many causes deep the lookup goes (a chain of wrappers is short; a cycle must not loop forever). */
const MAX_DEPTH = 8;

/** The errno name of `err`, or of the first error in its cause chain that has one; undefined when none has. */
export function errnoOf(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether the errno name of `err` (see errnoOf) is one of `codes`. */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoOf(err);
  return code !== undefined && codes.includes(code);
}
