// The machine line printed under the benchmark table: cores, memory, OS, Bun, load, commit and date.
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (match) return match[1] as string;
  } catch {
    // Fall through to the kernel name alone.
  }
  return process.platform;
}

function commit(repo: string): string {
  const out = Bun.spawnSync(["git", "-C", repo, "describe", "--always", "--dirty", "--abbrev=10"], { stdout: "pipe", stderr: "ignore" });
  return out.success ? out.stdout.toString().trim() : "unknown";
}

/** One line describing where and when the figures were taken; `loadAtStart` is the 1-minute load average then. */
export function machineLine(repo: string, loadAtStart: number): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown CPU";
  const memGiB = (totalmem() / 1024 ** 3).toFixed(1);
  return [
    `${cores.length} cores (${model})`,
    `${memGiB} GiB RAM`,
    `${osName()}, Linux ${release()}`,
    `bun ${Bun.version}`,
    `load average ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
    `commit ${commit(repo)}`,
    new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  ].join(" · ");
}
