# The README's first command: tools/Demo.ps1 runs the whole secondary-volume strategy and cleans up after itself.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'Demo' {
    It 'runs end to end in a fresh pwsh, prints what an operator sees and leaves nothing behind' {
        $before = @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'kojistaging-demo-*' -ErrorAction SilentlyContinue).Count
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-KojiFreshPwsh -Script "& '$repo/tools/Demo.ps1' -ModulePath '$(Get-KojiTestModulePath)'" -TimeoutSeconds 240
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 180
        $run.ExitCode | Should -Be 0 -Because "$($run.Output)`n$($run.Error)"
        $plain = $run.Output -replace "`e\[[0-9;]*m", ''
        $plain | Should -Match 'Demo finished in'
        $plain | Should -Match 'BuildsRepointed\s*:\s*23'
        $plain | Should -Match 'Pass\s+Secrets'
        $plain | Should -Match 'AlreadyDone'
        @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'kojistaging-demo-*' -ErrorAction SilentlyContinue).Count | Should -Be $before
        (Get-Content /proc/self/mountinfo) -match 'kojistaging-demo-' | Should -BeNullOrEmpty
    }
}
