// Where copies land relative to the mounts, and the mounts pot mount-in would take differently from the job.
import { describe, expect, test } from "bun:test";
import { layoutCopies, mountIssues, type PlannedMount } from "../../../src/driver/mount-layout.ts";

const MOUNTS: PlannedMount[] = [
  { dir: "/a/web/local", mountPoint: "/local", what: "the task's local/ directory" },
  { dir: "/a/alloc", mountPoint: "/alloc", what: "the /alloc mount" },
  { dir: "/srv/data", mountPoint: "/data", path: "config.mount[0]", what: "config.mount[0]" },
  { dir: "/srv/deep", mountPoint: "/data/deep", path: "config.mount[1]", what: "config.mount[1]" },
  { dir: "/srv/ro", mountPoint: "/etc/app", readOnly: true, path: "config.mount_read_only[0]", what: "config.mount_read_only[0]" },
];

const copy = (jailPath: string, i = 0) => ({ path: `config.copy[${i}]`, hostPath: "/h/f", jailPath });

describe("copies", () => {
  test("outside every mount: pot copy-in", () => {
    expect(layoutCopies([copy("/usr/local/etc/nginx.conf")], MOUNTS)).toEqual({
      potCopies: [{ source: "/h/f", destination: "/usr/local/etc/nginx.conf", createDirs: true }],
      hostCopies: [],
      issues: [],
    });
  });

  test("under /local, /alloc or a writable mount: into the mounted host directory, the deepest mount winning", () => {
    const layout = layoutCopies(
      [copy("/local/conf/app.conf", 0), copy("/alloc/x", 1), copy("/data/deep/y/z", 2), copy("/localx/f", 3)],
      MOUNTS,
    );
    expect(layout.issues).toEqual([]);
    expect(layout.hostCopies.map((c) => [c.hostDir, c.relative])).toEqual([
      ["/a/web/local", "conf/app.conf"],
      ["/a/alloc", "x"],
      ["/srv/deep", "y/z"],
    ]);
    expect(layout.potCopies.map((c) => c.destination)).toEqual(["/localx/f"]);
  });

  test("under a read-only mount, or onto a mount point: refused with the way out", () => {
    const layout = layoutCopies([copy("/etc/app/app.conf", 0), copy("/data/", 1)], MOUNTS);
    expect(layout.issues).toEqual([
      {
        path: "config.copy[0]",
        message:
          "jail path /etc/app/app.conf lies under the read-only mount at /etc/app (config.mount_read_only[0]), which would hide the copy; put the file into /srv/ro instead",
        value: "/h/f:/etc/app/app.conf",
      },
      {
        path: "config.copy[1]",
        message: "jail path /data is where config.mount[0] is mounted; copy to a file below it",
        value: "/h/f:/data/",
      },
    ]);
  });
});

describe("mounts", () => {
  test("a mount point used twice is reported on the job's entry", () => {
    const issues = mountIssues([...MOUNTS, { dir: "/srv/other", mountPoint: "/local/", path: "config.mount[2]", what: "config.mount[2]" }]);
    expect(issues).toEqual([
      {
        path: "config.mount[2]",
        message: "jail path /local is already the mount point of the task's local/ directory",
        value: "/srv/other:/local/",
      },
    ]);
  });

  test("pot's unanchored duplicate-source check: a directory found inside an earlier mount line", () => {
    const issues = mountIssues([
      { dir: "/srv/x/data", mountPoint: "/one", path: "config.mount[0]", what: "config.mount[0]" },
      { dir: "/x/data", mountPoint: "/two", path: "config.mount[1]", what: "config.mount[1]" },
      { dir: "/srv/a.b", mountPoint: "/three", path: "config.mount[2]", what: "config.mount[2]" },
      { dir: "/srv/axb", mountPoint: "/four", path: "config.mount[3]", what: "config.mount[3]" },
    ]);
    expect(issues).toEqual([
      {
        path: "config.mount[1]",
        message: "host path /x/data is refused by pot mount-in as already used: it matches the mount of /srv/x/data (config.mount[0])",
        value: "/x/data:/two",
      },
    ]);
    const dotted = mountIssues([
      { dir: "/srv/axb", mountPoint: "/four", path: "config.mount[0]", what: "config.mount[0]" },
      { dir: "/srv/a.b", mountPoint: "/three", path: "config.mount[1]", what: "config.mount[1]" },
    ]);
    expect(dotted.map((i) => i.path)).toEqual(["config.mount[1]"]);
  });
});
