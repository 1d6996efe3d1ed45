# shellcheck shell=bash
# Operating-system probes for the shell test scripts (test/e2e, build-nomad.sh), each with a Linux branch and a
# FreeBSD branch: FreeBSD has no /proc by default, lockf(1) instead of flock(1), `rm -x` instead of
# `rm --one-file-system`, `umount -f` instead of `umount -l`, and `mount -p` instead of /proc/mounts.
# Source it; HOST_OS may be set first to force a branch (the unit tests do). See docs/freebsd.md.

HOST_OS=${HOST_OS:-$(uname -s)}

_host_is_freebsd() { [[ $HOST_OS == FreeBSD ]]; }

# host_pids_matching MARKER DIR: pids (except this shell) whose environment holds the exact entry MARKER
# (NAME=value) or whose command line names something under DIR/.
host_pids_matching() {
  local marker=$1 dir=$2 self=$$ p
  if _host_is_freebsd; then
    # procstat(1) -c / -e with -a: "PID COMM ARGS…" / "PID COMM NAME=value NAME=value…", one process a line.
    {
      procstat -h -e -a 2>/dev/null | awk -v m="$marker" '{ for (i = 3; i <= NF; i++) if ($i == m) { print $1; break } }'
      procstat -h -c -a 2>/dev/null | awk -v d="$dir/" 'index($0, d) > 0 { print $1 }'
    } | sort -un | while read -r p; do
      [[ $p == "$self" || $p == "$BASHPID" ]] || echo "$p"
    done
    return 0
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$self" || $p == "$BASHPID" ]] && continue
    if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "$marker" ||
      { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$dir/"; then
      echo "$p"
    fi
  done
}

# host_args PID: the process's argv joined by spaces (empty when it is gone).
host_args() {
  if _host_is_freebsd; then
    procstat -h -c "$1" 2>/dev/null | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }'
  else
    { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null
  fi
}

# host_mount_table: the mount table, mount point in the second column (/proc/mounts, or fstab(5) format).
host_mount_table() {
  if _host_is_freebsd; then mount -p; else cat /proc/mounts; fi
}

# host_mounts_under DIR: mount points below DIR/, deepest first.
host_mounts_under() {
  host_mount_table 2>/dev/null | awk -v w="$1/" 'index($2, w) == 1 { print $2 }' | sort -r
}

# host_unmount MOUNTPOINT: detach it even when busy (Linux lazily, FreeBSD by force).
host_unmount() {
  if _host_is_freebsd; then umount -f "$1"; else umount -l "$1"; fi
}

# host_rm_tree DIR: remove DIR without crossing into other file systems mounted below it.
host_rm_tree() {
  if _host_is_freebsd; then rm -rfx "$1"; else rm -rf --one-file-system "$1"; fi
}

# host_locked LOCKFILE COMMAND [ARG…]: runs COMMAND holding an exclusive lock on LOCKFILE (flock(1) / lockf(1)),
# waiting for it; the lock file stays.
host_locked() {
  local lock=$1
  shift
  if _host_is_freebsd; then lockf -k "$lock" "$@"; else flock "$lock" "$@"; fi
}

# host_now_ns: wall-clock time in nanoseconds since the epoch. FreeBSD date(1) may lack %N; then whole seconds.
host_now_ns() {
  local ns
  ns=$(date +%s%N)
  if [[ ! $ns =~ ^[0-9]+$ ]] || ((${#ns} < 19)); then ns=$(($(date +%s) * 1000000000)); fi
  printf '%s\n' "$ns"
}

# host_file_size FILE: size in bytes (GNU stat -c and BSD stat -f differ; wc -c is POSIX).
host_file_size() {
  wc -c <"$1" | tr -d ' '
}
