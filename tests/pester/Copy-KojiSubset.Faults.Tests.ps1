# Fault injection for Copy-KojiSubset (issues 20, 21): the copy runs in its own pwsh, pauses at a named point
# (KOJISTAGING_TEST_PAUSE_AT, src/KojiStaging.Engine/Diagnostics/PausePoints.cs) and is SIGKILLed there. Staging must
# hold one outcome of the run - nothing of it, or all of it - and the next run must succeed and leave exactly what an
# uninterrupted run leaves: the same rows, the same files, no partial downloads. And a full topdir is reported as
# DestinationFull, with the database unchanged and the run's files taken away.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:hub = Start-KojiTestService hub --fixture koji_prod
    $script:pg = [pscustomobject]@{ Host = $hub.Pg.Host; Port = $hub.Pg.Port; User = $hub.Pg.User; Password = $hub.Pg.Password }
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-subset-faults-$PID")).FullName
    $script:schema = Join-Path $dir 'schema.sql'
    $env:PGPASSWORD = $pg.Password
    & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_prod -f $schema
    Remove-Item Env:PGPASSWORD
    $script:n = 0
    function script:New-Staging {
        $script:n++
        New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $pg -Database "stg_subset_fault_$n") -SchemaPath $schema -Confirm:$false
    }
    $script:tags = 'f41', 'f41-updates'
    $script:common = @{ Hub = $hub.HubUrl; TopUrl = $hub.TopUrl; SigKey = '26e76adc'; Confirm = $false }

    # What a run leaves, as text to compare: every copied table's rows (in a stable order) and every file's path, size and digest.
    $script:tables = 'build', 'rpminfo', 'rpmsigs', 'tag', 'tag_listing', 'tag_inheritance', 'package', 'tag_packages', 'events', 'users'
    function script:Get-RowPrint([string] $Database) {
        foreach ($t in $tables) {
            "$t " + (Invoke-KojiTestPsql -Pg $pg -Database $Database -Sql "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM $t x")
        }
    }
    function script:Get-TreePrint([string] $Top) {
        if (-not (Test-Path $Top)) { return @() }
        @(& bash -c 'cd "$1" && find . -type f -printf "%P %s " -exec md5sum {} \; | awk "{print \$1, \$2, \$3}" | LC_ALL=C sort' _ $Top)
    }
    function script:Get-Parts([string] $Top) { @(Get-ChildItem $Top -Recurse -Force -File -Filter '.kojistaging-part-*' -ErrorAction SilentlyContinue) }

    # The reference: one uninterrupted run.
    $ref = New-Staging
    $script:refTop = Join-Path $dir 'ref'
    $tags | Copy-KojiSubset @common -Destination $ref.Destination -TopDir $refTop -Summary | Out-Null
    $script:refRows = Get-RowPrint $ref.Database
    $script:refTree = Get-TreePrint $refTop
    $script:trials = [Collections.Generic.List[object]]::new()
}
AfterAll {
    if ($trials.Count) { Write-Host ($trials | Format-Table -AutoSize | Out-String -Width 200) }
    $hub | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Copy-KojiSubset killed at <Point>' -ForEach @(
    @{ Point = 'subset:closure-read'; Expect = 'none' }
    @{ Point = 'subset:file-downloaded'; Expect = 'none' }
    @{ Point = 'subset:file-fetched'; Expect = 'none' }
    @{ Point = 'subset:files-fetched'; Expect = 'none' }
    @{ Point = 'subset:rows-written'; Expect = 'none' }
    @{ Point = 'subset:committed'; Expect = 'all' }
) {
    It 'leaves staging with <Expect> of the run, and the rerun equals an uninterrupted run' {
        $stg = New-Staging
        $top = Join-Path $dir "top-$n"
        $trial = (New-Item -ItemType Directory -Force (Join-Path $dir "trial-$n")).FullName
        $script = Join-Path $trial 'subset.ps1'
        Set-Content $script @"
Import-Module '$(Get-KojiTestModulePath)'
'f41', 'f41-updates' | Copy-KojiSubset -Hub `$env:KS_HUB -TopUrl `$env:KS_TOPURL -Destination `$env:KS_DST -TopDir `$env:KS_TOP -SigKey 26e76adc -ThrottleLimit 2 -Summary -Confirm:`$false -ErrorAction Stop
"@
        $cmd = Get-FaultPwshCommand
        $psi = [Diagnostics.ProcessStartInfo]::new($cmd[0])
        foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) { $psi.ArgumentList.Add($a) }
        $vars = @{ KS_HUB = $hub.HubUrl; KS_TOPURL = $hub.TopUrl; KS_DST = (Get-KojiTestConnectionString -Pg $pg -Database $stg.Database); KS_TOP = $top
            KOJISTAGING_TEST_PAUSE_AT = $Point; KOJISTAGING_TEST_PAUSE_FILE = "$trial/paused" }
        foreach ($k in $vars.Keys) { $psi.Environment[$k] = [string] $vars[$k] }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
        $paused = Wait-FaultPause -PauseFile "$trial/paused" -Process $p
        $p.Kill($true)
        $p.WaitForExit()
        $paused | Should -BeTrue -Because "the run must reach $Point ($($out.Result) $($err.Result))"

        # one outcome: nothing of the run in the database, or all of it; never a row naming a file the tree lacks
        # the killed client's session (and its open transaction) ends when the server sees the socket close
        $deadline = (Get-Date).AddSeconds(20)
        while ((Get-Date) -lt $deadline -and [int] (Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$($stg.Database)' AND pid <> pg_backend_pid()") -gt 0) { Start-Sleep -Milliseconds 100 }
        $builds = Invoke-KojiTestPsql -Pg $pg -Database $stg.Database -Sql 'SELECT count(*) FROM build'
        $rowsAfterKill = Get-RowPrint $stg.Database
        $outcome = if ($builds -eq '0') { 'none' } elseif ((Compare-Object $rowsAfterKill $refRows).Count -eq 0) { 'all' } else { 'partial' }
        $treeAfterKill = Get-TreePrint $top
        $extraFiles = @($treeAfterKill | Where-Object { $_ -notlike '*.kojistaging-part-*' -and $_ -notin $refTree }).Count
        $parts = (Get-Parts $top).Count
        if ($Point -eq 'subset:file-downloaded') { $parts | Should -BeGreaterThan 0 -Because 'the kill came between a download and its rename' }

        $rerun = $tags | Copy-KojiSubset @common -Destination $stg.Destination -TopDir $top -Summary
        $rowsSame = (Compare-Object (Get-RowPrint $stg.Database) $refRows).Count -eq 0
        $treeSame = (Compare-Object (Get-TreePrint $top) $refTree).Count -eq 0
        $trials.Add([pscustomobject]@{ Point = $Point; Outcome = $outcome; FilesAfterKill = $treeAfterKill.Count; PartsLeft = $parts
                WrongFiles = $extraFiles; RerunRows = $rerun.Rows; RerunFiles = $rerun.FilesCopied; RowsSame = $rowsSame; TreeSame = $treeSame })

        $outcome | Should -Be $Expect
        $extraFiles | Should -Be 0 -Because 'every file under its real name is a whole, verified file'
        $rowsSame | Should -BeTrue
        $treeSame | Should -BeTrue
        (Get-Parts $top).Count | Should -Be 0 -Because 'the rerun removes partial downloads a killed run left'
        if ($Expect -eq 'all') { $rerun.Rows | Should -Be 0; $rerun.FilesCopied | Should -Be 0 }
    }
}

Describe 'Copy-KojiSubset on a full topdir' {
    It 'reports DestinationFull (not RpmFileVerificationFailed), leaves the database unchanged and takes its files away' {
        $stg = New-Staging
        $plan = $tags | Copy-KojiSubset @common -Destination $stg.Destination -TopDir (Join-Path $dir 'plan') -WhatIf
        $plan.Bytes | Should -BeGreaterThan 16KB
        $fs = (New-Item -ItemType Directory -Force (Join-Path $dir 'small')).FullName
        # room for about half of the files (tmpfs counts whole pages)
        & mount -t tmpfs -o "size=$([math]::Max(8KB, [math]::Floor($plan.Bytes / 2)))" tmpfs $fs
        try {
            $err = { $tags | Copy-KojiSubset @common -Destination $stg.Destination -TopDir "$fs/koji" -ThrottleLimit 1 -ErrorAction Stop } |
                Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'DestinationFull,KojiStaging.Cmdlets.CopyKojiSubsetCommand'
            $err.CategoryInfo.Category | Should -Be LimitsExceeded
            $err.Exception.Message | Should -Match 'No space left in the staging topdir'
            $err.Exception.Message | Should -Match 'The staging database is unchanged; the \d+ files this run had put in place were removed \(0 could not be\)'
            Invoke-KojiTestPsql -Pg $pg -Database $stg.Database -Sql 'SELECT count(*) FROM build' | Should -Be '0'
            @(Get-ChildItem "$fs/koji" -Recurse -Force -File -ErrorAction SilentlyContinue).Count | Should -Be 0
        } finally { & umount $fs }
    }
}
