# The module as an operator gets it: it loads, follows PowerShell conventions, and documents itself.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:cmdlets = @(Get-Command -Module KojiStaging -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe 'KojiStaging module' {
    It 'has a valid manifest that loads in this pwsh' {
        $m = Test-ModuleManifest (Get-KojiTestModulePath)
        $m.Name | Should -Be 'KojiStaging'
        $m.PowerShellVersion | Should -Be ([version] '7.4')
        (Get-Module KojiStaging).ExportedCmdlets.Count | Should -Be $m.ExportedCmdlets.Count
    }

    It 'loads its format views without error' {
        $formats = Join-Path (Split-Path (Get-KojiTestModulePath)) 'KojiStaging.format.ps1xml'
        { Update-FormatData -PrependPath $formats } | Should -Not -Throw
    }
}

Describe 'Cmdlet <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:cmd = Get-Command $Name
        $script:help = Get-Help $Name -Full
    }

    It 'uses an approved verb and a Koji/NetApp noun' {
        (Get-Verb).Verb | Should -Contain $cmd.Verb
        $cmd.Noun | Should -Match '^(Koji|NetApp)'
    }

    It 'has a synopsis, a description and at least two examples with code' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name"
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $help.examples.example) { $e.code | Should -Match $Name }
    }

    It 'documents every parameter' {
        foreach ($p in $cmd.Parameters.Values | Where-Object Name -notin $common) {
            $doc = $help.parameters.parameter | Where-Object name -eq $p.Name
            ($doc.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a description"
        }
    }

    It 'supports -WhatIf when it changes things' {
        if ($cmd.Verb -in 'Sync', 'Set', 'New', 'Remove', 'Copy', 'Register', 'Unregister', 'Invoke') {
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        }
    }
}
