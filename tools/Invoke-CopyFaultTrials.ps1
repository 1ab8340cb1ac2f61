<#
.SYNOPSIS
    Randomised kill-and-rerun runs for Copy-KojiVolume and Copy-KojiSubset (the long version of the kill tests in
    tests/pester/Copy-KojiVolume.Tests.ps1 and tests/pester/Copy-KojiSubset.Faults.Tests.ps1).
.DESCRIPTION
    Copy-KojiVolume: a generated tree (files of random sizes, a third of them hardlinked into a second directory, symlinks)
    is changed a little (or the destination emptied), mirrored in its own pwsh, SIGKILLed after a random delay, then rerun;
    the destination must equal the source (rsync -naHi finds no difference, the same hardlink groups, no temp files).
    Copy-KojiSubset: a run against the hub emulator is paused at a random named point (KOJISTAGING_TEST_PAUSE_AT) and
    SIGKILLed there; staging must hold nothing or all of the run, and the rerun must leave the rows and files an
    uninterrupted run leaves. Prints a table per cmdlet. Not a test: run it by hand (as root), e.g. after changing a copier.
.EXAMPLE
    ./build.sh Build; dotnet pwsh -NoProfile -File tools/Invoke-CopyFaultTrials.ps1 -VolumeTrials 20 -SubsetTrials 12
#>
param([int] $VolumeTrials = 20, [int] $SubsetTrials = 12, [int] $Seed = (Get-Random))

$ErrorActionPreference = 'Stop'
$pester = Join-Path $PSScriptRoot '../tests/pester'
Import-Module (Join-Path $pester 'TestHelpers.psm1') -Force
Import-Module (Join-Path $pester 'FaultHelpers.psm1') -Force
Import-Module (Get-KojiTestModulePath) -Force
$rng = [Random]::new($Seed)
$dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-copy-trials-$PID")).FullName
Write-Host "Seed $Seed"

