# Register-/Unregister-KojiStagingResync: the systemd units and cron entries they write, checked by
# systemd's own tools, refused when the account could not run them, and the command in them actually run
# as the account they name (an unprivileged one: nobody) with an installed pwsh.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ScheduleHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath)
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-schedule-$PID"
    New-Item -ItemType Directory -Force "$dir/units", "$dir/cron", "$dir/run" | Out-Null
    & chmod 755 $dir; & chown nobody "$dir/run"
    $script:pwsh = Install-KojiTestPwsh
    $script:mod = Copy-KojiTestModule "$dir/modules"
    # A configuration whose only step cannot reach its server: the scheduled command must exit 1.
    $script:cfg = Join-Path $dir "night's run.psd1"
    "@{ Name = 'nightly'; LockPath = '$dir/run/nightly.lock'; HistoryPath = '$dir/run/nightly.history.jsonl'; Steps = @( @{ Strategy = 'Status'; Connection = 'Host=127.0.0.1;Port=1;Database=koji;Timeout=2' } ) }" | Set-Content -LiteralPath $cfg
    $script:as = @{ User = 'nobody'; PwshPath = $pwsh; Module = $mod; Confirm = $false }
    $script:hasSystemd = [bool] (Get-Command systemd-analyze -ErrorAction SilentlyContinue)
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Register-KojiStagingResync (systemd)' {
    BeforeAll {
        $script:reg = Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/units" @as -WarningAction SilentlyContinue
        $script:service = Get-Content "$dir/units/kojistaging-resync-nightly.service" -Raw
        $script:timer = Get-Content "$dir/units/kojistaging-resync-nightly.timer" -Raw
    }

    It 'writes a oneshot, sandboxed service that runs the installed pwsh with the module' {
        $reg.Kind | Should -Be 'Systemd'
        $reg.Files.Path | Should -Be @("$dir/units/kojistaging-resync-nightly.service", "$dir/units/kojistaging-resync-nightly.timer")
        foreach ($l in 'Type=oneshot', 'User=nobody', 'Environment=KOJISTAGING_LOG_JOURNAL=1', 'Environment=NO_COLOR=1', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
            'ProtectHome=read-only', 'PrivateTmp=yes', 'LogsDirectory=kojistaging', 'StateDirectory=kojistaging', 'TimeoutStartSec=43200s', "ReadWritePaths=`"-$dir/run`"") {
            $service | Should -Match "(?m)^$([regex]::Escape($l))$"
        }
        ($service -split "`n" | Where-Object { $_ -like 'ReadWritePaths=*' }).Count | Should -Be 1 -Because 'lock and history share one directory; nothing else is written'
        $line = ($service -split "`n" | Where-Object { $_ -like 'ExecStart=*' })
        $line | Should -BeLike "ExecStart=`"$pwsh`" `"-NoProfile`" `"-NonInteractive`" `"-Command`" `"Import-Module *"
        $line | Should -BeLike "*Import-Module '$mod'; Invoke-KojiStagingResync -Path '$($cfg.Replace("'", "''"))' -Confirm:`$`$false *> `$`$null; exit `$`$LASTEXITCODE`"*"
    }

    It 'writes a persistent timer for the schedule' {
        $timer | Should -Match '(?m)^OnCalendar=Sun \*-\*-\* 03:00:00$'
        $timer | Should -Match '(?m)^Persistent=true$'
        $timer | Should -Match '(?m)^Unit=kojistaging-resync-nightly\.service$'
        $timer | Should -Match '(?m)^WantedBy=timers\.target$'
    }

    It 'passes systemd-analyze verify, and security rates it at most 4.0' {
        if (-not $hasSystemd) { Set-ItResult -Inconclusive -Because 'systemd-analyze is not installed'; return }
        $out = & systemd-analyze verify "$dir/units/kojistaging-resync-nightly.service" "$dir/units/kojistaging-resync-nightly.timer" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        # the one remark allowed: the test runs as nobody for want of a dedicated account (the cmdlet warns about it too)
        $out | Where-Object { $_ -notmatch 'Special user nobody configured' } | Out-String | Should -Not -Match 'nightly\.(service|timer):\d+:'
        $sec = (& systemd-analyze security --offline=true --no-pager "$dir/units/kojistaging-resync-nightly.service" 2>&1) -join "`n"
        $sec -match 'Overall exposure level for kojistaging-resync-nightly\.service: (\d+\.\d)' | Should -BeTrue -Because $sec
        $exposure = [double] $Matches[1]
        Write-Host "systemd-analyze security exposure: $exposure"
        $exposure | Should -BeLessOrEqual 4.0 -Because $sec
    }

    It 'has an ExecStart that really runs the resync as nobody and returns its exit code' {
        $words = ConvertFrom-KojiTestExecStart $service
        $r = Invoke-KojiTestCommandAs -User nobody -ArgumentList $words -Environment @{ KOJISTAGING_LOG_JOURNAL = '1'; NO_COLOR = '1' }
        $r.ExitCode | Should -Be 1 -Because 'the only step cannot reach its server'
        $r.Error | Should -Match '(?m)^<3>\[Resync\] Step 1/1 failed .*PgUnreachable'
        # stdout and stderr are the journal: only prefixed log lines, each once, no colour
        $r.Output | Should -BeNullOrEmpty
        $lines = $r.Error -split "`n" | Where-Object { $_ }
        $lines | Where-Object { $_ -notmatch '^<[0-7]>\[' } | Should -BeNullOrEmpty
        $r.Error | Should -Not -Match "`e"
        $lines | Group-Object | Where-Object Count -gt 1 | ForEach-Object Name | Should -BeNullOrEmpty
        (Get-Content "$dir/run/nightly.history.jsonl" | ConvertFrom-Json | Select-Object -Last 1).exitCode | Should -Be 1
    }

    It 'refuses an unknown user, a user with a newline and a malformed user name, writing nothing' -ForEach @(
        @{ User = 'nosuchuser'; Id = 'ScheduleUserNotFound' }, @{ User = "root`nExecStartPre=/bin/sh -c id"; Id = 'ScheduleValueInvalid' }, @{ User = "ko ji'x"; Id = 'ScheduleUserInvalid' }
    ) {
        $p = $as.Clone(); $p.User = $User
        { Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/refused" @p } | Should -Throw -ErrorId "$Id*"
        Test-Path "$dir/refused" | Should -BeFalse
    }

    It 'refuses a pwsh or a module the account cannot read (under a 0700 directory)' {
        $private = New-Item -ItemType Directory -Force "$dir/private"
        & chmod 700 $private
        Copy-Item $pwsh "$private/pwsh"
        $p = $as.Clone(); $p.PwshPath = "$private/pwsh"
        { Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/refused" @p } | Should -Throw -ErrorId 'ScheduleCommandUnusable*' -ExpectedMessage '*as nobody it cannot execute it*'
        Copy-Item (Split-Path $mod) "$private/KojiStaging" -Recurse
        $p = $as.Clone(); $p.Module = "$private/KojiStaging/KojiStaging.psd1"
        { Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/refused" @p } | Should -Throw -ErrorId 'ScheduleCommandUnusable*' -ExpectedMessage '*cannot read the module*'
        Test-Path "$dir/refused" | Should -BeFalse
    }

    It 'warns when it would run as root without -User' {
        $p = $as.Clone(); $p.Remove('User')
        Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/asroot" @p -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w -join "`n" | Should -Match "will run as root: give -User"
        Get-Content "$dir/asroot/kojistaging-resync-nightly.service" -Raw | Should -Not -Match '(?m)^User='
    }

    It 'accepts an OnCalendar expression and refuses a bad one without writing anything' {
        $r = Register-KojiStagingResync -Path $cfg -Schedule '*-*-1,15 04:30:00' -UnitDirectory "$dir/units2" @as -WarningAction SilentlyContinue
        $r.When | Should -Be '*-*-1,15 04:30:00'
        { Register-KojiStagingResync -Path $cfg -Schedule 'every full moon' -UnitDirectory "$dir/units3" @as } | Should -Throw -ErrorId 'ScheduleInvalid*'
        Test-Path "$dir/units3" | Should -BeFalse
    }

    It 'validates calendar expressions like systemd does' -ForEach @(
        @{ E = 'Sat *-*-* 02:00:00' }, @{ E = 'Mon..Fri 22:30' }, @{ E = '*-*-01 03:00:00' }, @{ E = 'weekly' }, @{ E = '2026-12-24 18:00' },
        @{ E = '*-*-* *:0/15' }, @{ E = 'Sun *-*-* 25:00:00' }, @{ E = 'every full moon' }, @{ E = 'Sat,Sun 10:00 UTC' }, @{ E = '03:00' }
    ) {
        if (-not $hasSystemd) { Set-ItResult -Inconclusive -Because 'systemd-analyze is not installed'; return }
        & systemd-analyze calendar $E *> $null
        $systemdSays = $LASTEXITCODE -eq 0
        $ours = [KojiStaging.Engine.Operations.ResyncSchedule]::IsOnCalendar($E)
        if ($E -eq 'Sun *-*-* 25:00:00') { $ours | Should -BeTrue -Because 'our fallback checks syntax, not ranges'; $systemdSays | Should -BeFalse }
        else { $ours | Should -Be $systemdSays }
    }

    It 'writes nothing with -WhatIf' {
        Register-KojiStagingResync -Path $cfg -Schedule monthly -UnitDirectory "$dir/whatif" -User nobody -PwshPath $pwsh -Module $mod -WhatIf
        Test-Path "$dir/whatif" | Should -BeFalse
    }

    It 'removes the units with Unregister-KojiStagingResync (by name or by config)' {
        Unregister-KojiStagingResync -Name nightly -UnitDirectory "$dir/units" -Confirm:$false
        Get-ChildItem "$dir/units" | Should -BeNullOrEmpty
        Unregister-KojiStagingResync -Path $cfg -UnitDirectory "$dir/units2" -Confirm:$false
        Get-ChildItem "$dir/units2" | Should -BeNullOrEmpty
        Unregister-KojiStagingResync -Name nightly -UnitDirectory "$dir/units" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ScheduleNotFound*'
    }
}

Describe 'Register-KojiStagingResync -Cron' {
    It 'writes a cron.d entry that runs as the user, logs its output and mails only a failure' {
        $r = Register-KojiStagingResync -Path $cfg -Schedule monthly -Cron -UnitDirectory "$dir/cron" -CronLogPath "$dir/run/nightly.cron.log" -MailTo ops@example.org @as
        $r.Kind | Should -Be 'Cron'
        $text = Get-Content "$dir/cron/kojistaging-resync-nightly" -Raw
        $text | Should -Match '(?m)^MAILTO=ops@example\.org$'
        $line = $text -split "`n" | Where-Object { $_ -match '^0 3 1 \* \* nobody ' }
        $line | Should -Not -BeNullOrEmpty
        # cron hands everything after the user field to /bin/sh (with \% → %), as that user
        $command = ($line -replace '^0 3 1 \* \* nobody ', '') -replace '\\%', '%'
        $run = Invoke-KojiTestCommandAs -User nobody -ArgumentList @('sh', '-c', $command)
        $run.Output | Should -Match "KojiStaging resync nightly failed with exit code 1; see $([regex]::Escape("$dir/run/nightly.cron.log"))"
        Get-Content "$dir/run/nightly.cron.log" -Raw | Should -Match 'PgUnreachable|cannot be reached'
    }

    It 'refuses a calendar expression and out-of-range fields (61 2 * * *), accepts five cron fields' {
        foreach ($bad in 'Sat *-*-* 02:00:00', '61 2 * * *') {
            { Register-KojiStagingResync -Path $cfg -Schedule $bad -Cron -UnitDirectory "$dir/cron2" -CronLogPath "$dir/run/x.log" @as } | Should -Throw -ErrorId 'ScheduleInvalid*'
        }
        Test-Path "$dir/cron2" | Should -BeFalse
        (Register-KojiStagingResync -Path $cfg -Schedule '30 2 * * 6' -Cron -UnitDirectory "$dir/cron2" -CronLogPath "$dir/run/x.log" @as).When | Should -Be '30 2 * * 6'
    }

    It 'refuses a cron log the user cannot write' {
        { Register-KojiStagingResync -Path $cfg -Schedule monthly -Cron -UnitDirectory "$dir/cron3" -CronLogPath "$dir/private/x.log" @as } | Should -Throw -ErrorId 'ScheduleCommandUnusable*'
    }

    It 'is removed by Unregister-KojiStagingResync -Cron' {
        Unregister-KojiStagingResync -Name nightly -Cron -UnitDirectory "$dir/cron" -Confirm:$false
        Test-Path "$dir/cron/kojistaging-resync-nightly" | Should -BeFalse
    }
}
