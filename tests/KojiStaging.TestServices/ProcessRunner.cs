using System.Diagnostics;

namespace KojiStaging.TestServices;

/// <summary>Runs a program to completion and fails loudly with its output when it fails.</summary>
public static class ProcessRunner
{
    public static string Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        string? asUser = null, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (asUser is not null)
        {
            // runuser keeps us root-free inside the program (PostgreSQL refuses to run as root).
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", asUser, "--", file }) psi.ArgumentList.Add(a);
        }
        else psi.FileName = file;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        if (!p.WaitForExit((int)(timeout ?? TimeSpan.FromMinutes(5)).TotalMilliseconds))
        {
            try { p.Kill(true); } catch { }
            throw new TimeoutException($"{file} {string.Join(' ', args)} timed out");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }
}
