# New/Get/Remove-NetAppSnapshot against the loopback ONTAP emulator (real HTTPS with a self-signed certificate).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:ontap = Start-KojiTestService ontap
    $script:cred = [pscredential]::new($ontap.User, (ConvertTo-SecureString $ontap.Password -AsPlainText -Force))
    $script:on = @{ Cluster = $ontap.Cluster; Credential = $cred; SkipCertificateCheck = $true }
    function script:Get-EmulatorState { Invoke-RestMethod -SkipCertificateCheck "$($ontap.ControlUrl)/state" }
    function script:Add-EmulatorFault([string] $Operation, [string] $Mode = 'job_failure', [string] $Message, [string] $Code) {
        $body = @{ operation = $Operation; mode = $Mode }
        if ($Message) { $body.message = $Message }
        if ($Code) { $body.code = $Code }
        Invoke-RestMethod -SkipCertificateCheck -Method Post "$($ontap.ControlUrl)/faults" -Body ($body | ConvertTo-Json) -ContentType application/json | Out-Null
    }
    function script:Get-ProdSnapshots { ((Get-EmulatorState).volumes | Where-Object name -eq koji_prod).snapshots }
}
AfterAll { $ontap | Stop-KojiTestService }

Describe 'New-NetAppSnapshot' {
    It 'creates a tagged snapshot, an export policy and a mounted clone, and records the synced event from the pipeline' {
        $sync = [pscustomobject]@{ SyncedEvent = 166; Server = '127.0.0.1:5432'; Database = 'koji' }
        $s = $sync | New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_stg -ExportClient 10.0.0.0/24, stg01

        $s.Clone | Should -Be koji_stg
        $s.ParentVolume | Should -Be koji_prod
        $s.JunctionPath | Should -Be /koji_stg
        $s.MountSource | Should -Be '127.0.0.1:/koji_stg'
        $s.SyncedEvent | Should -Be 166
        $s.Provider | Should -Be ontap
        $s.Created | Should -BeOfType [datetimeoffset]
        $state = Get-EmulatorState
        $clone = $state.volumes | Where-Object name -eq koji_stg
        $clone.export_policy | Should -Be kojistaging_koji_stg
        (Get-ProdSnapshots | Where-Object name -eq $s.Snapshot).comment | Should -Match 'synced-event=166'
        $rule = ($state.export_policies | Where-Object name -eq kojistaging_koji_stg).rules[0]
        $rule.clients.match | Should -Be @('10.0.0.0/24', 'stg01')
        $rule.protocols | Should -Be @('nfs')
    }

    It 'verifies the TLS certificate unless -SkipCertificateCheck' {
        { New-NetAppSnapshot -Cluster $ontap.Cluster -Credential $cred -Svm svm1 -Volume koji_prod -CloneName koji_tls -ErrorAction Stop } |
            Should -Throw -ErrorId 'OntapCertificateUntrusted,KojiStaging.Cmdlets.NewNetAppSnapshotCommand'
    }

    It 'reports a wrong password as an authentication failure without echoing it' {
        $bad = [pscredential]::new($ontap.User, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $err = { Get-NetAppSnapshot -Cluster $ontap.Cluster -Credential $bad -SkipCertificateCheck -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'OntapAuthenticationFailed,*'
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }

    It 'rolls back the export policy and the snapshot when the clone job fails in the middle' {
        $before = @(Get-ProdSnapshots).Count
        Add-EmulatorFault clone_create job_failure 'Insufficient space in aggregate aggr1 to create the clone.' 917900
        $err = { New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_fail -ExportClient 10.0.0.0/24 -ErrorAction Stop } | Should -Throw -PassThru

        $err.FullyQualifiedErrorId | Should -BeLike 'OntapJobFailed,*'
        $err.Exception.Message | Should -Match 'Insufficient space in aggregate aggr1'
        $err.Exception.Message | Should -Match '917900'
        $state = Get-EmulatorState
        @(Get-ProdSnapshots).Count | Should -Be $before
        $state.volumes.name | Should -Not -Contain koji_fail
        $state.export_policies.name | Should -Not -Contain kojistaging_koji_fail
    }

    It 'rolls back the snapshot when ONTAP refuses the export policy, quoting its message and code' {
        $before = @(Get-ProdSnapshots).Count
        Add-EmulatorFault export_policy_create error 'Export policy limit reached.' 1703955
        $err = { New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_fail2 -ExportClient 10.0.0.0/24 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'OntapError,*'
        $err.Exception.Message | Should -Match 'Export policy limit reached.*1703955'
        @(Get-ProdSnapshots).Count | Should -Be $before
    }

    It 'completes -Svm and -Volume from the cluster' {
        $line = "New-NetAppSnapshot -Cluster $($ontap.Cluster) -Credential `$cred -SkipCertificateCheck -Svm svm1 -Volume koji_p"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('koji_prod')
        $line = "Get-NetAppSnapshot -Cluster $($ontap.Cluster) -Credential `$cred -SkipCertificateCheck -Svm s"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('svm1')
    }

    It 'shows the REST calls with -WhatIf and makes none' {
        $before = @((Get-EmulatorState).requests).Count
        $r = Invoke-KojiFreshPwsh "`$c = [pscredential]::new('$($ontap.User)', (ConvertTo-SecureString '$($ontap.Password)' -AsPlainText -Force)); New-NetAppSnapshot -Cluster $($ontap.Cluster) -Credential `$c -SkipCertificateCheck -Svm svm1 -Volume koji_prod -CloneName koji_whatif -ExportClient 10.0.0.0/24 -WhatIf"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match 'POST /api/storage/volumes \{'
        $r.Output | Should -Match 'POST /api/protocols/nfs/export-policies'
        $r.Output | Should -Not -Match $ontap.Password
        @((Get-EmulatorState).requests).Count | Should -Be $before
    }
}

Describe 'Get-NetAppSnapshot and Remove-NetAppSnapshot' {
    BeforeAll {
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_full -ExportClient 10.0.0.0/24 | Out-Null
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_fresh | Out-Null
        # koji_full has grown: 90 GiB used of 95 GiB left after the 5% snapshot reserve of 100 GiB.
        Invoke-RestMethod -SkipCertificateCheck -Method Post "$($ontap.ControlUrl)/space" -ContentType application/json -Body (@{ volume = 'koji_full'; used = 90GB; size = 100GB } | ConvertTo-Json) | Out-Null
        Invoke-RestMethod -SkipCertificateCheck -Method Post "$($ontap.ControlUrl)/space" -ContentType application/json -Body (@{ volume = 'koji_fresh'; used = 1GB; size = 100GB } | ConvertTo-Json) | Out-Null
    }

    It 'lists only the module''s clones, with space and age, unless -IncludeForeign' {
        $mine = Get-NetAppSnapshot @on -Svm svm1
        # ForEach-Object, not $mine.Clone: member enumeration would find Array.Clone() first.
        $mine | ForEach-Object Clone | Should -Contain koji_full
        $mine | ForEach-Object Clone | Should -Not -Contain dev_clone1
        ($mine | Where-Object Clone -eq koji_full).SpaceUsedPercent | Should -BeGreaterThan 80
        ($mine | Where-Object Clone -eq koji_fresh).SpaceUsedPercent | Should -BeLessThan 80
        ($mine | Where-Object Clone -eq koji_full).Age | Should -BeOfType [timespan]
        Get-NetAppSnapshot @on -Svm svm1 -IncludeForeign | ForEach-Object Clone | Should -Contain dev_clone1
        ((Get-EmulatorState).requests -match 'start.index=').Count | Should -BeGreaterThan 0
    }

    It 'rotates: Get | Where-Object SpaceUsedPercent -gt 80 | Remove removes exactly the full clone' {
        Get-NetAppSnapshot @on -Svm svm1 | Where-Object SpaceUsedPercent -gt 80 | Remove-NetAppSnapshot -Credential $cred -SkipCertificateCheck -Confirm:$false
        $state = Get-EmulatorState
        $state.volumes.name | Should -Not -Contain koji_full
        $state.volumes.name | Should -Contain koji_fresh
        $state.export_policies.name | Should -Not -Contain kojistaging_koji_full
        @(Get-ProdSnapshots | Where-Object name -like 'kojistaging_koji_full_*').Count | Should -Be 0
    }

    It 'refuses a clone the module did not make unless -Force' {
        { Remove-NetAppSnapshot @on -Svm svm1 -Clone dev_clone1 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OntapNotManaged,KojiStaging.Cmdlets.RemoveNetAppSnapshotCommand'
        (Get-EmulatorState).volumes.name | Should -Contain dev_clone1
    }

    It 'keeps a snapshot that still backs another clone and says it is busy' {
        $first = New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_a
        New-NetAppSnapshot @on -Svm svm1 -Volume koji_prod -CloneName koji_b -SnapshotName $first.Snapshot | Out-Null
        Remove-NetAppSnapshot @on -Svm svm1 -Clone koji_a -Confirm:$false -ErrorVariable busy -ErrorAction SilentlyContinue
        $busy[0].FullyQualifiedErrorId | Should -BeLike 'OntapSnapshotBusy,*'
        (Get-EmulatorState).volumes.name | Should -Not -Contain koji_a
        (Get-ProdSnapshots).name | Should -Contain $first.Snapshot
        Remove-NetAppSnapshot @on -Svm svm1 -Clone koji_b -Confirm:$false
        (Get-ProdSnapshots).name | Should -Not -Contain $first.Snapshot
    }
}
