#!/usr/bin/env pwsh
# Koji hub client: round trips and time for 1,000 reads one by one vs through multiCall, and the streaming
# XML-RPC reader's throughput vs loading the same answer into a DOM (XDocument) without even mapping it.
# Usage (after ./build.sh Build): dotnet pwsh -NoProfile -File benchmarks/KojiHubClient.Benchmark.ps1 [-Calls 1000]
param([int] $Calls = 1000, [int] $Rows = 20000)
$ErrorActionPreference = 'Stop'
$repo = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $repo 'tests/pester/TestHelpers.psm1') -Force
Import-Module (Join-Path $repo 'out/KojiStaging/KojiStaging.psd1') -Force
Add-Type -Path (Join-Path $repo 'out/KojiStaging/KojiStaging.Engine.dll')
$hub = Start-KojiTestService hub --fixture koji_bench
try {
    $client = [KojiStaging.Engine.Koji.Hub.KojiHubClient]::new([Uri] $hub.HubUrl)
    $none = [System.Threading.CancellationToken]::None
    $client.CallAsync('getAPIVersion', [object[]] @(), $null, $none).GetAwaiter().GetResult() | Out-Null  # warm up
    $start = $client.RoundTrips
    $single = Measure-Command {
        for ($i = 0; $i -lt $Calls; $i++) {
            $client.CallAsync('getBuild', [object[]] @(($i % 24) + 1), $null, $none).GetAwaiter().GetResult() | Out-Null
        }
    }
    $singleTrips = $client.RoundTrips - $start
    $list = [System.Collections.Generic.List[KojiStaging.Engine.Koji.Hub.KojiCall]]::new()
    for ($i = 0; $i -lt $Calls; $i++) { $list.Add([KojiStaging.Engine.Koji.Hub.KojiCall]::new('getBuild', [object[]] @(($i % 24) + 1), $null)) }
    $start = $client.RoundTrips
    $multi = Measure-Command { $client.MultiCallAsync($list, $none).GetAwaiter().GetResult() | Out-Null }
    $multiTrips = $client.RoundTrips - $start
    '{0,-34} {1,10} {2,12}' -f "$Calls x getBuild", 'round trips', 'seconds'
    '{0,-34} {1,10} {2,12:0.000}' -f 'one call per round trip', $singleTrips, $single.TotalSeconds
    '{0,-34} {1,10} {2,12:0.000}' -f 'MultiCallAsync (batch 500)', $multiTrips, $multi.TotalSeconds
    'ratio single/multi time: {0:0.0}x   round trips per 1,000 calls: {1:0.0}' -f ($single.TotalSeconds / $multi.TotalSeconds), ($multiTrips * 1000 / $Calls)

    # reader throughput on a synthetic listTaggedRPMS-like answer
    $row = [ordered]@{ arch = 'x86_64'; build_id = 9; buildroot_id = $null; buildtime = 1736121600; draft = $false; epoch = $null
        extra = $null; id = 20; metadata_only = $false; name = 'hello'; payloadhash = '678a26b96d6fde536cdb8ebf89b47577'
        release = '2.fc41'; size = 8293; version = '2.12.1' }
    $dict = [System.Collections.Generic.Dictionary[string, object]]::new()
    foreach ($k in $row.Keys) { $dict[$k] = $row[$k] }
    $xml = [KojiStaging.Engine.Koji.XmlRpc.XmlRpcWriter]::Response([object[]] (1..$Rows | ForEach-Object { $dict }))
    $bytes = [Text.Encoding]::UTF8.GetBytes($xml)
    $mb = $bytes.Length / 1MB
    $ours = Measure-Command { 1..3 | ForEach-Object {
        $ms = [IO.MemoryStream]::new($bytes)
        [KojiStaging.Engine.Koji.XmlRpc.XmlRpcReader]::ReadResponseAsync($ms, $none).GetAwaiter().GetResult() | Out-Null } }
    $dom = Measure-Command { 1..3 | ForEach-Object {
        $ms = [IO.MemoryStream]::new($bytes)
        [System.Xml.Linq.XDocument]::Load($ms) | Out-Null } }
    ''
    $label = 'XmlRpcReader ({0} structs, {1:0.0} MB)' -f $Rows, $mb
    '{0,-34} {1,10:0.0} MB/s' -f $label, (3 * $mb / $ours.TotalSeconds)
    '{0,-34} {1,10:0.0} MB/s' -f 'XDocument.Load (DOM only)', (3 * $mb / $dom.TotalSeconds)
    'ratio reader/DOM throughput: {0:0.00}' -f ($dom.TotalSeconds / $ours.TotalSeconds)
    $client.Dispose()
}
finally { $hub | Stop-KojiTestService }
