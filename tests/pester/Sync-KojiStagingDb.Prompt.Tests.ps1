# The confirmation prompt as an operator meets it: Sync-KojiStagingDb runs in a real pty (tmux) without -Confirm:$false,
# the prompt on the terminal (stdout is the pty), waits at ShouldProcess, and while the question is on the screen production holds nothing open for it (no session on the
# prod database, so no snapshot, no idle-in-transaction xmin holding back vacuum). The answer is typed after a pause, and
# the Duration the sync reports leaves that pause out.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-prompt-$PID")).FullName
    function script:Start-PromptedSync([string] $Answer) {
        $trial = (New-Item -ItemType Directory -Force (Join-Path $dir $Answer)).FullName
        Set-Content "$trial/sync.ps1" @"
Import-Module '$(Get-KojiTestModulePath)'
`$r = Sync-KojiStagingDb -Source `$env:KS_SRC -Destination `$env:KS_DST -ThrottleLimit 2
Set-Content `$env:KS_OUT (`$r ? "DURATION `$(`$r.Duration.TotalSeconds)" : 'NO-RESULT')
"@
        $cmd = (Get-FaultPwshCommand | ForEach-Object { "'$_'" }) -join ' '
        Set-Content "$trial/pty.sh" @"
export KS_SRC='$(Get-KojiTestConnectionString -Pg $pg -Database koji_prod)'
export KS_DST='$(Get-KojiTestConnectionString -Pg $pg -Database "koji_prompt_$Answer")'
export KS_OUT='$trial/out.txt'
$cmd -NoProfile -File '$trial/sync.ps1'
echo "`$? `$(date +%s.%N)" > '$trial/exit.txt'
sleep 300
"@
        $name = "ks-prompt-$PID-$Answer"
        & tmux new-session -d -s $name -x 200 -y 50 "bash '$trial/pty.sh'"
        [pscustomobject]@{ Session = $name; Dir = $trial; Live = "koji_prompt_$Answer" }
    }
    function script:Wait-Prompt([string] $Session, [int] $TimeoutSeconds = 120) {
        $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
        while ((Get-Date) -lt $deadline) {
            if ((& tmux capture-pane -p -t $Session) -match '\[Y\] Yes') { return $true }
            Start-Sleep -Milliseconds 200
        }
        $false
    }
    function script:Get-ProdSessions {
        Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) || ' ' || count(backend_xmin) FROM pg_stat_activity WHERE datname = 'koji_prod' AND pid <> pg_backend_pid()"
    }
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-KojiStagingDb asks before it opens production' {
    It 'holds no session on prod while the prompt waits, copies after Yes, and Duration leaves the wait out' {
        $started = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
        $s = Start-PromptedSync -Answer y
        try {
            Wait-Prompt $s.Session | Should -BeTrue -Because ((& tmux capture-pane -p -t $s.Session) -join "`n")
            Start-Sleep -Seconds 5
            Get-ProdSessions | Should -Be '0 0'
            & tmux send-keys -t $s.Session 'Y' Enter
            $exited = Wait-PtyExit -Dir $s.Dir -TimeoutSeconds 120
            $exited | Should -Not -BeNullOrEmpty
            $wall = $exited - $started   # pwsh start to exit, 5 s of it spent at the prompt
            $out = Get-Content "$($s.Dir)/out.txt" -Raw
            $out | Should -Match 'DURATION ([0-9.]+)'
            [double] ($out -replace '(?s).*DURATION ([0-9.]+).*', '$1') | Should -BeLessThan ($wall - 5)
            Invoke-KojiTestPsql -Pg $pg -Database $s.Live -Sql 'SELECT max(id) FROM events' | Should -Be 166
        } finally { Stop-PtySession $s.Session }
    }

    It 'changes nothing and leaves no database behind when the answer is No' {
        $s = Start-PromptedSync -Answer n
        try {
            Wait-Prompt $s.Session | Should -BeTrue
            Get-ProdSessions | Should -Be '0 0'
            & tmux send-keys -t $s.Session 'N' Enter
            Wait-PtyExit -Dir $s.Dir -TimeoutSeconds 60 | Should -Not -BeNullOrEmpty
            Get-Content "$($s.Dir)/out.txt" -Raw | Should -Match 'NO-RESULT'
            Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'koji_prompt_n%'" | Should -Be 0
        } finally { Stop-PtySession $s.Session }
    }
}
