# Helpers shared by the Pester suites: real services (PostgreSQL clusters, loopback emulators)
# started as child processes of KojiStaging.TestServices, and a fresh pwsh for out-of-process checks.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-KojiTestModulePath {
    if ($env:KOJISTAGING_MODULE) { return $env:KOJISTAGING_MODULE }
    Join-Path $script:RepoRoot 'out/KojiStaging/KojiStaging.psd1'
}

function Get-KojiTestFixtureDir {
    if ($env:KOJISTAGING_FIXTURES) { return $env:KOJISTAGING_FIXTURES }
    Join-Path $script:RepoRoot 'tests/fixtures/koji'
}

function Start-KojiTestService {
    <#
    .SYNOPSIS
        Starts a test service (pg, hub, ontap, …) and returns its JSON description plus .Process.
        Example: $pg = Start-KojiTestService pg --fixture koji_prod
    #>
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Kind,
        [Parameter(Position = 1, ValueFromRemainingArguments)] [string[]] $ArgumentList
    )
    $dll = Get-ChildItem (Join-Path $script:RepoRoot 'tests/KojiStaging.TestServices/bin') -Recurse -Filter 'KojiStaging.TestServices.dll' |
        Sort-Object LastWriteTime -Descending | Select-Object -First 1
    if (-not $dll) { throw 'KojiStaging.TestServices is not built; run ./build.sh Build first.' }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($dll.FullName)
    $psi.ArgumentList.Add($Kind)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    $line = $p.StandardOutput.ReadLine()
    if (-not $line) {
        $err = $p.StandardError.ReadToEnd()
        throw "Test service '$Kind' did not start: $err"
    }
    $info = $line | ConvertFrom-Json
    $info | Add-Member -NotePropertyName Process -NotePropertyValue $p
    $info
}

function Stop-KojiTestService {
    param([Parameter(Mandatory, ValueFromPipeline)] $Service)
    process {
        if (-not $Service -or -not $Service.Process) { return }
        try { $Service.Process.StandardInput.Close() } catch { }
        if (-not $Service.Process.WaitForExit(60000)) { $Service.Process.Kill($true) }
    }
}

function Invoke-KojiTestPsql {
    <# Runs SQL through psql against a pg test service; returns psql's unaligned output lines. #>
    param(
        [Parameter(Mandatory)] $Pg,
        [Parameter(Mandatory)] [string] $Database,
        [Parameter(Mandatory)] [string] $Sql
    )
    $env:PGPASSWORD = $Pg.Password
    try {
        $out = & psql -X -q -At -v ON_ERROR_STOP=1 -h $Pg.Host -p $Pg.Port -U $Pg.User -d $Database -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
        $out
    } finally { Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue }
}

function Get-KojiTestConnectionString {
    param([Parameter(Mandatory)] $Pg, [Parameter(Mandatory)] [string] $Database, [string] $User, [string] $Password)
    if (-not $User) { $User = $Pg.User; $Password = $Pg.Password }
    "Host=$($Pg.Host);Port=$($Pg.Port);Database=$Database;Username=$User;Password=$Password;Pooling=false"
}

function Invoke-KojiFreshPwsh {
    <#
    .SYNOPSIS
        Runs a script in a new pwsh process (as 'dotnet pwsh.dll' when that is how we run), with the built
        module imported unless -NoImport; returns its output text and exit code.
    #>
    param([Parameter(Mandatory)] [string] $Script, [int] $TimeoutSeconds = 300, [hashtable] $Environment = @{}, [switch] $NoImport)
    $self = [Environment]::GetCommandLineArgs()[0]
    $psi = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ($self -like '*.dll') { $psi.ArgumentList.Add($self) }
    if (-not $NoImport) { $Script = "Import-Module '$(Get-KojiTestModulePath)'; $Script" }
    foreach ($a in @('-NoProfile', '-NonInteractive', '-Command', $Script)) { $psi.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) { $p.Kill($true); throw "fresh pwsh timed out after $TimeoutSeconds s" }
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result; Error = $err.Result }
}

Export-ModuleMember -Function *-KojiTest*, Invoke-KojiFreshPwsh
