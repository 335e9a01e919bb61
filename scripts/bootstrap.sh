#!/usr/bin/env bash
# Prepares a machine to build and test the worker: installs whatever is missing of
#   - Deno (pinned, from the npm registry),
#   - PostgreSQL server binaries (>= 15; the tests start their own throw-away cluster),
#   - pgvector for those binaries (the distribution's package where it exists, otherwise built
#     from Debian's `pgvector` source package).
# Idempotent: a second run finds everything in place and changes nothing. Works as root and as
# a normal user (through sudo for system packages). No Docker, no running Postgres required.
set -euo pipefail

DENO_VERSION="${DENO_VERSION:-2.9.6}"
PGVECTOR_SRC_SUITE="${PGVECTOR_SRC_SUITE:-trixie}"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=(false)
fi

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "cannot install $* here: no apt-get (install it by hand)"
  [ "${SUDO[0]:-}" = false ] && die "cannot install $*: not root and no sudo"
  if [ "$apt_updated" -eq 0 ]; then
    "${SUDO[@]}" apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Deno -------------------------------------------------------------------------------------
deno_ok() {
  command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n1 | grep -q "deno ${DENO_VERSION} "
}
if ! deno_ok; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  if [ "$(id -u)" -eq 0 ]; then
    say "installing deno@${DENO_VERSION} from npm (global)"
    npm install -g --no-fund --no-audit "deno@${DENO_VERSION}" >/dev/null 2>&1
  else
    say "installing deno@${DENO_VERSION} from npm into ~/.local"
    npm install -g --prefix "$HOME/.local" --no-fund --no-audit "deno@${DENO_VERSION}" >/dev/null 2>&1
    export PATH="$HOME/.local/bin:$PATH"
  fi
  # The npm package ships the real binary next to a node launcher; link the binary itself so
  # every `deno` start skips node.
  root="$(npm root -g 2>/dev/null || true)"
  [ "$(id -u)" -eq 0 ] || root="$HOME/.local/lib/node_modules"
  if [ -x "$root/deno/deno" ]; then
    bindir=/usr/local/bin
    [ "$(id -u)" -eq 0 ] || bindir="$HOME/.local/bin"
    mkdir -p "$bindir"
    ln -sf "$root/deno/deno" "$bindir/deno"
    hash -r
  fi
  deno_ok || die "deno ${DENO_VERSION} is not on PATH after installing (PATH=$PATH)"
fi
say "$(deno --version | head -n1)"

# --- PostgreSQL server binaries ---------------------------------------------------------------
pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
    echo "$PG_BINDIR"
    return
  fi
  local best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] || continue
    best="$d"
  done
  if [ -z "$best" ] && command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir)"
    [ -x "$d/initdb" ] && best="$d"
  fi
  echo "$best"
}
bindir="$(pg_bindir)"
if [ -z "$bindir" ]; then
  apt_install postgresql
  bindir="$(pg_bindir)"
  [ -n "$bindir" ] || die "PostgreSQL server binaries not found after installing"
fi
pg_major="$("$bindir/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')"
[ "$pg_major" -ge 15 ] || die "PostgreSQL $pg_major found in $bindir; pgai needs 15 or newer"
say "PostgreSQL $pg_major server binaries in $bindir"

# --- pgvector ---------------------------------------------------------------------------------
sharedir="$("$bindir/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$pg_major")"
if [ -f "$sharedir/extension/vector.control" ]; then
  say "pgvector already installed for PostgreSQL $pg_major"
else
  pkg="postgresql-${pg_major}-pgvector"
  installed=0
  if command -v apt-cache >/dev/null 2>&1; then
    [ "$apt_updated" -eq 1 ] || { "${SUDO[@]}" apt-get update -qq >/dev/null; apt_updated=1; }
    if apt-cache show "$pkg" >/dev/null 2>&1; then
      apt_install "$pkg" && installed=1
    fi
  fi
  if [ "$installed" -eq 0 ]; then
    say "no $pkg package here: building pgvector from Debian's source package"
    src_list=/etc/apt/sources.list.d/pgai-pgvector-src.sources
    if ! apt-cache showsrc pgvector >/dev/null 2>&1 || [ -z "$(apt-cache showsrc pgvector 2>/dev/null)" ]; then
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$PGVECTOR_SRC_SUITE" | "${SUDO[@]}" tee "$src_list" >/dev/null
      "${SUDO[@]}" apt-get update -qq >/dev/null
    fi
    apt_install "postgresql-server-dev-${pg_major}" dpkg-dev build-essential
    work="$(mktemp -d)"
    (cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1) || die "apt-get source pgvector failed"
    srcdir="$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
    [ -n "$srcdir" ] || die "pgvector source not unpacked"
    make -s -C "$srcdir" PG_CONFIG="$bindir/pg_config" >/dev/null 2>&1 || die "building pgvector failed"
    "${SUDO[@]}" make -s -C "$srcdir" PG_CONFIG="$bindir/pg_config" install >/dev/null 2>&1 ||
      die "installing pgvector failed"
    rm -rf "$work"
  fi
  [ -f "$sharedir/extension/vector.control" ] || die "pgvector is still missing in $sharedir"
  say "pgvector installed for PostgreSQL $pg_major"
fi

# --- systemd-analyze (static check of the unit file; optional) --------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 &&
  [ "${SUDO[0]:-}" != false ]; then
  (apt_install systemd) || say "systemd-analyze unavailable: its test will be skipped"
fi

# --- npm dependencies into Deno's cache -------------------------------------------------------
cd "$(dirname "$0")/.."
deno install --frozen >/dev/null 2>&1 || deno install >/dev/null
say "ready"
