# Register-/Unregister-KojiStagingResync: the systemd units and cron entries they write, checked by
# systemd's own tools, and the command in them actually run.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    Import-Module $module
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-schedule-$PID"
    New-Item -ItemType Directory -Force "$dir/units", "$dir/cron" | Out-Null
    # A configuration whose only step cannot reach its server: the scheduled command must exit 1.
    $script:cfg = Join-Path $dir "night's run.psd1"
    "@{ Name = 'nightly'; LockPath = '$dir/nightly.lock'; Steps = @( @{ Strategy = 'Status'; Connection = 'Host=127.0.0.1;Port=1;Database=koji;Timeout=2' } ) }" | Set-Content -LiteralPath $cfg
    $script:hasSystemd = [bool] (Get-Command systemd-analyze -ErrorAction SilentlyContinue)
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Register-KojiStagingResync (systemd)' {
    BeforeAll {
        $script:reg = Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/units" -User koji -Confirm:$false -WarningAction SilentlyContinue
        $script:service = Get-Content "$dir/units/kojistaging-resync-nightly.service" -Raw
        $script:timer = Get-Content "$dir/units/kojistaging-resync-nightly.timer" -Raw
    }

    It 'writes a oneshot service that runs the resync with this module and exits with its code' {
        $reg.Kind | Should -Be 'Systemd'
        $reg.Files.Path | Should -Be @("$dir/units/kojistaging-resync-nightly.service", "$dir/units/kojistaging-resync-nightly.timer")
        $service | Should -Match '(?m)^Type=oneshot$'
        $service | Should -Match '(?m)^User=koji$'
        $service | Should -Match '(?m)^Environment=KOJISTAGING_LOG_JOURNAL=1$'
        $line = ($service -split "`n" | Where-Object { $_ -like 'ExecStart=*' })
        $line | Should -BeLike '*"-NoProfile" "-NonInteractive" "-Command" "Import-Module *'
        $line | Should -BeLike "*Import-Module '$module'; Invoke-KojiStagingResync -Path '$($cfg.Replace("'", "''"))' -Confirm:`$`$false; exit `$`$LASTEXITCODE`"*"
    }

    It 'writes a persistent timer for the schedule' {
        $timer | Should -Match '(?m)^OnCalendar=Sun \*-\*-\* 03:00:00$'
        $timer | Should -Match '(?m)^Persistent=true$'
        $timer | Should -Match '(?m)^Unit=kojistaging-resync-nightly\.service$'
        $timer | Should -Match '(?m)^WantedBy=timers\.target$'
    }

    It 'passes systemd-analyze verify' {
        if (-not $hasSystemd) { Set-ItResult -Inconclusive -Because 'systemd-analyze is not installed'; return }
        $out = & systemd-analyze verify "$dir/units/kojistaging-resync-nightly.service" "$dir/units/kojistaging-resync-nightly.timer" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out -join "`n" | Should -Not -Match 'nightly\.(service|timer):\d+:'
    }

    It 'has an ExecStart that really runs the resync and returns its exit code' {
        # systemd's unquoting of our ExecStart: "…" words, \" and \\ escapes, $$ → $
        $line = ($service -split "`n" | Where-Object { $_ -like 'ExecStart=*' }).Substring(10)
        $words = [regex]::Matches($line, '"((?:[^"\\]|\\.)*)"') | ForEach-Object { $_.Groups[1].Value -replace '\\(.)', '$1' -replace '\$\$', '$' -replace '%%', '%' }
        $psi = [Diagnostics.ProcessStartInfo]::new($words[0])
        foreach ($w in $words | Select-Object -Skip 1) { $psi.ArgumentList.Add($w) }
        $psi.RedirectStandardError = $true; $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi)
        $err = $p.StandardError.ReadToEnd(); $null = $p.StandardOutput.ReadToEnd(); $p.WaitForExit()
        $p.ExitCode | Should -Be 1 -Because 'the only step cannot reach its server'
        $err | Should -Match 'PgUnreachable|cannot be reached'
    }

    It 'accepts an OnCalendar expression and refuses a bad one without writing anything' {
        $r = Register-KojiStagingResync -Path $cfg -Schedule '*-*-1,15 04:30:00' -UnitDirectory "$dir/units2" -Confirm:$false -WarningAction SilentlyContinue
        $r.When | Should -Be '*-*-1,15 04:30:00'
        { Register-KojiStagingResync -Path $cfg -Schedule 'every full moon' -UnitDirectory "$dir/units3" -Confirm:$false } | Should -Throw -ErrorId 'ScheduleInvalid*'
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
        Register-KojiStagingResync -Path $cfg -Schedule monthly -UnitDirectory "$dir/whatif" -WhatIf
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
    It 'writes a cron.d entry whose command runs the resync' {
        $r = Register-KojiStagingResync -Path $cfg -Schedule monthly -Cron -UnitDirectory "$dir/cron" -Confirm:$false
        $r.Kind | Should -Be 'Cron'
        $text = Get-Content "$dir/cron/kojistaging-resync-nightly" -Raw
        $line = $text -split "`n" | Where-Object { $_ -match '^0 3 1 \* \* root ' }
        $line | Should -Not -BeNullOrEmpty
        # cron hands everything after the user field to /bin/sh (with \% → %)
        $command = ($line -replace '^0 3 1 \* \* root ', '') -replace '\\%', '%'
        & sh -c $command 2>$null | Out-Null
        $LASTEXITCODE | Should -Be 1
    }

    It 'refuses a calendar expression for cron and accepts five fields' {
        { Register-KojiStagingResync -Path $cfg -Schedule 'Sat *-*-* 02:00:00' -Cron -UnitDirectory "$dir/cron2" -Confirm:$false } | Should -Throw -ErrorId 'ScheduleInvalid*'
        (Register-KojiStagingResync -Path $cfg -Schedule '30 2 * * 6' -Cron -UnitDirectory "$dir/cron2" -Confirm:$false).When | Should -Be '30 2 * * 6'
    }

    It 'is removed by Unregister-KojiStagingResync -Cron' {
        Unregister-KojiStagingResync -Name nightly -Cron -UnitDirectory "$dir/cron" -Confirm:$false
        Test-Path "$dir/cron/kojistaging-resync-nightly" | Should -BeFalse
    }
}
