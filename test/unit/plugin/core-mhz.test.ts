// Tests for averageCoreMhz (src/plugin/base-service.ts): MHz per core from the agent's topology.
import { expect, test } from "bun:test";
import { averageCoreMhz } from "../../../src/plugin/base-service.ts";
import { ClientTopology, ClientTopologyCore } from "../../../src/plugin/gen/plugins/base/proto/base.ts";

const core = (id: number, baseSpeed: number, disable = false) =>
  ClientTopologyCore.fromPartial({ coreId: id, baseSpeed: BigInt(baseSpeed), disable });

test("no topology: unknown (0)", () => {
  expect(averageCoreMhz(undefined)).toBe(0);
});

test("the average usable core speed", () => {
  expect(averageCoreMhz(ClientTopology.fromPartial({ cores: [core(0, 2000), core(1, 3000), core(2, 9999, true)] }))).toBe(2500);
});

test("cpu_total_compute (override_total_compute, Nomad >= 1.7) is shared by all cores", () => {
  const topology = ClientTopology.fromPartial({
    cores: [core(0, 2000), core(1, 2000), core(2, 2000, true), core(3, 2000)],
    overrideTotalCompute: 10_000n,
  });
  expect(averageCoreMhz(topology)).toBe(2500);
});
