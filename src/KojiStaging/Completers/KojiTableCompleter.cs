using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KojiStaging.Completers;

/// <summary>Tab completion of Koji table names (koji 1.35 schema) for -ExcludeTableData.</summary>
public sealed class KojiTableCompleter : IArgumentCompleter
{
    internal static readonly string[] Tables =
    {
        "archive_components", "archive_rpm_components", "archiveinfo", "archivetypes", "btype", "build", "build_notifications",
        "build_notifications_block", "build_reservations", "build_target", "build_target_config", "build_types", "buildroot",
        "buildroot_archives", "buildroot_listing", "buildroot_tools_info", "cg_users", "channels", "content_generator", "event_labels",
        "events", "external_repo", "external_repo_config", "external_repo_data", "group_config", "group_package_listing",
        "group_req_listing", "groups", "host", "host_channels", "host_config", "image_archives", "image_builds", "locks",
        "maven_archives", "maven_builds", "package", "permissions", "proton_queue", "repo", "repo_queue", "rpm_checksum", "rpminfo",
        "rpmsigs", "scheduler_host_data", "scheduler_log_messages", "scheduler_sys_data", "scheduler_task_refusals",
        "scheduler_task_runs", "sessions", "standard_buildroot", "tag", "tag_config", "tag_external_repos", "tag_extra",
        "tag_inheritance", "tag_listing", "tag_package_owners", "tag_packages", "tag_updates", "task", "user_groups",
        "user_krb_principals", "user_perms", "users", "volume", "win_archives", "win_builds",
    };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) => Complete(Tables, wordToComplete);

    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> values, string word)
    {
        var w = (word ?? "").Trim('\'', '"');
        return values.Where(v => v.StartsWith(w, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v));
    }
}
