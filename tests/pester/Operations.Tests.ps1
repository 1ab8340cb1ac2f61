# Get-KojiStagingStatus, Invoke-KojiStagingSql, logging to file/journal without secrets, and Ctrl+C.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    Import-Module $module
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_ops
    New-OpsStagingDatabase -Pg $pg -Name koji_ops_gen_20261124231500
    New-OpsStagingDatabase -Pg $pg -Name koji_ops2   # another staging that shares the prefix: not a generation (issue 19)
    $script:prodCs = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    # a role whose password the logs must never show
    $script:secret = 'Pw-' + [guid]::NewGuid().ToString('N')
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE ops_user LOGIN SUPERUSER PASSWORD '$secret'" | Out-Null
    $script:cs = Get-KojiTestConnectionString -Pg $pg -Database koji_ops -User ops_user -Password $secret
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-ops-$PID"
    New-Item -ItemType Directory -Force $dir | Out-Null
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-KojiStagingStatus' {
    It 'reports the drift against production' {
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql "SELECT count(*) FROM build WHERE state = 1 AND completion_time > (SELECT time FROM events WHERE id = 150)" | Set-Variable expected
        $s = Get-KojiStagingStatus -Connection $cs -Source $prodCs -TopDir $dir
        $s.IsStaging | Should -BeTrue
        $s.SyncedEvent | Should -Be 150
        $s.ProdLastEvent | Should -Be 166
        $s.EventsBehind | Should -Be 16
        $s.BuildsCompletedSince | Should -Be ([int] $expected)
        $s.Age | Should -BeGreaterThan ([timespan]::Zero)
        $s.Generations | Should -Be @('koji_ops_gen_20261124231500')
        $s.Volumes[0].Name | Should -Be 'DEFAULT'
        $s.Volumes[0].Builds | Should -Be 24
        $s.Volumes[0].Present | Should -BeTrue
        $s.Staging | Should -Not -Match 'Password'
        ($s | Out-String) | Should -Match 'SyncedEvent\s+: 150'
    }

    It 'binds the staging connection by property name and works without a source' {
        $s = [pscustomobject]@{ Connection = $cs } | Get-KojiStagingStatus
        $s.SyncedEvent | Should -Be 150
        $s.ProdLastEvent | Should -BeNullOrEmpty
    }

    It 'says when a database is not marked as staging' {
        (Get-KojiStagingStatus -Connection $prodCs).IsStaging | Should -BeFalse
    }

    It 'gives a clear error for an unreachable server' {
        { Get-KojiStagingStatus -Connection 'Host=127.0.0.1;Port=1;Database=koji;Timeout=2' -ErrorAction Stop } | Should -Throw -ErrorId 'PgUnreachable*'
    }
}

