<#
.SYNOPSIS
    KojiStaging build script: one script, clear tasks.
.DESCRIPTION
    Bootstrap  restore NuGet packages and PowerShell tools (Pester) used by the build and tests
    Build      build the module into out/KojiStaging (manifest, format views, MAML help)
    Test       Build, then xUnit (engine) and Pester (cmdlets in a fresh pwsh); ends with "N passed, N failed"
    Demo       Build, then run the embedded staging refresh on this machine (tools/Demo.ps1)
    Package    Build, then publish the module as a .nupkg into the local repository folder out/repository
               (Publish-PSResource), ready for Install-PSResource -Repository <a repository registered on that folder>
    Clean      remove out/ and build outputs
.EXAMPLE
    ./build.sh Test -PesterPath tests/pester/Module.Tests.ps1 -SkipXunit
#>
[CmdletBinding()]
param(
    [ValidateSet('Bootstrap', 'Build', 'Test', 'Demo', 'Package', 'Clean')]
    [string[]] $Task = @('Build'),
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Limits Pester to these test files (default: every tests/pester/*.Tests.ps1).
    [string[]] $PesterPath,
    # Passed to 'dotnet test --filter'.
    [string] $XunitFilter,
    [switch] $SkipXunit,
    [switch] $SkipPester
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out/KojiStaging'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-PesterModulePath {
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    Join-Path $nugetRoot 'pester/5.7.1/tools/Pester.psd1'
}

function Invoke-Bootstrap {
    if (-not (Test-Path (Get-PesterModulePath))) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/Tools.proj'), '--verbosity', 'quiet')
    }
}

function Invoke-Build {
    Invoke-Bootstrap
    Invoke-Native dotnet @('build', (Join-Path $Root 'KojiStaging.sln'), '-c', $Configuration, '--nologo', '-clp:ErrorsOnly')
    if (Test-Path $Out) { Remove-Item $Out -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/KojiStaging/KojiStaging.csproj'), '-c', $Configuration,
        '-o', $Out, '--nologo', '-clp:ErrorsOnly', '-p:GenerateDocumentationFile=false')
    Get-ChildItem $Out -Filter '*.pdb' | Where-Object Name -ne 'KojiStaging.pdb' | Remove-Item
    & (Join-Path $Root 'tools/Build-ModuleLayout.ps1') -Root $Root -OutDir $Out
}
<#
  The Koji fixtures ship in the repository (tests/fixtures/koji), so a clone runs on its own. Tests and the
  demo read KOJISTAGING_FIXTURES, which an operator may set to test against another export.
#>
function Set-FixtureLocation {
    if (-not $env:KOJISTAGING_FIXTURES) { $env:KOJISTAGING_FIXTURES = Join-Path $Root 'tests/fixtures/koji' }
    if (-not (Test-Path -LiteralPath (Join-Path $env:KOJISTAGING_FIXTURES 'koji-prod.sql'))) {
        throw "The Koji fixtures were not found in $env:KOJISTAGING_FIXTURES (KOJISTAGING_FIXTURES names the folder holding koji-prod.sql)."
    }
}

function Invoke-Test {
    Set-FixtureLocation
    Invoke-Build
    $passed = 0; $failed = 0; $skipped = 0
    if (-not $SkipXunit) {
        $results = Join-Path $Root 'out/TestResults'
        if (Test-Path $results) { Remove-Item $results -Recurse -Force }
        $testArgs = @('test', (Join-Path $Root 'tests/KojiStaging.Tests/KojiStaging.Tests.csproj'), '-c', $Configuration,
            '--no-build', '--nologo', '--logger', 'trx;LogFileName=xunit.trx', '--results-directory', $results, '--logger', 'console;verbosity=normal')
        if ($XunitFilter) { $testArgs += @('--filter', $XunitFilter) }
        & dotnet @testArgs | ForEach-Object { if ($_ -match '^\s+(Failed|Skipped) |^\s+Error Message|^Failed!|^Passed!|^\s+Total tests') { $_ } }
        $trx = Join-Path $results 'xunit.trx'
        if (Test-Path $trx) {
            [xml] $x = Get-Content $trx -Raw
            $c = $x.TestRun.ResultSummary.Counters
            $passed += [int] $c.passed; $failed += [int] $c.failed + [int] $c.error + [int] $c.timeout
            $skipped += [int] $c.notExecuted
            Write-Host "xUnit: $($c.passed) passed, $([int] $c.failed + [int] $c.error + [int] $c.timeout) failed"
            foreach ($r in @($x.TestRun.Results.UnitTestResult) | Where-Object outcome -ne 'Passed' | Where-Object outcome -ne 'NotExecuted') {
                Write-Host "  FAILED $($r.testName)"
                if ($r.Output.ErrorInfo.Message) { Write-Host "    $($r.Output.ErrorInfo.Message)" }
            }
        } else { $failed += 1; Write-Host 'xUnit produced no results' }
    }
    if (-not $SkipPester) {
        $paths = if ($PesterPath) { $PesterPath | ForEach-Object { (Resolve-Path $_).Path } } else { @(Join-Path $Root 'tests/pester') }
        $summary = Join-Path $Root 'out/pester-summary.json'
        $script = {
            param($pester, $module, $paths, $summary)
            $ErrorActionPreference = 'Stop'
            Import-Module $pester -MinimumVersion 5.7.1
            $env:KOJISTAGING_MODULE = $module
            $cfg = New-PesterConfiguration
            $cfg.Run.Path = $paths
            $cfg.Run.PassThru = $true
            $cfg.Output.Verbosity = 'Normal'
            $r = Invoke-Pester -Configuration $cfg
            @{ Passed = $r.PassedCount; Failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount; Skipped = $r.SkippedCount } |
                ConvertTo-Json | Set-Content $summary
        }
        if (Test-Path $summary) { Remove-Item $summary }
        # A fresh pwsh without profile: the cmdlets are tested the way an operator loads them.
        $self = [Environment]::GetCommandLineArgs()[0]
        $pwshArgs = @('-NoProfile', '-NonInteractive', '-Command', "& {$script} '$(Get-PesterModulePath)' '$Out/KojiStaging.psd1' @('$($paths -join "','")') '$summary'")
        if ($self -like '*.dll') { $pwshArgs = @($self) + $pwshArgs }   # pwsh runs as 'dotnet pwsh.dll'
        & ([Environment]::ProcessPath) @pwshArgs
        if (Test-Path $summary) {
            $s = Get-Content $summary -Raw | ConvertFrom-Json
            $passed += $s.Passed; $failed += $s.Failed; $skipped += $s.Skipped
        } else { $failed += 1; Write-Host 'Pester produced no results' }
    }
    $line = "$passed passed, $failed failed"
    if ($skipped) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Set-FixtureLocation
    Invoke-Build
    & (Join-Path $Root 'tools/Demo.ps1') -ModulePath (Join-Path $Out 'KojiStaging.psd1')
}

<#
  A PSResourceGet repository is a folder of .nupkg files. The build registers a temporary repository on
  out/repository for the publish and removes the registration again, leaving the user's repositories as they were.
#>
function Invoke-Package {
    Invoke-Build
    $repo = Join-Path $Root 'out/repository'
    New-Item -ItemType Directory -Force $repo | Out-Null
    $version = (Import-PowerShellDataFile (Join-Path $Out 'KojiStaging.psd1')).ModuleVersion
    Remove-Item (Join-Path $repo "KojiStaging.$version.nupkg") -ErrorAction SilentlyContinue
    $name = "KojiStagingBuild$PID"
    Register-PSResourceRepository -Name $name -Uri $repo -Trusted
    try { Publish-PSResource -Path $Out -Repository $name }
    finally { Unregister-PSResourceRepository -Name $name }
    $nupkg = Join-Path $repo "KojiStaging.$version.nupkg"
    if (-not (Test-Path $nupkg)) { throw "Publish-PSResource did not write $nupkg" }
    Write-Host "Package: $nupkg"
}

function Invoke-Clean {
    foreach ($d in @('out') + (Get-ChildItem $Root -Recurse -Directory -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $d) { Remove-Item $d -Recurse -Force }
    }
}

foreach ($t in $Task) { & "Invoke-$t" }
