#!/usr/bin/env bash
# Entry point for a fresh Debian machine with the .NET SDK: installs what the project needs
# (idempotently), restores the pinned PowerShell, then runs a build.ps1 task.
#   ./build.sh Demo     set up and run the embedded staging refresh demo
#   ./build.sh Test     build and run every test (xUnit, then Pester)
#   ./build.sh Build    build the module into out/KojiStaging
set -euo pipefail
cd "$(dirname "$0")"
bash tools/install-prerequisites.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
exec dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 "$@"
