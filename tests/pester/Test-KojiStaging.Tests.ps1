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

    It 'counts sessions and passwords made in staging after the sync as staging''s own, not production''s secrets' {
        # Staging logins after the sync (the marker's recorded time): eight sessions and a password set by a staging admin.
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql @"
INSERT INTO sessions (id, user_id, key, authtype, hostip, callnum, start_time, update_time)
    SELECT 9000 + g, 1, 'stg-key-' || g, 2, '127.0.0.1', 0, clock_timestamp(), clock_timestamp() FROM generate_series(1, 8) g;
UPDATE users SET password = 'staging-admin' WHERE id = 1;
UPDATE kojistaging_marker SET details = '{"rulesApplied": ["Sessions", "Passwords", "ReservationTokens"]}' WHERE kind = 'sync';
UPDATE kojistaging_marker SET recorded_at = clock_timestamp() - interval '1 minute' WHERE kind = 'sync';
"@ | Out-Null
        $secrets = Test-KojiStaging -Connection $cs -TopDir $top | Where-Object Name -eq 'Secrets'
        $secrets.Status | Should -Be 'Pass' -Because $secrets.Detail
        $secrets.Detail | Should -Match "^no production .*\(8 sessions rows.*, 1 users with a stored password made in staging since the sync .*staging's own\)"

        # Without the rules in the sync, only the time tells: a session older than the sync is production's.
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql @"
UPDATE kojistaging_marker SET details = '{}' WHERE kind = 'sync';
INSERT INTO sessions (id, user_id, key, authtype, hostip, callnum, start_time, update_time) VALUES (9100, 1, 'prod-key', 2, '10.0.0.1', 0, now() - interval '1 day', now() - interval '1 day');
"@ | Out-Null
        $secrets = Test-KojiStaging -Connection $cs -TopDir $top | Where-Object Name -eq 'Secrets'
        $secrets.Status | Should -Be 'Fail'
        $secrets.Detail | Should -Match 'production secrets present: 1 sessions rows .*1 users with a stored password.*\(8 sessions rows.*made in staging'
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql 'DELETE FROM sessions; UPDATE users SET password = NULL' | Out-Null
    }

    It 'reports an unreachable database as a failed check, not an exception, and hides the password' {
        $r = Test-KojiStaging -Connection 'Host=127.0.0.1;Port=1;Database=x;Username=u;Password=hunter2;Timeout=2'
        ($r | Where-Object Name -eq 'Database').Status | Should -Be 'Fail'
        ($r | Out-String) | Should -Not -Match 'hunter2'
        Test-KojiStaging -Connection 'Host=127.0.0.1;Port=1;Database=x;Timeout=2' -Quiet | Should -BeFalse
    }
}
