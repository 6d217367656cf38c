#!/usr/bin/env bash
# Runs every curl command in README.md's sh blocks, as written, against a live Engram and checks each response.
#
# Usage:
#   scripts/readme-walkthrough.sh
#       builds if needed, starts `engram serve` on a temp data dir and a free port with a known
#       ENGRAM_ADMIN_KEY, runs the walkthrough, stops the server and removes the dir.
#   ENGRAM_URL=http://host:port ENGRAM_ADMIN_KEY=... scripts/readme-walkthrough.sh
#       runs against that server instead. It must not hold users alice/bob or a tenant acme yet.
#   WALKTHROUGH_VERBOSE=1 prints each command and its response.
#
# Fields are picked from responses with jq when it is installed, else with node. Exits non-zero on the
# first response that does not match, printing the command, the expectation and the response.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
README="$ROOT/README.md"
READY_TIMEOUT_S=${READY_TIMEOUT_S:-180}

fail() {
  printf 'readme-walkthrough: FAIL: %s\n' "$*" >&2
  exit 1
}

# ---- JSON field access: jq if present, else node. Paths are dotted, array indexes are numbers: results.0.text

if command -v jq >/dev/null 2>&1; then
  JSON_TOOL=jq
  jget() { jq -r --arg p "$1" 'getpath($p | split(".") | map(tonumber? // .)) | if . == null then "null" else tostring end' <<<"$BODY" 2>/dev/null || echo "<no such field or not JSON>"; }
  jcount() { jq -r --arg p "$1" 'getpath($p | split(".") | map(tonumber? // .)) | length' <<<"$BODY" 2>/dev/null || echo "<not JSON>"; }
  jpluck() { jq -r --arg p "$1" --arg f "$2" 'getpath($p | split(".") | map(tonumber? // .))[] | .[$f] | tostring' <<<"$BODY" 2>/dev/null || true; }
else
  JSON_TOOL=node
  NODE_JSON='
    const [op, path, field] = process.argv.slice(1);
    let v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const k of path.split(".")) v = v == null ? undefined : v[/^\d+$/.test(k) ? Number(k) : k];
    const str = (x) => (x == null ? "null" : typeof x === "string" ? x : JSON.stringify(x));
    if (op === "get") console.log(str(v));
    else if (op === "count") console.log(v == null ? 0 : Array.isArray(v) ? v.length : Object.keys(v).length);
    else for (const item of v ?? []) console.log(str(item?.[field]));'
  jget() { node -e "$NODE_JSON" get "$1" <<<"$BODY" 2>/dev/null || echo "<not JSON>"; }
  jcount() { node -e "$NODE_JSON" count "$1" <<<"$BODY" 2>/dev/null || echo "<not JSON>"; }
  jpluck() { node -e "$NODE_JSON" pluck "$1" "$2" <<<"$BODY" 2>/dev/null || true; }
fi

# ---- the server: given, or started here

SERVER_PID=""
WORK_DIR=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  [[ -n "$WORK_DIR" ]] && rm -rf "$WORK_DIR"
  return 0
}
trap cleanup EXIT

if [[ -n "${ENGRAM_URL:-}" ]]; then
  [[ -n "${ENGRAM_ADMIN_KEY:-}" ]] || fail "ENGRAM_URL is set but ENGRAM_ADMIN_KEY is not"
  BASE_URL=${ENGRAM_URL%/}
  ADMIN=$ENGRAM_ADMIN_KEY
