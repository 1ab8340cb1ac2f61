<#
.SYNOPSIS
    The embedded default: a whole staging refresh on this machine with nothing to configure.
.DESCRIPTION
    Starts two throw-away PostgreSQL clusters (production holds the fixture database), unpacks the
    fixture's file tree as production's topdir, mounts it read-only at staging's vol/prod (as root; a
    symlink otherwise), runs the secondary-volume strategy and the health checks, prints what an
    operator sees, and removes everything again (mounts, clusters, directories), also on failure.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath -Force
$repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
Import-Module (Join-Path $repo 'tests/pester/TestHelpers.psm1') -Force   # Start-KojiTestService: the throw-away clusters
$fixtures = Get-KojiTestFixtureDir

function Step([string] $text) { Write-Host "`n== $text" -ForegroundColor Cyan }
function Invoke-Checked([string] $file, [string[]] $arguments) {
    $out = & $file @arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$file $($arguments -join ' ') failed: $out" }
}

$isRoot = ((& id -u) -eq '0')
$work = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) "kojistaging-demo-$PID-$(Get-Random)")).FullName
$services = [System.Collections.Generic.List[object]]::new()
$mounts = [System.Collections.Generic.List[string]]::new()
try {
    Step 'Two throw-away PostgreSQL clusters on 127.0.0.1: production (the fixture database) and staging'
    $prod = Start-KojiTestService pg --fixture koji_prod; $services.Add($prod)
    $stg = Start-KojiTestService pg; $services.Add($stg)
    $prodDb = Get-KojiTestConnectionString -Pg $prod -Database koji_prod
    $stgDb = Get-KojiTestConnectionString -Pg $stg -Database koji
    Write-Host "production: $($prod.Host):$($prod.Port)/koji_prod   staging: $($stg.Host):$($stg.Port)/koji"

    Step "Production's file tree, mounted read-only at staging's vol/prod"
    $prodParent = New-Item -ItemType Directory (Join-Path $work 'prod')
    Invoke-Checked tar @('-xzf', (Join-Path $fixtures 'koji-prod-topdir.tar.gz'), '-C', $prodParent.FullName)
    $prodTree = Join-Path $prodParent.FullName 'koji'
    $top = Join-Path $work 'staging/koji'
    foreach ($d in 'packages', 'repos', 'work', 'compose', 'vol') { New-Item -ItemType Directory -Force (Join-Path $top $d) | Out-Null }
    $vol = Join-Path $top 'vol/prod'
    if ($isRoot) {
        New-Item -ItemType Directory $vol | Out-Null
        Invoke-Checked mount @('--bind', $prodTree, $vol); $mounts.Add($vol)
        Invoke-Checked mount @('-o', 'remount,bind,ro', $vol)
        $allowWritable = $false
        Write-Host "mount --bind $prodTree $vol; mount -o remount,bind,ro $vol"
    } else {
        New-Item -ItemType SymbolicLink -Path $vol -Target $prodTree | Out-Null
        $allowWritable = $true
        Write-Warning ("Not root: no read-only bind mount. vol/prod is a plain symlink to a writable tree, so the demo passes " +
            "-AllowWritable and skips the read-only check; on a real staging host mount production's tree read-only there.")
    }

    Step 'Database copy, then the secondary volume'
    $volumeArgs = @{ TopDir = $top; CompatLinks = $true; AllowWritable = $allowWritable; Confirm = $false }
    if (Get-Command Sync-KojiStagingDb -ErrorAction SilentlyContinue) {
        Write-Host 'Sync-KojiStagingDb -Source <prod> -Destination <staging> | Set-KojiSecondaryVolume -TopDir <topdir> -CompatLinks'
        $result = Sync-KojiStagingDb -Source $prodDb -Destination $stgDb -Confirm:$false | Set-KojiSecondaryVolume @volumeArgs
    } else {
        Write-Warning ('Sync-KojiStagingDb is not part of this build yet: loading production''s dump with psql and sanitising it ' +
            'with a few statements instead (sessions, passwords, tokens, sequences, sync marker).')
        Invoke-KojiTestPsql -Pg $stg -Database postgres -Sql 'CREATE DATABASE koji' | Out-Null
        $env:PGPASSWORD = $stg.Password
        try { Invoke-Checked psql @('-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $stg.Host, '-p', $stg.Port, '-U', $stg.User, '-d', 'koji', '-f', (Join-Path $fixtures 'koji-prod.sql')) }
        finally { Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue }
        Add-Type -Path (Join-Path (Split-Path $ModulePath) 'KojiStaging.Engine.dll')   # the marker table as the module defines it
        Invoke-KojiTestPsql -Pg $stg -Database koji -Sql ([KojiStaging.Engine.Database.StagingMarker]::CreateSql) | Out-Null
        Invoke-KojiTestPsql -Pg $stg -Database koji -Sql @"
DELETE FROM sessions; UPDATE users SET password = NULL; UPDATE build_reservations SET token = NULL;
SELECT setval('task_id_seq', 990000000); SELECT setval('repo_id_seq', 990000000);
INSERT INTO kojistaging_marker (kind, module_version, source, event_id, details)
    SELECT 'sync', 'demo', 'Host=$($prod.Host);Port=$($prod.Port);Database=koji_prod', max(id), '{"loader": "psql (demo stand-in)"}' FROM events;
"@ | Out-Null
        Write-Host 'Set-KojiSecondaryVolume -Connection <staging> -TopDir <topdir> -CompatLinks'
        $result = Set-KojiSecondaryVolume -Connection $stgDb @volumeArgs
    }
    $result | Format-List | Out-Host
    Write-Host "compat link: $(Join-Path $top 'packages/hello/2.12.1/2.fc41') -> $((Get-Item (Join-Path $top 'packages/hello/2.12.1/2.fc41')).LinkTarget)"

    Step 'A second run changes nothing'
    $again = Set-KojiSecondaryVolume -Connection $stgDb @volumeArgs
    $again | Select-Object Volume, BuildsRepointed, LinksCreated, AlreadyDone | Format-Table | Out-Host

    Step 'Health checks'
    $checks = $result | Test-KojiStaging -ComposeDir (Join-Path $top 'compose')
    $checks | Format-Table | Out-Host
    if (-not $again.AlreadyDone) { throw 'The second run was expected to find nothing to do.' }
    if ($checks.Status -contains 'Fail') { throw "A health check failed: $(($checks | Where-Object Status -eq 'Fail').Name -join ', ')" }
    Write-Host ("Demo finished in {0:0.0} s: {1} builds served from production's read-only tree." -f $clock.Elapsed.TotalSeconds, $result.BuildsRepointed) -ForegroundColor Green
}
finally {
    foreach ($m in $mounts) { & umount $m 2>$null; if ($LASTEXITCODE -ne 0) { & umount -l $m 2>$null } }
    foreach ($s in $services) { $s | Stop-KojiTestService }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
