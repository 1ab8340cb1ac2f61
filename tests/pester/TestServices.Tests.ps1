# The harness itself: a real throw-away PostgreSQL cluster holding the production fixture.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:pg = Start-KojiTestService pg --fixture koji_prod
}
AfterAll { $pg | Stop-KojiTestService }

Describe 'Test PostgreSQL service' {
    It 'serves the production fixture on 127.0.0.1 with password auth' {
        $pg.Host | Should -Be '127.0.0.1'
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql 'SELECT max(id) FROM events' | Should -Be '166'
        Invoke-KojiTestPsql -Pg $pg -Database koji_prod -Sql 'SELECT count(*) FROM build' | Should -Be '24'
    }

    It 'is removed when stopped' {
        $p2 = Start-KojiTestService pg
        Test-Path $p2.Root | Should -BeTrue
        $p2 | Stop-KojiTestService
        Test-Path $p2.Root | Should -BeFalse
    }
}
