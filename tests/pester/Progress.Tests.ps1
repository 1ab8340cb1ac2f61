# Progress as a host receives it: the records a runspace collects ($ps.Streams.Progress), from a fresh runspace
# with the built module, for a database sync and a tree copy.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:prod = Start-KojiTestService pg --fixture koji_prod
    $script:stg = Start-KojiTestService pg
    $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-progress-$PID-$(Get-Random)")).FullName
    function script:Invoke-Recorded([string] $script) {
        $ps = [PowerShell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-KojiTestModulePath)'; `$ProgressPreference = 'Continue'; $script")
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $null = $ps.Invoke()
            [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Errors = @($ps.Streams.Error); Progress = @($ps.Streams.Progress) }
        }
        finally { $ps.Dispose() }
    }
}
AfterAll {
    $prod, $stg | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe 'Progress records' {
    It 'Sync-KojiStagingDb: the parent bar moves by bytes with time left, redrawn a few times a second' {
        $run = Invoke-Recorded "Sync-KojiStagingDb -Source '$(Get-KojiTestConnectionString -Pg $prod -Database koji_prod)' -Destination '$(Get-KojiTestConnectionString -Pg $stg -Database koji)' -Confirm:`$false"
        $run.Errors | Should -BeNullOrEmpty
        $load = @($run.Progress | Where-Object { $_.ActivityId -eq 1 -and $_.StatusDescription -like 'Data and indexes:*' })
        $load | Should -Not -BeNullOrEmpty
        foreach ($r in $load) { $r.PercentComplete | Should -BeGreaterOrEqual 10; $r.PercentComplete | Should -BeLessOrEqual 80 }
        @($load | Where-Object SecondsRemaining -ge 0) | Should -Not -BeNullOrEmpty
        # At most one redraw per activity every 250 ms (plus the first and the completion).
        foreach ($g in $run.Progress | Group-Object ActivityId) {
            $g.Count | Should -BeLessOrEqual ([math]::Ceiling($run.Seconds * 4) + 2) -Because "activity $($g.Name) in $([math]::Round($run.Seconds, 1)) s"
        }
        @($run.Progress | Where-Object { $_.ParentActivityId -eq 1 -and $_.RecordType -eq 'Completed' }) | Should -Not -BeNullOrEmpty
    }

    It 'Copy-KojiVolume: no percentage and no growing "of" total while it scans' {
        # 40,000 small files: the scan lasts longer than one 250 ms report interval even on a fast machine.
        & bash -c "mkdir -p '$work/many' && cd '$work/many' && mkdir d{1..200} && for d in d*; do (cd `$d && touch f{1..200}); done"
        $run = Invoke-Recorded "Copy-KojiVolume -Source '$work/many' -Destination '$work/copy' -Confirm:`$false"
        $run.Errors | Should -BeNullOrEmpty
        $scanning = @($run.Progress | Where-Object CurrentOperation -eq 'scanning and copying')
        $scanning | Should -Not -BeNullOrEmpty
        foreach ($r in $scanning) { $r.PercentComplete | Should -Be -1; $r.StatusDescription | Should -Match '^Scanning: ' ; $r.StatusDescription | Should -Not -Match ' of ' }
        @($run.Progress | Where-Object RecordType -eq 'Completed') | Should -Not -BeNullOrEmpty
    }
}
