<#
.SYNOPSIS
    Times Sync-KojiStagingDb against dump-and-restore refreshes on the same synthetic Koji data, side by side.
.DESCRIPTION
    Starts two throw-away PostgreSQL clusters ("prod" and "staging"), builds a production database from the
    fixture's real Koji schema filled with synthetic rows in Fedora's proportions (koji-synthetic-data.sql,
    -Builds sets the scale: ~45k builds per GB of heap), then refreshes staging three ways, one after another:
      (a) pg_dump | psql, then koji-staging-reset.sql                      (Fedora's way)
      (b) pg_dump -Fd -j N to a directory + pg_restore -j N, then the reset (the best stock tool)
      (c) Sync-KojiStagingDb -ThrottleLimit N (sanitised in the stream, swapped in)
    and prints wall time, ratios and the peak resident memory of the client processes (GNU time %M).
    Not a test: run it by hand, e.g.  dotnet pwsh benchmarks/Measure-DbSync.ps1 -Builds 90000
#>
param([int] $Builds = 20000, [int] $Jobs = 2, [switch] $ValidateForeignKeys)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $root 'tests/pester/TestHelpers.psm1') -Force
$module = Get-KojiTestModulePath
if (-not (Test-Path $module)) { throw "Build first: ./build.sh Build" }

$work = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-bench-$PID")
$prod = Start-KojiTestService pg --fixture koji_prod
$stg = Start-KojiTestService pg
try {
    $pass = Join-Path $work 'pgpass'
    Set-Content $pass "127.0.0.1:$($prod.Port):*:postgres:$($prod.Password)`n127.0.0.1:$($stg.Port):*:postgres:$($stg.Password)"
    & chmod 600 $pass
    $env:PGPASSFILE = $pass; $env:PGUSER = 'postgres'; $env:PGHOST = '127.0.0.1'
    $P = "-p $($prod.Port)"; $S = "-p $($stg.Port)"
    function Sh([string] $cmd) { & bash -c "set -eo pipefail; $cmd"; if ($LASTEXITCODE) { throw "failed ($LASTEXITCODE): $cmd" } }
    function Timed([string] $name, [string] $cmd) {
        # Every method starts with clean shared buffers: otherwise a later one pays for the checkpoints of the earlier ones' writes.
        Sh "psql -X -q $P -d postgres -c CHECKPOINT; psql -X -q $S -d postgres -c CHECKPOINT; sync"
        $t = Join-Path $work "$name.time"
        & /usr/bin/time -f '%e %M' -o $t bash -c "set -eo pipefail; $cmd"
        if ($LASTEXITCODE) { throw "$name failed ($LASTEXITCODE)" }
        $e, $m = (Get-Content $t | Select-Object -Last 1) -split ' '
        [pscustomobject]@{ Method = $name; Seconds = [double] $e; PeakMiB = [math]::Round([double] $m / 1024, 1) }
    }

    Write-Host "Generating koji_bench with $Builds builds on the prod cluster..."
    $gen = [Diagnostics.Stopwatch]::StartNew()
    $q = '-X -q -v ON_ERROR_STOP=1'
    Sh "createdb $P koji_bench"
    Sh "pg_dump $P --section=pre-data koji_prod | psql $q $P -d koji_bench"
    Sh "pg_dump $P --section=data koji_prod | psql $q $P -d koji_bench"
    Sh "psql $q $P -d koji_bench -v builds=$Builds -f '$PSScriptRoot/koji-synthetic-data.sql' >/dev/null"
    Sh "pg_dump $P --section=post-data koji_prod | psql $q $P -d koji_bench >/dev/null"
    Sh "psql $q $P -d koji_bench -c 'VACUUM ANALYZE'"
    $size = & psql -X -At $P.Split(' ') -d koji_bench -c "SELECT pg_database_size('koji_bench')"
    $heap = & psql -X -At $P.Split(' ') -d koji_bench -c "SELECT sum(pg_table_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
    $big = & psql -X -At $P.Split(' ') -d koji_bench -c "SELECT string_agg(relname || ' ' || pg_size_pretty(pg_table_size(oid)) || ' ' || reltuples::bigint || ' rows', ', ' ORDER BY pg_table_size(oid) DESC) FROM (SELECT * FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY pg_table_size(oid) DESC LIMIT 4) x"
    Write-Host ("Source: {0:N2} GiB database ({1:N2} GiB table data), generated in {2:N0}s; biggest: {3}" -f ($size / 1GB), ($heap / 1GB), $gen.Elapsed.TotalSeconds, $big)

    $reset = "$PSScriptRoot/koji-staging-reset.sql"
    $results = @()
    $results += Timed 'a: pg_dump | psql + reset' "createdb $S koji_a; pg_dump $P koji_bench | psql $q $S -d koji_a >/dev/null; psql $q $S -d koji_a -f '$reset' >/dev/null"
    $results += Timed "b: pg_dump -Fd -j$Jobs + pg_restore -j$Jobs + reset" "rm -rf '$work/dump'; pg_dump $P -Fd -j $Jobs -f '$work/dump' koji_bench; createdb $S koji_b; pg_restore $S -j $Jobs -d koji_b '$work/dump'; psql $q $S -d koji_b -f '$reset' >/dev/null; rm -rf '$work/dump'"
    $src = "Host=127.0.0.1;Port=$($prod.Port);Database=koji_bench;Username=postgres"
    $dst = "Host=127.0.0.1;Port=$($stg.Port);Database=koji_c;Username=postgres"
    $vfk = if ($ValidateForeignKeys) { '-ValidateForeignKeys' } else { '' }
    $runner = Join-Path $work 'sync.ps1'
    Set-Content $runner @"
Import-Module '$module'
`$r = Sync-KojiStagingDb -Source '$src' -Destination '$dst' -ThrottleLimit $Jobs $vfk -Confirm:`$false
((`$r.PhaseDurations.GetEnumerator() | ForEach-Object { '{0}={1:N1}s' -f `$_.Key, `$_.Value.TotalSeconds }) -join ', ') + ('; Duration={0:N1}s' -f `$r.Duration.TotalSeconds) | Set-Content '$work/phases.txt'
"@
    $pwsh = "cd '$root' && dotnet pwsh -NoProfile -NonInteractive -File '$runner'"
    $ours = Timed "c: Sync-KojiStagingDb -ThrottleLimit $Jobs$(if ($vfk) { ' -ValidateForeignKeys' })" $pwsh
    $results += $ours

    $b = $results[1].Seconds
    $results | ForEach-Object { $_ | Add-Member -NotePropertyName 'vs (b)' -NotePropertyValue ([math]::Round($_.Seconds / $b, 2)) -PassThru } | Format-Table -AutoSize | Out-Host
    Write-Host "Sync phases: $(Get-Content "$work/phases.txt")"
    Write-Host "Row check (build, rpminfo, buildroot_listing) a/b/c:"
    foreach ($db in 'koji_a', 'koji_b', 'koji_c') {
        & psql -X -At $S.Split(' ') -d $db -c "SELECT (SELECT count(*) FROM build) || ' ' || (SELECT count(*) FROM rpminfo) || ' ' || (SELECT count(*) FROM buildroot_listing) || ' sessions=' || (SELECT count(*) FROM sessions)"
    }
    Write-Host "Load average: $(Get-Content /proc/loadavg)"
}
finally {
    $prod, $stg | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    Remove-Item Env:PGPASSFILE, Env:PGUSER, Env:PGHOST -ErrorAction SilentlyContinue
}
