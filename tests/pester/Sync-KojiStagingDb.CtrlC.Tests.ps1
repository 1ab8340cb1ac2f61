# Ctrl+C in a real terminal: Sync-KojiStagingDb runs in a pty (tmux) as an operator types it, Ctrl+C is typed in each
# phase (during a long server statement where the phase has one), and pwsh must exit within 10 s, having dropped the
# half-built database and left live staging as it was. Needs tmux (tools/install-prerequisites.sh installs it).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE kojistaging_sync LOGIN CREATEDB PASSWORD 'sync-pw'; GRANT pg_signal_backend TO kojistaging_sync" | Out-Null
    # A source whose data phase lasts: the fixture plus a million rows.
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql 'CREATE DATABASE koji_bulk TEMPLATE koji_prod' | Out-Null
    Invoke-KojiTestPsql -Pg $pg -Database koji_bulk -Sql "CREATE TABLE bulk AS SELECT i AS id, md5(i::text) AS payload FROM generate_series(1, 1000000) i" | Out-Null
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-ctrlc-$PID"
    New-Item -ItemType Directory -Force $dir | Out-Null
    Set-Content "$dir/slow.sql" 'SELECT pg_sleep(300);'
    $script:n = 0
    $script:latencies = [ordered]@{}
}
AfterAll {
    $latencies.GetEnumerator() | ForEach-Object { Write-Host ("Ctrl+C latency {0,-28} {1,6:F2} s" -f $_.Key, $_.Value) }
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Ctrl+C in a terminal stops Sync-KojiStagingDb' {
    It 'in <Phase> within 10 s, drops the new database and leaves live as it was' -ForEach @(
        @{ Phase = 'Swap'; HoldLive = $true; Statement = 'ALTER DATABASE % RENAME TO %' }
        @{ Phase = 'Schema'; Pause = 'phase:Schema' }
        @{ Phase = 'Data and indexes'; Source = 'koji_bulk'; Statement = 'COPY %bulk%FROM STDIN%' }
        @{ Phase = 'Data (progress silent)'; Source = 'koji_bulk'; Statement = 'COPY %bulk%FROM STDIN%'; Silent = '1' }
        @{ Phase = 'Foreign keys'; Pause = 'phase:Foreign keys' }
        @{ Phase = 'Sanitise'; Post = 'slow.sql'; Statement = 'SELECT pg_sleep(300)%' }
    ) {
        $script:n++
        $live = "koji_ctrlc_$n"
        $trial = Join-Path $dir $n
        New-Item -ItemType Directory -Force $trial | Out-Null
        $src = Get-KojiTestConnectionString -Pg $pg -Database ($Source ?? 'koji_prod')
        $dst = Get-KojiTestConnectionString -Pg $pg -Database $live -User kojistaging_sync -Password sync-pw
        Sync-KojiStagingDb -Source (Get-KojiTestConnectionString -Pg $pg -Database koji_prod) -Destination $dst -Confirm:$false | Out-Null
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql "INSERT INTO package (id, name) VALUES (901, 'old-live')" | Out-Null
        $hold = $null
        if ($HoldLive) {
            # A superuser's session on live that the staging role may not end: the rename waits on the server.
            $psi = [Diagnostics.ProcessStartInfo]::new('psql')
            foreach ($a in '-X', '-h', $pg.Host, '-p', "$($pg.Port)", '-U', $pg.User, '-d', $live, '-c', 'SELECT pg_sleep(600)') { $psi.ArgumentList.Add($a) }
            $psi.Environment['PGPASSWORD'] = $pg.Password
            $hold = [Diagnostics.Process]::Start($psi)
        }
        $vars = @{ KS_SRC = $src; KS_DST = $dst; KOJISTAGING_TEST_PAUSE_FILE = "$trial/paused" }
        if ($Pause) { $vars.KOJISTAGING_TEST_PAUSE_AT = $Pause }
        if ($Post) { $vars.KS_POST = "$dir/$Post" }
        if ($Silent) { $vars.KS_SILENT = $Silent }
        $session = Start-PtySync -Dir $trial -Environment $vars
        try {
            $ready = if ($Pause) { Wait-FaultPause -PauseFile "$trial/paused" } else { Wait-PgActivity -Pg $pg -Like $Statement }
            $ready | Should -BeTrue -Because "the sync should reach $Phase"
            Start-Sleep -Milliseconds 300
            $sent = Send-PtyCtrlC -Session $session
            $exited = Wait-PtyExit -Dir $trial -TimeoutSeconds 60
            $exited | Should -Not -BeNullOrEmpty -Because 'pwsh should exit after Ctrl+C'
            $latencies[$Phase] = $exited - $sent
            ($exited - $sent) | Should -BeLessThan 10
        } finally {
            Stop-PtySession $session
            if ($hold) { $hold.Kill(); $hold.WaitForExit() }
        }
        Get-Content "$trial/out.txt" -Raw | Should -Not -Match 'SYNC-DONE'
        @(Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE '${live}%'") | Should -Be @($live)
        Invoke-KojiTestPsql -Pg $pg -Database $live -Sql 'SELECT count(*) FROM package WHERE id = 901' | Should -Be '1'
    }
}
