// The parts of a FreeBSD base system the simulator's images carry for running tasks as users: the user
// database (etc/passwd, etc/group, as FreeBSD 14 installs them) and a model of usr.sbin/chroot that switches
// credentials the way chroot(8) does, reporting them as POT_SIM_UID / POT_SIM_GID / POT_SIM_GROUPS.
import type { ImageFile } from "./pot-image.ts";

/** FreeBSD 14's /etc/passwd accounts (www's home is /nonexistent, as on FreeBSD). */
export const BASE_PASSWD = [
  "root:*:0:0:Charlie &:/root:/bin/sh",
  "toor:*:0:0:Bourne-again Superuser:/root:",
  "daemon:*:1:1:Owner of many system processes:/root:/usr/sbin/nologin",
  "operator:*:2:5:System &:/:/usr/sbin/nologin",
  "bin:*:3:7:Binaries Commands and Source:/:/usr/sbin/nologin",
  "tty:*:4:65533:Tty Sandbox:/:/usr/sbin/nologin",
  "kmem:*:5:65533:KMem Sandbox:/:/usr/sbin/nologin",
  "games:*:7:13:Games pseudo-user:/:/usr/sbin/nologin",
  "news:*:8:8:News Subsystem:/:/usr/sbin/nologin",
  "man:*:9:9:Mister Man Pages:/usr/share/man:/usr/sbin/nologin",
  "sshd:*:22:22:Secure Shell Daemon:/var/empty:/usr/sbin/nologin",
  "smmsp:*:25:25:Sendmail Submission User:/var/spool/clientmqueue:/usr/sbin/nologin",
  "mailnull:*:26:26:Sendmail Default User:/var/spool/mqueue:/usr/sbin/nologin",
  "bind:*:53:53:Bind Sandbox:/:/usr/sbin/nologin",
  "unbound:*:59:59:Unbound DNS Resolver:/var/unbound:/usr/sbin/nologin",
  "proxy:*:62:62:Packet Filter pseudo-user:/nonexistent:/usr/sbin/nologin",
  "_pflogd:*:64:64:pflogd privsep user:/var/empty:/usr/sbin/nologin",
  "_dhcp:*:65:65:dhcp programs:/var/empty:/usr/sbin/nologin",
  "uucp:*:66:66:UUCP pseudo-user:/var/spool/uucppublic:/usr/local/libexec/uucp/uucico",
  "pop:*:68:6:Post Office Owner:/nonexistent:/usr/sbin/nologin",
  "auditdistd:*:78:77:Auditdistd unprivileged user:/var/empty:/usr/sbin/nologin",
  "www:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin",
  "ntpd:*:123:123:NTP Daemon:/var/db/ntp:/usr/sbin/nologin",
  "_ypldap:*:160:160:YP LDAP unprivileged user:/var/empty:/usr/sbin/nologin",
  "hast:*:845:845:HAST unprivileged user:/var/empty:/usr/sbin/nologin",
  "tests:*:977:977:Unprivileged user for tests:/nonexistent:/usr/sbin/nologin",
  "nobody:*:65534:65534:Unprivileged user:/nonexistent:/usr/sbin/nologin",
];

/** FreeBSD 14's /etc/group. */
export const BASE_GROUP = [
  "wheel:*:0:root",
  "daemon:*:1:",
  "kmem:*:2:",
  "sys:*:3:",
  "tty:*:4:",
  "operator:*:5:root",
  "mail:*:6:",
  "bin:*:7:",
  "news:*:8:",
  "man:*:9:",
  "games:*:13:",
  "ftp:*:14:",
  "staff:*:20:",
  "sshd:*:22:",
  "smmsp:*:25:",
  "mailnull:*:26:",
  "guest:*:31:",
  "video:*:44:",
  "realtime:*:47:",
  "bind:*:53:",
  "unbound:*:59:",
  "proxy:*:62:",
  "authpf:*:63:",
  "_pflogd:*:64:",
  "_dhcp:*:65:",
  "uucp:*:66:",
  "dialer:*:68:",
  "network:*:69:",
  "audit:*:77:",
  "www:*:80:",
  "ntpd:*:123:",
  "_ypldap:*:160:",
  "hast:*:845:",
  "tests:*:977:",
  "nogroup:*:65533:",
  "nobody:*:65534:",
];

