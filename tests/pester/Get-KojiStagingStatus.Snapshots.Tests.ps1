# Get-KojiStagingStatus's snapshot state: FlexClones on the loopback ONTAP emulator (Get-NetAppSnapshot's parameters,
# splatted), snapshot objects piped in, and real overlay mounts found on their own (root, as CI runs).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_snapstatus    # a 'sync' marker at event 150
    $script:cs = Get-KojiTestConnectionString -Pg $pg -Database koji_snapstatus
    $script:ontap = Start-KojiTestService ontap
    $script:cred = [pscredential]::new($ontap.User, (ConvertTo-SecureString $ontap.Password -AsPlainText -Force))
    # One hashtable for Get-NetAppSnapshot and Get-KojiStagingStatus alike.
    $script:on = @{ Cluster = $ontap.Cluster; Credential = $cred; SkipCertificateCheck = $true; Svm = 'svm1' }
    $script:dir = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-snapstatus-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName
    $script:noLocal = Join-Path $dir 'no-local-snapshots'
    function script:Set-CloneSpace([string] $Clone, [long] $Used) {
        Invoke-RestMethod -SkipCertificateCheck -Method Post "$($ontap.ControlUrl)/space" -ContentType application/json -Body (@{ volume = $Clone; used = $Used; size = 100GB } | ConvertTo-Json) | Out-Null
    }
}
AfterAll {
    Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -like "$dir*" } | ForEach-Object { umount -l $_ }
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    $ontap | Stop-KojiTestService
    $pg | Stop-KojiTestService
}

