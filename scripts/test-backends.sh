#!/usr/bin/env bash
# Runs the sandbox and red-team suites again against Podman and the bubblewrap and firejail process sandboxes
# (CI's other backends). Sets up what is missing, quietly and idempotently: the packages, Podman's socket (left
# running only if it was already), the image on Podman (copied from Docker, no registry needed), the root
# filesystem (mmdebstrap, cached) and, for firejail, `chroot yes` in /etc/firejail/firejail.config (Debian ships
# it disabled; this changes the machine's setting, as an admin would).
# `docker-attach` runs them on Docker with the kernel on the engine's attach stream instead of its own socket
# (CODECELL_KERNEL_CHANNEL=attach: what remote engines use).
# Usage: scripts/test-backends.sh REPORT_PREFIX [docker-attach] [podman] [bubblewrap] [firejail]
# Writes REPORT_PREFIX-<backend>.json (vitest's JSON report) per backend; exit status 1 if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
prefix="$1"
shift
if [ $# -gt 0 ]; then backends=("$@"); else backends=(podman bubblewrap firejail); fi
say() { printf '[backends] %s\n' "$*" >&2; }
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
[ "$(node_major)" -ge 22 ] || export PATH="$HOME/.node22/node_modules/.bin:$PATH"
unset DOCKER_HOST

need=()
for pair in podman:podman catatonit:/usr/libexec/podman/catatonit bwrap:bubblewrap mmdebstrap:mmdebstrap firejail:firejail; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  [ "$cmd" = catatonit ] && { [ -x /usr/libexec/podman/catatonit ] || need+=(catatonit); continue; }
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >/dev/null 2>&1 || say "could not install ${need[*]}"
fi

status=0
started_podman=
sock=/run/podman/podman.sock
podman_up() { curl -s -m 5 --unix-socket "$sock" http://d/version >/dev/null 2>&1; }
cleanup() { [ -n "$started_podman" ] && kill "$started_podman" 2>/dev/null; }
trap cleanup EXIT

for backend in "${backends[@]}"; do
  suites=(test/sandbox test/redteam)
  if [ "$backend" = docker-attach ]; then
    say "sandbox and red-team suites on Docker, kernel on the attach stream"
    CODECELL_KERNEL_CHANNEL=attach npx vitest run "${suites[@]}" --maxWorkers=1 --reporter=default --reporter=json --outputFile="$prefix-$backend.json" || status=1
    continue
  fi
  case "$backend" in
    podman)
      if ! podman_up; then
        # Containers get nofile/nproc within the host's hard limits (codecell asks for 1024 and less).
        mkdir -p /run/podman
        (ulimit -n "$(ulimit -Hn)"; exec podman system service --time=0 "unix://$sock" >/tmp/codecell-podman-service.log 2>&1) &
        started_podman=$!
        for _ in $(seq 1 30); do podman_up && break; sleep 0.5; done
      fi
      image=$(node bin/codecell.js sandbox build 2>/dev/null | tail -1)
      if [ -n "$image" ] && ! podman image exists "$image" 2>/dev/null; then
        say "copying $image from Docker to Podman"
        docker save "$image" | podman load -q >/dev/null 2>&1 || say "copy failed; the suites will build it on Podman"
      fi
      ;;
    bubblewrap | firejail)
      node bin/codecell.js sandbox build --backend bubblewrap >/dev/null 2>/tmp/codecell-rootfs-build.log || { say "root filesystem build failed: $(tail -3 /tmp/codecell-rootfs-build.log)"; }
      conf=/etc/firejail/firejail.config
      if [ "$backend" = firejail ] && [ -f "$conf" ] && ! grep -Eq '^\s*chroot\s+yes\s*$' "$conf"; then
        say "enabling chroot in $conf"
        sed -i -E 's/^\s*#?\s*chroot\s+(yes|no)\s*$/chroot yes/' "$conf"
        grep -Eq '^\s*chroot\s+yes\s*$' "$conf" || echo 'chroot yes' >>"$conf"
      fi
      ;;
  esac
  say "sandbox and red-team suites against $backend"
  CODECELL_TEST_BACKEND=$backend npx vitest run "${suites[@]}" --maxWorkers=1 --reporter=default --reporter=json --outputFile="$prefix-$backend.json" || status=1
done
exit $status
