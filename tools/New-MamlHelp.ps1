<#
.SYNOPSIS
    Writes MAML help for every cmdlet of a module from docs/cmdlets/<Verb-Noun>.md (platyPS-style
    markdown: SYNOPSIS, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS, OUTPUTS, NOTES, RELATED LINKS).
    Syntax, types, positions and pipeline input come from the cmdlet metadata, so they never drift.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsDir,
    [Parameter(Mandatory)] [string] $OutFile
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
# -WhatIf and -Confirm are shown (in SYNTAX and PARAMETERS) where the cmdlet has them; Get-Help adds [<CommonParameters>].
$common = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'
$riskDocs = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

function Esc([string] $s) { [System.Security.SecurityElement]::Escape($s) }
function Para([string] $s) { "<maml:para>$(Esc $s)</maml:para>" }
# Markdown → MAML paragraphs. Prose paragraphs are joined into one line each; every numbered or bulleted list
# item is its own paragraph (its continuation lines joined); a ``` code block keeps its lines, indented by 4.
function Paras([string] $text) {
    $out = [System.Collections.Generic.List[string]]::new()
    $current = $null; $inCode = $false; $code = $null
    $flush = { if ($null -ne $current -and $current.Trim()) { $out.Add((Para $current.Trim())) }; Set-Variable current $null -Scope 1 }
    foreach ($line in ($text -split '\r?\n')) {
        if ($line -match '^\s*```') {
            if ($inCode) { $out.Add((Para (($code | ForEach-Object { "    $_" }) -join "`n"))); $inCode = $false }
            else { & $flush; $inCode = $true; $code = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        if ($inCode) { $code.Add($line); continue }
        if (-not $line.Trim()) { & $flush; continue }
        if ($line -match '^\s*(\d+\.|[-*])\s+') { & $flush; $current = $line.Trim(); continue }
        $current = if ($null -eq $current) { $line.Trim() } else { "$current $($line.Trim())" }
    }
    & $flush
    $out -join ''
}

# Splits markdown into sections: '## NAME' → text; '### sub' inside a section → ordered list of (title, text).
function Read-Doc([string] $path) {
    $doc = @{ Sections = @{}; Subs = @{} }
    $section = $null; $sub = $null; $inCode = $false
    foreach ($line in Get-Content $path) {
        if ($line -match '^\s*```') { $inCode = -not $inCode }
        if (-not $inCode -and $line -match '^## (.+)$') { $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; $doc.Sections[$section] = ''; $doc.Subs[$section] = [System.Collections.Generic.List[object]]::new(); continue }
        if ($null -eq $section) { continue }
        if (-not $inCode -and $line -match '^### (.+)$') { $sub = [pscustomobject]@{ Title = $Matches[1].Trim(); Text = '' }; $doc.Subs[$section].Add($sub); continue }
        if ($sub) { $sub.Text += "$line`n" } else { $doc.Sections[$section] += "$line`n" }
    }
    $doc
}

# INPUTS/OUTPUTS: '### Type' subsections (platyPS style) or, in the short form, one entry per paragraph whose
# type names are the dotted .NET names it mentions ('None.' alone means no output).
function Get-TypeEntries($doc, [string] $section) {
    if ($doc.Subs[$section] -and $doc.Subs[$section].Count) { return $doc.Subs[$section] | ForEach-Object { [pscustomobject]@{ Name = $_.Title; Text = $_.Text } } }
    foreach ($block in ($doc.Sections[$section] -split '(\r?\n){2,}') | Where-Object { $_ -and $_.Trim() }) {
        $names = @([regex]::Matches($block, '\b(?:KojiStaging|System)(?:\.[A-Za-z_]\w*)+') | ForEach-Object { $_.Value.TrimEnd('.') } | Select-Object -Unique)
        if (-not $names -and $block.Trim() -match '^None\b') { $names = @('None') }
        [pscustomobject]@{ Name = ($names -join ', '); Text = $block }
    }
}

# The default shown for a parameter: a default documented in its text ('Default: …', 'Default 2;', '(default `prod`)') wins, since
# it can say what a computed initialiser means (ThrottleLimit = the processor count); else the initialiser's
# value, read from a fresh instance of the cmdlet class.
function Get-DefaultText($instance, $p, [string] $desc) {
    if ($desc -cmatch '(?s)(?:(?<=\()default:?\s+|(?<![A-Za-z])Default(?: value)?:?\s+|[Tt]he default is\s+)(.+?)(?:[.;)](?=\s|$)|\r?\n\r?\n|$)') {
        $text = ($Matches[1] -replace '\s+', ' ').Trim()
        while ($text.EndsWith(')') -and ($text.Split(')').Count -gt $text.Split('(').Count)) { $text = $text.Substring(0, $text.Length - 1) }
        return $text.Trim('` ')
    }
    $isSwitch = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $value = if ($instance -and $p.Name -notin 'WhatIf', 'Confirm') { try { $instance.($p.Name) } catch { $null } }
    if ($isSwitch) { return $(if ($value -is [System.Management.Automation.SwitchParameter]) { $value.IsPresent.ToString() } else { 'False' }) }
    if ($null -eq $value -or ($value -is [string] -and -not $value)) { return 'None' }
    if ($value -is [System.Collections.IEnumerable] -and $value -isnot [string]) { $items = @($value); return $(if ($items.Count) { $items -join ', ' } else { 'None' }) }
    if ($value -is [enum] -or $value -is [string]) { return "$value" }
    if ($value -is [ValueType]) { return $(if ($value -eq [Activator]::CreateInstance($value.GetType())) { 'None' } else { "$value" }) }
    'None'
}

function Get-ParamXml($cmd, $p, $set, [string] $desc, [string] $default = $null) {
    $attr = if ($set) { $p } else { $p.ParameterSets.Values | Select-Object -First 1 }
    $pipeline = @()
    if ($attr.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($attr.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $pipeText = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
    $position = if ($attr.Position -ge 0) { $attr.Position } else { 'named' }
    $aliases = if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }
    $type = $p.ParameterType
    $isSwitch = $type -eq [System.Management.Automation.SwitchParameter]
    $typeName = Esc $type.Name
    $value = if ($isSwitch) { '' } else { "<command:parameterValue required=`"true`" variableLength=`"false`">$typeName</command:parameterValue>" }
    $values = ''
    $validateSet = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
    if ($validateSet) { $values = '<command:parameterValueGroup>' + (($validateSet.ValidValues | ForEach-Object { "<command:parameterValue required=`"false`" variableLength=`"false`">$(Esc $_)</command:parameterValue>" }) -join '') + '</command:parameterValueGroup>' }
    "<command:parameter required=`"$($attr.IsMandatory.ToString().ToLower())`" variableLength=`"true`" globbing=`"false`" pipelineInput=`"$pipeText`" position=`"$position`" aliases=`"$aliases`"><maml:name>$($p.Name)</maml:name><maml:description>$(Paras $desc)</maml:description>$value$values<dev:type><maml:name>$typeName</maml:name></dev:type><dev:defaultValue>$(Esc $(if ($default) { $default } else { None }))</dev:defaultValue></command:parameter>"
}

$sb = [System.Text.StringBuilder]::new()
[void] $sb.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
[void] $sb.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
$missing = @()
foreach ($cmd in Get-Command -Module KojiStaging -CommandType Cmdlet | Sort-Object Name) {
    $md = Join-Path $DocsDir "$($cmd.Name).md"
    if (-not (Test-Path $md)) { $missing += $cmd.Name; continue }
    $doc = Read-Doc $md
    $paramDocs = @{}
    foreach ($s in $doc.Subs['PARAMETERS']) { $paramDocs[$s.Title.TrimStart('-')] = $s.Text }
    foreach ($k in $riskDocs.Keys) { if ($cmd.Parameters.ContainsKey($k) -and -not $paramDocs[$k]) { $paramDocs[$k] = $riskDocs[$k] } }
    $instance = try { [Activator]::CreateInstance($cmd.ImplementingType) } catch { Write-Warning "$($cmd.Name): no instance to read defaults from: $_"; $null }
    $verb, $noun = $cmd.Name -split '-', 2
    [void] $sb.Append('<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10" xmlns:MSHelp="http://msdn.microsoft.com/mshelp">')
    [void] $sb.Append("<command:details><command:name>$($cmd.Name)</command:name><command:verb>$verb</command:verb><command:noun>$noun</command:noun><maml:description>$(Paras $doc.Sections['SYNOPSIS'])</maml:description></command:details>")
    [void] $sb.Append("<maml:description>$(Paras $doc.Sections['DESCRIPTION'])</maml:description>")
    [void] $sb.Append('<command:syntax>')
    foreach ($set in $cmd.ParameterSets) {
        [void] $sb.Append("<command:syntaxItem><maml:name>$($cmd.Name)</maml:name>")
        foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $common }) {
            $full = $cmd.Parameters[$p.Name]
            $attr = [pscustomobject]@{ ValueFromPipeline = $p.ValueFromPipeline; ValueFromPipelineByPropertyName = $p.ValueFromPipelineByPropertyName; Position = $p.Position; IsMandatory = $p.IsMandatory }
            $merged = [pscustomobject]@{ Name = $p.Name; ParameterType = $p.ParameterType; Aliases = $p.Aliases; Attributes = $full.Attributes; ParameterSets = @{ x = $attr } }
            [void] $sb.Append((Get-ParamXml $cmd $merged $null $paramDocs[$p.Name] (Get-DefaultText $instance $p $paramDocs[$p.Name])))
        }
        [void] $sb.Append('</command:syntaxItem>')
    }
    [void] $sb.Append('</command:syntax><command:parameters>')
    foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object { $_.Name -in 'WhatIf', 'Confirm' }, Name) {
        if (-not $paramDocs.ContainsKey($p.Name)) { Write-Warning "$($cmd.Name): parameter -$($p.Name) is not documented in $md" }
        [void] $sb.Append((Get-ParamXml $cmd $p $null $paramDocs[$p.Name] (Get-DefaultText $instance $p $paramDocs[$p.Name])))
    }
    [void] $sb.Append('</command:parameters><command:inputTypes>')
    foreach ($s in Get-TypeEntries $doc 'INPUTS') { [void] $sb.Append("<command:inputType><dev:type><maml:name>$(Esc $s.Name)</maml:name></dev:type><maml:description>$(Paras $s.Text)</maml:description></command:inputType>") }
    [void] $sb.Append('</command:inputTypes><command:returnValues>')
    foreach ($s in Get-TypeEntries $doc 'OUTPUTS') { [void] $sb.Append("<command:returnValue><dev:type><maml:name>$(Esc $s.Name)</maml:name></dev:type><maml:description>$(Paras $s.Text)</maml:description></command:returnValue>") }
    [void] $sb.Append('</command:returnValues>')
    if ($doc.Sections['NOTES']) { [void] $sb.Append("<maml:alertSet><maml:alert>$(Paras $doc.Sections['NOTES'])</maml:alert></maml:alertSet>") }
    [void] $sb.Append('<command:examples>')
    foreach ($ex in $doc.Subs['EXAMPLES']) {
        $code = if ($ex.Text -match '(?s)```(?:powershell)?\r?\n(.*?)```') { $Matches[1].TrimEnd() } else { '' }
        $remarks = ($ex.Text -replace '(?s)```.*?```', '').Trim()
        [void] $sb.Append("<command:example><maml:title>-------------------------- $(Esc $ex.Title) --------------------------</maml:title><dev:code>$(Esc $code)</dev:code><dev:remarks>$(Paras $remarks)</dev:remarks></command:example>")
    }
    [void] $sb.Append('</command:examples><command:relatedLinks>')
    foreach ($line in ($doc.Sections['RELATED LINKS'] -split "`n") | Where-Object { $_ -match '\[(.+?)\]' }) {
        [void] $sb.Append("<maml:navigationLink><maml:linkText>$(Esc ([regex]::Match($line, '\[(.+?)\]').Groups[1].Value))</maml:linkText><maml:uri></maml:uri></maml:navigationLink>")
    }
    [void] $sb.AppendLine('</command:relatedLinks></command:command>')
}
[void] $sb.AppendLine('</helpItems>')
[xml] $null = $sb.ToString()   # refuse to write malformed XML
Set-Content -Path $OutFile -Value $sb.ToString() -Encoding utf8NoBOM
if ($missing) { Write-Warning "No help source in $DocsDir for: $($missing -join ', ')" }
