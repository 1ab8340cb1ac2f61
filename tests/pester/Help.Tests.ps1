# The module's conceptual help and the shipped example configurations.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath)
    $script:examples = Join-Path $PSScriptRoot '../../docs/examples'
}

Describe 'about_KojiStaging' {
    It 'is found by Get-Help and carries the strategy guide' {
        $text = Get-Help about_KojiStaging | Out-String
        $text | Should -Match 'STRATEGY GUIDE'
        $text | Should -Match 'Compare-KojiStagingStrategy'
        $text | Should -Match 'hardlink-or-copy'
        $text | Should -Match 'KojiStagingLogPath'
    }
}

Describe 'Example configuration <Name>' -ForEach @(
    Get-ChildItem (Join-Path $PSScriptRoot '../../docs/examples') -Filter *.psd1 | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
) {
    It 'is valid: -WhatIf prints a plan (or names a strategy cmdlet this build lacks)' {
        $e = $null
        try { Invoke-KojiStagingResync -Path $Path -WhatIf } catch { $e = $_ }
        if ($e) {
            $e.FullyQualifiedErrorId | Should -BeLike 'ResyncStrategyNotAvailable*'
            $missing = [regex]::Match($e.Exception.Message, 'no (\S+) cmdlet').Groups[1].Value
            $missing | Should -Not -BeNullOrEmpty
            Get-Command $missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        else { $LASTEXITCODE | Should -Be 0 }
    }
}
