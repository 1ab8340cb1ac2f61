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
        Invoke-KojiTestPsql -Pg $pg -Database $db.Database -Sql "SELECT count(*) FROM build" | Should -Be '15'

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
}
