# Issue 21, holes 1 and 2 through the cmdlets: production is never a target however it is spelled, and nothing writes
# a database without the staging marker — there is no -Force for it; Set-KojiStagingMarker marks one explicitly.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath)
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_unmarked -NoMarker
    $script:prod = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    $script:unmarked = Get-KojiTestConnectionString -Pg $pg -Database koji_unmarked
    function script:Count([string] $Db, [string] $Sql) { Invoke-KojiTestPsql -Pg $pg -Database $Db -Sql $Sql }
}
AfterAll { $pg | Stop-KojiTestService }

Describe 'No writes where the marker is missing' {
    It 'Invoke-KojiStagingSql refuses an unmarked database and has no -Force' {
        { Invoke-KojiStagingSql -Connection $unmarked -Query 'DELETE FROM build' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotStaging*'
        { Invoke-KojiStagingSql -Connection $unmarked -Query 'DELETE FROM build' -Force -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'NamedParameterNotFound*'
        (Get-Command Set-KojiSecondaryVolume).Parameters.ContainsKey('Force') | Should -BeFalse
        (Get-Command Copy-KojiSubset).Parameters.ContainsKey('Force') | Should -BeFalse
        (Get-Command Sync-KojiStagingDb).Parameters.ContainsKey('Force') | Should -BeTrue
        Count koji_unmarked 'SELECT count(*) FROM build' | Should -Be '24'
    }

    It 'Set-KojiStagingMarker marks a database only when asked, then the pipeline may write it' {
        Set-KojiStagingMarker -Connection $unmarked -WhatIf
        Count koji_unmarked "SELECT to_regclass('kojistaging_marker') IS NULL" | Should -Be 't'
        $r = Set-KojiStagingMarker -Connection $unmarked -Note 'restored by hand' -Confirm:$false |
            Invoke-KojiStagingSql -Query 'DELETE FROM build_notifications_block' -Confirm:$false
        $r.Database | Should -Be 'koji_unmarked'
        Count koji_unmarked "SELECT kind || ':' || (details->>'note') FROM kojistaging_marker ORDER BY id LIMIT 1" | Should -Be 'marked:restored by hand'
        (Set-KojiStagingMarker -Connection $unmarked -Confirm:$false).AlreadyMarked | Should -BeTrue
    }
}

Describe 'Identity, not spelling' {
    It 'Sync-KojiStagingDb -Force refuses prod reached over the Unix socket, and changes nothing' {
        $before = Count koji_prod 'SELECT (SELECT count(*) FROM users WHERE password IS NOT NULL) || ''/'' || (SELECT count(*) FROM sessions)'
        $socket = "Host=$($pg.Root);Port=$($pg.Port);Database=koji_prod;Username=$($pg.User)"
        foreach ($destination in $socket, ($prod -replace '127\.0\.0\.1', 'localhost'), "postgresql://$($pg.User):$($pg.Password)@localhost:$($pg.Port)/koji_prod") {
            { Sync-KojiStagingDb -Source $prod -Destination $destination -Force -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'SourceIsDestination*'
        }
        Count koji_prod 'SELECT (SELECT count(*) FROM users WHERE password IS NOT NULL) || ''/'' || (SELECT count(*) FROM sessions)' | Should -Be $before
        Count postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'koji_prod\_%'" | Should -Be '0'
    }
}
