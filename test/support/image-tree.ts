// Writes an image's jail files as a plain directory tree (jail path → <dir>/<jail path>, with its mode), the input
// of scripts/make-pot-image.sh -f, which copies the tree into a real pot on FreeBSD.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface TreeFile {
  content: string;
  mode: number;
}

export function writeImageTree(dir: string, files: Readonly<Record<string, TreeFile>>): void {
  for (const [jailPath, file] of Object.entries(files)) {
    if (!jailPath.startsWith("/") || jailPath.split("/").includes("..")) throw new Error(`bad jail path ${JSON.stringify(jailPath)}`);
    const path = join(dir, jailPath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    chmodSync(path, file.mode);
  }
}
