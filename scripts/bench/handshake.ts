// Time from exec of the plugin binary to its handshake line on stdout, one launch at a time.
import { performance } from "node:perf_hooks";

export interface HandshakeSample {
  ms: number;
  line: string;
}

/**
 * Spawns `binary` with `env`, reads stdout until the first newline and returns the elapsed wall time from just
 * before the spawn. The process is then SIGKILLed and reaped. Throws when no line arrives within `deadlineMs`.
 */
export async function timeHandshake(binary: string, env: Record<string, string>, deadlineMs = 10_000): Promise<HandshakeSample> {
  const began = performance.now();
  const proc = Bun.spawn([binary], { env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), deadlineMs);
  try {
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n")) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`${binary} printed no handshake line (exit ${await proc.exited})`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    const elapsed = performance.now() - began;
    reader.releaseLock();
    return { ms: elapsed, line: text.slice(0, text.indexOf("\n")) };
  } finally {
    clearTimeout(timer);
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/**
 * Launches each binary `runs` times, interleaved so that load changes on the machine hit all variants alike,
 * after `warmups` discarded launches each (page cache). Returns the samples in ms per variant name.
 */
export async function compareHandshakes(
  variants: Record<string, string>,
  env: Record<string, string>,
  runs: number,
  warmups = 2,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(variants)) samples[name] = [];
  for (let i = 0; i < warmups + runs; i++) {
    for (const [name, binary] of Object.entries(variants)) {
      const sample = await timeHandshake(binary, env);
      if (!sample.line.startsWith("1|2|")) throw new Error(`unexpected handshake from ${name}: ${sample.line}`);
      if (i >= warmups) samples[name]?.push(sample.ms);
    }
  }
  return samples;
}
