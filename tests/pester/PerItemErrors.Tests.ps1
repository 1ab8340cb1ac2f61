# Issue 19, per-item errors: a cmdlet fed many items from the pipeline writes each item's failure as a non-terminating
# ErrorRecord and goes on with the next one; -ErrorAction decides (SilentlyContinue goes on quietly, Stop stops there).
# Real parts: overlay mounts (root), the loopback ONTAP emulator, a PostgreSQL test cluster, real trees for Copy-KojiVolume.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    # The runner's preference is Stop, which would make every non-terminating record terminating: these tests need the default.
    $ErrorActionPreference = 'Continue'
    $script:dir = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-peritem-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName
    $script:src = Join-Path $dir prod
    $script:root = Join-Path $dir snapshots
    New-Item -ItemType Directory (Join-Path $src packages) | Out-Null
    Set-Content (Join-Path $src 'packages/a.rpm') 'prod rpm'
    $script:isRoot = (id -u) -eq '0'
    # One failing item (a name with no snapshot) between real ones, as Get-KojiLocalSnapshot | Remove-KojiLocalSnapshot would pass them.
    function script:Get-Items([string[]] $Names) { foreach ($n in $Names) { [pscustomobject]@{ Name = $n; Root = $root } } }
    function script:New-Snapshots([string[]] $Names) { foreach ($n in $Names) { New-KojiLocalSnapshot -Name $n -Source $src -Root $root -Confirm:$false | Out-Null } }
}
AfterAll {
    Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -like "$dir*" } | ForEach-Object { umount -l $_ }
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remove-KojiLocalSnapshot, item by item' {
    BeforeEach { $Error.Clear() }

    It 'writes one ErrorRecord for the failing item and still removes the next; -PassThru says what was removed' {
        New-Snapshots keep1
        $out = Get-Items missing1, keep1 | Remove-KojiLocalSnapshot -Confirm:$false -PassThru -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'LocalSnapshotNotFound,KojiStaging.Cmdlets.RemoveKojiLocalSnapshotCommand'
        $failed[0].CategoryInfo.Category | Should -Be ObjectNotFound
        $failed[0].TargetObject | Should -Be missing1
        @($Error | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 1
        @($out).Count | Should -Be 1
        $out.Name | Should -Be keep1
        $out.Removed | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $root keep1) | Should -BeFalse
    }

    It 'goes on quietly with -ErrorAction SilentlyContinue (the record is still in $Error)' {
        New-Snapshots keep2
        $out = Get-Items missing2, keep2 | Remove-KojiLocalSnapshot -Confirm:$false -PassThru -ErrorAction SilentlyContinue 6>&1 2>&1
        @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 0
        $out.Name | Should -Be keep2
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -BeLike 'LocalSnapshotNotFound,*'
        Test-Path (Join-Path $root keep2) | Should -BeFalse
    }

    It 'stops at the failing item with -ErrorAction Stop: the next one is left as it was' {
        New-Snapshots keep3
        { Get-Items missing3, keep3 | Remove-KojiLocalSnapshot -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'LocalSnapshotNotFound,*'
        Test-Path (Join-Path $root keep3) | Should -BeTrue
        (Get-KojiLocalSnapshot -Root $root -Name keep3).Mounted | Should -BeTrue
        Remove-KojiLocalSnapshot -Name keep3 -Root $root -Confirm:$false
    }

    It 'writes nothing without -PassThru' {
        New-Snapshots keep4
        Remove-KojiLocalSnapshot -Name keep4 -Root $root -Confirm:$false | Should -BeNullOrEmpty
    }
}

Describe 'New-KojiLocalSnapshot, item by item' {
    BeforeEach { $Error.Clear() }

    It 'New: a second item that collides is an error; the first snapshot is made and returned' {
        $out = [pscustomobject]@{ SyncedEvent = 1 }, [pscustomobject]@{ SyncedEvent = 2 } |
            New-KojiLocalSnapshot -Name twice -Source $src -Root $root -Confirm:$false -ErrorVariable failed 2>$null
        @($out).Count | Should -Be 1
        $out.SyncedEvent | Should -Be 1
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'LocalSnapshotExists,KojiStaging.Cmdlets.NewKojiLocalSnapshotCommand'
        Remove-KojiLocalSnapshot -Name twice -Root $root -Confirm:$false
    }
}

