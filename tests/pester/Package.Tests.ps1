# The module as the PowerShell ecosystem installs it: ./build.sh Package's .nupkg, Install-PSResource into a
# fresh scope (a new HOME), a cmdlet auto-loaded by name; and the source tree's own manifest.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $script:home2 = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-package-$PID")).FullName
    $script:repo = "$home2/repository"
    # the same steps as build.ps1's Package task, on the module under test
    $pkg = Invoke-KojiFreshPwsh -NoImport -Environment @{ HOME = $home2 } -Script @"
`$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Force '$repo' | Out-Null
Register-PSResourceRepository -Name KojiTest -Uri '$repo' -Trusted
Publish-PSResource -Path '$(Split-Path (Get-KojiTestModulePath))' -Repository KojiTest
"@
    if ($pkg.ExitCode -ne 0) { throw "Publish-PSResource failed: $($pkg.Output) $($pkg.Error)" }
}
AfterAll { Remove-Item $home2 -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'The KojiStaging package' {
    It 'is a .nupkg with the manifest, the assemblies, LICENSE and CHANGELOG' {
        $nupkg = Get-ChildItem $repo -Filter 'KojiStaging.*.nupkg'
        $nupkg | Should -HaveCount 1
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg.FullName)
        try { $names = $zip.Entries.FullName } finally { $zip.Dispose() }
        foreach ($n in 'KojiStaging.psd1', 'KojiStaging.dll', 'KojiStaging.format.ps1xml', 'dependencies/KojiStaging.Engine.dll', 'dependencies/Cronos.dll', 'LICENSE', 'CHANGELOG.md', 'en-US/KojiStaging.dll-Help.xml') {
            $names | Should -Contain $n
        }
    }

    It 'installs with Install-PSResource into a fresh scope and auto-loads a cmdlet by name' {
        $r = Invoke-KojiFreshPwsh -NoImport -Environment @{ HOME = $home2; XDG_DATA_HOME = "$home2/.local/share" } -Script @"
`$ErrorActionPreference = 'Stop'
Install-PSResource -Name KojiStaging -Repository KojiTest -Scope CurrentUser -TrustRepository
`$ErrorActionPreference = 'Continue'
Get-KojiStagingHistory -HistoryPath '$home2/none.jsonl' -ErrorVariable e -ErrorAction SilentlyContinue
'loaded from ' + (Get-Module KojiStaging).ModuleBase
'error ' + `$e[0].FullyQualifiedErrorId
"@
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output | Should -Match "loaded from $([regex]::Escape($home2))/\.local/share/powershell/Modules/KojiStaging/"
        $r.Output | Should -Match 'error ResyncHistoryNotFound'
    }

    It 'has a root manifest that passes Test-ModuleManifest, with real project links' {
        $m = Test-ModuleManifest (Join-Path $root 'KojiStaging.psd1') -ErrorAction Stop
        $m.ProjectUri | Should -Be 'https://github.com/kojistaging/KojiStaging'
        $m.LicenseUri | Should -Match '^https://github\.com/kojistaging/KojiStaging/.*LICENSE$'
        $m.ReleaseNotes | Should -Not -BeNullOrEmpty
        (Test-ModuleManifest (Get-KojiTestModulePath)).ExportedFormatFiles | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $root 'LICENSE'), (Join-Path $root 'CHANGELOG.md') | Should -Be @($true, $true)
    }
}
