#!/usr/bin/env bash
# Sets up codecell on a fresh machine: Node >= 22, a running Docker engine, npm dependencies, the
# build, and the sandbox image (built offline from Debian's mirror when no registry answers).
# Safe to run again: every step is skipped when already done.
# With arguments, runs them afterwards with Node 22 and `codecell` on PATH:
#   scripts/setup.sh codecell run "..."      scripts/setup.sh npm test
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; return 1; fi; }

# 1. Node >= 22 (the npm package node@22 ships the binary; installed under ~/.node22).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$HOME/.node22/node_modules/.bin/node" ]; then
    say "installing Node 22 into ~/.node22 (this machine has $(node --version 2>/dev/null || echo 'no node'))"
    npm install --silent --no-audit --no-fund --prefix "$HOME/.node22" node@22 >&2
  fi
  export PATH="$HOME/.node22/node_modules/.bin:$PATH"
fi
say "node $(node --version)"

# 2. A Docker engine: use DOCKER_HOST or the local socket; install and start dockerd when missing.
if ! docker version >/dev/null 2>&1; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    say "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine and run this again"; exit 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io from Debian's packages"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
  fi
  if ! docker version >/dev/null 2>&1; then
    say "starting dockerd in the background (log: /tmp/dockerd.log)"
    as_root sh -c 'nohup dockerd >/tmp/dockerd.log 2>&1 &'
    for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 1; done
    docker version >/dev/null 2>&1 || { say "dockerd did not start; see /tmp/dockerd.log"; tail -20 /tmp/dockerd.log >&2; exit 1; }
  fi
fi
say "docker engine $(docker version --format '{{.Server.Version}}')"

# debootstrap builds the sandbox's base image offline when no container registry answers.
if ! command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  say "installing debootstrap (offline base image builds)"
  apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi

# 3. Dependencies and build.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >&2
fi
say "building"
npm run --silent build >&2

# 4. The sandbox image (a no-op when the image for this kernel version exists).
node bin/codecell.js sandbox build >&2

export PATH="$PWD/bin:$PATH"
if [ $# -gt 0 ]; then
  exec "$@"
fi
say "ready: bin/codecell --help  (Node 22 is in ~/.node22 when the system one is older)"
