// Fuzzes decodeCtyMsgpack with random bytes and mutated real encodings for a bounded time; whatever decodes is
// fed to both config validators. Seed printed; FUZZ_SEED replays a run, FUZZ_SECONDS lengthens it.
import { expect, test } from "bun:test";
import { validatePluginConfig } from "../../../src/driver/plugin-config.ts";
import { validateTaskConfig } from "../../../src/driver/task-config.ts";
import { decodeCtyMsgpack } from "../../../src/plugin/msgpack.ts";
import { caseBytes, loadConfigCorpus } from "../../integration/hostile/corpus.ts";
import {
  decodeResultProblem,
  fuzzSeconds,
  fuzzSeed,
  goldenMsgpackSeeds,
  hex,
  mutate,
  Prng,
  randomBytes,
  validationResultProblem,
  withCpuTime,
} from "./fuzz-core.ts";

/**
 * No single call may use more CPU than this. Honest calls take well under a millisecond; the margin is for GC
 * pauses, while a loop or a runaway allocation would still blow it.
 */
const CALL_DEADLINE_MS = 1000;
/** Seeds larger than this are left out: copying them on every mutation only feeds the garbage collector. */
const MAX_SEED_BYTES = 4096;

function seeds(): Uint8Array[] {
  const corpus = loadConfigCorpus();
  const vars = { HOST: "/tmp/hostile", IMAGE: "http://127.0.0.1:8080/" };
  // The huge cases would make every mutation slow without finding anything new.
  const fromCorpus = corpus.cases.filter((c) => !c.id.startsWith("huge-")).map((c) => caseBytes(corpus, c, vars));
  return [...goldenMsgpackSeeds(), ...fromCorpus].filter((b) => b.length <= MAX_SEED_BYTES);
}

test("decodeCtyMsgpack never throws, never stalls, and answers only with its documented result shapes", () => {
  const seed = fuzzSeed();
  const seconds = fuzzSeconds(4);
  const rng = new Prng(seed);
  const inputs = seeds();
  const counts = { iterations: 0, random: 0, mutated: 0, decoded: 0, refused: 0, taskValid: 0, pluginValid: 0 };
  let slowest = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    counts.iterations++;
    const fromRandom = rng.chance(0.2);
    const { bytes, kinds } = fromRandom ? { bytes: randomBytes(rng), kinds: ["random"] } : mutate(rng, rng.pick(inputs), inputs);
    if (fromRandom) counts.random++;
    else counts.mutated++;
    const where = () => `seed ${seed}, iteration ${counts.iterations} (${kinds.join("+")}), input ${hex(bytes).slice(0, 600)}`;

    let result: ReturnType<typeof decodeCtyMsgpack>;
    let took: number;
    try {
      ({ value: result, cpuMs: took } = withCpuTime(() => decodeCtyMsgpack(bytes)));
    } catch (err) {
      throw new Error(`decodeCtyMsgpack threw ${String(err)} at ${where()}`);
    }
    slowest = Math.max(slowest, took);
    if (took > CALL_DEADLINE_MS) throw new Error(`decodeCtyMsgpack took ${took.toFixed(1)} ms at ${where()}`);
    const problem = decodeResultProblem(result);
    if (problem) throw new Error(`${problem} at ${where()}`);
    if (!result.ok) {
      counts.refused++;
      continue;
    }
    counts.decoded++;

    for (const [name, validate] of [
      ["validateTaskConfig", validateTaskConfig],
      ["validatePluginConfig", validatePluginConfig],
    ] as const) {
      let verdict: unknown;
      let t: number;
      const value = result.value;
      try {
        ({ value: verdict, cpuMs: t } = withCpuTime(() => validate(value)));
      } catch (err) {
        throw new Error(`${name} threw ${String(err)} at ${where()}`);
      }
      slowest = Math.max(slowest, t);
      if (t > CALL_DEADLINE_MS) throw new Error(`${name} took ${t.toFixed(1)} ms at ${where()}`);
      const bad = validationResultProblem(verdict);
      if (bad) throw new Error(`${name}: ${bad} at ${where()}`);
      if ((verdict as { ok: boolean }).ok) counts[name === "validateTaskConfig" ? "taskValid" : "pluginValid"]++;
    }
  }
  console.log(
    `msgpack fuzz: seed ${seed}, ${seconds} s, ${counts.iterations} inputs (${counts.random} random, ${counts.mutated} mutated from ${inputs.length} seeds): ` +
      `${counts.decoded} decoded, ${counts.refused} refused; valid task configs ${counts.taskValid}, valid plugin configs ${counts.pluginValid}; most CPU for one call ${slowest.toFixed(2)} ms`,
  );
  expect(counts.iterations).toBeGreaterThan(100);
  // Mutations must reach both branches, or the fuzzer is not exercising the decoder.
  expect(counts.decoded).toBeGreaterThan(0);
  expect(counts.refused).toBeGreaterThan(0);
}, 120_000);
