# Every bad input is an ErrorRecord with a stable id and a real category, and nothing is left behind (issue 20).
# The inputs are data (tests/fixtures/bad-inputs.psd1); this file drives each row through the built module against a
# demo-like setup: the hub emulator's PostgreSQL with the prod fixture, staging copies of it, the ONTAP emulator and
# the prod topdir, and checks after each row that no database appeared or vanished and no file was created.
BeforeDiscovery {
    $script:rows = (Import-PowerShellDataFile (Join-Path $PSScriptRoot '../fixtures/bad-inputs.psd1')).Rows
    $i = 0
    foreach ($r in $rows) { $r.Index = ++$i }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:table = (Import-PowerShellDataFile (Join-Path $PSScriptRoot '../fixtures/bad-inputs.psd1')).Rows
    $script:hub = Start-KojiTestService hub --fixture koji_prod
    $script:ontap = Start-KojiTestService ontap
    $script:pg = [pscustomobject]@{ Host = $hub.Pg.Host; Port = $hub.Pg.Port; User = $hub.Pg.User; Password = $hub.Pg.Password }
    function script:Psql([string] $Db, [string] $Sql) { Invoke-KojiTestPsql -Pg $pg -Database $Db -Sql $Sql }
    function script:Conn([string] $Db, [string] $User, [string] $Password) {
        # a name that needs it is quoted as the connection-string grammar says, so the quote or ';' reaches the module as part of the name
        $c = Get-KojiTestConnectionString -Pg $pg -Database 'DB' -User $User -Password $Password
        $c.Replace('Database=DB', $(if ($Db -match '^\w+$') { "Database=$Db" } elseif ($Db -match '"') { "Database='$($Db.Replace("'", "''"))'" } else { "Database=`"$Db`"" }))
    }
    $marker = @"
CREATE TABLE kojistaging_marker (id bigserial PRIMARY KEY, kind text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  module_version text NOT NULL, source text, event_id integer, details jsonb NOT NULL DEFAULT '{}');
INSERT INTO kojistaging_marker (kind, module_version, source, event_id) VALUES ('sync', 'test', 'Host=prod.example.org;Database=koji', 150);
"@
    Psql postgres 'CREATE DATABASE koji_bad_stg TEMPLATE koji_prod' | Out-Null
    Psql koji_bad_stg $marker | Out-Null
    Psql postgres 'CREATE DATABASE koji_bad_unmarked TEMPLATE koji_prod' | Out-Null
    Psql postgres 'CREATE DATABASE koji_bad_notkoji' | Out-Null
    Psql koji_bad_notkoji $marker | Out-Null
    Psql postgres 'CREATE DATABASE koji_bad_nodefault TEMPLATE koji_prod' | Out-Null
    Psql koji_bad_nodefault ($marker + "UPDATE volume SET name = 'DEFAULT_RENAMED' WHERE name = 'DEFAULT';") | Out-Null
    Psql postgres "CREATE ROLE kojistaging_other LOGIN CREATEDB PASSWORD 'other-pw'" | Out-Null

    $script:root = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-badinput-$PID"
    New-Item -ItemType Directory -Force $root | Out-Null
    $script:schema = Join-Path $root 'schema.sql'
    $env:PGPASSWORD = $pg.Password
    & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_prod -f $schema
    Remove-Item Env:PGPASSWORD
    $script:subsetStg = New-KojiStagingDatabase -Destination (Conn koji_bad_subset) -SchemaPath $schema -Confirm:$false
    $script:src = Join-Path $root 'src'
    New-Item -ItemType Directory -Force "$src/packages/foo/1.0/1/noarch", "$src/repos" | Out-Null
    Set-Content "$src/packages/foo/1.0/1/noarch/foo-1.0-1.noarch.rpm" 'rpm'
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $root
    $script:topdir = Join-Path $root 'koji'
    $script:stgtop = Join-Path $root 'stgtop'
    New-Item -ItemType Directory -Force "$stgtop/vol", "$stgtop/packages" | Out-Null
    $script:ontapCred = [pscredential]::new($ontap.User, (ConvertTo-SecureString $ontap.Password -AsPlainText -Force))
    $script:badOntapCred = [pscredential]::new($ontap.User, (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
    $script:historyRecord = [KojiStaging.Engine.Operations.ResyncHistoryRecord] @{ Name = 'r'; Status = 'Succeeded' }
    $script:connections = @{
        prod = Conn koji_prod; stg = Conn koji_bad_stg; unmarked = Conn koji_bad_unmarked; notkoji = Conn koji_bad_notkoji
        subsetstg = Conn koji_bad_subset; nodefault = Conn koji_bad_nodefault
        nodb = (Conn koji_prod).Replace('Database=koji_prod;', '')
    }
    $script:cmdletNames = (Get-Command -Module KojiStaging -CommandType Cmdlet).Name

    function script:Expand([string] $Text, [string] $Tmp) {
        $Text = [regex]::Replace($Text, '\{(badpw|other):(\w+)\}', {
                param($m)
                if ($m.Groups[1].Value -eq 'badpw') { $connections[$m.Groups[2].Value] -replace 'Password=[^;]*', 'Password=wrong-password' }
                else { (Conn ([regex]::Match($connections[$m.Groups[2].Value], 'Database=(\w+)').Groups[1].Value) kojistaging_other other-pw) }
            })
        $Text = [regex]::Replace($Text, '\{db:([^}]*)\}', { param($m) Conn $m.Groups[1].Value })
        foreach ($k in $connections.Keys) { $Text = $Text.Replace("{$k}", $connections[$k]) }
        $Text.Replace('{tmp}', $Tmp).Replace('{file}', "$Tmp/afile.txt").Replace('{src}', $src).Replace('{topdir}', $topdir).
            Replace('{stgtop}', $stgtop).Replace('{schema}', $schema).Replace('{hub}', $hub.HubUrl).Replace('{topurl}', $hub.TopUrl).
            Replace('{ontap}', $ontap.Cluster).Replace('{config}', "$Tmp/resync.psd1")
    }

    function script:Value($Value, [string] $Tmp) {
        if ($Value -isnot [string]) { return $Value }
        switch -Regex ($Value) {
            '^\{int:(-?\d+)\}$' { return [int] $Matches[1] }
            '^\{ontapcred\}$' { return $ontapCred }
            '^\{badontapcred\}$' { return $badOntapCred }
            '^\{historyrecord\}$' { return $historyRecord }
        }
        Expand $Value $Tmp
    }

    function script:Listing([string[]] $Paths) {
        foreach ($p in $Paths) {
            if (Test-Path -LiteralPath $p) { Get-ChildItem -LiteralPath $p -Recurse -Force -Name | ForEach-Object { "$p/$_" } }
        }
    }

    function script:Databases { Psql postgres 'SELECT datname FROM pg_database ORDER BY 1' }

    # Parameters a text names ('-Name'), each with the command it belongs to: the Verb-Noun command written earlier in the
    # same clause ('New-KojiStagingDatabase -SchemaPath', 'Install-PSResource KojiStaging -Scope'), else $Default.
    function script:NamedParameters([string] $Text, [string] $Default) {
        if (-not $Text) { return }
        foreach ($m in [regex]::Matches($Text, '(?<![\w-])-(?<p>[A-Z][A-Za-z]+)\b')) {
            $before = $Text.Substring(0, $m.Index)
            $clause = $before.Substring([Math]::Max(0, $before.LastIndexOfAny([char[]] '.,;()')))
            $cmd = [regex]::Matches($clause, '\b[A-Z][a-z]+-[A-Z][A-Za-z]+\b') | Select-Object -Last 1
            [pscustomobject]@{ Parameter = $m.Groups['p'].Value; Command = if ($cmd) { $cmd.Value } else { $Default } }
        }
    }

    # Each named parameter must exist on its command when that is a KojiStaging cmdlet (other commands are not checked).
    function script:UnknownParameters([string] $Text, [string] $Cmdlet) {
        foreach ($n in @(NamedParameters $Text $Cmdlet)) {
            if ($cmdletNames -contains $n.Command -and -not (Get-Command $n.Command).Parameters.ContainsKey($n.Parameter)) { "-$($n.Parameter) (not a parameter of $($n.Command))" }
        }
    }
}

AfterAll {
    $hub | Stop-KojiTestService
    $ontap | Stop-KojiTestService
    Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The bad-input table' {
    It 'has at least 60 rows and covers every cmdlet of the module' {
        $table.Count | Should -BeGreaterOrEqual 60
        $missing = $cmdletNames | Where-Object { $_ -notin $table.Cmdlet }
        $missing | Should -BeNullOrEmpty
        ($table | ForEach-Object { $_.Name } | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty
    }
}

Describe 'Bad input <Index>: <Cmdlet>, <Name>' -ForEach $rows {
    It 'fails with <ErrorId> (<Category>) and leaves nothing behind' {
        $tmp = Join-Path $root "row$Index"
        New-Item -ItemType Directory -Force $tmp | Out-Null
        Set-Content "$tmp/afile.txt" 'not a folder, not a schema'
        if ($Setup.Files) { foreach ($f in $Setup.Files.Keys) { New-Item -ItemType File -Force "$tmp/$f" -Value $Setup.Files[$f] | Out-Null } }
        if ($Setup.Executables) {
            foreach ($f in $Setup.Executables.Keys) { New-Item -ItemType File -Force "$tmp/$f" -Value $Setup.Executables[$f] | Out-Null; & chmod +x "$tmp/$f" }
        }
        if ($Config) { Set-Content "$tmp/resync.psd1" (Expand $Config $tmp) }
        $watched = @($tmp, $src, $stgtop)
        $filesBefore = @(Listing $watched)
        $dbsBefore = @(Databases)

        $p = @{}
        foreach ($k in $Parameters.Keys) { $p[$k] = Value $Parameters[$k] $tmp }
        if ((Get-Command $Cmdlet).Parameters.ContainsKey('Confirm')) { $p.Confirm = $false }
        $saved = @{}
        if ($Environment) { foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, (Expand $Environment[$k] $tmp)) } }
        $err = $null
        try { & $Cmdlet @p -ErrorAction Stop | Out-Null } catch { $err = $_ }
        finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }

        $err | Should -Not -BeNullOrEmpty -Because "$Cmdlet must refuse this input"
        $err.FullyQualifiedErrorId.Split(',')[0] | Should -Be $ErrorId -Because $err.Exception.Message
        $err.CategoryInfo.Category | Should -Be $Category
        $text = "$($err.Exception.Message) $($err.ErrorDetails.Message)"
        if ($Message) { $text | Should -Match $Message }
        $hintText = $err.ErrorDetails.RecommendedAction
        if ($Hint) { $hintText | Should -Match ([regex]::Escape($Hint)) }
        if ($NoHint) { $hintText | Should -Not -Match ([regex]::Escape($NoHint)) }
        UnknownParameters $hintText $Cmdlet | Should -BeNullOrEmpty

        @(Databases) | Should -Be $dbsBefore -Because 'a refused input creates and drops no database'
        if (-not $KeepsFiles) { @(Listing $watched) | Should -Be $filesBefore -Because 'a refused input creates no file or folder' }
        foreach ($a in @($Absent)) { if ($a) { Test-Path -LiteralPath (Expand $a $tmp) | Should -BeFalse } }
    }
}

