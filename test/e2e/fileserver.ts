// A static file server on the loopback interface, standing in for a pot image
// registry (a plain directory served over HTTP).
//
//   bun test/e2e/fileserver.ts <dir> [port]
//
// Prints `listening http://127.0.0.1:<port>/` on stdout once it accepts
// connections (port 0 or none = any free port), then one line per request on
// stderr. GET and HEAD only; paths never leave <dir>.
import { realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const [dirArg, portArg] = process.argv.slice(2);
if (!dirArg) {
  console.error("usage: fileserver.ts <dir> [port]");
  process.exit(2);
}
const root = realpathSync(dirArg);

function resolveInside(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const candidate = join(root, decoded);
  if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
  try {
    if (!statSync(candidate).isFile()) return undefined;
    const real = realpathSync(candidate);
    return real.startsWith(root + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(portArg ?? 0),
  fetch(req) {
    const { pathname } = new URL(req.url);
    let status = 200;
    let res: Response;
    if (req.method !== "GET" && req.method !== "HEAD") {
      status = 405;
      res = new Response("method not allowed\n", { status });
    } else {
      const file = resolveInside(pathname);
      if (file === undefined) {
        status = 404;
        res = new Response("not found\n", { status });
      } else {
        res = new Response(req.method === "HEAD" ? null : Bun.file(file), {
          headers: { "content-length": String(statSync(file).size) },
        });
      }
    }
    process.stderr.write(`${new Date().toISOString()} ${req.method} ${pathname} ${status}\n`);
    return res;
  },
});

process.stdout.write(`listening http://127.0.0.1:${server.port}/\n`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    server.stop(true);
    process.exit(0);
  });
}
