#!/bin/sh
# Builds the process sandbox's root filesystem (no container engine): mmdebstrap of Debian trixie with the
# image's packages, the sandbox user and matplotlib's font cache. Usage: build-rootfs.sh DEST PACKAGE...
# DEST must not exist; the caller renames it into place when this succeeds. kernel.py is not copied in:
# the sandbox binds the package's own copy read-only at run time, so a kernel change needs no rebuild.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: build-rootfs.sh DEST PACKAGE..." >&2
  exit 2
fi
dest="$1"
shift
packages=$(echo "$@" | tr ' ' ',')

# The Debian mirror to build from ($DEBIAN_MIRROR, the host's own, or the public one).
. "$(dirname "$0")/debian-mirror.sh"

if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "build-rootfs.sh: mmdebstrap is not installed (sudo apt-get install mmdebstrap)" >&2
  exit 1
fi

# root mode when we are root; otherwise unshare mode (needs unprivileged user namespaces and subuids).
mode=unshare
[ "$(id -u)" = 0 ] && mode=root

echo "mmdebstrap trixie ($mode mode) from $mirror"
mmdebstrap --mode="$mode" --variant=minbase --format=directory \
  --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --aptopt='APT::Install-Recommends "false"' \
  --customize-hook='chroot "$1" groupadd --gid 1000 sandbox' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid 1000 --home-dir /tmp --no-create-home --shell /bin/sh sandbox' \
  --customize-hook='mkdir -p "$1/mnt/data" "$1/opt/codecell/mplcache" && touch "$1/opt/codecell/kernel.py" && chown 1000:1000 "$1/mnt/data" "$1/opt/codecell/mplcache"' \
  --customize-hook='chroot "$1" setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp MPLCONFIGDIR=/opt/codecell/mplcache python3 -c "import matplotlib; matplotlib.use(\"Agg\"); import matplotlib.pyplot as plt; plt.figure(); plt.plot([1, 2]); plt.close(\"all\")"' \
  --customize-hook='ls "$1"/opt/codecell/mplcache/fontlist-*.json' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  trixie "$dest" "$mirror"
echo "root filesystem ready in $dest"
