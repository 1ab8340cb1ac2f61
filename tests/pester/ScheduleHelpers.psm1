# Helpers for the scheduled-resync suites: an installed pwsh and module that another account can run,
# as an operator's host has them (not the build's 'dotnet pwsh.dll' under /root/.nuget).
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

function Install-KojiTestPwsh {
    <# PowerShell installed as a .NET tool in a world-readable folder (once per machine); returns the pwsh path. #>
    $version = $PSVersionTable.PSVersion.ToString()
    $dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-pwsh-$version"
    $pwsh = Join-Path $dir 'pwsh'
    if (-not (Test-Path $pwsh)) {
        $out = & dotnet tool install PowerShell --version $version --tool-path $dir 2>&1
        if ($LASTEXITCODE -ne 0) { throw "dotnet tool install PowerShell $version failed: $out" }
        & chmod -R a+rX $dir
    }
    $pwsh
}

function Copy-KojiTestModule {
    <# The built module copied to a world-readable folder; returns its manifest path. #>
    param([Parameter(Mandatory)] [string] $Destination)
    $src = Split-Path (Get-KojiTestModulePath)
    $target = Join-Path $Destination 'KojiStaging'
    New-Item -ItemType Directory -Force $Destination | Out-Null
    Copy-Item $src $target -Recurse -Force
    & chmod -R a+rX $Destination
    Join-Path $target 'KojiStaging.psd1'
}

function ConvertFrom-KojiTestExecStart {
    <# systemd's unquoting of an ExecStart= line: "…" words, \" and \\ escapes, $$ → $, %% → %. #>
    param([Parameter(Mandatory)] [string] $Service)
    $line = ($Service -split "`n" | Where-Object { $_ -like 'ExecStart=*' }).Substring(10)
    [regex]::Matches($line, '"((?:[^"\\]|\\.)*)"') | ForEach-Object { $_.Groups[1].Value -replace '\\(.)', '$1' -replace '\$\$', '$' -replace '%%', '%' }
}

function Invoke-KojiTestCommandAs {
    <# Runs argv as another account (runuser -u, no login shell), stdin closed; returns ExitCode, Output, Error. #>
    param([Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [string[]] $ArgumentList, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 300)
    $psi = [Diagnostics.ProcessStartInfo]::new('runuser')
    foreach ($a in @('-u', $User, '--') + $ArgumentList) { $psi.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.RedirectStandardInput = $true
    $p = [Diagnostics.Process]::Start($psi)
    $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) { $p.Kill($true); throw "command as $User timed out" }
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result; Error = $err.Result }
}

Export-ModuleMember -Function Install-KojiTestPwsh, Copy-KojiTestModule, ConvertFrom-KojiTestExecStart, Invoke-KojiTestCommandAs
