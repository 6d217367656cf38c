#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser tests (test/dashboard.test.ts drives it with
# playwright-core). Never a browser downloaded by a test tool: this machine's network reaches only the npm
# registry and Debian's packages, and an air-gapped CI would not reach a browser CDN either.
#
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive

log() { printf '[install-chromium] %s\n' "$*" >&2; }

SUDO=()
if ((EUID != 0)); then SUDO=(sudo); fi # CI runs as root; a developer may not.

if command -v chromium >/dev/null 2>&1; then
  log "already installed: $(chromium --version 2>/dev/null || echo chromium)"
  exit 0
fi

start_ts=$SECONDS
log "installing Debian's chromium package"
# The package lists may be stale on a fresh machine; a failed update is retried once before giving up.
"${SUDO[@]}" apt-get update -q || { sleep 5; "${SUDO[@]}" apt-get update -q; }
"${SUDO[@]}" apt-get install "${APT_OPTS[@]}" chromium
log "installed $(chromium --version) in $((SECONDS - start_ts)) s"