Describe 'Logging for scheduled runs' {
    It 'writes engine logs to the file and the journal, and never a password (-Verbose -Debug, success and failure)' {
        $log = Join-Path $dir 'secret.log'
        $bad = $cs -replace [regex]::Escape($secret), 'Wrong-Pass-4711'
        $r = Invoke-OpsPwsh -Script @"
Import-Module '$module'
`$KojiStagingLogPath = '$log'; `$KojiStagingLogJournal = `$true; `$KojiStagingLogLevel = 'Debug'
Get-KojiStagingStatus -Connection '$cs' -Source '$cs' -Verbose -Debug *>&1 | Out-String -Width 300
try { Get-KojiStagingStatus -Connection '$bad' -Verbose -Debug -ErrorAction Stop } catch { `$_ | Format-List * -Force | Out-String -Width 300; `$_.Exception | Format-List * -Force | Out-String -Width 300 }
Invoke-KojiStagingSql -Connection '$cs' -Query 'SELECT 1' -Verbose -Debug -Confirm:`$false *>&1 | Format-List * | Out-String -Width 300
"@
        $file = Get-Content $log -Raw
        $file | Should -Match 'INFO .*\[StagingStatusReader\] Reading staging status from Host=127\.0\.0\.1;.*Database=koji_ops;Username=ops_user'
        $file | Should -Match 'ERROR .*PgAuthenticationFailed'
        $r.Error | Should -Match '<6>\[StagingStatusReader\] Reading staging status'
        $r.Output | Should -Match 'VERBOSE: \[StagingStatusReader\]'
        $r.Output | Should -Match 'PgAuthenticationFailed'
        foreach ($text in $file, $r.Output, $r.Error) {
            $text | Should -Not -Match $secret
            $text | Should -Not -Match 'Wrong-Pass-4711'
        }
    }

    It 'redacts secrets that reach a message anyway' {
        $p = [KojiStaging.Engine.Diagnostics.FileLoggerProvider]::new((Join-Path $dir 'redact.log'), 'Information')
        $p.Write('Warning', 'Test', "server said: Password=$secret; token: abc123 postgresql://u:$secret@h/db")
        $text = Get-Content (Join-Path $dir 'redact.log') -Raw
        $text | Should -Match 'WARN .*\[Test\] server said: Password=\*\*\*'
        $text | Should -Not -Match $secret
        $text | Should -Not -Match 'abc123'
    }
}

Describe 'Invoke-KojiStagingSql' {
    It 'runs all scripts in one transaction: a failing one rolls back the others' {
        Set-Content "$dir/a.sql" 'UPDATE build SET state = 4 WHERE id = 2;'
        Set-Content "$dir/b.sql" 'SELECT 1/0;'
        { Invoke-KojiStagingSql -Connection $cs -Path "$dir/a.sql", "$dir/b.sql" -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'StagingSqlFailed*'
        Invoke-KojiTestPsql -Pg $pg -Database koji_ops -Sql 'SELECT state FROM build WHERE id = 2' | Should -Be '1'
        $r = Invoke-KojiStagingSql -Connection $cs -Path "$dir/a.sql" -Confirm:$false
        $r.RowsAffected | Should -Be 1
        Invoke-KojiTestPsql -Pg $pg -Database koji_ops -Sql 'SELECT state FROM build WHERE id = 2' | Should -Be '4'
        Invoke-KojiTestPsql -Pg $pg -Database koji_ops -Sql "SELECT details->>'scripts' FROM kojistaging_marker WHERE kind = 'sql' ORDER BY id DESC LIMIT 1" | Should -Be '["a.sql"]'
    }

    It 'refuses production (no marker) unless -Force, and -WhatIf runs nothing' {
        { Invoke-KojiStagingSql -Connection $prodCs -Query 'DELETE FROM build' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotStaging*'
        Invoke-KojiStagingSql -Connection $cs -Query 'DELETE FROM build_notifications_block' -WhatIf
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql 'SELECT count(*) FROM build' | Should -Be '24'
    }
}

Describe 'Cancellation (Ctrl+C)' {
    BeforeAll {
        function script:Wait-Sleeper([int] $Seconds = 60) {
            $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
            while ([DateTime]::UtcNow -lt $deadline) {
                if ((Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'") -ne '0') { return $true }
                Start-Sleep -Milliseconds 200
            }
            $false
        }
        function script:Get-Sleepers { Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'" }
        function script:Stop-AndTime($ps, $handle) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            try { $ps.EndInvoke($handle) } catch { }
            $watch.Elapsed
        }
    }

    It 'stops Invoke-KojiStagingSql promptly, cancels the statement on the server and rolls back' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$module'; Invoke-KojiStagingSql -Connection '$cs' -Query 'UPDATE build SET state = 3 WHERE id = 3', 'SELECT pg_sleep(120)' -Confirm:`$false")
        $handle = $ps.BeginInvoke()
        Wait-Sleeper | Should -BeTrue
        $elapsed = Stop-AndTime $ps $handle
        $elapsed.TotalSeconds | Should -BeLessThan 5
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        Start-Sleep -Milliseconds 500
        Get-Sleepers | Should -Be '0'
        Invoke-KojiTestPsql -Pg $pg -Database koji_ops -Sql 'SELECT state FROM build WHERE id = 3' | Should -Be '1'
        $ps.Dispose()
    }

    It 'stops Invoke-KojiStagingResync promptly, logs it and releases the lock' {
        $cfg = Join-Path $dir 'cancel.psd1'
        "@{ Name = 'cancel'; LockPath = '$dir/cancel.lock'; LogPath = '$dir/cancel.log'; Steps = @( @{ Strategy = 'Sql'; Connection = '$cs'; Query = 'SELECT pg_sleep(120)' }, @{ Strategy = 'Status'; Connection = '$cs' } ) }" | Set-Content $cfg
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false")
        $handle = $ps.BeginInvoke()
        Wait-Sleeper | Should -BeTrue
        $elapsed = Stop-AndTime $ps $handle
        $elapsed.TotalSeconds | Should -BeLessThan 5
        Start-Sleep -Milliseconds 500
        Get-Sleepers | Should -Be '0'
        Get-Content "$dir/cancel.log" -Raw | Should -Match "Resync 'cancel' stopped by the user"
        Get-Content "$dir/cancel.log" -Raw | Should -Not -Match 'Step 2/2 started'
        & flock -n "$dir/cancel.lock" true
        $LASTEXITCODE | Should -Be 0 -Because 'the lock is free again'
        $ps.Dispose()
    }
}

