# Format views at the widths operators use (80 and 120 columns): one-line headers, the key columns kept,
# labels that are property names (so Select-Object <label> works), binary units labelled as such.
BeforeDiscovery {
    $script:widths = @(80, 120)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $now = [DateTimeOffset]::UtcNow
    $rows = [System.Collections.Generic.Dictionary[string, long]]::new(); $rows['build'] = 1234567; $rows['buildroot_listing'] = 987654321
    $phases = [System.Collections.Generic.Dictionary[string, timespan]]::new(); $phases['Data and indexes'] = [timespan]::FromMinutes(70)
    # Wide but realistic values: a 30 TB production, a million builds, generation names as the module makes them.
    $script:samples = [ordered]@{
        'KojiStaging.Engine.Database.Sync.DbSyncResult'           = @{ Key = 'Database', 'SyncedEvent', 'Builds', 'Duration'; Object = [KojiStaging.Engine.Database.Sync.DbSyncResult]@{
                Server = 'db-stg01.example.org:5432'; Database = 'koji'; PreviousGeneration = 'koji_gen_20261207143015'; SyncedEvent = 41234567
                SyncedEventTime = $now; Source = 'Host=db01.example.org;Database=koji;Username=koji_ro'; Builds = 1234567; Rpms = 98765432; TagListings = 12345678
                RowCounts = $rows; BytesCopied = 412345678901; Duration = [timespan]::FromMinutes(83)
                PhaseDurations = $phases } }
        'KojiStaging.Engine.Koji.Subset.KojiSubsetBuild'          = @{ Key = 'Nvr', 'Rpms', 'Bytes'; Object = [KojiStaging.Engine.Koji.Subset.KojiSubsetBuild]::new(
                'python-botocore-1.34.162-1.fc41', 2534567, 412, 412, 3456789012, $false, 41234567) }
        'KojiStaging.Engine.Storage.Local.LocalSnapshot'          = @{ Key = 'Name', 'Path', 'UsedBytes', 'SpaceUsedPercent'; Object = [KojiStaging.Engine.Storage.Local.LocalSnapshot]@{
                Name = 'stg'; Source = '/mnt/koji-prod-ro'; Path = '/mnt/koji'; Root = '/var/lib/kojistaging/snapshots'; Mounted = $true; Created = $now.AddDays(-3)
                SyncedEvent = 41234567; UsedBytes = 123456789012; MaxSize = 214748364800 } }
        'KojiStaging.Engine.Storage.Ontap.NetAppSnapshot'         = @{ Key = 'Clone', 'SpaceUsed', 'SpaceUsedPercent', 'SyncedEvent'; Object = [KojiStaging.Engine.Storage.Ontap.NetAppSnapshot]@{
                Cluster = 'netapp01.example.org'; Svm = 'svm_koji'; ParentVolume = 'fedora_koji'; Snapshot = 'kojistaging_koji_stg_20261207_143015'; Clone = 'koji_stg'
                JunctionPath = '/koji_stg'; MountSource = 'nfs01.example.org:/koji_stg'; Created = $now.AddDays(-3); SyncedEvent = 41234567; SpaceUsed = 2345678901234; SpaceSize = 32985348833280 } }
        'KojiStaging.Engine.Operations.StagingSnapshotState'      = @{ Key = 'Name', 'UsedBytes', 'RotateSoon'; Object = [KojiStaging.Engine.Operations.StagingSnapshotState]::new(
                'NetApp', 'koji_stg', 'nfs01.example.org:/koji_stg', 'fedora_koji', $now.AddDays(-15), [timespan]::FromDays(15), 41234567, 2345678901234, 32985348833280, 7.1, $true, $true, [string[]] @('older than 14 days'), $null) }
        'KojiStaging.Engine.Operations.StrategyEstimate'          = @{ Key = 'Strategy', 'StorageBytes', 'RefreshTime'; Object = [KojiStaging.Engine.Operations.StrategyEstimate]@{
                Strategy = 'full copy'; Cmdlets = 'Copy-KojiVolume'; StorageBytes = 32985348833280; RefreshTime = [timespan]::FromHours(30); Hardlinks = 'kept: same inode'; Writes = 'staging own'; Fidelity = 'complete: every file' } }
        'KojiStaging.Engine.Files.VolumeCopySummary'              = @{ Key = 'FilesCopied', 'Bytes', 'Throughput', 'Errors'; Object = [KojiStaging.Engine.Files.VolumeCopySummary]@{
                Source = '/mnt/koji-prod'; Destination = '/mnt/koji'; FilesCopied = 12345678; FilesLinked = 1234567; FilesSkipped = 98765432; Bytes = 32985348833280
                Duration = [timespan]::FromHours(30.5); Throughput = 300401234.5; Errors = 12 } }
        'KojiStaging.Engine.Operations.ScheduleRegistration'      = @{ Key = 'Name', 'Kind', 'When', 'Enabled'; Object = [KojiStaging.Engine.Operations.ScheduleRegistration]@{
                Name = 'weekly'; Kind = 'Systemd'; When = 'Sun *-*-* 02:00:00'; Command = 'dotnet pwsh -NoProfile -Command Invoke-KojiStagingResync'; Unit = 'kojistaging-resync-weekly.timer'; Enabled = $true
                Files = [KojiStaging.Engine.Operations.ScheduleFile[]] @([KojiStaging.Engine.Operations.ScheduleFile]::new('/etc/systemd/system/kojistaging-resync-weekly.service', "[Unit]`nDescription=x`n[Service]`nExecStart=/usr/bin/pwsh")
                    [KojiStaging.Engine.Operations.ScheduleFile]::new('/etc/systemd/system/kojistaging-resync-weekly.timer', "[Timer]`nOnCalendar=Sun *-*-* 02:00:00")) } }
        'KojiStaging.Engine.Operations.Health.StagingCheckResult' = @{ Key = 'Status', 'Name', 'Detail'; Object = [KojiStaging.Engine.Operations.Health.StagingCheckResult]::new(
                'ComposeHardlink', 'Pass', 'a hard link from /mnt/koji/compose to /mnt/koji/vol/prod/packages works (same file system, device 0:52)', 'nothing to do') }
    }
    function Get-ViewLabels([string] $typeName) {
        foreach ($view in (Get-FormatData -TypeName $typeName -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition) {
            $c = $view.Control
            if ($c -is [System.Management.Automation.TableControl]) {
                foreach ($i in 0..($c.Headers.Count - 1)) { $h = $c.Headers[$i].Label; if (-not $h) { $h = $c.Rows[0].Columns[$i].DisplayEntry.Value }; [pscustomobject]@{ View = 'Table'; Label = $h } }
            }
            elseif ($c -is [System.Management.Automation.ListControl]) {
                foreach ($item in $c.Entries[0].Items) { [pscustomobject]@{ View = 'List'; Label = $(if ($item.Label) { $item.Label } else { $item.DisplayEntry.Value }) } }
            }
        }
    }
}

Describe 'View of <Type>' -ForEach @(@(
    'KojiStaging.Engine.Database.Sync.DbSyncResult', 'KojiStaging.Engine.Koji.Subset.KojiSubsetBuild', 'KojiStaging.Engine.Storage.Local.LocalSnapshot',
    'KojiStaging.Engine.Storage.Ontap.NetAppSnapshot', 'KojiStaging.Engine.Operations.StagingSnapshotState', 'KojiStaging.Engine.Operations.StrategyEstimate',
    'KojiStaging.Engine.Files.VolumeCopySummary', 'KojiStaging.Engine.Operations.ScheduleRegistration', 'KojiStaging.Engine.Operations.Health.StagingCheckResult'
) | ForEach-Object { @{ Type = $_ } }) {
    BeforeAll { $script:sample = $samples[$Type] }

    It 'labels every column and list item with a property of the type' {
        $props = ($Type -as [type]).GetProperties().Name
        $labels = @(Get-ViewLabels $Type)
        $labels | Should -Not -BeNullOrEmpty
        foreach ($l in $labels) { $props | Should -Contain $l.Label -Because "$($l.View) label '$($l.Label)' must be a property, so Select-Object $($l.Label) works" }
        ($sample.Object | Select-Object -Property @($labels.Label | Select-Object -Unique)).PSObject.Properties.Value | Should -Not -BeNullOrEmpty
    }

    It 'fits <width> columns with a one-line header and its key columns' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
        $lines = @(($sample.Object, $sample.Object | Format-Table | Out-String -Width $Width) -split '\r?\n' | Where-Object { $_.Trim() })
        $header, $rule = $lines[0], $lines[1]
        $rule | Should -Match '^[\s-]+$' -Because "the header must be one line at $Width columns:`n$($lines -join "`n")"
        foreach ($k in $sample.Key) { $header | Should -Match "(^|\s)$([regex]::Escape($k))(\s|$)" -Because "key column $k at $Width columns" }
        foreach ($l in $lines) { $l.Length | Should -BeLessOrEqual $Width }
    }

    It 'shows sizes in binary units, labelled KiB/MiB/GiB/TiB' {
        $text = ($sample.Object | Format-Table | Out-String -Width 120) + ($sample.Object | Format-List | Out-String -Width 120)
        $text | Should -Not -Match '\d (KB|MB|GB|TB|PB)\b|MB/s'
        if ($sample.Object.PSObject.Properties.Name -match 'Bytes$|^SpaceUsed$') { $text | Should -Match '\d (KiB|MiB|GiB|TiB)' }
    }
}

Describe 'Compact views' {
    It 'shows a schedule registration without the unit files' {
        $o = $samples['KojiStaging.Engine.Operations.ScheduleRegistration'].Object
        $text = ($o | Out-String -Width 80) + ($o | Format-List | Out-String -Width 80)
        $text | Should -Match 'kojistaging-resync-weekly\.timer'
        $text | Should -Not -Match '\[Unit\]|ExecStart=|OnCalendar='
    }

    It 'gives Test-KojiStaging''s Detail most of an 80-column line and Advice in the list view' {
        $o = $samples['KojiStaging.Engine.Operations.Health.StagingCheckResult'].Object
        $row = @(($o | Out-String -Width 80) -split '\r?\n' | Where-Object { $_ -like 'Pass *' })[0]
        $row.Length | Should -BeGreaterOrEqual 75 -Because "Detail must run to the line's end at 80 columns, not wrap at 28: '$row'"
        ($o | Format-List | Out-String) | Should -Match 'Advice\s*:\s*nothing to do'
    }
}

Describe 'Warnings' {
    BeforeAll {
        $script:prod = Start-KojiTestService pg --fixture koji_prod
        $script:stg = Start-KojiTestService pg
        $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-views-$PID-$(Get-Random)")).FullName
    }
    AfterAll {
        $prod, $stg | Stop-KojiTestService
        Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    }

    It 'are worded for operators, without the engine''s class names' {
        # Production's tree at vol/prod with one build's directory gone: Set-KojiSecondaryVolume warns about it.
        New-Item -ItemType Directory (Join-Path $work 'vol'), (Join-Path $work 'packages') | Out-Null
        & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C (Join-Path $work 'vol')
        Rename-Item (Join-Path $work 'vol/koji') 'prod'
        Get-ChildItem (Join-Path $work 'vol/prod/packages') -Directory | Select-Object -First 3 | Remove-Item -Recurse -Force
        $sync = Sync-KojiStagingDb -Source (Get-KojiTestConnectionString -Pg $prod -Database koji_prod) -Destination (Get-KojiTestConnectionString -Pg $stg -Database koji) -Confirm:$false
        $null = $sync | Set-KojiSecondaryVolume -TopDir $work -AllowWritable -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -Not -BeNullOrEmpty
        foreach ($w in $warnings) { $w.Message | Should -Not -Match '^\[[A-Za-z]+\]' }
        ($warnings.Message -join "`n") | Should -Match 'sampled builds'
    }
}
