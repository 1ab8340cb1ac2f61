# Invoke-KojiStagingResync: a whole refresh from one .psd1, as scheduled runs use it
# (fresh pwsh, '...; exit $LASTEXITCODE'), with a lock, a log, validation and -WhatIf.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_rs
    New-OpsStagingDatabase -Pg $pg -Name koji_rs_unmarked -NoMarker
    $script:cs = Get-KojiTestConnectionString -Pg $pg -Database koji_rs
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-resync-$PID"
    New-Item -ItemType Directory -Force $dir | Out-Null

    function script:New-Config([string] $Name, [string] $Steps, [string] $Extra = '') {
        $path = Join-Path $dir "$Name.psd1"
        "@{`n Name = '$Name'`n LockPath = '$dir/$Name.lock'`n LogPath = '$dir/$Name.log'`n $Extra`n Steps = @(`n$Steps`n )`n}" | Set-Content $path
        $path
    }
    # Exactly what the systemd unit runs.
    function script:Invoke-Scheduled([string] $Path) {
        Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$Path' -Confirm:`$false; exit `$LASTEXITCODE"
    }
    function script:Get-SqlMarkers([string] $Db = 'koji_rs') { [int] (Invoke-KojiTestPsql -Pg $pg -Database $Db -Sql "SELECT count(*) FROM kojistaging_marker WHERE kind = 'sql'") }
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-KojiStagingResync' {
    It 'runs the steps in order, logs them and exits 0' {
        $cfg = New-Config ok @"
  @{ Strategy = 'Sql'; Id = 'fix'; Connection = '$cs'; Query = 'UPDATE build SET source = source WHERE id < 5' }
  @{ Strategy = 'Status'; Connection = '$cs'; Source = '$cs' }
"@
        $before = Get-SqlMarkers
        $r = Invoke-Scheduled $cfg
        $r.ExitCode | Should -Be 0 -Because $r.Error
        Get-SqlMarkers | Should -Be ($before + 1)
        $log = Get-Content (Join-Path $dir 'ok.log') -Raw
        $log | Should -Match "Resync 'ok' started"
        $log | Should -Match 'Step 1/2 succeeded'
        $log | Should -Match '\[StagingSqlRunner\] Ran 1 script'
        $log | Should -Match "Resync 'ok' succeeded .* \(exit code 0\)"
        $log | Should -Not -Match ([regex]::Escape($pg.Password))
    }

    It 'returns one typed result with each step''s output' {
        Import-Module $module -Force
        $cfg = New-Config typed "  @{ Strategy = 'Status'; Connection = '$cs' }"
        $r = Invoke-KojiStagingResync -Path $cfg -Confirm:$false
        $r | Should -BeOfType ([KojiStaging.Engine.Operations.ResyncResult])
        $r.Status | Should -Be 'Succeeded'
        $r.Steps[0].Output[0].SyncedEvent | Should -Be 150
        $LASTEXITCODE | Should -Be 0
    }

    It 'stops at a failing step, exits 1 and leaves the database unchanged' {
        $cfg = New-Config fail @"
  @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'UPDATE build SET state = 4 WHERE id = 1; SELECT no_such_column FROM build' }
  @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'UPDATE build SET state = 3' }
