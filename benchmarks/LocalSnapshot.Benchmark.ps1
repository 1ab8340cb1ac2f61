#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Writable copy of a tree: full copy (cp -a) against a local overlay snapshot (New-KojiLocalSnapshot),
    side by side. Needs root (overlay mount). Prints seconds and the ratio; not a timed test.
.EXAMPLE
    ./build.sh Build; sudo pwsh benchmarks/LocalSnapshot.Benchmark.ps1 -Files 2000 -FileSizeKB 128
#>
param(
    [int] $Files = 2000,
    [int] $FileSizeKB = 128,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/KojiStaging/KojiStaging.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$dir = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-bench-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName
try {
    $src = Join-Path $dir prod
    $buf = [byte[]]::new($FileSizeKB * 1KB); [Random]::new(1).NextBytes($buf)
    for ($i = 0; $i -lt $Files; $i++) {
        $d = Join-Path $src ("packages/pkg{0}/1.0/1.fc41/x86_64" -f ($i % 200))
        [IO.Directory]::CreateDirectory($d) | Out-Null
        [IO.File]::WriteAllBytes((Join-Path $d "pkg$i-1.0-1.fc41.x86_64.rpm"), $buf)
    }
    & sync
    $copy = Measure-Command { & cp -a $src (Join-Path $dir copy); & sync }
    $snap = Measure-Command { New-KojiLocalSnapshot -Name bench -Source $src -Root (Join-Path $dir snapshots) | Out-Null }
    $s = Get-KojiLocalSnapshot -Root (Join-Path $dir snapshots) -Name bench
    $write = Measure-Command { Set-Content (Join-Path $s.Path 'packages/pkg0/1.0/1.fc41/x86_64/pkg0-1.0-1.fc41.x86_64.rpm') 'rewritten' }
    $remove = Measure-Command { Remove-KojiLocalSnapshot -Name bench -Root (Join-Path $dir snapshots) -Confirm:$false }
    $mb = [math]::Round($Files * $FileSizeKB / 1KB, 0)
    [pscustomobject]@{ Tree = "$Files files, $mb MiB"; 'cp -a (s)' = [math]::Round($copy.TotalSeconds, 3); 'overlay create (s)' = [math]::Round($snap.TotalSeconds, 3)
        'first write (s)' = [math]::Round($write.TotalSeconds, 3); 'remove (s)' = [math]::Round($remove.TotalSeconds, 3)
        'copy/overlay' = [math]::Round($copy.TotalSeconds / $snap.TotalSeconds, 1) } | Format-List
} finally {
    Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -like "$dir*" } | ForEach-Object { umount -l $_ }
    Remove-Item $dir -Recurse -Force
}
