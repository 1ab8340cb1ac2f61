# The shipped secondary-volume resync as a scheduled run executes it: Sync → SecondaryVolume → Test,
# from one .psd1, the sync result flowing into the volume step through the pipeline.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-resync-sv-$PID")).FullName
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $dir
    $script:ro = (New-Item -ItemType Directory (Join-Path $dir 'prod-ro')).FullName
    & mount --bind (Join-Path $dir 'koji') $ro
    & mount -o remount,bind,ro $ro
}
AfterAll {
    & umount $ro
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-KojiStagingResync with the secondary-volume strategy' {
    It 'syncs, re-points at the synced event and checks the result, exit code 0' {
        $src = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
        $dst = Get-KojiTestConnectionString -Pg $pg -Database koji_sv
        $top = (New-Item -ItemType Directory -Force (Join-Path $dir 'staging/koji')).FullName
        $cfg = Join-Path $dir 'sv.psd1'
        @"
@{
    Name = 'sv'; LockPath = '$dir/sv.lock'; LogPath = '$dir/sv.log'
    # one TopDir for the volume step and the checks (before, Test got /mnt/koji and its failures still exited 0)
    TopDir = '$top'
    Steps = @(
        @{ Strategy = 'Sync'; Source = '$src'; Destination = '$dst' }
        @{ Strategy = 'SecondaryVolume'; Name = 'prod'; Path = '$ro' }
        @{ Strategy = 'Test' }
    )
}
"@ | Set-Content $cfg
        $r = Invoke-OpsPwsh -TimeoutSeconds 300 -Script "Import-Module '$(Get-KojiTestModulePath)'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        Invoke-KojiTestPsql -Pg $pg -Database koji_sv -Sql "SELECT string_agg(kind || ':' || event_id, ',' ORDER BY id) FROM kojistaging_marker" |
            Should -Be 'sync:166,volume:166'
        Invoke-KojiTestPsql -Pg $pg -Database koji_sv -Sql "SELECT count(*) FROM build b JOIN volume v ON v.id = b.volume_id WHERE v.name = 'prod'" | Should -Be '23'
        $log = Get-Content (Join-Path $dir 'sv.log') -Raw
        $log | Should -Match 'Step 3/3 succeeded'
        $log | Should -Not -Match ([regex]::Escape($pg.Password))
    }
    # A configured parameter that the piped sync result would also bind: tests/pester/Resync.Examples.Tests.ps1.
}
