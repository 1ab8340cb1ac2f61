<#
.SYNOPSIS
    Times the follower (Enable-KojiStagingFollower, Sync-KojiStagingDb -FromFollower) against a full
    Sync-KojiStagingDb and against pg_dump -Fd + pg_restore, on the same synthetic Koji data, at several sizes.
.DESCRIPTION
    Starts a production cluster with wal_level = logical and a staging cluster. For each -Builds value it builds a
    production database from the fixture's real Koji schema filled with synthetic rows (koji-synthetic-data.sql,
    ~45k builds per GB of heap, as benchmarks/Measure-DbSync.ps1 does), has the DBA's setup run
    (Get-KojiStagingFollowerSetup), then measures, one after another:
      setup    Enable-KojiStagingFollower: slot, initial copy in its snapshot, subscription
      change   1% of rows touched on production: new builds (with events, tasks and tag listings), tag revokes,
               task state updates; then the time the follower takes to apply them (catch-up)
      (f)      Sync-KojiStagingDb -FromFollower: catch up, pause, clone (FILE_COPY), resume, sanitise, swap
      (s)      a full Sync-KojiStagingDb -ThrottleLimit N of the same production
      (b)      pg_dump -Fd -j N + pg_restore -j N + koji-staging-reset.sql
    and the follower's steady-state lag while production takes a bounded insert load (-LoadSeconds of small
    transactions, loopback only). It prints the figures side by side with ratios to (b).
    Not a test: run it by hand, e.g.  dotnet pwsh -Command "./benchmarks/Measure-Follower.ps1 -Builds 10000, 40000"
#>
param([ValidateRange(1000, 2000000)] [int[]] $Builds = @(10000, 40000), [int] $Jobs = 2, [int] $LoadSeconds = 30, [int] $LoadRate = 200)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $root 'tests/pester/TestHelpers.psm1') -Force
$module = Get-KojiTestModulePath
if (-not (Test-Path $module)) { throw "Build first: ./build.sh Build" }
Import-Module $module -Force

