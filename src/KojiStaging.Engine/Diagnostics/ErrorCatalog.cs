namespace KojiStaging.Engine.Diagnostics;

/// <summary>One error id the module can raise: its category and what it means to an operator.</summary>
/// <param name="Categories">The category it is raised with; more than one only where it follows a remote answer (ONTAP's HTTP status).</param>
public sealed record ErrorCatalogEntry(string Id, IReadOnlyList<StagingErrorCategory> Categories, string Area, string Meaning)
{
    public StagingErrorCategory Category => Categories[0];
}

/// <summary>
/// Every error id KojiStaging raises (StagingException ids, the cmdlets' own ErrorRecord ids and Koji's fault
/// classes), in one place. A test scans the sources and fails when an id is raised that is not listed here, or with
/// another category; another checks that every id here is provoked by a test. docs/errors.md is rendered from it.
/// </summary>
public static class ErrorCatalog
{
    private static ErrorCatalogEntry E(string id, string area, string meaning, params StagingErrorCategory[] categories) => new(id, categories, area, meaning);

    private const StagingErrorCategory InvalidArgument = StagingErrorCategory.InvalidArgument, InvalidData = StagingErrorCategory.InvalidData,
        InvalidOperation = StagingErrorCategory.InvalidOperation, ObjectNotFound = StagingErrorCategory.ObjectNotFound,
        ResourceExists = StagingErrorCategory.ResourceExists, ResourceUnavailable = StagingErrorCategory.ResourceUnavailable,
        ResourceBusy = StagingErrorCategory.ResourceBusy, ConnectionError = StagingErrorCategory.ConnectionError,
        AuthenticationError = StagingErrorCategory.AuthenticationError, PermissionDenied = StagingErrorCategory.PermissionDenied,
        SecurityError = StagingErrorCategory.SecurityError, OperationStopped = StagingErrorCategory.OperationStopped,
        OperationTimeout = StagingErrorCategory.OperationTimeout, ProtocolError = StagingErrorCategory.ProtocolError,
        ReadError = StagingErrorCategory.ReadError, WriteError = StagingErrorCategory.WriteError,
        LimitsExceeded = StagingErrorCategory.LimitsExceeded, NotInstalled = StagingErrorCategory.NotInstalled,
        NotSpecified = StagingErrorCategory.NotSpecified;

    private const string Db = "Databases and connections";
    private const string Sync = "Sync-KojiStagingDb";
    private const string Files = "Copy-KojiVolume and folders";
    private const string Volumes = "Secondary volumes";
    private const string Snapshots = "Local snapshots";
    private const string Ontap = "NetApp ONTAP";
    private const string Hub = "Koji hub";
    private const string Subset = "Copy-KojiSubset";
    private const string Resync = "Resync runs";
    private const string Schedule = "Scheduled resyncs";
    private const string Follower = "Database follower";
    private const string Module = "Module";

