#!/bin/sh
# Builds the offline base image codecell-base:trixie (debootstrap from a Debian mirror + docker import),
# for machines where no container registry is reachable. Usage: build-base.sh [--force] [--tag TAG]
set -eu

TAG=codecell-base:trixie
SUITE=trixie
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --tag) shift; TAG="$1" ;;
    -h|--help) sed -n '2,3p' "$0"; exit 0 ;;
    *) echo "build-base.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$FORCE" = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG already exists (use --force to rebuild)"
  exit 0
fi

# The Debian mirror to build from ($DEBIAN_MIRROR, the host's own, or the public one).
. "$(dirname "$0")/debian-mirror.sh"

if [ "$(id -u)" != 0 ]; then
  echo "build-base.sh: debootstrap needs root; run: sudo $0" >&2
  exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

dir=$(mktemp -d /tmp/codecell-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

echo "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase "$SUITE" "$dir" "$mirror"
# Leave only the apt source for the suite we bootstrapped; the Dockerfile runs apt-get update itself.
echo "deb $mirror $SUITE main" > "$dir/etc/apt/sources.list"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*

echo "importing as $TAG"
tar -C "$dir" -c . | docker import - "$TAG"
echo "base image $TAG ready"
