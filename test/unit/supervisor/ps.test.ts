// Table tests for src/supervisor/ps.ts: reading the per-pid probe (state + args) on both ps shapes.
import { describe, expect, test } from "bun:test";
import { parseProbeOutput, type ProcessProbe } from "../../../src/supervisor/ps.ts";

describe("parseProbeOutput", () => {
  const table: [string, string, ProcessProbe][] = [
    ["no such process", "", { state: "gone" }],
    ["blank lines only", "\n\n", { state: "gone" }],
    [
      "Linux session leader",
      "Ss   /bin/sh /var/lib/pot/tasks/web-1/supervise.sh 7d1c /var/lib/pot/tasks/web-1 /a /b pot start -p web\n",
      { state: "live", args: "/bin/sh /var/lib/pot/tasks/web-1/supervise.sh 7d1c /var/lib/pot/tasks/web-1 /a /b pot start -p web" },
    ],
    ["FreeBSD sleeping session leader", "Is  /bin/sh /s/supervise.sh tok\n", { state: "live", args: "/bin/sh /s/supervise.sh tok" }],
    ["Linux zombie", "Z    [sh] <defunct>\n", { state: "zombie" }],
    ["FreeBSD zombie", "Zs  <defunct>\n", { state: "zombie" }],
    ["live with empty args", "S\n", { state: "live", args: "" }],
  ];
  for (const [name, stdout, expected] of table) {
    test(name, () => expect(parseProbeOutput(stdout)).toEqual(expected));
  }
});
