// The throw-away task of `pot-task-driver selftest` (cli layer, pure): its Nomad-style task spec, its driver
// config, and what each step expects to see. The in-jail command is a POSIX sh script, so any image with a base
// system runs it.

/** Exit status the task's TERM trap uses, so the stop step can check the exact exit. */
export const SELFTEST_STOP_EXIT = 7;
export const SELFTEST_GREETING = "hello from selftest";
export const SELFTEST_COPY_TEXT = "copied by selftest";
export const SELFTEST_MOUNT_TEXT = "mounted by selftest";
/** Port the task's `http` label maps to inside the jail. */
export const SELFTEST_JAIL_PORT = 8080;

/**
 * The task's command (`exec <command>` in the jail's sh). `$J` is the jail root as the command sees it: `/` in a
 * jail; under the pot simulator, which runs commands on the host, its documented POT_SIM_JAIL_ROOT (see
 * docs/freebsd.md, "selftest").
 */
export function selftestCommand(): string {
  const script = [
    'J="${POT_SIM_JAIL_ROOT:-}"',
    'echo "greeting: $SELFTEST_GREETING"',
    'echo "copy: $(cat "$J/selftest/copied.txt")"',
    'echo "mount: $(cat "$J/selftest-mount/host.txt")"',
    "trap 'echo \"got USR1\"' USR1",
    // Each sleep is ended once waited for (a trapped signal cuts the wait short), and the TERM trap ends the
    // current one, so the task leaves no process behind even where nothing reaps the jail's processes.
    `trap 'echo "stopping"; kill $s 2>/dev/null; exit ${SELFTEST_STOP_EXIT}' TERM`,
    "while :; do sleep 1 & s=$!; wait $s; kill $s 2>/dev/null; done",
  ].join("; ");
  return `/bin/sh -c '${script.replaceAll("'", `'"'"'`)}'`;
}

export interface SelftestImage {
  url: string;
  name: string;
  tag: string;
}

/** The task's `config {}` block as Nomad would decode it. */
export function selftestDriverConfig(image: SelftestImage, taskDir: string): Record<string, unknown> {
  return {
    image: image.url,
    pot: image.name,
    tag: image.tag,
    command: selftestCommand(),
    network_mode: "public-bridge",
    // As Nomad encodes a map attribute in msgpack: a list of maps.
    port_map: [{ http: String(SELFTEST_JAIL_PORT) }],
    copy: [`${taskDir}/local/copy.txt:/selftest/copied.txt`],
    mount: [`${taskDir}/local/mount:/selftest-mount`],
  };
}

/** A Nomad task id: `<alloc id>/<task name>/<8 hex digits>`. */
export function selftestTaskId(allocId: string, invocation: string): string {
  return `${allocId}/selftest/${invocation}`;
}
