// The one rule for a path the driver compares or hands on (support layer: used by the config checks in driver/
// and by child-env.ts; imports nothing): absolute, without control characters, and without `.`/`..` segments, so
// a prefix check against an allowed directory means what it says.

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Why `path` breaks the rule, as a phrase that follows the field's name; undefined when it keeps it. */
export function absolutePathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path";
  if (CONTROL_CHARS.test(path)) return "must not contain control characters";
  if (path.split("/").some((part) => part === "." || part === "..")) return "must not contain . or .. segments";
  return undefined;
}
