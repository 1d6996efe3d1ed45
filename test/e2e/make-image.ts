// Writes the e2e test image, FBSD120-nginx @ 1.0 (the seed job's pot and tag), into a registry directory,
// in the pot simulator's image format (built by test/fakes/pot-image.ts).
//
//   bun test/e2e/make-image.ts <registry-dir>
//   bun test/e2e/make-image.ts --tree <dir>   the same jail files as a plain directory tree, for
//                                           scripts/make-pot-image.sh -f on FreeBSD (a real pot image)
//
// The jail root provides:
//   /usr/local/sbin/nginx  a stand-in for nginx: prints a line, reports HUP and USR1 on stdout, runs until
//                          TERM or INT. Any arguments (the seed passes -g 'daemon off;') are only echoed.
//   /usr/local/bin/finish  prints a line and exits with the status given as its first argument.
import { buildPotImage, exportedPotConf } from "../fakes/pot-image.ts";
import { writeImageTree } from "../support/image-tree.ts";

const NGINX = `#!/bin/sh
echo "nginx (e2e stand-in) started, pid $$, args: $*"
trap 'echo "nginx got SIGHUP"' HUP
trap 'echo "nginx got SIGUSR1"' USR1
trap 'echo "nginx stopping on SIGTERM"; exit 0' TERM
trap 'echo "nginx stopping on SIGINT"; exit 0' INT
# sleep in the background and wait, so a trapped signal is handled at once
while :; do
  sleep 1 &
  wait $!
done
`;

const FINISH = `#!/bin/sh
echo "finish: exiting with status \${1:-0}"
exit "\${1:-0}"
`;

const FILES = {
  "/usr/local/sbin/nginx": { content: NGINX, mode: 0o755 },
  "/usr/local/bin/finish": { content: FINISH, mode: 0o755 },
  "/usr/local/www/nginx-dist/index.html": { content: "<h1>image default page</h1>\n", mode: 0o644 },
  "/usr/local/etc/nginx/nginx.conf": { content: "# image default config\n", mode: 0o644 },
};

const args = process.argv.slice(2);
if (args[0] === "--tree" && args[1]) {
  writeImageTree(args[1], FILES);
} else if (args.length === 1 && args[0] && !args[0].startsWith("--")) {
  const image = await buildPotImage(args[0], {
    name: "FBSD120-nginx",
    tag: "1.0",
    files: FILES,
    potConf: exportedPotConf({ "pot.cmd": "nginx" }),
  });
  console.log(`${image.xzPath}\n${image.skeinPath}`);
} else {
  console.error("usage: make-image.ts <registry-dir> | --tree <dir>");
  process.exit(2);
}