Describe 'Get-KojiStagingStatus: ONTAP clones' {
    BeforeAll {
        $at150 = [pscustomobject]@{ SyncedEvent = 150 }
        $at150 | New-NetAppSnapshot @on -Volume koji_prod -CloneName koji_st_full | Out-Null
        $at150 | New-NetAppSnapshot @on -Volume koji_prod -CloneName koji_st_fresh | Out-Null
        [pscustomobject]@{ SyncedEvent = 166 } | New-NetAppSnapshot @on -Volume koji_prod -CloneName koji_st_ahead | Out-Null
        Set-CloneSpace koji_st_full 90GB     # 90 GiB of the 95 GiB left after the 5% snapshot reserve
        Set-CloneSpace koji_st_fresh 1GB
        Set-CloneSpace koji_st_ahead 1GB
    }

    It 'reports the module''s clones with space used and rotation due, from the hashtable splatted into Get-NetAppSnapshot' {
        @(Get-NetAppSnapshot @on).Count | Should -Be 3
        $s = Get-KojiStagingStatus -Connection $cs @on -LocalSnapshotRoot $noLocal

        $s.Snapshots.Name | Should -Be @('svm1:koji_st_ahead', 'svm1:koji_st_fresh', 'svm1:koji_st_full')
        $full = $s.Snapshots | Where-Object Name -eq 'svm1:koji_st_full'
        $full.Provider | Should -Be ontap
        $full.Path | Should -Be '127.0.0.1:/koji_st_full'
        $full.UsedBytes | Should -Be 90GB
        $full.BoundBytes | Should -Be 95GB
        $full.SpaceUsedPercent | Should -Be 94.7
        $full.SyncedEvent | Should -Be 150
        $full.RotateSoon | Should -BeTrue
        $full.RotateReasons | Should -Be @('94.7% of its bound used (rotate at 80%)')
        $full.Snapshot | Should -BeOfType ([KojiStaging.Engine.Storage.Ontap.NetAppSnapshot])
        ($s.Snapshots | Where-Object Name -eq 'svm1:koji_st_fresh').RotateSoon | Should -BeFalse
        ($s.Snapshots | Where-Object Name -eq 'svm1:koji_st_ahead').RotateReasons | Should -Be @('taken at event 166 but the staging database is synced to event 150')
        $s.SnapshotSources | Should -Contain "ontap $($ontap.Cluster) svm svm1"

        ($s | Out-String -Width 300) | Should -Match 'Snapshots\s+: 3; most used svm1:koji_st_full 94\.7%; 2 to rotate soon'
        ($s.Snapshots | Format-Table -AutoSize | Out-String -Width 300) | Should -Match 'svm1:koji_st_full\s+90\.0 GiB\s+94\.7%'
        ($s | Format-List * | Out-String -Width 300) + ($s.Snapshots | Format-List * | Out-String -Width 300) | Should -Not -Match ([regex]::Escape($ontap.Password))
    }

    It 'uses the operator''s thresholds' {
        $s = Get-KojiStagingStatus -Connection $cs @on -CloneName 'koji_st_f*' -LocalSnapshotRoot $noLocal -RotateAtPercent 95 -RotateAfter ([timespan]::FromDays(30))
        $s.Snapshots.Name | Should -Be @('svm1:koji_st_fresh', 'svm1:koji_st_full')
        $s.Snapshots.RotateSoon | Should -Be @($false, $false)
    }

    It 'reports piped snapshot objects in one status, and the due ones rotate through their Snapshot property' {
        $objs = @(Get-NetAppSnapshot @on)
        $r = @($objs | Get-KojiStagingStatus -Connection $cs -LocalSnapshotRoot $noLocal)
        $r.Count | Should -Be 1
        $r[0].Snapshots.Count | Should -Be 3
        $r[0].SnapshotSources | Should -Be @("overlay $noLocal", 'given (3)')
        (Get-KojiStagingStatus -Connection $cs -Snapshot $objs -LocalSnapshotRoot $noLocal).Snapshots.Name | Should -Be $r[0].Snapshots.Name

        $r[0].Snapshots | Where-Object { $_.RotateSoon -and $_.SpaceUsedPercent -gt 80 } | ForEach-Object Snapshot |
            Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false
        Get-NetAppSnapshot @on | ForEach-Object Clone | Should -Be @('koji_st_fresh', 'koji_st_ahead')
    }

    It 'refuses ONTAP parameters without -Cluster, and reports a wrong password without echoing it' {
        { Get-KojiStagingStatus -Connection $cs -Svm svm1 -ErrorAction Stop } | Should -Throw -ErrorId 'OntapClusterRequired,KojiStaging.Cmdlets.GetKojiStagingStatusCommand'
        { Get-KojiStagingStatus -Connection $cs -Credential $cred -ErrorAction Stop } | Should -Throw -ErrorId 'OntapClusterRequired,*'
        { Get-KojiStagingStatus -Connection $cs -Cluster $ontap.Cluster -SkipCertificateCheck -Volume koji_prod -ErrorAction Stop } | Should -Throw -ErrorId 'OntapSvmRequired,*'
        $bad = [pscredential]::new($ontap.User, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $err = { Get-KojiStagingStatus -Connection $cs -Cluster $ontap.Cluster -Credential $bad -SkipCertificateCheck -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'OntapAuthenticationFailed,*'
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }
}

Describe 'Get-KojiStagingStatus: local overlay snapshots' {
    It 'finds the module''s overlay mounted at -TopDir on its own, with the bytes staging wrote into it' {
        if ((id -u) -ne '0') { Set-ItResult -Skipped -Because 'overlay mounts need root (CI runs as root)'; return }
        $src = Join-Path $dir 'prod'; $root = Join-Path $dir 'snapshots'; $top = Join-Path $dir 'mnt/koji'
        New-Item -ItemType Directory (Join-Path $src 'packages') -Force | Out-Null
        [pscustomobject]@{ SyncedEvent = 150 } | New-KojiLocalSnapshot -Name stg -Source $src -Root $root -Path $top -MaxSize 10KB | Out-Null
        [pscustomobject]@{ SyncedEvent = 150 } | New-KojiLocalSnapshot -Name other -Source $src -Root $root | Out-Null
        Set-Content (Join-Path $top 'compose.log') ('x' * 9000) -NoNewline

        $s = Get-KojiStagingStatus -Connection $cs -TopDir $top -Root $root     # -Root as Get-KojiLocalSnapshot takes it
        @($s.Snapshots).Count | Should -Be 1
        $s.Snapshots[0].Name | Should -Be stg
        $s.Snapshots[0].Provider | Should -Be overlay
        $s.Snapshots[0].Path | Should -Be $top
        $s.Snapshots[0].UsedBytes | Should -Be 9000
        $s.Snapshots[0].BoundBytes | Should -Be 10KB
        $s.Snapshots[0].RotateReasons | Should -Be @('87.9% of its bound used (rotate at 80%)')
        $s.Volumes[0].Present | Should -BeTrue

        (Get-KojiStagingStatus -Connection $cs -Root $root).Snapshots.Name | Should -Be @('other', 'stg')
    }
}
