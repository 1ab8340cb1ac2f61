<#
.SYNOPSIS
    Set-KojiSecondaryVolume's re-point against a bare UPDATE of the same rows, at Fedora's scale.
.DESCRIPTION
    Starts a throw-away PostgreSQL cluster holding the Koji fixture, scales the build table up to
    -Builds synthetic builds (state mix of a real hub: mostly COMPLETE, some FAILED, CANCELED, DELETED,
    BUILDING) with -ListingsPerBuild active tag_listing rows each, and a few READY repos. Each round clones
    that database twice and times, side by side:
      bare    psql: UPDATE build SET volume_id = <prod> WHERE volume_id = 0 AND state = 1 AND create_event <= E
      cmdlet  Set-KojiSecondaryVolume -SampleSize 0 (checks, plan, the same UPDATE, repo expiry, marker, one transaction)
    The tree check's 200-build sample query is timed separately.
    and prints the ratio cmdlet / bare. Not a timed test: run it by hand.
.EXAMPLE
    ./build.sh Build; dotnet pwsh benchmarks/SecondaryVolume.Benchmark.ps1 -Builds 2700000
#>
param(
    [int] $Builds = 2700000,
    [int] $ListingsPerBuild = 2,
    [int] $Rounds = 2,
    [string] $ModulePath
)
$ErrorActionPreference = 'Stop'
$repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
if (-not $ModulePath) { $ModulePath = Join-Path $repo 'out/KojiStaging/KojiStaging.psd1' }
Import-Module $ModulePath -Force
Import-Module (Join-Path $repo 'tests/pester/TestHelpers.psm1') -Force

