// Fingerprint health from probes: undetected when disabled or pot is missing, unhealthy when pot is too old or
// broken, healthy otherwise, with driver.pot.* attributes.
import { describe, expect, test } from "bun:test";
import { compareVersions, computeFingerprint, type FingerprintProbes } from "../../../src/driver/fingerprint.ts";

function probes(overrides: Partial<FingerprintProbes> = {}): FingerprintProbes {
  return {
    enabled: true,
    potPath: "/usr/local/bin/pot",
    potPresent: async () => true,
    potVersion: async () => "0.16.0",
    driverVersion: "0.1.0",
    ...overrides,
  };
}

describe("computeFingerprint", () => {
  test("disabled → undetected", async () => {
    expect((await computeFingerprint(probes({ enabled: false }))).health).toBe("undetected");
  });

  test("pot missing → undetected, naming the path", async () => {
    const fp = await computeFingerprint(probes({ potPresent: async () => false }));
    expect(fp.health).toBe("undetected");
    expect(fp.description).toContain("/usr/local/bin/pot");
  });

  test("pot failing → unhealthy with the reason", async () => {
    const fp = await computeFingerprint(probes({ potVersion: async () => Promise.reject(new Error("exit status 1")) }));
    expect(fp.health).toBe("unhealthy");
    expect(fp.description).toContain("exit status 1");
  });

  test("pot too old → unhealthy, with the reason", async () => {
    const fp = await computeFingerprint(probes({ potVersion: async () => "0.15.6" }));
    expect(fp.health).toBe("unhealthy");
    expect(fp.description).toBe(
      "pot 0.15.6 is too old: 0.16.0 or newer is required (older pots lack the exec_stop and stop_timeout attributes and leave pots stuck in starting or stopping)",
    );
  });

  test("healthy with attributes, host facts included", async () => {
    const fp = await computeFingerprint(probes({ hostFacts: async () => ({ "driver.pot.racct": true }) }));
    expect(fp).toEqual({
      health: "healthy",
      description: "Healthy",
      attributes: { "driver.pot": true, "driver.pot.version": "0.16.0", "driver.pot.driver_version": "0.1.0", "driver.pot.racct": true },
    });
  });

  test("compareVersions", () => {
    expect(compareVersions("0.16.0", "0.15.0")).toBe(1);
    expect(compareVersions("0.15.10", "0.15.9")).toBe(1);
    expect(compareVersions("0.15", "0.15.0")).toBe(0);
    expect(compareVersions("junk", "0.15.0")).toBe(-1);
  });
});
