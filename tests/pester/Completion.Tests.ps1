# Tab completion where the value set is known, through TabExpansion2 in a fresh pwsh (as an operator presses Tab):
# tags from the hub typed for -Hub, volume names from the database typed for -Connection, SQL files, directories.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:hub = Start-KojiTestService hub --fixture koji_prod
    $script:prod = Start-KojiTestService pg --fixture koji_prod
    $script:prodCs = Get-KojiTestConnectionString -Pg $prod -Database koji_prod
    $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-complete-$PID-$(Get-Random)")).FullName
    function script:Get-Completion([string] $line) {
        # Completers give up after 3 s; a cold pwsh on a loaded CI machine can spend that on loading, so a second Tab is allowed.
        $script = "`$line = '$($line -replace "'", "''")'; `$m = (TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches; " +
            "if (-not `$m) { `$m = (TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches }; `$m.CompletionText -join [char]10"
        $r = Invoke-KojiFreshPwsh -Script $script -TimeoutSeconds 120
        $r.ExitCode | Should -Be 0 -Because $r.Error
        @($r.Output -split '\r?\n' | Where-Object { $_ })
    }
}
AfterAll {
    $hub, $prod | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe 'Tab completion' {
    It 'completes Copy-KojiSubset -Tag from the hub typed for -Hub (listTags, as recorded)' {
        # The recorded listTags answer of the real hub is the truth the completion must match.
        [xml] $answer = Get-Content -Raw (Join-Path (Get-KojiTestFixtureDir) 'xmlrpc/32-listTags.response.xml')
        $names = @($answer.SelectNodes('//struct/member[name="name"]/value/string') | ForEach-Object InnerText)
        [string[]] $expected = @($names | Where-Object { $_ -clike 'f4*' }); [Array]::Sort($expected, [StringComparer]::Ordinal)
        $expected | Should -Not -BeNullOrEmpty
        $got = Get-Completion "Copy-KojiSubset -Hub $($hub.HubUrl) -TopDir /tmp -Tag f4"
        $got | Should -Be $expected
    }

    It 'completes Copy-KojiSubset -Tag from the staging database when no hub is typed' {
        $expected = @(Invoke-KojiTestPsql -Pg $prod -Database koji_prod -Sql "SELECT name FROM tag WHERE name LIKE 'f4%' ORDER BY name")
        Get-Completion "Copy-KojiSubset -Destination '$prodCs' -Tag f4" | Should -Be $expected
    }

    It 'completes Set-KojiSecondaryVolume -Name with the volume names of the database' {
        $expected = @(Invoke-KojiTestPsql -Pg $prod -Database koji_prod -Sql 'SELECT name FROM volume ORDER BY id')
        $expected | Should -Contain 'DEFAULT'
        Get-Completion "Set-KojiSecondaryVolume -Connection '$prodCs' -Name " | Should -Be $expected
    }

    It 'completes -PostSyncSql with SQL files and -TopDir with directories' {
        New-Item -ItemType File (Join-Path $work 'staging-users.sql'), (Join-Path $work 'notes.txt') | Out-Null
        New-Item -ItemType Directory (Join-Path $work 'koji') | Out-Null
        $sql = Get-Completion "Sync-KojiStagingDb -PostSyncSql $work/"
        $sql | Should -Contain "$work/staging-users.sql"
        $sql | Should -Not -Contain "$work/notes.txt"
        $dirs = Get-Completion "Set-KojiSecondaryVolume -TopDir $work/"
        ($dirs -replace '/$', '') | Should -Contain "$work/koji"
        $dirs | Should -Not -Contain "$work/staging-users.sql"
    }
}
