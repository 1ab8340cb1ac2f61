using System.Collections.Concurrent;

namespace KojiStaging.Engine.Files;

/// <summary>
/// A bounded pool of worker threads over two queues: file work (copies, first) and directory scans
/// (depth-first, when no file work is waiting). Preferring file work keeps the queue of pending copies
/// near one directory's worth, so memory does not grow with the tree. Finishes when nothing is pending.
/// </summary>
internal sealed class WorkQueue
{
    private readonly ConcurrentQueue<Action> _files = new();
    private readonly ConcurrentStack<Action> _directories = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _ct;
    private int _pending;
    private volatile bool _finished;

    /// <summary>A failing work item cancels <paramref name="cts"/>, so the other workers stop their copies too.</summary>
    public WorkQueue(CancellationTokenSource cts) { _cts = cts; _ct = cts.Token; }

    public void PostFile(Action work) { Interlocked.Increment(ref _pending); _files.Enqueue(work); _available.Release(); }

    public void PostDirectory(Action work) { Interlocked.Increment(ref _pending); _directories.Push(work); _available.Release(); }

    /// <summary>Runs posted work on <paramref name="workers"/> threads until all of it (and what it posts) is done.</summary>
    public void Run(int workers)
    {
        if (Volatile.Read(ref _pending) == 0) return;
        _finished = false;
        Exception? failure = null;
        var threads = Enumerable.Range(0, workers).Select(i => new Thread(() =>
        {
            try { Work(); }
            catch (Exception ex)
            {
                if (ex is not OperationCanceledException || !_ct.IsCancellationRequested) Interlocked.CompareExchange(ref failure, ex, null);
                Finish(workers);
                try { _cts.Cancel(); } catch (ObjectDisposedException) { }
            }
        }) { IsBackground = true, Name = $"kojistaging-copy-{i}" }).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        _ct.ThrowIfCancellationRequested();

        void Work()
        {
            while (true)
            {
                try { _available.Wait(_ct); }
                catch (OperationCanceledException) { Finish(workers); return; }
                if (_finished) return;
                if (!_files.TryDequeue(out var work) && !_directories.TryPop(out work)) continue;
                work();
                if (Interlocked.Decrement(ref _pending) == 0) { Finish(workers); return; }
            }
        }
    }

    private void Finish(int workers)
    {
        _finished = true;
        _available.Release(workers);
    }
}
