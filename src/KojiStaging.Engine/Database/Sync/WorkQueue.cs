namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// A prioritised work queue drained by a fixed number of workers. Work may add more work (a table's
/// indexes once its rows are in). The first failure cancels everything still running.
/// </summary>
public sealed class WorkQueue<TWorker>
{
    private readonly PriorityQueue<Func<TWorker, CancellationToken, Task>, (int, long)> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly object _lock = new();
    private long _sequence;
    private int _running;
    private bool _finished;
    private int _workerCount = 1;

    /// <summary>Lower priority values run first; equal priorities run in the order added.</summary>
    public void Add(int priority, Func<TWorker, CancellationToken, Task> work)
    {
        lock (_lock) _queue.Enqueue(work, (priority, _sequence++));
        _signal.Release();
    }

    public async Task RunAsync(IReadOnlyList<TWorker> workers, CancellationToken ct)
    {
        _workerCount = Math.Max(1, workers.Count);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tasks = workers.Select(w => Task.Run(() => Loop(w, cts), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            var real = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (real is not null && !ct.IsCancellationRequested) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(real).Throw();
            ct.ThrowIfCancellationRequested();
            throw;
        }
    }

    private async Task Loop(TWorker worker, CancellationTokenSource cts)
    {
        var ct = cts.Token;
        while (true)
        {
            Func<TWorker, CancellationToken, Task>? work = null;
            lock (_lock)
            {
                if (_finished) return;
                if (_queue.TryDequeue(out work, out _)) _running++;
                else if (_running == 0) { _finished = true; _signal.Release(_workerCount); return; }
            }
            if (work is null)
            {
                await _signal.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                ct.ThrowIfCancellationRequested();
                await work(worker, ct).ConfigureAwait(false);
            }
            catch
            {
                lock (_lock) _finished = true;
                cts.Cancel();
                _signal.Release(_workerCount);
                throw;
            }
            finally
            {
                lock (_lock) _running--;
                _signal.Release();
            }
        }
    }
}
