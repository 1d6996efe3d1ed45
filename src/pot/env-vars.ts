// Which environment variables pot can carry into a jail (layer 3, pure): the one rule behind set-env, the start
// plan's checks of the task's environment and the variables exec passes on. set-env stores each entry as one
// `pot.env` line of the pot's config, and start turns it into an `export "NAME=value"` line of the script the
// jail's sh runs (docs/pot-behaviour.md, "Attributes, set-env, set-hosts" and "Environment").

/** Names the jail's `sh` can `export`. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What would break a value's line (a NUL also ends the argument that carries it). */
const LINE_BREAK_OR_NUL = /[\n\r\u0000]/;

/** Why a value is refused, as a sentence that follows the variable's name or path. */
export const ENV_VALUE_RULE = "must not contain a newline, carriage return or NUL: pot keeps each variable on one line";

/** True when pot's set-env can carry this variable name into the jail's environment. */
export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** True when pot can carry this value on its one line (see ENV_VALUE_RULE). */
export function isValidEnvValue(value: string): boolean {
  return !LINE_BREAK_OR_NUL.test(value);
}