Describe 'Tab completion' {
    It 'completes tag names from the database named on the command line' {
        $line = "Compare-KojiStagingStrategy -Source '$prodCs' -Tag f41-up"
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Be @('f41-updates', 'f41-updates-candidate', 'f41-updates-testing')
    }

    It 'completes volume names and completes nothing (quickly) for an unreachable database' {
        $c = [KojiStaging.Completers.VolumeNameCompleter]::new()
        ($c.CompleteArgument('Set-KojiSecondaryVolume', 'Name', 'DEF', $null, @{ Connection = $cs })).CompletionText | Should -Be 'DEFAULT'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $c.CompleteArgument('Set-KojiSecondaryVolume', 'Name', '', $null, @{ Connection = 'Host=127.0.0.1;Port=1;Database=x' }) | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'completes resync configuration files' {
        New-Item -ItemType Directory -Force "$dir/cfgs" | Out-Null
        Set-Content "$dir/cfgs/weekly.psd1" '@{}'; Set-Content "$dir/cfgs/notes.txt" 'x'
        $line = "Invoke-KojiStagingResync -Path $dir/cfgs/"
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Be @("$dir/cfgs/weekly.psd1")
    }
}

Describe 'Compare-KojiStagingStrategy' {
    It 'estimates every strategy from prod''s numbers and the tree sample, with measured rates and hardlinks' {
        $tree = Join-Path $dir 'tree'
        New-Item -ItemType Directory -Force $tree | Out-Null
        tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $tree
        # A second name for one RPM of a COMPLETE build (hello-2.12.2-1.fc42): one inode, two names, bytes once.
        $rpm = "$tree/koji/packages/hello/2.12.2/1.fc42/src/hello-2.12.2-1.fc42.src.rpm"
        New-Item -ItemType HardLink -Path "$rpm.dedup" -Target $rpm | Out-Null
        $rows = Compare-KojiStagingStrategy -Source $prodCs -TopDir "$tree/koji" -Tag f41 -IncludeFigures
        $fig = $rows | Where-Object { $_ -is [KojiStaging.Engine.Operations.ProductionFigures] }
        $est = $rows | Where-Object { $_ -is [KojiStaging.Engine.Operations.StrategyEstimate] }
        $est.Strategy | Should -Be @('SecondaryVolume', 'Snapshot', 'Subset', 'FullCopy')
        $fig.Builds | Should -Be 24
        $fig.SampledBuilds | Should -BeGreaterThan 0
        $fig.TreeFactor | Should -BeGreaterThan 0
        $fig.DbBytesPerSecond | Should -BeGreaterThan 0
        $fig.TreeBytesPerSecond | Should -BeGreaterThan 0
        $byName = @{}; $est | ForEach-Object { $byName[$_.Strategy] = $_ }
        $byName.SecondaryVolume.StorageBytes | Should -Be $fig.DatabaseBytes
        $byName.FullCopy.StorageBytes | Should -BeGreaterThan $fig.DatabaseBytes
        $byName.Subset.StorageBytes | Should -BeGreaterThan 0
        $byName.Subset.StorageBytes | Should -BeLessThan $byName.FullCopy.StorageBytes
        $byName.FullCopy.RefreshTime | Should -BeGreaterThan $byName.SecondaryVolume.RefreshTime
        $byName.SecondaryVolume.Hardlinks | Should -Match '^no'
        $fig.SampledLinkedNames | Should -Be 2
        $fig.SampledLinkedInodes | Should -Be 1
        $fig.SampledLinkSavedBytes | Should -Be (Get-Item $rpm).Length
        $fig.SampledNameBytes - $fig.SampledBytes | Should -Be (Get-Item $rpm).Length
        $byName.FullCopy.Hardlinks | Should -Match '^yes \(hardlinks preserved\); 2 of \d+ names in the sample share 1 inodes: each inode copied and counted once$'
        $byName.Subset.Hardlinks | Should -Match 'may not survive'
        $table = $est | Format-Table | Out-String -Width 200
        $table | Should -Match 'SecondaryVolume .* no .* full'
    }

    It 'leaves what it cannot know as unknown without -TopDir and -Tag' {
        $est = Compare-KojiStagingStrategy -Source $prodCs
        ($est | Where-Object Strategy -eq 'Subset').StorageBytes | Should -BeNullOrEmpty
        ($est | Where-Object Strategy -eq 'FullCopy').RefreshTime | Should -BeNullOrEmpty
    }
}
