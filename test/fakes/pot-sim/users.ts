// The user database of a simulated jail: its own etc/passwd and etc/group (a FreeBSD base jail's getpwnam(3)
// and getgrouplist(3) read the same accounts from pwd.db). Jailed processes carry their credentials as
// POT_SIM_UID / POT_SIM_GID / POT_SIM_GROUPS, since Linux cannot give them a jail's: pot runs the jail's
// command and `pot exec` as root unless told otherwise.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface SimAccount {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
  home: string;
  shell: string;
}

/** Root's credentials inside the jail: uid 0, gid 0 (wheel), groups wheel and operator. */
export const ROOT_CREDENTIALS: Record<string, string> = { POT_SIM_UID: "0", POT_SIM_GID: "0", POT_SIM_GROUPS: "0,5" };

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** getpwnam + getgrouplist against `<root>/etc/passwd` and `<root>/etc/group`; undefined when unknown. */
export function lookupAccount(root: string, name: string): SimAccount | undefined {
  for (const line of read(join(root, "etc", "passwd")).split("\n")) {
    const fields = line.split(":");
    if (line.startsWith("#") || fields.length < 7 || fields[0] !== name) continue;
    const gid = Number(fields[3]);
    const groups = [gid];
    for (const group of read(join(root, "etc", "group")).split("\n")) {
      const [, , id = "", members = ""] = group.split(":");
      if (!group.startsWith("#") && members.split(",").includes(name) && !groups.includes(Number(id))) groups.push(Number(id));
    }
    return { name, uid: Number(fields[2]), gid, groups, home: fields[5] ?? "", shell: fields[6] ?? "" };
  }
  return undefined;
}

export function credentialsOf(account: SimAccount): Record<string, string> {
  return { POT_SIM_UID: String(account.uid), POT_SIM_GID: String(account.gid), POT_SIM_GROUPS: account.groups.join(",") };
}
