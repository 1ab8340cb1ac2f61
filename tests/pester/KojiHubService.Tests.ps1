# The Koji hub emulator as a child-process service (what Copy-KojiSubset's Pester suites start).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:hub = Start-KojiTestService hub --fixture koji_prod
    $script:xmlrpc = Join-Path (Get-KojiTestFixtureDir) 'xmlrpc'
    function script:Invoke-Hub([string] $Body) {
        Invoke-WebRequest -Uri $hub.HubUrl -Method Post -Body $Body -ContentType 'text/xml' -SkipHttpErrorCheck
    }
}
AfterAll { $hub | Stop-KojiTestService }

Describe 'Koji hub emulator service' {
    It 'answers a recorded request with the recorded bytes and the Koji-Version header' {
        $r = Invoke-Hub (Get-Content -Raw (Join-Path $xmlrpc '03-getLastEvent.request.xml'))
        $r.StatusCode | Should -Be 200
        $r.Headers['Koji-Version'] | Should -Be '1.35.3'
        $r.Content | Should -BeExactly (Get-Content -Raw (Join-Path $xmlrpc '03-getLastEvent.response.xml'))
    }

    It 'serves the fixture topdir at the topurl' {
        $rel = 'packages/hello/2.12.1/2.fc41/x86_64/hello-2.12.1-2.fc41.x86_64.rpm'
        $out = Join-Path $TestDrive 'hello.rpm'
        Invoke-WebRequest -Uri ($hub.TopUrl + $rel) -OutFile $out
        (Get-FileHash $out).Hash | Should -Be (Get-FileHash (Join-Path $hub.TopDir $rel)).Hash
    }

    It 'injects faults for the next calls and counts round trips' {
        Invoke-RestMethod -Method Post -Uri ($hub.ControlUrl + 'reset') | Out-Null
        Invoke-RestMethod -Method Post -Uri ($hub.ControlUrl + 'faults?kind=Http500&count=1') | Out-Null
        Invoke-RestMethod -Method Post -Uri ($hub.ControlUrl + 'faults?kind=ServerOffline&count=1') | Out-Null
        $body = Get-Content -Raw (Join-Path $xmlrpc '01-getAPIVersion.request.xml')
        (Invoke-Hub $body).StatusCode | Should -Be 500
        $offline = Invoke-Hub $body
        $offline.StatusCode | Should -Be 200
        $offline.Content | Should -Match '<int>1014</int>'
        (Invoke-Hub $body).Content | Should -BeExactly (Get-Content -Raw (Join-Path $xmlrpc '01-getAPIVersion.response.xml'))
        (Invoke-RestMethod -Uri ($hub.ControlUrl + 'stats')).roundTrips | Should -Be 3
    }

    It 'removes its unpacked topdir when stopped' {
        $h2 = Start-KojiTestService hub --connection $hub.Pg.ConnectionString
        Test-Path $h2.TopDir | Should -BeTrue
        $h2 | Stop-KojiTestService
        Test-Path $h2.TopDir | Should -BeFalse
    }
}
