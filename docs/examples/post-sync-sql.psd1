# The smallest configuration: local SQL against an existing staging database, e.g. after a manual sync.
@{
    Name  = 'stg-post-sync'
    Steps = @(
        @{ Strategy = 'Sql'; Connection = 'service=koji-stg'; Query = @("UPDATE host_config SET enabled = false WHERE active AND host_id IN (SELECT id FROM host WHERE name NOT LIKE 'stg-%')") }
        @{ Strategy = 'Status'; Connection = 'service=koji-stg'; Source = 'service=koji-prod' }
    )
}
