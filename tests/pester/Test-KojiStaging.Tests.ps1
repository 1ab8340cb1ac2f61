# Test-KojiStaging in real pwsh: typed results with a view, -Quiet as a gate, failures where staging is unsafe.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:cs = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    $script:top = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-pester-health-$PID")).FullName
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item -Recurse -Force $top -ErrorAction SilentlyContinue
}

Describe 'Test-KojiStaging' {
    It 'fails a raw production copy: unmarked, with secrets and production sequences' {
        $r = Test-KojiStaging -Connection $cs -TopDir $top
        $r[0].GetType().FullName | Should -Be 'KojiStaging.Engine.Operations.Health.StagingCheckResult'
        $r.Name | Should -Be @('Database', 'SyncedEvent', 'Secrets', 'Volumes', 'BuildFiles', 'ComposeHardlink', 'Sequences')
        foreach ($name in 'Database', 'SyncedEvent', 'Secrets', 'Sequences') { ($r | Where-Object Name -eq $name).Status | Should -Be 'Fail' -Because $name }
        ($r | Where-Object Name -eq 'Secrets').Detail | Should -Match '34 sessions rows'
        Test-KojiStaging -Connection $cs -TopDir $top -Quiet | Should -BeFalse
        ($r | Format-Table | Out-String) | Should -Match 'Status\s+Name\s+Detail'
        ($r | Format-List | Out-String) | Should -Match 'Advice\s+:'
    }

    It 'passes once the copy is marked, sanitised and its sequences raised' {
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql @"
CREATE TABLE kojistaging_marker (id bigserial PRIMARY KEY, kind text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    module_version text NOT NULL, source text, event_id integer, details jsonb NOT NULL DEFAULT '{}');
INSERT INTO kojistaging_marker (kind, module_version, event_id) VALUES ('sync', 'test', 166);
DELETE FROM sessions; UPDATE users SET password = NULL;
SELECT setval('task_id_seq', 990000000); SELECT setval('repo_id_seq', 990000000);
"@ | Out-Null
        $r = Test-KojiStaging -Connection $cs -TopDir $top
        foreach ($name in 'Database', 'SyncedEvent', 'Secrets', 'Sequences') { ($r | Where-Object Name -eq $name).Status | Should -Be 'Pass' -Because $name }
        # no volume registered and no tree under this topdir: files cannot be found
        ($r | Where-Object Name -eq 'BuildFiles').Status | Should -Be 'Fail'
        Test-KojiStaging -Connection $cs -TopDir $top -Quiet | Should -BeFalse
    }

    It 'reports an unreachable database as a failed check, not an exception, and hides the password' {
        $r = Test-KojiStaging -Connection 'Host=127.0.0.1;Port=1;Database=x;Username=u;Password=hunter2;Timeout=2'
        ($r | Where-Object Name -eq 'Database').Status | Should -Be 'Fail'
        ($r | Out-String) | Should -Not -Match 'hunter2'
        Test-KojiStaging -Connection 'Host=127.0.0.1;Port=1;Database=x;Timeout=2' -Quiet | Should -BeFalse
    }
}