Describe 'Remove-NetAppSnapshot and New-NetAppSnapshot, item by item (ONTAP emulator)' {
    BeforeAll {
        $script:ontap = Start-KojiTestService ontap
        $script:cred = [pscredential]::new($ontap.User, (ConvertTo-SecureString $ontap.Password -AsPlainText -Force))
        $script:on = @{ Cluster = $ontap.Cluster; Credential = $cred; SkipCertificateCheck = $true }
        function script:Get-Clones { ((Invoke-RestMethod -SkipCertificateCheck "$($ontap.ControlUrl)/state").volumes | Where-Object name -like 'koji_item*').name }
        function script:Get-Removals([string[]] $Clones) { foreach ($c in $Clones) { [pscustomobject]@{ Cluster = $ontap.Cluster; Svm = 'svm1'; Clone = $c } } }
    }
    AfterAll { $ontap | Stop-KojiTestService }
    BeforeEach { $Error.Clear() }

    It 'removes the clones after the one ONTAP does not have, with one OntapNotFound record' {
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item1 | Out-Null
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item2 | Out-Null
        $out = Get-Removals koji_item_missing, koji_item1, koji_item2 |
            Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false -PassThru -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'OntapNotFound,KojiStaging.Cmdlets.RemoveNetAppSnapshotCommand'
        $failed[0].CategoryInfo.Category | Should -Be ObjectNotFound
        $out.Name | Should -Be @('koji_item1', 'koji_item2')
        Get-Clones | Should -BeNullOrEmpty
    }

    It 'SilentlyContinue goes on; Stop stops before the next clone' {
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item3 | Out-Null
        Get-Removals koji_item_missing, koji_item3 | Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false -ErrorAction SilentlyContinue
        $Error.Count | Should -Be 1
        Get-Clones | Should -BeNullOrEmpty

        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item4 | Out-Null
        { Get-Removals koji_item_missing, koji_item4 | Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OntapNotFound,*'
        Get-Clones | Should -Be koji_item4
        Remove-NetAppSnapshot @on -Svm svm1 -Clone koji_item4 -Confirm:$false
        Get-Clones | Should -BeNullOrEmpty
    }

    It 'an item without a clone or snapshot is an OntapNothingToRemove record, not the end of the pipeline' {
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item5 | Out-Null
        $items = @([pscustomobject]@{ Cluster = $ontap.Cluster; Svm = 'svm1' }) + @(Get-Removals koji_item5)
        $items | Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'OntapNothingToRemove,KojiStaging.Cmdlets.RemoveNetAppSnapshotCommand'
        Get-Clones | Should -BeNullOrEmpty
    }

    It 'New-NetAppSnapshot: one event per item; a clone that exists fails that item only' {
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item6 | Out-Null
        $out = [pscustomobject]@{ SyncedEvent = 7 } | New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_item6 -ErrorVariable failed 2>$null
        $out | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'Ontap*,KojiStaging.Cmdlets.NewNetAppSnapshotCommand'
        Remove-NetAppSnapshot @on -Svm svm1 -Clone koji_item6 -Confirm:$false
    }
}

Describe 'Database cmdlets, item by item (PostgreSQL)' {
    BeforeAll {
        $script:pg = Start-KojiTestService pg --fixture koji_prod
        New-OpsStagingDatabase -Pg $pg -Name koji_item_unmarked -NoMarker
        $script:unmarked = Get-KojiTestConnectionString -Pg $pg -Database koji_item_unmarked
        $script:down = 'Host=127.0.0.1;Port=1;Database=koji;Timeout=2'
    }
    AfterAll { $pg | Stop-KojiTestService }
    BeforeEach { $Error.Clear() }

    It 'Set-KojiStagingMarker marks the reachable database after one that is down' {
        $out = [pscustomobject]@{ Connection = $down }, [pscustomobject]@{ Connection = $unmarked } |
            Set-KojiStagingMarker -Confirm:$false -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'Pg*,KojiStaging.Cmdlets.SetKojiStagingMarkerCommand'
        $out.Database | Should -Be koji_item_unmarked
        Invoke-KojiTestPsql -Pg $pg -Database koji_item_unmarked -Sql 'SELECT count(*) > 0 FROM kojistaging_marker' | Should -Be 't'
    }

    It 'Invoke-KojiStagingSql runs on the marked database after refusing one that is down' {
        $out = [pscustomobject]@{ Connection = $down }, [pscustomobject]@{ Connection = $unmarked } |
            Invoke-KojiStagingSql -Query 'SELECT 1' -Confirm:$false -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'Pg*,KojiStaging.Cmdlets.InvokeKojiStagingSqlCommand'
        @($out).Count | Should -Be 1
    }

    It 'Get-KojiStagingStatus reports the reachable staging after one that is down; Stop stops' {
        $out = [pscustomobject]@{ Connection = $down }, [pscustomobject]@{ Connection = $unmarked } | Get-KojiStagingStatus -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgUnreachable*,KojiStaging.Cmdlets.GetKojiStagingStatusCommand'
        @($out).Count | Should -Be 1
        { [pscustomobject]@{ Connection = $down }, [pscustomobject]@{ Connection = $unmarked } | Get-KojiStagingStatus -ErrorAction Stop } |
            Should -Throw -ErrorId 'PgUnreachable*'
    }
}

Describe 'Copy-KojiVolume and Unregister-KojiStagingResync, item by item' {
    BeforeEach { $Error.Clear() }

    It 'Copy-KojiVolume copies the second pair after a first whose source is missing' {
        $pairs = [pscustomobject]@{ Source = (Join-Path $dir 'no-such-tree'); Destination = (Join-Path $dir 'copy1') },
                 [pscustomobject]@{ Source = $src; Destination = (Join-Path $dir 'copy2') }
        $out = $pairs | Copy-KojiVolume -Confirm:$false -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'SourceNotFound,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
        @($out).Count | Should -Be 1
        $out.FilesCopied | Should -Be 1
        Get-Content (Join-Path $dir 'copy2/packages/a.rpm') | Should -Be 'prod rpm'
        Test-Path (Join-Path $dir 'copy1') | Should -BeFalse
    }

    It 'Unregister-KojiStagingResync -PassThru lists what it removed and goes on past a name it does not know' {
        $units = New-Item -ItemType Directory (Join-Path $dir units) -Force
        Set-Content (Join-Path $units 'kojistaging-resync-weekly.service') '[Service]'
        Set-Content (Join-Path $units 'kojistaging-resync-weekly.timer') '[Timer]'
        $out = [pscustomobject]@{ Name = 'unknown' }, [pscustomobject]@{ Name = 'weekly' } |
            Unregister-KojiStagingResync -UnitDirectory $units.FullName -Confirm:$false -PassThru -ErrorVariable failed 2>$null
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'ScheduleNotFound,KojiStaging.Cmdlets.UnregisterKojiStagingResyncCommand'
        @($out | Split-Path -Leaf | Sort-Object) | Should -Be @('kojistaging-resync-weekly.service', 'kojistaging-resync-weekly.timer')
        Get-ChildItem $units | Should -BeNullOrEmpty
    }
}