function Start-Pwsh([string] $Script, [hashtable] $Environment = @{}) {
    $cmd = Get-FaultPwshCommand
    $psi = [Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$(Get-KojiTestModulePath)'; $Script")) { $psi.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string] $Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $null = $p.StandardOutput.ReadToEndAsync(), $p.StandardError.ReadToEndAsync()
    $p
}
function Get-LinkGroups([string] $path) {
    @(& find $path -type f -links +1 -printf '%i %P\n' | ForEach-Object { $i, $p = $_ -split ' ', 2; [pscustomobject]@{ I = $i; P = $p } } |
        Group-Object I | ForEach-Object { ($_.Group.P | Sort-Object) -join '|' } | Sort-Object) -join "`n"
}

try {
    # --- Copy-KojiVolume ---
    $src = "$dir/vol-src"; $dst = "$dir/vol-dst"
    New-Item -ItemType Directory -Force "$src/packages/a", "$src/packages/signed", "$src/work" | Out-Null
    foreach ($i in 1..600) {
        [IO.File]::WriteAllBytes("$src/packages/a/f$i.rpm", [byte[]]::new($rng.Next(1KB, 512KB)))
        if ($i % 3 -eq 0) { & ln "$src/packages/a/f$i.rpm" "$src/packages/signed/f$i.rpm" }
        if ($i % 50 -eq 0) { & ln -s "../packages/a/f$i.rpm" "$src/work/l$i" }
    }
    $volume = [Collections.Generic.List[object]]::new()
    for ($t = 1; $t -le $VolumeTrials; $t++) {
        # one trial in two starts from an empty destination; every trial has production changed a little first
        if ($rng.Next(2) -eq 0 -and (Test-Path $dst)) { Remove-Item -Recurse -Force $dst }
        foreach ($j in 1..20) {
            [IO.File]::WriteAllBytes("$src/packages/a/new$t-$j.rpm", [byte[]]::new($rng.Next(1KB, 256KB)))
            if ($j % 2) { & ln "$src/packages/a/new$t-$j.rpm" "$src/packages/signed/new$t-$j.rpm" }
            & touch "$src/packages/a/f$($rng.Next(1, 601)).rpm"
        }
        $todo = @(& rsync -naHi --delete --exclude /.kojistaging-volume "$src/" "$dst/" 2>$null).Count
        $delay = $rng.Next(1000, 2400)   # pwsh and the module take about a second to start
        $p = Start-Pwsh "Copy-KojiVolume -Source '$src' -Destination '$dst' -ThrottleLimit $($rng.Next(1, 5)) -Confirm:`$false | Out-Null"
        $finished = $p.WaitForExit($delay)
        if (-not $finished) { $p.Kill($true); $p.WaitForExit() }
        $left = @(& rsync -naHi --delete --exclude /.kojistaging-volume "$src/" "$dst/" 2>$null).Count
        $temps = @(Get-ChildItem -Recurse -Force $dst -Filter '*.kojistaging-tmp' -ErrorAction SilentlyContinue).Count
        $s = Copy-KojiVolume -Source $src -Destination $dst -Confirm:$false
        $diff = @(& rsync -naHi --delete --exclude /.kojistaging-volume "$src/" "$dst/").Count
        $volume.Add([pscustomobject]@{ Trial = $t; KilledAfterMs = ($finished ? $null : $delay); ChangesBefore = $todo; ChangesAfterKill = $left
                TempsAfterKill = $temps; TempsRemoved = $s.TempFilesRemoved; RerunCopied = $s.FilesCopied; Differences = $diff
                LinkGroupsSame = (Get-LinkGroups $src) -eq (Get-LinkGroups $dst); TempsLeft = @(Get-ChildItem -Recurse -Force $dst -Filter '*.kojistaging-tmp').Count; Errors = $s.Errors })
    }
    Write-Host 'Copy-KojiVolume' ; $volume | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $bad = @($volume | Where-Object { $_.Differences -or -not $_.LinkGroupsSame -or $_.TempsLeft -or $_.Errors })
    $mid = @($volume | Where-Object { $_.KilledAfterMs -and $_.ChangesAfterKill -gt 0 -and $_.ChangesAfterKill -lt $_.ChangesBefore })
    Write-Host ("Copy-KojiVolume: {0} trials, {1} killed, {2} of them with part of the work done, {3} reruns not equal to the source" -f
        $volume.Count, @($volume | Where-Object KilledAfterMs).Count, $mid.Count, $bad.Count)

    # --- Copy-KojiSubset ---
    $hub = Start-KojiTestService hub --fixture koji_prod
    try {
        $pg = [pscustomobject]@{ Host = $hub.Pg.Host; Port = $hub.Pg.Port; User = $hub.Pg.User; Password = $hub.Pg.Password }
        $schema = "$dir/schema.sql"
        $env:PGPASSWORD = $pg.Password
        & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_prod -f $schema
        Remove-Item Env:PGPASSWORD
        $tables = 'build', 'rpminfo', 'rpmsigs', 'tag', 'tag_listing', 'package', 'events'
        function Get-RowPrint([string] $Db) {
            ($tables | ForEach-Object { Invoke-KojiTestPsql -Pg $pg -Database $Db -Sql "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM $_ x" }) -join ';'
        }
        function Get-TreePrint([string] $Top) { (& bash -c 'cd "$1" 2>/dev/null && find . -type f ! -name ".kojistaging-part-*" -exec md5sum {} + | LC_ALL=C sort' _ $Top) -join "`n" }
        $common = @{ Hub = $hub.HubUrl; TopUrl = $hub.TopUrl; SigKey = '26e76adc'; Confirm = $false }
        $ref = New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $pg -Database stg_trial_ref) -SchemaPath $schema -Confirm:$false
        'f41', 'f41-updates' | Copy-KojiSubset @common -Destination $ref.Destination -TopDir "$dir/subset-ref" -Summary | Out-Null
        $refRows = Get-RowPrint $ref.Database; $refTree = Get-TreePrint "$dir/subset-ref"
        $points = 'subset:closure-read', 'subset:file-downloaded', 'subset:file-fetched', 'subset:files-fetched', 'subset:rows-written', 'subset:committed'
        $subset = [Collections.Generic.List[object]]::new()
        for ($t = 1; $t -le $SubsetTrials; $t++) {
            $point = $points[$rng.Next($points.Count)]
            $db = "stg_trial_$t"; $top = "$dir/subset-$t"
            $stg = New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $pg -Database $db) -SchemaPath $schema -Confirm:$false
            $vars = @{ KS_DST = (Get-KojiTestConnectionString -Pg $pg -Database $db); KOJISTAGING_TEST_PAUSE_AT = $point; KOJISTAGING_TEST_PAUSE_FILE = "$top.paused" }
            $p = Start-Pwsh "'f41', 'f41-updates' | Copy-KojiSubset -Hub '$($hub.HubUrl)' -TopUrl '$($hub.TopUrl)' -Destination `$env:KS_DST -TopDir '$top' -SigKey 26e76adc -ThrottleLimit $($rng.Next(1, 5)) -Confirm:`$false | Out-Null" $vars
            $paused = Wait-FaultPause -PauseFile "$top.paused" -Process $p
            $p.Kill($true); $p.WaitForExit()
            $deadline = (Get-Date).AddSeconds(20)
            while ((Get-Date) -lt $deadline -and [int] (Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()") -gt 0) { Start-Sleep -Milliseconds 100 }
            $rows = Get-RowPrint $db
            $outcome = if ((Invoke-KojiTestPsql -Pg $pg -Database $db -Sql 'SELECT count(*) FROM build') -eq '0') { 'none' } elseif ($rows -eq $refRows) { 'all' } else { 'partial' }
            $parts = @(Get-ChildItem $top -Recurse -Force -File -Filter '.kojistaging-part-*' -ErrorAction SilentlyContinue).Count
            'f41', 'f41-updates' | Copy-KojiSubset @common -Destination $stg.Destination -TopDir $top -Summary | Out-Null
            $subset.Add([pscustomobject]@{ Trial = $t; Point = $point; Paused = $paused; Outcome = $outcome; PartsAfterKill = $parts
                    RowsSame = (Get-RowPrint $db) -eq $refRows; TreeSame = (Get-TreePrint $top) -eq $refTree
                    PartsLeft = @(Get-ChildItem $top -Recurse -Force -File -Filter '.kojistaging-part-*').Count })
        }
        Write-Host 'Copy-KojiSubset'; $subset | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
        $bad = @($subset | Where-Object { -not $_.Paused -or $_.Outcome -eq 'partial' -or -not $_.RowsSame -or -not $_.TreeSame -or $_.PartsLeft })
        Write-Host ("Copy-KojiSubset: {0} trials, {1} with a partial outcome or a rerun unlike an uninterrupted run" -f $subset.Count, $bad.Count)
    } finally { $hub | Stop-KojiTestService }
} finally { Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue }
