#!/usr/bin/env pwsh
# Koji snapshotter: (1) hub round trips of a real Copy-KojiSubset run over the fixture, with the calls per
# stage, projected to 1,000 builds; (2) file throughput of the subset's fetcher (verify + temp + rename)
# against plain `cp` of the same synthetic RPMs (valid lead + signature header, random payload).
# Usage (after ./build.sh Build): dotnet pwsh -NoProfile -File benchmarks/CopyKojiSubset.Benchmark.ps1 [-Files 100] [-FileMB 2]
param([int] $Files = 100, [int] $FileMB = 2, [int] $ThrottleLimit = 4)
$ErrorActionPreference = 'Stop'
$repo = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $repo 'tests/pester/TestHelpers.psm1') -Force
Import-Module (Join-Path $repo 'out/KojiStaging/KojiStaging.psd1') -Force
$work = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-subset-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
$hub = Start-KojiTestService subsethub --fixture koji_bench
try {
    # ---- (1) round trips ----
    $pg = $hub.Pg
    $env:PGPASSWORD = $pg.Password
    & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_bench -f "$work/schema.sql"
    Remove-Item Env:PGPASSWORD
    $stg = New-KojiStagingDatabase -Destination (Get-KojiTestConnectionString -Pg $pg -Database stg_bench) -SchemaPath "$work/schema.sql" -Confirm:$false
    Invoke-RestMethod -Method Post ($hub.ControlUrl + 'reset') | Out-Null
    $s = 'f41', 'f41-updates', 'f42' | Copy-KojiSubset -Hub $hub.HubUrl -TopUrl $hub.TopUrl -Destination $stg.Destination -TopDir "$work/stg-top" `
        -SigKey 26e76adc, 8cc9b553 -Summary -Confirm:$false
    $stats = Invoke-RestMethod ($hub.ControlUrl + 'stats')
    $rpms = [int] (Invoke-KojiTestPsql -Pg $pg -Database stg_bench -Sql 'SELECT count(*) FROM rpminfo')
    $tags = $s.ClosureTags.Count
    'Copy-KojiSubset f41 f41-updates f42 (2 sig keys): {0} builds, {1} RPM rows, {2} closure tags, {3} rows, {4} files' -f $s.Builds, $rpms, $tags, $s.Rows, $s.Files
    'hub round trips (client count): {0}   (emulator saw {1} forwarded requests; the proxy answers queryHistory of config tables itself)' -f $s.RoundTrips, $stats.RoundTrips
    # Stages: 1 getLastEvent; 2 three calls per tag + getBuildTargets; 3 getTag + 2 queryHistory per closure tag,
    # getBuild per build, queryRPMSigs per RPM (with -SigKey); 4 getUser per user + one per external repo. 5000 calls per round trip.
    foreach ($perBuild in 2.4, 16) {
        $b = 1000; $calls3 = 3 * 10 + $b + [math]::Ceiling($perBuild * $b)
        $trips = 1 + 1 + [math]::Ceiling($calls3 / 5000) + 1
        'projection, 1,000 builds x {0} RPMs, signed, 10 closure tags: {1} round trips ({2} calls in stage 3)' -f $perBuild, $trips, $calls3
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
