using System.Diagnostics;
using Confluent.Kafka;
using FuncIngest.Cli.Commands;
using FuncIngest.Cli.Logging;
using FuncIngest.Cli.Progress;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Daemon;

/// <summary>
/// <c>funcingest run</c>: a consumer-group member that stages batches and commits their offsets
/// only after staging returned, with the table loader running alongside. Killing it at any
/// point loses nothing and loads nothing twice: uncommitted records are redelivered, staging
/// skips what is already staged, and the ledger skips what is already loaded.
/// </summary>
internal sealed class IngestDaemon(IngestPipeline pipeline, RunOptions run, ILoggerFactory logs, TextWriter output, IRunProgress? progress = null) : IDisposable
{
    /// <summary>How long the brokers may stay unreachable at start before <c>run</c> gives up.</summary>
    internal static readonly TimeSpan KafkaStartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LedgerReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The loader's wait between passes while there is work or a failure to retry.</summary>
    internal static readonly TimeSpan IdlePassMin = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two loader passes that find nothing to load.</summary>
    internal static readonly TimeSpan IdlePassMax = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_idleCheckInterval = TimeSpan.FromMilliseconds(250);
    private readonly SemaphoreSlim _loadSignal = new(0, int.MaxValue);
    private readonly HashSet<TopicPartition> _atEnd = [];

    // Partitions revoked or lost since the consume loop last looked. Rebalance handlers run inside
    // Consume on the loop's own thread, so no lock.
    private readonly List<TopicPartition> _revoked = [];
    private long _consumed;
    private long _alreadyLoaded;
    private long _staged;
    private long _deadLettered;
    private long _loadedRows;
    private int _unloadedFiles;
    private volatile bool _loaderIdle = true;

    // The idle exit asks whether the loader has caught up, not whether a pass happens to be running
    // when it looks: every staged batch bumps _stagedGeneration; a loader pass records the
    // generation it began at in _settledGeneration when it found nothing to do (or failed, which
    // the exit reports), and -1 when it did work. Sampling "a pass is running" instead restarted
    // the idle time whenever a check fell into a pass, so with passes every second that take a
    // few hundred milliseconds (a loaded machine, a slow or failing Databend) a run never went idle.
    private long _stagedGeneration;
    private long _settledGeneration = -1;

    // When the last finished pass began (Stopwatch timestamp). Files other members stage show only
    // in a listing, and idle passes back off up to IdlePassMax: the exit waits for a pass that
    // began after it asked for one.
    private long _lastPassStartedAt;
    private volatile string? _loaderFailure;
    private string? _lastKafkaError;

    // At most one batch stages while the next one is consumed: its offsets are committed once it
    // is staged and before the next batch starts staging (or the partitions are revoked), so
    // commits stay in order and never run ahead of what is staged.
    private InFlight? _inFlight;

    private FuncIngestSettings Settings => pipeline.Settings;

    public void Dispose() => _loadSignal.Dispose();