Describe 'Hints name parameters that exist' {
    It 'every -Parameter in a RecommendedAction of the sources is a parameter of some KojiStaging cmdlet' {
        $srcDir = Join-Path $PSScriptRoot '../../src'
        $hints = Get-ChildItem $srcDir -Recurse -Filter *.cs | Where-Object FullName -notmatch '/(bin|obj)/' |
            Select-String -Pattern 'RecommendedAction\s*=\s*\$?"([^"]*)"' -AllMatches | ForEach-Object { $_.Matches } | ForEach-Object { $_.Groups[1].Value }
        $hints.Count | Should -BeGreaterThan 20
        $all = $cmdletNames | ForEach-Object { (Get-Command $_).Parameters.Keys } | Sort-Object -Unique
        $unknown = foreach ($h in $hints) {
            foreach ($n in @(NamedParameters $h '')) {
                $known = if ($cmdletNames -contains $n.Command) { (Get-Command $n.Command).Parameters.ContainsKey($n.Parameter) } elseif ($n.Command) { $true } else { $all -contains $n.Parameter }
                if (-not $known) { "-$($n.Parameter) in: $h" }
            }
        }
        $unknown | Should -BeNullOrEmpty
    }
}

Describe 'A second, concurrent sync as a role without rights on live staging' {
    It 'is refused as PgPermissionDenied (PermissionDenied), not a raw 42501, while the first runs' {
        Import-Module (Join-Path $PSScriptRoot 'FaultHelpers.psm1') -Force
        $live = Conn koji_bad_conc
        Sync-KojiStagingDb -Source $connections.prod -Destination $live -Confirm:$false | Out-Null
        $trial = Join-Path $root 'concurrent'
        New-Item -ItemType Directory -Force $trial | Out-Null
        $first = Start-FaultSync -Dir $trial -Environment @{ KS_SRC = $connections.prod; KS_DST = $live; KOJISTAGING_TEST_PAUSE_AT = 'phase:Data and indexes'; KOJISTAGING_TEST_PAUSE_FILE = "$trial/paused" }
        try {
            Wait-FaultPause -PauseFile "$trial/paused" -Process $first | Should -BeTrue -Because "the first sync pauses while it loads"
            $err = { Sync-KojiStagingDb -Source $connections.prod -Destination (Conn koji_bad_conc kojistaging_other other-pw) -Confirm:$false -ErrorAction Stop } |
                Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'PgPermissionDenied,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.Exception.Message | Should -Match 'permission denied'
            $err.ErrorDetails.RecommendedAction | Should -Match 'owns the staging databases'
        } finally { $first.Kill(); $first.WaitForExit() }
    }
}
