#!/bin/sh
# Makes a real pot image on this FreeBSD host from what pot already has, without the internet: a single-type pot
# created from an installed base, the files of a directory copied in, a default command, a snapshot, and
# `pot export` into OUTDIR (<name>_<tag>.xz and .xz.skein). The work pot is destroyed afterwards; the image is
# served from OUTDIR as file://OUTDIR (or any static HTTP server). Used by scripts/test.sh and the e2e suite on
# FreeBSD; see docs/freebsd.md ("A test image").
#
#   scripts/make-pot-image.sh [-n] [-P pot_path] [-b base] [-p name] [-t tag] [-f files_dir] [-c command] OUTDIR
#
#   -n            dry run: print the pot commands (one per line, each word quoted) instead of running them
#   -P pot_path   pot executable (default /usr/local/bin/pot)
#   -b base       FreeBSD base of the new pot, one of `pot list -b -q` (default: the first installed base)
#   -p name       image (and work pot) name (default FBSD120-nginx, the seed job's)
#   -t tag        image tag (default 1.0)
#   -f files_dir  a tree copied into the jail root: files_dir/usr/local/bin/x becomes /usr/local/bin/x
#   -c command    the image's default command, pot.cmd (default: pot's)
#
# On success the last three lines on stdout are `POT_TEST_IMAGE_URL=…`, `POT_TEST_IMAGE_NAME=…` and
# `POT_TEST_IMAGE_TAG=…`. Exit status 1 on any failure (the work pot is destroyed), 2 for bad arguments.
set -eu

pot_path=/usr/local/bin/pot
base=""
name=FBSD120-nginx
tag=1.0
files=""
command=""
dry_run=0

usage() {
  sed -n '8,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while getopts "nP:b:p:t:f:c:h" opt; do
  case "$opt" in
    n) dry_run=1 ;;
    P) pot_path=$OPTARG ;;
    b) base=$OPTARG ;;
    p) name=$OPTARG ;;
    t) tag=$OPTARG ;;
    f) files=$OPTARG ;;
    c) command=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
outdir=$1

say() { printf 'make-pot-image: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# Names pot accepts for pots and tags (letters, digits, '.', '_', '-'); anything else is refused here.
case "$name" in *[!A-Za-z0-9._-]* | "") die "bad image name '$name' (letters, digits, '.', '_', '-')" ;; esac
case "$tag" in *[!A-Za-z0-9._-]* | "") die "bad tag '$tag' (letters, digits, '.', '_', '-')" ;; esac
case "$outdir" in /*) ;; *) die "OUTDIR must be an absolute path (got '$outdir')" ;; esac
[ -z "$files" ] || [ -d "$files" ] || die "-f $files is not a directory"

# pot: runs pot with the given words, or prints them quoted in a dry run.
pot() {
  if [ "$dry_run" = 1 ]; then
    printf '%s' "$pot_path"
    for word in "$@"; do printf " '%s'" "$(printf '%s' "$word" | sed "s/'/'\\\\''/g")"; done
    printf '\n'
  else
    "$pot_path" "$@"
  fi
}

if [ "$dry_run" = 0 ]; then
  [ "$(uname -s)" = FreeBSD ] || die "real pot images are made on FreeBSD (this is $(uname -s)); -n prints the commands"
  [ -x "$pot_path" ] || die "pot not found at $pot_path"
  if [ -z "$base" ]; then
    base=$("$pot_path" list -b -q | head -n 1)
    [ -n "$base" ] || die "no pot base is installed: pot create-base -r <release> first, or pass -b"
  fi
  if "$pot_path" list -q | grep -qx "$name"; then
    die "a pot named $name exists already; it is left alone (pass -p another name)"
  fi
  mkdir -p "$outdir"
fi
[ -n "$base" ] || base="<first of pot list -b -q>"

created=0
cleanup() {
  status=$?
  if [ "$created" = 1 ]; then
    pot destroy -p "$name" >/dev/null 2>&1 || say "could not destroy the work pot $name"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pot create -p "$name" -b "$base" -t single
created=1
if [ -n "$files" ]; then
  # Each regular file, by its path relative to files_dir, into the same path in the jail.
  (cd "$files" && find . -type f | sort) | while IFS= read -r rel; do
    pot copy-in -c -p "$name" -s "$files/${rel#./}" -d "/${rel#./}"
  done
fi
[ -z "$command" ] || pot set-cmd -p "$name" -c "$command"
pot snapshot -p "$name"
pot export -p "$name" -t "$tag" -D "$outdir"
pot destroy -p "$name"
created=0

printf 'POT_TEST_IMAGE_URL=file://%s\n' "$outdir"
printf 'POT_TEST_IMAGE_NAME=%s\n' "$name"
printf 'POT_TEST_IMAGE_TAG=%s\n' "$tag"