    public async Task<int> RunAsync(CancellationToken stop)
    {
        // Built first: librdkafka checks KafkaConsumer:* properties only here, and a wrong one
        // should stop the start at once, not after waiting for brokers or with the loader running.
        ConsumerConfig config = Settings.ConsumerConfig();
        // End-of-partition events tell when this member has read everything, also for a partition
        // with nothing past its committed offset (it never gets a position to compare).
        config.EnablePartitionEof = true;
        using IConsumer<byte[], byte[]> consumer = KafkaClients.Build(
            KafkaClients.Consumer(config, logs)
                .SetErrorHandler((_, e) => KafkaError(e))
                .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
                .SetPartitionsRevokedHandler((c, partitions) => Revoked(c, partitions, lost: false))
                .SetPartitionsLostHandler((c, partitions) => Revoked(c, partitions, lost: true)),
            Settings);

        // A first run needs no `init` when EnsureObjects is on: the pipeline creates the container
        // before the first batch and the table, ledger and stage before the first load. Not here
        // at start, so that a Databend that is down does not stop staging.
        CheckBrokers();
        await ReadLoadedOffsetsAsync(stop).ConfigureAwait(false);
        using var loaderStop = new CancellationTokenSource();
        Task loading = LoaderLoopAsync(loaderStop.Token);

        // A batch is encoded as records arrive: what it holds until staged is its files' bytes
        // (StagingBatch), so memory does not grow with MaxBatchRecords. (A list of records, when
        // it holds them for a Schema Registry encoding, is sized up front: growing by doubling
        // allocated as much again as the records' own objects.)
        int batchCapacity = Math.Min(run.MaxBatchRecords, 65_536);
        StagingBatch batch = pipeline.StartBatch(batchCapacity);
        TopicPartition? lastPartition = null;
        var nextOffsets = new Dictionary<TopicPartition, Offset>();
        var batchAge = new Stopwatch();
        // Records of the batch dropped because the table already holds them: they count towards
        // cutting the batch, so that their offsets are committed like the others.
        int batchAlreadyLoaded = 0;
        var idle = Stopwatch.StartNew();
        long? lastLookAsked = null;
        var idleCheck = Stopwatch.StartNew();
        var report = Stopwatch.StartNew();
        bool paused = false;
        int exit = ExitCodes.Ok;

        progress?.Attach(consumer);
        consumer.Subscribe(Settings.Topics);
        output.WriteLine($"funcingest run: {string.Join(",", Settings.Topics)} -> {Settings.Staging.Table} (group {Settings.KafkaConsumerGroup})");
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!paused && Volatile.Read(ref _unloadedFiles) > run.MaxPendingFiles)
                {
                    consumer.Pause(consumer.Assignment);
                    paused = true;
                    output.WriteLine($"paused: {_unloadedFiles} staged files wait for the loader");
                }
                else if (paused && Volatile.Read(ref _unloadedFiles) <= run.MaxPendingFiles / 2)
                {
                    consumer.Resume(consumer.Assignment);
                    paused = false;
                    output.WriteLine("resumed");
                }

                ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (_revoked.Count > 0)
                {
                    LeaveRevokedToNewOwner(batch, nextOffsets);
                    if (nextOffsets.Count == 0)
                    {
                        // Every partition of the batch moved away: its records are the new owner's.
                        batchAlreadyLoaded = 0;
                    }
                }

                if (result is { IsPartitionEOF: true })
                {
                    lock (_atEnd)
                    {
                        _atEnd.Add(result.TopicPartition);
                    }

                    progress?.ReachedEnd(result.TopicPartition, result.Offset);
                }
                else if (result is { Message: not null })
                {
                    _lastKafkaError = null;

                    // Measured (allocation sampling, 400,000 records): a TopicPartition per use and a topic
                    // string per record kept alive by the batch were a fifth of what the loop allocated.
                    if (lastPartition is null || lastPartition.Partition != result.Partition || !string.Equals(lastPartition.Topic, result.Topic, StringComparison.Ordinal))
                    {
                        lastPartition = result.TopicPartition;
                    }

                    if (pipeline.LoadedBelow(lastPartition.Topic, lastPartition.Partition) is long loadedBelow && result.Offset < loadedBelow)
                    {
                        // Read again (a group reset backwards, a commit that did not land) but
                        // already in the table by the ledger: staging it would only have the
                        // loader skip it.
                        batchAlreadyLoaded++;
                        Interlocked.Increment(ref _alreadyLoaded);
                    }
                    else
                    {
                        batch.Add(IngestRecord.FromConsumeResult(result, lastPartition.Topic));
                    }

                    nextOffsets[lastPartition] = result.Offset + 1;
                    Interlocked.Increment(ref _consumed);
                    progress?.Consumed(lastPartition, result.Offset);
                    idle.Restart();
                    lock (_atEnd)
                    {
                        _atEnd.Remove(lastPartition);
                    }

                    if (batch.Count + batchAlreadyLoaded == 1)
                    {
                        batchAge.Restart();
                    }
                }

                if (_inFlight is { Staging.IsCompleted: true })
                {
                    await CompleteInFlightAsync(consumer).ConfigureAwait(false);
                }

                int collected = batch.Count + batchAlreadyLoaded;
                if (collected > 0 && (collected >= run.MaxBatchRecords || batch.PayloadBytes >= run.MaxBatchBytes || batchAge.ElapsedMilliseconds >= run.MaxBatchWaitMs))
                {
                    await CompleteInFlightAsync(consumer).ConfigureAwait(false);
                    _inFlight = StartStaging(batch, nextOffsets);
                    batch = pipeline.StartBatch(batchCapacity);
                    nextOffsets = [];
                    batchAlreadyLoaded = 0;
                }

