#!/usr/bin/env bash
# Stages what the port in pkg/ installs, straight from dist/, as trees `pkg create` can package (see pkg/README.md).
#
#   scripts/stage-pkg.sh [--out DIR] [amd64|aarch64 …]     default: both architectures, into pkg/stage/
#
# For each architecture: DIR/<arch>/root/ (the installed files, laid out like the Makefile's do-install),
# DIR/<arch>/+MANIFEST and DIR/<arch>/+COMPACT_MANIFEST (JSON, which pkg's UCL parser reads); plus DIR/distinfo,
# the lines `make makesum` would write for those executables. Package metadata comes from pkg/Makefile,
# pkg/pkg-descr and pkg/pkg-message; the version from package.json, which must equal the Makefile's DISTVERSION.
# Needs dist/pot-task-driver-freebsd-x64 and/or -arm64 (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."

out=pkg/stage
arches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "stage-pkg: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
    amd64 | aarch64) arches+=("$1"); shift ;;
    *) echo "stage-pkg: unknown argument: $1 (expected --out DIR, amd64 or aarch64)" >&2; exit 2 ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || arches=(amd64 aarch64)

die() { echo "stage-pkg: $*" >&2; exit 1; }

# The value of a `NAME=<tabs>value` assignment in pkg/Makefile (first line only; no variable expansion).
make_var() {
  local value
  value=$(sed -n -E "s/^$1=[[:space:]]*//p" pkg/Makefile | head -n 1)
  [ -n "$value" ] || die "pkg/Makefile has no $1"
  printf '%s' "$value"
}

# RUN_DEPENDS entries (`file:category/port`, backslash-continued), one per line.
run_depends() {
  awk '
    /^RUN_DEPENDS=/ { collecting = 1; sub(/^RUN_DEPENDS=/, "") }
    collecting {
      line = $0; more = sub(/\\[[:space:]]*$/, "", line)
      n = split(line, words, /[[:space:]]+/)
      for (i = 1; i <= n; i++) if (words[i] != "") print words[i]
      if (!more) collecting = 0
    }' pkg/Makefile
}

# The lowercase hex SHA-256 of a file (GNU coreutils on Linux, sha256(1) on FreeBSD).
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d ' ' -f 1; else sha256 -q "$1"; fi
}

# A JSON string literal for $1 (the metadata has no control characters other than newline and tab).
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# The messages of pkg/pkg-message as a JSON array. It reads the subset of UCL that file uses: an array of objects,
# each with `type: <word>` and `message: <<EOM` … `EOM`; anything else is refused rather than guessed at.
messages_json() {
  local file=pkg/pkg-message line type="" text="" in_text=0 first=1 json="["
  [ "$(head -c 1 "$file")" = "[" ] || die "$file must start with [ (pkg reads it as UCL only then)"
  while IFS= read -r line || [ -n "$line" ]; do
    if [ $in_text -eq 1 ]; then
      if [ "$line" = "EOM" ]; then
        in_text=0
        [ -n "$type" ] || die "$file: a message has no type"
        [ $first -eq 1 ] || json+=","
        json+="{\"type\":$(json_string "$type"),\"message\":$(json_string "${text%$'\n'}")}"
        first=0 type="" text=""
      else
        text+="$line"$'\n'
      fi
      continue
    fi
    case "$line" in
      "[" | "]" | "}" | "" | "#"*) ;;
      "{ type: "*) type=${line#"{ type: "} ;;
      "  message: <<EOM") in_text=1 ;;
      *) die "$file: unexpected line: $line" ;;
    esac
  done <"$file"
  [ $in_text -eq 0 ] || die "$file: message not terminated by EOM"
  printf '%s]' "$json"
}

