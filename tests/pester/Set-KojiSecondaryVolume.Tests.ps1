# Set-KojiSecondaryVolume as an operator runs it: real pwsh, real PostgreSQL, a real read-only bind mount.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-pester-vol-$PID")).FullName
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $work
    $script:prodTree = Join-Path $work 'koji'
    $script:ro = Join-Path $work 'prod-ro'
    New-Item -ItemType Directory $ro | Out-Null
    & mount --bind $prodTree $ro
    & mount -o remount,bind,ro $ro
    $script:n = 0

    function New-StagingDb {
        $name = "stg_${PID}_$((++$script:n))"
        Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE DATABASE $name TEMPLATE koji_fixture_template" | Out-Null
        Invoke-KojiTestPsql -Pg $pg -Database $name -Sql @"
CREATE TABLE kojistaging_marker (id bigserial PRIMARY KEY, kind text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    module_version text NOT NULL, source text, event_id integer, details jsonb NOT NULL DEFAULT '{}');
INSERT INTO kojistaging_marker (kind, module_version, event_id) VALUES ('sync', 'test', 166);
"@ | Out-Null
        [pscustomobject]@{ Name = $name; Connection = Get-KojiTestConnectionString -Pg $pg -Database $name }
    }
    function New-TopDir { (New-Item -ItemType Directory (Join-Path $work "top$((++$script:n))/koji") -Force).FullName }
    function Get-ProdBuildCount([string] $db) {
        Invoke-KojiTestPsql -Pg $pg -Database $db -Sql "SELECT count(*) FROM build b JOIN volume v ON v.id = b.volume_id WHERE v.name = 'prod'"
    }
}
AfterAll {
    & umount $ro
    $pg | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe 'Set-KojiSecondaryVolume' {
    It 'binds Connection and SyncedEvent by property name and writes a typed, formatted result' {
        $db = New-StagingDb
        $top = New-TopDir
        $r = [pscustomobject]@{ Connection = $db.Connection; SyncedEvent = 166; Server = 'x'; Database = $db.Name } |
            Set-KojiSecondaryVolume -TopDir $top -Path $ro -CompatLinks -Confirm:$false
        $r.GetType().FullName | Should -Be 'KojiStaging.Engine.Operations.SecondaryVolumeResult'
        $r.BuildsRepointed | Should -Be 23
        $r.ReadOnlyMount | Should -BeTrue
        $r.BuildsSkippedByState['DELETED'] | Should -Be 1
        Get-ProdBuildCount $db.Name | Should -Be '23'
        (Get-Item (Join-Path $top 'packages/tzdata/2025a/1.fc42')).LinkTarget | Should -Be '../../../vol/prod/packages/tzdata/2025a/1.fc42'
        ($r | Out-String) | Should -Match 'BuildsMissingOnVolume\s*:\s*0 of 23 sampled'
        ($r | Out-String) | Should -Not -Match 'Password'
    }

    It 'changes nothing with -WhatIf, and a second run reports AlreadyDone' {
        $db = New-StagingDb
        $top = New-TopDir
        Set-KojiSecondaryVolume -Connection $db.Connection -TopDir $top -Path $ro -WhatIf | Should -BeNullOrEmpty
        Get-ProdBuildCount $db.Name | Should -Be '0'
        Invoke-KojiTestPsql -Pg $pg -Database $db.Name -Sql "SELECT count(*) FROM volume" | Should -Be '1'
        Test-Path (Join-Path $top 'vol/prod') | Should -BeFalse

        (Set-KojiSecondaryVolume -Connection $db.Connection -TopDir $top -Path $ro -Confirm:$false).AlreadyDone | Should -BeFalse
        $again = Set-KojiSecondaryVolume -Connection $db.Connection -TopDir $top -Path $ro -Confirm:$false -Verbose 4>&1
        ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'Nothing to change'
        ($again | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).AlreadyDone | Should -BeTrue
    }

    It 'refuses a writable mount with a clear error record and no change' {
        $db = New-StagingDb
        $top = New-TopDir
        $err = $null
        try { Set-KojiSecondaryVolume -Connection $db.Connection -TopDir $top -Path $prodTree -Confirm:$false } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'VolumeMountWritable,*'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.ErrorDetails.RecommendedAction | Should -Match 'remount,bind,ro'
        Get-ProdBuildCount $db.Name | Should -Be '0'
    }

    It 'refuses a wrong volume name before touching anything' {
        $db = New-StagingDb
        { Set-KojiSecondaryVolume -Connection $db.Connection -TopDir (New-TopDir) -Path $ro -Name 'DEFAULT' -Confirm:$false } |
            Should -Throw -ErrorId 'VolumeNameInvalid,KojiStaging.Cmdlets.SetKojiSecondaryVolumeCommand'
    }

    It 'hands Connection and TopDir on to Test-KojiStaging' {
        $db = New-StagingDb
        Invoke-KojiTestPsql -Pg $pg -Database $db.Name -Sql "DELETE FROM sessions; UPDATE users SET password = NULL; SELECT setval('task_id_seq', 990000000); SELECT setval('repo_id_seq', 990000000)" | Out-Null
        $checks = Set-KojiSecondaryVolume -Connection $db.Connection -TopDir (New-TopDir) -Path $ro -Confirm:$false | Test-KojiStaging
        ($checks | Where-Object Name -eq 'Volumes').Status | Should -Be 'Pass'
        $checks.Status | Should -Not -Contain 'Fail'
    }
}
