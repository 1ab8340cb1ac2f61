# Full copy: copy prod's database, then mirror prod's whole tree incrementally (hardlinks kept),
# deleting what vanished from prod, then check the copy.
@{
    Name    = 'stg-full-copy'
    LogPath = '/var/log/kojistaging/stg-full-copy.log'
    # the staging topdir the copy writes and the health checks read
    TopDir  = '/mnt/koji'
    FailOn  = 'Fail'
    Steps   = @(
        @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg' }
        @{ Strategy = 'FullCopy'; Source = '/mnt/koji-prod'; Destination = '/mnt/koji'; Delete = $true }
        # -Connection from the sync result, -TopDir from TopDir above
        @{ Strategy = 'Test'; Input = 'db' }
    )
}