else
  (cd "$ROOT" && node scripts/build-if-needed.mjs)
  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/engram-walkthrough-XXXXXX")
  PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  ADMIN="ek_admin_$(node -e 'const c=require("crypto");const a="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";let s="";while(s.length<32){const b=c.randomBytes(1)[0];if(b<248)s+=a[b%62]}console.log(s)')"
  BASE_URL="http://127.0.0.1:$PORT"
  # A clean environment: no ENGRAM_* from the caller's shell, no engram.yaml from the repo (cwd is the temp dir).
  (
    cd "$WORK_DIR"
    for v in $(compgen -e | grep '^ENGRAM_' || true); do unset "$v"; done
    ENGRAM_DATA_DIR="$WORK_DIR/data" ENGRAM_PORT="$PORT" ENGRAM_HOST=127.0.0.1 ENGRAM_ADMIN_KEY="$ADMIN" \
      ENGRAM_LOG_LEVEL=warn exec node "$ROOT/dist/cli/main.js" serve
  ) >"$WORK_DIR/server.out" 2>"$WORK_DIR/server.err" &
  SERVER_PID=$!
  printf 'readme-walkthrough: starting engram on %s (data dir %s)\n' "$BASE_URL" "$WORK_DIR/data"
  deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -sf -o /dev/null "$BASE_URL/readyz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK_DIR/server.err" >&2; fail "the server exited before it was ready"; }
    ((SECONDS < deadline)) || { cat "$WORK_DIR/server.err" >&2; fail "the server was not ready after ${READY_TIMEOUT_S}s"; }
    sleep 0.5
  done
  printf 'readme-walkthrough: ready after %ss\n' "$SECONDS"
fi

# ---- the README's commands: every line in a ```sh or ```bash block that starts with curl (with \ continuations)

