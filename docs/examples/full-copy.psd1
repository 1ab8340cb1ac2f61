# Full copy: copy prod's database, then mirror prod's whole tree incrementally (hardlinks kept),
# deleting what vanished from prod.
@{
    Name    = 'stg-full-copy'
    LogPath = '/var/log/kojistaging/stg-full-copy.log'
    Steps   = @(
        @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg' }
        @{ Strategy = 'FullCopy'; Source = '/mnt/koji-prod'; Destination = '/mnt/koji'; Delete = $true }
        @{ Strategy = 'Test'; Input = 'db' }
    )
}
