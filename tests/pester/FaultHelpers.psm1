# Helpers for the fault-injection and Ctrl+C suites: Sync-KojiStagingDb in a separate pwsh (optionally in a real pty
# through tmux), paused at a named point (KOJISTAGING_TEST_PAUSE_AT, see src/KojiStaging.Engine/Diagnostics/PausePoints.cs),
# then SIGKILLed or sent Ctrl+C; and a crash of the staging server (pg_ctl stop -m immediate, then start).
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

function New-FaultSyncScript {
    # The operator's command line, in a script file; connection strings come from the environment (no quoting games).
    param([Parameter(Mandatory)] [string] $Dir)
    $file = Join-Path $Dir 'sync.ps1'
    Set-Content $file @"
if (`$env:KS_SILENT) { `$ProgressPreference = 'SilentlyContinue' }
Import-Module '$(Get-KojiTestModulePath)'
`$extra = @{}
if (`$env:KS_POST) { `$extra.PostSyncSql = `$env:KS_POST }
if (`$env:KS_KEEP) { `$extra.KeepGenerations = [int] `$env:KS_KEEP }
try {
    `$r = Sync-KojiStagingDb -Source `$env:KS_SRC -Destination `$env:KS_DST -Confirm:`$false -ThrottleLimit 2 @extra -ErrorAction Stop
    "SYNC-DONE `$(`$r.Repairs.Count) repairs: `$(`$r.Repairs -join ' | ')"
} catch { "SYNC-ERROR `$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }
"@
    $file
}

function Get-FaultPwshCommand {
    $self = [Environment]::GetCommandLineArgs()[0]
    $exe = [Environment]::ProcessPath
    if ($self -like '*.dll') { @($exe, $self) } else { @($exe) }
}

function Start-FaultSync {
    <# Starts the sync in a new pwsh (no pty) with the environment given; returns the process; output goes to $Dir/out.txt. #>
    param([Parameter(Mandatory)] [string] $Dir, [Parameter(Mandatory)] [hashtable] $Environment)
    $script = New-FaultSyncScript -Dir $Dir
    $cmd = Get-FaultPwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) { $psi.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string] $Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $p | Add-Member -NotePropertyName OutputTask -NotePropertyValue $p.StandardOutput.ReadToEndAsync()
    $p | Add-Member -NotePropertyName ErrorTask -NotePropertyValue $p.StandardError.ReadToEndAsync()
    $p
}

function Wait-FaultPause {
    <# Waits until the sync reports that it paused at the point named in its environment; true when it did. #>
    param([Parameter(Mandatory)] [string] $PauseFile, [int] $TimeoutSeconds = 120, $Process)
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        if ((Test-Path $PauseFile) -and (Get-Content $PauseFile -Raw)) { return $true }
        if ($Process -and $Process.HasExited) { return $false }
        Start-Sleep -Milliseconds 100
    }
    $false
}

function Stop-FaultPg {
    <# Crashes the test cluster (immediate shutdown: no checkpoint, crash recovery at the next start) and starts it again. #>
    param([Parameter(Mandatory)] $Pg)
    $bin = (Get-ChildItem /usr/lib/postgresql/*/bin/pg_ctl | Sort-Object FullName -Descending | Select-Object -First 1).FullName
    $data = Join-Path $Pg.Root 'data'
    $run = { param($a) if ((id -u) -eq '0') { & runuser -u postgres -- $bin @a } else { & $bin @a } }
    & $run @('-D', $data, 'stop', '-m', 'immediate', '-w') | Out-Null
    & $run @('-D', $data, 'start', '-w', '-t', '60', '-l', (Join-Path $Pg.Root 'server.log')) | Out-Null
}

function Start-PtySync {
    <#
    Starts the sync in a real pty (a detached tmux session running bash, which runs pwsh in the foreground), as an
    operator at a terminal would. Returns the session name; $Dir/exit.txt gets "code epoch-seconds" when pwsh exits.
    #>
    param([Parameter(Mandatory)] [string] $Dir, [Parameter(Mandatory)] [hashtable] $Environment)
    $script = New-FaultSyncScript -Dir $Dir
    $cmd = (Get-FaultPwshCommand | ForEach-Object { "'$_'" }) -join ' '
    $exports = ($Environment.Keys | ForEach-Object { "export $_='$($Environment[$_])'" }) -join "`n"
    $runner = Join-Path $Dir 'pty.sh'
    Set-Content $runner @"
$exports
trap 'echo GOT-INT' INT
$cmd -NoProfile -File '$script' > '$Dir/out.txt'
echo "`$? `$(date +%s.%N)" > '$Dir/exit.txt'
sleep 300
"@
    $name = "ks-$PID-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    & tmux new-session -d -s $name -x 200 -y 50 "bash '$runner'"
    $name
}

function Send-PtyCtrlC {
    <# Types Ctrl+C into the pty; returns the epoch time it was sent. #>
    param([Parameter(Mandatory)] [string] $Session)
    $t = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
    & tmux send-keys -t $Session C-c
    $t
}

function Wait-PtyExit {
    <# Waits for pwsh in the pty to exit; returns the epoch time it exited, or $null. #>
    param([Parameter(Mandatory)] [string] $Dir, [int] $TimeoutSeconds = 60)
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        if ((Test-Path "$Dir/exit.txt") -and ($line = Get-Content "$Dir/exit.txt" -Raw)) { return [double] ($line.Trim() -split ' ')[1] }
        Start-Sleep -Milliseconds 100
    }
    $null
}

function Stop-PtySession { param([string] $Session) & tmux kill-session -t $Session 2>$null }

function Wait-PgActivity {
    <# Waits until a statement matching $Like runs on the server (the phase is under way); true when seen. #>
    param([Parameter(Mandatory)] $Pg, [Parameter(Mandatory)] [string] $Like, [int] $TimeoutSeconds = 120)
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        $n = Invoke-KojiTestPsql -Pg $Pg -Database postgres -Sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '$Like' AND pid <> pg_backend_pid()"
        if ([int] $n -gt 0) { return $true }
        Start-Sleep -Milliseconds 100
    }
    $false
}

Export-ModuleMember -Function *-Fault*, *-Pty*, Wait-PgActivity
