// Writes the conformance image FBSD120-nginx @ 1.0 (the seed job's pot and tag) into a registry directory.
//
//   bun test/conformance/make-image.ts <registry-dir>
//
// The image is in the pot simulator's format (test/fakes/pot-image.ts). Its programs, called by bare name:
//   nginx             long-running; a line on stdout and one on stderr at start, a line on HUP, exits 0 on TERM
//   finish <code>     prints a line and exits with <code>
//   stubborn          prints "ready"; on SIGINT prints a line and keeps running (TERM/KILL still end it)
//   immortal          like stubborn, but also shrugs off TERM (only KILL ends it)
//   wait-for <file>   prints "waiting", polls for the host file, prints its content and exits with it
//   creds             prints "creds: uid=… gid=… groups=…" (the simulator's credentials) and runs until TERM
// It also carries FreeBSD's user database and chroot(8) (test/fakes/jail-base.ts) for tasks with a `user`.
import { freebsdBase } from "../fakes/jail-base.ts";
import { buildPotImage, exportedPotConf } from "../fakes/pot-image.ts";

const NGINX = `#!/bin/sh
echo "nginx starting: $*"
echo "nginx stderr line" >&2
trap 'echo "nginx reloading"' HUP
trap 'echo "nginx stopping"; exit 0' TERM
while :; do sleep 1 & wait $!; done
`;

const FINISH = `#!/bin/sh
echo "finishing with $1"
exit "$1"
`;

// The loop waits on a background sleep so a trapped signal is reported at once.
const STUBBORN = `#!/bin/sh
trap 'echo "stubborn: ignoring SIGINT"' INT
echo ready
while :; do sleep 1 & wait $!; done
`;

const IMMORTAL = `#!/bin/sh
trap 'echo "immortal: ignoring SIGINT"' INT
trap 'echo "immortal: ignoring SIGTERM"' TERM
echo ready
while :; do sleep 1 & wait $!; done
`;

const WAIT_FOR = `#!/bin/sh
echo waiting
while [ ! -f "$1" ]; do sleep 0.05; done
code=$(cat "$1")
echo "wait-for: exiting with $code"
exit "$code"
`;

const CREDS = `#!/bin/sh
echo "creds: uid=$POT_SIM_UID gid=$POT_SIM_GID groups=$POT_SIM_GROUPS"
trap 'exit 0' TERM
while :; do sleep 1 & wait $!; done
`;

const [outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: make-image.ts <registry-dir>");
  process.exit(2);
}

const image = await buildPotImage(outDir, {
  name: "FBSD120-nginx",
  tag: "1.0",
  files: {
    "/usr/local/sbin/nginx": { content: NGINX, mode: 0o755 },
    "/usr/local/bin/finish": { content: FINISH, mode: 0o755 },
    "/usr/local/bin/stubborn": { content: STUBBORN, mode: 0o755 },
    "/usr/local/bin/immortal": { content: IMMORTAL, mode: 0o755 },
    "/usr/local/bin/wait-for": { content: WAIT_FOR, mode: 0o755 },
    "/usr/local/bin/creds": { content: CREDS, mode: 0o755 },
    ...freebsdBase(),
    "/usr/local/www/nginx-dist/index.html": "<h1>image default page</h1>\n",
    "/usr/local/etc/nginx/nginx.conf": "# image default config\n",
  },
  potConf: exportedPotConf({ "pot.cmd": "nginx" }),
});
console.log(image.xzPath);
