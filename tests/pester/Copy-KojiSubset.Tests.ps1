# Copy-KojiSubset and New-KojiStagingDatabase as an operator drives them: a hub emulator over the prod
# fixture (with its topurl), a staging database created from a schema-only dump of prod.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:hub = Start-KojiTestService hub --fixture koji_prod
    $script:pg = [pscustomobject]@{ Host = $hub.Pg.Host; Port = $hub.Pg.Port; User = $hub.Pg.User; Password = $hub.Pg.Password }
    $script:schema = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-pester-schema-$PID.sql"
    $env:PGPASSWORD = $pg.Password
    & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_prod -f $schema
    Remove-Item Env:PGPASSWORD
    $script:n = 0
    function New-Staging {
        $script:n++
        New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $pg -Database "stg_subset_$n") -SchemaPath $schema -Confirm:$false
    }
    $script:common = @{ Hub = $hub.HubUrl; TopUrl = $hub.TopUrl; Confirm = $false }
}

AfterAll {
    $hub | Stop-KojiTestService
    Remove-Item $schema -ErrorAction SilentlyContinue
}

Describe 'New-KojiStagingDatabase' {
    It 'creates an empty, marked Koji database and refuses to fill it twice' {
        $db = New-Staging
        $db.Created | Should -BeTrue
        $db.Tables | Should -BeGreaterThan 50
        Invoke-KojiTestPsql -Pg $pg -Database $db.Database -Sql "SELECT kind FROM kojistaging_marker" | Should -Be 'created'
        { New-KojiStagingDatabase -Destination $db.Destination -SchemaPath $schema -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'StagingDatabaseNotEmpty,KojiStaging.Cmdlets.NewKojiStagingDatabaseCommand'
    }
}

Describe 'Copy-KojiSubset' {
    BeforeAll {
        $script:db = New-Staging
        $script:top = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-pester-subset-$PID"
    }
    AfterAll { Remove-Item $top -Recurse -Force -ErrorAction SilentlyContinue }

    It '-WhatIf reports builds, rows and bytes and changes nothing' {
        $plan = 'f41' | Copy-KojiSubset @common -Destination $db.Destination -TopDir $top -WhatIf
        $plan.WhatIf | Should -BeTrue
        $plan.Builds | Should -Be 10
        $plan.Rows | Should -BeGreaterThan 50
        $plan.Bytes | Should -BeGreaterThan 0
        Invoke-KojiTestPsql -Pg $pg -Database $db.Database -Sql 'SELECT count(*) FROM build' | Should -Be '0'
        Test-Path $top | Should -BeFalse
    }

    It 'copies tags from the pipeline, one object per build with prod ids, then nothing on a second run' {
        $builds = 'f41', 'f41-updates' | Copy-KojiSubset @common -Destination $db.Destination -TopDir $top -SigKey 26e76adc
        $builds.Count | Should -Be 15   # latest of f41 (10) plus the newer f41-updates builds (5)
        ($builds | Where-Object Nvr -eq 'hello-2.12.1-2.fc41').Id | Should -Be 9
        ($builds | Measure-Object Bytes -Sum).Sum | Should -BeGreaterThan 0
        Test-Path (Join-Path $top 'packages/hello/2.12.1/2.fc41/data/signed/26e76adc/x86_64/hello-2.12.1-2.fc41.x86_64.rpm') | Should -BeTrue
        Invoke-KojiTestPsql -Pg $pg -Database $db.Database -Sql "SELECT count(DISTINCT build_id) FROM rpminfo" | Should -Be '15'
        # plus the builds only the tags' history names: legacy-tool (untagged from f41) and the DELETED fonts update
        Invoke-KojiTestPsql -Pg $pg -Database $db.Database -Sql "SELECT count(*) FROM build" | Should -Be '17'

        $again = 'f41', 'f41-updates' | Copy-KojiSubset @common -Destination $db.Destination -TopDir $top -SigKey 26e76adc -Summary
        $again.BuildsCopied | Should -Be 0
        $again.FilesCopied | Should -Be 0
        $again.Rows | Should -Be 0
        $again.RoundTrips | Should -BeLessOrEqual 5
        $again.Event | Should -Be 166
    }

    It 'gives a clear ErrorRecord for a missing tag and a hub that is down' {
        { Copy-KojiSubset -Tag no-such-tag @common -Destination $db.Destination -TopDir $top -ErrorAction Stop } |
            Should -Throw -ErrorId 'KojiTagNotFound,KojiStaging.Cmdlets.CopyKojiSubsetCommand'
        $down = $common.Clone(); $down.Hub = 'http://127.0.0.1:9/kojihub'
        { Copy-KojiSubset -Tag f41 @down -Destination $db.Destination -TopDir $top -ErrorAction Stop } |
            Should -Throw -ErrorId 'KojiHubUnreachable,KojiStaging.Cmdlets.CopyKojiSubsetCommand'
    }

    It 'copies every fixture tag with every key into a staging that Test-KojiStaging, Get-KojiStagingStatus and Set-KojiSecondaryVolume accept' {
        $all = New-Staging
        $allTop = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-pester-subset-all-$PID"
        try {
            $tags = 'f41', 'f41-updates', 'f41-updates-testing', 'f41-updates-candidate', 'f41-override', 'f41-build', 'f42', 'f42-build'
            $s = $tags | Copy-KojiSubset @common -Destination $all.Destination -TopDir $allTop -SigKey '*' -Summary
            $s.Builds | Should -Be 21
            $s.RoundTrips | Should -BeLessOrEqual 5
            Invoke-KojiTestPsql -Pg $pg -Database $all.Database -Sql "SELECT state FROM build WHERE id = 7" | Should -Be '2'
            Invoke-KojiTestPsql -Pg $pg -Database $all.Database -Sql "SELECT count(*) FROM rpmsigs WHERE sigkey = ''" |
                Should -Be (Invoke-KojiTestPsql -Pg $pg -Database $all.Database -Sql 'SELECT count(*) FROM rpminfo')
            Test-Path (Join-Path $allTop 'packages/hello/2.12.1/2.fc41/data/sigcache/26e76adc/x86_64/hello-2.12.1-2.fc41.x86_64.rpm.sig') | Should -BeTrue

            $checks = Test-KojiStaging -Connection $all.Destination -TopDir $allTop
            ($checks | Where-Object Name -eq 'SyncedEvent').Status | Should -Be 'Pass'
            ($checks | Where-Object Name -eq 'Sequences').Status | Should -Be 'Pass'
            # Warn, not Fail: prod itself lacks the signed copies of lab-docs and rust-tiny-crate (signature cached only)
            ($checks | Where-Object Name -eq 'BuildFiles').Status | Should -Be 'Warn'
            ($checks | Where-Object Name -eq 'BuildFiles').Detail | Should -Match 'signed copies missing \(e\.g\. .*(lab-docs|rust-tiny-crate)'
            (Get-KojiStagingStatus -Connection $all.Destination).SyncedEvent | Should -Be 166

            $vol = Set-KojiSecondaryVolume -Connection $all.Destination -TopDir $allTop -Path $hub.TopDir -AllowWritable -Confirm:$false
            $vol.BuildsRepointed | Should -BeGreaterThan 0
        } finally { Remove-Item $allTop -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'fails a broken load with an ErrorRecord naming table, constraint and key, and leaves no rows and no files' {
        $bad = New-Staging
        $badTop = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-pester-subset-bad-$PID"
        # a constraint that refuses every tag_listing row: the files are in place when the load fails
        Invoke-KojiTestPsql -Pg $pg -Database $bad.Database -Sql @"
ALTER TABLE tag_listing ADD CONSTRAINT kojistaging_test_refuse CHECK (build_id < 0) NOT VALID;
"@ | Out-Null
        $err = $null
        try { 'f41-updates' | Copy-KojiSubset @common -Destination $bad.Destination -TopDir $badTop -SigKey 26e76adc -ErrorAction Stop }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'SubsetWriteFailed,KojiStaging.Cmdlets.CopyKojiSubsetCommand'
        $err.Exception.Message | Should -Match 'table tag_listing'
        $err.Exception.Message | Should -Match 'constraint kojistaging_test_refuse'
        $err.Exception.Message | Should -Match 'Failing row contains'
        $err.Exception.Message | Should -Not -Match 'Password'
        Invoke-KojiTestPsql -Pg $pg -Database $bad.Database -Sql 'SELECT count(*) FROM build' | Should -Be '0'
        @(Get-ChildItem $badTop -Recurse -File -ErrorAction SilentlyContinue).Count | Should -Be 0
        Remove-Item $badTop -Recurse -Force -ErrorAction SilentlyContinue
    }
}
