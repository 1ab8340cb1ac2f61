# The follower (issue 18): production is a cluster with wal_level = logical holding the Koji fixture, staging another
# cluster; the follower subscribes over loopback. Everything through the built module in real pwsh.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:prod = Start-KojiTestService pg --fixture koji_prod --logical
    $script:stg = Start-KojiTestService pg
    $script:role = 'kojistaging_follower'
    $script:src = Get-KojiTestConnectionString -Pg $prod -Database koji_prod -User $role -Password 'Follower-Pw-1'
    $script:dst = Get-KojiTestConnectionString -Pg $stg -Database koji
    function script:P([string] $Sql) { Invoke-KojiTestPsql -Pg $prod -Database koji_prod -Sql $Sql }
    function script:S([string] $Database, [string] $Sql) { Invoke-KojiTestPsql -Pg $stg -Database $Database -Sql $Sql }
    function script:Get-Tables { @(P "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1") }
    function script:Get-Counts([object] $Pg, [string] $Database) {
        $sql = (Get-Tables | ForEach-Object { "SELECT '$_', count(*) FROM public.`"$_`"" }) -join ' UNION ALL '
        $h = @{}
        foreach ($l in Invoke-KojiTestPsql -Pg $Pg -Database $Database -Sql $sql) { $k, $v = $l -split '\|'; $h[$k] = [long] $v }
        $h
    }
    # Writes on production of the kind Koji makes: a new event and build, a build's state change, a tag revoke, rows in
    # tables without a primary key, a password change. $Tag names them so each set can be found once.
    function script:Write-ProdChanges([int] $Tag) {
        P @"
INSERT INTO events (id) VALUES ((SELECT max(id) + 1 FROM events));
INSERT INTO build (id, volume_id, pkg_id, version, release, state, owner, completion_time, create_event)
  SELECT 900000 + $Tag, volume_id, pkg_id, 'follower', 'r$Tag', 1, owner, now(), (SELECT max(id) FROM events) FROM build ORDER BY id LIMIT 1;
UPDATE build SET extra = 'touched-$Tag' WHERE id = (SELECT min(id) FROM build);
UPDATE tag_listing SET active = NULL, revoke_event = (SELECT max(id) FROM events), revoker_id = creator_id
  WHERE (tag_id, build_id) = (SELECT tag_id, build_id FROM tag_listing WHERE active ORDER BY tag_id, build_id LIMIT 1);
INSERT INTO tag_listing (build_id, tag_id, creator_id, create_event) SELECT 900000 + $Tag, tag_id, creator_id, (SELECT max(id) FROM events) FROM tag_listing ORDER BY tag_id LIMIT 1;
INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) SELECT buildroot_id, rpm_id, true FROM buildroot_listing LIMIT 1;
UPDATE users SET password = 'Leaked-Secret-$Tag' WHERE id = (SELECT min(id) FROM users);
INSERT INTO sessions (id, user_id, key) SELECT coalesce(max(id), 0) + 1, (SELECT min(id) FROM users), 'Session-Key-$Tag' FROM sessions;
"@ | Out-Null
    }
    function script:Assert-SameAsProd([string] $Database) {
        # Every table but the ones staging gets no rows of holds exactly production's rows (no change lost or applied twice).
        $p = Get-Counts $prod koji_prod
        $s = Get-Counts $stg $Database
        $empty = 'sessions', 'host_channels', 'proton_queue', 'repo_queue'
        foreach ($t in $p.Keys) {
            if ($empty -contains $t -or $t -like 'scheduler_*') { $s[$t] | Should -Be 0 -Because "$t gets no rows"; continue }
            $s[$t] | Should -Be $p[$t] -Because "$t must match production"
        }
    }
    $script:setupSql = (Get-KojiStagingFollowerSetup -Source (Get-KojiTestConnectionString -Pg $prod -Database koji_prod) -Destination $dst -Role $role).Sql
    # production's DBA runs the printed setup as it is (superuser), then gives the role its password
    $file = Join-Path $prod.Root 'follower-setup.sql'
    Set-Content $file $setupSql
    $env:PGPASSWORD = $prod.Password
    & psql -X -q -v ON_ERROR_STOP=1 -h $prod.Host -p $prod.Port -U $prod.User -d koji_prod -f $file 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'the setup SQL failed' }
    Remove-Item Env:PGPASSWORD
    P "ALTER ROLE $role PASSWORD 'Follower-Pw-1'; SELECT pg_reload_conf()" | Out-Null
}
AfterAll {
    $stg | Stop-KojiTestService
    $prod | Stop-KojiTestService
}

Describe 'Get-KojiStagingFollowerSetup' {
    It 'prints settings, a REPLICATION role and publications without secrets, sessions or superuser' {
        $setupSql | Should -Match "ALTER SYSTEM SET wal_level = 'logical'"
        $setupSql | Should -Match 'max_slot_wal_keep_size'
        $setupSql | Should -Match "CREATE ROLE `"$role`" LOGIN REPLICATION"
        ($setupSql -split "`n" | Where-Object { $_ -like 'CREATE ROLE*' }) | Should -Not -Match 'SUPERUSER'
        $setupSql | Should -Match 'CREATE PUBLICATION "kojistaging_koji" FOR TABLE'
        $setupSql | Should -Match 'REPLICA IDENTITY FULL'
        $setupSql | Should -Not -Match '"sessions"'
        ($setupSql -split "`n" | Where-Object { $_ -match '"public"\."users" \(' }) | Should -Not -Match '"password"'
        P "SELECT attnames::text FROM pg_publication_tables WHERE tablename = 'users'" | Should -Not -Match 'password'
        P "SELECT count(*) FROM pg_publication_tables WHERE tablename IN ('sessions', 'host_channels')" | Should -Be '0'
        P "SELECT rolsuper FROM pg_roles WHERE rolname = '$role'" | Should -Be 'f'
    }

    It 'proposes no replica identity change with -KeepReplicaIdentity, and still leaves secrets out' {
        $s = Get-KojiStagingFollowerSetup -Source (Get-KojiTestConnectionString -Pg $prod -Database koji_prod) -Destination "Host=x;Database=koji2" -KeepReplicaIdentity
        # (the planner's INSERT-only choices themselves are covered by PublicationPlannerTests)
        $s.Sql | Should -Not -Match 'ALTER TABLE'
        $s.LeftOutColumns | Should -Contain 'users.password'
    }
}

Describe 'Enable-KojiStagingFollower and Sync-KojiStagingDb -FromFollower' {
    It 'changes nothing with -WhatIf, and refuses what it cannot do with stable error ids' {
        $run = Invoke-KojiFreshPwsh -Script "Enable-KojiStagingFollower -Source '$src' -Destination '$dst' -WhatIf"
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Output | Should -Match 'What if:.*kojistaging_koji'
        P 'SELECT count(*) FROM pg_replication_slots' | Should -Be '0'
        S postgres "SELECT count(*) FROM pg_database WHERE datname = 'koji_follower'" | Should -Be '0'
        # a follower name whose publication the DBA has not made: the role may not make it, so the SQL is given
        { Enable-KojiStagingFollower -Source $src -Destination $dst -Name other -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'FollowerPublicationMissing,KojiStaging.Cmdlets.EnableKojiStagingFollowerCommand' -ExpectedMessage '*CREATE PUBLICATION "kojistaging_other"*'
        { Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'FollowerMissing,KojiStaging.Cmdlets.SyncKojiStagingDbCommand'
        P 'SELECT count(*) FROM pg_replication_slots' | Should -Be '0'
        # checked before anything is made: -ValidateForeignKeys with -FromFollower,
        # a production without wal_level = logical (the staging cluster stands in), a role without REPLICATION
        { Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -ValidateForeignKeys -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotWithFromFollower,KojiStaging.Cmdlets.SyncKojiStagingDbCommand'
        { Enable-KojiStagingFollower -Source (Get-KojiTestConnectionString -Pg $stg -Database postgres) -Destination $dst -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'FollowerWalLevel,KojiStaging.Cmdlets.EnableKojiStagingFollowerCommand' -ExpectedMessage '*wal_level = replica*'
        P "CREATE ROLE kojistaging_norepl LOGIN PASSWORD 'NoRepl-Pw-1'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO kojistaging_norepl" | Out-Null
        { Enable-KojiStagingFollower -Source (Get-KojiTestConnectionString -Pg $prod -Database koji_prod -User kojistaging_norepl -Password 'NoRepl-Pw-1') -Destination $dst -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'FollowerReplicationDenied,KojiStaging.Cmdlets.EnableKojiStagingFollowerCommand'
        P 'SELECT count(*) FROM pg_replication_slots' | Should -Be '0'
        S postgres "SELECT count(*) FROM pg_database WHERE datname = 'koji_follower'" | Should -Be '0'
        # a koji_follower the module did not make is never replaced, not even with -Force
        S postgres 'CREATE DATABASE koji_follower' | Out-Null
        try {
            { Enable-KojiStagingFollower -Source $src -Destination $dst -Force -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'FollowerDatabaseNotOurs,KojiStaging.Cmdlets.EnableKojiStagingFollowerCommand'
            S postgres "SELECT count(*) FROM pg_database WHERE datname = 'koji_follower'" | Should -Be '1'
        } finally { S postgres 'DROP DATABASE koji_follower' | Out-Null }
    }

    It 'creates the follower while production writes during the initial copy, and a refresh has every change exactly once' {
        $dir = Join-Path $stg.Root 'enable'
        New-Item -ItemType Directory $dir | Out-Null
        $pause = Join-Path $dir 'paused'; $resume = Join-Path $dir 'resume'
        $script = Join-Path $dir 'enable.ps1'
        Set-Content $script "Import-Module '$(Get-KojiTestModulePath)'; try { Enable-KojiStagingFollower -Source `$env:KS_SRC -Destination `$env:KS_DST -Confirm:`$false -ThrottleLimit 2 -ErrorAction Stop | Out-Null; 'ENABLED' } catch { 'ERROR ' + `$_ }"
        $cmd = Get-FaultPwshCommand
        $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
        foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) { $psi.ArgumentList.Add($a) }
        $psi.Environment['KS_SRC'] = $src; $psi.Environment['KS_DST'] = $dst
        $psi.Environment['KOJISTAGING_TEST_PAUSE_AT'] = 'follower:copy:build'
        $psi.Environment['KOJISTAGING_TEST_PAUSE_FILE'] = $pause
        $psi.Environment['KOJISTAGING_TEST_RESUME_FILE'] = $resume
        $psi.RedirectStandardOutput = $true
        $p = [System.Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync()
        Wait-FaultPause -PauseFile $pause -TimeoutSeconds 120 -Process $p | Should -BeTrue
        # the copy has its snapshot and has not read build yet: these commits are after the slot's consistent point
        Write-ProdChanges 1
        Set-Content $resume 'go'
        $p.WaitForExit(180000) | Should -BeTrue
        $out.Result | Should -Match 'ENABLED'
        Write-ProdChanges 2
        $all = Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -Confirm:$false -Verbose 4>&1
        $r = @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })[0]
        $text = (($all | ForEach-Object { "$_" }) -join "`n") + ($r | Format-List * | Out-String) + (Get-KojiStagingFollower -Source $src -Destination $dst -WarningAction SilentlyContinue | Format-List * | Out-String)
        $text | Should -Match 'Phase Clone'
        $text | Should -Not -Match 'Follower-Pw-1'
        $text | Should -Not -Match ([regex]::Escape($prod.Password))
        $r.Database | Should -Be 'koji'
        $r.SyncedEvent | Should -Be ([int] (P 'SELECT max(id) FROM events'))
        Assert-SameAsProd koji
        foreach ($tag in 1, 2) {
            S koji "SELECT count(*) FROM build WHERE id = 90000$tag" | Should -Be '1'
            S koji "SELECT count(*) FROM tag_listing WHERE build_id = 90000$tag" | Should -Be '1'
        }
        S koji "SELECT extra FROM build WHERE id = (SELECT min(id) FROM build)" | Should -Be 'touched-2'
        S koji "SELECT count(*) FROM tag_listing WHERE active IS NULL" | Should -Be (P "SELECT count(*) FROM tag_listing WHERE active IS NULL")
        S koji "SELECT count(*) FROM users WHERE password IS NOT NULL" | Should -Be '0'
        S koji "SELECT count(*) FROM sessions" | Should -Be '0'
        S koji "SELECT count(*) FROM kojistaging_marker WHERE kind = 'sync'" | Should -Be '1'
        S koji "SELECT count(*) FROM task WHERE state IN (0, 1, 4)" | Should -Be '0'
        [long] (S koji "SELECT last_value FROM task_id_seq") | Should -BeGreaterThan 100000000
    }

    It 'refuses a second follower of the same live database without -Force, and changes nothing' {
        $slots = P 'SELECT slot_name FROM pg_replication_slots'
        { Enable-KojiStagingFollower -Source $src -Destination $dst -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'FollowerExists,KojiStaging.Cmdlets.EnableKojiStagingFollowerCommand' -ExpectedMessage '*-Force*'
        P 'SELECT slot_name FROM pg_replication_slots' | Should -Be $slots
        S postgres 'SELECT count(*) FROM pg_subscription' | Should -Be '1'
    }

    It 'keeps secrets out of the follower''s and the clone''s data files' {
        S postgres 'CHECKPOINT' | Out-Null
        $oids = S postgres "SELECT oid FROM pg_database WHERE datname IN ('koji', 'koji_follower')"
        @($oids).Count | Should -Be 2
        foreach ($oid in $oids) {
            $dir = Join-Path $stg.Root "data/base/$oid"
            $hits = & grep -rlaE 'Leaked-Secret|Session-Key-' $dir
            $hits | Should -BeNullOrEmpty
        }
        # the control: the same grep finds them in production's files
        P 'CHECKPOINT' | Out-Null
        $prodOid = P "SELECT oid FROM pg_database WHERE datname = 'koji_prod'"
        & grep -rlaE 'Leaked-Secret' (Join-Path $prod.Root "data/base/$prodOid") | Should -Not -BeNullOrEmpty
    }

    It 'lets an UPDATE and a DELETE on every production table succeed with the publications in place' {
        $tables = Get-Tables
        $sql = @"
DO `$`$DECLARE t text; failed text[] := '{}';
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH t IN ARRAY ARRAY['$($tables -join "','")'] LOOP
    BEGIN
      EXECUTE format('UPDATE public.%I SET ctid = ctid WHERE false', t);
    EXCEPTION WHEN feature_not_supported THEN NULL; WHEN OTHERS THEN NULL; END;
    BEGIN
      EXECUTE format('UPDATE public.%1`$I x SET %2`$I = x.%2`$I WHERE ctid = (SELECT ctid FROM public.%1`$I LIMIT 1)', t,
        (SELECT attname FROM pg_attribute WHERE attrelid = ('public.' || quote_ident(t))::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1));
      EXECUTE format('DELETE FROM public.%I WHERE ctid = (SELECT ctid FROM public.%I LIMIT 1)', t, t);
    EXCEPTION WHEN OTHERS THEN failed := failed || (t || ': ' || SQLERRM);
    END;
  END LOOP;
  RAISE NOTICE 'FAILED %', failed;
  RAISE EXCEPTION 'rollback' USING ERRCODE = 'P0001', DETAIL = array_to_string(failed, '; ');
END`$`$;
"@
        $env:PGPASSWORD = $prod.Password
        $o = & psql -X -q -At -h $prod.Host -p $prod.Port -U $prod.User -d koji_prod -c $sql 2>&1 | Out-String
        Remove-Item Env:PGPASSWORD
        $o | Should -Match 'FAILED \{\}'
        # the control: a table published for UPDATE without a replica identity does fail
        $env:PGPASSWORD = $prod.Password
        $c = & psql -X -q -At -h $prod.Host -p $prod.Port -U $prod.User -d koji_prod -c "BEGIN; ALTER TABLE buildroot_listing REPLICA IDENTITY NOTHING; CREATE PUBLICATION ctl FOR TABLE buildroot_listing; UPDATE buildroot_listing SET is_update = is_update; ROLLBACK" 2>&1 | Out-String
        Remove-Item Env:PGPASSWORD
        $c | Should -Match 'replica identity'
    }

    It 'changes nothing on production beyond the slot''s progress' {
        $liveOid = S postgres "SELECT oid FROM pg_database WHERE datname = 'koji'"
        $run = Invoke-KojiFreshPwsh -Script "Sync-KojiStagingDb -Source '$src' -Destination '$dst' -FromFollower -WhatIf"
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Output | Should -Match "What if:.*clone follower 'koji_follower'"
        S postgres "SELECT oid FROM pg_database WHERE datname = 'koji'" | Should -Be $liveOid
        S postgres "SELECT subenabled FROM pg_subscription" | Should -Be 't'
        $before = P "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT relname || ':' || n_tup_ins || ':' || n_tup_upd || ':' || n_tup_del AS x FROM pg_stat_user_tables) s"
        $pubs = P "SELECT string_agg(pubname || ':' || (SELECT count(*) FROM pg_publication_rel r WHERE r.prpubid = p.oid), ',' ORDER BY pubname) FROM pg_publication p"
        $slots = P "SELECT string_agg(slot_name, ',') FROM pg_replication_slots"
        $flush0 = P "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'kojistaging_koji'"
        Start-Sleep -Milliseconds 200
        Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -Confirm:$false | Out-Null
        Start-Sleep -Seconds 1
        P "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT relname || ':' || n_tup_ins || ':' || n_tup_upd || ':' || n_tup_del AS x FROM pg_stat_user_tables) s" | Should -Be $before
        P "SELECT string_agg(pubname || ':' || (SELECT count(*) FROM pg_publication_rel r WHERE r.prpubid = p.oid), ',' ORDER BY pubname) FROM pg_publication p" | Should -Be $pubs
        P "SELECT string_agg(slot_name, ',') FROM pg_replication_slots" | Should -Be $slots
        P "SELECT confirmed_flush_lsn >= '$flush0'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'kojistaging_koji'" | Should -Be 't'
    }

    It 'reports lag, and warns when the follower stops consuming' {
        # after a refresh the apply worker restarts within the launcher's retry interval
        $deadline = (Get-Date).AddSeconds(30)
        do { $st = Get-KojiStagingFollower -Source $src -Destination $dst -WarningAction SilentlyContinue } while ($st.State -ne 'Streaming' -and (Get-Date) -lt $deadline -and -not (Start-Sleep -Milliseconds 200))
        $st.State | Should -Be 'Streaming'
        $st.LagBytes | Should -Not -BeNullOrEmpty
        $st.SchemaDrift | Should -BeFalse
        $status = Get-KojiStagingStatus -Connection $dst -Source $src
        $status.Follower.State | Should -Be 'Streaming'
        ($status | Format-List | Out-String) | Should -Match 'Follower\s*:\s*Streaming, [\d.]+ MiB of WAL behind'
        S koji_follower 'ALTER SUBSCRIPTION kojistaging_koji DISABLE' | Out-Null
        $deadline = (Get-Date).AddSeconds(30)
        while ((S postgres 'SELECT count(pid) FROM pg_stat_subscription') -ne '0' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Write-ProdChanges 3
        $st = Get-KojiStagingFollower -Source $src -Destination $dst -WarnLagBytes 1 -WarningVariable w -WarningAction SilentlyContinue
        $st.State | Should -Be 'Paused'
        $st.LagBytes | Should -BeGreaterThan 1
        ($w -join "`n") | Should -Match 'behind'
        S koji_follower 'ALTER SUBSCRIPTION kojistaging_koji ENABLE' | Out-Null
    }

    It 'survives a kill at <Point> during a refresh: live staging and the follower intact, the next refresh repairs and succeeds' -ForEach @(
        @{ Point = 'follower:Clone'; Repair = 'enabled subscription' }   # subscription paused, nothing cloned yet
        @{ Point = 'follower:Sanitise'; Repair = 'drop' }                # clone made, subscription resumed
    ) {
        $liveOid = S postgres "SELECT oid FROM pg_database WHERE datname = 'koji'"
        $liveEvent = S koji 'SELECT max(id) FROM events'
        $dir = Join-Path $stg.Root "kill-$($Point -replace ':', '-')"
        New-Item -ItemType Directory $dir | Out-Null
        $pause = Join-Path $dir 'paused'
        $script = Join-Path $dir 'refresh.ps1'
        Set-Content $script "Import-Module '$(Get-KojiTestModulePath)'; Sync-KojiStagingDb -Source `$env:KS_SRC -Destination `$env:KS_DST -FromFollower -Confirm:`$false"
        $cmd = Get-FaultPwshCommand
        $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
        foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) { $psi.ArgumentList.Add($a) }
        $psi.Environment['KS_SRC'] = $src; $psi.Environment['KS_DST'] = $dst
        $psi.Environment['KOJISTAGING_TEST_PAUSE_AT'] = $Point
        $psi.Environment['KOJISTAGING_TEST_PAUSE_FILE'] = $pause
        $p = [System.Diagnostics.Process]::Start($psi)
        Wait-FaultPause -PauseFile $pause -TimeoutSeconds 120 -Process $p | Should -BeTrue
        $p.Kill($true); $p.WaitForExit()
        S postgres "SELECT oid FROM pg_database WHERE datname = 'koji'" | Should -Be $liveOid
        S koji 'SELECT max(id) FROM events' | Should -Be $liveEvent
        # the follower is intact: it exists and is still marked; after the repair it has every change of production
        S koji_follower "SELECT count(*) FROM kojistaging_marker WHERE kind = 'follower' AND details->>'state' = 'subscribed'" | Should -Be '1'
        $tag = if ($Point -eq 'follower:Clone') { 4 } else { 5 }
        Write-ProdChanges $tag
        $r = Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -Confirm:$false
        ($r.Repairs -join ' ') | Should -Match $Repair
        Assert-SameAsProd koji
        S koji "SELECT count(*) FROM build WHERE id = 90000$tag" | Should -Be '1'
    }

    It 'detects a DDL change on production and says to run a full sync' {
        P 'ALTER TABLE build ADD COLUMN follower_test integer' | Out-Null
        try {
            { Sync-KojiStagingDb -Source $src -Destination $dst -FromFollower -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'FollowerSchemaDrift,KojiStaging.Cmdlets.SyncKojiStagingDbCommand' -ExpectedMessage '*build.follower_test*'
            (Get-KojiStagingFollower -Source $src -Destination $dst -WarningAction SilentlyContinue).SchemaDrift | Should -BeTrue
        } finally { P 'ALTER TABLE build DROP COLUMN follower_test' | Out-Null }
    }

    It 'Disable-KojiStagingFollower removes the subscription, the follower and the slot' {
        $r = Disable-KojiStagingFollower -Source $src -Destination $dst -Confirm:$false -WarningAction SilentlyContinue
        $r.SlotDropped | Should -BeTrue
        $r.DatabaseDropped | Should -BeTrue
        P "SELECT count(*) FROM pg_replication_slots" | Should -Be '0'
        S postgres "SELECT count(*) FROM pg_subscription" | Should -Be '0'
        S postgres "SELECT count(*) FROM pg_database WHERE datname = 'koji_follower'" | Should -Be '0'
        # the publications belong to the DBA (the role may not drop them): left, and said so
        $r.LeftForDba | Should -Match 'DROP PUBLICATION'
        S koji 'SELECT count(*) FROM build' | Should -Not -Be '0'
    }
}
