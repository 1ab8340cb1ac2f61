#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Side-by-side benchmark: Copy-KojiVolume against rsync -aH and cp -a on one generated Koji-shaped tree.
.DESCRIPTION
    Generates packages/N/V/R/<arch>/*.rpm (log-normal sizes, mean about 40 KB), signed copies hardlinked to half
    of the builds' RPMs (data/signed/<key>/<arch>), many small build logs (data/logs/<arch>/*.log) and symlinks
    (relative, absolute, dangling), then times, for each tool on the same tree:
      1. the first copy into an empty destination,
      2. a rerun with nothing changed,
      3. a rerun after touching 1% of the regular files (new mtime, same content).
    cp has no incremental mode; its reruns use cp -a --update (copies what is newer).
    Peak memory is the sum of the VmHWM of the tool's processes (rsync runs three), sampled from /proc every 50 ms
    by a compiled helper thread (a sampler in PowerShell script cost most of a core and slowed the tools it measured).
    Copy-KojiVolume runs in a child pwsh; its time is measured around the cmdlet (the pwsh start-up and module
    import, about a second, are shown separately). Every destination is checked against the source with
    rsync -naHi --delete (no differences allowed). The page cache is not dropped (the machine is shared); each
    timed run starts after sync.
.EXAMPLE
    ./benchmarks/Compare-KojiVolumeCopy.ps1 -FileCount 120000
#>
param(
    [int] $FileCount = 200000,
    [string] $WorkDir = '/tmp/kojistaging-bench',
    [int] $ThrottleLimit = [Environment]::ProcessorCount,
    [ValidateSet('rsync -aH', 'cp -a', 'Copy-KojiVolume')] [string[]] $Tools = @('rsync -aH', 'cp -a', 'Copy-KojiVolume'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/KojiStaging/KojiStaging.psd1'),
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path

Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
public static class KojiBenchTree
{
    [DllImport("libc.so.6", SetLastError = true)] private static extern int link(string from, string to);

    /// <summary>Writes the tree; returns the relative paths of its regular files (one name per inode).</summary>
    public static List<string> Generate(string root, int fileCount, int seed)
    {
        var rnd = new Random(seed);
        var pool = new byte[8 << 20];
        rnd.NextBytes(pool);
        var files = new List<string>();
        string[] arches = { "x86_64", "noarch", "aarch64" };
        int written = 0, build = 0;
        while (written < fileCount)
        {
            var name = "pkg" + (build / 3).ToString("D5");
            var nvr = name + "/" + (1 + build % 3) + ".0/1.fc41";
            var dir = Path.Combine(root, "packages", nvr);
            var arch = arches[build % arches.Length];
            var rpms = new List<string>();
            int nrpm = 1 + (int)Math.Min(7, Math.Abs(Gauss(rnd)) * 3);
            foreach (var a in new[] { arch, "src" })
            {
                Directory.CreateDirectory(Path.Combine(dir, a));
                for (int i = 0; i < (a == "src" ? 1 : nrpm); i++)
                {
                    var rel = "packages/" + nvr + "/" + a + "/" + name + (i == 0 ? "" : "-sub" + i) + "-1.0-1.fc41." + a + ".rpm";
                    Write(root, rel, (long)Math.Min(5 << 20, Math.Exp(Math.Log(20000) + 1.2 * Gauss(rnd))), pool, rnd);
                    rpms.Add(rel); files.Add(rel); written++;
                }
            }
            foreach (var a in arch == "noarch" ? new[] { "noarch" } : new[] { arch, "noarch" })
            {
                Directory.CreateDirectory(Path.Combine(dir, "data/logs", a));
                foreach (var log in new[] { "build.log", "root.log", "state.log", "hw_info.log", "mock_output.log", "installed_pkgs.log" })
                {
                    var rel = "packages/" + nvr + "/data/logs/" + a + "/" + log;
                    Write(root, rel, (long)Math.Min(1 << 20, Math.Exp(Math.Log(1500) + Gauss(rnd))), pool, rnd);
                    files.Add(rel); written++;
                }
            }
            if (build % 2 == 0)
                foreach (var rel in rpms)
                {
                    var arch2 = rel.Split('/')[4];
                    var signed = Path.Combine(dir, "data/signed/26e76adc", arch2);
                    Directory.CreateDirectory(signed);
                    if (link(Path.Combine(root, rel), Path.Combine(signed, Path.GetFileName(rel))) != 0) throw new IOException("link failed: " + Marshal.GetLastWin32Error());
                    written++;
                }
            File.CreateSymbolicLink(Path.Combine(dir, "data/logs/latest"), arch);
            if (build % 50 == 0) File.CreateSymbolicLink(Path.Combine(dir, "data/prod"), "/mnt/koji/packages/" + nvr);
            if (build % 97 == 0) File.CreateSymbolicLink(Path.Combine(dir, "data/dangling"), "../missing/target");
            written++;
            build++;
        }
        return files;
    }

    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static void Write(string root, string rel, long size, byte[] pool, Random rnd)
    {
        using var f = new FileStream(Path.Combine(root, rel), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        while (size > 0)
        {
            var n = (int)Math.Min(size, 1 << 20);
            f.Write(pool, rnd.Next(pool.Length - n + 1), n);
            size -= n;
        }
    }
}

/// <summary>
/// Sums the peak RSS (VmHWM) of a process tree, sampled every 50 ms on a background thread. The kernel keeps
/// each process's high-water mark, so a sample only has to catch a process once before it exits. Compiled,
/// because the same loop in PowerShell script took most of a core and slowed the tools it was measuring.
/// </summary>
public sealed class PeakMemorySampler
{
    private readonly int _root;
    private readonly bool _includeRoot;
    private readonly Dictionary<int, long> _peakKiB = new Dictionary<int, long>();
    private readonly Thread _thread;
    private volatile bool _stop;

    public PeakMemorySampler(int root, bool includeRoot)
    {
        _root = root;
        _includeRoot = includeRoot;
        _thread = new Thread(() => { while (!_stop) { Sample(); Thread.Sleep(50); } }) { IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops sampling (call once the process has exited) and returns the summed peaks in MiB.</summary>
    public double StopMiB()
    {
        _stop = true;
        _thread.Join();
        long sum = 0;
        foreach (var kib in _peakKiB.Values) sum += kib;
        return sum / 1024.0;
    }

    private void Sample()
    {
        var ids = new List<int>();
        if (_includeRoot) ids.Add(_root);
        AddDescendants(_root, ids);
        foreach (var id in ids)
        {
            var kib = HighWaterKiB(id);
            long seen;
            if (kib > 0 && (!_peakKiB.TryGetValue(id, out seen) || kib > seen)) _peakKiB[id] = kib;
        }
    }

    private static void AddDescendants(int id, List<int> into)
    {
        string[] tasks;
        try { tasks = Directory.GetDirectories("/proc/" + id + "/task"); } catch (IOException) { return; } catch (UnauthorizedAccessException) { return; }
        foreach (var task in tasks)
        {
            string children;
            try { children = File.ReadAllText(task + "/children"); } catch (IOException) { continue; }
            foreach (var child in children.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var pid = int.Parse(child);
                into.Add(pid);
                AddDescendants(pid, into);
            }
        }
    }

    private static long HighWaterKiB(int id)
    {
        try
        {
            foreach (var line in File.ReadAllLines("/proc/" + id + "/status"))
                if (line.StartsWith("VmHWM:")) return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
        }
        catch (IOException) { }
        return 0;
    }

}
'@

# Runs a program and reports wall time, CPU time (user+sys of it and its children) and the summed peak RSS of its processes.
# External tools run under bash so `times` can report their children's CPU; bash itself is left out of the memory.
function Measure-Run([string] $file, [string[]] $arguments, [switch] $Direct) {
    & sync
    if (-not $Direct) { $arguments = @('-c', '"$@"; times', 'bash', $file) + $arguments; $file = 'bash' }
    $psi = [Diagnostics.ProcessStartInfo]::new($file)
    foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
    $sampler = [PeakMemorySampler]::new($p.Id, [bool] $Direct)
    $p.WaitForExit()
    $clock.Stop()
    $peakMiB = $sampler.StopMiB()
    if ($p.ExitCode -ne 0) { throw "$file $arguments failed ($($p.ExitCode)): $($err.Result)" }
    $cpu = 0.0
    if (-not $Direct) {
        # times: line 1 = the shell, line 2 = its children, as "0m1.234s 0m0.567s"
        $child = ($out.Result.Trim() -split "`n")[-1]
        foreach ($m in [regex]::Matches($child, '(\d+)m([\d.]+)s')) { $cpu += 60 * [double] $m.Groups[1].Value + [double] $m.Groups[2].Value }
    }
    [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; CpuSeconds = $cpu; PeakMiB = $peakMiB; Output = $out.Result; Error = $err.Result }
}

function Invoke-Tool([string] $tool, [string] $phase, [string] $src, [string] $dst) {
    switch ($tool) {
        'rsync -aH' { Measure-Run 'rsync' @('-aH', '--delete', "$src/", "$dst/") }
        'cp -a' {
            if ($phase -eq 'first') { Measure-Run 'cp' @('-a', "$src/.", $dst) } else { Measure-Run 'cp' @('-a', '--update', "$src/.", $dst) }
        }
        'Copy-KojiVolume' {
            $pwsh = [Environment]::ProcessPath; $self = [Environment]::GetCommandLineArgs()[0]
            $script = "Import-Module '$ModulePath'; `$me = [Diagnostics.Process]::GetCurrentProcess(); `$cpu = `$me.TotalProcessorTime; `$c = [Diagnostics.Stopwatch]::StartNew(); `$s = Copy-KojiVolume -Source '$src' -Destination '$dst' -Delete -Force -ThrottleLimit $ThrottleLimit -ProgressAction SilentlyContinue; `$c.Stop(); `$me.Refresh(); '{0} {1} {2} {3} {4}' -f `$c.Elapsed.TotalSeconds, (`$me.TotalProcessorTime - `$cpu).TotalSeconds, `$s.FilesCopied, `$s.FilesLinked, `$s.Errors"
            $r = Measure-Run $pwsh (@(if ($self -like '*.dll') { $self }) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -Direct
            $f = ($r.Output.Trim() -split '\s+')
            if ($f.Count -ne 5 -or [int] $f[4] -ne 0) { throw "Copy-KojiVolume failed: $($r.Output) $($r.Error)" }
            $r | Add-Member Startup ($r.Seconds - [double] $f[0]); $r | Add-Member Copied ([long] $f[2])
            $r.Seconds = [double] $f[0]; $r.CpuSeconds = [double] $f[1]; $r
        }
    }
}

function Assert-Identical([string] $src, [string] $dst) {
    $diff = & rsync -naHi --delete --exclude /.kojistaging-volume "$src/" "$dst/"
    if ($diff) { throw "destination $dst differs from the source:`n$(($diff | Select-Object -First 20) -join "`n")" }
}

New-Item -ItemType Directory -Force $WorkDir | Out-Null
$src = Join-Path $WorkDir 'src'
$stamp = Join-Path $WorkDir "generated-$FileCount"
if (-not (Test-Path $stamp)) {
    Remove-Item -Recurse -Force $src -ErrorAction SilentlyContinue
    Write-Host "Generating a Koji-shaped tree of about $FileCount entries in $src ..."
    $t = [Diagnostics.Stopwatch]::StartNew()
    $files = [KojiBenchTree]::Generate($src, $FileCount, 42)
    $files | Set-Content (Join-Path $WorkDir 'files.txt')
    New-Item $stamp | Out-Null
    Write-Host ("  generated in {0:N0} s" -f $t.Elapsed.TotalSeconds)
}
$files = Get-Content (Join-Path $WorkDir 'files.txt')
$entries = [long] (& find $src -mindepth 1 | Measure-Object).Count
$bytes = [long] ((& du -sb $src) -split '\s+')[0]
$regular = [long] (& find $src -type f -links 1 | Measure-Object).Count
$multi = [long] (& find $src -type f -links +1 | Measure-Object).Count
$links = [long] (& find $src -type l | Measure-Object).Count
Write-Host ("Tree: {0:N0} entries ({1:N0} single-link files, {2:N0} names of hardlinked files, {3:N0} symlinks), {4:N1} MiB; {5} cores, ThrottleLimit {6}" -f `
        $entries, $regular, $multi, $links, ($bytes / 1MB), [Environment]::ProcessorCount, $ThrottleLimit)

$touch = @(for ($i = 0; $i -lt $files.Count; $i += 100) { Join-Path $src $files[$i] })
$results = [ordered]@{}
$dst = @{}
foreach ($tool in $Tools) {
    $results[$tool] = @{}
    $dst[$tool] = Join-Path $WorkDir ('dst-' + ($tool -replace '\W', ''))
    Remove-Item -Recurse -Force $dst[$tool] -ErrorAction SilentlyContinue
    if ($tool -ne 'cp -a') { New-Item -ItemType Directory $dst[$tool] | Out-Null }
}
# phases interleave the tools, so a change in the machine's load hits all of them alike
foreach ($phase in 'first', 'rerun', 'touched') {
    if ($phase -eq 'touched') {
        $when = [DateTime]::UtcNow
        foreach ($f in $touch) { [IO.File]::SetLastWriteTimeUtc($f, $when) }
    }
    foreach ($tool in $Tools) {
        $r = Invoke-Tool $tool $phase $src $dst[$tool]
        $results[$tool][$phase] = $r
        if ($tool -ne 'cp -a' -and $phase -ne 'rerun') { Assert-Identical $src $dst[$tool] }
        Write-Host ("{0,-18} {1,-8} {2,8:N2} s  CPU {3,8:N2} s  peak {4,6:N0} MiB  (load {5})" -f $tool, $phase, $r.Seconds, $r.CpuSeconds, $r.PeakMiB, ((Get-Content /proc/loadavg) -split ' ')[0])
    }
}
if (-not $Keep) { foreach ($d in $dst.Values) { Remove-Item -Recurse -Force $d } }

$names = @{ first = 'first copy'; rerun = 'no-change rerun'; touched = 'rerun, 1% touched' }
$rows = foreach ($phase in 'first', 'rerun', 'touched') {
    $row = [ordered]@{ Phase = $names[$phase] }
    foreach ($tool in $results.Keys) { $row["$tool s"] = [math]::Round($results[$tool][$phase].Seconds, 2) }
    foreach ($tool in $results.Keys) { $row["$tool CPU s"] = [math]::Round($results[$tool][$phase].CpuSeconds, 2) }
    foreach ($tool in $results.Keys) { $row["$tool MiB"] = [math]::Round($results[$tool][$phase].PeakMiB) }
    if ($results.Contains('Copy-KojiVolume')) {
        $ours = $results['Copy-KojiVolume'][$phase]
        foreach ($tool in @($results.Keys | Where-Object { $_ -ne 'Copy-KojiVolume' })) {
            $row["speed-up vs $tool"] = '{0:N1}x' -f ($results[$tool][$phase].Seconds / $ours.Seconds)
        }
    }
    [pscustomobject] $row
}
$rows | Format-List | Out-String -Width 200 | Write-Host
if ($results.Contains('Copy-KojiVolume')) {
    $o = $results['Copy-KojiVolume']
    $pwsh = [Environment]::ProcessPath; $self = [Environment]::GetCommandLineArgs()[0]
    $idle = Measure-Run $pwsh (@(if ($self -like '*.dll') { $self }) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Get-Command Copy-KojiVolume; Start-Sleep -Milliseconds 500")) -Direct
    Write-Host ("Copy-KojiVolume peak memory includes the pwsh host: an idle pwsh with the module imported peaks at {0:N0} MiB, so the copy itself added {1:N0} / {2:N0} / {3:N0} MiB (first / rerun / touched)" -f `
            $idle.PeakMiB, ($o.first.PeakMiB - $idle.PeakMiB), ($o.rerun.PeakMiB - $idle.PeakMiB), ($o.touched.PeakMiB - $idle.PeakMiB))
    Write-Host ("Copy-KojiVolume: pwsh start-up + module import {0:N2} s per run (not in its times); {1:N0} files copied on the 1% rerun" -f $o.first.Startup, $o.touched.Copied)
}
$rows
