#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster (with pgvector) for the test suite.
#
# Sourced (what .ci/run does):
#   source scripts/ci/pg-cluster.sh
#   pg_cluster_start          # exports ENGRAM_TEST_DATABASE_URL and ENGRAM_PG_CLUSTER_DIR
#   trap pg_cluster_stop EXIT
#
# By hand (a cluster that outlives the shell, for development):
#   bash scripts/ci/pg-cluster.sh start    # prints `export ENGRAM_TEST_DATABASE_URL=...`
#   eval "$(bash scripts/ci/pg-cluster.sh start)"   # ...or apply it to your shell directly
#   bash scripts/ci/pg-cluster.sh env      # print the export line of the running cluster again
#   bash scripts/ci/pg-cluster.sh status
#   bash scripts/ci/pg-cluster.sh stop
# The by-hand cluster is recorded in $ENGRAM_PG_CLUSTER_ENV_FILE (default
# /tmp/engram-pg-cluster.env, also sourceable); a sourced pg_cluster_start never touches that
# file, so CI on a developer's machine cannot stop the developer's cluster or vice versa.
#
# The cluster: initdb in a fresh `mktemp -d` directory, superuser "engram" with a random password
# (part of the exported URL) that every connection must give (scram-sha-256, on loopback TCP and
# on the unix socket alike), listening on 127.0.0.1 on a free port, unix socket inside the
# temporary directory, fsync left on (the default). A password as a real deployment has one, so
# the tests that check it is never printed have one to look for. PostgreSQL refuses to run as
# root, so under root it runs as the system user "engramci" (created once).
#
# Settings (environment): ENGRAM_PG_BIN (default /usr/lib/postgresql/15/bin),
# ENGRAM_PG_SUPERUSER (default engram), ENGRAM_PG_OS_USER (default engramci),
# ENGRAM_PG_PASSWORD (default: random; letters, digits and . _ ~ - only, as it goes into a URL).

_PGC_BIN=${ENGRAM_PG_BIN:-/usr/lib/postgresql/15/bin}
_PGC_SUPERUSER=${ENGRAM_PG_SUPERUSER:-engram}
_PGC_OS_USER=${ENGRAM_PG_OS_USER:-engramci}
_PGC_PASSWORD=${ENGRAM_PG_PASSWORD:-}
_PGC_ENV_FILE=${ENGRAM_PG_CLUSTER_ENV_FILE:-/tmp/engram-pg-cluster.env}
_PGC_MARKER=.engram-pg-cluster   # marks a directory as ours, so stop only ever deletes ours

_pgc_log() { printf '[pg-cluster] %s\n' "$*" >&2; }

# Run a command as the cluster's owner: engramci under root, otherwise the current user.
# Always from inside the cluster directory, as the owner may not be allowed into the caller's cwd.
_pgc_as_owner() { # dir cmd...
  local dir=$1; shift
  if ((EUID == 0)); then
    (cd "$dir" && runuser -u "$_PGC_OS_USER" -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

_pgc_ensure_os_user() {
  ((EUID == 0)) || return 0
  id -u "$_PGC_OS_USER" >/dev/null 2>&1 && return 0
  _pgc_log "creating system user $_PGC_OS_USER (PostgreSQL will not run as root)"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    "$_PGC_OS_USER"
}

# Ask the kernel for a free loopback port (bind to port 0). A tiny race remains between here and
# the server's bind; pg_cluster_start retries with a new port if the server cannot bind.
_pgc_free_port() {
  if command -v node >/dev/null 2>&1; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  else
    _pgc_log "ERROR: need node or python3 to pick a free port"
    return 1
  fi
}

_pgc_url() { # port password
  printf 'postgres://%s:%s@127.0.0.1:%s/postgres' "$_PGC_SUPERUSER" "$2" "$1"
}

# 24 hex digits: nothing to escape in a URL, a shell or a pwfile.
_pgc_random_password() {
  od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
}

# Stop the server in $1 (if running) and delete the directory (only if it carries our marker).
_pgc_destroy() { # dir
  local dir=$1
  [[ -n $dir && -d $dir ]] || return 0
  if [[ ! -f $dir/$_PGC_MARKER ]]; then
    _pgc_log "WARNING: $dir is not a pg-cluster.sh directory; leaving it alone"
    return 1
  fi
  if [[ -f $dir/data/postmaster.pid ]]; then
    _pgc_as_owner "$dir" "$_PGC_BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null 2>&1 \
      || _pgc_log "WARNING: pg_ctl stop failed for $dir (server already gone?)"
  fi
  rm -rf "$dir"
}

# Start a new cluster; exports ENGRAM_TEST_DATABASE_URL and ENGRAM_PG_CLUSTER_DIR.
pg_cluster_start() {
  local dir port url attempt password locale=C
  if [[ ! -x $_PGC_BIN/initdb ]]; then
    _pgc_log "ERROR: $_PGC_BIN/initdb not found (is postgresql-15 installed?)"
    return 1
  fi
  _pgc_ensure_os_user || return 1

  # Under root, always /tmp: engramci must be able to reach the directory, and $TMPDIR may not
  # be reachable for it.
  if ((EUID == 0)); then
    dir=$(mktemp -d /tmp/engram-pg.XXXXXX) || return 1
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/engram-pg.XXXXXX") || return 1
  fi
  touch "$dir/$_PGC_MARKER"
  # Exported at once so that a caller's trap can clean up even if the start fails half-way.
  export ENGRAM_PG_CLUSTER_DIR=$dir
  if ((EUID == 0)); then chown "$_PGC_OS_USER:" "$dir"; fi
  chmod 0700 "$dir"

  # C.UTF-8 where available, so lower()/upper() and full-text parsing understand non-ASCII text.
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi

  password=${_PGC_PASSWORD:-$(_pgc_random_password)}
  if [[ ! $password =~ ^[A-Za-z0-9._~-]+$ ]]; then
    _pgc_log "ERROR: ENGRAM_PG_PASSWORD may hold only letters, digits and . _ ~ - (it goes into a URL as is)"
    _pgc_destroy "$dir"; unset ENGRAM_PG_CLUSTER_DIR
    return 1
  fi
  # initdb reads the superuser's password from a file the cluster's owner can read; removed right after.
  (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
  if ((EUID == 0)); then chown "$_PGC_OS_USER:" "$dir/pwfile"; fi

  _pgc_log "initdb in $dir/data (superuser $_PGC_SUPERUSER with a password, locale $locale)"
  if ! _pgc_as_owner "$dir" "$_PGC_BIN/initdb" -D "$dir/data" -U "$_PGC_SUPERUSER" \
      --pwfile="$dir/pwfile" --auth=scram-sha-256 --encoding=UTF8 --locale="$locale" \
      >"$dir/initdb.log" 2>&1; then
    rm -f "$dir/pwfile"
    cat "$dir/initdb.log" >&2
    _pgc_log "ERROR: initdb failed"
    _pgc_destroy "$dir"; unset ENGRAM_PG_CLUSTER_DIR
    return 1
  fi
  rm -f "$dir/pwfile"

  # Only the local socket and loopback, never without the password; no replication, nothing else.
  cat >"$dir/data/pg_hba.conf" <<'EOF'
# Written by scripts/ci/pg-cluster.sh: a throwaway test cluster on loopback, password required.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  scram-sha-256
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
EOF

  for attempt in 1 2 3; do
    port=$(_pgc_free_port) || { _pgc_destroy "$dir"; unset ENGRAM_PG_CLUSTER_DIR; return 1; }
    # The tests create and drop many databases with several pools at once: allow some headroom.
    cat >"$dir/data/engram-test.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
EOF
    grep -q "^include 'engram-test.conf'" "$dir/data/postgresql.conf" \
      || echo "include 'engram-test.conf'" >>"$dir/data/postgresql.conf"
    if ((EUID == 0)); then chown -R "$_PGC_OS_USER:" "$dir/data"; fi

    _pgc_log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt)"
    if _pgc_as_owner "$dir" "$_PGC_BIN/pg_ctl" start -D "$dir/data" -l "$dir/server.log" \
        -w -t 60 >/dev/null 2>&1; then
      break
    fi
    if grep -qiE 'could not bind|address already in use' "$dir/server.log" 2>/dev/null \
        && ((attempt < 3)); then
      _pgc_log "port $port was taken meanwhile; trying another"
      continue
    fi
    tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
    _pgc_log "ERROR: PostgreSQL did not start"
    _pgc_destroy "$dir"; unset ENGRAM_PG_CLUSTER_DIR
    return 1
  done

  url=$(_pgc_url "$port" "$password")
  # Proves the extension is installed and loads; the app runs its own CREATE EXTENSION as well.
  if ! "$_PGC_BIN/psql" "$url" -X -q -v ON_ERROR_STOP=1 \
      -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null; then
    _pgc_log "ERROR: CREATE EXTENSION vector failed (run: bash scripts/ci/install-pgvector.sh)"
    _pgc_destroy "$dir"; unset ENGRAM_PG_CLUSTER_DIR
    return 1
  fi
  _pgc_log "ready: $("$_PGC_BIN/psql" "$url" -X -qAt -c \
    "select version() || ', pgvector ' || extversion from pg_extension where extname = 'vector'")"

  echo "$port" >"$dir/port"
  export ENGRAM_PG_CLUSTER_PORT=$port
  export ENGRAM_TEST_DATABASE_URL=$url
}

# Stop the cluster started by pg_cluster_start (or the one whose directory is given) and delete
# it. Safe to call more than once and when nothing was started.
pg_cluster_stop() { # [dir]
  local dir=${1:-${ENGRAM_PG_CLUSTER_DIR:-}}
  [[ -n $dir ]] || return 0
  if [[ -d $dir ]]; then _pgc_log "stopping the cluster in $dir"; fi
  _pgc_destroy "$dir" || return 1
  if [[ -z ${1:-} ]]; then
    unset ENGRAM_PG_CLUSTER_DIR ENGRAM_PG_CLUSTER_PORT ENGRAM_TEST_DATABASE_URL
  fi
}

# --- By-hand use ---------------------------------------------------------------------------------

# Reads the recorded cluster without sourcing the file (it lives in /tmp).
_pgc_recorded() { # field: dir|url
  [[ -f $_PGC_ENV_FILE ]] || return 1
  case $1 in
    dir) sed -n 's/^ENGRAM_PG_CLUSTER_DIR=//p' "$_PGC_ENV_FILE" | head -n1 ;;
    url) sed -n 's/^export ENGRAM_TEST_DATABASE_URL=//p' "$_PGC_ENV_FILE" | head -n1 ;;
  esac
}

