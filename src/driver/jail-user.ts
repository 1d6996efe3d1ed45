// Running a task as a user of the jail (driver layer, pure): the account from the jail's own user database and
// the in-jail command that switches to it (docs/networking.md, "Users").
//
// pot starts the jail's command as root (`jexec <jail> /tmp/tinirc`), and `pot exec -U` goes through `jexec -l`,
// which must chdir into the account's home (/nonexistent for www). So both the command and `alloc exec` are run
// through the jail's own /usr/sbin/chroot with `-u uid -g gid -G groups /`: it execs in place (the main pid stays
// the task's), looks nothing up itself (numeric ids), and sets the groups explicitly — with only `-u`, FreeBSD's
// chroot(8) would keep root's group and supplementary groups.
/** The tool that switches user inside the jail (FreeBSD base, usr.sbin/chroot). */
export const JAIL_CHROOT = "/usr/sbin/chroot";

/** An account of the jail, as its /etc/passwd and /etc/group define it. */
export interface JailAccount {
  name: string;
  uid: number;
  gid: number;
  /** Primary group first, then every group listing the account as a member (what initgroups(3) sets). */
  groups: number[];
  home: string;
}

/** FreeBSD login names (pw(8)): no `:`/`,`/whitespace, not starting with `-`, at most 32 bytes (MAXLOGNAME−1). */
const LOGIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

/** Why `user` cannot name a jail account; undefined when it can. */
export function userNameProblem(user: string): string | undefined {
  if (!LOGIN_NAME.test(user) || new TextEncoder().encode(user).length > 32) {
    return "must be a login name: letters, digits, '_', '.', '-' (an optional trailing '$'), at most 32 characters";
  }
  return undefined;
}

const ID = /^[0-9]{1,10}$/;

/**
 * The account `user` in the jail's passwd(5) and group(5) texts; undefined when passwd has no such line. The
 * first line for the name wins, as getpwnam(3) reads it.
 */
export function findJailAccount(user: string, passwd: string, group: string): JailAccount | undefined {
  let account: JailAccount | undefined;
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length < 7 || fields[0] !== user || line.startsWith("#")) continue;
    const [, , uid = "", gid = "", , home = ""] = fields;
    if (!ID.test(uid) || !ID.test(gid)) continue;
    account = { name: user, uid: Number(uid), gid: Number(gid), groups: [Number(gid)], home };
    break;
  }
  if (account === undefined) return undefined;
  for (const line of group.split("\n")) {
    const [name = "", , gid = "", members = ""] = line.split(":");
    if (name === "" || line.startsWith("#") || !ID.test(gid)) continue;
    const id = Number(gid);
    if (members.split(",").includes(user) && !account.groups.includes(id)) account.groups.push(id);
  }
  return account;
}

/** `/usr/sbin/chroot -u uid -g gid -G groups /`: the words before the command that run it as `account`. */
export function switchUserArgv(account: JailAccount): string[] {
  return [JAIL_CHROOT, "-u", String(account.uid), "-g", String(account.gid), "-G", account.groups.join(","), "/"];
}
