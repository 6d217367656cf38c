#!/usr/bin/env bash
# Install the pgvector extension into the machine's PostgreSQL 15 (Debian bookworm).
#
# Why it is built from source: bookworm ships no pgvector package for PostgreSQL 15, and the
# binary from trixie is built for PostgreSQL 17 and would drag in a partial OS upgrade. Debian's
# own *source* package from trixie (pgvector 0.8.x) builds cleanly against PostgreSQL 15 in
# about 20 seconds, so we fetch that with a temporary deb-src entry and compile it here.
#
# Idempotent: does nothing when vector.control and vector.so are already installed.
# Leaves the machine's apt sources exactly as it found them (the temporary entry is removed
# on every exit path, followed by an `apt-get update`).
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
SRC_SUITE=trixie                 # where Debian's pgvector source package lives
BASE_SUITE=bookworm              # the machine's own suite, whose URI and keyring we reuse
TMP_SOURCES=/etc/apt/sources.list.d/engram-ci-pgvector-src.sources
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

log() { printf '[install-pgvector] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=()
if ((EUID != 0)); then SUDO=(sudo); fi   # CI runs as root; a developer may not.

have_vector() {
  [[ -x $PG_CONFIG ]] || return 1
  local share lib
  share=$("$PG_CONFIG" --sharedir) || return 1
  lib=$("$PG_CONFIG" --pkglibdir) || return 1
  [[ -f $share/extension/vector.control && -f $lib/vector.so ]]
}

pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

if have_vector; then
  log "pgvector already installed for PostgreSQL $PG_MAJOR ($("$PG_CONFIG" --sharedir)/extension/vector.control); skipping."
  exit 0
fi

start_ts=$SECONDS
log "pgvector not found for PostgreSQL $PG_MAJOR; building it from Debian's source package."

# A crashed earlier run may have left our temporary entry behind; it is ours to remove.
"${SUDO[@]}" rm -f "$TMP_SOURCES"

log "apt-get update"
"${SUDO[@]}" apt-get update -q

# --- PostgreSQL 15 itself (normally already there) -------------------------------------------
if ! pkg_installed "postgresql-$PG_MAJOR"; then
  log "postgresql-$PG_MAJOR is not installed; installing it from $BASE_SUITE."
  "${SUDO[@]}" apt-get install "${APT_OPTS[@]}" --no-install-recommends "postgresql-$PG_MAJOR"
fi
PG_PKG_VERSION=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR")

# --- Build dependencies ------------------------------------------------------------------------
# Headers pinned to the running server's exact version so that apt does not upgrade the server
# as a side effect. If that version has left the archive (a newer point release replaced it),
# fall back to the archive's version: extensions are ABI-compatible across minor releases, and
# postgresql-server-dev-15 does not depend on the server package, so the server stays put.
need=()
if ! pkg_installed "postgresql-server-dev-$PG_MAJOR"; then
  if apt-cache madison "postgresql-server-dev-$PG_MAJOR" | awk -F'|' '{gsub(/ /,"",$2); print $2}' \
      | grep -qxF "$PG_PKG_VERSION"; then
    need+=("postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION")
  else
    log "WARNING: postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION is no longer in the archive; using the archive's version."
    need+=("postgresql-server-dev-$PG_MAJOR")
  fi
fi
# build-essential also brings dpkg-dev, which `apt-get source` needs to unpack the package.
pkg_installed build-essential || need+=(build-essential)
if ((${#need[@]})); then
  log "installing build dependencies: ${need[*]}"
  "${SUDO[@]}" apt-get install "${APT_OPTS[@]}" --no-install-recommends "${need[@]}"
fi
[[ -x $PG_CONFIG ]] || die "$PG_CONFIG is missing after installing PostgreSQL $PG_MAJOR packages"
[[ $(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR") == "$PG_PKG_VERSION" ]] \
  || die "postgresql-$PG_MAJOR changed version while installing build dependencies"

# --- Find the machine's bookworm entry (URI + Signed-By) -----------------------------------------
# The temporary deb-src entry must use a host the machine already uses and the same keyring.
# apt reads /etc/apt/sources.list and, in sources.list.d, only *.list (one-line format) and
# *.sources (deb822) files; anything else there (e.g. *.disabled) is ignored, so we ignore it too.
# Output of both parsers: line 1 = URI, remaining lines = a complete "Signed-By:" field (may be
# several lines when the key is embedded) or nothing when the entry relies on trusted.gpg.d.
find_deb822_entry() { # file...
  awk -v want="$BASE_SUITE" '
    BEGIN { RS = ""; FS = "\n" }           # paragraph mode: one stanza per record
    {
      types = ""; uris = ""; suites = ""; enabled = "yes"; signed = ""; cur = ""
      for (i = 1; i <= NF; i++) {
        line = $i
        if (line ~ /^#/) continue
        if (line ~ /^[ \t]/) {              # continuation line of the current field
          if (cur == "signed-by") signed = signed "\n" line
          else if (cur == "uris") uris = uris " " line
          else if (cur == "suites") suites = suites " " line
          else if (cur == "types") types = types " " line
          continue
        }
        n = index(line, ":"); if (n == 0) continue
        cur = tolower(substr(line, 1, n - 1)); val = substr(line, n + 1)
        if (cur == "types") types = val
        else if (cur == "uris") uris = val
        else if (cur == "suites") suites = val
        else if (cur == "enabled") enabled = val
        else if (cur == "signed-by") signed = "Signed-By:" val
      }
      gsub(/[ \t]+/, " ", enabled); gsub(/ /, "", enabled)
      if (tolower(enabled) == "no") next
      if ((" " types " ") !~ /[ \t]deb[ \t]/) next
      ns = split(suites, s, /[ \t]+/); hit = 0
      for (j = 1; j <= ns; j++) if (s[j] == want) hit = 1
      if (!hit) next
      split(uris, u, /[ \t]+/); uri = (u[1] != "" ? u[1] : u[2])
      print uri; if (signed != "") print signed
      exit
    }' "$@"
}

find_oneline_entry() { # file...
  awk -v want="$BASE_SUITE" '
    {
      sub(/#.*/, "")
      if ($1 != "deb") next
      i = 2; signed = ""
      if ($i ~ /^\[/) {                      # [ option=value ... ]
        opts = ""
        while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } ; i++ }
        gsub(/[\[\]]/, " ", opts)
        no = split(opts, o, /[ \t]+/)
        for (k = 1; k <= no; k++) if (tolower(o[k]) ~ /^signed-by=/) signed = substr(o[k], 11)
      }
      uri = $i; suite = $(i + 1)
      if (suite != want) next
      print uri; if (signed != "") print "Signed-By: " signed
      exit
    }' "$@"
}

entry=""
shopt -s nullglob
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $f ]] || continue
  entry=$(find_oneline_entry "$f")
  [[ -n $entry ]] && { log "using the $BASE_SUITE entry in $f"; break; }
done
if [[ -z $entry ]]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ $f == "$TMP_SOURCES" ]] && continue
    entry=$(find_deb822_entry "$f")
    [[ -n $entry ]] && { log "using the $BASE_SUITE entry in $f"; break; }
  done
fi
shopt -u nullglob
[[ -n $entry ]] || die "no enabled 'deb ... $BASE_SUITE' entry found in the machine's apt sources"
base_uri=$(head -n1 <<<"$entry")
signed_by=$(tail -n +2 <<<"$entry")
log "URI: $base_uri  keyring: ${signed_by:-"(apt's default trusted keys)"}"

# --- Temporary deb-src entry; always removed again -----------------------------------------------
workdir=$(mktemp -d /tmp/engram-pgvector-build.XXXXXX)
cleanup() {
  local rc=$?
  if [[ -e $TMP_SOURCES ]]; then
    log "removing the temporary $SRC_SUITE deb-src entry and refreshing apt's lists"
    "${SUDO[@]}" rm -f "$TMP_SOURCES"
    "${SUDO[@]}" apt-get update -q >/dev/null 2>&1 || log "WARNING: final apt-get update failed"
  fi
  rm -rf "$workdir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
  echo "# Temporary entry written by scripts/ci/install-pgvector.sh; removed when it finishes."
  echo "Types: deb-src"
  echo "URIs: $base_uri"
  echo "Suites: $SRC_SUITE"
  echo "Components: main"
  if [[ -n $signed_by ]]; then printf '%s\n' "$signed_by"; fi
} | "${SUDO[@]}" tee "$TMP_SOURCES" >/dev/null

log "apt-get update (with the temporary $SRC_SUITE deb-src entry)"
"${SUDO[@]}" apt-get update -q

# --- Fetch, build, install ---------------------------------------------------------------------
# The _apt user downloads the source; give it a directory it can write to (avoids apt's
# "unsandboxed as root" warning).
chmod 0755 "$workdir"
if ((EUID == 0)) && id _apt >/dev/null 2>&1; then chown _apt "$workdir"; fi
(cd "$workdir" && apt-get source -q "pgvector/$SRC_SUITE")
srcdir=$(find "$workdir" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
[[ -n $srcdir ]] || die "apt-get source pgvector produced no source tree"
version=${srcdir##*/pgvector-}
log "fetched pgvector $version"
[[ $version == 0.8.* ]] || die "expected pgvector 0.8.x from $SRC_SUITE, got $version"

# OPTFLAGS= : no -march=native, so the library does not depend on this exact CPU.
log "building pgvector $version against $("$PG_CONFIG" --version)"
make -C "$srcdir" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=
"${SUDO[@]}" make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG" OPTFLAGS=

have_vector || die "pgvector was built but vector.control/vector.so are not where $PG_CONFIG says"
log "pgvector $version installed in $((SECONDS - start_ts)) s."
