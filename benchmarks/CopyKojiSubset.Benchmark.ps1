#!/usr/bin/env pwsh
# Koji snapshotter: (1) hub round trips of real Copy-KojiSubset runs: over the fixture (3 tags, 2 keys), and over
# synthetic prods of -SyntheticBuilds builds of 16 signed RPMs each (Fedora's shape) behind the emulated hub with
# Koji's default 4 MiB MaxRequestLength (-WhatIf: the whole closure is read and written in a rolled-back
# transaction; the synthetic RPM files do not exist); (2) file throughput of the subset's fetcher (verify + temp +
# rename) against plain `cp` of the same synthetic RPMs (valid lead + signature header, random payload).
# Usage (after ./build.sh Build): dotnet pwsh -NoProfile -File benchmarks/CopyKojiSubset.Benchmark.ps1 [-SyntheticBuilds 1000,5000] [-Files 400] [-FileMB 2]
param([string[]] $SyntheticBuilds = @('1000', '5000'), [int] $Files = 400, [int] $FileMB = 2, [int] $ThrottleLimit = 4, [switch] $SkipRoundTrips)
$ErrorActionPreference = 'Stop'
# With pwsh -File, "1000,5000" arrives as one string, which [int[]] would read as 10005000 (a thousands separator).
$SyntheticBuilds = @($SyntheticBuilds -split ',' | Where-Object { $_ } | ForEach-Object { [int] $_ })
$repo = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $repo 'tests/pester/TestHelpers.psm1') -Force
Import-Module (Join-Path $repo 'out/KojiStaging/KojiStaging.psd1') -Force
$work = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-subset-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
$hub = Start-KojiTestService hub --fixture koji_bench
try {
    # ---- (1) round trips ----
    $pg = $hub.Pg
    $env:PGPASSWORD = $pg.Password
    & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_bench -f "$work/schema.sql"
    Remove-Item Env:PGPASSWORD
    function Measure-Subset($Hub, [string[]] $Tags, [string[]] $Keys, [string] $Database, [switch] $WhatIf) {
        $stg = New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $Hub.Pg -Database $Database) -SchemaPath "$work/schema.sql" -Confirm:$false
        Invoke-RestMethod -Method Post ($Hub.ControlUrl + 'reset') | Out-Null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $s = $Tags | Copy-KojiSubset -Hub $Hub.HubUrl -TopUrl $Hub.TopUrl -Destination $stg.Destination -TopDir "$work/$Database-top" `
            -SigKey $Keys -Summary -WhatIf:$WhatIf -Confirm:$false 6>$null
        $stats = Invoke-RestMethod ($Hub.ControlUrl + 'stats')
        $calls = ($stats.Calls.PSObject.Properties | Where-Object Name -ne 'multiCall' | Measure-Object Value -Sum).Sum
        [pscustomobject]@{
            Subset = "$($Tags -join ' ') ($($Keys.Count) key$(if ($Keys.Count -ne 1) { 's' }))"; Builds = $s.Builds; Files = $s.Files
            Calls = $calls; RoundTrips = $s.RoundTrips; 'Trips/1000 builds' = [math]::Round(1000 * $s.RoundTrips / [math]::Max(1, $s.Builds), 2)
            Seconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        }
    }
    if (-not $SkipRoundTrips) {
        $rows = @(Measure-Subset $hub 'f41', 'f41-updates', 'f42' '26e76adc', '8cc9b553' 'stg_fixture')
        foreach ($n in $SyntheticBuilds) {
            $synth = Start-KojiTestService hub --fixture koji_synth --synthetic-builds $n --synthetic-tag "synth-$n"
            try { $rows += Measure-Subset $synth "synth-$n" '5eedf00d' "stg_synth_$n" -WhatIf }
            finally { $synth | Stop-KojiTestService }
        }
        $rows | Format-Table -AutoSize | Out-Host
    }

    # ---- (2) file throughput vs cp ----
    $src = Join-Path $work 'src'
    $template = Get-ChildItem $hub.TopDir -Recurse -Filter '*.noarch.rpm' | Select-Object -First 1
    $lead = [IO.File]::ReadAllBytes($template.FullName)[0..95]
    $rng = [Random]::new(42)
    $requests = [System.Collections.Generic.List[KojiStaging.Engine.Files.RpmFileRequest]]::new()
    for ($i = 0; $i -lt $Files; $i++) {
        $body = [byte[]]::new($FileMB * 1MB); $rng.NextBytes($body)
        $md5 = [Security.Cryptography.MD5]::HashData($body)
        $ms = [IO.MemoryStream]::new()
        $ms.Write($lead, 0, 96)
        $hdr = [byte[]] (0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 20)
        $ms.Write($hdr, 0, 16)
        $be = { param($v) $b = [BitConverter]::GetBytes([int] $v); [Array]::Reverse($b); $b }
        foreach ($e in @(@(1000, 4, 0, 1), @(1004, 7, 4, 16))) { foreach ($v in $e) { $x = & $be $v; $ms.Write($x, 0, 4) } }
        $x = & $be $body.Length; $ms.Write($x, 0, 4); $ms.Write($md5, 0, 16)
        $ms.Write([byte[]]::new(4), 0, 4)   # pad 96+16+32+20 = 164 to 168
        $ms.Write($body, 0, $body.Length)
        $rel = "packages/bench/1/$i.fc41/noarch/bench-1-$i.fc41.noarch.rpm"
        $path = Join-Path $src $rel
        New-Item -ItemType Directory (Split-Path $path) -Force | Out-Null
        [IO.File]::WriteAllBytes($path, $ms.ToArray())
        $hex = ([BitConverter]::ToString($md5) -replace '-').ToLowerInvariant()
        $requests.Add([KojiStaging.Engine.Files.RpmFileRequest]::new($rel, [KojiStaging.Engine.Files.RpmFileExpectation]::new($hex, $ms.Length), $ms.Length, $false))
    }
    $mb = ($requests | Measure-Object EstimatedBytes -Sum).Sum / 1MB
    Get-ChildItem $src -Recurse -File | ForEach-Object { [IO.File]::ReadAllBytes($_.FullName) | Out-Null }   # warm the page cache
    # Each timed step starts after `sync` (no writeback of the previous step's pages in its way); the order alternates.
    $results = foreach ($round in 1..3) {
        Remove-Item "$work/cp", "$work/ours" -Recurse -Force -ErrorAction SilentlyContinue
        & sync
        $timeCp = { Measure-Command { & cp -r $src "$work/cp"; if ($LASTEXITCODE) { throw 'cp failed' } } }
        $timeOurs = {
            $source = [KojiStaging.Engine.Files.RpmFileSource]::FromTopDir($src, [KojiStaging.Engine.Files.FileLinkMode]::Copy)
            $fetcher = [KojiStaging.Engine.Files.RpmFileFetcher]::new($source, "$work/ours", $ThrottleLimit)
            Measure-Command { $fetcher.FetchAllAsync($requests, [KojiStaging.Engine.Diagnostics.EngineScope]::Silent([Threading.CancellationToken]::None), 20).GetAwaiter().GetResult() | Out-Null }
            $source.Dispose()
        }
        if ($round % 2) { $cp = & $timeCp; & sync; $ours = & $timeOurs } else { $ours = & $timeOurs; & sync; $cp = & $timeCp }
        [pscustomobject]@{ Cp = $cp.TotalSeconds; Ours = $ours.TotalSeconds }
    }
    $best = [pscustomobject]@{ Cp = ($results.Cp | Measure-Object -Minimum).Minimum; Ours = ($results.Ours | Measure-Object -Minimum).Minimum }
    ''
    '{0,-44} {1,8} {2,10}' -f "$Files files x $FileMB MiB ($([int]$mb) MiB), best of 3", 'seconds', 'MiB/s'
    '{0,-44} {1,8:0.00} {2,10:0.0}' -f 'cp -r', $best.Cp, ($mb / $best.Cp)
    '{0,-44} {1,8:0.00} {2,10:0.0}' -f "RpmFileFetcher (copy, verify, rename; $ThrottleLimit at a time)", $best.Ours, ($mb / $best.Ours)
    'ratio fetcher/cp throughput: {0:0.00}' -f ($best.Cp / $best.Ours)
}
finally {
    $hub | Stop-KojiTestService
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