_pgc_recorded_running() {
  local dir
  dir=$(_pgc_recorded dir) || return 1
  [[ -n $dir && -f $dir/$_PGC_MARKER && -f $dir/port ]] || return 1
  # Accepting connections is what counts (a killed server can linger as a zombie pid).
  "$_PGC_BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$_PGC_SUPERUSER" -d postgres
}

_pgc_main() {
  set -euo pipefail
  local cmd=${1:-}
  case $cmd in
    start)
      if _pgc_recorded_running; then
        _pgc_log "already running in $(_pgc_recorded dir) (recorded in $_PGC_ENV_FILE)"
      else
        local stale
        stale=$(_pgc_recorded dir 2>/dev/null || true)
        if [[ -n $stale ]]; then _pgc_destroy "$stale" || true; fi
        rm -f "$_PGC_ENV_FILE"
        pg_cluster_start
        # The URL holds the password: readable by this user only.
        (
          umask 077
          {
            echo "# Written by scripts/ci/pg-cluster.sh start; stop with: bash scripts/ci/pg-cluster.sh stop"
            echo "ENGRAM_PG_CLUSTER_DIR=$ENGRAM_PG_CLUSTER_DIR"
            echo "export ENGRAM_TEST_DATABASE_URL=$ENGRAM_TEST_DATABASE_URL"
          } >"$_PGC_ENV_FILE"
        )
        _pgc_log "recorded in $_PGC_ENV_FILE; it keeps running until: bash scripts/ci/pg-cluster.sh stop"
      fi
      echo "export ENGRAM_TEST_DATABASE_URL=$(_pgc_recorded url)"
      ;;
    env)
      _pgc_recorded_running || { _pgc_log "no running cluster recorded in $_PGC_ENV_FILE"; return 1; }
      echo "export ENGRAM_TEST_DATABASE_URL=$(_pgc_recorded url)"
      ;;
    status)
      if _pgc_recorded_running; then
        _pgc_log "running in $(_pgc_recorded dir)"
        echo "export ENGRAM_TEST_DATABASE_URL=$(_pgc_recorded url)"
      else
        _pgc_log "not running"
        return 3
      fi
      ;;
    stop)
      local dir
      dir=$(_pgc_recorded dir 2>/dev/null || true)
      if [[ -z $dir ]]; then
        _pgc_log "no cluster recorded in $_PGC_ENV_FILE; nothing to stop"
        return 0
      fi
      pg_cluster_stop "$dir"
      rm -f "$_PGC_ENV_FILE"
      _pgc_log "stopped"
      ;;
    *)
      echo "usage: bash ${BASH_SOURCE[0]} start|stop|status|env   (or source it and call pg_cluster_start / pg_cluster_stop)" >&2
      return 2
      ;;
  esac
}

# Executed rather than sourced: act as a command.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  _pgc_main "$@"
fi
