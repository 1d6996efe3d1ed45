// Writes the integration suites' image files (test/support/sim-world.ts IMAGE_FILES) as a directory tree for
// scripts/make-pot-image.sh -f; scripts/test.sh runs it before making the real-pot image.
//   bun test/support/write-suite-image-tree.ts <dir>
import { IMAGE_FILES } from "./sim-world.ts";
import { writeImageTree } from "./image-tree.ts";

const [dir] = process.argv.slice(2);
if (!dir) {
  console.error("usage: write-suite-image-tree.ts <dir>");
  process.exit(2);
}
writeImageTree(dir, IMAGE_FILES);