/**
 * chroot(8) as FreeBSD 14 builds it (usr.sbin/chroot/chroot.c), over the simulated jail: `-g` and `-G` and `-u`
 * are looked up (names in the jail's group/passwd, or numbers), only root may use it, `newroot` must exist in
 * the jail, then the credentials change in chroot.c's order — setgroups, setgid (which also replaces the first
 * group, as FreeBSD's egid is groups[0]), setuid — and the command is exec'd in place. Without `-g`/`-G` the
 * caller's group and groups stay: `-u` alone keeps root's.
 */
const CHROOT = `#!/bin/sh
usage() { echo "usage: chroot [-g group] [-G group,group,...] [-u user] [-n] newroot [command]" >&2; exit 1; }
root=\${POT_SIM_JAIL_ROOT:?chroot model needs POT_SIM_JAIL_ROOT}
user= group= grouplist=
while getopts "G:g:u:n" o; do
  case $o in
  u) [ -n "$OPTARG" ] || usage; user=$OPTARG ;;
  g) [ -n "$OPTARG" ] || usage; group=$OPTARG ;;
  G) [ -n "$OPTARG" ] || usage; grouplist=$OPTARG ;;
  n) ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
newroot=$1
shift
# chroot.c: a leading digit means a number, unless more than digits follow; then the name is looked up.
lookup() {
  case $2 in
  [0-9]*) case $2 in *[!0-9]*) ;; *) echo "$2"; return 0 ;; esac ;;
  esac
  awk -F: -v n="$2" '$1 == n { print $3; found = 1; exit } END { exit !found }' "$root/etc/$1" 2>/dev/null
}
if [ -n "$group" ]; then gid=$(lookup group "$group") || { echo "chroot: no such group \\\`$group'" >&2; exit 1; }; fi
groups=
if [ -n "$grouplist" ]; then
  for g in $(echo "$grouplist" | tr ',' ' '); do
    id=$(lookup group "$g") || { echo "chroot: no such group \\\`$g'" >&2; exit 1; }
    groups=\${groups:+$groups,}$id
  done
fi
if [ -n "$user" ]; then uid=$(lookup passwd "$user") || { echo "chroot: no such user \\\`$user'" >&2; exit 1; }; fi
if [ "\${POT_SIM_UID:-0}" != 0 ]; then echo "chroot: $newroot: Operation not permitted" >&2; exit 1; fi
cd "$root/$newroot" 2>/dev/null || { echo "chroot: $newroot: No such file or directory" >&2; exit 1; }
cur_groups=\${POT_SIM_GROUPS:-0}
[ -n "$groups" ] && cur_groups=$groups
cur_gid=\${POT_SIM_GID:-0}
if [ -n "$group" ]; then cur_gid=$gid; cur_groups=$gid\${cur_groups#"\${cur_groups%%,*}"}; fi
cur_uid=\${POT_SIM_UID:-0}
[ -n "$user" ] && cur_uid=$uid
if [ $# -eq 0 ]; then set -- "\${SHELL:-/bin/sh}" -i; fi
prog=$1
shift
case $prog in /*) [ -f "$root$prog" ] && prog=$root$prog ;; esac
exec env POT_SIM_UID="$cur_uid" POT_SIM_GID="$cur_gid" POT_SIM_GROUPS="$cur_groups" "$prog" "$@"
`;

/** Image files of a FreeBSD base jail; `passwd`/`group` lines are appended to the base accounts. */
export function freebsdBase(extra: { passwd?: string[]; group?: string[] } = {}): Record<string, ImageFile> {
  return {
    "/etc/passwd": { content: [...BASE_PASSWD, ...(extra.passwd ?? [])].map((l) => `${l}\n`).join(""), mode: 0o644 },
    "/etc/group": { content: [...BASE_GROUP, ...(extra.group ?? [])].map((l) => `${l}\n`).join(""), mode: 0o644 },
    "/usr/sbin/chroot": { content: CHROOT, mode: 0o555 },
  };
}
