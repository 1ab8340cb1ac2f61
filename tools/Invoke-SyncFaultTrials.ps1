<#
.SYNOPSIS
    Randomised fault-injection run for Sync-KojiStagingDb (the long version of tests/pester/Sync-KojiStagingDb.Faults.Tests.ps1).
.DESCRIPTION
    Each trial syncs a live staging database, marks it ("old-live" row), starts a second sync in its own pwsh paused at a
    random named point (KOJISTAGING_TEST_PAUSE_AT), SIGKILLs it there (and with -CrashServerEvery N, crashes the staging
    server too on every Nth trial), then checks that live answers with the old or the new generation's marker, runs the
    next sync and counts what it repaired. Prints, per point: trials, times live was whole (old/new), leftovers found.
    Not a test: run it by hand, e.g. after changing the swap.
.EXAMPLE
    ./build.sh Build; dotnet pwsh -NoProfile -File tools/Invoke-SyncFaultTrials.ps1 -Trials 30 -CrashServerEvery 4
#>
param([int] $Trials = 20, [int] $CrashServerEvery = 0, [int] $Seed = (Get-Random))

$ErrorActionPreference = 'Stop'
$pester = Join-Path $PSScriptRoot '../tests/pester'
Import-Module (Join-Path $pester 'TestHelpers.psm1') -Force
Import-Module (Join-Path $pester 'FaultHelpers.psm1') -Force
Import-Module (Get-KojiTestModulePath) -Force
$points = @('phase:Schema', 'copy:build', 'copy:rpminfo', 'phase:Data and indexes', 'phase:Foreign keys', 'phase:Sanitise', 'phase:Swap',
    'swap:sessions-ended', 'swap:begun', 'swap:renamed-live', 'swap:renamed-new', 'swap:committed', 'rotate:drop')
$rng = [Random]::new($Seed)
$pg = Start-KojiTestService pg --fixture koji_prod
$dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-fault-trials-$PID"
New-Item -ItemType Directory -Force $dir | Out-Null
$stats = @{}
try {
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE kojistaging_sync LOGIN CREATEDB PASSWORD 'sync-pw'; GRANT pg_signal_backend TO kojistaging_sync" | Out-Null
    $src = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    $live = 'koji_trials'
    $dst = Get-KojiTestConnectionString -Pg $pg -Database $live -User kojistaging_sync -Password sync-pw
    Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false | Out-Null
    for ($i = 1; $i -le $Trials; $i++) {
        $point = $points[$rng.Next($points.Count)]
        $crash = $CrashServerEvery -gt 0 -and $i % $CrashServerEvery -eq 0
        $key = $point + ($crash ? ' +server' : '')
        if (-not $stats[$key]) { $stats[$key] = [pscustomobject]@{ Point = $key; Trials = 0; Whole = 0; Old = 0; New = 0; Leftovers = 0; RerunOk = 0 } }
        $s = $stats[$key]
        $s.Trials++
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql "DELETE FROM package WHERE id = 901; INSERT INTO package (id, name) VALUES (901, 'old-live')" | Out-Null
        $trial = Join-Path $dir $i
        New-Item -ItemType Directory -Force $trial | Out-Null
        $vars = @{ KS_SRC = $src; KS_DST = $dst; KS_KEEP = $rng.Next(0, 3); KOJISTAGING_TEST_PAUSE_AT = $point; KOJISTAGING_TEST_PAUSE_FILE = "$trial/paused" }
        $p = Start-FaultSync -Dir $trial -Environment $vars
        # A random moment at the point or, for phases, a little after it.
        $paused = Wait-FaultPause -PauseFile "$trial/paused" -Process $p
        if ($crash) { Stop-FaultPg -Pg $pg }
        $p.Kill(); $p.WaitForExit()
        if (-not $paused) { Write-Warning "trial $i never paused at $point"; continue }
        try {
            $old = Invoke-KojiTestPsql -Pg $pg -Database $live -Sql 'SELECT count(*) FROM package WHERE id = 901'
            $marked = [int] (Invoke-KojiTestPsql -Pg $pg -Database $live -Sql "SELECT count(*) FROM kojistaging_marker WHERE kind = 'sync'")
            if ($marked -gt 0) { $s.Whole++; if ($old -eq '1') { $s.Old++ } else { $s.New++ } }
        } catch { Write-Warning "trial $i ($key): live did not answer: $_" }
        try {
            $r = Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false -KeepGenerations 1 -WarningAction SilentlyContinue
            $s.Leftovers += $r.Repairs.Count
            $s.RerunOk++
        } catch { Write-Warning "trial $i ($key): the next run failed: $_" }
        Write-Host ("trial {0,3} {1,-28} live {2}" -f $i, $key, ($old -eq '1' ? 'old' : 'new'))
    }
} finally {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}
"seed $Seed"
$stats.Values | Sort-Object Point | Format-Table Point, Trials, Whole, Old, New, Leftovers, RerunOk -AutoSize