$start = [Diagnostics.Stopwatch]::StartNew()
$pg = Start-KojiTestService pg --fixture koji_prod
Write-Host ("cluster with the fixture started in {0:0} s" -f $start.Elapsed.TotalSeconds)
$tree = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-bench-vol-$PID")).FullName
try {
    New-Item -ItemType Directory (Join-Path $tree 'top'), (Join-Path $tree 'prod/packages') -Force | Out-Null
    $gen = [Diagnostics.Stopwatch]::StartNew()
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql 'CREATE DATABASE bench_template TEMPLATE koji_fixture_template' | Out-Null
    Invoke-KojiTestPsql -Pg $pg -Database bench_template -Sql @"
INSERT INTO package (id, name) SELECT 1000 + g, 'pkg' || g FROM generate_series(1, 60000) g;
INSERT INTO build (id, volume_id, pkg_id, version, release, create_event, state, owner, completion_time)
SELECT 1000 + g, 0, 1000 + (g % 60000) + 1, (g / 60000)::text, '1.fc41', 1 + (g % 160),
       s.state, 1 + (g % 8), CASE WHEN s.state = 0 THEN NULL ELSE now() END
FROM generate_series(1, $Builds) g,
     LATERAL (SELECT CASE WHEN g % 100 < 90 THEN 1 WHEN g % 100 < 94 THEN 3 WHEN g % 100 < 97 THEN 4 WHEN g % 100 < 99 THEN 2 ELSE 0 END AS state) s;
INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id, active)
SELECT 1000 + g, 1 + ((g + k) % 8), 1 + (g % 160), 1, true FROM generate_series(1, $Builds) g, generate_series(1, $ListingsPerBuild) k;
INSERT INTO repo (id, create_event, tag_id, state) SELECT t, 160, t, 1 FROM generate_series(1, 8) t;
CREATE TABLE kojistaging_marker (id bigserial PRIMARY KEY, kind text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    module_version text NOT NULL, source text, event_id integer, details jsonb NOT NULL DEFAULT '{}');
INSERT INTO kojistaging_marker (kind, module_version, event_id) VALUES ('sync', 'bench', 150);
INSERT INTO volume (name) VALUES ('prod_bare');
"@ | Out-Null
    Invoke-KojiTestPsql -Pg $pg -Database bench_template -Sql 'VACUUM ANALYZE' | Out-Null
    $count = Invoke-KojiTestPsql -Pg $pg -Database bench_template -Sql 'SELECT count(*) FROM build WHERE volume_id = 0 AND state = 1 AND create_event <= 150'
    $size = Invoke-KojiTestPsql -Pg $pg -Database bench_template -Sql "SELECT pg_size_pretty(pg_database_size('bench_template'))"
    Write-Host ("{0:N0} builds ({1:N0} to move), {2:N0} tag_listing rows, database {3}; generated in {4:0} s" -f ($Builds + 24), [long] $count, ($Builds * $ListingsPerBuild), $size, $gen.Elapsed.TotalSeconds)

    $results = foreach ($round in 1..$Rounds) {
        foreach ($kind in @(if ($round % 2) { 'bare', 'cmdlet' } else { 'cmdlet', 'bare' })) {
            $db = "bench_${kind}_$round"
            Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE DATABASE $db TEMPLATE bench_template" | Out-Null
            Invoke-KojiTestPsql -Pg $pg -Database $db -Sql 'CHECKPOINT' | Out-Null
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $update = $null
            if ($kind -eq 'bare') {
                Invoke-KojiTestPsql -Pg $pg -Database $db -Sql "UPDATE build SET volume_id = (SELECT id FROM volume WHERE name = 'prod_bare') WHERE volume_id = 0 AND state = 1 AND create_event <= 150" | Out-Null
                $sw.Stop()
                $update = $sw.Elapsed.TotalSeconds
                $n = [long] (Invoke-KojiTestPsql -Pg $pg -Database $db -Sql "SELECT count(*) FROM build b JOIN volume v ON v.id = b.volume_id WHERE v.name = 'prod_bare'")
            } else {
                $r = Set-KojiSecondaryVolume -Connection (Get-KojiTestConnectionString -Pg $pg -Database $db) -TopDir (Join-Path $tree 'top') `
                    -Path (Join-Path $tree 'prod') -AllowWritable -SampleSize 0 -Confirm:$false -WarningAction SilentlyContinue
                $n = $r.BuildsRepointed
                $update = $r.RepointDuration.TotalSeconds
                Remove-Item (Join-Path $tree 'top/vol') -Recurse -Force
            }
            $sw.Stop()
            Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "DROP DATABASE $db" | Out-Null
            [pscustomobject]@{ Round = $round; Kind = $kind; Rows = $n; UpdateSeconds = [math]::Round($update, 2); TotalSeconds = [math]::Round($sw.Elapsed.TotalSeconds, 2) }
        }
    }
    $results | Format-Table | Out-Host
    # The tree check's sample query (-SampleSize 200) runs before the transaction; timed on its own here.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-KojiTestPsql -Pg $pg -Database bench_template -Sql "SELECT b.id FROM build b JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id WHERE b.state = 1 AND b.create_event <= 150 AND v.name IN ('DEFAULT', 'prod') ORDER BY random() LIMIT 200" | Out-Null
    Write-Host ("sample of 200 builds for the tree check: {0:0.00} s" -f $sw.Elapsed.TotalSeconds)
    $bare = ($results | Where-Object Kind -eq 'bare' | Measure-Object TotalSeconds -Average).Average
    $inner = ($results | Where-Object Kind -eq 'cmdlet' | Measure-Object UpdateSeconds -Average).Average
    $cmdlet = ($results | Where-Object Kind -eq 'cmdlet' | Measure-Object TotalSeconds -Average).Average
    Write-Host ("bare UPDATE (psql) {0:0.00} s | the cmdlet's re-point UPDATE {1:0.00} s (ratio {2:0.00}) | whole Set-KojiSecondaryVolume {3:0.00} s (ratio {4:0.00})" -f $bare, $inner, ($inner / $bare), $cmdlet, ($cmdlet / $bare))
}
finally {
    $pg | Stop-KojiTestService
    Remove-Item -Recurse -Force $tree -ErrorAction SilentlyContinue
}
