using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace KojiStaging.Engine.Files;

/// <summary>
/// A bounded pool of worker threads over two queues: file work (copies, first) and directory scans
/// (depth-first, when no file work is waiting). Preferring file work keeps the queue of pending copies
/// near one directory's worth, so memory does not grow with the tree. Finishes when nothing is pending.
/// </summary>
internal sealed class WorkQueue
{
    /// <summary>A directory scan. It may hold resources (open directory handles) that it frees when it runs or is abandoned.</summary>
    public abstract class DirectoryWork
    {
        public abstract void Run();

        /// <summary>Called instead of <see cref="Run"/> for work left in the queue when a run stops early.</summary>
        public abstract void Abandon();
    }

    private readonly ConcurrentQueue<Action> _files = new();
    private readonly ConcurrentStack<DirectoryWork> _directories = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _ct;
    private int _pending;
    private volatile bool _finished;

    /// <summary>A failing work item cancels <paramref name="cts"/>, so the other workers stop their copies too.</summary>
    public WorkQueue(CancellationTokenSource cts) { _cts = cts; _ct = cts.Token; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PostFile(Action work) { Interlocked.Increment(ref _pending); _files.Enqueue(work); _available.Release(); }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PostDirectory(DirectoryWork work) { Interlocked.Increment(ref _pending); _directories.Push(work); _available.Release(); }

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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Work()
        {
            while (true)
            {
                try { _available.Wait(_ct); }
                catch (OperationCanceledException) { Finish(workers); return; }
                if (_finished) return;
                if (_files.TryDequeue(out var work)) work();
                else if (_directories.TryPop(out var directory)) directory.Run();
                else continue;
                if (Interlocked.Decrement(ref _pending) == 0) { Finish(workers); return; }
            }
        }
    }

    /// <summary>After a failed or cancelled <see cref="Run"/>: drops what is still queued, letting directory work free what it holds.</summary>
    public void AbandonPending()
    {
        while (_directories.TryPop(out var directory)) directory.Abandon();
        _files.Clear();
        Volatile.Write(ref _pending, 0);
    }

    private void Finish(int workers)
    {
        _finished = true;
        _available.Release(workers);
    }
}
