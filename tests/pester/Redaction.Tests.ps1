# Issue 21, hole 4: a password is masked whole — every alias of the key, spaces, quotes and semicolons —
# through every output path: -WhatIf, Verbose, Debug, the log file, the journal, error records, the marker, units.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_red
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-redact-$PID")).FullName
    # A password with spaces, a semicolon and both quotes; every word of it is searched for in the output.
    $script:secret = "Sp ace;Semi 'Quo`"te $([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $script:words = $secret -split "[ ;'`"]" | Where-Object Length -ge 4
    Invoke-KojiTestPsql -Pg $pg -Database postgres -Sql "CREATE ROLE red_user LOGIN SUPERUSER PASSWORD '$($secret.Replace("'", "''"))'" | Out-Null
    $base = "Host=127.0.0.1;Port=$($pg.Port);Database=koji_red;Username=red_user"
    # Npgsql quoting: a value with both quote kinds is double-quoted with "" escapes.
    $quoted = '"' + $secret.Replace('"', '""') + '"'
    $script:aliases = [ordered]@{ Password = "$base;Password=$quoted"; PSW = "$base;PSW=$quoted"; Pwd = "$base;Pwd=$quoted" }
    function script:Assert-Clean([string] $Text, [string] $What) {
        foreach ($w in $words) { $Text.Contains($w) | Should -BeFalse -Because "'$w' of the password must not reach $What" }
    }
    function script:ConvertTo-Psd1String([string] $s) { "'" + $s.Replace("'", "''") + "'" }
}
AfterAll {
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Secrets never reach output' {
    # Every alias is covered by the xUnit SecretRedactorTests; here the output paths, with the alias the hostile test used.
    It 'the <_> alias: -WhatIf, Verbose, Debug, log file, journal and marker of a resync stay clean' -ForEach @('PSW') {
        $cs = $aliases[$_]
        $cfg = Join-Path $dir "red-$_.psd1"
        @"
@{
  Name = 'red$_'
  LockPath = '$dir/red-$_.lock'
  LogPath = '$dir/red-$_.log'
  LogJournal = `$true
  Steps = @(
    @{ Strategy = 'Sql'; Connection = $(ConvertTo-Psd1String $cs); Query = 'UPDATE build SET state = 4 WHERE id = 2' }
    @{ Strategy = 'Status'; Connection = $(ConvertTo-Psd1String $cs) }
  )
}
"@ | Set-Content $cfg
        $plan = Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -WhatIf; exit `$LASTEXITCODE"
        $plan.ExitCode | Should -Be 0
        $plan.Output | Should -Match "Invoke-KojiStagingSql .*-Connection '.*Database=koji_red.*\*\*\*"
        Assert-Clean ($plan.Output + $plan.Error) '-WhatIf'

        $run = Invoke-OpsPwsh -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false -Verbose -Debug; exit `$LASTEXITCODE"
        $run.ExitCode | Should -Be 0 -Because ($run.Output + $run.Error)
        $run.Output | Should -Match 'VERBOSE: '
        $run.Error | Should -Match '<6>'   # the journal lines
        $log = Get-Content "$dir/red-$_.log" -Raw
        $log | Should -Match 'Step 1/2 started: Invoke-KojiStagingSql'
        Assert-Clean ($run.Output + $run.Error) 'Verbose, Debug and the journal'
        Assert-Clean $log 'the log file'
        Assert-Clean (Invoke-KojiTestPsql -Pg $pg -Database koji_red -Sql "SELECT string_agg(coalesce(source, '') || details::text, ' ') FROM kojistaging_marker") 'the marker'
    }

    It 'error records of a failed run and a refused login stay clean' {
        $wrong = $aliases.PSW.Replace('Sp ace', 'Wr ong')
        $r = Invoke-OpsPwsh -Script @"
Import-Module '$module'
try { Invoke-KojiStagingSql -Connection '$($aliases.PSW.Replace("'", "''"))' -Query 'SELECT 1/0' -Confirm:`$false -ErrorAction Stop } catch { `$_ | Format-List * -Force | Out-String -Width 400; `$_.Exception.Message; `$_.Exception | Format-List * -Force | Out-String -Width 400 }
try { Get-KojiStagingStatus -Connection '$($wrong.Replace("'", "''"))' -ErrorAction Stop } catch { `$_ | Format-List * -Force | Out-String -Width 400; `$_.Exception.Message }
try { Sync-KojiStagingDb -Source '$($aliases.Pwd.Replace("'", "''"))' -Destination 'postgresql://red_user:$([uri]::EscapeDataString($secret))@127.0.0.1:$($pg.Port)/koji_red' -WhatIf -ErrorAction Stop -Verbose -Debug } catch { `$_ | Format-List * -Force | Out-String -Width 400 }
"@
        $r.Output | Should -Match 'StagingSqlFailed'
        $r.Output | Should -Match 'PgAuthenticationFailed'
        Assert-Clean ($r.Output + $r.Error) 'error records'
    }

    It 'units written for a scheduled resync name the configuration, never a password' {
        $cfg = Join-Path $dir 'red-PSW.psd1'
        Import-Module $module
        Import-Module (Join-Path $PSScriptRoot 'ScheduleHelpers.psm1') -Force
        $null = Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$dir/units" -NoEnable -PwshPath (Install-KojiTestPwsh) -Confirm:$false -WarningAction SilentlyContinue
        $units = Get-ChildItem "$dir/units" -File | Get-Content -Raw
        ($units -join "`n") | Should -Match ([regex]::Escape($cfg))
        Assert-Clean ($units -join "`n") 'the units'
    }
}