    public static IReadOnlyList<ErrorCatalogEntry> All { get; } = new[]
    {
        E("ConnectionStringEmpty", Db, "An empty connection was given.", InvalidArgument),
        E("ConnectionStringInvalid", Db, "The connection string, URI or service name cannot be parsed (an unknown key gets a did-you-mean).", InvalidArgument),
        E("ConnectionTypeInvalid", Db, "-Source/-Destination got an object that is neither a connection string nor a KojiDatabaseConnection.", InvalidArgument),
        E("ServiceNotFound", Db, "A libpq service name is not defined in any pg_service.conf.", ObjectNotFound),
        E("PgAuthenticationFailed", Db, "PostgreSQL refused the login (user name or password); the hint names the cmdlet's own credential parameter.", AuthenticationError),
        E("PgConnectionFailed", Db, "Connecting to PostgreSQL failed for a reason other than the network or the login.", ConnectionError),
        E("PgDatabaseNotFound", Db, "The database named in the connection does not exist.", ObjectNotFound),
        E("PgPermissionDenied", Db, "PostgreSQL denied a privilege the command needs (42501), e.g. a role without rights on another role's staging.", PermissionDenied),
        E("PgUnreachable", Db, "The PostgreSQL server cannot be reached (host, port, socket, firewall).", ConnectionError),
        E("PgError", Db, "PostgreSQL reported an error the module has no more specific id for (the SQLSTATE is in the message).", InvalidOperation),
        E("PgDumpNotFound", Sync, "pg_dump is not installed (or KOJISTAGING_PG_DUMP names nothing).", NotInstalled),
        E("PgDumpTooOld", Sync, "The pg_dump found is older than the source server.", NotInstalled),
        E("SourceServerUnsupported", Sync, "Production runs a PostgreSQL release the sync cannot read.", InvalidOperation),
        E("StagingServerUnsupported", Sync, "The staging server runs a PostgreSQL release older than the sync needs.", InvalidOperation),
        E("SourceNotKoji", Sync, "The source database has no Koji tables.", InvalidData),
        E("DatabaseNotKoji", Db, "The database given has no Koji tables (events, build, volume).", InvalidData),
        E("SourceIsDestination", Sync, "Source and destination are the same database, however they are spelled; -Force never overrides it.", InvalidArgument),
        E("TargetIsSyncSource", Db, "The target is recorded by a marker as a sync's source: it is production and never a target.", SecurityError),
        E("TargetNotStaging", Db, "The target database has no staging marker, so nothing writes to it (Set-KojiStagingMarker marks one).", SecurityError),
        E("DestinationNotStaging", Sync, "The destination (database or tree) exists without a staging marker; Sync and Copy-KojiVolume replace it only with -Force.", SecurityError),
        E("DestinationDatabaseMissing", Sync, "The destination connection names no database to be live staging.", InvalidArgument),
        E("DestinationNameInvalid", Sync, "A database name the module would create is not a plain identifier (quotes, ';', spaces, non-ASCII); nothing is created.", InvalidArgument),
        E("DestinationNameTooLong", Sync, "A database name (for Sync, the live name plus its generation suffixes) would exceed PostgreSQL's 63-byte identifiers.", InvalidArgument),
        E("DestinationNameReserved", Sync, "The live name has the shape of another staging's generation (_gen_/_new_ and a stamp).", InvalidArgument),
        E("ExcludedTableUnknown", Sync, "-ExcludeTableData names a table the source does not have (the nearest names are suggested).", InvalidArgument),
        E("SanitizeRuleUnknown", Sync, "-SkipSanitize names no sanitise rule (the nearest names are suggested).", InvalidArgument),
        E("PostSyncSqlNotFound", Sync, "A -PostSyncSql file does not exist.", ObjectNotFound),
        E("PostSyncSqlFailed", Sync, "A -PostSyncSql file failed on the new generation; live staging is unchanged.", InvalidData),
        E("SchemaDumpFailed", Sync, "pg_dump of the source schema failed.", ReadError),
        E("SyncInProgress", Sync, "Another sync is replacing the same live database on that server.", ResourceBusy),
        E("SwapBlocked", Sync, "Live staging kept sessions this role may not end, so the swap could not happen.", ResourceBusy),
        E("SyncCancelled", Sync, "The sync was stopped (Ctrl+C); the message says what was left, checked after the fact.", OperationStopped),
        E("SyncFailed", Sync, "The sync failed; the message says what was left (live unchanged or swapped), checked after the fact.", InvalidOperation),
        E("StagingDatabaseNotEmpty", Db, "New-KojiStagingDatabase only fills an empty database.", ResourceExists),
        E("SchemaFileNotFound", Db, "-SchemaPath names no file.", ObjectNotFound),
        E("SchemaFileInvalid", Db, "-SchemaPath is not Koji's schema.sql.", InvalidData),
        E("SchemaLoadFailed", Db, "Koji's schema failed to load into the new database (rolled back).", InvalidData),
        E("StagingSqlFailed", Db, "Invoke-KojiStagingSql's SQL failed; its transaction was rolled back.", InvalidOperation),
        E("SqlFileNotFound", Db, "An Invoke-KojiStagingSql -Path file does not exist.", InvalidArgument),
        E("KojiSchemaUnexpected", Db, "The database lacks what every Koji has (a DEFAULT volume).", InvalidData),
        E("SourceMissing", Files, "Copy-KojiVolume got no source.", InvalidArgument),
        E("DestinationMissing", Files, "Copy-KojiVolume got no destination.", InvalidArgument),
        E("SourceNotFound", Files, "The source folder does not exist.", ObjectNotFound),
        E("DestinationNotDirectory", Files, "The destination exists and is not a folder.", InvalidArgument),
        E("DestinationIsSource", Files, "Source and destination are the same folder.", InvalidArgument),
        E("DestinationInsideSource", Files, "The destination lies inside the source.", InvalidArgument),
        E("SourceInsideDestination", Files, "The source lies inside the destination.", InvalidArgument),
        E("DestinationFilesystemUnsupported", Files, "The destination is on a kernel pseudo filesystem (/proc, /sys, …); nothing is created.", InvalidArgument),
        E("IncludeOutsideSource", Files, "An -Include path leaves the source with '..'.", InvalidArgument),
        E("IncludeNotRelative", Files, "An -Include path is absolute.", InvalidArgument),
        E("IncludeNotFound", Files, "An -Include path does not exist in the source; nothing is created (the nearest names are suggested).", ObjectNotFound),
        E("DestinationTypeConflict", Files, "The destination has a file where the source has a folder (or the reverse) on an -Include's way.", ResourceExists),
        E("DestinationFull", Files, "No space (or quota) left on the destination.", LimitsExceeded),
        E("DestinationReadOnly", Files, "The destination filesystem is read-only.", WriteError),
        E("DestinationWriteDenied", Files, "A destination entry cannot be written (EACCES/EPERM).", PermissionDenied),
        E("DestinationWriteFailed", Files, "Writing a destination entry failed for another reason.", WriteError),
        E("SourceFileUnreadable", Files, "A source file cannot be read (EACCES/EPERM); it was not copied.", PermissionDenied),
        E("SourceReadFailed", Files, "Reading a source entry failed for another reason; it was not copied.", ReadError),
        E("HardlinkSourceFailed", Files, "A hard link was not made because another name of the same source file failed to copy.", ReadError),
        E("VerifyFailed", Files, "-Verify found a copied file whose SHA-256 differs from the source's.", WriteError),
        E("CopyAborted", Files, "The copy stopped after a fatal failure of one of its workers.", OperationStopped),
        E("PathNotDirectory", Files, "A parameter that names a folder (-TopDir, -Root, -UnitDirectory, …) names a file.", InvalidArgument),
        E("TopDirNotFound", Volumes, "The topdir given does not exist.", ObjectNotFound),
        E("VolumePathNotFound", Volumes, "The volume's path does not exist.", ObjectNotFound),
        E("VolumeNotKojiTree", Volumes, "The volume's path has no packages/ folder: it is not a Koji tree.", InvalidData),
        E("VolumeMountWritable", Volumes, "Prod's volume is mounted writable; staging could change production through it (-AllowWritable for a throw-away copy).", SecurityError),
        E("VolumeDirConflict", Volumes, "vol/<name> already exists and leads elsewhere.", ResourceExists),
        E("VolumeNameInvalid", Volumes, "The volume name is not one Koji accepts.", InvalidArgument),
        E("SampleSizeInvalid", Volumes, "-SampleSize is negative.", InvalidArgument),
        E("LocalSnapshotNameInvalid", Snapshots, "A local snapshot name has characters other than letters, digits, '.', '_' and '-'.", InvalidArgument),
        E("LocalPathInvalid", Snapshots, "A local snapshot path cannot be used (',' or ':' in it, or it overlaps the source).", InvalidArgument),
        E("LocalSourceNotFound", Snapshots, "The local snapshot's source tree does not exist.", ObjectNotFound),
        E("LocalSnapshotExists", Snapshots, "A local snapshot of that name already exists.", ResourceExists),
        E("LocalSnapshotNotFound", Snapshots, "No local snapshot of that name was made by KojiStaging there.", ObjectNotFound),
        E("LocalSnapshotRequiresRoot", Snapshots, "Overlay mounts need root.", PermissionDenied),
        E("LocalSnapshotBusy", Snapshots, "The local snapshot is in use and cannot be unmounted (-Force detaches it lazily).", ResourceBusy),
        E("LocalMountFailed", Snapshots, "mount(8) of the overlay failed.", InvalidOperation),
        E("LocalUnmountFailed", Snapshots, "umount(8) of the overlay failed.", InvalidOperation),
        E("OntapClusterMissing", Ontap, "No ONTAP cluster was given.", InvalidArgument),
        E("OntapClusterInvalid", Ontap, "-Cluster is not a host name, host:port or https URL.", InvalidArgument),
        E("OntapClusterRequired", Ontap, "Get-KojiStagingStatus got ONTAP parameters without -Cluster.", InvalidArgument),
        E("OntapCredentialRequired", Ontap, "ONTAP needs -Credential or -Certificate.", InvalidArgument),
        E("OntapSvmRequired", Ontap, "A clone or volume was named without its -Svm.", InvalidArgument),
        E("OntapJunctionPathInvalid", Ontap, "-JunctionPath does not start with '/'.", InvalidArgument),
        E("OntapNothingToRemove", Ontap, "Remove-NetAppSnapshot got neither -Clone nor -ParentVolume with -Snapshot.", InvalidArgument),
        E("OntapAuthenticationFailed", Ontap, "ONTAP refused the login (HTTP 401).", AuthenticationError),
        E("OntapPermissionDenied", Ontap, "ONTAP refused the call for the REST user's role (HTTP 403).", PermissionDenied),
        E("OntapCertificateUntrusted", Ontap, "ONTAP's TLS certificate is not trusted (-SkipCertificateCheck accepts it).", SecurityError),
        E("OntapUnreachable", Ontap, "ONTAP cannot be reached, or did not answer in time (OperationTimeout).", ConnectionError, OperationTimeout),
        E("OntapTimeout", Ontap, "A whole ONTAP call, with its retries, took longer than its budget.", OperationTimeout),
        E("OntapNotFound", Ontap, "ONTAP has no such SVM, volume, snapshot or clone (HTTP 404 or an empty lookup).", ObjectNotFound),
        E("OntapError", Ontap, "ONTAP refused a call; the category follows the HTTP status (400, 409, 5xx, other).", InvalidArgument, ResourceExists, ResourceUnavailable, InvalidOperation),
        E("OntapCloneExists", Ontap, "A volume with the clone's name already exists.", ResourceExists),
        E("OntapNotAClone", Ontap, "The volume is not a FlexClone; Remove-NetAppSnapshot never deletes other volumes.", PermissionDenied),
        E("OntapNotManaged", Ontap, "The clone or snapshot was not made by KojiStaging (-Force for a snapshot).", PermissionDenied),
        E("OntapSnapshotBusy", Ontap, "Other clones still use the snapshot.", ResourceBusy),
        E("OntapJobFailed", Ontap, "An ONTAP job ended in failure.", InvalidOperation),
        E("OntapJobTimeout", Ontap, "An ONTAP job did not finish in time.", OperationTimeout),
        E("OntapPagingLoop", Ontap, "ONTAP kept returning pages for one listing.", ProtocolError),
        E("OntapProtocolError", Ontap, "ONTAP answered something its REST API does not document (no job to follow, JSON of another shape).", ProtocolError),
        E("OntapResponseTooLarge", Ontap, "ONTAP sent more than the response size limit.", LimitsExceeded),
        E("KojiHubInvalidUrl", Hub, "-Hub is not an http(s) URL.", InvalidArgument),
        E("TopUrlInvalid", Hub, "-TopUrl is not an http(s) URL.", InvalidArgument),
        E("KojiHubUnreachable", Hub, "The Koji hub cannot be reached.", ConnectionError),
        E("KojiHubTimeout", Hub, "The hub did not answer a call (with its retries) within its budget.", OperationTimeout),
        E("KojiHubResponseTooLarge", Hub, "The hub sent more than the response size limit.", LimitsExceeded),
        E("KojiHubProtocolError", Hub, "The hub's answer is not valid XML-RPC or not the shape Koji documents.", ProtocolError),
        E("KojiTagNotFound", Hub, "Prod's hub has no such tag at the event (the nearest tag names are suggested).", ObjectNotFound),
        E("KojiBuildNotFound", Hub, "Prod's history names a build its hub does not know.", ObjectNotFound),
        E("KojiUserNotFound", Hub, "Prod's rows name a user its hub does not know.", ObjectNotFound),
        E("KojiFault", Hub, "A hub fault with a code Koji does not define; what it means is only in the hub's text.", NotSpecified),
        E("KojiGenericError", Hub, "Koji fault 1000 (GenericError).", InvalidOperation),
        E("KojiLockError", Hub, "Koji fault 1001 (LockError).", ResourceBusy),
        E("KojiAuthError", Hub, "Koji fault 1002 (AuthError).", AuthenticationError),
        E("KojiTagError", Hub, "Koji fault 1003 (TagError).", InvalidOperation),
        E("KojiActionNotAllowed", Hub, "Koji fault 1004 (ActionNotAllowed).", PermissionDenied),
        E("KojiBuildError", Hub, "Koji fault 1005 (BuildError).", InvalidOperation),
        E("KojiAuthLockError", Hub, "Koji fault 1006 (AuthLockError).", AuthenticationError),
        E("KojiAuthExpired", Hub, "Koji fault 1007 (AuthExpired).", AuthenticationError),
        E("KojiSequenceError", Hub, "Koji fault 1008 (SequenceError).", AuthenticationError),
        E("KojiRetryError", Hub, "Koji fault 1009 (RetryError).", AuthenticationError),
        E("KojiPreBuildError", Hub, "Koji fault 1010 (PreBuildError).", InvalidOperation),
        E("KojiPostBuildError", Hub, "Koji fault 1011 (PostBuildError).", InvalidOperation),
        E("KojiBuildrootError", Hub, "Koji fault 1012 (BuildrootError).", InvalidOperation),
        E("KojiFunctionDeprecated", Hub, "Koji fault 1013 (FunctionDeprecated).", InvalidOperation),
        E("KojiServerOffline", Hub, "Koji fault 1014 (ServerOffline).", ResourceUnavailable),
        E("KojiLiveCDError", Hub, "Koji fault 1015 (LiveCDError).", InvalidOperation),
        E("KojiPluginError", Hub, "Koji fault 1016 (PluginError).", InvalidOperation),
        E("KojiCallbackError", Hub, "Koji fault 1017 (CallbackError).", InvalidOperation),
        E("KojiApplianceError", Hub, "Koji fault 1018 (ApplianceError).", InvalidOperation),
        E("KojiParameterError", Hub, "Koji fault 1019 (ParameterError).", InvalidArgument),
        E("KojiImportError", Hub, "Koji fault 1020 (ImportError).", InvalidData),
        E("KojiConfigurationError", Hub, "Koji fault 1021 (ConfigurationError).", InvalidOperation),
        E("KojiLiveMediaError", Hub, "Koji fault 1022 (LiveMediaError).", InvalidOperation),
        E("KojiGSSAPIAuthError", Hub, "Koji fault 1023 (GSSAPIAuthError).", AuthenticationError),
        E("SubsetNoTag", Subset, "Copy-KojiSubset got no tag.", InvalidArgument),
        E("SubsetSourceMissing", Subset, "Copy-KojiSubset needs exactly one of -TopUrl and -SourceTopDir.", InvalidArgument),
        E("SourceTopDirInvalid", Subset, "-SourceTopDir is not a Koji topdir (no packages/).", ObjectNotFound),
        E("StagingSchemaMissing", Subset, "The staging database has no Koji schema (New-KojiStagingDatabase makes one).", InvalidOperation),
        E("SubsetEventBehind", Subset, "Staging already holds a subset from a later prod event.", InvalidOperation),
        E("SubsetRowInvalid", Subset, "The hub gave a value staging's column cannot store.", InvalidData),
        E("SubsetWriteFailed", Subset, "Writing the subset's rows into staging failed (rolled back).", WriteError),
        E("SourceFileMissing", Subset, "Prod's tree or topurl has no such RPM file.", ObjectNotFound),
        E("SourceFileUnavailable", Subset, "The topurl answered an HTTP error for an RPM file.", ResourceUnavailable),
        E("SourceFileTooLarge", Subset, "The topurl sent more bytes than the RPM file has.", LimitsExceeded),
        E("RpmFileFetchTimeout", Subset, "An RPM file could not be fetched within its time budget.", OperationTimeout),
        E("RpmFileVerificationFailed", Subset, "An RPM file could not be fetched intact (size or checksum differ) after its retries.", InvalidData),
        E("RpmHeaderInvalid", Subset, "A file is not a valid RPM (its signature header cannot be read).", InvalidData),
        E("ResyncConfigNotFound", Resync, "The resync configuration file does not exist.", InvalidArgument),
        E("ResyncConfigInvalid", Resync, "The resync configuration is not a valid PowerShell data file.", InvalidArgument),
        E("ResyncConfigUnknownKey", Resync, "The configuration has a key the module does not know.", InvalidArgument),
        E("ResyncConfigInvalidName", Resync, "The configuration's Name has characters other than letters, digits, '.', '_' and '-'.", InvalidArgument),
        E("ResyncConfigMissingSteps", Resync, "The configuration has no Steps.", InvalidArgument),
        E("ResyncConfigInvalidStep", Resync, "A step is not a hashtable.", InvalidArgument),
        E("ResyncConfigMissingStrategy", Resync, "A step has no Strategy.", InvalidArgument),
        E("ResyncUnknownStrategy", Resync, "A step names an unknown Strategy.", InvalidArgument),
        E("ResyncConfigDuplicateId", Resync, "Two steps have the same Id.", InvalidArgument),
        E("ResyncConfigInvalidInput", Resync, "A step's Input names no earlier step.", InvalidArgument),
        E("ResyncConfigInvalidFailOn", Resync, "FailOn is not Fail, Warn or Never.", InvalidArgument),
        E("ResyncStrategyNotAvailable", Resync, "A step's cmdlet is not in this KojiStaging.", InvalidArgument),
        E("ResyncUnknownParameter", Resync, "A step's key is not a parameter of its cmdlet.", InvalidArgument),
        E("ResyncMissingParameter", Resync, "A step lacks a mandatory parameter of its cmdlet.", InvalidArgument),
        E("ResyncLocked", Resync, "Another resync of the configuration holds its lock; this run did nothing.", ResourceBusy),
        E("LockPathInvalid", Resync, "The resync lock cannot be created where LockPath says (/proc, a folder, a missing parent that cannot be made).", InvalidArgument),
        E("LockPathDenied", Resync, "The resync lock's folder is not writable for this account.", PermissionDenied),
        E("LogPathInvalid", Resync, "-LogPath (or the configuration's LogPath) names a folder; nothing is run and no lock is taken.", InvalidArgument),
        E("ResyncStepFailed", Resync, "A step failed; the record carries the step's own error.", InvalidOperation),
        E("ResyncHistoryNotFound", Resync, "No history was written for the resync yet.", ObjectNotFound),
        E("ReportWriteFailed", Resync, "Export-KojiStagingReport cannot write -OutFile.", WriteError),
        E("ScheduleInvalid", Schedule, "-Schedule is neither a keyword, a systemd calendar expression nor (with -Cron) a valid cron line.", InvalidArgument),
        E("ScheduleUserInvalid", Schedule, "-User is not a valid user name.", InvalidArgument),
        E("ScheduleUserNotFound", Schedule, "-User does not exist (getent passwd).", ObjectNotFound),
        E("ScheduleValueInvalid", Schedule, "A value written into a unit or cron line has a control character or newline.", InvalidArgument),
        E("ScheduleCommandUnusable", Schedule, "The account cannot write a file the unit needs, or read pwsh or the module.", PermissionDenied),
        E("ScheduleNotFound", Schedule, "Unregister-KojiStagingResync found no such scheduled resync.", ObjectNotFound),
        E("SystemctlFailed", Schedule, "systemctl failed (daemon-reload, enable, disable).", InvalidOperation),
        E("FollowerNameInvalid", Follower, "-Name cannot name a replication slot (1 to 40 lower-case letters, digits or underscores).", InvalidArgument),
        E("FollowerNeedsPg15", Follower, "Production runs PostgreSQL older than 15, whose publications cannot leave secret columns out.", NotInstalled),
        E("FollowerWalLevel", Follower, "Production does not have wal_level = logical (or refused a logical slot for it).", InvalidOperation),
        E("FollowerReplicationDenied", Follower, "The role connecting to production lacks REPLICATION, which the slot needs.", PermissionDenied),
        E("FollowerPublicationMissing", Follower, "Production has no publication of the module's name and the role may not create it; the message carries the SQL for the DBA.", PermissionDenied),
        E("FollowerPublicationMismatch", Follower, "Production's publication differs from the plan (columns, tables, actions); the message carries the SQL to replace it.", InvalidData),
        E("FollowerDatabaseNotOurs", Follower, "A <live>_follower database exists that the module did not make; it is never replaced, not even with -Force.", ResourceExists),
        E("FollowerExists", Follower, "A follower (database or slot) already exists; -Force re-creates it.", ResourceExists),
        E("FollowerMissing", Follower, "Sync-KojiStagingDb -FromFollower found no follower of that live database.", ObjectNotFound),
        E("FollowerSlotMissing", Follower, "Production has no slot for the follower: it cannot catch up (the slot was dropped or invalidated).", ObjectNotFound),
        E("FollowerSchemaDrift", Follower, "Production's schema changed since the follower was made (DDL is not replicated); run a full sync, then Enable -Force.", InvalidData),
        E("FollowerApplyFailed", Follower, "The follower's subscription stopped on an apply error; run a full sync, then Enable -Force.", InvalidData),
        E("FollowerBehind", Follower, "The follower did not apply production's WAL up to the refresh's start point in time.", OperationTimeout),
        E("FollowerWorkerBusy", Follower, "The apply worker did not stop after the subscription was paused.", OperationTimeout),
        E("FollowerInUse", Follower, "The follower database has sessions the role may not end, so it cannot be cloned.", ResourceBusy),
        E("NotWithFromFollower", Follower, "A Sync-KojiStagingDb parameter that does not apply to -FromFollower was given with it.", InvalidArgument),
        E("UnexpectedError", Module, "An exception the module does not translate: a bug to report, never an answer to bad input.", NotSpecified),
    };

