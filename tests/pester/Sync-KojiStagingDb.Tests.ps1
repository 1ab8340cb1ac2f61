# Sync-KojiStagingDb as an operator uses it: real pwsh, the built module, a real PostgreSQL cluster
# holding the production fixture (koji_prod) and staging databases next to it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:src = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    # Staging is written as the documented least-privilege role, not a superuser (docs/cmdlets/Sync-KojiStagingDb.md).
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE kojistaging_sync LOGIN CREATEDB PASSWORD 'Sync-Role-Pw'; GRANT pg_signal_backend TO kojistaging_sync" | Out-Null
    function script:Get-StagingCs([string] $Database) { Get-KojiTestConnectionString -Pg $pg -Database $Database -User kojistaging_sync -Password 'Sync-Role-Pw' }
    function script:Get-Databases([string] $Prefix) {
        @(Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT datname FROM pg_database WHERE datname LIKE '$Prefix%' ORDER BY 1")
    }
}
AfterAll { $pg | Stop-KojiTestService }

Describe 'Sync-KojiStagingDb' {
    It 'refreshes staging, writes a typed object and never shows a password' {
        $dst = Get-StagingCs koji_stg
        $all = Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false -Verbose 4>&1
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $r = @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $r.Count | Should -Be 1
        $r = $r[0]
        $r.GetType().FullName | Should -Be 'KojiStaging.Engine.Database.Sync.DbSyncResult'
        $r.SyncedEvent | Should -Be 166
        $r.Database | Should -Be 'koji_stg'
        $r.Server | Should -Be "127.0.0.1:$($pg.Port)"
        $r.Builds | Should -Be 24
        $r.Connection.Database | Should -Be 'koji_stg'
        $r.PSObject.Properties.Name | Should -Not -Contain 'Name'
        $r.PSObject.Properties.Name | Should -Not -Contain 'Path'
        $verbose.Count | Should -BeGreaterThan 3
        ($verbose.Message -join "`n") | Should -Match 'Phase Data and indexes'
        $text = ($verbose.Message -join "`n") + ($r | Format-List * | Out-String) + ($r | Out-String) + ($r | Format-Table | Out-String)
        $text | Should -Not -Match ([regex]::Escape($pg.Password))
        $text | Should -Not -Match 'Sync-Role-Pw'
        Invoke-KojiTestPsql -Pg $pg -Database koji_stg -Sql 'SELECT count(*) FROM users WHERE password IS NOT NULL' | Should -Be '0'
        Invoke-KojiTestPsql -Pg $pg -Database koji_stg -Sql "SELECT count(*) FROM kojistaging_marker WHERE kind = 'sync' AND event_id = 166" | Should -Be '1'
    }

    It 'composes in the pipeline: Select-Object SyncedEvent after a second sync rotates a generation' {
        $dst = Get-StagingCs koji_stg
        $e = Sync-KojiStagingDb $src $dst -KeepGenerations 1 -ExcludeTableData buildroot_listing -Confirm:$false | Select-Object SyncedEvent
        $e.SyncedEvent | Should -Be 166
        @(Get-Databases 'koji_stg_gen_').Count | Should -Be 1
    }

    It '-WhatIf prints the plan and creates, renames and drops nothing' {
        $dst = Get-StagingCs koji_stg
        $before = Get-Databases 'koji_stg'
        # What if: lines go to the host, so run it as an operator would: in a fresh pwsh
        $run = Invoke-KojiFreshPwsh -Script "Sync-KojiStagingDb -Source '$src' -Destination '$dst' -WhatIf"
        $run.ExitCode | Should -Be 0
        $out = $run.Output
        $out | Should -Match 'What if:'
        $out | Should -Match 'koji_stg_new_'
        $out | Should -Not -Match ([regex]::Escape($pg.Password))
        Get-Databases 'koji_stg' | Should -Be $before
    }

    It 'refuses an unmarked destination without -Force and replaces it with -Force' {
        Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql 'CREATE DATABASE handmade OWNER kojistaging_sync' | Out-Null
        $dst = Get-StagingCs handmade
        { Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'DestinationNotStaging,KojiStaging.Cmdlets.SyncKojiStagingDbCommand'
        Get-Databases 'handmade' | Should -Be @('handmade')
        $r = Sync-KojiStagingDb -Source $src -Destination $dst -Force -Confirm:$false
        $r.PreviousGeneration | Should -Match '^handmade_gen_\d{14}$'
    }

    It 'gives clear errors: <Case>' -ForEach @(
        @{ Case = 'same database'; Source = 'SAME'; Id = 'SourceIsDestination' }
        @{ Case = 'bad connection string'; Source = 'Host=x;Bogus=1'; Id = 'ConnectionStringInvalid' }
        @{ Case = 'missing database'; Source = 'MISSING'; Id = 'PgDatabaseNotFound' }
        @{ Case = 'bad password'; Source = 'BADPW'; Id = 'PgAuthenticationFailed' }
        @{ Case = 'unreachable server'; Source = 'Host=127.0.0.1;Port=1;Database=koji;Timeout=3'; Id = 'PgUnreachable' }
    ) {
        $s = switch ($Source) {
            'SAME' { $src }
            'MISSING' { Get-KojiTestConnectionString -Pg $pg -Database no_such_db }
            'BADPW' { Get-KojiTestConnectionString -Pg $pg -Database koji_prod -User postgres -Password wrong }
            default { $Source }
        }
        $d = if ($Source -eq 'SAME') { $src -replace 'Host=127.0.0.1', 'Host=localhost' } else { Get-StagingCs koji_err }
        $err = $null
        try { Sync-KojiStagingDb -Source $s -Destination $d -Force -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        ($err | Out-String) | Should -Not -Match ([regex]::Escape($pg.Password))
        Get-Databases 'koji_err' | Should -BeNullOrEmpty
    }

    It 'refuses a live name whose generations PostgreSQL would truncate, before connecting' {
        $long = 'koji_' + ('x' * 40)   # 45 bytes: live_gen_<14 digits> would be 64
        $err = $null
        try { Sync-KojiStagingDb -Source $src -Destination (Get-StagingCs $long) -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'DestinationNameTooLong,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-Databases 'koji_xxx' | Should -BeNullOrEmpty
        Get-Databases $long.Substring(0, 40) | Should -BeNullOrEmpty
    }

    It 'a failing -PostSyncSql file rolls back and leaves live staging as it was' {
        $dst = Get-StagingCs koji_stg
        $file = Join-Path ([IO.Path]::GetTempPath()) "bad-$PID.sql"
        Set-Content $file 'UPDATE no_such_table SET x = 1;'
        $before = Get-Databases 'koji_stg'
        { Sync-KojiStagingDb $src $dst -PostSyncSql $file -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'PostSyncSqlFailed,KojiStaging.Cmdlets.SyncKojiStagingDbCommand'
        Get-Databases 'koji_stg' | Should -Be $before
        Remove-Item $file
    }

    It 'completes sanitise rule and Koji table names' {
        $c = TabExpansion2 -inputScript 'Sync-KojiStagingDb -SkipSanitize Pass' -cursorColumn 36
        $c.CompletionMatches.CompletionText | Should -Contain 'Passwords'
        $c = TabExpansion2 -inputScript 'Sync-KojiStagingDb -ExcludeTableData buildroot_l' -cursorColumn 48
        $c.CompletionMatches.CompletionText | Should -Contain 'buildroot_listing'
    }
}
