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
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

function Esc([string] $s) { [System.Security.SecurityElement]::Escape($s) }
function Paras([string] $text) {
    ($text.Trim() -split "(\r?\n){2,}" | Where-Object { $_.Trim() } | ForEach-Object { "<maml:para>$(Esc ($_.Trim() -replace '\r?\n', ' '))</maml:para>" }) -join ''
}

# Splits markdown into sections: '## NAME' → text; '### sub' inside a section → ordered list of (title, text).
function Read-Doc([string] $path) {
    $doc = @{ Sections = @{}; Subs = @{} }
    $section = $null; $sub = $null
    foreach ($line in Get-Content $path) {
        if ($line -match '^## (.+)$') { $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; $doc.Sections[$section] = ''; $doc.Subs[$section] = [System.Collections.Generic.List[object]]::new(); continue }
        if ($null -eq $section) { continue }
        if ($line -match '^### (.+)$') { $sub = [pscustomobject]@{ Title = $Matches[1].Trim(); Text = '' }; $doc.Subs[$section].Add($sub); continue }
        if ($sub) { $sub.Text += "$line`n" } else { $doc.Sections[$section] += "$line`n" }
    }
    $doc
}

function Get-ParamXml($cmd, $p, $set, [string] $desc) {
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
    "<command:parameter required=`"$($attr.IsMandatory.ToString().ToLower())`" variableLength=`"true`" globbing=`"false`" pipelineInput=`"$pipeText`" position=`"$position`" aliases=`"$aliases`"><maml:name>$($p.Name)</maml:name><maml:description>$(Paras $desc)</maml:description>$value$values<dev:type><maml:name>$typeName</maml:name></dev:type><dev:defaultValue>None</dev:defaultValue></command:parameter>"
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
            [void] $sb.Append((Get-ParamXml $cmd $merged $null $paramDocs[$p.Name]))
        }
        [void] $sb.Append('</command:syntaxItem>')
    }
    [void] $sb.Append('</command:syntax><command:parameters>')
    foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name) {
        if (-not $paramDocs.ContainsKey($p.Name)) { Write-Warning "$($cmd.Name): parameter -$($p.Name) is not documented in $md" }
        [void] $sb.Append((Get-ParamXml $cmd $p $null $paramDocs[$p.Name]))
    }
    [void] $sb.Append('</command:parameters><command:inputTypes>')
    foreach ($s in $doc.Subs['INPUTS']) { [void] $sb.Append("<command:inputType><dev:type><maml:name>$(Esc $s.Title)</maml:name></dev:type><maml:description>$(Paras $s.Text)</maml:description></command:inputType>") }
    [void] $sb.Append('</command:inputTypes><command:returnValues>')
    foreach ($s in $doc.Subs['OUTPUTS']) { [void] $sb.Append("<command:returnValue><dev:type><maml:name>$(Esc $s.Title)</maml:name></dev:type><maml:description>$(Paras $s.Text)</maml:description></command:returnValue>") }
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
