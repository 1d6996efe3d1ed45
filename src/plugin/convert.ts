// Domain ⇄ protobuf conversion (plugin layer): the only place driver types meet generated message types.
import type { DriverCapabilities } from "../driver/capabilities";
import type { AttributeValue, Fingerprint } from "../driver/fingerprint";
import {
  DriverCapabilities_FSIsolation,
  DriverCapabilities_MountConfigs,
  type DriverCapabilities as ProtoCapabilities,
  type FingerprintResponse,
  FingerprintResponse_HealthState,
  NetworkIsolationSpec_NetworkIsolationMode,
} from "./gen/plugins/drivers/proto/driver";
import type { Attribute } from "./gen/plugins/shared/structs/proto/attribute";

const FS_ISOLATION: Record<DriverCapabilities["fsIsolation"], DriverCapabilities_FSIsolation> = {
  none: DriverCapabilities_FSIsolation.NONE,
  chroot: DriverCapabilities_FSIsolation.CHROOT,
  image: DriverCapabilities_FSIsolation.IMAGE,
};

const NETWORK_MODE: Record<DriverCapabilities["networkIsolationModes"][number], NetworkIsolationSpec_NetworkIsolationMode> = {
  host: NetworkIsolationSpec_NetworkIsolationMode.HOST,
  group: NetworkIsolationSpec_NetworkIsolationMode.GROUP,
  task: NetworkIsolationSpec_NetworkIsolationMode.TASK,
  none: NetworkIsolationSpec_NetworkIsolationMode.NONE,
};

export function capabilitiesToProto(caps: DriverCapabilities): ProtoCapabilities {
  return {
    sendSignals: caps.sendSignals,
    exec: caps.exec,
    fsIsolation: FS_ISOLATION[caps.fsIsolation],
    networkIsolationModes: caps.networkIsolationModes.map((m) => NETWORK_MODE[m]),
    mustCreateNetwork: caps.mustCreateNetwork,
    mountConfigs: caps.mountConfigs === "none" ? DriverCapabilities_MountConfigs.NO_MOUNTS : DriverCapabilities_MountConfigs.ANY_MOUNTS,
    disableLogCollection: caps.disableLogCollection,
    dynamicWorkloadUsers: caps.dynamicWorkloadUsers,
  };
}

const HEALTH: Record<Fingerprint["health"], FingerprintResponse_HealthState> = {
  undetected: FingerprintResponse_HealthState.UNDETECTED,
  unhealthy: FingerprintResponse_HealthState.UNHEALTHY,
  healthy: FingerprintResponse_HealthState.HEALTHY,
};

export function attributeToProto(value: AttributeValue): Attribute {
  switch (typeof value) {
    case "string":
      return { value: { $case: "stringVal", stringVal: value }, unit: "" };
    case "boolean":
      return { value: { $case: "boolVal", boolVal: value }, unit: "" };
    case "bigint":
      return { value: { $case: "intVal", intVal: value }, unit: "" };
    default:
      return Number.isInteger(value)
        ? { value: { $case: "intVal", intVal: BigInt(value) }, unit: "" }
        : { value: { $case: "floatVal", floatVal: value }, unit: "" };
  }
}

export function fingerprintToProto(fp: Fingerprint): FingerprintResponse {
  const attributes: Record<string, Attribute> = {};
  // Sorted so an unchanged fingerprint encodes identically every period.
  for (const key of Object.keys(fp.attributes).sort()) {
    const value = fp.attributes[key];
    if (value !== undefined) attributes[key] = attributeToProto(value);
  }
  return { attributes, health: HEALTH[fp.health], healthDescription: fp.description, err: "" };
}
