# Dependency isolation: the module's Npgsql/Dapper/Microsoft.Extensions.* load in its own
# AssemblyLoadContext, so a session that already loaded another Npgsql keeps working, and so does the module.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    $script:moduleDir = Split-Path $module
    $nuget = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $script:oldNpgsql = Join-Path $nuget 'npgsql/8.0.5/lib/net8.0/Npgsql.dll'
    $script:oldMel = Join-Path $nuget 'microsoft.extensions.logging.abstractions/8.0.0/lib/net8.0/Microsoft.Extensions.Logging.Abstractions.dll'
    if (-not (Test-Path $oldNpgsql) -or -not (Test-Path $oldMel)) {
        & dotnet restore (Join-Path $PSScriptRoot '../../tools/Tools.proj') --verbosity quiet | Out-Host
    }
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_iso
    $script:cs = Get-KojiTestConnectionString -Pg $pg -Database koji_iso
    # Loads Npgsql 8 into the default context, opens a connection with it, then imports the module and
    # opens connections through a cmdlet; finally uses the old Npgsql again.
    $script:conflict = @'
$ErrorActionPreference = 'Stop'
Add-Type -Path '{0}'
Add-Type -Path '{1}'
$old = [Npgsql.NpgsqlConnection]::new('{2}'); $old.Open()
$cmd = $old.CreateCommand(); $cmd.CommandText = 'SELECT count(*) FROM build'; $before = $cmd.ExecuteScalar()
Import-Module '{3}'
$status = Get-KojiStagingStatus -Connection '{2}' -Source '{2}'
$cmd.CommandText = 'SELECT 40 + 2'; $after = $cmd.ExecuteScalar(); $old.Dispose()
$alc = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'KojiStaging'
[pscustomobject]@{{
    OldVersion = [Npgsql.NpgsqlConnection].Assembly.GetName().Version.ToString()
    OldContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([Npgsql.NpgsqlConnection].Assembly).Name
    ModuleNpgsql = ($alc.Assemblies | Where-Object {{ $_.GetName().Name -eq 'Npgsql' }}).GetName().Version.ToString()
    Before = $before; After = $after; SyncedEvent = $status.SyncedEvent; ProdLastEvent = $status.ProdLastEvent
}} | ConvertTo-Json -Compress
'@
}
AfterAll { $pg | Stop-KojiTestService }

Describe 'Dependency isolation' {
    It 'ships only the cmdlet assembly next to the manifest and the rest under dependencies/' {
        (Get-ChildItem $moduleDir -Filter *.dll).Name | Should -Be @('KojiStaging.dll')
        $deps = (Get-ChildItem (Join-Path $moduleDir 'dependencies') -Filter *.dll).Name
        $deps | Should -Contain 'KojiStaging.Engine.dll'
        $deps | Should -Contain 'Npgsql.dll'
        $deps | Should -Contain 'Dapper.dll'
        $deps | Should -Contain 'Microsoft.Extensions.Logging.dll'
    }

    It 'keeps Npgsql, Dapper and Microsoft.Extensions out of the cmdlet assembly''s references' {
        $fs = [IO.File]::OpenRead((Join-Path $moduleDir 'KojiStaging.dll'))
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($fs)
            $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $refs = foreach ($h in $md.AssemblyReferences) { $md.GetString($md.GetAssemblyReference($h).Name) }
        } finally { $fs.Dispose() }
        $refs | Should -Contain 'KojiStaging.Engine'
        $refs | Where-Object { $_ -match '^(Npgsql|Dapper|Microsoft\.Extensions\.)' } | Should -BeNullOrEmpty
    }

    It 'works after another Npgsql (8.0) was loaded and used first in the same session' {
        $r = Invoke-OpsPwsh -Script ($conflict -f $oldNpgsql.Replace("'", "''"), $oldMel, $cs, $module)
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $o = $r.Output | ConvertFrom-Json
        $o.OldVersion | Should -BeLike '8.0.*'
        $o.OldContext | Should -Be 'Default'
        $o.ModuleNpgsql | Should -BeLike '10.*'
        $o.Before | Should -Be 24
        $o.After | Should -Be 42
        $o.SyncedEvent | Should -Be 150
        $o.ProdLastEvent | Should -Be 166
    }

    It 'fails in the same scenario without isolation (flat layout), so the test above proves something' {
        $flat = Join-Path ([IO.Path]::GetTempPath()) "kojistaging-flat-$PID"
        try {
            Copy-Item $moduleDir $flat -Recurse
            Get-ChildItem (Join-Path $flat 'dependencies') | Move-Item -Destination $flat
            Remove-Item (Join-Path $flat 'dependencies') -Recurse
            $r = Invoke-OpsPwsh -Script ($conflict -f $oldNpgsql, $oldMel, $cs, (Join-Path $flat 'KojiStaging.psd1'))
            $r.ExitCode | Should -Not -Be 0
            $r.Error + $r.Output | Should -Match 'Npgsql|Could not load'
        } finally { Remove-Item $flat -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