                if (report.Elapsed >= TimeSpan.FromSeconds(5))
                {
                    if (progress is not { ReplacesProgressLine: true })
                    {
                        Report();
                    }

                    report.Restart();
                }

                // On a timer, not every pass: asking librdkafka for the assignment costs CPU.
                if (run.ExitWhenIdleSeconds > 0 && idleCheck.Elapsed >= s_idleCheckInterval)
                {
                    idleCheck.Restart();
                    if (!CaughtUp(consumer) || batch.Count + batchAlreadyLoaded > 0 || _inFlight is not null || !LoaderSettled)
                    {
                        // Idle time counts only once partitions are assigned and read to their end
                        // and the loader's last pass since the last staging found nothing to do.
                        idle.Restart();
                        lastLookAsked = null;
                    }
                    else if (idle.Elapsed.TotalSeconds >= run.ExitWhenIdleSeconds && _loaderIdle)
                    {
                        // Between passes: a pass running now does not restart the idle time, but
                        // the exit waits for it (it may find files another process staged).
                        // Passes back off while idle, so the loader's last look at the stage may
                        // be seconds old: what another member staged since (its last files at a
                        // graceful stop) would be left behind. Decide after one more pass.
                        if (Interlocked.Read(ref _lastPassStartedAt) >= (lastLookAsked ??= AskForLastLook()))
                        {
                            if (_loaderFailure is { } failure)
                            {
                                output.WriteLine($"error: idle for {run.ExitWhenIdleSeconds} s but loading still fails: {failure}; the staged files wait for the next run");
                                exit = ExitCodes.DependencyFailed;
                                break;
                            }

                            if (Volatile.Read(ref _unloadedFiles) == 0)
                            {
                                output.WriteLine($"idle for {run.ExitWhenIdleSeconds} s with everything loaded; exiting");
                                break;
                            }
                        }
                    }
                }
            }

            if (stop.IsCancellationRequested)
            {
                output.WriteLine("stopping: staging the batch in hand and making a last load pass");
            }

            // Stopping: what was consumed is staged and committed, so nothing is consumed twice needlessly.
            await CompleteInFlightAsync(consumer).ConfigureAwait(false);
            if (batch.Count + batchAlreadyLoaded > 0)
            {
                _inFlight = StartStaging(batch, nextOffsets);
                await CompleteInFlightAsync(consumer).ConfigureAwait(false);
            }
        }
        finally
        {
            // Staged batches dispose themselves; this one was not staged (empty, or the run failed).
            batch.Dispose();
            progress?.Detach();
            // After a failure, a batch still in flight is abandoned uncommitted (its records are
            // read again), not completed by the revoke handler that Close calls.
            _inFlight = null;
            // Held partition locks go before the group hands the partitions on (Close revokes them
            // too, and that handler releases them; this covers a failed batch as well).
            if (run.HoldPartitionLocks)
            {
                await ReleaseHeldAsync(null).ConfigureAwait(false);
            }

            consumer.Close();
            await loaderStop.CancelAsync().ConfigureAwait(false);
            await loading.ConfigureAwait(false);
        }

        // A last pass so a graceful stop leaves nothing staged behind (it stays staged if Databend is down).
        try
        {
            LoadResult last = await pipeline.LoadAsync(Settings.Staging.Table, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Add(ref _loadedRows, last.RowsLoaded);
            progress?.Loaded(last);
        }
#pragma warning disable CA1031 // Any failure of the last pass leaves the files staged; the next run loads them.
        catch (Exception e)
#pragma warning restore CA1031
        {
            output.WriteLine($"final load failed; files stay staged for the next run: {CliApplication.Describe(e, false).Line["error: ".Length..]}");
        }

        Report();
        LogProcessCounters();
        return stop.IsCancellationRequested ? ExitCodes.Interrupted : exit;
    }

    /// <summary>
    /// With --verbose, what the process cost: run-time compilation and garbage collection apart
    /// from the pipeline's own work (docs/performance.md, fourth step, found the JIT this way).
    /// </summary>
    private void LogProcessCounters()
    {
        ILogger logger = logs.CreateLogger("FuncIngest.Cli.Run");
        if (logger.IsEnabled(LogLevel.Information))
        {
            using var self = Process.GetCurrentProcess();
            double cpu = self.TotalProcessorTime.TotalSeconds;
            (int gen0, int gen1, int gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            double paused = GC.GetTotalPauseDuration().TotalSeconds;
            long allocated = GC.GetTotalAllocatedBytes() / (1024 * 1024);
            long jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
            double jitSeconds = System.Runtime.JitInfo.GetCompilationTime().TotalSeconds;
            Log.ProcessCounters(logger, cpu, gen0, gen1, gen2, paused, allocated, jitMethods, jitSeconds);
        }
    }

    /// <summary>
    /// Learns from the ledger which offsets the table already holds, so that records read again
    /// below them are dropped instead of staged (<see cref="IngestPipeline.LoadedBelow"/>; the
    /// loader's passes keep it up to date). Best effort and bounded: without a ledger yet (a
    /// first run) or with Databend down, everything read is staged, as before.
    /// </summary>
    private async Task ReadLoadedOffsetsAsync(CancellationToken stop)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
        bounded.CancelAfter(LedgerReadTimeout);
        try
        {
            await pipeline.ReadLoadedOffsetsAsync(cancellationToken: bounded.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any failure only means records the table holds may be staged again, and skipped by the loader.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ILogger logger = logs.CreateLogger("FuncIngest.Cli.Run");
            if (logger.IsEnabled(LogLevel.Information))
            {
                Log.LedgerNotRead(logger, e.Message);
            }
        }
    }

    /// <summary>Fails the start, with the setting to check, when no broker answers within <see cref="KafkaStartTimeout"/>.</summary>
    private void CheckBrokers()
    {
        using IAdminClient admin = KafkaClients.Admin(Settings, logs, socketTimeoutMs: (int)KafkaStartTimeout.TotalMilliseconds);
        try
        {
            _ = admin.GetMetadata(KafkaStartTimeout);
        }
        catch (KafkaException e)
        {
            throw new KafkaException(new Error(e.Error.Code, $"no broker of KafkaBrokerList '{Settings.KafkaBrokerList}' answered within {KafkaStartTimeout.TotalSeconds:0} s ({e.Error.Reason})"));
        }
    }

    private void KafkaError(Error error)
    {
        // librdkafka reports the same transport error on every reconnect attempt: say it once.
        if (error.IsFatal || !string.Equals(error.Reason, _lastKafkaError, StringComparison.Ordinal))
        {
            _lastKafkaError = error.Reason;
            output.WriteLine($"kafka: {error.Reason}{(error.IsFatal ? " (fatal)" : string.Empty)}");
        }
    }

    private void Assigned(List<TopicPartition> partitions)
    {
        ForgetEnds(partitions);
        if (run.HoldPartitionLocks)
        {
            // Owned until revoked: their stage locks and coverage are kept between batches.
            pipeline.HoldPartitions(partitions.Select(p => (p.Topic, p.Partition.Value)));
        }
    }

    /// <summary>
    /// Before partitions move to another member: the batch in flight is staged and committed
    /// (so the next owner does not re-read it), then their held stage locks are released (so it
    /// does not wait for them to expire). Lost partitions are no longer ours to commit.
    /// </summary>
    private void Revoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions, bool lost)
    {
        ForgetEnds(partitions.Select(p => p.TopicPartition));
        _revoked.AddRange(partitions.Select(p => p.TopicPartition));
        if (!run.HoldPartitionLocks)
        {
            return;
        }

        if (!lost)
        {
            // Rebalance handlers are synchronous: they run inside Consume on this thread.
            CompleteInFlightAsync(consumer).GetAwaiter().GetResult();
        }

        ReleaseHeldAsync(partitions.Select(p => p.TopicPartition)).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Drops the collecting batch's records of partitions this member no longer owns, with their
    /// offsets: nothing of them is staged or committed, so the new owner reads them from the
    /// group's committed offset. Staging them here instead would race the new owner for the
    /// partition (with held locks: wait for its lease until the lock timeout and fail the batch)
    /// and commit offsets for a partition that is no longer ours, which can move the new owner's
    /// committed offset back.
    /// </summary>
    private void LeaveRevokedToNewOwner(StagingBatch batch, Dictionary<TopicPartition, Offset> nextOffsets)
    {
        HashSet<(string Topic, int Partition)> revoked = [.. _revoked.Select(p => (p.Topic, p.Partition.Value))];
        _revoked.Clear();
        int dropped = batch.RemovePartitions(revoked);
        foreach (TopicPartition partition in nextOffsets.Keys.Where(k => revoked.Contains((k.Topic, k.Partition.Value))).ToList())
        {
            nextOffsets.Remove(partition);
        }

        if (dropped > 0)
        {
            output.WriteLine($"partitions moved away: {dropped} records read from them but not staged are left to their new owner");
        }
    }

    private async Task ReleaseHeldAsync(IEnumerable<TopicPartition>? partitions)
    {
        try
        {
            await pipeline.ReleasePartitionsAsync(partitions?.Select(p => (p.Topic, p.Partition.Value))).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Releasing is a courtesy to the next owner; an unreleased lock expires by itself.
        catch (Exception e)
#pragma warning restore CA1031
        {
            output.WriteLine($"could not release held stage locks (they expire by themselves): {e.Message}");
        }
    }

    private void ForgetEnds(IEnumerable<TopicPartition> partitions)
    {
        lock (_atEnd)
        {
            foreach (TopicPartition partition in partitions)
            {
                _atEnd.Remove(partition);
            }
        }
    }

    private bool CaughtUp(IConsumer<byte[], byte[]> consumer)
    {
        List<TopicPartition> assignment = consumer.Assignment;
        lock (_atEnd)
        {
            return assignment.Count > 0 && assignment.All(_atEnd.Contains);
        }
    }

    private InFlight StartStaging(StagingBatch batch, Dictionary<TopicPartition, Offset> nextOffsets)
    {
        if (batch.Count == 0)
        {
            // Only records the table already holds: their offsets are committed in turn, with
            // nothing to stage and nothing for the loader to do.
            batch.Dispose();
            return new InFlight(Task.FromResult(new StageBatchResult()), [.. nextOffsets.Select(n => new TopicPartitionOffset(n.Key, n.Value))], CommitOnly: true);
        }

        // On the thread pool, so that uploading does not hold up the consume loop.
        // Not cancellable: a stop request waits for the batch to be staged and committed.
        Task<StageBatchResult> staging = Task.Run(async () =>
        {
            using (batch)
            {
                return await pipeline.StageAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
        });
        return new InFlight(staging, [.. nextOffsets.Select(n => new TopicPartitionOffset(n.Key, n.Value))]);
    }

    /// <summary>Waits for the batch in flight to be staged (a failure ends the run, nothing of it committed), then commits its offsets.</summary>
    private async Task CompleteInFlightAsync(IConsumer<byte[], byte[]> consumer)
    {
        if (_inFlight is not { } inFlight)
        {
            return;
        }

        _inFlight = null;
        StageBatchResult result = await inFlight.Staging.ConfigureAwait(false);
        // A commit-only batch gives the loader nothing to do: no generation, no signal.
        bool staged = !inFlight.CommitOnly;
        Interlocked.Add(ref _staged, result.StagedRecords);
        Interlocked.Add(ref _deadLettered, result.DeadLetteredRecords);
        if (staged)
        {
            Interlocked.Increment(ref _stagedGeneration);
        }

        Interlocked.Add(ref _unloadedFiles, result.Files.Count);
        progress?.Staged(result);
        try
        {
            if (inFlight.Offsets.Count > 0)
            {
                consumer.Commit(inFlight.Offsets);
            }
        }
        catch (KafkaException e)
        {
            // A partition moved to another member mid-batch: it redelivers from the last commit,
            // and staging skips what this batch already staged.
            output.WriteLine($"commit not accepted ({e.Error.Reason}); the new owner re-reads those records and skips what is staged");
        }

        if (staged)
        {
            _loadSignal.Release();
        }
    }

    private async Task LoaderLoopAsync(CancellationToken stop)
    {
        // Staging this process did wakes the loader at once (the signal). Without a signal a pass
        // still runs, for files others staged (another member, a release or replay, a crashed
        // run's leftovers) and to retry failures; each pass lists the stage, a Blob transaction,
        // so while passes find nothing the wait doubles up to IdlePassMax.
        TimeSpan wait = IdlePassMin;
        while (!stop.IsCancellationRequested)
        {
            bool signaled;
            try
            {
                signaled = await _loadSignal.WaitAsync(wait, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _loaderIdle = false;
            long passStarted = Stopwatch.GetTimestamp();
            bool idlePass = false;
            bool settled = false;
            long generation = Interlocked.Read(ref _stagedGeneration);
            try
            {
                int before = Volatile.Read(ref _unloadedFiles);
                LoadResult result = await pipeline.LoadAsync(Settings.Staging.Table, stop).ConfigureAwait(false);
                Interlocked.Add(ref _loadedRows, result.RowsLoaded);
                progress?.Loaded(result);
                int done = result.Loaded.Count + result.Skipped.Count + result.Quarantined.Count;
                Interlocked.Add(ref _unloadedFiles, -Math.Min(before, done));
                if (done == 0 && !result.Busy)
                {
                    // Only a pass that began after the last staging can tell that none of it waits.
                    if (generation == Interlocked.Read(ref _stagedGeneration))
                    {
                        Interlocked.Exchange(ref _unloadedFiles, 0);
                    }

                    idlePass = !signaled && _loaderFailure is null;
                }

                settled = done == 0;

                if (_loaderFailure is not null)
                {
                    output.WriteLine("loading works again");
                    _loaderFailure = null;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Every load failure leaves the files staged; the loop retries and says what is wrong.
            catch (Exception e)
#pragma warning restore CA1031
            {
                string failure = CliApplication.Describe(e, false).Line["error: ".Length..];
                if (!string.Equals(failure, _loaderFailure, StringComparison.Ordinal))
                {
                    // Once per distinct failure, not every retry: a missing table or a wrong key does not fix itself.
                    output.WriteLine($"loading into {Settings.Staging.Table} fails: {failure}; the files stay staged and loading is retried (`funcingest doctor` shows what to fix)");
                }

                _loaderFailure = failure;
                // Retried every second, but the idle exit may count: it ends the run with the failure.
                settled = true;
            }
            finally
            {
                Interlocked.Exchange(ref _lastPassStartedAt, passStarted);
                Interlocked.Exchange(ref _settledGeneration, settled ? generation : -1);
                _loaderIdle = true;
            }

            wait = idlePass ? NextIdleWait(wait) : IdlePassMin;
        }
    }

    /// <summary>Wakes the loader for one more pass; returns when it was asked (Stopwatch timestamp).</summary>
    private long AskForLastLook()
    {
        long asked = Stopwatch.GetTimestamp();
        _loadSignal.Release();
        return asked;
    }

    /// <summary>The loader's last pass began after the last staged batch and found nothing to do (or failed).</summary>
    private bool LoaderSettled => Interlocked.Read(ref _settledGeneration) == Interlocked.Read(ref _stagedGeneration);

    /// <summary>The wait after a pass that found nothing: twice the last one, at most <see cref="IdlePassMax"/>.</summary>
    internal static TimeSpan NextIdleWait(TimeSpan current) => current * 2 > IdlePassMax ? IdlePassMax : current * 2;

    /// <summary>A batch being staged, and the offsets to commit once it is.</summary>
    /// <summary>A batch being staged and the offsets to commit after it; <paramref name="CommitOnly"/> when it held only records the table already has.</summary>
    private sealed record InFlight(Task<StageBatchResult> Staging, List<TopicPartitionOffset> Offsets, bool CommitOnly = false);

    private void Report() =>
        output.WriteLine($"consumed {Interlocked.Read(ref _consumed)}, staged {Interlocked.Read(ref _staged)}, dead-lettered {Interlocked.Read(ref _deadLettered)}, loaded {Interlocked.Read(ref _loadedRows)} rows{(Interlocked.Read(ref _alreadyLoaded) is > 0 and long already ? $", {already} already in the table" : string.Empty)}");
}
