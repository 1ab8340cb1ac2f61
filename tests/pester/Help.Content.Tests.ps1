# Get-Help as an operator reads it: SYNTAX with the risk parameters, defaults from the cmdlet, typed INPUTS and
# OUTPUTS, lists and code kept, related links that resolve, every example explained and no secret kept in a file.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:cmdlets = @(Get-Command -Module KojiStaging -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    function Get-TypeNames($entries) { @($entries | ForEach-Object { "$($_.type.name)" -split ',\s*' } | Where-Object { $_ }) }
}

Describe 'Help of <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:cmd = Get-Command $Name
        $script:help = Get-Help $Name -Full
        $script:text = $help | Out-String -Width 4000
    }

    It 'shows [-WhatIf] [-Confirm] in every SYNTAX line when it supports ShouldProcess' {
        $syntax = [regex]::Match($text, '(?s)SYNTAX\s+(.*?)\n\s*\n\s*DESCRIPTION').Groups[1].Value
        $lines = @($syntax -split '\n' | Where-Object { $_.Trim() -like "$Name*" })
        $lines.Count | Should -Be @($cmd.ParameterSets).Count
        foreach ($line in $lines) {
            if ($cmd.Parameters.ContainsKey('WhatIf')) { $line | Should -Match '\[-WhatIf\] \[-Confirm\] \[<CommonParameters>\]' }
            else { $line | Should -Not -Match 'WhatIf' }
        }
        $confirm = $help.parameters.parameter | Where-Object name -eq 'Confirm'
        if ($cmd.Parameters.ContainsKey('Confirm')) { ($confirm.description | Out-String).Trim() | Should -Not -BeNullOrEmpty }
    }

    It 'states the default of every parameter that has an initialiser, as the cmdlet sets it' {
        $instance = [Activator]::CreateInstance($cmd.ImplementingType)
        foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.Cmdlet]::CommonParameters }) {
            $doc = $help.parameters.parameter | Where-Object name -eq $p.Name
            $doc | Should -Not -BeNullOrEmpty -Because "-$($p.Name) is in PARAMETERS"
            $value = try { $instance.($p.Name) } catch { $null }
            if ($p.ParameterType -eq [System.Management.Automation.SwitchParameter]) { $doc.defaultValue | Should -Be 'False'; continue }
            $set = $value -is [string] -and $value -or $value -is [enum] -or ($value -is [ValueType] -and $value -ne [Activator]::CreateInstance($value.GetType()))
            if (-not $set) { continue }
            $doc.defaultValue | Should -Not -Be 'None' -Because "-$($p.Name) starts as '$value'"
            # A literal default must be the initialiser's value; a phrase ('the number of processor cores') explains a computed one.
            if ($doc.defaultValue -notmatch '\s') { $doc.defaultValue | Should -Be "$value" -Because "-$($p.Name) starts as '$value'" }
        }
    }

    It 'names the types of its INPUTS and OUTPUTS, including every [OutputType]' {
        $inputs = @(Get-TypeNames $help.inputTypes.inputType)
        $outputs = @(Get-TypeNames $help.returnValues.returnValue)
        $inputs | Should -Not -BeNullOrEmpty
        $outputs | Should -Not -BeNullOrEmpty
        foreach ($t in @($inputs) + @($outputs) | Where-Object { $_ -ne 'None' }) { $t -as [type] | Should -Not -BeNullOrEmpty -Because "'$t' must be a type" }
        foreach ($declared in $cmd.OutputType.Type | Where-Object { $_ -and $_ -ne [void] }) { $outputs | Should -Contain $declared.FullName }
        if ($cmd.OutputType.Type -contains [void]) { $outputs | Should -Contain 'None' }
    }

    It 'explains every example and keeps no secret in a file' {
        foreach ($e in $help.examples.example) {
            ($e.remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "$($e.title.Trim('- ')) needs an explanation"
            $e.code | Should -Not -Match 'Export-Clixml|Import-Clixml|ConvertFrom-SecureString|Password='
        }
    }

    It 'links the cmdlets of its strategy, and every link resolves' {
        $links = @($help.relatedLinks.navigationLink.linkText | Where-Object { $_ })
        $links.Count | Should -BeGreaterOrEqual 2
        foreach ($l in $links) {
            if ($l -like 'about_*') { Get-Help $l | Should -Not -BeNullOrEmpty }
            else { Get-Command $l -Module KojiStaging | Should -Not -BeNullOrEmpty -Because "related link '$l'" }
        }
    }
}

Describe 'Help generator' {
    It 'keeps numbered lists as separate paragraphs' {
        $paras = @((Get-Help Sync-KojiStagingDb).description.Text)
        foreach ($n in 1..5) { @($paras | Where-Object { $_ -like "$n. *" }).Count | Should -Be 1 }
    }

    It 'keeps a code block with its lines, and lists, in DESCRIPTION' {
        $docs = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "maml-$PID-$(Get-Random)")
        try {
            $md = Get-Content -Raw (Join-Path $repo 'docs/cmdlets/Test-KojiStaging.md')
            $md = $md -replace '(?s)## DESCRIPTION\r?\n', "## DESCRIPTION`n- first item`n  continued`n- second item`n`n``````powershell`n`$a = 1`n`$b = 2`n```````n`n"
            Set-Content (Join-Path $docs 'Test-KojiStaging.md') $md
            $out = Join-Path $docs 'help.xml'
            $run = Invoke-KojiFreshPwsh -NoImport -Script "& '$repo/tools/New-MamlHelp.ps1' -ModulePath '$(Split-Path (Get-KojiTestModulePath))/KojiStaging.dll' -DocsDir '$docs' -OutFile '$out' 3>`$null"
            $run.ExitCode | Should -Be 0 -Because $run.Error
            [xml] $xml = Get-Content -Raw $out
            $ns = @{ maml = 'http://schemas.microsoft.com/maml/2004/10'; command = 'http://schemas.microsoft.com/maml/dev/command/2004/10' }
            $paras = @(Select-Xml -Xml $xml -Namespace $ns -XPath "//command:command[command:details/command:name='Test-KojiStaging']/maml:description/maml:para" | ForEach-Object { $_.Node.InnerText })
            $paras[0] | Should -Be '- first item continued'
            $paras[1] | Should -Be '- second item'
            $paras[2] | Should -Be "    `$a = 1`n    `$b = 2"
        }
        finally { Remove-Item -Recurse -Force $docs }
    }
}