mapfile -t COMMANDS < <(awk '
  /^```(sh|bash|shell)[[:space:]]*$/ { inblock = 1; next }
  /^```/ { inblock = 0; next }
  inblock && cont { cmd = cmd "\n" $0; if ($0 !~ /\\$/) { print cmd; cont = 0 }; next }
  inblock && /^curl[[:space:]]/ { if ($0 ~ /\\$/) { cmd = $0; cont = 1 } else print; next }
' "$README")

# The variables the README tells the reader to export; the script fills them from the responses.
export ENGRAM=$BASE_URL ADMIN_KEY=$ADMIN
export ALICE_KEY="" BOB_KEY="" MEMORY_ID="" CLIENT_KEY="" CLIENT_KEY_ID=""

# curl as the README runs it, plus the status code on a marker line the script splits off again.
curl() { command curl -w '\n@@status=%{http_code}' "$@"; }

STEP=0
CMD=""
STATUS=""
BODY=""

run_next() {
  local pattern=$1 raw
  ((STEP < ${#COMMANDS[@]})) || fail "README has ${#COMMANDS[@]} curl commands, the script expects more (next: $pattern)"
  CMD=${COMMANDS[$STEP]}
  STEP=$((STEP + 1))
  [[ "$CMD" =~ $pattern ]] || fail "README curl command #$STEP is not the expected one
  expected to match: $pattern
  README has:        $CMD"
  raw=$(eval "$CMD") || fail "command #$STEP failed to run: $CMD"
  STATUS=${raw##*@@status=}
  BODY=${raw%$'\n'@@status=*}
  if [[ -n "${WALKTHROUGH_VERBOSE:-}" ]]; then printf '\n$ %s\n[%s] %s\n' "$CMD" "$STATUS" "$BODY"; fi
}

mismatch() {
  fail "command #$STEP: $*
  command:  $CMD
  status:   $STATUS
  response: $BODY"
}

expect_status() { [[ "$STATUS" == "$1" ]] || mismatch "expected HTTP $1"; }
expect_eq() {
  local got
  got=$(jget "$1")
  [[ "$got" == "$2" ]] || mismatch "expected $1 = '$2', got '$got'"
}
expect_match() {
  local got
  got=$(jget "$1")
  [[ "$got" =~ $2 ]] || mismatch "expected $1 to match /$2/, got '$got'"
}
expect_count() {
  local got
  got=$(jcount "$1")
  [[ "$got" == "$2" ]] || mismatch "expected $2 entries in $1, got $got"
}
expect_no_text() {
  if jpluck results text | grep -qF -- "$1"; then mismatch "results must not contain '$1'"; fi
}

KEY_RE='^ek_(admin|client|user)_[0-9A-Za-z]{32}$'
MEM_RE='^mem_[0-9a-z]{26}$'

run_next '/v1/me .*ADMIN_KEY'
expect_status 200
expect_eq kind admin

# 1. two users
run_next '/v1/users .*ADMIN_KEY.*"user_id": "alice"'
expect_status 201
expect_eq user.user_id alice
expect_eq user.tenant default
expect_eq key.kind user
expect_match api_key "$KEY_RE"
ALICE_KEY=$(jget api_key)
[[ "$(jget key.prefix)" == "${ALICE_KEY:0:14}" ]] || mismatch "key.prefix is not the start of api_key"

run_next '/v1/users .*ADMIN_KEY.*"user_id": "bob"'
expect_status 201
expect_eq user.user_id bob
BOB_KEY=$(jget api_key)

# 2. memories
run_next '/v1/memories .*ALICE_KEY.*allergic to peanuts'
expect_status 201
expect_match id "$MEM_RE"
expect_eq text "I am allergic to peanuts"
expect_eq metadata.topic health
expect_eq state active
MEMORY_ID=$(jget id)

run_next '/v1/memories .*ALICE_KEY.*Lisbon'
expect_status 201
expect_eq text "My favourite city is Lisbon"

run_next '/v1/memories .*BOB_KEY.*cello'
expect_status 201
expect_eq text "I play the cello on Sundays"

# 3. search
run_next '/v1/memories/search .*ALICE_KEY.*what food should I avoid'
expect_status 200
expect_count results 2
expect_eq results.0.id "$MEMORY_ID"
expect_eq results.0.text "I am allergic to peanuts"
expect_eq results.1.text "My favourite city is Lisbon"
expect_no_text cello

# 4. isolation
run_next '/v1/memories/search .*BOB_KEY.*what food should I avoid'
expect_status 200
expect_count results 1
expect_eq results.0.text "I play the cello on Sundays"
expect_no_text peanuts
expect_no_text Lisbon

run_next '/v1/memories/\$MEMORY_ID .*BOB_KEY'
expect_status 404
expect_eq error.code memory_not_found

run_next '/v1/memories/\$MEMORY_ID .*ALICE_KEY'
expect_status 200
expect_eq id "$MEMORY_ID"
expect_eq text "I am allergic to peanuts"

run_next '/v1/memories .*BOB_KEY.*X-User-Id: alice'
expect_status 403
expect_eq error.code user_mismatch
expect_eq error.field X-User-Id

# 5. tenant and client key
run_next '/v1/tenants .*ADMIN_KEY.*"id": "acme"'
expect_status 201
expect_eq id acme
expect_eq name "Acme Corp"

run_next '/v1/tenants/acme/keys .*ADMIN_KEY'
expect_status 201
expect_eq key.kind client
expect_eq key.tenant acme
expect_match api_key "$KEY_RE"
CLIENT_KEY=$(jget api_key)
CLIENT_KEY_ID=$(jget key.id)

run_next '/v1/memories .*CLIENT_KEY.*X-User-Id: carol.*Carol prefers email'
expect_status 201
expect_eq text "Carol prefers email to phone calls"

run_next '/v1/memories .*X-Muxi-Client-Key: \$CLIENT_KEY.*X-Muxi-User-Id: dave'
expect_status 201
expect_eq text "Dave works night shifts"

run_next '/v1/memories/search .*CLIENT_KEY.*X-User-Id: carol'
expect_status 200
expect_count results 1
expect_eq results.0.text "Carol prefers email to phone calls"
expect_no_text Dave
expect_no_text peanuts

run_next '/v1/users\?tenant=acme.*ADMIN_KEY'
expect_status 200
expect_count users 2
expect_eq users.0.user_id carol
expect_eq users.0.memory_count 1
expect_eq users.1.user_id dave
expect_eq users.1.memory_count 1
expect_eq next_cursor null

# 6. revoke
run_next '-X DELETE .*/v1/keys/\$CLIENT_KEY_ID .*ADMIN_KEY'
expect_status 200
expect_eq id "$CLIENT_KEY_ID"
expect_match revoked_at '^[0-9]{4}-'

run_next '/v1/memories/search .*CLIENT_KEY.*X-User-Id: carol'
expect_status 401
expect_eq error.code key_revoked

((STEP == ${#COMMANDS[@]})) || fail "README has ${#COMMANDS[@]} curl commands but the script checked only $STEP: the next is: ${COMMANDS[$STEP]}"

printf 'readme-walkthrough: OK: %d curl commands from README.md, every response as expected (fields via %s)\n' \
  "$STEP" "$JSON_TOOL"