version=$(sed -n -E 's/^[[:space:]]*"version":[[:space:]]*"([^"]+)".*/\1/p' package.json | head -n 1)
[ -n "$version" ] || die "package.json has no version"
portname=$(make_var PORTNAME)
distversion=$(make_var DISTVERSION)
[ "$distversion" = "$version" ] || die "pkg/Makefile DISTVERSION=$distversion differs from package.json version $version"
category=$(make_var CATEGORIES)
comment=$(make_var COMMENT)
maintainer=$(make_var MAINTAINER)
www=$(make_var WWW)
license=$(make_var LICENSE)
# pkg url-decodes the description, so a literal % must be written as %25.
desc=$(cat pkg/pkg-descr)
desc=${desc//%/%25}
messages=$(messages_json)

deps=""
while IFS= read -r dep; do
  name=${dep%%:*}
  origin=${dep#*:}
  [ -n "$name" ] && [ "$origin" != "$dep" ] || die "pkg/Makefile RUN_DEPENDS entry $dep is not file:origin"
  # pkg resolves dependencies by name and origin; the ports framework adds the version of the dependency installed
  # at build time, which a staged package does not have.
  deps+="${deps:+,}$(json_string "$name"):{\"origin\":$(json_string "$origin")}"
done < <(run_depends)
[ -n "$deps" ] || die "pkg/Makefile has no RUN_DEPENDS"

prefix=/usr/local
plugin_dir=$prefix/libexec/nomad/plugins
state_dir=/var/db/$portname

mkdir -p "$out"
distinfo="$out/distinfo"
printf 'TIMESTAMP = %s\n' "$(date +%s)" >"$distinfo"

for arch in "${arches[@]}"; do
  case "$arch" in
    amd64) build=freebsd-x64 ;;
    aarch64) build=freebsd-arm64 ;;
  esac
  binary="dist/$portname-$build"
  [ -f "$binary" ] || die "$binary is missing; run: npm run build (or bash scripts/build.sh $build)"
  abi="FreeBSD:14:$arch"
  stage="$out/$arch"
  root="$stage/root"
  rm -rf "$stage"

  # The same layout as the Makefile's do-install: the executable (0755, not stripped), the relative link for
  # agents configured for nomad-pot-driver, and the state directory.
  install -d -m 0755 "$root$plugin_dir"
  install -m 0755 "$binary" "$root$plugin_dir/$portname"
  ln -s "$portname" "$root$plugin_dir/nomad-pot-driver"
  install -d -m 0700 "$root$state_dir"

  size=$(wc -c <"$binary" | tr -d ' ')
  # A symlink counts as the length of its target, as lstat reports it.
  flatsize=$((size + ${#portname}))
  common="\"name\":$(json_string "$portname"),\"origin\":$(json_string "$category/$portname")"
  common+=",\"version\":$(json_string "$version"),\"comment\":$(json_string "$comment")"
  common+=",\"maintainer\":$(json_string "$maintainer"),\"www\":$(json_string "$www")"
  common+=",\"abi\":$(json_string "$abi"),\"arch\":$(json_string "$abi"),\"prefix\":$(json_string "$prefix")"
  common+=",\"flatsize\":$flatsize,\"licenselogic\":\"single\",\"licenses\":[$(json_string "$license")]"
  common+=",\"categories\":[$(json_string "$category")],\"desc\":$(json_string "$desc")"
  common+=",\"deps\":{$deps},\"messages\":$messages"
  files="\"files\":{$(json_string "$plugin_dir/nomad-pot-driver"):{\"uname\":\"root\",\"gname\":\"wheel\"}"
  files+=",$(json_string "$plugin_dir/$portname"):{\"uname\":\"root\",\"gname\":\"wheel\",\"perm\":\"0755\"}}"
  dirs="\"directories\":{$(json_string "$state_dir"):{\"uname\":\"root\",\"gname\":\"wheel\",\"perm\":\"0700\"}}"
  printf '{%s,%s,%s}\n' "$common" "$files" "$dirs" >"$stage/+MANIFEST"
  printf '{%s}\n' "$common" >"$stage/+COMPACT_MANIFEST"

  distname="$portname-$version-$build"
  printf 'SHA256 (%s/%s) = %s\n' "$portname" "$distname" "$(sha256_of "$binary")" >>"$distinfo"
  printf 'SIZE (%s/%s) = %s\n' "$portname" "$distname" "$size" >>"$distinfo"
  echo "staged $stage ($abi, $portname $version)"
done
echo "wrote $distinfo"