"@
        $r = Invoke-Scheduled $cfg
        $r.ExitCode | Should -Be 1
        $r.Error + $r.Output | Should -Match 'StagingSqlFailed'
        Invoke-KojiTestPsql -Pg $pg -Database koji_rs -Sql 'SELECT state FROM build WHERE id = 1' | Should -Be '1'
        Invoke-KojiTestPsql -Pg $pg -Database koji_rs -Sql 'SELECT count(*) FROM build WHERE state = 3' | Should -Not -Be '24'
        Get-Content (Join-Path $dir 'fail.log') -Raw | Should -Match 'Step 1/2 failed'
    }

    It 'refuses an unmarked staging database through the step''s own safety check' {
        $cfg = New-Config unmarked "  @{ Strategy = 'Sql'; Connection = '$(Get-KojiTestConnectionString -Pg $pg -Database koji_rs_unmarked)'; Query = 'DELETE FROM build' }"
        (Invoke-Scheduled $cfg).ExitCode | Should -Be 1
        Invoke-KojiTestPsql -Pg $pg -Database koji_rs_unmarked -Sql 'SELECT count(*) FROM build' | Should -Be '24'
    }

    It 'prints the plan with -WhatIf, secrets redacted, and runs nothing' {
        $cfg = New-Config plan "  @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'UPDATE build SET state = 3' }"
        $before = Get-SqlMarkers
        $r = Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -WhatIf; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match "What if: .*Step 1/1 \(Sql\): Invoke-KojiStagingSql .*-Connection 'Host=127\.0\.0\.1;.*Password=\*\*\*"
        $r.Output | Should -Not -Match ([regex]::Escape($pg.Password))
        Get-SqlMarkers | Should -Be $before
        Test-Path (Join-Path $dir 'plan.lock') | Should -BeFalse
        Test-Path (Join-Path $dir 'plan.log') | Should -BeFalse
    }

    It 'rejects an invalid configuration with <Id> and exit code 3' -ForEach @(
        @{ Id = 'ResyncUnknownStrategy'; Steps = "  @{ Strategy = 'Teleport'; Connection = 'Host=x' }" }
        @{ Id = 'ResyncConfigMissingStrategy'; Steps = "  @{ Connection = 'Host=x' }" }
        @{ Id = 'ResyncMissingParameter'; Steps = "  @{ Strategy = 'Sql'; Connection = 'Host=x' }" }
        @{ Id = 'ResyncUnknownParameter'; Steps = "  @{ Strategy = 'Status'; Connection = 'Host=x'; Colour = 'blue' }" }
        @{ Id = 'ResyncConfigInvalidInput'; Steps = "  @{ Strategy = 'Status'; Connection = 'Host=x'; Input = 'nope' }" }
        @{ Id = 'ResyncConfigUnknownKey'; Steps = "  @{ Strategy = 'Status'; Connection = 'Host=x' }"; Extra = "Shedule = 'weekly'" }
    ) {
        Import-Module $module
        $cfg = New-Config "bad$Id" $Steps $(if ($Extra) { $Extra } else { '' })
        { Invoke-KojiStagingResync -Path $cfg -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId "$Id*"
        $LASTEXITCODE | Should -Be 3
    }

    It 'rejects a missing file and a file that is not PowerShell data' {
        $r = Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$dir/none.psd1' -Confirm:`$false; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be 3
        $r.Error | Should -Match 'does not exist'
        Set-Content "$dir/code.psd1" '@{ Steps = @( (Get-Date) ) }'
        $r = Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$dir/code.psd1' -Confirm:`$false; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be 3
        $r.Error | Should -Match 'not a valid PowerShell data file'
    }

    It 'exits 2 and does nothing while another process holds the lock (flock)' {
        $cfg = New-Config locked "  @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'SELECT 1' }"
        $before = Get-SqlMarkers
        $holder = Start-Process flock -ArgumentList @('-o', "$dir/locked.lock", 'sleep', '30') -PassThru
        try {
            Start-Sleep -Milliseconds 500
            $r = Invoke-Scheduled $cfg
            $r.ExitCode | Should -Be 2
            $r.Error | Should -Match 'Another resync holds the lock'
            Get-SqlMarkers | Should -Be $before
        } finally { $holder | Stop-Process -Force }
    }

    It 'never overlaps two concurrent runs of one configuration' {
        $cfg = New-Config concurrent "  @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'SELECT pg_sleep(4)' }"
        $helpers = Join-Path $PSScriptRoot 'OpsHelpers.psm1'
        $jobs = 1..2 | ForEach-Object { Start-ThreadJob -ScriptBlock { param($h, $m, $c) Import-Module $h; Invoke-OpsPwsh -Script "Import-Module '$m'; Invoke-KojiStagingResync -Path '$c' -Confirm:`$false; exit `$LASTEXITCODE" } -ArgumentList $helpers, $module, $cfg }
        $codes = $jobs | Wait-Job | Receive-Job | ForEach-Object ExitCode
        ($codes | Sort-Object) -join ',' | Should -Be '0,2'
        # the lock is released at the end: a third run gets it
        (Invoke-Scheduled $cfg).ExitCode | Should -Be 0
    }
}