    private static readonly Dictionary<string, ErrorCatalogEntry> ById = All.ToDictionary(e => e.Id, StringComparer.Ordinal);

    /// <summary>The entry for <paramref name="id"/>, or null when the catalog does not list it.</summary>
    public static ErrorCatalogEntry? Find(string id) => ById.GetValueOrDefault(id);

    /// <summary>docs/errors.md: one table per area, ids in catalog order.</summary>
    public static string ToMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("# KojiStaging error ids\n\n");
        sb.Append("Every ErrorRecord the module raises has one of these ids as the start of its FullyQualifiedErrorId ");
        sb.Append("(`<Id>,KojiStaging.Cmdlets.<Cmdlet>Command`) and the category shown. Scripts may match on them: they are stable.\n");
        sb.Append("Generated from `src/KojiStaging.Engine/Diagnostics/ErrorCatalog.cs`; a test keeps this file current ");
        sb.Append("(`KOJISTAGING_UPDATE_DOCS=1 ./build.sh Test -XunitFilter 'FullyQualifiedName~ErrorCatalogTests' -SkipPester` rewrites it).\n");
        foreach (var area in All.Select(e => e.Area).Distinct())
        {
            sb.Append($"\n## {area}\n\n| Id | Category | Meaning |\n|---|---|---|\n");
            foreach (var e in All.Where(e => e.Area == area))
                sb.Append($"| `{e.Id}` | {string.Join(", ", e.Categories)} | {e.Meaning.Replace("|", "\\|")} |\n");
        }
        return sb.ToString();
    }
}
