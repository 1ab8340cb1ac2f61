# Fault injection: Sync-KojiStagingDb in its own pwsh is paused at a named point (KOJISTAGING_TEST_PAUSE_AT) and SIGKILLed
# there - for one point the staging server crashes too. Live staging must then answer with the old or the new
# generation's marker, and the next run must repair what was left and succeed. The sync runs as the least-privilege
# staging role (LOGIN CREATEDB, pg_signal_backend), not a superuser. Five points keep it within the CI budget (the engine
# tests fail inside the swap at every point in-process); every point, randomised: tools/Invoke-SyncFaultTrials.ps1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE kojistaging_sync LOGIN CREATEDB PASSWORD 'sync-pw'; GRANT pg_signal_backend TO kojistaging_sync" | Out-Null
    $script:src = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-faults-$PID"
    New-Item -ItemType Directory -Force $dir | Out-Null
    $script:n = 0
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-KojiStagingDb killed at <Point>' -ForEach @(
    @{ Point = 'phase:Data and indexes'; Expect = 'old'; Leftovers = 1 }
    @{ Point = 'swap:renamed-new'; Expect = 'old'; Leftovers = 1 }
    @{ Point = 'swap:renamed-new'; Expect = 'old'; Leftovers = 1; CrashServer = $true }
    @{ Point = 'swap:committed'; Expect = 'new'; Leftovers = 0 }
    @{ Point = 'rotate:drop'; Expect = 'new'; Leftovers = 0; Keep = 0 }
) {
    It 'leaves live staging whole (<Expect> generation) and the next run repairs and succeeds' {
        $script:n++
        $live = "koji_fault_$n"
        $dst = Get-KojiTestConnectionString -Pg $pg -Database $live -User kojistaging_sync -Password sync-pw
        Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false | Out-Null
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql "INSERT INTO package (id, name) VALUES (901, 'old-live')" | Out-Null
        $trial = Join-Path $dir $n
        New-Item -ItemType Directory -Force $trial | Out-Null
        $vars = @{ KS_SRC = $src; KS_DST = $dst; KOJISTAGING_TEST_PAUSE_AT = $Point; KOJISTAGING_TEST_PAUSE_FILE = "$trial/paused" }
        if ($null -ne $Keep) { $vars.KS_KEEP = $Keep }
        $p = Start-FaultSync -Dir $trial -Environment $vars
        $paused = Wait-FaultPause -PauseFile "$trial/paused" -Process $p
        if (-not $paused) { $p.Kill($true); throw "never paused at $Point`: $($p.OutputTask.Result) $($p.ErrorTask.Result)" }
        if ($CrashServer) { Stop-FaultPg -Pg $pg }
        $p.Kill()    # SIGKILL: no catch, finally or cleanup runs
        $p.WaitForExit()

        # Live answers, with exactly the old or the new generation, marked as staging.
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql "SELECT count(*) FROM kojistaging_marker WHERE kind = 'sync'" | Should -BeGreaterThan 0
        $old = Invoke-KojiTestPsql -Pg $pg -Database $live -Sql 'SELECT count(*) FROM package WHERE id = 901'
        ($old -eq '1' ? 'old' : 'new') | Should -Be $Expect
        Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT bool_and(datallowconn) FROM pg_database WHERE datname LIKE '${live}%'" | Should -Be 't'

        $r = Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false -KeepGenerations 1 -WarningVariable warned
        $r.Repairs.Count | Should -Be $Leftovers
        if ($Leftovers) { ($warned -join "`n") | Should -Match 'Repaired: drop' }
        $dbs = @(Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE '${live}%' ORDER BY 1")
        $dbs.Count | Should -Be 2
        $dbs[0] | Should -Be $live
        $dbs[1] | Should -Match "^${live}_gen_\d{14}$"
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql 'SELECT count(*) FROM package WHERE id = 901' | Should -Be '0'
    }
}
