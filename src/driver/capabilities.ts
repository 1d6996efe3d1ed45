// What the pot driver can do (driver layer), as Nomad's DriverCapabilities describes it.
//
// fs_isolation IMAGE: the task runs in its own root (the jail), so Nomad injects no host environment and gives
// in-jail paths for NOMAD_TASK_DIR (/local), NOMAD_ALLOC_DIR (/alloc) and NOMAD_SECRETS_DIR (/secrets), which
// this driver mounts into the jail. Networking is pot's own (public-bridge, host…), inside Nomad's "host" mode.
export interface DriverCapabilities {
  sendSignals: boolean;
  exec: boolean;
  fsIsolation: "none" | "chroot" | "image";
  networkIsolationModes: Array<"host" | "group" | "task" | "none">;
  mustCreateNetwork: boolean;
  mountConfigs: "any" | "none";
  disableLogCollection: boolean;
  dynamicWorkloadUsers: boolean;
}

export const CAPABILITIES: DriverCapabilities = {
  sendSignals: true,
  exec: true,
  fsIsolation: "image",
  networkIsolationModes: ["host"],
  mustCreateNetwork: false,
  mountConfigs: "any",
  disableLogCollection: false,
  dynamicWorkloadUsers: false,
};
