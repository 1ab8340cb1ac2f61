using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KojiStaging.Engine.Resilience;

/// <summary>How often and how long one remote call (a hub call, an ONTAP request, one file fetch) may be tried.</summary>
public sealed record RetrySettings
{
    /// <summary>Attempts in all (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 1;
    /// <summary>Wait before the second attempt; grows exponentially, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Bound on the whole call: every attempt and every wait between them. Null: no bound beyond the attempts'.</summary>
    public TimeSpan? TotalTimeout { get; init; }
}

/// <summary>One retry about to happen: what failed, which attempt comes next and after what wait.</summary>
public readonly record struct RetryNotice(Exception Failure, int NextAttempt, int MaxAttempts, TimeSpan Delay);

/// <summary>The whole call ran out of <see cref="RetrySettings.TotalTimeout"/>: the caller turns it into its own error.</summary>
public sealed class RetryBudgetExceededException(TimeSpan budget, int attempts, Exception? lastFailure, Exception inner)
    : Exception($"no answer within {budget.TotalSeconds:0.#} s ({attempts} attempt(s))", inner)
{
    public TimeSpan Budget { get; } = budget;
    public int Attempts { get; } = attempts;
    public Exception? LastFailure { get; } = lastFailure;
}

/// <summary>
/// The one resilience policy of the module's remote calls (Koji hub, ONTAP REST, RPM file fetches), on Polly:
/// retries with exponential backoff and jitter for the failures the caller calls transient, inside a timeout that
/// bounds the whole call. What is not transient fails at once; the last failure comes out as it was thrown.
/// </summary>
public static class RetryPolicy
{
    /// <param name="work">One attempt: (attempt number from 1, a token cancelled by the caller or by the total timeout).</param>
    public static async Task<T> ExecuteAsync<T>(RetrySettings settings, Func<Exception, bool> isTransient,
        Func<int, CancellationToken, Task<T>> work, Action<RetryNotice>? onRetry, CancellationToken ct)
    {
        var attempts = Math.Max(1, settings.MaxAttempts);
        var builder = new ResiliencePipelineBuilder();
        if (settings.TotalTimeout is { } total)
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = total });
        if (attempts > 1)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && isTransient(e)),
                MaxRetryAttempts = attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.InitialBackoff,
                MaxDelay = settings.MaxBackoff,
                OnRetry = args =>
                {
                    onRetry?.Invoke(new RetryNotice(args.Outcome.Exception!, args.AttemptNumber + 2, attempts, args.RetryDelay));
                    return ValueTask.CompletedTask;
                },
            });
        var pipeline = builder.Build();
        var attempt = 0;
        Exception? last = null;
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                var n = Interlocked.Increment(ref attempt);
                try { return await work(n, token).ConfigureAwait(false); }
                catch (Exception e) when (!token.IsCancellationRequested) { last = e; throw; }
            }, ct).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!ct.IsCancellationRequested)
        {
            throw new RetryBudgetExceededException(settings.TotalTimeout ?? TimeSpan.Zero, Volatile.Read(ref attempt), last, ex);
        }
    }
}
