# Every Koji schema generation since 1.10, as an operator runs the module on it: real pwsh, real PostgreSQL, a real
# read-only bind mount. The "prod" databases are the 1.35 fixture taken back through Koji's schema history
# (tests/fixtures/koji-generations, our SQL), on a prod server whose TimeZone is Asia/Tokyo; staging runs in UTC.
BeforeDiscovery {
    $script:generations = @(
        @{ Version = '1.35'; NotApplicable = @(); Hosts = 'host_config'; Buildroots = 'standard_buildroot'; ZonedTimes = $true }
        @{ Version = '1.30'; NotApplicable = @('Scheduler: not applicable (no table scheduler_*)', 'RepoQueue: not applicable (no table repo_queue)'); Hosts = 'host_config'; Buildroots = 'standard_buildroot'; ZonedTimes = $true }
        @{ Version = '1.23'; NotApplicable = @('Scheduler: not applicable (no table scheduler_*)', 'RepoQueue: not applicable (no table repo_queue)'); Hosts = 'host_config'; Buildroots = 'standard_buildroot'; ZonedTimes = $true }
        @{ Version = '1.18'; NotApplicable = @('MessageQueue: not applicable (no table proton_queue)', 'Scheduler: not applicable (no table scheduler_*)', 'RepoQueue: not applicable (no table repo_queue)'); Hosts = 'host_config'; Buildroots = 'standard_buildroot'; ZonedTimes = $false }
        @{ Version = '1.10'; NotApplicable = @('ReservationTokens: not applicable (no table build_reservations)', 'MessageQueue: not applicable (no table proton_queue)', 'Scheduler: not applicable (no table scheduler_*)', 'RepoQueue: not applicable (no table repo_queue)'); Hosts = 'host.enabled'; Buildroots = 'buildroot'; ZonedTimes = $false }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:prod = Start-KojiTestService pg --fixture koji_prod --timezone Asia/Tokyo
    $script:stg = Start-KojiTestService pg
    $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-pester-versions-$PID")).FullName
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $work
    $script:ro = Join-Path $work 'prod-ro'
    New-Item -ItemType Directory $ro | Out-Null
    & mount --bind (Join-Path $work 'koji') $ro
    & mount -o remount,bind,ro $ro

    # 1.35 + rows in every sanitised table, then each older generation from the one before it
    $sql = Join-Path $PSScriptRoot '../fixtures/koji-generations'
    function Invoke-ProdSqlFile([string] $Database, [string] $File) {
        $env:PGPASSWORD = $prod.Password
        try {
            $out = & psql -X -q -v ON_ERROR_STOP=1 -h $prod.Host -p $prod.Port -U $prod.User -d $Database -f $File 2>&1
            if ($LASTEXITCODE -ne 0) { throw "psql -f $File failed: $out" }
        } finally { Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue }
    }
    Invoke-KojiTestPsql -Pg $prod -Database postgres -Sql 'CREATE DATABASE koji_1_35 TEMPLATE koji_prod' | Out-Null
    Invoke-ProdSqlFile koji_1_35 (Join-Path $sql 'seed-sanitised.sql')
    $previous = 'koji_1_35'
    foreach ($step in @(@('1.30', '1.35-to-1.30.sql'), @('1.23', '1.30-to-1.23.sql'), @('1.18', '1.23-to-1.18.sql'), @('1.10', '1.18-to-1.10.sql'))) {
        $next = 'koji_' + $step[0].Replace('.', '_')
        Invoke-KojiTestPsql -Pg $prod -Database postgres -Sql "CREATE DATABASE $next TEMPLATE $previous" | Out-Null
        Invoke-ProdSqlFile $next (Join-Path $sql $step[1])
        $previous = $next
    }
    # event 166 as an instant: the 1.35 column has a time zone
    $script:eventUtc = Invoke-KojiTestPsql -Pg $prod -Database koji_1_35 -Sql "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM events WHERE id = 166"
    $script:utcFormat = 'yyyy-MM-dd HH:mm:ss.ffffff'
}
AfterAll {
    & umount $ro
    $prod, $stg | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe 'Koji <Version> on a prod server in Asia/Tokyo' -ForEach $generations {
    BeforeAll {
        $db = 'koji_' + $Version.Replace('.', '_')
        $live = "stg_$($Version.Replace('.', '_'))"
        $src = Get-KojiTestConnectionString -Pg $prod -Database $db
        $dst = Get-KojiTestConnectionString -Pg $stg -Database $live
        $top = (New-Item -ItemType Directory (Join-Path $work "top-$live/koji") -Force).FullName
        function Stg([string] $q) { Invoke-KojiTestPsql -Pg $stg -Database $live -Sql $q }
        $out = Sync-KojiStagingDb -Source $src -Destination $dst -Confirm:$false -Verbose -WarningVariable syncWarnings 4>&1
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $sync = $out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $warnings = @($syncWarnings | ForEach-Object Message)
    }

    It 'Sync reports the rules applied, their schema form and the rules with nothing to act on, in the result, the plan and the marker' {
        $sync.SyncedEvent | Should -Be 166
        @($sync.RulesNotApplicable) | Should -Be $NotApplicable
        $expectedApplied = @('Sessions', 'Passwords', 'ReservationTokens', 'Hosts', 'Tasks', 'Builds', 'Repos', 'Buildroots', 'MessageQueue', 'Scheduler', 'RepoQueue', 'Sequences') |
            Where-Object { $r = $_; -not ($NotApplicable | Where-Object { $_ -like "${r}:*" }) }
        @($sync.RulesApplied) | Should -Be @($expectedApplied)
        $sync.SanitizeForms['Hosts'] | Should -Be $Hosts
        $sync.SanitizeForms['Buildroots'] | Should -Be $Buildroots
        foreach ($n in $NotApplicable) { $verbose | Should -Match ([regex]::Escape($n)) }   # the plan
        $marker = (Stg "SELECT details::text FROM kojistaging_marker WHERE kind = 'sync'") | ConvertFrom-Json
        @($marker.rulesNotApplicable) | Should -Be $NotApplicable
        $marker.sourceTimeZone | Should -Be 'Asia/Tokyo'
        $marker.sanitizeForms.Hosts | Should -Be $Hosts
        if ($Version -eq '1.10') { $warnings -join "`n" | Should -Match 'ReservationTokens is not applicable \(no table build_reservations\)' }
        else { $warnings -join "`n" | Should -Not -Match 'not applicable' }
        $list = $sync | Format-List | Out-String -Width 400
        $list | Should -Match ('RulesNotApplicable\s*:\s*' + ($NotApplicable ? [regex]::Escape($NotApplicable -join '; ') : '-'))
    }

    It 'reports the synced event time in UTC whatever the column type' {
        if (-not $ZonedTimes) { $verbose | Should -Match "read in the source server's TimeZone Asia/Tokyo" }
        $sync.SyncedEventTime.Offset | Should -Be ([TimeSpan]::Zero)
        $sync.SyncedEventTime.UtcDateTime.ToString($utcFormat) | Should -Be $eventUtc
        $type = Invoke-KojiTestPsql -Pg $prod -Database $db -Sql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'time'"
        $type | Should -Be ($ZonedTimes ? 'timestamp with time zone' : 'timestamp without time zone')
    }

    It 'every sanitise rule took effect in its form for this generation' {
        # one psql per side: name → value
        function Read-Values($Pg, [string] $Database, [System.Collections.Specialized.OrderedDictionary] $Queries) {
            $sql = 'SELECT concat_ws(E''\n'', ' + (($Queries.GetEnumerator() | ForEach-Object { "'$($_.Key)=' || coalesce(($($_.Value))::text, 'NULL')" }) -join ', ') + ')'
            $h = @{}
            foreach ($line in Invoke-KojiTestPsql -Pg $Pg -Database $Database -Sql $sql) { $k, $v = $line -split '=', 2; $h[$k] = $v }
            $h
        }
        $br = $Buildroots
        $q = [ordered]@{
            sessions = 'SELECT count(*) FROM sessions'; passwords = 'SELECT count(*) FROM users WHERE password IS NOT NULL'
            hostsReady = 'SELECT count(*) FROM host WHERE ready'; hosts = 'SELECT count(*) FROM host'; channels = 'SELECT count(*) FROM host_channels'
            tasks = "SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM task"
            building = "SELECT state || ':' || (completion_time IS NOT NULL) FROM build WHERE id = 900"
            repos = "SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM repo"
            buildroots = "SELECT string_agg(b || ':' || state || ':' || coalesce(retire_event::text, ''), ',' ORDER BY b) FROM (SELECT $($br -eq 'buildroot' ? 'id' : 'buildroot_id') AS b, state, retire_event FROM $br) x"
            taskSeq = "SELECT last_value FROM task_id_seq"
        }
        if ($Version -ne '1.10') { $q.tokens = 'SELECT count(*) FROM build_reservations WHERE token IS NOT NULL'; $q.reservations = 'SELECT count(*) FROM build_reservations' }
        if ($Hosts -eq 'host_config') { $q.enabled = 'SELECT count(*) FROM host_config WHERE active AND enabled'; $q.oldEnabled = 'SELECT count(*) FROM host_config WHERE active IS NULL AND enabled' }
        else { $q.enabled = 'SELECT count(*) FROM host WHERE enabled' }
        if ($Version -notin '1.18', '1.10') { $q.proton = 'SELECT count(*) FROM proton_queue' }
        if ($Version -eq '1.35') { $q.queues = 'SELECT (SELECT count(*) FROM repo_queue) + (SELECT count(*) FROM scheduler_task_runs) + (SELECT count(*) FROM scheduler_host_data) + (SELECT count(*) FROM scheduler_sys_data) + (SELECT count(*) FROM scheduler_task_refusals) + (SELECT count(*) FROM scheduler_log_messages)' }
        $p = Read-Values $prod $db $q
        $s = Read-Values $stg $live $q
        $p.sessions | Should -Be '34'; $s.sessions | Should -Be '0'
        $p.passwords | Should -Be '6'; $s.passwords | Should -Be '0'
        if ($Version -ne '1.10') { $p.tokens | Should -Be '1'; $s.tokens | Should -Be '0'; $s.reservations | Should -Be '1' }
        if ($Hosts -eq 'host_config') { $p.enabled | Should -Be '1'; $s.enabled | Should -Be '0'; $s.oldEnabled | Should -Be '2' }
        else { $p.enabled | Should -Be '1'; $s.enabled | Should -Be '0' }
        $p.hostsReady | Should -Be '1'; $s.hostsReady | Should -Be '0'; $s.hosts | Should -Be '2'
        $p.channels | Should -Not -Be '0'; $s.channels | Should -Be '0'
        $p.tasks | Should -Be '1:0,2:0,3:3'; $s.tasks | Should -Be '1:3,2:3,3:3'
        $p.building | Should -Be '0:false'; $s.building | Should -Be '4:true'
        $p.repos | Should -Be '900:0,901:1,902:2,903:3'; $s.repos | Should -Be '900:3,901:3,902:3,903:3'
        $p.buildroots | Should -Be '900:1:,901:3:165' -Because 'an open buildroot has no retire event'
        $s.buildroots | Should -Be '900:3:166,901:3:165'
        if ($q.Contains('proton')) { $p.proton | Should -Be '1'; $s.proton | Should -Be '0' }
        if ($q.Contains('queues')) { $p.queues | Should -Be '6'; $s.queues | Should -Be '0' }
        [long] (Stg "SELECT nextval('task_id_seq')") | Should -Be ([long] $p.taskSeq + 100000000)
    }

    It 'Set-KojiSecondaryVolume re-points the builds and expires the repos staging made since' {
        Stg 'INSERT INTO repo (id, create_event, tag_id, state) VALUES (950, 166, 6, 1)' | Out-Null   # kojira in staging
        $v = $sync | Set-KojiSecondaryVolume -TopDir $top -Path $ro -Confirm:$false
        $v.BuildsRepointed | Should -Be 23
        $v.BuildsMissingOnVolume | Should -Be 0
        $v.ReposExpired | Should -Be 1
        Stg 'SELECT state FROM repo WHERE id = 950' | Should -Be '2'
        if ($Version -eq '1.35') { Stg 'SELECT state_time > now() - interval ''1 hour'' FROM repo WHERE id = 950' | Should -Be 't' }
    }

    It 'Test-KojiStaging and Get-KojiStagingStatus give the sync its true age, in UTC' {
        $checks = Test-KojiStaging -Connection $dst -TopDir $top
        $event = $checks | Where-Object Name -eq 'SyncedEvent'
        $expected = [DateTimeOffset]::Parse($eventUtc + 'Z', [Globalization.CultureInfo]::InvariantCulture)
        $event.Detail | Should -Match ([regex]::Escape("event 166 of $($expected.UtcDateTime.ToString('yyyy-MM-dd HH:mm')) UTC"))
        $days = [math]::Round(([DateTimeOffset]::UtcNow - $expected).TotalDays)
        if ($days -ge 2) { $event.Detail | Should -Match "$days days old" }
        $checks | Where-Object Detail -Match 'could not run' | Should -BeNullOrEmpty   # no check trips over this schema
        ($checks | Where-Object Name -eq 'Secrets').Status | Should -Be 'Pass'
        ($checks | Where-Object Name -eq 'BuildFiles').Status | Should -Not -Be 'Fail'

        $s = Get-KojiStagingStatus -Connection $dst -Source $src
        $s.SyncedEventTime.UtcDateTime.ToString($utcFormat) | Should -Be $eventUtc
        $s.ProdLastEventTime.UtcDateTime.ToString($utcFormat) | Should -Be $eventUtc
        $s.Age.TotalSeconds | Should -BeGreaterThan 0
        [math]::Abs(($s.Age - ([DateTimeOffset]::UtcNow - $expected)).TotalMinutes) | Should -BeLessThan 5
        $s.EventsBehind | Should -Be 0
    }

    It 'Compare-KojiStagingStrategy counts signed copies as Test-KojiStaging does' {
        $figures = Compare-KojiStagingStrategy -Source $src -IncludeFigures | Where-Object { $_ -is [KojiStaging.Engine.Operations.ProductionFigures] }
        $real = Invoke-KojiTestPsql -Pg $prod -Database $db -Sql "SELECT count(*) FROM rpmsigs s JOIN rpminfo r ON r.id = s.rpm_id WHERE s.sigkey <> '' AND r.external_repo_id = 0"
        $all = Invoke-KojiTestPsql -Pg $prod -Database $db -Sql 'SELECT count(*) FROM rpmsigs'
        [long] $real | Should -BeLessThan ([long] $all)   # the fixture has unsigned-header rows
        $figures.SignedCopies | Should -Be ([long] $real)
        $figures.Builds | Should -Be 25
    }
}

Describe 'A TimeZone the client set is not the server''s' {
    It 'warns before anything is done when Koji before 1.22 event times would be read in it' {
        $src = (Get-KojiTestConnectionString -Pg $prod -Database koji_1_18) + ';Timezone=UTC'
        $null = Sync-KojiStagingDb -Source $src -Destination (Get-KojiTestConnectionString -Pg $stg -Database stg_tz) -WhatIf -WarningVariable w 3>$null
        ($w | ForEach-Object Message) -join "`n" | Should -Match 'read in TimeZone UTC, which this client set'
        Invoke-KojiTestPsql -Pg $stg -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'stg_tz%'" | Should -Be '0'
    }
}

Describe 'PostgreSQL servers the module cannot pair, refused with what to do' {
    BeforeAll {
        $pg17 = Start-KojiTestService pg --fixture koji_prod --major 17
        $pg11 = Start-KojiTestService pg --major 11
        function Get-Names($pg) { Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql 'SELECT string_agg(datname, $$,$$ ORDER BY datname) FROM pg_database' }
    }
    AfterAll { $pg17, $pg11 | Stop-KojiTestService }

    It 'prod on PostgreSQL 17 with only pg_dump 15 here: PgDumpTooOld naming the server version and the Debian package' {
        $before = Get-Names $stg
        $err = $null
        try { Sync-KojiStagingDb -Source (Get-KojiTestConnectionString -Pg $pg17 -Database koji_prod) -Destination (Get-KojiTestConnectionString -Pg $stg -Database stg_from_17) -Confirm:$false -ErrorAction Stop }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'PgDumpTooOld,*'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match 'PostgreSQL 17\.\d+, but the newest pg_dump installed is 15'
        $err.ErrorDetails.RecommendedAction | Should -Match 'postgresql-client-17'
        $err.ErrorDetails.RecommendedAction | Should -Match 'KOJISTAGING_PG_DUMP'
        Get-Names $stg | Should -Be $before
    }

    It 'staging on PostgreSQL 11: StagingServerUnsupported before anything is created' {
        $before = Get-Names $pg11
        $err = $null
        try { Sync-KojiStagingDb -Source (Get-KojiTestConnectionString -Pg $prod -Database koji_1_35) -Destination (Get-KojiTestConnectionString -Pg $pg11 -Database koji) -Confirm:$false -ErrorAction Stop }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'StagingServerUnsupported,*'
        $err.Exception.Message | Should -Match 'PostgreSQL 11\.\d+; Sync-KojiStagingDb needs PostgreSQL 13 or later'
        Get-Names $pg11 | Should -Be $before
    }
}
