// What an operating-system error was: the errno name (`"ENOENT"`) Bun and Node put on it as `code`, read the
// same way everywhere. Layers that wrap an error keep it as the cause, so the cause chain is searched too.

/** How many causes deep the lookup goes (a chain of wrappers is short; a cycle must not loop forever). */
const MAX_DEPTH = 8;

/** An errno name: "E" and capitals or digits ("ENOENT", "E2BIG"); not Node's "ERR_…" codes nor gRPC's numbers. */
const ERRNO_NAME = /^E[A-Z0-9]+$/;

/** The errno names along `err` and its causes, outermost first. */
function errnoNames(err: unknown): string[] {
  const names: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && ERRNO_NAME.test(code)) names.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return names;
}

/** The errno name of `err`, or of the first error in its cause chain that has one; undefined when none has. */
export function errnoOf(err: unknown): string | undefined {
  return errnoNames(err)[0];
}

/** Whether `err` or any error in its cause chain has one of the errno names `codes`. */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  return errnoNames(err).some((name) => codes.includes(name));
}