$work = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-follower-bench-$PID")
$prod = Start-KojiTestService pg --fixture koji_prod --logical
$stg = Start-KojiTestService pg
$rolePw = 'Bench-Follower-1'
try {
    $pass = Join-Path $work 'pgpass'
    Set-Content $pass "127.0.0.1:$($prod.Port):*:postgres:$($prod.Password)`n127.0.0.1:$($stg.Port):*:postgres:$($stg.Password)"
    & chmod 600 $pass
    $env:PGPASSFILE = $pass; $env:PGUSER = 'postgres'; $env:PGHOST = '127.0.0.1'
    $P = "-p $($prod.Port)"; $S = "-p $($stg.Port)"
    $q = '-X -q -v ON_ERROR_STOP=1'
    function Sh([string] $cmd) { & bash -c "set -eo pipefail; $cmd"; if ($LASTEXITCODE) { throw "failed ($LASTEXITCODE): $cmd" } }
    function Q([string] $port, [string] $db, [string] $sql) { & psql -X -At -p $port -d $db -c $sql }
    function Invoke-Checkpoint { Sh "psql -X -q $P -d postgres -c CHECKPOINT; psql -X -q $S -d postgres -c CHECKPOINT; sync" }
    function Seconds([scriptblock] $Block) { Invoke-Checkpoint; [math]::Round((Measure-Command $Block).TotalSeconds, 1) }
    function Wait-CaughtUp([string] $db, [string] $slot) {
        $lsn = Q $prod.Port $db 'SELECT pg_current_wal_insert_lsn()'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        while ((Q $prod.Port $db "SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = '$slot'") -ne 't') {
            if ($sw.Elapsed.TotalMinutes -gt 10) { throw "the follower did not catch up within 10 min" }
            Start-Sleep -Milliseconds 100
        }
        [math]::Round($sw.Elapsed.TotalSeconds, 1)
    }
    $reset = "$PSScriptRoot/koji-staging-reset.sql"
    $rows = @()
    foreach ($n in $Builds) {
        $db = "koji_bench_$n"; $live = "koji_$n"; $slot = "kojistaging_koji_$n"
        Write-Host "Generating $db with $n builds on the prod cluster..."
        Sh "createdb $P $db"
        Sh "pg_dump $P --section=pre-data koji_prod | psql $q $P -d $db"
        Sh "pg_dump $P --section=data koji_prod | psql $q $P -d $db >/dev/null"
        Sh "psql $q $P -d $db -v builds=$n -f '$PSScriptRoot/koji-synthetic-data.sql' >/dev/null"
        Sh "pg_dump $P --section=post-data koji_prod | psql $q $P -d $db >/dev/null"
        Sh "psql $q $P -d $db -c 'VACUUM ANALYZE'"
        $size = [long] (Q $prod.Port $db "SELECT pg_database_size('$db')")

        # The DBA's part, as printed (the role exists from the first size on: that statement may fail).
        $admin = "Host=127.0.0.1;Port=$($prod.Port);Database=$db;Username=postgres;Password=$($prod.Password)"
        $dstFollower = "Host=127.0.0.1;Port=$($stg.Port);Database=$live;Username=postgres;Password=$($stg.Password)"
        $setup = Join-Path $work "setup-$n.sql"
        (Get-KojiStagingFollowerSetup -Source $admin -Destination $dstFollower).Sql | Set-Content $setup
        & psql -X -q -p $prod.Port -d $db -f $setup 2>&1 | Out-Null
        Q $prod.Port $db "ALTER ROLE kojistaging_follower PASSWORD '$rolePw'" | Out-Null
        $src = "Host=127.0.0.1;Port=$($prod.Port);Database=$db;Username=kojistaging_follower;Password=$rolePw"

        $setupS = Seconds { Enable-KojiStagingFollower -Source $src -Destination $dstFollower -ThrottleLimit $Jobs -Confirm:$false | Out-Null }
        $null = Wait-CaughtUp $db $slot

        # 1% of the rows, as Koji changes them: new builds with their events, tasks and tag listings; revokes; task updates.
        $k = [math]::Max(1, [int] ($n / 100))
        Sh @"
psql $q $P -d $db <<'SQL'
INSERT INTO events (id) SELECT 5000000 + g FROM generate_series(1, $k) g;
INSERT INTO task (id, state, create_time, method, arch, owner, priority, weight, channel_id)
  SELECT 6000000 + g, 2, now(), 'build', 'noarch', 1, 20, 1.0, 1 FROM generate_series(1, $k * 8) g;
INSERT INTO build (id, volume_id, pkg_id, version, release, create_event, completion_time, state, task_id, owner)
  SELECT 5000000 + g, 0, (SELECT min(id) FROM package), 'new' || g, '1.fc42', 5000000 + g, now(), 1, 6000000 + (g - 1) * 8 + 1, 1 FROM generate_series(1, $k) g;
INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id, active)
  SELECT 5000000 + g, (SELECT min(id) FROM tag), 5000000 + g, 1, true FROM generate_series(1, $k) g;
UPDATE tag_listing SET active = NULL, revoke_event = 5000000 + $k, revoker_id = creator_id
  WHERE ctid IN (SELECT ctid FROM tag_listing WHERE active AND build_id < 5000000 LIMIT $k);
UPDATE task SET state = CASE WHEN state = 2 THEN 5 ELSE 2 END WHERE id IN (SELECT id FROM task WHERE id < 6000000 ORDER BY id LIMIT $k * 8);
SQL
"@
        $catchUp = Wait-CaughtUp $db $slot
        $followerS = Seconds { Sync-KojiStagingDb -Source $src -Destination $dstFollower -FromFollower -Confirm:$false | Out-Null }
        $dstFull = "Host=127.0.0.1;Port=$($stg.Port);Database=kojifull_$n;Username=postgres;Password=$($stg.Password)"
        $fullS = Seconds { Sync-KojiStagingDb -Source $admin -Destination $dstFull -ThrottleLimit $Jobs -Confirm:$false | Out-Null }
        $dumpS = Seconds { Sh "rm -rf '$work/dump'; pg_dump $P -Fd -j $Jobs -f '$work/dump' $db; createdb $S kojidump_$n; pg_restore $S -j $Jobs --no-owner --no-privileges --no-publications --no-subscriptions -d kojidump_$n '$work/dump'; psql $q $S -d kojidump_$n -f '$reset' >/dev/null; rm -rf '$work/dump'" }
        $check = Q $stg.Port $live "SELECT (SELECT count(*) FROM build) || '/' || (SELECT count(*) FROM tag_listing WHERE active IS NULL)"
        $want = Q $prod.Port $db "SELECT (SELECT count(*) FROM build) || '/' || (SELECT count(*) FROM tag_listing WHERE active IS NULL)"

        # Steady state: pgbench at a bounded rate (-LoadRate) for $LoadSeconds (loopback), each transaction a new Koji event and task
        # (get_event(), as the hub makes them); the follower's lag sampled every second.
        $load = Join-Path $work 'load.sql'
        Set-Content $load "BEGIN;`nSELECT get_event();`nINSERT INTO task (id, state, create_time, method, arch, owner, priority, weight, channel_id) VALUES (nextval('task_id_seq'), 1, now(), 'buildArch', 'x86_64', 1, 20, 1.0, 1);`nEND;"
        $bench = Start-Process pgbench -ArgumentList @('-n', '-p', $prod.Port, '-c', '2', '-T', $LoadSeconds, '-R', $LoadRate, '-f', $load, $db) -PassThru -RedirectStandardOutput "$work/pgbench.out" -RedirectStandardError "$work/pgbench.err"
        $samples = @()
        while (-not $bench.HasExited) {
            Start-Sleep -Seconds 1
            $st = Get-KojiStagingFollower -Source $src -Destination $dstFollower -WarningAction SilentlyContinue
            $samples += [pscustomobject]@{ Bytes = $st.LagBytes; Seconds = $st.Lag.TotalSeconds }
        }
        $tps = [regex]::Match((Get-Content -Raw "$work/pgbench.out"), 'tps = ([\d.]+)').Groups[1].Value
        $rows += [pscustomobject]@{
            Builds = $n; 'Size GiB' = [math]::Round($size / 1GB, 2); 'Setup s' = $setupS; 'Catch-up s' = $catchUp
            '(f) s' = $followerS; '(s) s' = $fullS; '(b) s' = $dumpS
            'f/b' = [math]::Round($followerS / $dumpS, 2); 's/b' = [math]::Round($fullS / $dumpS, 2)
            'Load tx/s' = [double] $tps
            'Max lag s' = [math]::Round(($samples.Seconds | Measure-Object -Maximum).Maximum, 2)
            'Max lag KiB' = [math]::Round(($samples.Bytes | Measure-Object -Maximum).Maximum / 1KB, 0)
            Check = "$check (prod $want)"
        }
        $rows[-1] | Format-List | Out-Host
        Disable-KojiStagingFollower -Source $src -Destination $dstFollower -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        foreach ($d in (Q $stg.Port postgres "SELECT datname FROM pg_database WHERE datname LIKE '%\_$n%' OR datname LIKE 'koji\_$n%'")) { Q $stg.Port postgres "DROP DATABASE `"$d`" WITH (FORCE)" | Out-Null }
        Q $prod.Port postgres "DROP DATABASE $db WITH (FORCE)" | Out-Null
    }
    $rows | Format-Table Builds, 'Size GiB', 'Setup s', 'Catch-up s', '(f) s', '(s) s', '(b) s', 'f/b', 's/b' -AutoSize | Out-Host
    $rows | Format-Table Builds, 'Load tx/s', 'Max lag s', 'Max lag KiB', Check -AutoSize | Out-Host
    Write-Host "Load average: $(Get-Content /proc/loadavg)"
}
finally {
    $prod, $stg | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    Remove-Item Env:PGPASSFILE, Env:PGUSER, Env:PGHOST -ErrorAction SilentlyContinue
}
