#!/usr/bin/env bash
# Install Bun and Deno for test/sdk-runtimes.test.ts (the SDK run by other JavaScript runtimes), from the npm
# registry (each ships its binary as a platform package there), into a directory outside the project: they are
# test tools, not dependencies. Prints the directory of their executables for ENGRAM_TEST_RUNTIMES.
#
# Idempotent: does nothing when both are already installed there.
set -euo pipefail

dir="${ENGRAM_RUNTIMES_DIR:-${TMPDIR:-/tmp}/engram-runtimes}"
bin="$dir/node_modules/.bin"
log() { printf '[install-runtimes] %s\n' "$*" >&2; }

if [[ -x "$bin/bun" && -x "$bin/deno" ]]; then
  log "already installed in $dir"
else
  mkdir -p "$dir"
  start_ts=$SECONDS
  (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error bun@1.4.5 deno@2.9.6 >&2)
  log "installed in $((SECONDS - start_ts)) s"
fi
log "bun $("$bin/bun" --version), $("$bin/deno" --version | head -n 1)"
echo "$bin"
