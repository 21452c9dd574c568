# Sourced by build-base.sh and build-rootfs.sh: sets $mirror to the Debian mirror to build from:
# $DEBIAN_MIRROR, else the host's own Debian mirror (so a local proxy or mirror is reused), else the public one.
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' /etc/apt/sources.list)
fi
# Security mirrors do not carry the main suite.
case "$mirror" in *debian-security*|"") mirror=http://deb.debian.org/debian ;; esac
