#!/usr/bin/env bash
# Idempotent bootstrap for a fresh Debian machine: uv (from PyPI), the Python environment,
# and the Debian packages Dockyard runs (git, haproxy, nginx). Installs only what is missing;
# when a Debian package is missing and we are not root, prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf -- '-----> %s\n' "$*"; }
warn() { printf -- ' !     %s\n' "$*" >&2; }

# --- uv ---------------------------------------------------------------------------------
# uv is a dependency of Dockyard: after the first sync, the one inside .venv is used. Before
# that, a uv of the locked version is installed from PyPI into .bootstrap/ (never onto PATH),
# so nothing depends on what a shell profile or an earlier install put on PATH.
export UV_SYSTEM_CERTS=1  # the system's trust store, as pip and git use (proxies with their own CA)
UV=.venv/bin/uv
if [ ! -x "$UV" ]; then
  UV=.bootstrap/bin/uv
  if [ ! -x "$UV" ]; then
    version=$(grep -A1 '^name = "uv"$' uv.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
    say "Installing uv ${version} from PyPI into .bootstrap/ (to create .venv)"
    python3 -m pip install --quiet --disable-pip-version-check --target .bootstrap "uv==${version}"
  fi
fi
say "uv $("$UV" --version | cut -d' ' -f2) ($UV)"

# --- Debian packages --------------------------------------------------------------------
# binary -> package
declare -A PACKAGES=(
  [git]=git
  [haproxy]=haproxy
  [nginx]=nginx-light
  [wrk]=wrk           # load generator for bench/deploy.py
  [chromium]=chromium # the dashboard's browser tests (Playwright drives Debian's Chromium)
  [node]=nodejs       # the Node.js buildpack (npm comes with it, or as Debian's npm below)
  [go]=golang-go      # the Go buildpack
  [buildah]=buildah   # releases as OCI images (no Docker daemon; chroot isolation)
  [mmdebstrap]=mmdebstrap            # the Debian base image, made from the Debian mirror
  [docker-registry]=docker-registry  # a local registry for the image tests (127.0.0.1)
  [pebble]=pebble     # Let's Encrypt's test CA (+ pebble-challtestsrv): public-mode tests
  [systemd-analyze]=systemd  # checks the unit `dockyard service install` writes
  [bwrap]=bubblewrap  # the sandbox every build, job and instance runs in
)
missing=()
for bin in "${!PACKAGES[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    missing+=("${PACKAGES[$bin]}")
  fi
done
# PostgreSQL's server binaries are not on PATH on Debian.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Debian's nodejs ships npm separately (NodeSource's includes it): only ask for it when
# node is there without it, so the two packagings never conflict.
if command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts packaged services; Dockyard runs its own instances, so stop those.
    for svc in haproxy nginx postgresql; do
      if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
    done
  else
    warn "Missing Debian packages: ${missing[*]}"
    warn "Run: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
else
  say "Debian packages present: ${PACKAGES[*]} postgresql"
fi

# --- Python environment -----------------------------------------------------------------
say "Syncing the Python environment (.venv)"
"$UV" sync --frozen --quiet
.venv/bin/dockyard --help >/dev/null
say "Ready: .venv/bin/dockyard"
