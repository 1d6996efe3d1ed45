// A static file server on 127.0.0.1 (ephemeral port) for pot images; records every requested path.
import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

export interface FileServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Request paths in arrival order. */
  requests: string[];
  stop(): Promise<void>;
}

/** Serves files under `dir` (GET/HEAD); missing files are 404 Not Found, like a plain web server. */
export function startFileServer(dir: string): FileServer {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = decodeURIComponent(new URL(request.url).pathname);
      requests.push(path);
      const file = join(dir, normalize(path).replace(/^(\.\.(\/|$))+/, ""));
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
        return new Response("not found\n", { status: 404, statusText: "Not Found" });
      }
      return new Response(Bun.file(file));
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  };
}
