// The programs pot 0.16 runs by name, found through PATH, that the driver's tasks need (layer 3, pure data).
// Read from pot's own scripts (bin/pot, share/pot/*.sh at 0.16.1); docs/security.md lists them with their use.

export interface PotHelper {
  name: string;
  /** What pot needs it for, for the doctor's message. */
  use: string;
}

export const POT_HELPERS: readonly PotHelper[] = [
  { name: "potnet", use: "jail IP addresses and /etc/hosts (prepare, start)" },
  { name: "potcpu", use: "the CPU limit (start)" },
  { name: "jail", use: "creating and removing the jail (start, stop)" },
  { name: "jexec", use: "running the task and exec sessions" },
  { name: "jls", use: "finding the running jail" },
  { name: "zfs", use: "importing, cloning and destroying pots" },
  { name: "pfctl", use: "port redirects of public-bridge tasks" },
  { name: "rctl", use: "the memory limit and usage (start, get-rss)" },
  { name: "cpuset", use: "pinning the jail to its CPUs (start)" },
  { name: "mount_nullfs", use: "the task's directories and mounts (start)" },
  { name: "ifconfig", use: "the jail's network interfaces (start, stop)" },
  { name: "lockf", use: "pot's locks" },
  { name: "fetch", use: "downloading images (prepare)" },
  { name: "xz", use: "unpacking images (prepare)" },
  { name: "skein1024", use: "checking downloaded images (prepare)" },
];
