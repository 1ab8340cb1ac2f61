# The history every resync appends, read back by Get-KojiStagingHistory, the node_exporter textfile, and
# the HTML report drawn from it, loaded in a real headless Chromium.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    Import-Module $module
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    New-OpsStagingDatabase -Pg $pg -Name koji_hist
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-history-$PID")).FullName
    $script:state = "$dir/state"
    $cs = Get-KojiTestConnectionString -Pg $pg -Database koji_hist
    $prod = Get-KojiTestConnectionString -Pg $pg -Database koji_prod
    $script:cfg = "$dir/hist.psd1"
    "@{ Name = 'hist'; LockPath = '$dir/hist.lock'; MetricsPath = '$dir/textfile/kojistaging-hist.prom'
        Steps = @( @{ Strategy = 'Status'; Connection = '$cs'; Source = '$prod' } ) }" | Set-Content $cfg
    $script:bad = "$dir/hist-bad.psd1"
    # same Name, so the same history: a run whose only step cannot reach its server
    "@{ Name = 'hist'; LockPath = '$dir/hist.lock'; MetricsPath = '$dir/textfile/kojistaging-hist.prom'
        Steps = @( @{ Strategy = 'Status'; Connection = 'Host=127.0.0.1;Port=1;Database=koji;Timeout=2' } ) }" | Set-Content $bad
    function script:Invoke-Run([string] $Path) {
        Invoke-OpsPwsh -Environment @{ STATE_DIRECTORY = $state } -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$Path' -Confirm:`$false; exit `$LASTEXITCODE"
    }
    $script:codes = @((Invoke-Run $cfg).ExitCode, (Invoke-Run $bad).ExitCode, (Invoke-Run $cfg).ExitCode)
    $env:STATE_DIRECTORY = $state
}
AfterAll {
    Remove-Item Env:STATE_DIRECTORY -ErrorAction SilentlyContinue
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-KojiStagingHistory' {
    It 'returns one typed record per run, after success and after failure' {
        $codes -join ',' | Should -Be '0,1,0'
        $h = Get-KojiStagingHistory -Name hist
        $h | Should -HaveCount 3
        $h[0] | Should -BeOfType ([KojiStaging.Engine.Operations.ResyncHistoryRecord])
        $h.ExitCode -join ',' | Should -Be '0,1,0'
        $h.Status -join ',' | Should -Be 'Succeeded,Failed,Succeeded'
        $h[0].SyncedEvent | Should -Be 150
        $h[0].EventsBehind | Should -Be 16 -Because 'the staging marker records event 150, prod is at 166'
        $h[1].Steps[0].Status | Should -Be 'Failed'
        $h[1].Steps[0].Duration | Should -BeOfType ([timespan])
        $h[2].End | Should -BeGreaterThan $h[2].Start
        (Get-KojiStagingHistory -Path $cfg -Last 1).Start | Should -Be $h[2].Start
        (Get-KojiStagingHistory -Name hist | Format-Table | Out-String -Width 300) | Should -Match 'Status:Failed'
    }

    It 'reports a missing history as ResyncHistoryNotFound' {
        Get-KojiStagingHistory -Name nosuch -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ResyncHistoryNotFound*'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes the node_exporter textfile with the last run''s values, atomically' {
        $text = Get-Content "$dir/textfile/kojistaging-hist.prom" -Raw
        $text | Should -Match '(?m)^# TYPE kojistaging_resync_last_exit_code gauge$'
        $text | Should -Match '(?m)^kojistaging_resync_last_exit_code\{name="hist"\} 0$'
        $text | Should -Match '(?m)^kojistaging_resync_last_duration_seconds\{name="hist"\} \d+(\.\d+)?$'
        $text | Should -Match '(?m)^kojistaging_staging_events_behind\{name="hist"\} 16$'
        $text | Should -Match '(?m)^kojistaging_staging_age_seconds\{name="hist"\} \d+(\.\d+)?$'
        # every line is a comment or 'name{labels} value' (the exposition format), and no temporary file is left
        $text.TrimEnd("`n") -split "`n" | Where-Object { $_ -notmatch '^(# (HELP|TYPE) \w+ .+|\w+\{name="hist"\} -?\d+(\.\d+)?(e[+-]?\d+)?)$' } | Should -BeNullOrEmpty
        Get-ChildItem "$dir/textfile" -Force | ForEach-Object Name | Should -Be 'kojistaging-hist.prom'
    }
}

Describe 'Export-KojiStagingReport in headless Chromium' {
    BeforeAll {
        $script:chromium = (Get-Command chromium -ErrorAction SilentlyContinue).Source
        $script:report = Get-KojiStagingHistory -Name hist | Export-KojiStagingReport -OutFile "$dir/report.html"
        $script:profile = (New-Item -ItemType Directory -Force "$dir/chromium-profile").FullName
        function script:Invoke-Chromium([string[]] $Arguments) {
            $flags = @('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', "--user-data-dir=$profile")
            & $chromium @flags @Arguments 2>$null
        }
    }

    It 'writes one self-contained page' {
        $report | Should -BeOfType ([IO.FileInfo])
        $html = Get-Content $report.FullName -Raw
        $html | Should -Not -Match '<script|<link|src="http|href="http|@import'
        ([regex]::Matches($html, '<circle class="point" data-series="duration"')).Count | Should -Be 3
    }

    It 'renders every recorded point in the browser, and the screenshot is not blank' {
        if (-not $chromium) { throw 'chromium is not installed (tools/install-prerequisites.sh installs it)' }
        # a wrapper page measures, inside the browser, the circles that were laid out with a size
        Copy-Item $report.FullName "$dir/r.html"
        @'
<!DOCTYPE html><html><body><iframe id="f" src="r.html" width="900" height="1400"></iframe><pre id="out">pending</pre><script>
document.getElementById('f').onload = function () {
  var d = document.getElementById('f').contentDocument, out = [];
  ['duration', 'behind', 'age'].forEach(function (s) {
    var n = Array.prototype.filter.call(d.querySelectorAll('svg.chart circle.point[data-series="' + s + '"]'),
      function (c) { var r = c.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
    out.push(s + '=' + n);
  });
  document.getElementById('out').textContent = 'rendered ' + out.join(' ');
};
</script></body></html>
'@ | Set-Content "$dir/measure.html"
        $dom = (Invoke-Chromium @('--allow-file-access-from-files', '--virtual-time-budget=10000', '--dump-dom', "file://$dir/measure.html")) -join "`n"
        $dom | Should -Match 'rendered duration=3 behind=2 age=2' -Because 'two successful Status runs recorded drift, all three a duration'
        Invoke-Chromium @('--window-size=1000,1400', "--screenshot=$dir/report.png", "file://$($report.FullName)") | Out-Null
        Invoke-Chromium @('--window-size=1000,1400', "--screenshot=$dir/blank.png", 'about:blank') | Out-Null
        Test-Path "$dir/report.png" | Should -BeTrue
        $png = [IO.File]::ReadAllBytes("$dir/report.png")
        [Text.Encoding]::ASCII.GetString($png, 1, 3) | Should -Be 'PNG'
        $png.Length | Should -BeGreaterThan (3 * (Get-Item "$dir/blank.png").Length) -Because 'charts and text compress far worse than an empty page'
    }
}
